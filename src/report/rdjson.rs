//! `--format rdjson`: reviewdog's Diagnostic Format
//! (<https://github.com/reviewdog/reviewdog/tree/master/proto/rdf>), for
//! `reviewdog -f=rdjson`. Fixes become `suggestions`, which reviewdog posts as suggested
//! changes on the pull request. Positions are reviewdog's: 1-based lines, columns in UTF-8
//! bytes from 1, exclusive ends. The report validates against reviewdog's JSON Schema
//! (`tests/report_schemas.rs`).

use std::path::Path;

use serde::Serialize;

use super::{TopLevel, message_with_help};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Applicability;
use crate::project::Project;
use crate::source::{FileId, LineCol, Span};

#[derive(Debug, Serialize)]
struct Report<'p> {
    source: Source,
    diagnostics: Vec<Rdjson<'p>>,
}

#[derive(Debug, Serialize)]
struct Source {
    name: &'static str,
    url: &'static str,
}

#[derive(Debug, Serialize)]
struct Rdjson<'p> {
    message: String,
    location: Location,
    severity: &'static str,
    code: Code,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<Suggestion<'p>>,
}

#[derive(Debug, Serialize)]
struct Location {
    path: String,
    range: Range,
}

#[derive(Debug, Serialize)]
struct Range {
    start: Position,
    end: Position,
}

#[derive(Debug, Serialize)]
struct Position {
    line: usize,
    column: usize,
}

impl From<LineCol> for Position {
    fn from(at: LineCol) -> Position {
        Position {
            line: at.line,
            column: at.column,
        }
    }
}

#[derive(Debug, Serialize)]
struct Code {
    value: &'static str,
    url: String,
}

#[derive(Debug, Serialize)]
struct Suggestion<'p> {
    range: Range,
    text: &'p str,
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
    }
}

/// A byte range of a file in reviewdog's positions.
fn range(project: &Project, file: FileId, span: Span) -> Range {
    let text = project.text(file);
    Range {
        start: text.line_byte_col(span.start()).into(),
        end: text.line_byte_col(span.end()).into(),
    }
}

/// The report; `top` is the git top level around the project's root (paths are relative to
/// it, where reviewdog runs).
pub fn render(project: &Project, diagnostics: &[Diagnostic], top: &Path) -> String {
    let top = TopLevel::new(project, top);
    let url = env!("CARGO_PKG_REPOSITORY");
    let report = Report {
        source: Source {
            name: "pglint",
            url,
        },
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let loc = d.finding.loc;
                Rdjson {
                    message: message_with_help(&d.finding),
                    location: Location {
                        path: top.path(project.path(loc.file)),
                        range: range(project, loc.file, loc.span),
                    },
                    severity: severity(d.severity),
                    code: Code {
                        value: d.rule.as_str(),
                        // The README's rule list (`pglint explain RULE` prints the docs).
                        url: format!("{url}#rules"),
                    },
                    suggestions: suggestions(project, d),
                }
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the rdjson report serialises");
    text.push('\n');
    text
}

/// A fix's edits as suggestions, when they all change the finding's own file (a suggestion
/// lives in the diagnostic's file); a display-only fix has none.
fn suggestions<'p>(project: &Project, d: &'p Diagnostic) -> Vec<Suggestion<'p>> {
    let Some(fix) = &d.finding.fix else {
        return Vec::new();
    };
    let file = d.finding.loc.file;
    if fix.applicability == Applicability::DisplayOnly || fix.edits.iter().any(|e| e.file != file) {
        return Vec::new();
    }
    fix.edits
        .iter()
        .map(|edit| Suggestion {
            range: range(project, file, edit.span),
            text: &edit.content,
        })
        .collect()
}
