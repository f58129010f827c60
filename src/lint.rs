//! Runs the enabled rules over a loaded project and orders their diagnostics.

use rayon::prelude::*;

use crate::config::{Config, Level};
use crate::deploy::Deploy;
use crate::diagnostic::{Diagnostic, Severity};
use crate::index::Index;
use crate::project::Project;
use crate::rules::{self, Context, Rule};
use crate::suppress::Suppressions;

/// The level a rule runs at under `config`, or `None` when it is off.
pub fn rule_severity(rule: &dyn Rule, config: &Config) -> Option<Severity> {
    match config.levels.get(rule.meta().id) {
        Some(Level::Off) => None,
        Some(Level::On(severity)) => Some(*severity),
        None => rule.meta().default_level.severity(),
    }
}

/// The change-safety findings (rules of the group `change`) of the working tree against
/// `base` (`check --base`), unsorted, their base locations past the project's files (see
/// [`Project::add_base_files`]). Not subject to suppression comments: a finding may point
/// into a file the change deleted.
pub fn lint_changes(project: &Project, config: &Config, base: rules::Base<'_>) -> Vec<Diagnostic> {
    let deploy = Deploy::build(project, config);
    let index = Index::build(project, config, &deploy);
    let cx = Context::new(project, &index, config).with_base(base);
    rules::ALL
        .iter()
        .filter(|rule| rule.meta().group == CHANGE_GROUP)
        .filter_map(|rule| rule_severity(*rule, config).map(|severity| (rule, severity)))
        .flat_map(|(rule, severity)| {
            let mut findings = Vec::new();
            rule.check(&cx, &mut findings);
            findings.into_iter().map(move |finding| Diagnostic {
                rule: rule.meta().id,
                severity: finding.at_most.map_or(severity, |cap| severity.min(cap)),
                finding,
            })
        })
        .collect()
}

/// `check --base`: keeps only the findings `project` introduces over `base` (matched by
/// identity: rule, object, field path, as a baseline — never by line), then adds the
/// change-safety findings, `base`'s files they point at included in `project` as
/// `REF:path`.
///
/// Returns the paths the change touched: files added, changed or deleted.
pub fn compare_with_base(
    project: &mut Project,
    base: &Project,
    reference: &str,
    config: &Config,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut touched: Vec<String> = Vec::new();
    for (file, source) in project.sources.iter() {
        let same = base
            .file_id(&source.path)
            .is_some_and(|old| base.text(old).text == project.text(file).text);
        if !same {
            touched.push(source.path.clone());
        }
    }
    for (_, source) in base.sources.iter() {
        if project.file_id(&source.path).is_none() {
            touched.push(source.path.clone());
        }
    }
    let before = lint(base, config);
    crate::baseline::Baseline::record(base, &before).filter(project, diagnostics);
    let mut changes = lint_changes(project, config, rules::Base::new(base, reference, project));
    project.add_base_files(base, reference, &mut changes);
    diagnostics.extend(changes);
    sort(project, diagnostics);
    touched
}

/// The rules that compare the working tree with a base revision.
pub const CHANGE_GROUP: &str = "change";

/// Sorts diagnostics by file, position and rule, and drops duplicates.
pub fn sort(project: &Project, diagnostics: &mut Vec<Diagnostic>) {
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
}

/// Every diagnostic of the enabled rules, deduplicated, sorted by file, line, column, rule.
pub fn lint(project: &Project, config: &Config) -> Vec<Diagnostic> {
    let deploy = Deploy::build(project, config);
    lint_indexed(project, &Index::build(project, config, &deploy), config)
}

/// [`lint`] with the project's deployments and index built by the caller (who decides when
/// they are freed).
pub fn lint_indexed(project: &Project, index: &Index<'_>, config: &Config) -> Vec<Diagnostic> {
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
    sort(project, &mut diagnostics);
    diagnostics
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
