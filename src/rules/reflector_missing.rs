use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ReflectorMissing {
        id: "reflector-missing",
        group: "reflector",
        level: Error,
        summary: "a credentials secret lacks reflection-allowed, reflection-auto-enabled or reflection-allowed-namespaces",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
