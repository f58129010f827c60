use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct RoleSecretKeys {
        id: "role-secret-keys",
        group: "references",
        level: Error,
        summary: "that secret lacks a username or password key",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
