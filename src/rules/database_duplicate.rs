use crate::diagnostic::{Finding, Subject};
use crate::hash::HashMap;
use crate::index::{same_namespace, InstanceId};
use crate::model::{Database, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that no two `Database` objects create the same PostgreSQL database (the same
    /// `spec.name` on the same cluster, in the same namespace), and that no two share
    /// `metadata.name` in one namespace. Points at the later one (by file order), with a
    /// related label at the first. Two objects of one name that one kustomization adds are
    /// the refusal `kustomize-build-refused` reports at the list entry: this rule yields to it
    /// there (its finding is listed on that one).
    ///
    /// ## Why is this bad?
    /// Two Databases for one PostgreSQL database conflict: CNPG lets whichever reconciles
    /// first manage it and marks the other `applied: false` ("… is already managed by object
    /// …"). Which one wins depends on timing, so owner, extensions and reclaim policy can
    /// flip between syncs, and deleting the "wrong" object with `databaseReclaimPolicy:
    /// delete` drops the database the other one still describes. Two objects with the same
    /// `metadata.name` are one Kubernetes object: kustomize refuses to build them together,
    /// or the second silently replaces the first.
    ///
    /// ## Example
    /// ```yaml
    /// # gitea-db.yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ---
    /// # forgejo-db.yaml, copied from gitea-db.yaml
    /// kind: Database
    /// metadata:
    ///   name: forgejo-db
    /// spec:
    ///   name: gitea
    ///   owner: forgejo_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # forgejo-db.yaml
    /// kind: Database
    /// metadata:
    ///   name: forgejo-db
    /// spec:
    ///   name: forgejo
    ///   owner: forgejo_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Give every app its own database name and its own Database object. To hand a database
    /// over to another object, delete the old object first (with the default
    /// `databaseReclaimPolicy: retain` the data stays).
    pub struct DatabaseDuplicate {
        id: "database-duplicate",
        group: "references",
        level: Error,
        summary: "two Databases create the same database on one cluster, or share a metadata.name",
        yields_to: [KustomizeBuildRefused],
        check: check,
    }
}

fn knowable(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !is_unknowable(t))
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut databases: Vec<(InstanceId, &Database)> = cx.index.databases().collect();
    databases.sort_by_key(|(id, _)| *id);
    // Earlier Databases by object name and by (cluster, database): only same-named candidates
    // are compared, so a repository with thousands of Databases stays linear.
    let mut by_name: HashMap<&str, Vec<(InstanceId, &Database)>> = HashMap::default();
    let mut by_database: HashMap<(&str, &str), Vec<(InstanceId, &Database)>> = HashMap::default();
    for &(id, database) in &databases {
        let obj = cx.index.object(id);
        let namespace = obj.namespace_str();
        let earlier_named = by_name
            .get(obj.name().unwrap_or(""))
            .cloned()
            .unwrap_or_default();
        let earlier_database = match (&database.cluster, &database.name) {
            (Some(c), Some(n)) => by_database
                .get(&(c.as_str(), n.as_str()))
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        if let Some(name) = obj.name() {
            by_name.entry(name).or_default().push((id, database));
        }
        if let (Some(c), Some(n)) = (&database.cluster, &database.name) {
            by_database
                .entry((c.as_str(), n.as_str()))
                .or_default()
                .push((id, database));
        }
        if namespace.is_some_and(is_unknowable) {
            continue;
        }
        let same_ns = |other: InstanceId| {
            let other_ns = cx.index.object(other).namespace_str();
            !other_ns.is_some_and(is_unknowable)
                && same_namespace(other_ns, namespace)
                && cx.index.applied_together(id, other)
        };

        // The same object twice.
        if let Some(name) = knowable(obj.name())
            && let Some(&(first, _)) = earlier_named
                .iter()
                .find(|(other, _)| same_ns(*other) && cx.index.object(*other).name() == Some(name))
        {
            let first_obj = cx.index.object(first);
            let message = format!(
                "two Database objects are named `{name}`{}",
                in_namespace(namespace)
            );
            let mut finding = Finding::new(obj.anchor(), message)
                .field(cx.project, obj.anchor_path())
                .label("second object")
                .help(
                    "Kubernetes keeps only one object per name: rename this one \
                     (`<app>-db`) or remove it",
                )
                .related(
                    first_obj.anchor(),
                    format!("Database `{name}` is first declared here"),
                );
            // Added twice to one build: kustomize refuses it at the list entry
            // (`kustomize-build-refused`), the one mistake to fix.
            let refused = [cx.index.instance(id).source, cx.index.instance(first).source]
                .into_iter()
                .flatten()
                .find_map(|source| cx.index.refused_as_duplicate(source));
            if let Some(at) = refused {
                finding = finding.caused_by(
                    at,
                    Subject::at(cx.project, at, ""),
                    format!("kustomize refuses to add Database `{name}` a second time here"),
                );
            }
            out.push(finding);
            continue;
        }

        // The same PostgreSQL database twice.
        let (Some(db_name), Some(cluster)) = (&database.name, &database.cluster) else {
            continue;
        };
        if is_unknowable(db_name.as_str()) || is_unknowable(cluster.as_str()) {
            continue;
        }
        let Some(&(first, first_db)) = earlier_database.iter().find(|(other, other_db)| {
            same_ns(*other)
                && other_db.cluster.as_ref().map(|c| c.as_str()) == Some(cluster.as_str())
                && other_db.name.as_ref().map(|n| n.as_str()) == Some(db_name.as_str())
        }) else {
            continue;
        };
        let first_obj = cx.index.object(first);
        let first_loc = first_db
            .name
            .as_ref()
            .map_or_else(|| first_obj.anchor(), |n| n.loc);
        out.push(
            Finding::new(
                db_name.loc,
                format!(
                    "Databases `{}` and `{}` both create database `{}` on cluster `{}`",
                    first_obj.name().unwrap_or("<unnamed>"),
                    obj.name().unwrap_or("<unnamed>"),
                    db_name.value,
                    cluster.value
                ),
            )
            .field(cx.project, "spec.name")
            .label("second definition")
            .help(
                "CNPG lets only the first reconciled object manage a database, the other stays \
                 `applied: false`: give this one its own `spec.name`, or remove it",
            )
            .related(
                first_loc,
                format!("database `{}` is first defined here", db_name.value),
            ),
        );
    }
}

fn in_namespace(namespace: Option<&str>) -> String {
    namespace.map_or_else(String::new, |ns| format!(" in namespace `{ns}`"))
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{DATABASE, messages as run};

    #[test]
    fn same_database_twice() {
        let copy = DATABASE.replace("name: gitea-db", "name: forgejo-db");
        assert_eq!(
            run(
                &[("a/gitea.yaml", DATABASE), ("a/forgejo.yaml", &copy)],
                check
            ),
            ["Databases `forgejo-db` and `gitea-db` both create database `gitea` on cluster `pg`"]
        );
        assert_eq!(
            run(
                &[("a/gitea.yaml", DATABASE), ("a/gitea2.yaml", DATABASE)],
                check
            ),
            ["two Database objects are named `gitea-db` in namespace `db`"]
        );
    }

    #[test]
    fn overlays_and_patches_are_not_duplicates() {
        let kustomization = |extra: &str| format!("resources:\n  - db.yaml\n{extra}");
        let files = [
            ("clusters/dev/db.yaml", DATABASE.to_string()),
            ("clusters/dev/kustomization.yaml", kustomization("")),
            ("clusters/live/db.yaml", DATABASE.to_string()),
            (
                "clusters/live/kustomization.yaml",
                kustomization("patches:\n  - path: patch.yaml\n"),
            ),
            ("clusters/live/patch.yaml", DATABASE.to_string()),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert!(run(&files, check).is_empty());
        // Another cluster or namespace is another database.
        let other = DATABASE.replace("name: pg", "name: pg2");
        assert!(
            run(
                &[
                    ("a/gitea.yaml", DATABASE),
                    ("a/other.yaml", &other.replace("gitea-db", "x"))
                ],
                check
            )
            .is_empty()
        );
    }
}
