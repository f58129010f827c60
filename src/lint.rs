//! Runs the enabled rules over a loaded project and orders their diagnostics.

use rayon::prelude::*;

use crate::config::{Config, Level};
use crate::deploy::Deploy;
use crate::diagnostic::{Diagnostic, Severity};
use crate::index::Index;
use crate::project::Project;
use crate::rules::{self, Context, Rule};
use crate::source::FileId;
use crate::suppress::Suppressions;

/// The level a rule runs at under `config`, or `None` when it is off.
pub fn rule_severity(rule: &dyn Rule, config: &Config) -> Option<Severity> {
    match config.levels.get(rule.meta().id) {
        Some(Level::Off) => None,
        Some(Level::On(severity)) => Some(*severity),
        None => rule.meta().default_level.severity(),
    }
}

/// What a lint run reports, and what it leaves out as a cascade of a parse error.
#[derive(Debug, Default)]
pub struct Linted {
    /// Deduplicated, sorted by file, line, column, rule.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings not reported: they rest on the absence of objects (a role, a Cluster, a
    /// Secret…) that a file which could not be parsed may declare.
    pub skipped: usize,
    /// The files that could not be parsed and explain those findings, in file order.
    pub unparsed: Vec<FileId>,
}

/// Every diagnostic of the enabled rules, deduplicated, sorted by file, line, column, rule.
pub fn lint(project: &Project, config: &Config) -> Vec<Diagnostic> {
    lint_all(project, config).diagnostics
}

/// [`lint`], with what was skipped.
pub fn lint_all(project: &Project, config: &Config) -> Linted {
    let deploy = Deploy::build(project, config);
    lint_indexed(project, &Index::build(project, config, &deploy), config)
}

/// [`lint_all`] with the project's deployments and index built by the caller (who decides when
/// they are freed).
pub fn lint_indexed(project: &Project, index: &Index<'_>, config: &Config) -> Linted {
    let cx = Context::new(project, index, config);
    let mut diagnostics: Vec<Diagnostic> = rules::ALL
        .par_iter()
        .filter_map(|rule| rule_severity(*rule, config).map(|severity| (rule, severity)))
        .flat_map_iter(|(rule, severity)| {
            let mut findings = Vec::new();
            rule.check(&cx, &mut findings);
            findings.into_iter().map(move |finding| Diagnostic {
                rule: rule.meta().id,
                severity: finding.at_most.map_or(severity, |cap| severity.min(cap)),
                finding,
            })
        })
        .collect();
    apply_suppressions(project, config, &mut diagnostics);
    drop_advice_on_plaintext(project, &mut diagnostics);
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                project.path(d.finding.loc.file),
                d.finding.loc.span.start(),
                d.rule,
                d.finding.loc.span.end(),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.finding.message.cmp(&b.finding.message))
    });
    diagnostics.dedup();
    let (skipped, unparsed) = skip_cascades(project, &mut diagnostics);
    Linted {
        diagnostics,
        skipped,
        unparsed,
    }
}

/// Root causes, not cascades: drops the findings that rest on the absence of objects of a
/// kind that a file which could not be parsed names in its unread part (the Cluster file is
/// broken: its roles are not "missing"). Returns how many were dropped, and the files that
/// explain them.
fn skip_cascades(project: &Project, diagnostics: &mut Vec<Diagnostic>) -> (usize, Vec<FileId>) {
    let broken: Vec<(FileId, &[String])> = project
        .files
        .iter()
        .enumerate()
        .filter(|(_, info)| !info.skipped && !info.unread_kinds.is_empty())
        .map(|(i, info)| (FileId(i as u32), info.unread_kinds.as_slice()))
        .collect();
    if broken.is_empty() {
        return (0, Vec::new());
    }
    let mut explaining: Vec<FileId> = Vec::new();
    let before = diagnostics.len();
    diagnostics.retain(|d| {
        let Some(kinds) = d.finding.absent else {
            return true;
        };
        let mut kept = true;
        for &(file, unread) in &broken {
            if kinds.is_empty() || kinds.iter().any(|k| unread.iter().any(|u| u == k)) {
                kept = false;
                if !explaining.contains(&file) {
                    explaining.push(file);
                }
            }
        }
        kept
    });
    explaining.sort();
    (before - diagnostics.len(), explaining)
}

/// A plaintext Secret gets `plaintext-secret` only: advice to list it in a kustomization, to
/// annotate it for Reflector or to reference it would keep a leaked credential in use. What
/// is said about how its file is written (the `parsing` group) and about suppressions stays.
fn drop_advice_on_plaintext(project: &Project, diagnostics: &mut Vec<Diagnostic>) {
    let plaintext: Vec<crate::source::Loc> = project
        .objects
        .iter()
        .filter(|obj| match &obj.spec {
            crate::model::Spec::Secret(secret) => !secret.plaintext_values().is_empty(),
            _ => false,
        })
        .map(|obj| obj.loc)
        .collect();
    if plaintext.is_empty() {
        return;
    }
    let kept = |rule: &str| {
        rule == "plaintext-secret"
            || rules::find(rule)
                .is_none_or(|r| matches!(r.meta().group, "parsing" | "suppressions"))
    };
    diagnostics.retain(|d| {
        let at = d.finding.loc;
        kept(d.rule)
            || !plaintext.iter().any(|obj| {
                obj.file == at.file
                    && obj.span.start() <= at.span.start()
                    && at.span.end() <= obj.span.end()
            })
    });
}

/// Drops suppressed diagnostics and reports suppressions of rules that ran but matched nothing.
fn apply_suppressions(project: &Project, config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    let known: Vec<&str> = rules::ALL.iter().map(|r| r.meta().id).collect();
    let suppressions = Suppressions::collect(project, &known);
    let unused = suppressions.apply(diagnostics);
    let unused_rule = rules::find("suppression-unused").expect("registered");
    let Some(severity) = rule_severity(unused_rule, config) else {
        return;
    };
    let ran = |id: &str| rules::find(id).is_some_and(|r| rule_severity(r, config).is_some());
    diagnostics.extend(
        unused
            .into_iter()
            .filter(|(rule, _)| ran(rule))
            .map(|(_, finding)| Diagnostic {
                rule: unused_rule.meta().id,
                severity,
                finding,
            }),
    );
}
