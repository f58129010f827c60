use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SyncWavePlacement {
        id: "sync-wave-placement",
        group: "waves",
        level: Warning,
        summary: "a SealedSecret's template carries a wave other than its own effective wave: it orders nothing",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
