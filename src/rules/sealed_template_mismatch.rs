use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SealedTemplateMismatch {
        id: "sealed-template-mismatch",
        group: "secrets",
        level: Error,
        summary: "spec.template.metadata.name/namespace differ from the SealedSecret's own",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
