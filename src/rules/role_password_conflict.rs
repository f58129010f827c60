use crate::diagnostic::Finding;
use crate::model::{Role, Spec};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that no role sets both `disablePassword: true` and a `passwordSecret`, in a
    /// Cluster's `spec.managed.roles` or in a `DatabaseRole`.
    ///
    /// ## Why is this bad?
    /// The two contradict each other: one says "no password", the other "this password".
    /// CNPG's admission webhook rejects such a Cluster ("This role both sets and disables a
    /// password"), so Argo CD cannot apply it and no other change to the Cluster goes through
    /// either; the `DatabaseRole` CRD rejects it too ("passwordSecret and disablePassword are
    /// mutually exclusive").
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       login: true
    ///       disablePassword: true
    ///       passwordSecret:
    ///         name: gitea-db-creds
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
    /// Keep `passwordSecret` for an app role that logs in with a password, and drop
    /// `disablePassword`. Keep `disablePassword: true` only for a role that must not have a
    /// password (a group role, or one that authenticates with a certificate), and drop
    /// `passwordSecret`.
    pub struct RolePasswordConflict {
        id: "role-password-conflict",
        group: "references",
        level: Error,
        summary: "a role sets both disablePassword: true and a passwordSecret",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.objects() {
        let roles: Vec<&Role> = match &obj.spec {
            Spec::Cluster(cluster) => cluster.roles.iter().collect(),
            Spec::DatabaseRole(db_role) => vec![&db_role.role],
            _ => continue,
        };
        for role in roles {
            let (Some(disabled), Some(secret)) = (&role.disable_password, &role.password_secret)
            else {
                continue;
            };
            if !disabled.value {
                continue;
            }
            let (at, field) = match role.password_secret_key {
                Some(key) => (key, "passwordSecret"),
                None => (secret.loc, "passwordSecret.name"),
            };
            out.push(
                Finding::new(
                    at,
                    format!(
                        "role `{}` sets both `disablePassword: true` and `passwordSecret`",
                        role.name_str().unwrap_or("<unnamed>")
                    ),
                )
                .field(cx.project, role.field(field))
                .label("password from this Secret")
                .help(format!(
                    "CNPG rejects this role; remove `disablePassword` to use the password in \
                     `{}`, or remove `passwordSecret` for a role without a password",
                    secret.value
                ))
                .related(disabled.loc, "but the password is disabled here"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, messages as run};

    #[test]
    fn both_or_one() {
        assert!(run(&[("c.yaml", CLUSTER)], check).is_empty());
        let both = CLUSTER.replace("login: true", "login: true\n        disablePassword: true");
        assert_eq!(
            run(&[("c.yaml", &both)], check),
            ["role `gitea_user` sets both `disablePassword: true` and `passwordSecret`"]
        );
        let off = CLUSTER.replace("login: true", "login: true\n        disablePassword: false");
        assert!(run(&[("c.yaml", &off)], check).is_empty());
    }
}
