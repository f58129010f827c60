//! Stage 7 (beside the reports): applying the rules' fixes. Edits are applied to the bytes
//! read from disk (if they are still the text the fix was computed from), the repository is
//! linted again from those bytes and the other files' texts as loaded, and again until nothing
//! is left to fix (at most [`MAX_PASSES`] times, like ruff). A fix whose edits would leave a
//! file that no longer parses is rolled back. Nothing is written here: [`crate::write`] writes
//! the result atomically, each file only if it is still what was read.

use std::path::Path;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::edit::{Edit, Fix};
use crate::engine::lint::lint;
use crate::hash::HashMap;
use crate::project::{Project, decode};
use crate::rules::RuleId;
use crate::write::Changed;
use crate::yaml::parse;

/// How many times a run lints and fixes before it stops (a fix that keeps making new work
/// would otherwise loop).
pub const MAX_PASSES: usize = 10;

/// What a fix run did.
#[derive(Debug)]
pub struct Fixed {
    /// The repository as fixed (in memory), with its findings.
    pub project: Project,
    /// With `keep_loaded`, the repository as it was given, when a fix changed it (else
    /// `project` is it): what a preview diffs against, without reading the files again.
    pub loaded: Option<Project>,
    pub diagnostics: Vec<Diagnostic>,
    /// Changed files, in path order.
    pub changed: Vec<Changed>,
    /// How many findings' fixes were applied, by rule.
    pub applied: Vec<(RuleId, usize)>,
    /// Fixes that were not applied, and why (`rule at path:line: reason`).
    pub skipped: Vec<String>,
    /// Files whose bytes changed after they were checked (an editor's save): left alone, and
    /// the run must not end as a success.
    pub changed_meanwhile: Vec<String>,
}

/// Why [`Buffer::read`] refuses a file someone else wrote since it was checked.
const CHANGED_MEANWHILE: &str = "changed while pglint ran";

impl Fixed {
    pub fn applied_count(&self) -> usize {
        self.applied.iter().map(|(_, n)| n).sum()
    }
}

/// One file being fixed: the bytes on disk and where its text starts in them (after a UTF-8
/// byte-order mark, which a fix keeps).
struct Buffer {
    before: Vec<u8>,
    bytes: Vec<u8>,
    text_start: usize,
}

/// Lints `project` (loaded from `root`) and applies the fixes `unsafe_fixes` allows of the
/// findings `in_scope` keeps, pass after pass; `keep_loaded` keeps `project` (see
/// [`Fixed::loaded`]).
pub fn run(
    root: &Path,
    config: &Config,
    project: Project,
    unsafe_fixes: bool,
    keep_loaded: bool,
    in_scope: &dyn Fn(&Project, &Diagnostic) -> bool,
) -> Result<Fixed, String> {
    let mut loaded = None;
    let mut buffers: HashMap<String, Buffer> = HashMap::default();
    let mut unfixable: HashMap<String, String> = HashMap::default();
    let mut applied: HashMap<RuleId, usize> = HashMap::default();
    let mut skipped = Vec::new();
    let mut changed_meanwhile = Vec::new();
    let mut project = project;
    let mut diagnostics = lint(&project, config);
    for _ in 0..MAX_PASSES {
        let mut accepted: Vec<(RuleId, &Fix)> = Vec::new();
        let mut taken: Vec<&Edit> = Vec::new();
        for diagnostic in &diagnostics {
            let Some(fix) = &diagnostic.finding.fix else {
                continue;
            };
            if !in_scope(&project, diagnostic) {
                continue;
            }
            if !fix.applies(unsafe_fixes)
                || fix
                    .edits
                    .iter()
                    .any(|e| taken.iter().any(|t| t.overlaps(e)) || !in_text(&project, e))
            {
                continue;
            }
            let mut ready = true;
            for edit in &fix.edits {
                let path = project.path(edit.file);
                if unfixable.contains_key(path) {
                    ready = false;
                } else if !buffers.contains_key(path) {
                    match Buffer::read(root, &project, edit.file) {
                        Ok(buffer) => {
                            buffers.insert(path.to_string(), buffer);
                        }
                        Err(reason) => {
                            if reason == CHANGED_MEANWHILE {
                                changed_meanwhile.push(path.to_string());
                            }
                            skipped.push(format!("{path}: {reason}; not fixed"));
                            unfixable.insert(path.to_string(), reason);
                            ready = false;
                        }
                    }
                }
            }
            if ready {
                taken.extend(&fix.edits);
                accepted.push((diagnostic.rule, fix));
            }
        }
        if accepted.is_empty() {
            break;
        }
        let kept = apply_checked(&project, config, &mut buffers, &accepted, &mut skipped);
        if kept.is_empty() {
            break;
        }
        for rule in kept {
            *applied.entry(rule).or_default() += 1;
        }
        let overrides: HashMap<String, Vec<u8>> = buffers
            .iter()
            .map(|(path, b)| (path.clone(), b.bytes.clone()))
            .collect();
        let fixed = project.with_edits(&overrides, config);
        let previous = std::mem::replace(&mut project, fixed);
        if keep_loaded && loaded.is_none() {
            loaded = Some(previous);
        }
        diagnostics = lint(&project, config);
    }
    let mut changed: Vec<Changed> = buffers
        .into_iter()
        .filter(|(_, b)| b.bytes != b.before)
        .map(|(path, b)| Changed {
            path,
            before: Some(b.before),
            after: b.bytes,
        })
        .collect();
    changed.sort_by(|a, b| a.path.cmp(&b.path));
    let mut applied: Vec<(RuleId, usize)> = applied.into_iter().collect();
    applied.sort();
    Ok(Fixed {
        project,
        loaded,
        diagnostics,
        changed,
        applied,
        skipped,
        changed_meanwhile,
    })
}

/// The files `edits` change (read from disk under `root`, still as `project` read them), as
/// changes to write: for the commands that compute their edits once (`new`, `seal`).
pub fn apply_edits(root: &Path, project: &Project, edits: &[Edit]) -> Result<Vec<Changed>, String> {
    let mut files: Vec<crate::source::FileId> = edits.iter().map(|e| e.file).collect();
    files.sort_unstable();
    files.dedup();
    let mut changes = Vec::new();
    for file in files {
        let path = project.path(file);
        let buffer =
            Buffer::read(root, project, file).map_err(|reason| format!("{path} {reason}"))?;
        let mine: Vec<&Edit> = edits.iter().filter(|e| e.file == file).collect();
        if mine.iter().any(|e| !in_text(project, e)) {
            return Err(format!("{path}: an edit falls outside the file"));
        }
        changes.push(Changed {
            path: path.to_string(),
            after: buffer.edited(&mine),
            before: Some(buffer.before),
        });
    }
    Ok(changes)
}

impl Buffer {
    /// The file's bytes on disk, if they are still the text that was checked and a fix can
    /// edit them in place (UTF-8).
    fn read(root: &Path, project: &Project, file: crate::source::FileId) -> Result<Buffer, String> {
        let path = project.path(file);
        let full = root.join(path);
        let metadata =
            std::fs::symlink_metadata(&full).map_err(|e| format!("cannot be read: {e}"))?;
        if !metadata.file_type().is_file() {
            return Err("is not a regular file (a link?)".into());
        }
        let bytes = std::fs::read(&full).map_err(|e| format!("cannot be read: {e}"))?;
        if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            return Err("is UTF-16; fixes edit UTF-8 files only".into());
        }
        let text = decode(bytes.clone())?;
        if text != project.text(file).as_str() {
            return Err(CHANGED_MEANWHILE.into());
        }
        let text_start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        Ok(Buffer {
            before: bytes.clone(),
            bytes,
            text_start,
        })
    }

    /// The bytes with `edits` (of this file, non-overlapping) applied.
    fn edited(&self, edits: &[&Edit]) -> Vec<u8> {
        let mut edits = edits.to_vec();
        edits.sort_by_key(|e| std::cmp::Reverse((e.span.start(), e.span.end())));
        let mut bytes = self.bytes.clone();
        let mut i = 0;
        while i < edits.len() {
            let edit = edits[i];
            // Items or entries added at one place go in together (the stable sort kept the
            // order given, in which the first says whether a separator leads).
            let mut group = vec![edit];
            i += 1;
            while let Some(next) = edits.get(i).filter(|next| next.appends_beside(edit)) {
                group.push(next);
                i += 1;
            }
            let content = Edit::joined(&group);
            let range = edit.span.start() + self.text_start..edit.span.end() + self.text_start;
            bytes.splice(range, content.bytes());
        }
        bytes
    }
}

/// Applies the accepted fixes, file by file. A file that would no longer parse (a syntax
/// error, a duplicate key, a limit it did not reach before) gets only the fixes that keep it
/// parseable, each tried alone. Returns the rules of the fixes kept.
fn apply_checked(
    project: &Project,
    config: &Config,
    buffers: &mut HashMap<String, Buffer>,
    accepted: &[(RuleId, &Fix)],
    skipped: &mut Vec<String>,
) -> Vec<RuleId> {
    let mut rejected = vec![false; accepted.len()];
    let mut by_path: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, (_, fix)) in accepted.iter().enumerate() {
        for edit in &fix.edits {
            let fixes = by_path.entry(project.path(edit.file)).or_default();
            if fixes.last() != Some(&i) {
                fixes.push(i);
            }
        }
    }
    let edits_in = |path: &str, fixes: &mut dyn Iterator<Item = usize>| -> Vec<&Edit> {
        fixes
            .flat_map(|i| accepted[i].1.edits.iter())
            .filter(|e| project.path(e.file) == path)
            .collect()
    };
    for (path, fixes) in &by_path {
        let buffer = &buffers[*path];
        let before = problems(&buffer.bytes, config);
        let all = buffer.edited(&edits_in(path, &mut fixes.iter().copied()));
        if problems(&all, config) <= before {
            continue;
        }
        for &i in fixes {
            let alone = buffer.edited(&edits_in(path, &mut std::iter::once(i)));
            if problems(&alone, config) > before {
                rejected[i] = true;
            }
        }
    }
    for (i, (rule, fix)) in accepted.iter().enumerate() {
        if rejected[i] {
            let edit = &fix.edits[0];
            let line = project.text(edit.file).line_col(edit.span.start()).line;
            skipped.push(format!(
                "{rule} at {}:{line}: the fix would make the file unparseable; rolled back",
                project.path(edit.file)
            ));
        }
    }
    for (path, fixes) in by_path {
        let kept: Vec<usize> = fixes.into_iter().filter(|&i| !rejected[i]).collect();
        let buffer = buffers.get_mut(path).expect("read before");
        let edited = buffer.edited(&edits_in(path, &mut kept.into_iter()));
        if problems(&edited, config) <= problems(&buffer.bytes, config) {
            buffer.bytes = edited;
        } else {
            // Fixes that are fine alone but not together: none of them this pass.
            for i in 0..accepted.len() {
                if accepted[i]
                    .1
                    .edits
                    .iter()
                    .any(|e| project.path(e.file) == path)
                {
                    rejected[i] = true;
                }
            }
        }
    }
    accepted
        .iter()
        .zip(&rejected)
        .filter(|(_, rejected)| !**rejected)
        .map(|((rule, _), _)| *rule)
        .collect()
}

/// Does the edit replace whole characters of its file's text?
fn in_text(project: &Project, edit: &Edit) -> bool {
    let text = project.text(edit.file).as_str();
    edit.span.end() <= text.len()
        && text.is_char_boundary(edit.span.start())
        && text.is_char_boundary(edit.span.end())
}

/// How badly a file's bytes parse: 0 when they parse cleanly (the count of YAML problems,
/// one more when the text does not decode).
fn problems(bytes: &[u8], config: &Config) -> usize {
    match decode(bytes.to_vec()) {
        Ok(text) => parse(&text, &config.limits).problems.len(),
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    const DB: &str = "kind: Database\nmetadata:\n  name: db\n";

    fn repository() -> (tempfile::TempDir, Project, Config) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db.yaml"), DB).unwrap();
        let config = Config::default();
        let project = Project::load(dir.path(), &config).unwrap();
        (dir, project, config)
    }

    fn insertion(at: usize, content: &str) -> Fix {
        Fix::safe(
            "test",
            vec![Edit {
                file: FileId(0),
                span: Span::new(at, at),
                content: content.into(),
                appends_with: None,
                sorted: false,
            }],
        )
    }

    #[test]
    fn a_fix_that_breaks_parsing_is_rolled_back_and_the_others_kept() {
        let (dir, project, config) = repository();
        let mut buffers = HashMap::default();
        buffers.insert(
            "db.yaml".to_string(),
            Buffer::read(dir.path(), &project, FileId(0)).unwrap(),
        );
        let good = insertion(DB.len(), "  namespace: postgres\n");
        let bad = insertion(0, "{ unclosed: [\n");
        let mut skipped = Vec::new();
        let kept = apply_checked(
            &project,
            &config,
            &mut buffers,
            &[
                (RuleId::NamespaceMissing, &good),
                (RuleId::NamespaceWrong, &bad),
            ],
            &mut skipped,
        );
        assert_eq!(kept, [RuleId::NamespaceMissing]);
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(
            skipped[0].starts_with("namespace-wrong at db.yaml:1: "),
            "{skipped:?}"
        );
        assert_eq!(
            buffers["db.yaml"].bytes,
            format!("{DB}  namespace: postgres\n").into_bytes()
        );
    }
}
