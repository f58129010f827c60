//! Stage 7: rendering diagnostics. Every format reads the same [`Diagnostic`] list.

pub mod concise;
pub mod diff;
pub mod github;
pub mod gitlab;
pub mod graph;
pub mod human;
pub mod json;
pub mod junit;
mod mask;
pub mod objects;
pub mod rdjson;
pub mod sarif;
pub mod statistics;
pub mod summary;

use std::fmt;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Finding, Severity};
use crate::hash::HashMap;
use crate::project::Project;
use crate::rules::RuleMeta;
use crate::source::{FileId, LineCol, Loc};

pub use mask::{MaskedText, masked_text};

/// `1 file`, `2 files`, `2 entries`: a count and its noun (an English regular plural).
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        return format!("1 {noun}");
    }
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

/// Counts for the summary line and the JSON `summary` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Findings `--fix` repairs.
    pub fixable: usize,
    /// Findings only `--fix --unsafe-fixes` repairs.
    pub unsafe_fixable: usize,
    /// Findings not reported because they rest on objects a file that could not be parsed
    /// may declare (see [`crate::engine::lint::Linted::skipped`]).
    pub skipped: usize,
}

impl Summary {
    pub fn new(project: &Project, diagnostics: &[Diagnostic]) -> Summary {
        let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
        let fixes = |unsafe_fixes: bool| {
            diagnostics
                .iter()
                .filter(|d| {
                    d.finding
                        .fix
                        .as_ref()
                        .is_some_and(|f| f.applies(unsafe_fixes))
                })
                .count()
        };
        let fixable = fixes(false);
        Summary {
            files: project.file_count(),
            documents: project.document_count(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            fixable,
            unsafe_fixable: fixes(true) - fixable,
            skipped: 0,
        }
    }

    /// With the count of findings skipped as cascades of a parse error.
    pub fn with_skipped(mut self, skipped: usize) -> Summary {
        self.skipped = skipped;
        self
    }

    /// `2 errors, 1 warning in 41 files`, then `; 3 findings skipped: …` when some were.
    pub fn line(&self) -> String {
        let plural = counted;
        let mut line = format!(
            "{}, {} in {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.files, "file")
        );
        if self.skipped > 0 {
            line.push_str(&format!(
                "; {} skipped: they may only follow from a file that could not be parsed",
                plural(self.skipped, "finding")
            ));
        }
        line
    }

    /// `[*] 1 fixable with `pglint check --fix` (2 more with `--unsafe-fixes`)`, when any is.
    pub fn fixable_line(&self) -> Option<String> {
        Some(match (self.fixable, self.unsafe_fixable) {
            (0, 0) => return None,
            (safe, 0) => format!("[*] {safe} fixable with `pglint check --fix`"),
            (0, more) => format!("[*] {more} fixable with `pglint check --fix --unsafe-fixes`"),
            (safe, more) => format!(
                "[*] {safe} fixable with `pglint check --fix` ({more} more with `--unsafe-fixes`)"
            ),
        })
    }
}

/// Where CI systems resolve paths from: the git top level, which is the repository root or a
/// folder above it (a monorepo checked with `--root sub/dir`). Annotations land on a pull
/// request's diff only with paths relative to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopLevel<'p> {
    /// The folder paths are relative to.
    pub dir: &'p Path,
    /// The repository root's path below `dir`, with a trailing `/` (empty when they are the
    /// same folder).
    prefix: String,
}

impl<'p> TopLevel<'p> {
    /// `top` is the git top level around the project's root; a folder the root is not in is
    /// ignored (paths stay relative to the root).
    pub fn new(project: &'p Project, top: &'p Path) -> TopLevel<'p> {
        match project.root.strip_prefix(top) {
            Ok(below) if below.as_os_str().is_empty() => TopLevel {
                dir: top,
                prefix: String::new(),
            },
            Ok(below) => TopLevel {
                dir: top,
                prefix: format!("{}/", crate::discover::relative(Path::new(""), below)),
            },
            Err(_) => TopLevel {
                dir: &project.root,
                prefix: String::new(),
            },
        }
    }

    /// A repository-relative path made relative to the top level.
    pub fn path(&self, file: &str) -> String {
        format!("{}{file}", self.prefix)
    }
}

/// A location resolved to a path and 1-based line/column range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position<'p> {
    pub file: &'p str,
    pub start: LineCol,
    /// The last character of the node (inclusive), as `--format json` reports it.
    pub end: LineCol,
    /// Just past the last character, on the same line as `end` (SARIF's exclusive
    /// `endColumn`); equal to `start` for an empty span.
    pub end_exclusive: LineCol,
}

/// Where a kind's schema comes from, as the JSON summary and the notices say it:
/// `embedded CloudNativePG v1.30.0` or `repository crds/cnpg.yaml:3`.
pub fn schema_source(project: &Project, source: crate::schema::Source) -> String {
    match source {
        crate::schema::Source::Embedded(crd) => format!("embedded {}", crd.release),
        crate::schema::Source::Repository(loc) => {
            let at = position(project, loc);
            format!("repository {}:{}", at.file, at.start.line)
        }
    }
}

pub fn position<'p>(project: &'p Project, loc: Loc) -> Position<'p> {
    let source = project.text(loc.file);
    let start = source.line_col(loc.span.start());
    let end = source.inclusive_end(loc.span);
    let end_exclusive = if loc.span.is_empty() {
        start
    } else {
        LineCol {
            line: end.line,
            column: end.column + 1,
        }
    };
    Position {
        file: project.path(loc.file),
        start,
        end,
        end_exclusive,
    }
}

/// The message followed by its help, for formats with a single text field.
pub fn message_with_help(finding: &Finding) -> String {
    match &finding.help {
        Some(help) => format!("{}\nhelp: {help}", finding.message),
        None => finding.message.clone(),
    }
}

/// A rule's documentation as Markdown: the doc comment without its leading spaces.
pub fn rule_docs(meta: &RuleMeta) -> String {
    let lines: Vec<&str> = meta
        .docs
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    lines.join("\n").trim().to_string()
}

/// Identifies a diagnostic across runs without using line numbers, so that findings keep
/// their identity (in code scanning, in a GitLab merge request) when unrelated lines move.
///
/// `hash` covers the rule id, the file path and the text of the primary node (with secret
/// values masked and whitespace runs collapsed); `occurrence` counts diagnostics with the same
/// hash in report order, from 1. Only the hash leaves pglint, never the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    pub hash: u64,
    pub occurrence: usize,
}

impl fmt::Display for Fingerprint {
    /// `0123456789abcdef:1`, the shape of GitHub's `primaryLocationLineHash`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}:{}", self.hash, self.occurrence)
    }
}

/// One [`Fingerprint`] per diagnostic, in the same order.
pub fn fingerprints(project: &Project, diagnostics: &[Diagnostic]) -> Vec<Fingerprint> {
    let mut masked: HashMap<FileId, MaskedText> = HashMap::default();
    let mut seen: HashMap<u64, usize> = HashMap::default();
    diagnostics
        .iter()
        .map(|d| {
            let loc = d.finding.loc;
            let text = masked
                .entry(loc.file)
                .or_insert_with(|| masked_text(project, loc.file));
            let node = text
                .text
                .get(text.range(loc.span.range()))
                .unwrap_or_default();
            let mut hasher = Fnv1a::default();
            hasher.write(d.rule.as_str());
            hasher.write(project.path(loc.file));
            for word in node.split_whitespace() {
                hasher.write(word);
            }
            let hash = hasher.0;
            let occurrence = seen.entry(hash).or_default();
            *occurrence += 1;
            Fingerprint {
                hash,
                occurrence: *occurrence,
            }
        })
        .collect()
}

/// 64-bit FNV-1a: tiny, and unlike `std`'s hashers stable across Rust releases.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    /// Hashes `part` and a terminator that cannot occur in UTF-8, so parts never run together.
    fn write(&mut self, part: &str) {
        for &byte in part.as_bytes().iter().chain(&[0xff]) {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Text from a repository (names, values quoted in messages) made safe for a terminal: control
/// characters other than line breaks are written escaped (`\u{1b}`).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::source::Span;

    fn project(text: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), text).unwrap();
        let project = Project::load(dir.path(), &Config::default()).unwrap();
        (dir, project)
    }

    fn at(project: &Project, needle: &str, nth: usize) -> Diagnostic {
        let text = project.text(FileId(0)).as_str();
        let start = text.match_indices(needle).nth(nth).unwrap().0;
        Diagnostic {
            rule: crate::rules::RuleId::SecretType,
            severity: Severity::Error,
            finding: Finding::new(
                Loc {
                    file: FileId(0),
                    span: Span::new(start, start + needle.len()),
                },
                "message",
            ),
        }
    }

    #[test]
    fn identical_nodes_are_told_apart_by_occurrence() {
        let (_dir, project) = project("a: [x,  y]\nb: [x, y]\nc: z\n");
        let diagnostics = [
            at(&project, "[x,  y]", 0),
            at(&project, "[x, y]", 0),
            at(&project, "z", 0),
        ];
        let [first, second, other] = fingerprints(&project, &diagnostics)[..] else {
            panic!("one fingerprint per diagnostic");
        };
        // Whitespace inside the node does not count.
        assert_eq!(first.hash, second.hash);
        assert_eq!((first.occurrence, second.occurrence), (1, 2));
        assert_ne!(first.hash, other.hash);
        assert_eq!(other.occurrence, 1);
        assert_eq!(
            second.to_string(),
            format!("{:016x}:2", second.hash),
            "GitHub's `hash:occurrence` shape"
        );
    }

    #[test]
    fn secret_values_are_masked_before_hashing() {
        let secret = |value: &str| {
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-{value}\n  namespace: n\n\
                 stringData:\n  password: {value}\n"
            )
        };
        let (_dir, project) = project(&format!("{}---\n{}", secret("hunter2"), secret("letmein")));
        let diagnostics = [at(&project, "hunter2", 1), at(&project, "letmein", 1)];
        let fingerprints = fingerprints(&project, &diagnostics);
        assert_eq!(fingerprints[0].hash, fingerprints[1].hash);
        assert_eq!(fingerprints[1].occurrence, 2);
    }

    #[test]
    fn empty_spans_have_an_empty_exclusive_end() {
        let (_dir, project) = project("a: b\n");
        let mut diagnostic = at(&project, "b", 0);
        let pos = position(&project, diagnostic.finding.loc);
        assert_eq!((pos.end.column, pos.end_exclusive.column), (4, 5));
        let start = diagnostic.finding.loc.span.start();
        diagnostic.finding.loc.span = Span::new(start, start);
        let pos = position(&project, diagnostic.finding.loc);
        assert_eq!(pos.end_exclusive, pos.start);
    }

    #[test]
    fn printable_escapes_terminal_controls() {
        assert_eq!(super::printable("plain\ntext"), "plain\ntext");
        assert_eq!(super::printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
    }
}
