use crate::diagnostic::Finding;
use crate::model::{Role, Spec, closest, is_unknowable};
use crate::index::InstanceId;
use crate::rules::Context;
use crate::source::Spanned;

declare_rule! {
    /// ## What it does
    /// Checks that every role a managed role (or a `DatabaseRole`) names in `inRoles` exists
    /// on its cluster: another entry of `spec.managed.roles`, a `DatabaseRole` of the
    /// cluster, the bootstrap owner (`bootstrap.initdb.owner`, default `app`), one of
    /// PostgreSQL's built-in `pg_*` roles (`pg_monitor`, `pg_read_all_data`, …) or a role of
    /// the operator (`postgres`, `streaming_replica`, `cnpg_*`). A cluster restored or cloned
    /// from another one (`recovery`, `pg_basebackup`), importing one (`initdb.import`) or
    /// running SQL from ConfigMaps or Secrets (`postInit*SQLRefs`) may hold roles the
    /// repository does not show: its `inRoles` are not judged; nor is a name that the
    /// cluster's inline `postInit*SQL` mentions.
    ///
    /// ## Why is this bad?
    /// CNPG creates a role with one statement, `CREATE ROLE "x" … IN ROLE "a","b"`
    /// (`Create` and `appendInRoleOptions` in
    /// `internal/management/controller/roles/postgres.go`), and changes an existing role's
    /// memberships with `GRANT`s in one transaction (`UpdateMembership`, same file). One
    /// `inRoles` entry that names no role makes the whole statement fail with `role "…" does
    /// not exist` (SQLSTATE 42704, which `parseRoleError` in `roles/postgres_errors.go` files
    /// under `status.managedRolesStatus.cannotReconcile`): the role is never created, and
    /// every Database it owns fails in turn. A typo in a group role's name, or a group role
    /// that was never declared, is the usual cause.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_owner
    ///       login: false
    ///     - name: gitea_user
    ///       login: true
    ///       inRoles:
    ///         - gitea_owners     # no such role
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_owner
    ///       login: false
    ///     - name: gitea_user
    ///       login: true
    ///       inRoles:
    ///         - gitea_owner
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Correct the name, or declare the group role in the cluster's `spec.managed.roles`
    /// (without `login`, for a group), or remove the entry from `inRoles`.
    pub struct RoleInRolesMissing {
        id: "role-in-roles-missing",
        group: "references",
        level: Error,
        summary: "a role's inRoles names a role that does not exist on its cluster",
        check: check,
    }
}

/// Roles every cluster has: PostgreSQL's built-in `pg_*` roles and the operator's.
fn built_in(name: &str) -> bool {
    name.starts_with("pg_")
        || name.starts_with("cnpg_")
        || name == "postgres"
        || name == "streaming_replica"
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (cluster, spec) in cx.index.clusters() {
        for role in &spec.roles {
            check_role(cx, cluster, &[cluster], role, out);
        }
    }
    for (id, db_role) in cx.index.database_roles() {
        let Some(cluster_name) = db_role.cluster.as_ref().map(|c| c.as_str()) else {
            continue;
        };
        if is_unknowable(cluster_name) {
            continue;
        }
        // A cluster the repository does not declare has no roles to compare `inRoles` with
        // (`cluster_of` is empty; see `cluster-missing`).
        let clusters = cx.index.cluster_of(id, cluster_name);
        check_role(cx, id, &clusters, &db_role.role, out);
    }
}

/// Checks the `inRoles` of `role`, declared by the instance `declared_by`, on `clusters`
/// (any one of which may be the one it lands on).
fn check_role(
    cx: &Context<'_>,
    declared_by: InstanceId,
    clusters: &[InstanceId],
    role: &Role,
    out: &mut Vec<Finding>,
) {
    // A role being dropped is not granted anything.
    if role.is_absent() || clusters.is_empty() {
        return;
    }
    for parent in &role.in_roles {
        let name = parent.as_str();
        if is_unknowable(name) || built_in(name) || exists(cx, clusters, name) {
            continue;
        }
        out.push(finding(cx, declared_by, clusters[0], role, parent));
    }
}

/// Does the role `name` exist, or may it, on one of the clusters?
fn exists(cx: &Context<'_>, clusters: &[InstanceId], name: &str) -> bool {
    clusters.iter().any(|&cluster| {
        let obj = cx.index.object(cluster);
        let Spec::Cluster(spec) = &obj.spec else {
            return true;
        };
        let lowercase = name.to_lowercase();
        cx.index.find_role(cluster, name).is_some()
            || spec.bootstrap.other_roles_unknown
            || spec
                .bootstrap
                .sql
                .iter()
                .any(|sql| sql.to_lowercase().contains(&lowercase))
            // A DatabaseRole that a Helm chart or remote base deploys may declare it.
            || cx.deploy().may_hide_objects(obj.namespace_str())
    })
}

fn finding(
    cx: &Context<'_>,
    declared_by: InstanceId,
    cluster: InstanceId,
    role: &Role,
    parent: &Spanned<String>,
) -> Finding {
    let cluster_obj = cx.index.object(cluster);
    let cluster_name = cluster_obj.name().unwrap_or("<unnamed>");
    let role_name = role.name_str().unwrap_or("<unnamed>");
    let mut finding = Finding::new(
        parent.loc,
        format!(
            "role `{role_name}` is to be a member of `{}`, which is no role of cluster `{cluster_name}`",
            parent.value
        ),
    )
    .field(cx.project, {
        let index = role.in_roles.iter().position(|r| r.loc == parent.loc);
        role.field(&format!("inRoles[{}]", index.unwrap_or(0)))
    })
    .label("no such role")
    .in_deployment(cx.deployment_of(declared_by));
    let names: Vec<&str> = cx
        .index
        .role_names(cluster)
        .into_iter()
        .filter(|n| *n != role_name)
        .collect();
    let suggestion = closest(parent.as_str(), names.iter().copied());
    let declared = suggestion.and_then(|s| match cx.index.find_role(cluster, s) {
        Some(origin) => origin.role().and_then(|r| r.name.as_ref()).map(|n| n.loc),
        None => None,
    });
    finding = match suggestion {
        Some(s) => finding.help(format!(
            "did you mean `{s}`? CNPG's `CREATE ROLE … IN ROLE` fails on a role that does not \
             exist, and `{role_name}` is never created"
        )),
        None => finding.help(format!(
            "declare role `{}` in `spec.managed.roles` of `{cluster_name}` (a group role needs \
             no `login`), or remove it from `inRoles`: CNPG's `CREATE ROLE … IN ROLE` fails on \
             a role that does not exist, and `{role_name}` is never created",
            parent.value
        )),
    };
    match (suggestion, declared) {
        (Some(s), Some(loc)) => finding.related(loc, format!("`{s}` is declared here")),
        _ => {
            let roles_loc = match &cluster_obj.spec {
                Spec::Cluster(spec) => spec.roles_loc,
                _ => None,
            };
            finding.related(
                roles_loc.unwrap_or_else(|| cluster_obj.anchor()),
                format!("roles of `{cluster_name}` are declared here"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE_ROLE, messages as run};

    fn with_in_roles(roles: &[&str]) -> String {
        let list: String = roles.iter().map(|r| format!("          - {r}\n")).collect();
        CLUSTER.replace(
            "        login: true\n",
            &format!("        login: true\n        inRoles:\n{list}"),
        ) + "      - name: gitea_owner\n"
    }

    #[test]
    fn existing_and_built_in_roles_pass() {
        let cluster = with_in_roles(&["gitea_owner", "pg_monitor", "app", "wiki_user", "${GROUP}"]);
        assert!(run(&[("c.yaml", &cluster), ("r.yaml", DATABASE_ROLE)], check).is_empty());
    }

    #[test]
    fn a_role_that_exists_nowhere_is_reported() {
        let cluster = with_in_roles(&["gitea_owners", "readers"]);
        assert_eq!(
            run(&[("c.yaml", &cluster)], check),
            [
                "role `gitea_user` is to be a member of `gitea_owners`, which is no role of cluster `pg`",
                "role `gitea_user` is to be a member of `readers`, which is no role of cluster `pg`",
            ]
        );
        // A DatabaseRole's too.
        let db_role = DATABASE_ROLE.to_string() + "  inRoles:\n    - readers\n";
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("r.yaml", &db_role)], check),
            ["role `wiki_user` is to be a member of `readers`, which is no role of cluster `pg`"]
        );
    }

    #[test]
    fn roles_the_bootstrap_may_create_are_not_judged() {
        let cluster = with_in_roles(&["readers"]);
        let sql = cluster.replace(
            "spec:\n",
            "spec:\n  bootstrap:\n    initdb:\n      postInitSQL:\n        - CREATE ROLE readers NOLOGIN\n",
        );
        assert!(run(&[("c.yaml", &sql)], check).is_empty());
        let restored = cluster.replace(
            "spec:\n",
            "spec:\n  bootstrap:\n    recovery:\n      source: old\n",
        );
        assert!(run(&[("c.yaml", &restored)], check).is_empty());
        let refs = cluster.replace(
            "spec:\n",
            "spec:\n  bootstrap:\n    initdb:\n      postInitSQLRefs:\n        configMapRefs:\n          - name: roles\n            key: roles.sql\n",
        );
        assert!(run(&[("c.yaml", &refs)], check).is_empty());
    }
}
