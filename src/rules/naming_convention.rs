use crate::config::Naming;
use crate::diagnostic::Finding;
use crate::hash::{HashMap, HashSet};
use crate::index::{Chain, RoleOrigin};
use crate::model::names::{invalid, reserved};
use crate::model::{NameKind, Object, ObjectId, Role, Spec, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// In the SOP folder, checks that the names along each app's chain tell the same app:
    /// the credentials secret `<app>-db-creds` in `<app>-secrets-sealed.yaml`, the role that
    /// uses it (`<app>_user`), and each Database that role owns, named `<app>-db` in
    /// `<app>-db.yaml` and creating database `<app>` (`-` becomes `_` in role and database
    /// names: `home-assistant` → `home_assistant_user`). It only speaks up when the evidence
    /// is clear: the other names of the chain agree on an app, and one part names another
    /// one (or none). The message says which parts disagree.
    ///
    /// ## Why is this bad?
    /// One shared cluster holds every app's credentials, role and database. The names are
    /// the only thing that tells which belongs to which: a role that uses another app's
    /// secret logs in with that app's password (and its username check fails), a Database
    /// owned by another app's role hands one app's data to the other, and a file named after
    /// one app but holding another's object gets edited or deleted together with the wrong
    /// app. Such mix-ups come from copy-paste and survive review because each file looks fine
    /// on its own.
    ///
    /// ## Example
    /// ```yaml
    /// # postgres-cluster.yaml
    /// managed:
    ///   roles:
    ///     - name: nextcloud_user
    ///       login: true
    ///       passwordSecret:
    ///         name: gitea-db-creds      # gitea's credentials
    /// ---
    /// # nextcloud-db.yaml
    /// kind: Database
    /// metadata:
    ///   name: nextcloud-db
    /// spec:
    ///   name: nextcloud
    ///   owner: nextcloud_user
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # postgres-cluster.yaml
    /// managed:
    ///   roles:
    ///     - name: nextcloud_user
    ///       login: true
    ///       passwordSecret:
    ///         name: nextcloud-db-creds
    /// ---
    /// # nextcloud-db.yaml
    /// kind: Database
    /// metadata:
    ///   name: nextcloud-db
    /// spec:
    ///   name: nextcloud
    ///   owner: nextcloud_user
    /// ```
    ///
    /// ## How to fix
    /// Point the odd part at the app's own object (`passwordSecret: {name: <app>-db-creds}`,
    /// `spec.owner: <app>_user`), or rename it after the app. Renaming a SealedSecret means
    /// sealing it again: its name is part of the encryption.
    pub struct NamingConvention {
        id: "naming-convention",
        group: "names",
        level: Warning,
        summary: "SOP names along a secret → role → database chain disagree on the app",
        check: check,
    }
}

/// `home-assistant` and `home_assistant` are the same app.
fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

fn same_app(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

/// A role or database name agrees with an app when it is the app or starts with `<app>_`
/// (`gitea_user`, `home_assistant`).
fn starts_with_app(name: &str, app: &str) -> bool {
    let (name, app) = (normalize(name), normalize(app));
    name == app
        || name
            .strip_prefix(&app)
            .is_some_and(|rest| rest.starts_with('_'))
}

/// `<app><suffix>` → `<app>`.
fn app_of<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    name.strip_suffix(suffix).filter(|app| !app.is_empty())
}

/// `dir/<app><suffix>.yaml` → `<app>`.
fn file_app<'a>(path: &'a str, suffix: &str) -> Option<&'a str> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))?;
    app_of(stem, suffix)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The app a chain's secret, role and databases agree on, and which of them disagrees.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
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
struct DatabaseNames<'a> {
    /// From `metadata.name` `<app>-db`.
    name_app: Option<&'a str>,
    /// From the file `<app>-db.yaml`.
    file_app: Option<&'a str>,
    /// `spec.name`.
    spec_name: Option<&'a str>,
}

impl DatabaseNames<'_> {
    /// The app its names tell, when its exact names agree with each other.
    fn app(&self) -> Option<&str> {
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
fn judge(secret_app: Option<&str>, role: &str, databases: &[DatabaseNames<'_>]) -> Verdict {
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

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // The app each SOP object was found to belong to by its chain; `None`: its chain already
    // reported it as belonging to another app.
    let mut decided: HashMap<ObjectId, Option<String>> = HashMap::default();
    for chain in cx.index.chains() {
        check_chain(cx, chain, &mut decided, out);
    }
    check_objects(cx, &decided, out);
}

/// A chain of the SOP folder, read for its app names.
struct Assessment<'p> {
    role: &'p Role,
    secret_name: &'p str,
    role_name: &'p str,
    sop_secrets: Vec<ObjectId>,
    databases: Vec<(ObjectId, &'p Object)>,
    names: Vec<DatabaseNames<'p>>,
    secret_app: Option<&'p str>,
    verdict: Verdict,
}

fn assess<'p>(cx: &Context<'p>, chain: &Chain<'p>) -> Option<Assessment<'p>> {
    let RoleOrigin::Managed(role) = chain.role else {
        return None;
    };
    let secret_name = chain.secret_name.as_str();
    let role_name = chain.role_name;
    let sop_secrets: Vec<ObjectId> = chain
        .secrets
        .iter()
        .map(|s| s.object())
        .filter(|&id| cx.in_sop_folder(cx.index.object(id)))
        .collect();
    // Templated names tell nothing; reserved or invalid role names are `name-*`'s.
    if sop_secrets.is_empty()
        || is_unknowable(secret_name)
        || is_unknowable(role_name)
        || reserved(NameKind::ManagedRole, role_name).is_some()
        || invalid(role_name).is_some()
    {
        return None;
    }
    let databases: Vec<(ObjectId, &Object)> = chain
        .databases
        .iter()
        .map(|&id| (id, cx.index.object(id)))
        .filter(|(_, obj)| cx.in_sop_folder(obj))
        .collect();
    let names: Vec<DatabaseNames<'_>> = databases
        .iter()
        .map(|(_, obj)| database_names(cx, obj))
        .collect();
    if names.iter().any(|n| {
        [n.name_app, n.spec_name]
            .into_iter()
            .flatten()
            .any(is_unknowable)
    }) {
        return None;
    }
    // The secret's app: from its name, else from its file.
    let secret_app = app_of(secret_name, &cx.config.naming.secret_suffix).or_else(|| {
        let files: Vec<&str> = sop_secrets
            .iter()
            .filter_map(|&id| file_app(cx.path(cx.index.object(id)), &cx.config.naming.sealed_file_suffix))
            .collect();
        files
            .first()
            .copied()
            .filter(|f| files.iter().all(|g| same_app(f, g)))
    });
    Some(Assessment {
        role,
        secret_name,
        role_name,
        verdict: judge(secret_app, role_name, &names),
        sop_secrets,
        databases,
        names,
        secret_app,
    })
}

/// The credentials secrets that roles of the SOP folder should use instead of another app's
/// (`naming-convention` reports the reference): `secret-unreferenced` leaves them alone.
pub(super) fn misdirected_secrets(cx: &Context<'_>) -> Vec<String> {
    let secret_suffix = &cx.config.naming.secret_suffix;
    cx.index
        .chains()
        .iter()
        .filter_map(|chain| match assess(cx, chain)?.verdict {
            Verdict::SecretDiffers(app) => Some(format!("{app}{secret_suffix}")),
            _ => None,
        })
        .collect()
}

fn check_chain(
    cx: &Context<'_>,
    chain: &Chain<'_>,
    decided: &mut HashMap<ObjectId, Option<String>>,
    out: &mut Vec<Finding>,
) {
    let Naming {
        secret_suffix,
        sealed_file_suffix,
        ..
    } = &cx.config.naming;
    let Some(Assessment {
        role,
        secret_name,
        role_name,
        sop_secrets,
        databases,
        names,
        secret_app,
        verdict,
    }) = assess(cx, chain)
    else {
        return;
    };
    let describe_databases = |only: &[usize]| -> String {
        only.iter()
            .map(|&i| {
                format!(
                    "Database `{}`",
                    databases[i].1.name().unwrap_or("<unnamed>")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match verdict {
        Verdict::Agrees(app) => {
            for &id in &sop_secrets {
                decided.insert(id, Some(app.clone()));
            }
            for (id, _) in &databases {
                decided.insert(*id, Some(app.clone()));
            }
        }
        Verdict::SecretDiffers(app) => {
            let all: Vec<usize> = (0..databases.len()).collect();
            let expected = format!("{app}{secret_suffix}");
            let exists = !cx
                .index
                .secret_sources(&expected, cx.index.object(chain.cluster).namespace_str())
                .is_empty();
            let parts = format!("role `{role_name}`, {}", describe_databases(&all));
            let mut finding = match secret_app {
                // Another app's credentials.
                Some(other) => Finding::new(
                    chain.secret_name.loc,
                    format!(
                        "role `{role_name}` uses secret `{secret_name}` of app `{other}`, but the role and {} belong to app `{app}`",
                        describe_databases(&all)
                    ),
                )
                .help(if exists {
                    format!("did you mean `{expected}`?")
                } else {
                    format!(
                        "seal app `{app}`'s own credentials as `{expected}` (in `{app}{sealed_file_suffix}.yaml`) and use them here"
                    )
                }),
                // The app's credentials under a name that tells no app.
                None => Finding::new(
                    chain.secret_name.loc,
                    format!("secret `{secret_name}` of app `{app}` ({parts}) is not named `{expected}`"),
                )
                .help(if exists {
                    format!("did you mean `{expected}`?")
                } else {
                    format!(
                        "rename it `{expected}` (seal it again: the name is part of the sealed value) and update this `passwordSecret`"
                    )
                }),
            }
            .label(format!("expected `{expected}`"));
            if let Some(&first) = sop_secrets.first() {
                let secret = cx.index.object(first);
                finding = finding.related(
                    secret.anchor(),
                    format!("{} `{secret_name}` is declared here", secret.kind_str()),
                );
            }
            out.push(finding);
            for &id in &sop_secrets {
                decided.entry(id).or_insert(None);
            }
            for (id, _) in &databases {
                decided.insert(*id, Some(app.clone()));
            }
        }
        Verdict::RoleDiffers(app) => {
            let all: Vec<usize> = (0..databases.len()).collect();
            let at = role.name.as_ref().map_or(chain.secret_name.loc, |n| n.loc);
            out.push(
                Finding::new(
                    at,
                    format!(
                        "role `{role_name}` does not name app `{app}`, whose secret `{secret_name}` it uses and whose {} it owns",
                        describe_databases(&all)
                    ),
                )
                .label(format!("expected `{}_user`", normalize(&app)))
                .help(format!(
                    "name it `{}_user` (and change `spec.owner` and the Secret's `username` with it), \
                     or use the role's own app's secret and databases",
                    normalize(&app)
                )),
            );
            for &id in &sop_secrets {
                decided.insert(id, Some(app.clone()));
            }
            for (id, _) in &databases {
                decided.insert(*id, Some(app.clone()));
            }
        }
        Verdict::DatabasesDiffer(app, others) => {
            for &id in &sop_secrets {
                decided.insert(id, Some(app.clone()));
            }
            for (i, (id, obj)) in databases.iter().enumerate() {
                if !others.contains(&i) {
                    decided.insert(*id, Some(app.clone()));
                    continue;
                }
                decided.insert(*id, None);
                let Spec::Database(database) = &obj.spec else {
                    continue;
                };
                let Some(owner) = &database.owner else {
                    continue;
                };
                let other = names[i].app().unwrap_or("?");
                let expected_role = format!("{}_user", normalize(other));
                let mut finding = Finding::new(
                    owner.loc,
                    format!(
                        "Database `{}` of app `{other}` is owned by role `{role_name}` of app `{app}` (secret `{secret_name}`)",
                        obj.name().unwrap_or("<unnamed>")
                    ),
                )
                .label("another app's role");
                let cluster = cx.index.object(chain.cluster);
                finding = match cx.index.find_role(chain.cluster, &expected_role) {
                    Some(_) => finding.help(format!("did you mean `{expected_role}`?")),
                    None => finding.help(format!(
                        "give app `{other}` its own role `{expected_role}` in cluster `{}`",
                        cluster.name().unwrap_or("<unnamed>")
                    )),
                };
                if let Some(name) = &role.name {
                    finding = finding
                        .related(name.loc, format!("role `{role_name}` uses `{secret_name}`"));
                }
                out.push(finding);
            }
        }
        // Each object is still checked on its own.
        Verdict::Unclear => {}
    }
}

fn database_names<'a>(cx: &Context<'a>, obj: &'a Object) -> DatabaseNames<'a> {
    let Spec::Database(database) = &obj.spec else {
        return DatabaseNames::default();
    };
    DatabaseNames {
        name_app: obj.name().and_then(|n| app_of(n, &cx.config.naming.database_suffix)),
        file_app: file_app(cx.path(obj), &cx.config.naming.database_file_suffix),
        spec_name: database.name.as_ref().map(|n| n.as_str()),
    }
}

/// Within one object: its name, its file and (for a Database) `spec.name` against the app
/// its chain settled on, else against the app its name tells.
fn check_objects(
    cx: &Context<'_>,
    decided: &HashMap<ObjectId, Option<String>>,
    out: &mut Vec<Finding>,
) {
    let Naming {
        secret_suffix,
        database_suffix,
        ..
    } = &cx.config.naming;
    let credentials: HashSet<ObjectId> = cx.index.credentials().iter().copied().collect();
    let mut database_names_seen: HashMap<(&str, Option<&str>), usize> = HashMap::default();
    for (id, _) in cx.index.databases() {
        let obj = cx.index.object(id);
        if let Some(name) = obj.name() {
            *database_names_seen
                .entry((name, obj.namespace_str()))
                .or_default() += 1;
        }
    }
    for (id, obj) in cx.objects() {
        if !cx.in_sop_folder(obj) {
            continue;
        }
        let Some(name) = obj.name().filter(|n| !is_unknowable(n)) else {
            continue;
        };
        let from_chain = decided.get(&id);
        if from_chain.is_some_and(Option::is_none) {
            continue;
        }
        let path = cx.path(obj);
        match &obj.spec {
            Spec::SealedSecret(_) | Spec::Secret(_) => {
                if !credentials.contains(&id) {
                    continue;
                }
                let own = app_of(name, &cx.config.naming.secret_suffix);
                let app = from_chain.cloned().flatten().or(own.map(str::to_string));
                let Some(app) = app else { continue };
                if own.is_none_or(|own| !same_app(own, &app)) {
                    out.push(
                        Finding::new(
                            obj.anchor(),
                            format!(
                                "{} `{name}` of app `{app}` is not named `{app}{secret_suffix}`",
                                obj.kind_str()
                            ),
                        )
                        .label(format!("expected `{app}{secret_suffix}`"))
                        .help(rename_secret_help(obj)),
                    );
                    continue;
                }
                if !matches!(obj.spec, Spec::SealedSecret(_)) {
                    continue;
                }
                if let Some(file) =
                    file_app(path, &cx.config.naming.sealed_file_suffix).filter(|f| !same_app(f, &app))
                {
                    out.push(file_finding(obj, path, file, &app, &cx.config.naming.sealed_file_suffix));
                }
            }
            Spec::Database(database) => {
                // Two Databases of one name are `database-duplicate`'s.
                let shared_name = database_names_seen
                    .get(&(name, obj.namespace_str()))
                    .is_some_and(|&n| n > 1);
                if shared_name {
                    continue;
                }
                let names = database_names(cx, obj);
                let chain_app = from_chain.cloned().flatten();
                // Its own names agree on another app than its chain's: which side is wrong is
                // not clear.
                if let (Some(chain_app), Some(own)) = (&chain_app, names.app())
                    && !same_app(chain_app, own)
                {
                    continue;
                }
                // `spec.name` is free-form: judge it only against an app that two names tell
                // (the chain, or the object's name and its file).
                let corroborated = chain_app.is_some()
                    || matches!((names.name_app, names.file_app), (Some(a), Some(b)) if same_app(a, b));
                let app = chain_app.or_else(|| names.name_app.map(str::to_string));
                let Some(app) = app else { continue };
                if names.name_app.is_none_or(|own| !same_app(own, &app)) {
                    out.push(
                        Finding::new(
                            obj.anchor(),
                            format!("Database `{name}` of app `{app}` is not named `{app}{database_suffix}`"),
                        )
                        .label(format!("expected `{app}{database_suffix}`"))
                        .help(format!(
                            "rename it `{app}{database_suffix}` (a new object: CNPG adopts the existing database)"
                        )),
                    );
                } else if let Some(file) = names.file_app.filter(|f| !same_app(f, &app)) {
                    out.push(file_finding(obj, path, file, &app, &cx.config.naming.database_file_suffix));
                }
                if let Some(spec_name) = &database.name
                    && corroborated
                    && !is_unknowable(spec_name.as_str())
                    && reserved(NameKind::Database, spec_name.as_str()).is_none()
                    && invalid(spec_name.as_str()).is_none()
                    && !starts_with_app(spec_name.as_str(), &app)
                {
                    out.push(
                        Finding::new(
                            spec_name.loc,
                            format!(
                                "Database `{name}` of app `{app}` creates database `{}`, which does not name the app",
                                spec_name.value
                            ),
                        )
                        .label(format!("expected `{}`", normalize(&app)))
                        .help(format!(
                            "use `{}`; `spec.name` cannot be changed once applied: a new name creates a new, empty database",
                            normalize(&app)
                        )),
                    );
                }
            }
            _ => {}
        }
    }
}

fn rename_secret_help(obj: &Object) -> String {
    match obj.spec {
        Spec::SealedSecret(_) => {
            "rename it and seal it again (the name is part of the sealed value), then update the role's `passwordSecret`"
                .to_string()
        }
        _ => "rename it and update the role's `passwordSecret`".to_string(),
    }
}

fn file_finding(obj: &Object, path: &str, file: &str, app: &str, suffix: &str) -> Finding {
    let expected = format!("{app}{suffix}.yaml");
    Finding::new(
        obj.anchor(),
        format!(
            "{} of app `{app}` is in `{}`, the file of app `{file}`",
            obj.display_name(),
            file_name(path)
        ),
    )
    .label(format!("expected in `{expected}`"))
    .help(format!(
        "move it to `{expected}` (and update the kustomization's `resources`)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::role_secret_missing::support::run;

    const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
  namespace: postgres
spec:
  managed:
    roles:
      - name: gitea_user
        login: true
        passwordSecret:
          name: gitea-db-creds
";

    const SECRET: &str = "apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: gitea-db-creds
  namespace: postgres
spec:
  encryptedData:
    username: AgB
    password: AgC
";

    const DATABASE: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: gitea-db
  namespace: postgres
spec:
  name: gitea
  owner: gitea_user
  cluster:
    name: pg
";

    fn lint(files: &[(&str, &str)]) -> Vec<String> {
        let files: Vec<(String, &str)> = files
            .iter()
            .map(|(p, t)| (format!("infra/databases/postgres/{p}"), *t))
            .collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        run(&files, check)
    }

    #[test]
    fn sop_chain_is_quiet() {
        let files = [
            ("postgres-cluster.yaml", CLUSTER),
            ("gitea-secrets-sealed.yaml", SECRET),
            ("gitea-db.yaml", DATABASE),
        ];
        assert!(lint(&files).is_empty());
    }

    #[test]
    fn secret_without_the_app_name() {
        let cluster = CLUSTER.replace("gitea-db-creds", "database-credentials");
        let secret = SECRET.replace("gitea-db-creds", "database-credentials");
        let files = [
            ("postgres-cluster.yaml", cluster.as_str()),
            ("credentials.yaml", secret.as_str()),
            ("gitea-db.yaml", DATABASE),
        ];
        assert_eq!(
            lint(&files),
            [
                "secret `database-credentials` of app `gitea` (role `gitea_user`, Database `gitea-db`) is not named `gitea-db-creds`"
            ]
        );
        // Without a Database, role and secret alone are no clear evidence.
        assert!(lint(&files[..2]).is_empty());
    }

    #[test]
    fn free_form_names_outside_a_chain() {
        // `<cluster>-<app>-db` creating `<app>`: name and `spec.name` alone do not tell.
        let database = DATABASE
            .replace("name: gitea-db", "name: pg-main-gitea-db")
            .replace("owner: gitea_user", "owner: someone");
        assert!(lint(&[("databases.yaml", database.as_str())]).is_empty());
    }

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
        assert_eq!(
            file_app("infra/x/gitea-db.yml", "-db"),
            Some("gitea")
        );
        assert_eq!(
            file_app("infra/x/databases.yaml", "-db"),
            None
        );
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
