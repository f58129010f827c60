use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ReflectorPlacement {
        id: "reflector-placement",
        group: "reflector",
        level: Error,
        summary: "Reflector annotations sit on a SealedSecret's own metadata instead of spec.template.metadata",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
