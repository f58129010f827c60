use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct OwnerRoleAbsent {
        id: "owner-role-absent",
        group: "references",
        level: Error,
        summary: "the owner role is declared with ensure: absent",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
