use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ClusterMissing {
        id: "cluster-missing",
        group: "references",
        level: Error,
        summary: "Database.spec.cluster.name names no Cluster in the Database's namespace",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
