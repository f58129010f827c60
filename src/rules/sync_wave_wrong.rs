use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SyncWaveWrong {
        id: "sync-wave-wrong",
        group: "waves",
        level: Error,
        summary: "the effective wave differs from the configured wave for the kind",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
