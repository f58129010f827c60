use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct RoleSecretMissing {
        id: "role-secret-missing",
        group: "references",
        level: Error,
        summary: "a role's passwordSecret.name has no Secret/SealedSecret in the Cluster's namespace",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
