use crate::diagnostic::Finding;
use crate::hash::HashMap;
use crate::model::{Spec, is_unknowable};
use crate::index::InstanceId;
use crate::rules::Context;
use crate::source::Spanned;

declare_rule! {
    /// ## What it does
    /// Checks that a role name is declared once per cluster: twice in one Cluster's
    /// `spec.managed.roles`, in a `DatabaseRole` that a managed role of its cluster already
    /// declares, or in two `DatabaseRole`s of the same cluster. Points at the later
    /// declaration, with a related label at the first.
    ///
    /// ## Why is this bad?
    /// CNPG's admission webhook rejects a Cluster whose `managed.roles` repeats a name ("Role
    /// name is duplicate of another"): Argo CD cannot apply the Cluster at all, so no change
    /// to it (new roles, resources, upgrades) reaches the cluster. A `DatabaseRole` whose name
    /// is also a managed role is never applied: "the Cluster specification always takes
    /// precedence" and the DatabaseRole stays `applied: false` ("database role is already
    /// managed by the CNPG cluster"). Two `DatabaseRole`s for one role fight like duplicate
    /// Databases: whichever reconciles first wins.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       login: true
    ///       passwordSecret:
    ///         name: gitea-db-creds
    ///     - name: gitea_user       # copy-pasted for a new app and not renamed
    ///       login: true
    ///       passwordSecret:
    ///         name: forgejo-db-creds
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
    ///     - name: forgejo_user
    ///       login: true
    ///       passwordSecret:
    ///         name: forgejo-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Give each app its own role, or remove the second declaration. Declare a role either in
    /// `spec.managed.roles` or as a `DatabaseRole`, not both.
    pub struct RoleDuplicate {
        id: "role-duplicate",
        group: "references",
        level: Error,
        summary: "a role name is declared twice for one cluster",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut clusters: Vec<InstanceId> = cx.index.clusters().map(|(id, _)| id).collect();
    clusters.sort_unstable();
    for &cluster_id in &clusters {
        let cluster_obj = cx.index.object(cluster_id);
        let Spec::Cluster(cluster) = &cluster_obj.spec else {
            continue;
        };
        let cluster_name = cluster_obj.name().unwrap_or("<unnamed>");
        let mut first: HashMap<&str, &Spanned<String>> = HashMap::default();
        for role in &cluster.roles {
            let Some(name) = &role.name else { continue };
            if is_unknowable(name.as_str()) {
                continue;
            }
            match first.get(name.as_str()) {
                Some(earlier) => out.push(
                    Finding::new(
                        name.loc,
                        format!(
                            "role `{}` is declared twice in cluster `{cluster_name}`",
                            name.value
                        ),
                    )
                    .field(cx.project, role.field("name"))
                    .label("second declaration")
                    .help(
                        "CNPG's webhook rejects the whole Cluster (\"Role name is duplicate of \
                         another\"): remove this entry or give it its own name",
                    )
                    .related(
                        earlier.loc,
                        format!("`{}` is first declared here", name.value),
                    ),
                ),
                None => {
                    first.insert(name.as_str(), name);
                }
            }
        }
    }

    // DatabaseRoles: against the managed roles of their cluster, then against each other.
    let mut reported = Vec::new();
    for &cluster_id in &clusters {
        let cluster_obj = cx.index.object(cluster_id);
        let Spec::Cluster(cluster) = &cluster_obj.spec else {
            continue;
        };
        let cluster_name = cluster_obj.name().unwrap_or("<unnamed>");
        let mut db_roles: Vec<_> = cx.index.database_roles_of(cluster_id).collect();
        db_roles.sort_by_key(|(id, _)| *id);
        let mut first: HashMap<&str, (InstanceId, &Spanned<String>)> = HashMap::default();
        for (id, db_role) in db_roles {
            let Some(name) = &db_role.role.name else {
                continue;
            };
            if is_unknowable(name.as_str()) || reported.contains(&id) {
                continue;
            }
            if let Some(managed) = cluster.role(name.as_str()).and_then(|r| r.name.as_ref()) {
                reported.push(id);
                out.push(
                    Finding::new(
                        name.loc,
                        format!(
                            "DatabaseRole `{}` declares role `{}`, which cluster `{cluster_name}` already manages",
                            cx.index.object(id).name().unwrap_or("<unnamed>"),
                            name.value
                        ),
                    )
                    .field(cx.project, db_role.role.field("name"))
                    .label("never applied")
                    .help(
                        "the Cluster's `spec.managed.roles` takes precedence and this DatabaseRole \
                         stays `applied: false`: remove one of the two declarations",
                    )
                    .related(managed.loc, format!("`{}` is managed by the Cluster here", name.value)),
                );
                continue;
            }
            match first
                .get(name.as_str())
                .filter(|(other, _)| cx.index.applied_together(*other, id))
            {
                Some((_, earlier)) => {
                    reported.push(id);
                    out.push(
                        Finding::new(
                            name.loc,
                            format!(
                                "role `{}` is declared by two DatabaseRoles of cluster `{cluster_name}`",
                                name.value
                            ),
                        )
                        .field(cx.project, db_role.role.field("name"))
                        .label("second declaration")
                        .help("only one of them will be applied: remove one")
                        .related(earlier.loc, format!("`{}` is first declared here", name.value)),
                    );
                }
                None => {
                    first.entry(name.as_str()).or_insert((id, name));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE_ROLE as ROLE, messages as run};

    #[test]
    fn managed_twice() {
        let twice = CLUSTER.to_string() + "      - name: gitea_user\n";
        assert_eq!(
            run(&[("c.yaml", &twice)], check),
            ["role `gitea_user` is declared twice in cluster `pg`"]
        );
    }

    #[test]
    fn database_roles() {
        assert!(run(&[("c.yaml", CLUSTER), ("r.yaml", ROLE)], check).is_empty());
        let managed = ROLE.replace("wiki_user", "gitea_user");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("r.yaml", &managed)], check),
            ["DatabaseRole `wiki` declares role `gitea_user`, which cluster `pg` already manages"]
        );
        let second = ROLE.replace("name: wiki\n", "name: wiki2\n");
        assert_eq!(
            run(
                &[("c.yaml", CLUSTER), ("r.yaml", ROLE), ("r2.yaml", &second)],
                check
            ),
            ["role `wiki_user` is declared by two DatabaseRoles of cluster `pg`"]
        );
        // One per overlay.
        assert!(
            run(
                &[
                    ("c.yaml", CLUSTER),
                    ("dev/r.yaml", ROLE),
                    ("live/r.yaml", ROLE)
                ],
                check
            )
            .is_empty()
        );
    }
}
