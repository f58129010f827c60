//! `--format json`: the stable, versioned contract of `spec/cli.md`.

use serde::Serialize;

use super::{Summary, position};
use crate::diagnostic::Diagnostic;
use crate::edit::Edit;
use crate::project::Project;
use crate::rules::RuleId;
use crate::source::Loc;

pub const VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct JsonReport<'p> {
    pub version: u32,
    pub diagnostics: Vec<JsonDiagnostic<'p>>,
    pub summary: JsonSummary,
}

#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'p> {
    pub rule: RuleId,
    pub severity: &'static str,
    pub message: &'p str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<&'p str>,
    #[serde(flatten)]
    pub location: JsonLocation<'p>,
    pub related: Vec<JsonRelated<'p>>,
    /// What the finding is about, as a baseline and `check --base` identify it (every
    /// finding of `check` has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<JsonSubject<'p>>,
    /// The deployment the finding is about, for an object several deployments apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<&'p str>,
    /// How to repair it, when pglint knows (see `pglint check --fix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<JsonFix<'p>>,
}

/// A finding's [subject](crate::diagnostic::Subject): `object` is `Kind/namespace/name` (the
/// file's path outside any object), `path` the field (`spec.owner`; empty for the whole
/// document), `deployment` as in the diagnostic.
#[derive(Debug, Serialize)]
pub struct JsonSubject<'p> {
    pub object: &'p str,
    pub path: &'p str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<&'p str>,
}

#[derive(Debug, Serialize)]
pub struct JsonFix<'p> {
    pub applicability: &'static str,
    pub message: &'p str,
    pub edits: Vec<JsonEdit<'p>>,
}

/// Replace `line:column` through `end_line:end_column` (inclusive, as a diagnostic's range)
/// with `content`; an insertion has its end just before its start (`end_column` =
/// `column - 1`).
#[derive(Debug, Serialize)]
pub struct JsonEdit<'p> {
    #[serde(flatten)]
    pub location: JsonLocation<'p>,
    pub content: &'p str,
}

#[derive(Debug, Serialize)]
pub struct JsonLocation<'p> {
    pub file: &'p str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Serialize)]
pub struct JsonRelated<'p> {
    #[serde(flatten)]
    pub location: JsonLocation<'p>,
    pub message: &'p str,
}

#[derive(Debug, Serialize)]
pub struct JsonSummary {
    pub files: usize,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Findings `--fix` repairs, and those only `--fix --unsafe-fixes` does.
    pub fixable: usize,
    pub unsafe_fixable: usize,
    /// Findings not reported because they may only follow from a file that could not be
    /// parsed (omitted when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: usize,
    /// What the run wants a reader to know that is no finding: a file that could not be
    /// parsed hid findings, the SOP folder holds nothing, a `pglint.toml` is ignored (omitted
    /// when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// The CRD each kind of the repository was validated against (omitted when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<JsonSchema>,
}

/// A kind and the CRD its objects were validated against: `embedded <release>`, or
/// `repository <path>:<line>` for the repository's own CustomResourceDefinition.
#[derive(Debug, Serialize)]
pub struct JsonSchema {
    pub group: String,
    pub kind: String,
    pub source: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn location(project: &Project, loc: Loc) -> JsonLocation<'_> {
    let pos = position(project, loc);
    JsonLocation {
        file: pos.file,
        line: pos.start.line,
        column: pos.start.column,
        end_line: pos.end.line,
        end_column: pos.end.column,
    }
}

fn edit_location<'p>(project: &'p Project, edit: &Edit) -> JsonLocation<'p> {
    let loc = Loc {
        file: edit.file,
        span: edit.span,
    };
    let mut location = location(project, loc);
    if edit.span.is_empty() {
        location.end_line = location.line;
        location.end_column = location.column - 1;
    }
    location
}

pub fn report<'p>(
    project: &'p Project,
    diagnostics: &'p [Diagnostic],
    summary: Summary,
) -> JsonReport<'p> {
    report_with_notices(project, diagnostics, summary, &[])
}

/// [`report`] with the run's notices in the summary.
pub fn report_with_notices<'p>(
    project: &'p Project,
    diagnostics: &'p [Diagnostic],
    summary: Summary,
    notices: &[String],
) -> JsonReport<'p> {
    JsonReport {
        version: VERSION,
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                subject: d.finding.subject.as_ref().map(|subject| JsonSubject {
                    object: &subject.object,
                    path: &subject.path,
                    deployment: d.finding.deployment.as_deref(),
                }),
                rule: d.rule,
                severity: d.severity.as_str(),
                message: &d.finding.message,
                help: d.finding.help.as_deref(),
                deployment: d.finding.deployment.as_deref(),
                fix: d.finding.fix.as_ref().map(|fix| JsonFix {
                    applicability: fix.applicability.as_str(),
                    message: &fix.message,
                    edits: fix
                        .edits
                        .iter()
                        .map(|edit| JsonEdit {
                            location: edit_location(project, edit),
                            content: &edit.content,
                        })
                        .collect(),
                }),
                location: location(project, d.finding.loc),
                related: d
                    .finding
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        location: location(project, r.loc),
                        message: &r.message,
                    })
                    .collect(),
            })
            .collect(),
        summary: JsonSummary {
            notices: notices.to_vec(),
            schemas: schemas(project),
            ..summary.into()
        },
    }
}

/// The CRD each kind of the project's objects is validated against, for the summary.
pub fn schemas(project: &Project) -> Vec<JsonSchema> {
    project
        .schemas
        .used(project.sources().map(|(_, object)| object))
        .into_iter()
        .map(|(group, kind, source)| JsonSchema {
            group,
            kind,
            source: super::schema_source(project, source),
        })
        .collect()
}

impl From<Summary> for JsonSummary {
    fn from(summary: Summary) -> JsonSummary {
        JsonSummary {
            files: summary.files,
            documents: summary.documents,
            errors: summary.errors,
            warnings: summary.warnings,
            fixable: summary.fixable,
            unsafe_fixable: summary.unsafe_fixable,
            skipped: summary.skipped,
            notices: Vec::new(),
            schemas: Vec::new(),
        }
    }
}

pub fn render(project: &Project, diagnostics: &[Diagnostic], summary: Summary) -> String {
    render_with_notices(project, diagnostics, summary, &[])
}

/// [`render`] with the run's notices in the summary.
pub fn render_with_notices(
    project: &Project,
    diagnostics: &[Diagnostic],
    summary: Summary,
    notices: &[String],
) -> String {
    let mut text =
        serde_json::to_string_pretty(&report_with_notices(project, diagnostics, summary, notices))
            .expect("the JSON report serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use crate::report::Summary;
    use crate::rules::testing::{CLUSTER, DATABASE, lint_texts};

    /// Each diagnostic names its subject: the object as applied and the field path, as a
    /// baseline keys it; SARIF gives the same as the result's logical location.
    #[test]
    fn diagnostics_carry_their_subject() {
        let database = DATABASE.replace("owner: gitea_user", "owner: nobody");
        let texts = [("c.yaml", CLUSTER), ("d.yaml", database.as_str())];
        let config = crate::config::Config::default();
        let project = crate::project::Project::from_texts(&texts, &config);
        let diagnostics = lint_texts(&texts);
        let summary = Summary::new(&project, &diagnostics);
        let json: serde_json::Value =
            serde_json::from_str(&super::render(&project, &diagnostics, summary)).unwrap();
        let subjects: Vec<String> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let subject = &d["subject"];
                format!("{} {} {}", d["rule"], subject["object"], subject["path"])
            })
            .collect();
        for expected in [
            r#""owner-role-missing" "Database/db/gitea-db" "spec.owner""#,
            r#""role-secret-missing" "Cluster/db/pg" "spec.managed.roles[gitea_user].passwordSecret.name""#,
        ] {
            assert!(subjects.iter().any(|s| s == expected), "{subjects:?}");
        }
        let sarif: serde_json::Value = serde_json::from_str(&crate::report::sarif::render(
            &project,
            &diagnostics,
            &project.root,
        ))
        .unwrap();
        let names: Vec<&str> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert!(
            names.contains(&"Database/db/gitea-db:spec.owner"),
            "{names:?}"
        );
    }
}
