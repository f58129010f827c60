use crate::diagnostic::Finding;
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// With `check --base REF`: reports a CloudNativePG Cluster whose name or namespace this
    /// change changes (a Cluster removed from a file that now holds one with another
    /// identity).
    ///
    /// ## Why is this bad?
    /// A Kubernetes object is identified by its namespace and name: a renamed Cluster is a
    /// new object. CloudNativePG bootstraps a new, empty cluster (new volumes, new `initdb`),
    /// and Argo CD prunes the old Cluster, whose PersistentVolumeClaims go with it (the
    /// operator sets the Cluster as their owner; `docs/src/storage.md`). Every Database and
    /// role then points at an empty cluster.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   name: postgres-main   # was: postgres-shared
    /// ```
    ///
    /// ## Use instead
    /// Keep the Cluster's name and namespace. To move, create the new cluster with
    /// `bootstrap.pg_basebackup` or `bootstrap.recovery` from the old one, then switch over.
    /// ```yaml
    /// metadata:
    ///   name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Revert the name and namespace, or plan the migration.
    pub struct ClusterRenamed {
        id: "cluster-renamed",
        group: "change",
        level: Error,
        summary: "a change renames or moves a Cluster, which makes a new, empty cluster",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = &cx.base else {
        return;
    };
    for (_, obj) in cx.objects() {
        if !matches!(obj.spec, Spec::Cluster(_)) || base.existed(obj) {
            continue;
        }
        let path = cx.path(obj);
        let Some(old) = cx.base_objects().find(|old| {
            matches!(old.spec, Spec::Cluster(_))
                && !base.kept(old)
                && base.project.path(old.file) == path
        }) else {
            continue;
        };
        let (old_ns, new_ns) = (
            old.namespace_str().unwrap_or("(default)"),
            obj.namespace_str().unwrap_or("(default)"),
        );
        let (loc, field, what) = if old.name() != obj.name() {
            (
                obj.meta.name.as_ref().map_or(obj.anchor(), |n| n.loc),
                "metadata.name",
                format!("renamed from `{}`", old.name().unwrap_or("?")),
            )
        } else {
            (
                obj.namespace().map_or(obj.anchor(), |n| n.loc),
                "metadata.namespace",
                format!("moved from namespace `{old_ns}` to `{new_ns}`"),
            )
        };
        let old_loc = old.meta.name.as_ref().map_or(old.anchor(), |n| n.loc);
        out.push(
            Finding::new(
                loc,
                format!(
                    "{} is {what}: that is a new, empty cluster; the old one is pruned with its volumes and data",
                    obj.display_name()
                ),
            )
            .field(cx.project, field)
            .label("a new cluster")
            .help("keep the name and namespace, or migrate with `bootstrap.pg_basebackup`/`recovery` from the old cluster")
            .related(
                cx.base_loc(old_loc),
                format!("{}/{} at {}", old_ns, old.name().unwrap_or("?"), base.reference),
            ),
        );
    }
}
