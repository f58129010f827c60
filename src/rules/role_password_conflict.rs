use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct RolePasswordConflict {
        id: "role-password-conflict",
        group: "references",
        level: Error,
        summary: "a role sets both disablePassword: true and passwordSecret",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
