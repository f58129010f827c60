//! The naming convention's app names: what the names along a secret → role → databases chain
//! (`<app>-db-creds` in `<app>-secrets-sealed.yaml`, `<app>_user`, `<app>-db` in `<app>-db.yaml`
//! creating `<app>`) say about the app they belong to.

/// `home-assistant` and `home_assistant` are the same app.
pub fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

/// Do two names tell the same app (`-` and `_` alike)?
pub fn same_app(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

/// A role or database name agrees with an app when it is the app or starts with `<app>_`
/// (`gitea_user`, `home_assistant`).
pub fn starts_with_app(name: &str, app: &str) -> bool {
    let (name, app) = (normalize(name), normalize(app));
    name == app
        || name
            .strip_prefix(&app)
            .is_some_and(|rest| rest.starts_with('_'))
}

/// `<app><suffix>` → `<app>`.
pub fn app_of<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    name.strip_suffix(suffix).filter(|app| !app.is_empty())
}

/// `dir/<app><suffix>.yaml` → `<app>`.
pub fn file_app<'a>(path: &'a str, suffix: &str) -> Option<&'a str> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))?;
    app_of(stem, suffix)
}

/// The app a chain's secret, role and databases agree on, and which of them disagrees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything that can be told agrees on the app.
    Agrees(String),
    /// The secret names another app (or none) than the role and its databases.
    SecretDiffers(String),
    /// The role names another app than its secret and databases.
    RoleDiffers(String),
    /// Secret and role agree; the Databases listed belong to another app.
    DatabasesDiffer(String, Vec<usize>),
    /// No clear majority: stay quiet.
    Unclear,
}

/// What one Database's own names say.
#[derive(Debug, Clone, Default)]
pub struct DatabaseNames<'a> {
    /// From `metadata.name` `<app>-db`.
    pub name_app: Option<&'a str>,
    /// From the file `<app>-db.yaml`.
    pub file_app: Option<&'a str>,
    /// `spec.name`.
    pub spec_name: Option<&'a str>,
}

impl DatabaseNames<'_> {
    /// The app its names tell, when its exact names agree with each other.
    pub fn app(&self) -> Option<&str> {
        match (self.name_app, self.file_app) {
            (Some(a), Some(b)) if !same_app(a, b) => None,
            (Some(a), _) | (None, Some(a)) => Some(a),
            (None, None) => None,
        }
    }

    fn agrees_with(&self, app: &str) -> bool {
        self.name_app.is_some_and(|a| same_app(a, app))
            || self.file_app.is_some_and(|a| same_app(a, app))
            || self.spec_name.is_some_and(|n| starts_with_app(n, app))
    }

    /// Only other apps, nothing agreeing with `app`.
    fn belongs_elsewhere(&self, app: &str) -> bool {
        self.app().is_some() && !self.agrees_with(app)
    }
}

/// Decides a chain from the secret's app, the role's name and the Databases' names.
pub fn judge(secret_app: Option<&str>, role: &str, databases: &[DatabaseNames<'_>]) -> Verdict {
    if let Some(app) = secret_app {
        if starts_with_app(role, app) {
            let others: Vec<usize> = (0..databases.len())
                .filter(|&i| databases[i].belongs_elsewhere(app))
                .collect();
            return if others.is_empty() {
                Verdict::Agrees(app.to_string())
            } else {
                Verdict::DatabasesDiffer(app.to_string(), others)
            };
        }
        // Role disagrees with the secret: the databases break the tie.
        let for_secret = databases.iter().filter(|d| d.agrees_with(app)).count();
        let db_apps: Vec<&str> = databases.iter().filter_map(DatabaseNames::app).collect();
        let for_role = db_apps.iter().filter(|a| starts_with_app(role, a)).count();
        if for_secret > 0 && for_role == 0 && for_secret == databases.len() {
            return Verdict::RoleDiffers(app.to_string());
        }
    }
    // The secret disagrees (or tells nothing): role and every database must agree.
    let db_apps: Vec<&str> = databases.iter().filter_map(DatabaseNames::app).collect();
    match db_apps.first() {
        Some(app)
            if db_apps.len() == databases.len()
                && db_apps.iter().all(|a| same_app(a, app))
                && starts_with_app(role, app)
                && databases
                    .iter()
                    .all(|d| d.spec_name.is_none_or(|n| starts_with_app(n, app))) =>
        {
            Verdict::SecretDiffers(app.to_string())
        }
        _ => Verdict::Unclear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db<'a>(
        name: Option<&'a str>,
        file: Option<&'a str>,
        spec: Option<&'a str>,
    ) -> DatabaseNames<'a> {
        DatabaseNames {
            name_app: name,
            file_app: file,
            spec_name: spec,
        }
    }

    #[test]
    fn names_agree_with_underscores() {
        assert!(starts_with_app("home_assistant_user", "home-assistant"));
        assert!(starts_with_app("gitea", "gitea"));
        assert!(!starts_with_app("giteax_user", "gitea"));
        assert!(!starts_with_app("nextcloud_user", "gitea"));
        assert_eq!(app_of("gitea-db-creds", "-db-creds"), Some("gitea"));
        assert_eq!(app_of("-db-creds", "-db-creds"), None);
        assert_eq!(
            file_app("infra/x/gitea-secrets-sealed.yaml", "-secrets-sealed"),
            Some("gitea")
        );
        assert_eq!(file_app("infra/x/gitea-db.yml", "-db"), Some("gitea"));
        assert_eq!(file_app("infra/x/databases.yaml", "-db"), None);
    }

    #[test]
    fn conformant_chain_agrees() {
        let dbs = [db(
            Some("home-assistant"),
            Some("home-assistant"),
            Some("home_assistant"),
        )];
        assert_eq!(
            judge(Some("home-assistant"), "home_assistant_user", &dbs),
            Verdict::Agrees("home-assistant".into())
        );
        assert_eq!(
            judge(Some("wikijs"), "wikijs_user", &[]),
            Verdict::Agrees("wikijs".into())
        );
    }

    #[test]
    fn another_apps_secret() {
        let dbs = [db(Some("nextcloud"), Some("nextcloud"), Some("nextcloud"))];
        assert_eq!(
            judge(Some("gitea"), "nextcloud_user", &dbs),
            Verdict::SecretDiffers("nextcloud".into())
        );
        // A secret that does not follow the pattern at all.
        assert_eq!(
            judge(None, "nextcloud_user", &dbs),
            Verdict::SecretDiffers("nextcloud".into())
        );
    }

    #[test]
    fn another_apps_role() {
        let dbs = [db(Some("gitea"), Some("gitea"), Some("gitea"))];
        assert_eq!(
            judge(Some("gitea"), "nextcloud_user", &dbs),
            Verdict::RoleDiffers("gitea".into())
        );
    }

    #[test]
    fn another_apps_database() {
        let dbs = [
            db(Some("gitea"), Some("gitea"), Some("gitea")),
            db(Some("nextcloud"), Some("nextcloud"), Some("nextcloud")),
        ];
        assert_eq!(
            judge(Some("gitea"), "gitea_user", &dbs),
            Verdict::DatabasesDiffer("gitea".into(), vec![1])
        );
    }

    #[test]
    fn unclear_evidence_stays_quiet() {
        // Role and secret disagree and no database breaks the tie.
        assert_eq!(
            judge(Some("gitea"), "nextcloud_user", &[]),
            Verdict::Unclear
        );
        // Names that follow no pattern tell nothing.
        assert_eq!(
            judge(None, "app", &[db(None, None, Some("app"))]),
            Verdict::Unclear
        );
        // Everything different.
        let dbs = [db(Some("wiki"), Some("wiki"), Some("wiki"))];
        assert_eq!(
            judge(Some("gitea"), "nextcloud_user", &dbs),
            Verdict::Unclear
        );
    }
}
