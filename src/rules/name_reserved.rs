use crate::diagnostic::Finding;
use crate::model::{Spec, is_unknowable};
use crate::rules::Context;
use crate::source::Spanned;

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

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameKind {
    /// A `spec.managed.roles[]` entry.
    ManagedRole,
    /// A `DatabaseRole`'s `spec.name`.
    DatabaseRole,
    /// A `Database`'s `spec.name`.
    Database,
}

impl NameKind {
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::ManagedRole | NameKind::DatabaseRole => "role",
            NameKind::Database => "database",
        }
    }
}

/// Every role and database name the repository declares (not references such as
/// `spec.owner`), in object order; templated names are left out.
pub(super) fn declared_names<'p>(cx: &Context<'p>) -> Vec<(NameKind, &'p Spanned<String>)> {
    let mut names = Vec::new();
    for (_, obj) in cx.objects() {
        match &obj.spec {
            Spec::Cluster(cluster) => {
                names.extend(
                    cluster
                        .roles
                        .iter()
                        .filter_map(|r| r.name.as_ref())
                        .map(|n| (NameKind::ManagedRole, n)),
                );
            }
            Spec::DatabaseRole(db_role) => names.extend(
                db_role
                    .role
                    .name
                    .as_ref()
                    .map(|n| (NameKind::DatabaseRole, n)),
            ),
            Spec::Database(database) => {
                names.extend(database.name.as_ref().map(|n| (NameKind::Database, n)))
            }
            _ => {}
        }
    }
    names.retain(|(_, n)| !is_unknowable(n.as_str()));
    names
}

/// Why a name is reserved, if it is.
pub(super) fn reserved(kind: NameKind, name: &str) -> Option<&'static str> {
    match kind {
        NameKind::ManagedRole | NameKind::DatabaseRole => match name {
            "postgres" => Some("the superuser"),
            "streaming_replica" => Some("CNPG's replication user"),
            _ if name.starts_with("pg_") => {
                Some("`pg_*` names belong to PostgreSQL's built-in roles")
            }
            _ if name.starts_with("cnpg_") => Some("`cnpg_*` names belong to the operator"),
            _ => None,
        },
        NameKind::Database => match name {
            "postgres" => Some("the maintenance database"),
            "template0" | "template1" => Some("a template database"),
            _ => None,
        },
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (kind, name) in declared_names(cx) {
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
            .label("reserved name")
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::role_secret_missing::support::{CLUSTER, run};

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

    use super::{NameKind, reserved};

    #[test]
    fn reserved_names_follow_cnpg() {
        for role in [
            "postgres",
            "streaming_replica",
            "pg_monitor",
            "cnpg_pooler_pgbouncer",
        ] {
            assert!(reserved(NameKind::ManagedRole, role).is_some(), "{role}");
        }
        for role in ["app", "Postgres", "pgadmin", "gitea_user", "template1"] {
            assert!(reserved(NameKind::DatabaseRole, role).is_none(), "{role}");
        }
        for db in ["postgres", "template0", "template1"] {
            assert!(reserved(NameKind::Database, db).is_some(), "{db}");
        }
        for db in ["app", "pg_data", "streaming_replica"] {
            assert!(reserved(NameKind::Database, db).is_none(), "{db}");
        }
    }
}
