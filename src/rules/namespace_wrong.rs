use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct NamespaceWrong {
        id: "namespace-wrong",
        group: "references",
        level: Error,
        summary: "it is not in the configured namespace",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
