use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct DatabaseDuplicate {
        id: "database-duplicate",
        group: "references",
        level: Error,
        summary: "two Databases create the same database",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
