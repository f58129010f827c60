use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct RoleDuplicate {
        id: "role-duplicate",
        group: "references",
        level: Error,
        summary: "a role name appears twice in one Cluster",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
