use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct NameInvalid {
        id: "name-invalid",
        group: "names",
        level: Error,
        summary: "a role or database name is empty or longer than 63 bytes",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
