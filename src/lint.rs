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
    diagnostics
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
