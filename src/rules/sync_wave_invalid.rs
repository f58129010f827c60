use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SyncWaveInvalid {
        id: "sync-wave-invalid",
        group: "waves",
        level: Error,
        summary: "the value is not an integer string",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
