use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct ReloadLabel {
        id: "reload-label",
        group: "hygiene",
        level: Off,
        summary: "a credentials secret lacks the cnpg.io/reload label",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
