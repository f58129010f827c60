use crate::diagnostic::Finding;
use crate::model::{closest, is_unknowable};
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
    for (id, database) in cx.index.databases() {
        let (Some(owner), Some(cluster_name)) = (&database.owner, &database.cluster) else {
            continue;
        };
        if is_unknowable(owner.as_str()) || is_unknowable(cluster_name.as_str()) {
            continue;
        }
        let clusters = cx.index.cluster_of(id, cluster_name.as_str());
        // With no such cluster, `cluster-missing` reports the Database instead.
        let Some(&cluster) = clusters.first() else { continue };
        if clusters.iter().any(|&c| cx.index.find_role(c, owner.as_str()).is_some()) {
            continue;
        }
        let cluster_obj = cx.index.object(cluster);
        let roles = cx.index.role_names(cluster);
        let mut finding = Finding::new(
            owner.loc,
            format!(
                "Database owner `{}` is not a role of cluster `{}`",
                owner.value, cluster_name.value
            ),
        )
        .label("no such role")
        .help_opt(closest(owner.as_str(), roles.iter().copied()).map(|r| format!("did you mean `{r}`?")));
        if finding.help.is_none() {
            finding = finding.help(format!(
                "add a role `{}` with `login: true` to `spec.managed.roles` of `{}`, or use one of: {}",
                owner.value,
                cluster_name.value,
                roles.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        if let crate::model::Spec::Cluster(spec) = &cluster_obj.spec {
            let loc = spec.roles_loc.unwrap_or_else(|| cluster_obj.anchor());
            finding = finding.related(loc, format!("roles of {} are declared here", cluster_name.value));
        }
        out.push(finding);
    }
}
