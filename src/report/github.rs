//! `--format github`: one GitHub Actions workflow command per diagnostic, so findings show as
//! annotations on the pull request, followed by the human report for the job log.

use std::path::Path;

use super::{Summary, TopLevel, human, message_with_help, position, printable};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Project;

/// Escapes a command's message (`::error …::MESSAGE`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value (`file=VALUE,…`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=…,line=…,endLine=…,col=…,endColumn=…,title=pglint (rule)::message`.
/// Columns are given only for a finding on one line; `endColumn` is exclusive, as in SARIF.
/// `file` is relative to the git top level, where GitHub resolves it.
fn annotation(project: &Project, top: &TopLevel<'_>, diagnostic: &Diagnostic) -> String {
    let finding = &diagnostic.finding;
    let pos = position(project, finding.loc);
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = vec![
        ("file", top.path(pos.file)),
        ("line", pos.start.line.to_string()),
        ("endLine", pos.end.line.to_string()),
    ];
    if pos.start.line == pos.end.line {
        properties.push(("col", pos.start.column.to_string()));
        properties.push(("endColumn", pos.end_exclusive.column.to_string()));
    }
    properties.push(("title", format!("pglint ({})", diagnostic.rule)));
    let properties: Vec<String> = properties
        .into_iter()
        .map(|(key, value)| format!("{key}={}", escape_property(&value)))
        .collect();
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&printable(&message_with_help(finding)))
    )
}

/// The annotations, then the human report without color (its summary unless `None`). `top` is
/// the git top level around the project's root.
pub fn render(
    project: &Project,
    diagnostics: &[Diagnostic],
    summary: Option<Summary>,
    top: &Path,
) -> String {
    let top = TopLevel::new(project, top);
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&annotation(project, &top, diagnostic));
        out.push('\n');
    }
    out.push_str(&human::render(
        project,
        diagnostics,
        summary,
        human::Style::plain(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(
            escape_data("100% sure\r\nnext: a, b"),
            "100%25 sure%0D%0Anext: a, b"
        );
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }

    #[test]
    fn percent_is_escaped_first() {
        // An escape produced for `:` must not be escaped again.
        assert_eq!(escape_property("%3A:"), "%253A%3A");
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            escape_property("infra/databases/gitea-db.yaml"),
            "infra/databases/gitea-db.yaml"
        );
        assert_eq!(escape_data("owner `x` (see `y`)"), "owner `x` (see `y`)");
    }
}
