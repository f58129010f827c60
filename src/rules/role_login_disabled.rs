use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct RoleLoginDisabled {
        id: "role-login-disabled",
        group: "privileges",
        level: Error,
        summary: "a Database's owner role lacks login: true",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
