use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ReflectionTooBroad {
        id: "reflection-too-broad",
        group: "privileges",
        level: Warning,
        summary: "reflection-allowed-namespaces or reflection-auto-namespaces is a catch-all pattern",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
