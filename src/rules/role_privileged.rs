use crate::diagnostic::{Finding, Severity};
use crate::model::{Role, is_unknowable};
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Checks that no role in a Cluster's `spec.managed.roles` or in a `DatabaseRole` sets
    /// `superuser`, `createdb`, `createrole`, `replication` or `bypassrls` to `true`. Roles
    /// listed in the configuration's `privileged_roles` are allowed to; roles declared with
    /// `ensure: absent` are ignored. `createdb` alone is only hygiene, reported as a warning
    /// (at most); the others are errors. The message names the privilege.
    ///
    /// ## Why is this bad?
    /// On a shared cluster every app's role should own its database and nothing else. A
    /// `superuser` app role can read and drop every other app's data and run programs on the
    /// database server (`COPY … FROM PROGRAM`); `bypassrls` skips row-level security,
    /// `createrole` can create a superuser-equivalent role and grant itself other roles,
    /// `replication` can stream the whole cluster's WAL, and `createdb` lets a compromised app
    /// fill the disk with databases. A leaked app password then compromises all apps.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       login: true
    ///       superuser: true
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
    ///       superuser: false
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Set the privilege to `false` (or remove it: CNPG's default is `false`); the role owns
    /// its Database, which is all an app needs. If a role really needs it (an admin or
    /// migration role), add its name to `privileged_roles` in the configuration.
    pub struct RolePrivileged {
        id: "role-privileged",
        group: "privileges",
        level: Error,
        summary: "a role has superuser, createdb, createrole, replication or bypassrls set true",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut roles: Vec<(&Role, String)> = Vec::new();
    for (id, cluster) in cx.index.clusters() {
        let name = cx.index.object(id).name().unwrap_or("<unnamed>");
        for role in &cluster.roles {
            roles.push((role, format!("in `spec.managed.roles` of cluster `{name}`")));
        }
    }
    for (_, db_role) in cx.index.database_roles() {
        roles.push((&db_role.role, "declared by a DatabaseRole".to_string()));
    }
    for (role, place) in roles {
        if role.is_absent() {
            continue;
        }
        let name = role.name_str().unwrap_or("<unnamed>");
        if is_unknowable(name) || cx.config.privileged_roles.iter().any(|r| r == name) {
            continue;
        }
        for (field, value) in role.privileges() {
            out.push(privileged(value.loc, name, field, &place).field(cx.project, role.field(field)));
        }
    }
}

fn privileged(loc: Loc, name: &str, field: &str, place: &str) -> Finding {
    let finding = Finding::new(loc, format!("role `{name}` {place} has `{field}: true`"))
        .label(why(field))
        .help(format!(
            "set `{field}: false` (an app role only needs to own its database), or add `{name}` to `privileged_roles` in the configuration"
        ));
    // Creating databases is hygiene, not a way to read other apps' data.
    if field == "createdb" {
        finding.at_most(Severity::Warning)
    } else {
        finding
    }
}

/// What the privilege lets a leaked password do.
fn why(field: &str) -> &'static str {
    match field {
        "superuser" => "bypasses every permission check on the cluster",
        "createdb" => "may create databases",
        "createrole" => "may create roles and grant itself others",
        "replication" => "may stream the whole cluster's WAL",
        "bypassrls" => "bypasses row-level security",
        _ => "privileged",
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::config::Config;
    use crate::rules::testing::{run, run_with};

    const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  managed:\n    roles:\n      - name: admin\n        superuser: true\n        bypassrls: true\n        createdb: false\n      - name: old\n        ensure: absent\n        superuser: true\n";
    const DB_ROLE: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: DatabaseRole\nmetadata:\n  name: backup\nspec:\n  name: backup\n  replication: true\n  cluster:\n    name: pg\n";

    #[test]
    fn reports_each_privilege_of_present_roles() {
        let findings = run(
            &[("db/cluster.yaml", CLUSTER), ("db/role.yaml", DB_ROLE)],
            check,
        );
        assert_eq!(
            findings,
            [
                "db/cluster.yaml:10:20 role `admin` in `spec.managed.roles` of cluster `pg` has `bypassrls: true`",
                "db/cluster.yaml:9:20 role `admin` in `spec.managed.roles` of cluster `pg` has `superuser: true`",
                "db/role.yaml:7:16 role `backup` declared by a DatabaseRole has `replication: true`",
            ]
        );
    }

    #[test]
    fn the_allow_list_is_honoured() {
        let config = Config {
            privileged_roles: vec!["admin".into(), "backup".into()],
            ..Config::default()
        };
        let findings = run_with(
            &config,
            &[("db/cluster.yaml", CLUSTER), ("db/role.yaml", DB_ROLE)],
            check,
        );
        assert_eq!(findings, Vec::<String>::new());
    }

    #[test]
    fn createdb_alone_is_a_warning() {
        use crate::diagnostic::Severity;
        let cluster = CLUSTER.replace("createdb: false", "createdb: true");
        let config = Config::default();
        let project = crate::project::Project::from_texts(&[("c.yaml", &cluster)], &config);
        let severities: Vec<(String, Severity)> = crate::engine::lint::lint(&project, &config)
            .into_iter()
            .filter(|d| d.rule == crate::rules::RuleId::RolePrivileged)
            .map(|d| (d.finding.message, d.severity))
            .collect();
        assert_eq!(
            severities,
            [
                (
                    "role `admin` in `spec.managed.roles` of cluster `pg` has `superuser: true`".into(),
                    Severity::Error
                ),
                (
                    "role `admin` in `spec.managed.roles` of cluster `pg` has `bypassrls: true`".into(),
                    Severity::Error
                ),
                (
                    "role `admin` in `spec.managed.roles` of cluster `pg` has `createdb: true`".into(),
                    Severity::Warning
                ),
            ]
        );
    }
}
