use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SealedTemplateData {
        id: "sealed-template-data",
        group: "secrets",
        level: Error,
        summary: "a SealedSecret's spec.template.data/stringData holds values, or its template has a kubectl.kubernetes.io/last-applied-configuration annotation",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
