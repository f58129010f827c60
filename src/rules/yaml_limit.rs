use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::source::Loc;
use crate::yaml::YamlProblemKind;

declare_rule! {
    /// ## What it does
    /// Reports a file that pglint stopped reading because it reached one of its safety limits:
    /// the file size (16 MiB), the nesting depth of mappings and lists (200 levels), the
    /// number of documents in one file (10 000), of YAML nodes (2 000 000) or of aliases
    /// (10 000). Nothing after that point is checked.
    ///
    /// ## Why is this bad?
    /// The limits keep a hostile or generated file (an alias bomb, a runaway generator) from
    /// exhausting memory in CI. No hand-written manifest comes near them, so reaching one
    /// means the file is not what it seems. And since the rest of the file was not read, a
    /// plaintext Secret or a broken Database further down would pass unnoticed: the file
    /// must not count as checked.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: dashboards
    /// data:
    ///   tree: [[[[[[[[[[[[ …201 levels… ]]]]]]]]]]]]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: dashboards
    /// data:
    ///   tree.json: |
    ///     {"a": {"b": {"c": 1}}}
    /// ```
    ///
    /// ## How to fix
    /// Split a huge file into smaller ones, keep generated data out of the manifests (a
    /// `configMapGenerator` file, a string value), or, if the file is not a manifest at all,
    /// exclude it in `pglint.toml`.
    pub struct YamlLimit {
        id: "yaml-limit",
        group: "parsing",
        level: Error,
        summary: "a file exceeds a parsing limit, so the rest of it was not checked",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (file, problem) in cx.project.yaml_problems() {
        let YamlProblemKind::Limit { message } = &problem.kind else {
            continue;
        };
        let loc = Loc {
            file,
            span: problem.span,
        };
        out.push(
            Finding::new(loc, describe(message))
                .field(cx.project, "")
                .label("pglint stopped reading here")
                .help(
                    "split the file or keep generated data out of the manifests; \
                     if it is not a manifest, exclude it in `pglint.toml`",
                ),
        );
    }
}

/// "nesting deeper than 200 levels; the rest of the file was not read" becomes
/// "parsing limit reached: nesting deeper than 200 levels; the rest of the file was not checked".
fn describe(message: &str) -> String {
    let (what, rest) = message.split_once("; ").unwrap_or((message, ""));
    let unchecked = if rest.starts_with("it was not read") {
        "the file was not checked"
    } else {
        "the rest of the file was not checked"
    };
    format!("parsing limit reached: {what}; {unchecked}")
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn says_which_limit_and_what_was_skipped() {
        assert_eq!(
            describe("nesting deeper than 200 levels; the rest of the file was not read"),
            "parsing limit reached: nesting deeper than 200 levels; the rest of the file was not checked"
        );
        assert_eq!(
            describe("file is 20000000 bytes, over the 16777216-byte limit; it was not read"),
            "parsing limit reached: file is 20000000 bytes, over the 16777216-byte limit; the file was not checked"
        );
        assert_eq!(
            describe("file has more than 10000 aliases; the rest was not read"),
            "parsing limit reached: file has more than 10000 aliases; the rest of the file was not checked"
        );
    }
}
