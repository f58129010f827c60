use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct RolePrivileged {
        id: "role-privileged",
        group: "privileges",
        level: Error,
        summary: "a managed role has superuser, createdb, createrole, replication or bypassrls set true",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
