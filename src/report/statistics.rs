//! `--statistics`: how many findings each rule has, instead of the findings, as a table
//! (human) or as JSON.

use serde::Serialize;

use super::Summary;
use super::json::{JsonSummary, VERSION};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Project;
use crate::rules::RuleId;

/// The findings of one rule at one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub rule: RuleId,
    #[serde(serialize_with = "severity_name")]
    pub severity: Severity,
    pub count: usize,
}

fn severity_name<S: serde::Serializer>(severity: &Severity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(severity.as_str())
}

/// One row per rule (and severity) with findings, most findings first, then by rule id.
pub fn count(diagnostics: &[Diagnostic]) -> Vec<RuleCount> {
    let mut rows: Vec<RuleCount> = Vec::new();
    for d in diagnostics {
        match rows
            .iter_mut()
            .find(|r| r.rule == d.rule && r.severity == d.severity)
        {
            Some(row) => row.count += 1,
            None => rows.push(RuleCount {
                rule: d.rule,
                severity: d.severity,
                count: 1,
            }),
        }
    }
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.rule.cmp(&b.rule))
            .then(a.severity.as_str().cmp(b.severity.as_str()))
    });
    rows
}

/// `rule  severity  count` under a header, then the summary line (unless `None`).
pub fn render_human(diagnostics: &[Diagnostic], summary: Option<Summary>) -> String {
    let rows = count(diagnostics);
    let width = rows
        .iter()
        .map(|r| r.rule.as_str().len())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = String::new();
    if !rows.is_empty() {
        out.push_str(&format!(
            "{:width$}  {:8}  {:>5}\n",
            "rule", "severity", "count"
        ));
        for row in &rows {
            out.push_str(&format!(
                "{:width$}  {:8}  {:>5}\n",
                row.rule,
                row.severity.as_str(),
                row.count
            ));
        }
    }
    if let Some(summary) = summary {
        if !rows.is_empty() {
            out.push('\n');
        }
        out.push_str(&summary.line());
        out.push('\n');
    }
    out
}

#[derive(Debug, Serialize)]
struct JsonStatistics {
    version: u32,
    statistics: Vec<RuleCount>,
    summary: JsonSummary,
}

/// `{"version": 1, "statistics": [{"rule", "severity", "count"}], "summary": {…}}`, the
/// summary as in the JSON report.
pub fn render_json(project: &Project, diagnostics: &[Diagnostic], summary: Summary) -> String {
    let report = JsonStatistics {
        version: VERSION,
        statistics: count(diagnostics),
        summary: JsonSummary {
            schemas: super::json::schemas(project),
            ..summary.into()
        },
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the statistics serialise");
    text.push('\n');
    text
}
