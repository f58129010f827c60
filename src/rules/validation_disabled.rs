use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ValidationDisabled {
        id: "validation-disabled",
        group: "hygiene",
        level: Warning,
        summary: "a CNPG object has cnpg.io/validation: disabled",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
