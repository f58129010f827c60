use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct DatabaseReclaimDelete {
        id: "database-reclaim-delete",
        group: "hygiene",
        level: Warning,
        summary: "a Database has databaseReclaimPolicy: delete or ensure: absent",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
