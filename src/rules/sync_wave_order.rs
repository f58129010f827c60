use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SyncWaveOrder {
        id: "sync-wave-order",
        group: "waves",
        level: Error,
        summary: "along a chain the effective waves do not strictly increase, wherever at least one object of the chain sets a wave",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
