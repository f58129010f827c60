use crate::diagnostic::Finding;
use crate::index::{OwnerRef, RoleOrigin};
use crate::model::{Spec, closest};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that a `Database`'s `spec.owner` is a role of its cluster: an entry of the
    /// Cluster's `spec.managed.roles`, its bootstrap owner (`bootstrap.initdb.owner`, default
    /// `app`), or a `DatabaseRole` of that cluster. The match is exact and case-sensitive.
    ///
    /// ## Why is this bad?
    /// CNPG runs `CREATE DATABASE … OWNER "<owner>"` without checking the role first. With a
    /// missing role PostgreSQL answers `role "<owner>" does not exist`, the Database stays
    /// `applied: false` and retries every 30 seconds, and the app never gets its database.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_usr        # the Cluster declares `gitea_user`
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Use the exact role name from `spec.managed.roles` of the cluster, or add the role
    /// there (wave 1) before the Database (wave 2).
    pub struct OwnerRoleMissing {
        id: "owner-role-missing",
        group: "references",
        level: Error,
        summary: "a Database's owner is not a role of its cluster",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for OwnerRef {
        database_id,
        database,
        owner,
        cluster_name,
        clusters,
    } in cx.index.owner_refs()
    {
        // A Database being dropped (`ensure: absent`) does not use its owner: an app being
        // decommissioned may already have lost its role.
        if database.is_absent() {
            continue;
        }
        // With no such cluster, `cluster-missing` reports the Database instead.
        let Some(&cluster) = clusters.first() else {
            continue;
        };
        if clusters
            .iter()
            .any(|&c| cx.index.find_role(c, owner.as_str()).is_some())
        {
            continue;
        }
        // A DatabaseRole that a Helm chart or remote base deploys may declare it.
        if cx
            .deploy()
            .may_hide_objects(cx.index.object(cluster).namespace_str())
        {
            continue;
        }
        let cluster_obj = cx.index.object(cluster);
        let roles = cx.index.role_names(cluster);
        let suggestion = closest(owner.as_str(), roles.iter().copied());
        let message = format!(
            "Database owner `{}` is not a role of cluster `{}`",
            owner.value, cluster_name.value
        );
        let mut finding = Finding::new(owner.loc, message)
            .label("no such role")
            .rests_on_absence(&["Cluster", "DatabaseRole"])
            .in_deployment(cx.deployment_of(database_id));
        finding = match suggestion {
            Some(role) => finding.help(format!("did you mean `{role}`?")),
            None => finding.help(format!(
                "add a role `{}` with `login: true` to `spec.managed.roles` of `{}`, or use one of: {}",
                owner.value,
                cluster_name.value,
                roles.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
            )),
        };
        let declared = suggestion
            .and_then(|role| match cx.index.find_role(cluster, role) {
                Some(RoleOrigin::Managed(r) | RoleOrigin::DatabaseRole(_, r)) => {
                    r.name.as_ref().map(|n| n.loc)
                }
                _ => None,
            })
            .map(|loc| {
                (
                    loc,
                    format!("`{}` is declared here", suggestion.unwrap_or_default()),
                )
            });
        let (loc, label) = declared.unwrap_or_else(|| {
            let roles_loc = match &cluster_obj.spec {
                Spec::Cluster(spec) => spec.roles_loc,
                _ => None,
            };
            (
                roles_loc.unwrap_or_else(|| cluster_obj.anchor()),
                format!("roles of {} are declared here", cluster_name.value),
            )
        });
        finding = finding.related(loc, label);
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE, messages as run};

    #[test]
    fn a_missing_owner_is_reported_unless_the_database_is_being_dropped() {
        let typo = DATABASE.replace("owner: gitea_user", "owner: gone_user");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("d.yaml", &typo)], check),
            ["Database owner `gone_user` is not a role of cluster `pg`"]
        );
        let dropped = typo.replace("owner: gone_user", "owner: gone_user\n  ensure: absent");
        assert!(run(&[("c.yaml", CLUSTER), ("d.yaml", &dropped)], check).is_empty());
    }
}
