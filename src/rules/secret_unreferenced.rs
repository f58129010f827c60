use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SecretUnreferenced {
        id: "secret-unreferenced",
        group: "references",
        level: Warning,
        summary: "a credentials secret in the SOP folder is named by no role",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
