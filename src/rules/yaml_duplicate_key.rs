use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::source::Loc;
use crate::yaml::YamlProblemKind;

declare_rule! {
    /// ## What it does
    /// Reports a mapping that repeats a key, in any YAML file pglint reads. The finding points
    /// at the second occurrence; a related label shows the first one.
    ///
    /// ## Why is this bad?
    /// YAML forbids duplicate keys, but the tools in a GitOps pipeline disagree on what to do
    /// with them. `kustomize build` refuses the file (`mapping key "…" already defined`), so
    /// the whole folder stops syncing; lenient readers (a plain-directory Argo CD application,
    /// `kubectl apply` without strict validation) silently keep the last value. Either way the
    /// value a reviewer reads first is not the one the cluster gets: a second `owner:` or
    /// `annotations:` block quietly replaces the first.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2"
    ///   annotations:              # replaces the block above: no wave any more
    ///     pglint.dev/ignore: "naming-convention"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2"
    ///     pglint.dev/ignore: "naming-convention"
    /// ```
    ///
    /// ## How to fix
    /// Keep one occurrence of the key: merge the two blocks, or delete the one you did not
    /// mean. The related label shows where the key first appears.
    pub struct YamlDuplicateKey {
        id: "yaml-duplicate-key",
        group: "parsing",
        level: Error,
        summary: "a mapping repeats a key",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (file, problem) in cx.project.yaml_problems() {
        let YamlProblemKind::DuplicateKey { key, first } = &problem.kind else {
            continue;
        };
        let at = |span| Loc { file, span };
        out.push(
            Finding::new(
                at(problem.span),
                format!("duplicate key `{key}` in this mapping"),
            )
            .field(cx.project, cx.project.field_path_at(at(problem.span)).unwrap_or_default())
            .label("repeated here")
            .help(format!(
                "keep one `{key}`: merge the two entries or delete the one you did not mean; \
                     tools disagree on which one wins"
            ))
            .related(at(*first), format!("`{key}` first appears here")),
        );
    }
}
