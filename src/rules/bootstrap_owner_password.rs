use crate::diagnostic::Finding;
use crate::model::{Role, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that the cluster's bootstrap owner (`bootstrap.initdb.owner`, default `app`)
    /// gets its password from one place only. When it is also declared as a role, in
    /// `spec.managed.roles` or as a `DatabaseRole`, that declaration must use the bootstrap
    /// secret (`bootstrap.initdb.secret.name`, default `<cluster>-app`) as its
    /// `passwordSecret`, or set none (the password is then left alone); another
    /// `passwordSecret`, or `disablePassword: true`, is a second source.
    ///
    /// ## Why is this bad?
    /// Two reconcilers then set the same role's password, each from its own Secret. The
    /// instance manager sets the bootstrap owner's password from the bootstrap secret
    /// whenever it has not applied that Secret's current version yet
    /// (`refreshCredentialsFromSecret` → `reconcileUser` in
    /// `internal/management/controller/instance_controller.go`; the applied versions are
    /// kept in memory, so after every restart or failover it sets it again). The role
    /// reconciler sets it from the role's `passwordSecret` whenever that Secret's version
    /// differs from the one recorded in `status.managedRolesStatus.passwordStatus`
    /// (`evaluateNextRoleActions` in `internal/management/controller/roles/roles.go`). The
    /// password flips between the two, and the app logs in only until the next restart
    /// (cloudnative-pg issue #6762).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   bootstrap:
    ///     initdb:
    ///       database: app
    ///       owner: app              # password from `postgres-shared-app`
    ///   managed:
    ///     roles:
    ///       - name: app
    ///         login: true
    ///         passwordSecret:
    ///           name: app-db-creds  # and from here
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   bootstrap:
    ///     initdb:
    ///       database: app
    ///       owner: app
    ///       secret:
    ///         name: app-db-creds
    ///   managed:
    ///     roles:
    ///       - name: app
    ///         login: true
    ///         passwordSecret:
    ///           name: app-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Give both the same Secret: point `bootstrap.initdb.secret.name` at the role's
    /// `passwordSecret` (or the other way round), or remove the role's `passwordSecret` (and
    /// `disablePassword`) so that only the bootstrap secret sets the password.
    pub struct BootstrapOwnerPassword {
        id: "bootstrap-owner-password",
        group: "references",
        level: Error,
        summary: "the bootstrap owner is also a role with another password source: its password flips between the two",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (id, cluster) in cx.index.clusters() {
        let bootstrap = &cluster.bootstrap;
        let obj = cx.index.object(id);
        let Some(cluster_name) = obj.name().filter(|n| !is_unknowable(n)) else {
            continue;
        };
        let owner = bootstrap.owner.as_str();
        if !bootstrap.creates_owner || is_unknowable(owner) {
            continue;
        }
        let secret = bootstrap.secret_name(cluster_name);
        if is_unknowable(&secret) {
            continue;
        }
        // The Cluster's own declaration wins over a DatabaseRole of the same name.
        let declared: Option<(&Role, &str)> = match cluster.role(owner) {
            Some(role) => Some((role, "its entry in `spec.managed.roles`")),
            None => cx
                .index
                .database_roles_of(id)
                .find(|(_, r)| r.role.name_str() == Some(owner))
                .map(|(_, r)| (&r.role, "its DatabaseRole")),
        };
        let Some((role, place)) = declared else {
            continue;
        };
        if role.is_absent() {
            continue;
        }
        let (at, field, other) = match (&role.password_secret, &role.disable_password) {
            (Some(name), _) if name.value != secret && !is_unknowable(name.as_str()) => {
                (
                    name.loc,
                    "passwordSecret.name",
                    format!("sets it from `passwordSecret` `{}`", name.value),
                )
            }
            // `disablePassword` is the role's password source only without a
            // `passwordSecret`: CNPG refuses a role that sets both, and with the bootstrap
            // secret as its `passwordSecret` one way of settling that leaves one source.
            (None, Some(disabled)) if disabled.value => {
                (
                    disabled.loc,
                    "disablePassword",
                    "clears it with `disablePassword: true`".to_string(),
                )
            }
            _ => continue,
        };
        let source = match &bootstrap.secret {
            Some(_) => format!("the bootstrap secret `{secret}`"),
            None => format!("`{secret}` (the operator's default bootstrap secret)"),
        };
        let mut finding = Finding::new(
            at,
            format!(
                "role `{owner}` is the bootstrap owner of cluster `{cluster_name}`, whose password \
                 CNPG sets from {source}; {place} {other}: the password flips \
                 between the two"
            ),
        )
        .field(cx.project, role.field(field))
        .label("a second password source")
        .help(match &role.password_secret {
            Some(name) => format!(
                "set `bootstrap.initdb.secret.name: {}` so that both use one Secret, or use \
                 `passwordSecret: {{name: {secret}}}`, or remove this `passwordSecret`",
                name.value
            ),
            None => format!(
                "remove `disablePassword` (the password then comes from `{secret}` only)"
            ),
        })
        .in_deployment(cx.deployment_of(id));
        let related = bootstrap
            .secret
            .as_ref()
            .map(|s| (s.loc, format!("the bootstrap secret is `{secret}`")))
            .or_else(|| {
                bootstrap.owner_loc.map(|loc| {
                    (
                        loc,
                        format!("the bootstrap owner `{owner}` gets its password from `{secret}`"),
                    )
                })
            })
            .unwrap_or_else(|| {
                (
                    obj.anchor(),
                    format!(
                        "cluster `{cluster_name}` bootstraps owner `{owner}` with the password in `{secret}`"
                    ),
                )
            });
        finding = finding.related(related.0, related.1);
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE_ROLE, messages as run};

    fn cluster(bootstrap: &str, role: &str) -> String {
        CLUSTER.replace("spec:\n", &format!("spec:\n{bootstrap}")) + role
    }

    const APP_ROLE: &str = "      - name: app\n        login: true\n        passwordSecret:\n          name: app-db-creds\n";

    #[test]
    fn one_password_source_passes() {
        // The same Secret on both sides.
        let same = cluster(
            "  bootstrap:\n    initdb:\n      secret:\n        name: app-db-creds\n",
            APP_ROLE,
        );
        assert!(run(&[("c.yaml", &same)], check).is_empty());
        // The operator's default, named explicitly.
        let default = cluster("", &APP_ROLE.replace("app-db-creds", "pg-app"));
        assert!(run(&[("c.yaml", &default)], check).is_empty());
        // Attributes only: the password is left alone.
        let attributes = cluster("", "      - name: app\n        login: true\n");
        assert!(run(&[("c.yaml", &attributes)], check).is_empty());
        // A restored cluster without an application database has no bootstrap owner.
        let restored = cluster("  bootstrap:\n    recovery:\n      source: old\n", APP_ROLE);
        assert!(run(&[("c.yaml", &restored)], check).is_empty());
    }

    #[test]
    fn a_second_source_is_reported() {
        let default = cluster("", APP_ROLE);
        assert_eq!(
            run(&[("c.yaml", &default)], check),
            [
                "role `app` is the bootstrap owner of cluster `pg`, whose password CNPG sets from `pg-app` (the operator's default bootstrap secret); its entry in `spec.managed.roles` sets it from `passwordSecret` `app-db-creds`: the password flips between the two"
            ]
        );
        let owner = cluster(
            "  bootstrap:\n    initdb:\n      database: wiki\n      owner: wiki_user\n",
            "",
        );
        let db_role = DATABASE_ROLE.to_string() + "  disablePassword: true\n";
        assert_eq!(
            run(&[("c.yaml", &owner), ("r.yaml", &db_role)], check),
            [
                "role `wiki_user` is the bootstrap owner of cluster `pg`, whose password CNPG sets from `pg-app` (the operator's default bootstrap secret); its DatabaseRole clears it with `disablePassword: true`: the password flips between the two"
            ]
        );
    }
}
