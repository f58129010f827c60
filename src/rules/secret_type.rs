use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SecretType {
        id: "secret-type",
        group: "hygiene",
        level: Off,
        summary: "a credentials secret's type is not kubernetes.io/basic-auth",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
