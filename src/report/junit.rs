//! `--format junit`: JUnit XML, for the test reports of GitLab (`artifacts:reports:junit`),
//! Jenkins and other CI systems. Each finding is a failed test case.
//!
//! GitLab keeps only the first test case of a given name within a suite, so every finding's
//! `name` is unique in the report: its rule and position, and `#2`, `#3`… on findings of
//! one rule at one position. `classname` is the file, so test reports group findings by file.
//! A clean run is one passing test case (some CI systems treat a report without test cases
//! as missing). The report validates against the JUnit schema of Jenkins' xUnit plugin
//! (`tests/report_schemas.rs`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{TopLevel, position, printable};
use crate::diagnostic::Diagnostic;
use crate::project::Project;

/// The report; `top` is the git top level around the project's root (paths are relative
/// to it, as in the other CI formats).
pub fn render(project: &Project, diagnostics: &[Diagnostic], top: &Path) -> String {
    let top = TopLevel::new(project, top);
    let count = diagnostics.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests = count.max(1);
    let _ = writeln!(
        out,
        "<testsuites name=\"pglint\" tests=\"{tests}\" failures=\"{count}\" errors=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"pglint\" tests=\"{tests}\" failures=\"{count}\" errors=\"0\" skipped=\"0\">"
    );
    if diagnostics.is_empty() {
        out.push_str("    <testcase classname=\"pglint\" name=\"no findings\"/>\n");
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for d in diagnostics {
        let pos = position(project, d.finding.loc);
        let path = top.path(pos.file);
        let mut name = format!(
            "{} at {path}:{}:{}",
            d.rule, pos.start.line, pos.start.column
        );
        let occurrence = seen.entry(name.clone()).or_default();
        *occurrence += 1;
        if *occurrence > 1 {
            let _ = write!(name, " #{occurrence}");
        }
        let mut body = format!(
            "{}: {path}:{}:{}: {}",
            d.severity.as_str(),
            pos.start.line,
            pos.start.column,
            d.finding.message
        );
        if let Some(help) = &d.finding.help {
            let _ = write!(body, "\nhelp: {help}");
        }
        for related in &d.finding.related {
            let at = position(project, related.loc);
            let _ = write!(
                body,
                "\nrelated: {}:{}:{}: {}",
                top.path(at.file),
                at.start.line,
                at.start.column,
                related.message
            );
        }
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
            escape(&path, true),
            escape(&name, true),
            d.rule,
            escape(
                &format!("{}: {}", d.severity.as_str(), d.finding.message),
                true
            ),
            escape(&body, false)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Text made safe for an XML attribute (line breaks kept as `&#10;`, which an attribute
/// would otherwise turn into spaces) or element: markup characters as entities, and control
/// characters (which XML 1.0 cannot hold at all) written escaped, as on a terminal.
fn escape(text: &str, attribute: bool) -> String {
    let text = printable(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::diagnostic::{Diagnostic, Finding, Severity};
    use crate::project::Project;
    use crate::rules::RuleId;
    use crate::source::{FileId, Loc, Span};

    #[test]
    fn findings_of_one_rule_at_one_node_get_distinct_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "a: <b>\n").unwrap();
        let project = Project::load(dir.path(), &Config::default()).unwrap();
        let finding = |message: &str| Diagnostic {
            rule: RuleId::OwnerRoleMissing,
            severity: Severity::Error,
            finding: Finding::new(
                Loc {
                    file: FileId(0),
                    span: Span::new(3, 6),
                },
                message,
            ),
        };
        let report = super::render(&project, &[finding("one <x>"), finding("two")], dir.path());
        assert!(
            report.contains("name=\"owner-role-missing at a.yaml:1:4\""),
            "{report}"
        );
        assert!(
            report.contains("name=\"owner-role-missing at a.yaml:1:4 #2\""),
            "{report}"
        );
        assert!(
            report.contains("message=\"error: one &lt;x&gt;\""),
            "{report}"
        );
    }

    #[test]
    fn escapes_markup_and_controls() {
        let text = "a<b>&\"c'\u{1b}\nd";
        assert_eq!(
            super::escape(text, true),
            "a&lt;b&gt;&amp;&quot;c&apos;\\u{1b}&#10;d"
        );
        assert!(super::escape(text, false).ends_with("\nd"));
    }
}
