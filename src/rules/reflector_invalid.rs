use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ReflectorInvalid {
        id: "reflector-invalid",
        group: "reflector",
        level: Error,
        summary: "reflection-allowed/reflection-auto-enabled is not 'true', or a namespace entry is empty or not a valid pattern",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
