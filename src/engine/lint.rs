//! Runs the enabled rules over a loaded project and orders their diagnostics.

use rayon::prelude::*;

use crate::config::{Config, Level};
use crate::deploy::Deploy;
use crate::diagnostic::{Diagnostic, Severity};
use crate::index::Index;
use crate::project::Project;
use crate::rules::{self, Context, Rule, RuleGroup, RuleId};
use crate::source::FileId;
use crate::suppress::Suppressions;

/// The level a catalogue entry (a rule or a live check) runs at under `config`, or `None`
/// when it is off.
pub fn severity_of(id: RuleId, config: &Config) -> Option<Severity> {
    match config.levels.get(&id) {
        Some(Level::Off) => None,
        Some(Level::On(severity)) => Some(*severity),
        None => id.meta().default_level.severity(),
    }
}

/// The change-safety findings (rules of the group `change`) of the working tree against
/// `base` (`check --base`), unsorted, their base locations past the project's files (see
/// [`Project::add_base_files`]). They gate a merge until acknowledged: a suppression comment
/// on the finding's line, which must give a reason (`# pglint-ignore: database-dropped --
/// backed up in …`), is the acknowledgement. A finding in a file the change deleted has no
/// line to acknowledge on.
pub fn lint_changes(project: &Project, config: &Config, base: rules::Base<'_>) -> Vec<Diagnostic> {
    let deploy = Deploy::build(project, config);
    let index = Index::build(project, config, &deploy);
    let cx = Context::new(project, &index, config).with_base(base);
    let change_rules: Vec<&dyn Rule> = rules::ALL
        .iter()
        .copied()
        .filter(|rule| rule.meta().group == RuleGroup::Change)
        .collect();
    let mut changes = run(&cx, &change_rules);
    // Whether an acknowledgement is still needed is only known with a base: never reported
    // as unused.
    let _unused = Suppressions::collect(project).apply(&mut changes);
    changes
}

/// The findings of `rules` (those `config` turns on) over `cx`, attributed and at their
/// configured severity, in no particular order.
fn run(cx: &Context<'_>, rules: &[&dyn Rule]) -> Vec<Diagnostic> {
    rules
        .par_iter()
        .filter_map(|rule| severity_of(rule.id(), cx.config).map(|severity| (rule, severity)))
        .flat_map_iter(|(rule, severity)| {
            let mut findings = Vec::new();
            rule.check(cx, &mut findings);
            // Every finding says what it is about: its identity in baselines and `--base`.
            // The fixtures, scenarios and corpus run every rule in debug builds.
            if cfg!(debug_assertions)
                && let Some(finding) = findings.iter().find(|f| f.subject.is_none())
            {
                panic!(
                    "{} reported a finding without a subject: {}",
                    rule.id(),
                    finding.message
                );
            }
            findings.into_iter().map(move |finding| Diagnostic {
                rule: rule.id(),
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
            .is_some_and(|old| base.text(old).as_str() == project.text(file).as_str());
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
    crate::baseline::Baseline::record(&before).filter(diagnostics);
    let mut changes = lint_changes(project, config, rules::Base::new(base, reference, project));
    project.add_base_files(base, reference, &mut changes);
    diagnostics.extend(changes);
    sort(project, diagnostics);
    super::precedence::one_finding_per_mistake(diagnostics);
    sort(project, diagnostics);
    touched
}

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
    let mut diagnostics = run(&cx, rules::ALL);
    apply_suppressions(project, config, &mut diagnostics);
    drop_advice_on_plaintext(project, &mut diagnostics);
    sort(project, &mut diagnostics);
    super::precedence::one_finding_per_mistake(&mut diagnostics);
    sort(project, &mut diagnostics);
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
        .filter(|(_, info)| !info.skipped && !info.unread_kinds().is_empty())
        .map(|(i, info)| (FileId(i as u32), info.unread_kinds()))
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
    let kept = |rule: RuleId| {
        rule == RuleId::PlaintextSecret
            || matches!(rule.group(), RuleGroup::Parsing | RuleGroup::Suppressions)
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
    let suppressions = Suppressions::collect(project);
    let unused = suppressions.apply(diagnostics);
    let Some(severity) = severity_of(RuleId::SuppressionUnused, config) else {
        return;
    };
    // A change-safety rule reports only under `--base`: its acknowledgements are not unused
    // without one.
    let ran = |id: RuleId| id.group() != RuleGroup::Change && severity_of(id, config).is_some();
    diagnostics.extend(
        unused
            .into_iter()
            .filter(|&(rule, _)| ran(rule))
            .map(|(_, finding)| Diagnostic {
                rule: RuleId::SuppressionUnused,
                severity,
                finding: {
                    let subject = Suppressions::subject_of(project, finding.loc);
                    finding.subject(subject)
                },
            }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{CLUSTER, DATABASE};

    /// `check --base` of a change setting `ensure: absent`, the line as given.
    fn gate(ensure_line: &str) -> Vec<(RuleId, Severity)> {
        let config = Config::default();
        let base = Project::from_texts(&[("c.yaml", CLUSTER), ("d.yaml", DATABASE)], &config);
        let dropped = format!("{DATABASE}{ensure_line}\n");
        let mut project = Project::from_texts(
            &[("c.yaml", CLUSTER), ("d.yaml", dropped.as_str())],
            &config,
        );
        let mut diagnostics = lint(&project, &config);
        compare_with_base(&mut project, &base, "main", &config, &mut diagnostics);
        diagnostics.iter().map(|d| (d.rule, d.severity)).collect()
    }

    #[test]
    fn dropping_data_gates_a_change_until_acknowledged_with_a_reason() {
        // One change, one finding, an error: the hygiene rule yields to the change rule.
        assert_eq!(
            gate("  ensure: absent"),
            [(RuleId::DatabaseDropped, Severity::Error)]
        );
        // Acknowledged on its line, with a reason: what is left is the hygiene warning.
        assert_eq!(
            gate("  ensure: absent # pglint-ignore: database-dropped -- backed up, app retired"),
            [(RuleId::DatabaseReclaimDelete, Severity::Warning)]
        );
        // Without a reason the comment acknowledges nothing (and is itself reported).
        let unexplained = gate("  ensure: absent # pglint-ignore: database-dropped");
        assert!(
            unexplained.contains(&(RuleId::DatabaseDropped, Severity::Error)),
            "{unexplained:?}"
        );
        assert!(
            unexplained
                .iter()
                .any(|(rule, _)| *rule == RuleId::SuppressionInvalid),
            "{unexplained:?}"
        );
    }

    /// A rule that reports a finding without saying what it is about.
    struct Subjectless;

    impl Rule for Subjectless {
        fn id(&self) -> RuleId {
            RuleId::ClusterMissing
        }

        fn meta(&self) -> &'static crate::rules::RuleMeta {
            RuleId::ClusterMissing.meta()
        }

        fn check(&self, cx: &Context<'_>, out: &mut Vec<crate::diagnostic::Finding>) {
            let loc = cx.project.objects[0].loc;
            out.push(crate::diagnostic::Finding::new(loc, "no subject"));
        }
    }

    /// The meta-check every test run makes: a rule's finding without a subject (which a
    /// baseline could only key by re-reading YAML) fails a debug build.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "cluster-missing reported a finding without a subject")]
    fn a_finding_without_a_subject_fails_a_debug_build() {
        let config = Config::default();
        let project = Project::from_texts(&[("d.yaml", DATABASE)], &config);
        let deploy = Deploy::build(&project, &config);
        let index = Index::build(&project, &config, &deploy);
        run(&Context::new(&project, &index, &config), &[&Subjectless]);
    }

    #[test]
    fn an_acknowledgement_is_not_unused_without_a_base() {
        let config = Config::default();
        let text = format!(
            "{DATABASE}  ensure: absent # pglint-ignore: database-dropped -- backed up, app retired\n"
        );
        let project =
            Project::from_texts(&[("c.yaml", CLUSTER), ("d.yaml", text.as_str())], &config);
        let rules: Vec<RuleId> = lint(&project, &config).iter().map(|d| d.rule).collect();
        assert!(!rules.contains(&RuleId::SuppressionUnused), "{rules:?}");
    }
}
