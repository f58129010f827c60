use crate::diagnostic::{Finding, Subject};
use crate::model::{is_unknowable, similar};
use crate::rules::Context;
use crate::source::{Loc, Spanned};

declare_rule! {
    /// ## What it does
    /// Checks that a `Database`'s `spec.cluster.name` names a CNPG `Cluster` in the
    /// Database's own namespace, as deployed (a kustomize `namespace:`, an Application's
    /// destination). The same holds for a `Pooler`, `Backup` or `ScheduledBackup`, which CNPG
    /// also looks up in their own namespace only. When the name is
    /// close to a Cluster that exists, it suggests it; when a Cluster of that name exists in
    /// another namespace, it points at it.
    ///
    /// ## Why is this bad?
    /// The Database is reconciled by the instance manager inside the cluster's pods, which
    /// only watches Databases in its own namespace whose `spec.cluster.name` is its cluster.
    /// A Database naming a cluster that does not exist, or living in another namespace, is
    /// never picked up: no database is created and the object never gets a status, so
    /// nothing tells you why the app cannot connect. `spec.cluster` has no namespace field
    /// and is immutable, so the Database has to be recreated once it is wrong.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   namespace: postgres
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shard   # the Cluster is `postgres-shared`
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   namespace: postgres
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Use the exact `metadata.name` of the Cluster, and put the Database in the Cluster's
    /// namespace. If the Database was already applied with the wrong cluster, delete and
    /// recreate it: `spec.cluster` cannot be changed in place.
    pub struct ClusterMissing {
        id: "cluster-missing",
        group: "references",
        level: Error,
        summary: "a Database's (Pooler's, backup's) spec.cluster.name names no Cluster in its namespace",
        fix: (Unsafe, "writes the one similar Cluster name in the reference"),
        // A deployment that renames the Cluster and its SealedSecrets is one mistake there;
        // under `--base`, so is the Cluster's rename.
        yields_to: [SealedSecretMoved, ClusterRenamed],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let databases = cx.index.databases().map(|(id, d)| (id, d.cluster.as_ref()));
    let users = cx.index.cluster_users().map(|(id, u)| (id, u.cluster.as_ref()));
    for (id, cluster_name) in databases.chain(users) {
        let Some(cluster_name) = cluster_name else {
            continue;
        };
        let obj = cx.index.object(id);
        let kind = obj.kind_str();
        let namespace = obj.namespace_str();
        if is_unknowable(cluster_name.as_str()) || namespace.is_some_and(is_unknowable) {
            continue;
        }
        if !cx.index.cluster_of(id, cluster_name.as_str()).is_empty() {
            continue;
        }
        let visible = cx.index.cluster_names(namespace);
        // A templated Cluster name in that namespace may well be this one, and so may a
        // Cluster that a Helm chart or remote base deploys there.
        if visible.iter().any(|n| is_unknowable(n)) || cx.deploy().may_hide_objects(namespace) {
            continue;
        }
        let where_ = namespace.map_or_else(
            || "the repository".to_string(),
            |ns| format!("namespace `{ns}`"),
        );
        let mut finding = Finding::new(
            cluster_name.loc,
            format!(
                "{kind} `{}` names cluster `{}`, but there is no such Cluster in {where_}",
                obj.name().unwrap_or("<unnamed>"),
                cluster_name.value
            ),
        )
        .field(cx.project, "spec.cluster.name")
        .label("no such Cluster")
        .rests_on_absence(&["Cluster"])
        .in_deployment(cx.deployment_of(id));
        let mut elsewhere: Vec<_> = cx
            .index
            .clusters()
            .map(|(cid, _)| cid)
            .filter(|&cid| cx.index.object(cid).name() == Some(cluster_name.as_str()))
            .collect();
        elsewhere.sort_unstable();
        // A namespace without any Cluster in the repository gets its clusters from elsewhere
        // (a Helm chart, another repository): nothing to check against.
        if elsewhere.is_empty() && visible.is_empty() {
            continue;
        }
        if let Some(other) = elsewhere.first().map(|&cid| cx.index.object(cid)) {
            let other_ns = other.namespace_str().unwrap_or("?");
            finding = finding
                .help(format!(
                    "Cluster `{}` is in namespace `{other_ns}`; CNPG only reconciles {kind}s in \
                     their cluster's namespace: move this {kind} to namespace `{other_ns}`",
                    cluster_name.value
                ))
                .related(
                    other
                        .meta
                        .namespace
                        .as_ref()
                        .map_or_else(|| other.anchor(), |n| n.loc),
                    format!(
                        "Cluster `{}` is in namespace `{other_ns}`",
                        cluster_name.value
                    ),
                );
            if let Some(override_) = &other.namespace_override {
                // The namespace the Cluster really lands in is set by its kustomization.
                if other.meta.namespace.as_ref().map(|n| n.as_str()) != Some(override_.as_str()) {
                    finding.related.last_mut().expect("just added").loc = override_.loc;
                }
            }
        } else if let Some(suggestion) = similar(cluster_name.as_str(), visible.iter().copied()) {
            finding = finding
                .help(format!("did you mean `{suggestion}`?"))
                .fix_opt(cx.rename_fix(cluster_name.loc, suggestion));
            let mut ids: Vec<_> = cx.index.clusters_named(suggestion, namespace);
            ids.sort_unstable();
            if let Some(&cid) = ids.first() {
                let cluster = cx.index.object(cid);
                finding = finding.related(
                    cluster.anchor(),
                    format!("Cluster `{suggestion}` is declared here"),
                );
            }
        } else if namespace.is_none() {
            // Where a Database without a namespace lands, and which clusters live there, is
            // decided outside the repository: only a near miss is clear evidence.
            continue;
        } else {
            finding = finding.help(format!(
                "Clusters in {where_}: {}",
                visible
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(cause) = cause(cx, cluster_name, namespace, &visible) {
            finding = finding.caused_by(cause.0, cause.1, cause.2);
        }
        out.push(finding);
    }
}

/// Where a name the Databases share stopped naming their Cluster, when that is one node:
/// the deployment that renamed the Cluster, or the only Cluster of the namespace, named
/// otherwise than the configured shared cluster its Databases name.
fn cause(
    cx: &Context<'_>,
    name: &Spanned<String>,
    namespace: Option<&str>,
    visible: &[&str],
) -> Option<(Loc, Subject, String)> {
    if let Some(renamed) = cx.index.renamed_from(&["Cluster"], name.as_str(), namespace) {
        return Some((
            renamed.at,
            Subject::at(cx.project, renamed.at, "metadata.name"),
            format!(
                "this renames Cluster `{}` to `{}`, so what names cluster `{}` finds none",
                name.value, renamed.name, name.value
            ),
        ));
    }
    let [only] = visible else {
        return None;
    };
    if name.value != cx.config.cluster {
        return None;
    }
    let cluster = cx.index.clusters_named(only, namespace).into_iter().min()?;
    let written = cx.index.object(cluster).meta.name.as_ref()?;
    Some((
        written.loc,
        Subject::field(cx.index.object(cluster), "metadata.name"),
        format!(
            "Cluster `{only}` is not named `{}`, the shared cluster's name its Databases use",
            name.value
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE, messages as run};

    #[test]
    fn finds_the_cluster() {
        assert!(run(&[("c.yaml", CLUSTER), ("d.yaml", DATABASE)], check).is_empty());
        // Cluster and Database set to one namespace by their kustomization.
        let kustomization = "resources:\n  - c.yaml\n  - d.yaml\nnamespace: other\n";
        assert!(
            run(
                &[
                    ("c.yaml", CLUSTER),
                    ("d.yaml", DATABASE),
                    ("kustomization.yaml", kustomization)
                ],
                check
            )
            .is_empty()
        );
    }

    #[test]
    fn reports_typos_and_other_namespaces() {
        let typo = DATABASE.replace("name: pg\n", "name: pgg\n");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("d.yaml", &typo)], check),
            [
                "Database `gitea-db` names cluster `pgg`, but there is no such Cluster in namespace `db`"
            ]
        );
        let moved = DATABASE.replace("namespace: db", "namespace: gitea");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("d.yaml", &moved)], check).len(),
            1
        );
    }

    #[test]
    fn stays_quiet_without_evidence() {
        // Templated names, and a namespace whose clusters the repository does not hold.
        let templated = DATABASE.replace("name: pg\n", "name: ${APP}-pg\n");
        assert!(run(&[("c.yaml", CLUSTER), ("d.yaml", &templated)], check).is_empty());
        let flux_cluster = CLUSTER.replace("name: pg\n", "name: ${APP}\n");
        assert!(run(&[("c.yaml", &flux_cluster), ("d.yaml", DATABASE)], check).is_empty());
        let elsewhere = DATABASE
            .replace("namespace: db", "namespace: apps")
            .replace("name: pg\n", "name: helm-pg\n");
        assert!(run(&[("c.yaml", CLUSTER), ("d.yaml", &elsewhere)], check).is_empty());
    }

    #[test]
    fn poolers_and_backups_need_their_cluster_too() {
        let pooler = "apiVersion: postgresql.cnpg.io/v1\nkind: Pooler\nmetadata:\n  name: pg-rw\n  namespace: db\nspec:\n  cluster:\n    name: pgg\n  type: rw\n";
        let backup = "apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: nightly\n  namespace: db\nspec:\n  schedule: \"0 0 0 * * *\"\n  cluster:\n    name: pg\n";
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("p.yaml", pooler), ("b.yaml", backup)], check),
            ["Pooler `pg-rw` names cluster `pgg`, but there is no such Cluster in namespace `db`"]
        );
    }
}
