use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SyncWaveMissing {
        id: "sync-wave-missing",
        group: "waves",
        level: Error,
        summary: "a Cluster or Database has no wave",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
