use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct AnnotationNotString {
        id: "annotation-not-string",
        group: "parsing",
        level: Error,
        summary: "an annotation or label value is not a string as Kubernetes reads YAML",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
