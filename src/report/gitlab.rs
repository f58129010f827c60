//! `--format gitlab`: a GitLab Code Quality report (the `codequality` artifact of a CI job).

use std::path::Path;

use serde::Serialize;

use super::{TopLevel, fingerprints, message_with_help, position};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Project;
use crate::rules::RuleId;

#[derive(Debug, Serialize)]
struct Issue {
    description: String,
    check_name: RuleId,
    /// Independent of line numbers, like SARIF's, so moved findings stay the same issue.
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Debug, Serialize)]
struct Location {
    /// Relative to the git top level, where GitLab resolves it.
    path: String,
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

/// The report; `top` is the git top level around the project's root.
pub fn render(project: &Project, diagnostics: &[Diagnostic], top: &Path) -> String {
    let top = TopLevel::new(project, top);
    let issues: Vec<Issue> = diagnostics
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
                    path: top.path(pos.file),
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
