use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct KustomizeUnlisted {
        id: "kustomize-unlisted",
        group: "kustomize",
        level: Error,
        summary: "a manifest is never applied because a kustomization owns its folder but does not reach it",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
