//! One mistake, one finding: the engine's post-pass over every rule's findings.
//!
//! A mistake is a node to edit. Findings that point at the same node — where the rule judged
//! it, or the [`Cause`](crate::diagnostic::Cause) it recorded, a transformation that made the
//! problem elsewhere — are one mistake:
//! - a rule that [yields to](crate::rules::RuleMeta::yields_to) another rule reported there
//!   is dropped: its objects become related locations of that rule's finding;
//! - a rule's findings there become one, located at that node, every judged object listed as
//!   a related location, their distinct helps kept, and their fixes one fix when they can be
//!   applied together.
//!
//! A finding elsewhere is explained too when a finding of a rule it yields to lists its judged node
//! among its related locations (`owner-role-missing`'s "add role `x` with `passwordSecret:
//! x-db-creds`" names the secret that `secret-unreferenced` would report as unused), or lies in
//! an object the finding says it is explained within (`sync-wave-order` of two objects, when
//! `sync-wave-wrong` reports the wave of one of them).
//!
//! No rule needs to know whether another rule reports: the precedence is declared, and
//! decided here once.

use crate::diagnostic::{Diagnostic, Related};
use crate::edit::Fix;
use crate::hash::HashMap;
use crate::rules::RuleId;
use crate::source::{FileId, Loc, Span};

/// Merges the findings of each mistake (see the module's documentation). `diagnostics` are
/// sorted; the result keeps their order, each merged finding where its first member was.
pub fn one_finding_per_mistake(diagnostics: &mut Vec<Diagnostic>) {
    drop_explained(diagnostics);
    let mut groups: HashMap<Loc, Vec<usize>> = HashMap::default();
    for (i, d) in diagnostics.iter().enumerate() {
        groups.entry(node_of(d)).or_default().push(i);
    }
    let needs_merging = |members: &Vec<usize>| {
        members.len() > 1 || members.iter().any(|&i| relocated(&diagnostics[i]))
    };
    if !groups.values().any(needs_merging) {
        return;
    }
    // Each diagnostic's replacement: `None` to drop it.
    let mut replaced: Vec<Option<Diagnostic>> = diagnostics.drain(..).map(Some).collect();
    let mut groups: Vec<(Loc, Vec<usize>)> = groups.into_iter().collect();
    groups.sort_by_key(|(_, members)| members[0]);
    for (node, members) in groups {
        let all: Vec<Diagnostic> = members
            .iter()
            .map(|&i| replaced[i].take().expect("each diagnostic is in one group"))
            .collect();
        let merged = merge(node, all);
        for (slot, diagnostic) in members.iter().zip(merged.into_iter().map(Some)) {
            replaced[*slot] = diagnostic;
        }
    }
    diagnostics.extend(replaced.into_iter().flatten());
}

/// Drops each finding that a finding of a rule it yields to explains elsewhere: one that lists
/// its judged node as a related location, or one inside an object the finding names as
/// [explained within](crate::diagnostic::Finding::explained_within) (see the module's
/// documentation). Rules that yield to each other keep both.
fn drop_explained(diagnostics: &mut Vec<Diagnostic>) {
    let mut explained: HashMap<Loc, Vec<RuleId>> = HashMap::default();
    let mut by_file: HashMap<FileId, Vec<(RuleId, Span)>> = HashMap::default();
    for d in diagnostics.iter() {
        for related in &d.finding.related {
            explained.entry(related.loc).or_default().push(d.rule);
        }
        let at = d.finding.loc;
        by_file.entry(at.file).or_default().push((d.rule, at.span));
    }
    let explains = |other: RuleId, d: &Diagnostic| {
        other != d.rule
            && d.rule.meta().yields_to.contains(&other)
            && !other.meta().yields_to.contains(&d.rule)
    };
    let within = |d: &Diagnostic| {
        d.finding.explained_within.iter().any(|object| {
            by_file.get(&object.file).is_some_and(|found| {
                found.iter().any(|&(rule, at)| {
                    explains(rule, d)
                        && object.span.start() <= at.start()
                        && at.end() <= object.span.end()
                })
            })
        })
    };
    let dropped: Vec<bool> = diagnostics
        .iter()
        .map(|d| {
            let named = explained
                .get(&d.finding.judged_loc())
                .is_some_and(|rules| rules.iter().any(|&other| explains(other, d)));
            named || within(d)
        })
        .collect();
    let mut dropped = dropped.into_iter();
    diagnostics.retain(|_| !dropped.next().unwrap_or(false));
}

/// The node a finding is about: its cause, else where it points.
fn node_of(d: &Diagnostic) -> Loc {
    d.finding.cause.as_ref().map_or(d.finding.loc, |c| c.loc)
}

fn relocated(d: &Diagnostic) -> bool {
    d.finding
        .cause
        .as_ref()
        .is_some_and(|c| c.loc != d.finding.loc)
}

/// The findings left of one node's: one per rule that yields to no other rule there.
fn merge(node: Loc, members: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let present: Vec<RuleId> = members.iter().map(|d| d.rule).collect();
    let yields = |rule: RuleId| {
        rule.meta()
            .yields_to
            .iter()
            .any(|other| *other != rule && present.contains(other))
    };
    let mut kept: Vec<RuleId> = Vec::new();
    for &rule in &present {
        if !yields(rule) && !kept.contains(&rule) {
            kept.push(rule);
        }
    }
    if kept.is_empty() {
        // Rules that yield to each other: keep them all rather than lose the mistake.
        kept = present.clone();
        kept.dedup();
    }
    let mut out: Vec<Diagnostic> = kept
        .iter()
        .map(|&rule| {
            let mine: Vec<&Diagnostic> = members.iter().filter(|d| d.rule == rule).collect();
            merge_rule(node, &mine)
        })
        .collect();
    // What the dropped rules judged, on the finding they yield to: the object, or for a
    // finding already about this node (merged, or reported here), the objects it lists.
    for dropped in members.iter().filter(|d| !kept.contains(&d.rule)) {
        let target = dropped
            .rule
            .meta()
            .yields_to
            .iter()
            .find_map(|y| out.iter().position(|d| d.rule == *y))
            .unwrap_or(0);
        let related = &mut out[target].finding.related;
        let subject = dropped.finding.judged_loc();
        if subject != node {
            let message = format!("{} ({})", dropped.finding.message, dropped.rule);
            add_related(related, subject, message);
        } else {
            // A place the finding kept already lists is not listed twice.
            for r in dropped.finding.related.iter().filter(|r| r.loc != node) {
                if !related.iter().any(|kept| kept.loc == r.loc) {
                    add_related(related, r.loc, format!("{} ({})", r.message, dropped.rule));
                }
            }
        }
    }
    out
}

/// One rule's findings at `node` as one finding there.
fn merge_rule(node: Loc, mine: &[&Diagnostic]) -> Diagnostic {
    let first = mine[0];
    let mut merged = (*first).clone();
    merged.severity = mine
        .iter()
        .map(|d| d.severity)
        .max()
        .unwrap_or(first.severity);
    merged.finding.loc = node;
    let moved = first.finding.loc != node;
    if let Some(cause) = merged.finding.cause.take()
        && moved
    {
        // Reported at the cause: the finding is about that node now.
        merged.finding.subject = Some(cause.subject);
        merged.finding.message = cause.what;
        merged.finding.label = Some("made here".into());
    }
    let mut related: Vec<Related> = Vec::new();
    for (i, d) in mine.iter().enumerate() {
        let subject = d.finding.judged_loc();
        if subject != node && (moved || i > 0 || d.finding.judged.is_some()) {
            add_related(&mut related, subject, d.finding.message.clone());
        }
    }
    if !moved && mine.len() > 1 {
        merged.finding.message =
            format!("{} (and {} more)", merged.finding.message, mine.len() - 1);
    }
    // The first finding's own related locations describe its object only: listed with the
    // others, its judged node says where it is.
    let own = std::mem::take(&mut merged.finding.related);
    if mine.len() == 1 || first.finding.judged.is_none() {
        for r in own {
            add_related(&mut related, r.loc, r.message);
        }
    }
    merged.finding.related = related;
    merged.finding.help = combined_help(mine);
    merged.finding.fix = combined_fix(mine);
    merged
}

fn add_related(related: &mut Vec<Related>, loc: Loc, message: String) {
    if !related.iter().any(|r| r.loc == loc && r.message == message) {
        related.push(Related { loc, message });
    }
}

/// Every distinct help of one rule's findings at a node, in their order, one a line (each
/// object may need its own: "did you mean `a`?", "did you mean `b`?").
fn combined_help(mine: &[&Diagnostic]) -> Option<String> {
    let mut helps: Vec<&str> = Vec::new();
    for help in mine.iter().filter_map(|d| d.finding.help.as_deref()) {
        if !helps.contains(&help) {
            helps.push(help);
        }
    }
    (!helps.is_empty()).then(|| helps.join("\n"))
}

/// The fixes of one rule's findings at a node, as one: their edits together when every
/// finding has a fix of the same applicability and no two edits overlap; else the first
/// finding's fix alone.
fn combined_fix(mine: &[&Diagnostic]) -> Option<Fix> {
    let first = mine[0].finding.fix.clone()?;
    let mut combined = first.clone();
    for d in &mine[1..] {
        let Some(fix) = &d.finding.fix else {
            return Some(first);
        };
        if fix.applicability != combined.applicability {
            return Some(first);
        }
        for edit in &fix.edits {
            if combined.edits.contains(edit) {
                continue;
            }
            if combined.edits.iter().any(|e| e.overlaps(edit)) {
                return Some(first);
            }
            combined.edits.push(edit.clone());
        }
    }
    Some(combined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Finding, Severity, Subject};

    fn at(file: u32, start: usize) -> Loc {
        Loc {
            file: FileId(file),
            span: Span::new(start, start + 3),
        }
    }

    fn diagnostic(rule: RuleId, finding: Finding) -> Diagnostic {
        Diagnostic {
            rule,
            severity: Severity::Error,
            finding,
        }
    }

    #[test]
    fn a_rule_yields_at_the_same_node() {
        let node = at(0, 10);
        let mut diagnostics = vec![
            diagnostic(
                RuleId::NamespaceWrong,
                Finding::new(node, "wrong namespace"),
            ),
            diagnostic(
                RuleId::SealedSecretMoved,
                Finding::new(node, "moves `a`").judged(at(3, 0)),
            ),
            diagnostic(
                RuleId::SealedSecretMoved,
                Finding::new(node, "moves `b`").judged(at(4, 0)),
            ),
            diagnostic(RuleId::SecretType, Finding::new(at(1, 0), "elsewhere")),
        ];
        one_finding_per_mistake(&mut diagnostics);
        let shown: Vec<(RuleId, &str, usize)> = diagnostics
            .iter()
            .map(|d| (d.rule, d.finding.message.as_str(), d.finding.related.len()))
            .collect();
        assert_eq!(
            shown,
            [
                (RuleId::NamespaceWrong, "wrong namespace", 2),
                (RuleId::SecretType, "elsewhere", 0)
            ]
        );
        assert_eq!(
            diagnostics[0].finding.related[1].message,
            "moves `b` (sealed-secret-moved)"
        );
    }

    #[test]
    fn findings_with_one_cause_are_one_finding_there() {
        let cause = at(2, 5);
        let judged = |file, name: &str| {
            Finding::new(at(file, 0), format!("`{name}` names a missing Cluster")).caused_by(
                cause,
                Subject::default(),
                "the Cluster is renamed here",
            )
        };
        let mut diagnostics = vec![
            diagnostic(RuleId::ClusterMissing, judged(0, "a")),
            diagnostic(RuleId::ClusterMissing, judged(1, "b")),
            // Rules that do not yield to one another are two mistakes.
            diagnostic(RuleId::SecretType, Finding::new(cause, "another mistake")),
        ];
        one_finding_per_mistake(&mut diagnostics);
        assert_eq!(diagnostics.len(), 2);
        let merged = &diagnostics[0];
        assert_eq!(merged.finding.loc, cause);
        assert_eq!(merged.finding.message, "the Cluster is renamed here");
        let related: Vec<(Loc, &str)> = merged
            .finding
            .related
            .iter()
            .map(|r| (r.loc, r.message.as_str()))
            .collect();
        assert_eq!(
            related,
            [
                (at(0, 0), "`a` names a missing Cluster"),
                (at(1, 0), "`b` names a missing Cluster")
            ]
        );
        assert_eq!(diagnostics[1].rule, RuleId::SecretType);
    }

    #[test]
    fn a_finding_that_names_another_ones_subject_explains_it() {
        let secret = at(1, 0);
        let owner = Finding::new(at(0, 0), "owner `wiki_user` is no role")
            .related(secret, "`wiki-db-creds` holds its password");
        let mut diagnostics = vec![
            diagnostic(RuleId::OwnerRoleMissing, owner.clone()),
            diagnostic(RuleId::SecretUnreferenced, Finding::new(secret, "unused")),
        ];
        one_finding_per_mistake(&mut diagnostics);
        let rules: Vec<RuleId> = diagnostics.iter().map(|d| d.rule).collect();
        assert_eq!(rules, [RuleId::OwnerRoleMissing]);
        // A rule it does not yield to names it: both are reported.
        let mut diagnostics = vec![
            diagnostic(RuleId::SecretType, owner),
            diagnostic(RuleId::SecretUnreferenced, Finding::new(secret, "unused")),
        ];
        one_finding_per_mistake(&mut diagnostics);
        assert_eq!(diagnostics.len(), 2);
    }

    #[test]
    fn a_merged_finding_keeps_every_distinct_help() {
        let node = at(0, 0);
        let judged = |file, help: &str| {
            diagnostic(
                RuleId::ClusterMissing,
                Finding::new(at(file, 0), "missing")
                    .caused_by(node, Subject::default(), "renamed")
                    .help(help),
            )
        };
        let mut diagnostics = vec![
            judged(1, "did you mean `a`?"),
            judged(2, "did you mean `b`?"),
            judged(3, "did you mean `a`?"),
        ];
        one_finding_per_mistake(&mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            diagnostics[0].finding.help.as_deref(),
            Some("did you mean `a`?\ndid you mean `b`?")
        );
    }

    #[test]
    fn fixes_of_one_node_apply_together() {
        let node = at(0, 0);
        let fix = |file| {
            Fix::unsafe_edits(
                "write `x`",
                vec![crate::edit::Edit::replace(at(file, 0), "x")],
            )
        };
        let mut diagnostics = vec![
            diagnostic(
                RuleId::ClusterMissing,
                Finding::new(at(1, 0), "a")
                    .caused_by(node, Subject::default(), "renamed")
                    .fix(fix(1)),
            ),
            diagnostic(
                RuleId::ClusterMissing,
                Finding::new(at(2, 0), "b")
                    .caused_by(node, Subject::default(), "renamed")
                    .fix(fix(2)),
            ),
        ];
        one_finding_per_mistake(&mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
        let edits = &diagnostics[0].finding.fix.as_ref().unwrap().edits;
        assert_eq!(edits.len(), 2);
    }
}
