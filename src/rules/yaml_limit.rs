use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct YamlLimit {
        id: "yaml-limit",
        group: "parsing",
        level: Error,
        summary: "a file exceeds a parsing limit",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
