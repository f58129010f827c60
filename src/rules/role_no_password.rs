use crate::diagnostic::{Finding, Subject};
use crate::model::{Role, Spec, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns about a `login: true` role, in a Cluster's `spec.managed.roles` or a
    /// `DatabaseRole`, that has neither a `passwordSecret` nor `disablePassword: true`. The
    /// Cluster's bootstrap owner (`bootstrap.initdb.owner`, default `app`) is exempt: it gets
    /// its password from `<cluster>-app` or `bootstrap.initdb.secret`.
    ///
    /// ## Why is this bad?
    /// Without `passwordSecret` CNPG leaves the password alone, and a new role gets a NULL
    /// password: it can log in, but not with a password. The app's connection fails with
    /// `password authentication failed` although the role exists, and whoever set a password
    /// by hand (`ALTER ROLE … PASSWORD`) created state that no manifest describes. If the role
    /// really has no password (certificate or peer authentication), say so with
    /// `disablePassword: true`.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       login: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       login: true
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Commit the credentials as a SealedSecret `<app>-db-creds` (`username`, `password`)
    /// in the Cluster's namespace and name it in `passwordSecret`, or set
    /// `disablePassword: true` for a role that must not have a password.
    pub struct RoleNoPassword {
        id: "role-no-password",
        group: "references",
        level: Warning,
        summary: "a login: true role has neither a passwordSecret nor disablePassword",
        yields_to: [SchemaUnknownField],
        check: check,
    }
}

/// The bootstrap owners of a cluster, which get their password from `<cluster>-app` or
/// `bootstrap.initdb.secret`.
struct BootstrapOwners<'p> {
    names: Vec<&'p str>,
    /// Some Cluster object that may be this cluster has a templated owner or name.
    unknowable: bool,
}

impl BootstrapOwners<'_> {
    fn is_owner(&self, role: &str) -> bool {
        self.unknowable || self.names.contains(&role)
    }
}

/// Collects the owners from every Cluster object that may be the cluster `name`: a
/// kustomize patch and its base are separate objects, and only the base may say `bootstrap`.
fn bootstrap_owners<'p>(
    cx: &Context<'p>,
    name: Option<&str>,
    namespace: Option<&str>,
) -> BootstrapOwners<'p> {
    let mut owners = BootstrapOwners {
        names: Vec::new(),
        unknowable: name.is_none_or(is_unknowable),
    };
    for (cid, cluster) in cx.index.clusters() {
        let obj = cx.index.object(cid);
        let Some(other) = obj.name() else { continue };
        let related = other == name.unwrap_or_default()
            || is_unknowable(other)
            || name.is_none_or(is_unknowable);
        if !related || !crate::index::same_namespace(obj.namespace_str(), namespace) {
            continue;
        }
        if is_unknowable(other) || is_unknowable(&cluster.bootstrap.owner) {
            owners.unknowable = true;
        }
        owners.names.push(cluster.bootstrap.owner.as_str());
    }
    owners
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.objects() {
        let (roles, kind): (Vec<&Role>, &str) = match &obj.spec {
            Spec::Cluster(cluster) => {
                let owners = bootstrap_owners(cx, obj.name(), obj.namespace_str());
                let roles = cluster
                    .roles
                    .iter()
                    .filter(|r| r.name_str().is_some_and(|n| !owners.is_owner(n)))
                    .collect();
                (roles, "role")
            }
            Spec::DatabaseRole(db_role) => {
                let cluster = db_role.cluster.as_ref().map(|c| c.as_str());
                let owners = bootstrap_owners(cx, cluster, obj.namespace_str());
                if db_role.role.name_str().is_none_or(|n| owners.is_owner(n)) {
                    continue;
                }
                (vec![&db_role.role], "DatabaseRole")
            }
            _ => continue,
        };
        for role in roles {
            let Some(login) = role.login.as_ref().filter(|l| l.value) else {
                continue;
            };
            if role.password_secret.is_some()
                || role.disable_password.as_ref().is_some_and(|d| d.value)
                || role.is_absent()
                || role.name_str().is_some_and(is_unknowable)
            {
                continue;
            }
            let name = role.name_str().unwrap_or("<unnamed>");
            let (at, field) = role.name.as_ref().map_or((login.loc, "login"), |n| (n.loc, "name"));
            let mut finding = Finding::new(
                at,
                format!("{kind} `{name}` can log in but has no `passwordSecret`: its password is NULL"),
            )
            .field(cx.project, role.field(field))
            .label("no password")
            .help(format!(
                "add `passwordSecret: {{name: <secret>}}` naming a Secret with `username: {name}` \
                 and `password`, or set `disablePassword: true` if the role must not have a password"
            ))
            .related(login.loc, "`login: true` here");
            // A misspelt `passwordSecret` is the one mistake (`schema-unknown-field`).
            if let Some(misspelt) = obj.misspelt(role.loc, "passwordSecret") {
                let written = misspelt.path.rsplit('.').next().unwrap_or_default();
                finding = finding.caused_by(
                    misspelt.loc,
                    Subject::at(cx.project, misspelt.loc, role.field(written)),
                    format!(
                        "{}, so {kind} `{name}` gets no password: did you mean `passwordSecret`?",
                        misspelt.message
                    ),
                );
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, messages as run};

    #[test]
    fn login_without_password() {
        let no_secret = CLUSTER.replace(
            "        passwordSecret:\n          name: gitea-db-creds\n",
            "",
        );
        assert_eq!(
            run(&[("c.yaml", &no_secret)], check),
            ["role `gitea_user` can log in but has no `passwordSecret`: its password is NULL"]
        );
        let disabled =
            no_secret.replace("login: true", "login: true\n        disablePassword: true");
        assert!(run(&[("c.yaml", &disabled)], check).is_empty());
        assert!(run(&[("c.yaml", CLUSTER)], check).is_empty());
    }

    /// A misspelt `passwordSecret` is one mistake: the unknown field, which lists the role
    /// left without a password and the secret no role names.
    #[test]
    fn a_misspelt_password_secret_is_the_unknown_field_alone() {
        let misspelt = CLUSTER.replace("passwordSecret:", "passwordSecrets:");
        let files = [
            ("infra/databases/postgres/c.yaml", misspelt.as_str()),
            ("infra/databases/postgres/s.yaml", crate::rules::testing::SECRET),
        ];
        let lint = crate::rules::testing::lint_texts(&files);
        let rules: Vec<&str> = lint.iter().map(|d| d.rule.as_str()).collect();
        assert!(!rules.contains(&"role-no-password"), "{rules:?}");
        assert!(!rules.contains(&"secret-unreferenced"), "{rules:?}");
        let unknown = lint
            .iter()
            .find(|d| d.rule.as_str() == "schema-unknown-field")
            .expect("the misspelt key");
        let related: Vec<&str> = unknown
            .finding
            .related
            .iter()
            .map(|r| r.message.as_str())
            .collect();
        assert!(
            related.iter().any(|r| r.ends_with("(role-no-password)")),
            "{related:?}"
        );
        assert!(
            related.iter().any(|r| r.ends_with("(secret-unreferenced)")),
            "{related:?}"
        );
    }

    #[test]
    fn bootstrap_owners_have_a_password() {
        let owner = "apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
spec:
  bootstrap:
    initdb:
      owner: gitea
  managed:
    roles:
      - name: gitea
        login: true
";
        assert!(run(&[("c.yaml", owner)], check).is_empty());
        // A kustomize patch of a templated cluster: the base names the owner.
        let base = owner
            .replace("name: pg", "name: ${APP}-pg")
            .replace("owner: gitea", "owner: ${APP}");
        let patch = "apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: ${APP}-pg
spec:
  managed:
    roles:
      - name: immich
        login: true
";
        assert!(run(&[("base/c.yaml", &base), ("app/patch.yaml", patch)], check).is_empty());
    }
}
