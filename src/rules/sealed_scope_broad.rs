use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SealedScopeBroad {
        id: "sealed-scope-broad",
        group: "secrets",
        level: Warning,
        summary: "a credentials secret is sealed cluster-wide or namespace-wide",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
