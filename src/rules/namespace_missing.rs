use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct NamespaceMissing {
        id: "namespace-missing",
        group: "references",
        level: Error,
        summary: "an SOP object in the SOP folder has no metadata.namespace",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
