use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct RoleNoPassword {
        id: "role-no-password",
        group: "references",
        level: Warning,
        summary: "a login: true role has neither passwordSecret nor disablePassword",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
