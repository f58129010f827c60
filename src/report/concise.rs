//! `--format concise`: one line per finding, `file:line:col: severity[rule] message`, for an
//! editor's quickfix list (vim's `errorformat` `%f:%l:%c: %m`) and for grep.

use super::{Summary, position, printable};
use crate::diagnostic::Diagnostic;
use crate::project::Project;

/// `text` on one line: its lines joined by a space, terminal controls escaped.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(printable)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line per diagnostic, then the summary line (unless `None`).
pub fn render(project: &Project, diagnostics: &[Diagnostic], summary: Option<Summary>) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let at = position(project, diagnostic.finding.loc);
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n",
            one_line(at.file),
            at.start.line,
            at.start.column,
            diagnostic.severity.as_str(),
            diagnostic.rule,
            one_line(&diagnostic.finding.message)
        ));
    }
    if let Some(summary) = summary {
        out.push_str(&summary.line());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn messages_are_joined_on_one_line() {
        assert_eq!(one_line("first\n  second\r\n\nthird"), "first second third");
        assert_eq!(one_line("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }
}
