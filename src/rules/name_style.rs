use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct NameStyle {
        id: "name-style",
        group: "names",
        level: Warning,
        summary: "it needs quoting in SQL: not [a-z_][a-z0-9_]*",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
