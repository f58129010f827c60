use crate::diagnostic::Finding;
use crate::index::{OwnerRef, RoleOrigin};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that the role a `Database` names in `spec.owner` is not declared with
    /// `ensure: absent` in its cluster (`spec.managed.roles`) or as a `DatabaseRole`. A
    /// Database that is itself `ensure: absent` may be owned by a role on its way out.
    ///
    /// ## Why is this bad?
    /// `ensure: absent` makes CNPG drop the role. PostgreSQL refuses to drop a role that owns
    /// a database (`2BP01`, dependent objects), so the role lands in
    /// `status.managedRolesStatus.cannotReconcile` and the Cluster reports an error on every
    /// reconciliation; on a fresh cluster the role never exists and the Database fails with
    /// `role … does not exist`. Either way the manifests contradict each other: the database
    /// is to stay, its owner is to go.
    ///
    /// ## Example
    /// ```yaml
    /// # Cluster
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       ensure: absent
    /// ---
    /// # Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # Cluster
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       ensure: present
    /// ---
    /// # Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    /// ```
    ///
    /// ## How to fix
    /// To keep the database, keep its owner: set `ensure: present`. To retire the app, set
    /// the Database to `ensure: absent` as well (or hand it to another owner) before the role
    /// is dropped.
    pub struct OwnerRoleAbsent {
        id: "owner-role-absent",
        group: "references",
        level: Error,
        summary: "a Database's owner role is declared with ensure: absent",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for OwnerRef {
        database,
        owner,
        cluster_name,
        clusters,
        ..
    } in cx.index.owner_refs()
    {
        // A database that is being dropped may keep a role that is being dropped.
        if database.is_absent() {
            continue;
        }
        let absent = clusters
            .iter()
            .find_map(|&c| match cx.index.find_role(c, owner.as_str()) {
                Some(RoleOrigin::Managed(role) | RoleOrigin::DatabaseRole(_, role))
                    if role.is_absent() =>
                {
                    Some((c, role))
                }
                _ => None,
            });
        let Some((cluster, role)) = absent else {
            continue;
        };
        let ensure = role.ensure.as_ref().expect("an absent role has `ensure`");
        out.push(
            Finding::new(
                owner.loc,
                format!(
                    "Database owner `{}` is declared with `ensure: absent` in cluster `{}`",
                    owner.value,
                    cx.index
                        .object(cluster)
                        .name()
                        .unwrap_or(cluster_name.as_str())
                ),
            )
            .field(cx.project, "spec.owner")
            .label("role to be dropped")
            .help(
                "PostgreSQL cannot drop a role that owns a database: set the role to \
                 `ensure: present`, or set this Database to `ensure: absent` too",
            )
            .related(
                ensure.loc,
                format!("`{}` is set to `absent` here", owner.value),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE, messages as run};

    #[test]
    fn absent_owner() {
        let absent = CLUSTER.replace("login: true", "login: true\n        ensure: absent");
        assert!(run(&[("c.yaml", CLUSTER), ("d.yaml", DATABASE)], check).is_empty());
        assert_eq!(
            run(&[("c.yaml", &absent), ("d.yaml", DATABASE)], check),
            ["Database owner `gitea_user` is declared with `ensure: absent` in cluster `pg`"]
        );
        // Both on their way out.
        let dropped = DATABASE.to_string() + "  ensure: absent\n";
        assert!(run(&[("c.yaml", &absent), ("d.yaml", &dropped)], check).is_empty());
    }
}
