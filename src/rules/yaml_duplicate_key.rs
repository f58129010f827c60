use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct YamlDuplicateKey {
        id: "yaml-duplicate-key",
        group: "parsing",
        level: Error,
        summary: "a mapping repeats a key",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
