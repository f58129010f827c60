use crate::diagnostic::Finding;
use crate::model::NameKind;
use crate::model::names::reserved;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks role and database names against the names PostgreSQL and CNPG keep for
    /// themselves. A role (`spec.managed.roles[].name`, a `DatabaseRole`'s `spec.name`) must
    /// not be `postgres` or `streaming_replica` or start with `pg_` or `cnpg_`; a database
    /// (`Database.spec.name`) must not be `postgres`, `template0` or `template1`. The check is
    /// case-sensitive, like CNPG's.
    ///
    /// ## Why is this bad?
    /// CNPG's webhook rejects a Cluster with a reserved role name ("This role is reserved for
    /// operator use"), so the whole Cluster cannot be applied; the `DatabaseRole` and
    /// `Database` CRDs reject reserved names outright ("the name postgres is reserved"). Even
    /// where nothing rejects it, an app must not own the superuser, the replication user or
    /// the template databases: a shared cluster's other tenants depend on them.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: pg_monitor        # a PostgreSQL built-in role
    ///       login: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: grafana_user
    ///       login: true
    ///       inRoles:
    ///         - pg_monitor          # built-in roles are granted, not declared
    ///       passwordSecret:
    ///         name: grafana-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Name app roles `<app>_user` and databases `<app>`. To give a role the rights of a
    /// built-in `pg_*` role, list it in `inRoles`.
    pub struct NameReserved {
        id: "name-reserved",
        group: "names",
        level: Error,
        summary: "a role or database name is reserved by PostgreSQL or CNPG",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (kind, name) in cx.index.declared_names() {
        let Some(why) = reserved(kind, name.as_str()) else {
            continue;
        };
        let rejected_by = match kind {
            NameKind::ManagedRole => "CNPG's webhook rejects the whole Cluster",
            NameKind::DatabaseRole => "the DatabaseRole CRD rejects it",
            NameKind::Database => "the Database CRD rejects it",
        };
        let help = if kind != NameKind::Database && name.as_str().starts_with("pg_") {
            format!(
                "{rejected_by}; to grant its rights, add `{}` to `inRoles` of an app role",
                name.value
            )
        } else {
            format!(
                "{rejected_by}; choose an app-specific name such as `<app>{}`",
                if kind == NameKind::Database {
                    ""
                } else {
                    "_user"
                }
            )
        };
        out.push(
            Finding::new(
                name.loc,
                format!("{} name `{}` is reserved ({why})", kind.noun(), name.value),
            )
            .field(cx.project, kind.field_path(name.as_str()))
            .label("reserved name")
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, messages as run};

    #[test]
    fn declarations_not_references() {
        let reserved = CLUSTER.replace("- name: gitea_user", "- name: postgres");
        assert_eq!(
            run(&[("c.yaml", &reserved)], check),
            ["role name `postgres` is reserved (the superuser)"]
        );
        // `inRoles` grants built-in roles; a Database's owner is a reference.
        let granted = CLUSTER.replace("login: true", "login: true\n        inRoles: [pg_monitor]");
        let database = "apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: x
spec:
  name: x
  owner: postgres
  cluster:
    name: pg
";
        assert!(run(&[("c.yaml", &granted), ("d.yaml", database)], check).is_empty());
        let templated = CLUSTER.replace("- name: gitea_user", "- name: pg_${APP}");
        assert!(run(&[("c.yaml", &templated)], check).is_empty());
    }
}
