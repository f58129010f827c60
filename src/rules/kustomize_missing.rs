use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct KustomizeMissing {
        id: "kustomize-missing",
        group: "kustomize",
        level: Error,
        summary: "a kustomization.yaml lists a resource file or folder that does not exist",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
