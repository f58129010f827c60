use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ManifestInvalid {
        id: "manifest-invalid",
        group: "parsing",
        level: Error,
        summary: "an SOP object lacks apiVersion/kind/metadata.name, a field pglint reads has the wrong type, or a Database.spec, Cluster.spec.managed.roles[] or SealedSecret.spec field is unknown to the CRD",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
