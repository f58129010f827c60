//! The engine: what `pglint check` does, as a library function any caller runs (the command
//! line, `pglint new`, an editor server, a library user).
//!
//! [`check`] takes a loaded repository through deploy → index → rules ([`lint`]: precedence,
//! suppressions, cascades of parse errors) → fixes → `--base` → files changed meanwhile →
//! baseline → path filters, and returns a [`Report`]. It prints nothing and decides no exit
//! code: the caller does. It writes only the fixes it was asked to apply.

pub mod lint;
pub mod precedence;

use std::fmt;
use std::path::Path;

use crate::baseline::{Baseline, Entry};
use crate::config::Config;
use crate::deploy::Deploy;
use crate::diagnostic::Diagnostic;
use crate::index::Index;
use crate::project::Project;
use crate::write::Changed;

/// What a run does beyond linting.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// Report only findings located (primary or related) under these repository-relative
    /// paths (`""`: everything); fixes are limited to them too. Empty: everything.
    pub paths: Vec<String>,
    /// Fix before reporting.
    pub fix: FixMode,
    /// Report only the findings this change introduces against this git revision, plus the
    /// change-safety findings.
    pub base: Option<&'a str>,
    /// Report only the findings this baseline does not record.
    pub baseline: Option<&'a Baseline>,
    /// The repository-relative path of the configuration file in use, for the notices.
    pub config_file: Option<&'a str>,
    /// The repository's write lock, which [`FixMode::Write`] writes under.
    pub writer: Option<&'a crate::write::Lock>,
    /// The caller goes on after the check (an editor's server checks on every change): the
    /// index and deployments are freed rather than left to the end of the process.
    pub long_running: bool,
}

/// Whether and how [`check`] fixes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FixMode {
    #[default]
    Off,
    /// Apply the fixes and write them, then report what remains.
    Write { unsafe_fixes: bool },
    /// Compute the fixes and stop: nothing is written, nothing else is checked (`--diff`).
    Preview { unsafe_fixes: bool },
}

/// What a run found.
#[derive(Debug)]
pub struct Report {
    /// The repository the findings are about: as loaded, or as fixed (and written).
    pub project: Project,
    /// Sorted by file, position and rule.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings left out as cascades of a parse error (see [`lint::Linted::skipped`]).
    pub skipped: usize,
    /// What the run wants a reader to know that is no finding.
    pub notices: Vec<String>,
    /// Argo CD or Flux deployers exist but none is known to apply this repository (see
    /// [`crate::notices::DeployNotices::unidentified`]): `--deny-warnings` fails the run.
    pub unidentified: bool,
    /// With `--base`: the paths the change touched (added, changed or deleted).
    pub touched: Option<Vec<String>>,
    /// Baseline entries that matched nothing (with the count left over).
    pub stale_baseline: Vec<Entry>,
    /// What the fix stage did, when it ran.
    pub fixes: Option<Fixes>,
}

/// What the fix stage did.
#[derive(Debug)]
pub struct Fixes {
    /// How many findings' fixes were applied.
    pub count: usize,
    /// The changed files, in path order (written unless previewed).
    pub changed: Vec<Changed>,
    /// Fixes not applied, and why.
    pub skipped: Vec<String>,
    /// Files changed by someone else after they were checked: not fixed, and the run fails.
    pub changed_meanwhile: Vec<String>,
    /// Under [`FixMode::Preview`]: nothing is written.
    pub preview: bool,
    /// Under [`FixMode::Preview`], the repository as loaded, for a diff against
    /// [`Report::project`], when a fix changed it (`None`: `Report::project` is it).
    pub before: Option<Project>,
}

/// Why a run could not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The repository (or a fixed version of it) could not be loaded.
    Load(String),
    /// `--base`: the revision could not be read or loaded.
    Base(String),
    /// The fixes could not be computed.
    Fix(String),
    /// The fixes were computed but not written (nothing was).
    Write(Vec<String>),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Load(reason) | EngineError::Base(reason) | EngineError::Fix(reason) => {
                f.write_str(reason)
            }
            EngineError::Write(failures) => {
                write!(f, "the fixes were not written: {}", failures.join("; "))
            }
        }
    }
}

impl std::error::Error for EngineError {}

/// Loads the repository at `root` as `config` says.
pub fn load(root: &Path, config: &Config) -> Result<Project, EngineError> {
    Project::load(root, config).map_err(EngineError::Load)
}

/// Checks `project` (loaded from `project.root`) under `config`: see the module's
/// documentation for the stages.
pub fn check(
    project: Project,
    config: &Config,
    options: &Options<'_>,
) -> Result<Report, EngineError> {
    let root = project.root.clone();
    let mut notices = crate::notices::notices(&project, config, options.config_file);
    let mut unidentified = false;
    let in_scope = |project: &Project, d: &Diagnostic| concerns(project, d, &options.paths);
    let (mut project, mut diagnostics, skipped, fixes) = match options.fix {
        FixMode::Off => {
            let deploy = Deploy::build(&project, config);
            let known = crate::notices::deploy_notices(&project, &deploy);
            notices.extend(known.notices);
            unidentified = known.unidentified;
            let index = Index::build(&project, config, &deploy);
            let linted = lint::lint_indexed(&project, &index, config);
            if linted.skipped > 0 {
                notices.push(cascade_notice(&project, &linted));
            }
            // The process usually ends soon after a check: freeing every object one by one
            // would only cost time.
            if !options.long_running {
                std::mem::forget(index);
                std::mem::forget(deploy);
            }
            (project, linted.diagnostics, linted.skipped, None)
        }
        FixMode::Write { unsafe_fixes } | FixMode::Preview { unsafe_fixes } => {
            let preview = matches!(options.fix, FixMode::Preview { .. });
            let mut fixed =
                crate::fix::run(&root, config, project, unsafe_fixes, preview, &in_scope)
                    .map_err(EngineError::Fix)?;
            let fixes = Fixes {
                count: fixed.applied_count(),
                changed: fixed.changed,
                skipped: fixed.skipped,
                changed_meanwhile: fixed.changed_meanwhile,
                preview,
                before: fixed.loaded.take(),
            };
            if preview {
                return Ok(Report {
                    project: fixed.project,
                    diagnostics: fixed.diagnostics,
                    skipped: 0,
                    notices,
                    unidentified,
                    touched: None,
                    stale_baseline: Vec::new(),
                    fixes: Some(fixes),
                });
            }
            let lock = options.writer.ok_or_else(|| {
                EngineError::Write(vec!["--fix writes under the repository's lock".into()])
            })?;
            crate::write::write_all(lock, &fixes.changed).map_err(EngineError::Write)?;
            let known = crate::notices::deploy_notices(
                &fixed.project,
                &Deploy::build(&fixed.project, config),
            );
            notices.extend(known.notices);
            unidentified = known.unidentified;
            (fixed.project, fixed.diagnostics, 0, Some(fixes))
        }
    };
    let touched = match options.base {
        Some(reference) => {
            let files = crate::git::tree_at(&root, reference, config.max_file_bytes)
                .map_err(EngineError::Base)?;
            let base = Project::from_files(files, config).map_err(EngineError::Base)?;
            Some(lint::compare_with_base(
                &mut project,
                &base,
                reference,
                config,
                &mut diagnostics,
            ))
        }
        None => None,
    };
    let stale_baseline = match options.baseline {
        Some(baseline) => baseline.filter(&mut diagnostics),
        None => Vec::new(),
    };
    diagnostics.retain(|d| in_scope(&project, d));
    Ok(Report {
        project,
        diagnostics,
        skipped,
        notices,
        unidentified,
        touched,
        stale_baseline,
        fixes,
    })
}

/// The notice of findings left out as cascades of parse errors.
fn cascade_notice(project: &Project, linted: &lint::Linted) -> String {
    let files: Vec<&str> = linted.unparsed.iter().map(|&f| project.path(f)).collect();
    format!(
        "{} not reported: {} could not be parsed, and what it declares may be what they find missing; fix it and run pglint again",
        if linted.skipped == 1 {
            "1 finding".to_string()
        } else {
            format!("{} findings", linted.skipped)
        },
        files.join(", ")
    )
}

/// Is the diagnostic located (primary or related) under one of `paths` (repository-relative;
/// none: everything)?
pub fn concerns(project: &Project, diagnostic: &Diagnostic, paths: &[String]) -> bool {
    if paths.is_empty() {
        return true;
    }
    let matches = |file| {
        let path = project.path(file);
        paths.iter().any(|f| {
            f.is_empty()
                || path == f
                || path
                    .strip_prefix(f.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
    };
    matches(diagnostic.finding.loc.file)
        || diagnostic
            .finding
            .related
            .iter()
            .any(|r| matches(r.loc.file))
}
