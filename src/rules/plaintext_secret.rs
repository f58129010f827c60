use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct PlaintextSecret {
        id: "plaintext-secret",
        group: "secrets",
        level: Error,
        summary: "a v1 Secret with non-empty data/stringData is committed, anywhere, also as one document of a multi-document file. Placeholder values are not secrets: <path:…>",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
