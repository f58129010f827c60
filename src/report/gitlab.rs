//! `--format gitlab`: a GitLab Code Quality report (the `codequality` artifact of a CI job).

use serde::Serialize;

use super::{fingerprints, message_with_help, position};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Project;

#[derive(Debug, Serialize)]
struct Issue<'p> {
    description: String,
    check_name: &'static str,
    /// Independent of line numbers, like SARIF's, so moved findings stay the same issue.
    fingerprint: String,
    severity: &'static str,
    location: Location<'p>,
}

#[derive(Debug, Serialize)]
struct Location<'p> {
    path: &'p str,
    lines: Lines,
}

#[derive(Debug, Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
    }
}

pub fn render(project: &Project, diagnostics: &[Diagnostic]) -> String {
    let issues: Vec<Issue<'_>> = diagnostics
        .iter()
        .zip(fingerprints(project, diagnostics))
        .map(|(d, fingerprint)| {
            let pos = position(project, d.finding.loc);
            Issue {
                description: message_with_help(&d.finding),
                check_name: d.rule,
                fingerprint: fingerprint.to_string(),
                severity: severity(d.severity),
                location: Location {
                    path: pos.file,
                    lines: Lines {
                        begin: pos.start.line,
                        end: pos.end.line,
                    },
                },
            }
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&issues).expect("the Code Quality report serialises");
    text.push('\n');
    text
}
