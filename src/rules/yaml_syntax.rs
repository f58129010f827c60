use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::source::Loc;
use crate::yaml::YamlProblemKind;

declare_rule! {
    /// ## What it does
    /// Reports a file that is not valid YAML, or that cannot be read as text at all (binary
    /// content, invalid UTF-8, a special file). Every other file is still checked.
    ///
    /// ## Why is this bad?
    /// Argo CD renders the whole application from its files: one unparsable file makes the
    /// sync fail, so no other change in the pull request reaches the cluster either.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   name: gitea-db
    ///    namespace: postgres   # indented one space too far
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// metadata:
    ///   name: gitea-db
    ///   namespace: postgres
    /// ```
    ///
    /// ## How to fix
    /// Fix the syntax at the reported position; `yamllint` or your editor's YAML mode shows
    /// the structure. Files that are not YAML should not be named `*.yaml`.
    pub struct YamlSyntax {
        id: "yaml-syntax",
        group: "parsing",
        level: Error,
        summary: "a file is not valid YAML",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (file, problem) in cx.project.yaml_problems() {
        if let YamlProblemKind::Syntax { message } = &problem.kind {
            let loc = Loc {
                file,
                span: problem.span,
            };
            out.push(Finding::new(loc, format!("invalid YAML: {message}")).field(cx.project, ""));
        }
    }
}
