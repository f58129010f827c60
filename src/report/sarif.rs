//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning ingests it. Every registered rule is
//! described in `tool.driver.rules`; each diagnostic becomes a result with a full region,
//! its related locations and a line-independent fingerprint. No source text is embedded.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{Fingerprint, TopLevel, fingerprints, message_with_help, position, rule_docs};
use crate::diagnostic::{Diagnostic, Severity};
use crate::edit::Fix;
use crate::hash::HashMap;
use crate::project::Project;
use crate::rules::{self, DefaultLevel, RuleId, RuleMeta};
use crate::source::Loc;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const VERSION: &str = "2.1.0";
/// The base every artifact URI is relative to: the git top level (GitHub code scanning
/// resolves URIs against the checkout), which is the repository root or a folder above it.
const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key GitHub code scanning matches results by.
const FINGERPRINT_KEY: &str = "primaryLocationLineHash";

#[derive(Debug, Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    /// Our columns count characters.
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    default_configuration: Configuration,
    properties: Properties,
}

#[derive(Debug, Serialize)]
struct Message {
    text: String,
}

impl Message {
    fn new(text: impl Into<String>) -> Message {
        Message { text: text.into() }
    }
}

#[derive(Debug, Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Debug, Serialize)]
struct Configuration {
    #[serde(skip_serializing_if = "is_true")]
    enabled: bool,
    level: &'static str,
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(Debug, Serialize)]
struct Properties {
    tags: [&'static str; 1],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: RuleId,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

/// A fix as SARIF describes one: replacements per file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Content,
}

#[derive(Debug, Serialize)]
struct Content {
    text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    /// The finding's subject (primary location only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

/// A finding's [subject](crate::diagnostic::Subject): `fullyQualifiedName` is
/// `Kind/namespace/name:field.path` (the file's path outside any object; no `:` for the whole
/// document), as a baseline names it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

impl LogicalLocation {
    fn of(subject: &crate::diagnostic::Subject) -> LogicalLocation {
        if subject.path.is_empty() {
            return LogicalLocation {
                name: subject.object.clone(),
                fully_qualified_name: subject.object.clone(),
                kind: "object",
            };
        }
        LogicalLocation {
            fully_qualified_name: format!("{}:{}", subject.object, subject.path),
            name: subject.path.clone(),
            kind: "property",
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// 1-based; `end_column` is exclusive.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `owner-role-missing` → `OwnerRoleMissing`.
fn camel_case(id: &str) -> String {
    id.split('-')
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

/// The first paragraph under `## What it does`, joined into one line.
fn what_it_does(docs: &str) -> String {
    let mut lines = docs.lines().skip_while(|l| l.trim() != "## What it does");
    lines.next();
    let paragraph: Vec<&str> = lines
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    paragraph.join(" ")
}

fn descriptor(meta: &RuleMeta) -> ReportingDescriptor {
    let docs = rule_docs(meta);
    let what = what_it_does(&docs);
    ReportingDescriptor {
        id: meta.id,
        name: camel_case(meta.id),
        short_description: Message::new(meta.summary),
        full_description: Message::new(if what.is_empty() {
            meta.summary.to_string()
        } else {
            what
        }),
        help: MultiformatMessage {
            text: docs.clone(),
            markdown: docs,
        },
        default_configuration: Configuration {
            enabled: meta.default_level != DefaultLevel::Off,
            level: meta.default_level.severity().map_or("warning", level),
        },
        properties: Properties {
            tags: [meta.group.as_str()],
        },
    }
}

/// Percent-encodes everything in a path but unreserved characters, `/` and `also`, so the
/// result is a valid URI path.
fn percent_encode(path: &str, also: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) || also.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `file:///abs/root/`: where `%SRCROOT%` is on the machine that ran pglint.
fn root_uri(root: &Path) -> String {
    let path = root.to_string_lossy().replace('\\', "/");
    // A drive letter's `:` may stay: the path starts with `/`, so it is no scheme.
    let path = percent_encode(&path, b":");
    let slash = if path.starts_with('/') { "" } else { "/" };
    let trailing = if path.ends_with('/') { "" } else { "/" };
    format!("file://{slash}{path}{trailing}")
}

fn physical(project: &Project, top: &TopLevel<'_>, loc: Loc) -> PhysicalLocation {
    let pos = position(project, loc);
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            // `:` is encoded: in a relative reference it would read as a scheme.
            uri: percent_encode(&top.path(pos.file), b""),
            uri_base_id: Some(SRCROOT),
        },
        region: Region {
            start_line: pos.start.line,
            start_column: pos.start.column,
            end_line: pos.end_exclusive.line,
            end_column: pos.end_exclusive.column,
        },
    }
}

fn result(
    project: &Project,
    top: &TopLevel<'_>,
    diagnostic: &Diagnostic,
    rule_index: usize,
    fingerprint: Fingerprint,
) -> SarifResult {
    let finding = &diagnostic.finding;
    SarifResult {
        rule_id: diagnostic.rule,
        rule_index,
        level: level(diagnostic.severity),
        message: Message::new(message_with_help(finding)),
        locations: [Location {
            id: None,
            physical_location: physical(project, top, finding.loc),
            logical_locations: finding.subject.iter().map(LogicalLocation::of).collect(),
            message: None,
        }],
        related_locations: finding
            .related
            .iter()
            .enumerate()
            .map(|(id, related)| Location {
                id: Some(id),
                physical_location: physical(project, top, related.loc),
                logical_locations: Vec::new(),
                message: Some(Message::new(related.message.as_str())),
            })
            .collect(),
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint.to_string())]),
        fixes: finding
            .fix
            .iter()
            .filter(|fix| !fix.edits.is_empty())
            .map(|fix| sarif_fix(project, top, fix))
            .collect(),
    }
}

/// The fix's edits, grouped by file in the order they come.
fn sarif_fix(project: &Project, top: &TopLevel<'_>, fix: &Fix) -> SarifFix {
    let mut changes: Vec<ArtifactChange> = Vec::new();
    let mut files: Vec<crate::source::FileId> = Vec::new();
    for edit in &fix.edits {
        let physical = physical(
            project,
            top,
            Loc {
                file: edit.file,
                span: edit.span,
            },
        );
        let replacement = Replacement {
            deleted_region: physical.region,
            inserted_content: Content {
                text: edit.content.clone(),
            },
        };
        match files.iter().position(|&f| f == edit.file) {
            Some(i) => changes[i].replacements.push(replacement),
            None => {
                files.push(edit.file);
                changes.push(ArtifactChange {
                    artifact_location: physical.artifact_location,
                    replacements: vec![replacement],
                });
            }
        }
    }
    SarifFix {
        description: Message::new(format!("{} ({})", fix.message, fix.applicability.as_str())),
        artifact_changes: changes,
    }
}

/// The log; `top` is the git top level around the project's root (`%SRCROOT%`).
pub fn render(project: &Project, diagnostics: &[Diagnostic], top: &Path) -> String {
    let metas: Vec<&RuleMeta> = rules::ALL.iter().map(|r| r.meta()).collect();
    render_with(project, diagnostics, &metas, top)
}

/// [`render`] describing `metas` in `tool.driver.rules` (`pglint verify`: the live checks);
/// every diagnostic's rule must be one of them.
pub fn render_with(
    project: &Project,
    diagnostics: &[Diagnostic],
    metas: &[&RuleMeta],
    top: &Path,
) -> String {
    let top = TopLevel::new(project, top);
    let index: HashMap<&str, usize> = metas
        .iter()
        .enumerate()
        .map(|(i, meta)| (meta.id, i))
        .collect();
    let results = diagnostics
        .iter()
        .zip(fingerprints(project, diagnostics))
        .map(|(d, fingerprint)| result(project, &top, d, index[d.rule.as_str()], fingerprint))
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: VERSION,
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
                        .into_iter()
                        .find(|uri| !uri.is_empty()),
                    rules: metas.iter().map(|m| descriptor(m)).collect(),
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri: root_uri(top.dir),
                    uri_base_id: None,
                },
            )]),
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).expect("the SARIF log serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_camel_case() {
        assert_eq!(camel_case("owner-role-missing"), "OwnerRoleMissing");
        assert_eq!(camel_case("yaml-syntax"), "YamlSyntax");
    }

    #[test]
    fn full_description_is_the_first_paragraph_of_what_it_does() {
        let docs = "## What it does\nChecks a\nthing.\n\nMore.\n\n## Why is this bad?\nX";
        assert_eq!(what_it_does(docs), "Checks a thing.");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            percent_encode("infra/my db/ä:1.yaml", b""),
            "infra/my%20db/%C3%A4%3A1.yaml"
        );
        assert_eq!(root_uri(Path::new("/srv/repo")), "file:///srv/repo/");
        assert_eq!(root_uri(Path::new(r"C:\repo")), "file:///C:/repo/");
    }
}
