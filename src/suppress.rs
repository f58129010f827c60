//! Suppressions: `# pglint-ignore: RULE[, RULE] -- reason` (on the line before the node or at
//! the end of its line), `# pglint-ignore-file: RULE[, RULE] -- reason`, and the object
//! annotation `pglint.dev/ignore: "RULE[,RULE]"`. Parsed once from the sources, applied to every
//! rule's diagnostics centrally; a suppression that suppresses nothing is reported.

use crate::diagnostic::{Diagnostic, Finding, Subject};
use crate::hash::HashSet;
use crate::model::closest;
use crate::project::Project;
use crate::rules::RuleId;
use crate::source::{FileId, Loc, Span};
use crate::yaml::Directive;

pub const ANNOTATION: &str = "pglint.dev/ignore";

/// Rules whose findings only an excluded path in `pglint.toml` can silence.
pub const UNSUPPRESSIBLE: &[RuleId] = &[RuleId::PlaintextSecret];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// Diagnostics whose primary location starts on this line (its byte range).
    Line(Span),
    File,
    /// Diagnostics inside this object's document.
    Object(Span),
}

#[derive(Debug, Clone)]
struct Suppression {
    file: FileId,
    scope: Scope,
    rules: Vec<(RuleId, Span)>,
}

/// A suppression comment or annotation that cannot work as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSuppression {
    pub loc: Loc,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Debug, Default)]
pub struct Suppressions {
    entries: Vec<Suppression>,
    pub invalid: Vec<InvalidSuppression>,
}

impl Suppressions {
    /// Reads every suppression of the project; the rules of `check` are what they may name.
    /// What a finding about the suppression at `loc` is about: the node its comment sits
    /// in, or its `pglint.dev/ignore` annotation.
    pub fn subject_of(project: &Project, loc: Loc) -> Subject {
        let path = match project.field_path_at(loc) {
            Some(path) => path.to_string(),
            None => project
                .object_at(loc)
                .and_then(|obj| obj.metadata_entry_path(loc))
                .unwrap_or_default(),
        };
        Subject::at(project, loc, path)
    }

    pub fn collect(project: &Project) -> Suppressions {
        let mut suppressions = Suppressions::default();
        for (index, info) in project.files.iter().enumerate() {
            for directive in info.directives() {
                suppressions.parse_comment(FileId(index as u32), directive);
            }
        }
        for obj in &project.objects {
            let Some(annotation) = obj.meta.annotations.get(ANNOTATION) else {
                continue;
            };
            let (list, _reason) = split_reason(&annotation.value.value);
            let rules = split_rules(list, annotation.value.loc.span.start() + 1);
            suppressions.add(
                annotation.value.loc,
                Scope::Object(obj.loc.span),
                rules,
                false,
            );
        }
        suppressions
    }

    fn parse_comment(&mut self, file: FileId, directive: &Directive) {
        let (start, comment) = (directive.start, directive.text.as_str());
        let body = comment.trim_start_matches('#').trim_start();
        let text = comment.trim_end();
        let loc = Loc {
            file,
            span: Span::new(start, start + text.len()),
        };
        let (file_wide, rest) = if let Some(rest) = body.strip_prefix("pglint-ignore-file:") {
            (true, rest)
        } else if let Some(rest) = body.strip_prefix("pglint-ignore:") {
            (false, rest)
        } else {
            // `# pglint-ignore RULE …`: meant as a suppression, silences nothing. (Another word
            // that merely starts the same, `pglint-ignored`, is prose.)
            let form = if body.starts_with("pglint-ignore-file") {
                "pglint-ignore-file"
            } else {
                "pglint-ignore"
            };
            let after = &body[form.len()..];
            if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
                return;
            }
            self.invalid.push(InvalidSuppression {
                loc,
                message: format!("malformed suppression: `{form}` must be followed by a colon"),
                help: Some(format!(
                    "write `# {form}: RULE[, RULE] -- reason`, e.g. `# pglint-ignore: name-style -- legacy name kept for the app`"
                )),
            });
            return;
        };
        let rest_offset = start + (comment.len() - rest.len());
        let (list, reason) = split_reason(rest);
        if reason.is_none_or(|r| r.trim().is_empty()) {
            // `RULE - reason`: one dash reads as part of the rule list.
            let single_dash = reason.is_none() && list.contains(" - ");
            self.invalid.push(InvalidSuppression {
                loc,
                message: if single_dash {
                    "suppression reason after a single dash: the reason follows ` -- `".into()
                } else {
                    "suppression without a reason".into()
                },
                help: Some("say why after ` -- `, e.g. `# pglint-ignore: name-style -- legacy name kept for the app`".into()),
            });
            return;
        }
        let scope = match (file_wide, directive.target_line) {
            (true, _) => Scope::File,
            (false, Some(line)) => Scope::Line(line),
            (false, None) => {
                self.invalid.push(InvalidSuppression {
                    loc,
                    message: "suppression comment at the end of the file applies to nothing".into(),
                    help: Some("put it on the line before the node it silences, or at the end of that line".into()),
                });
                return;
            }
        };
        let rules = split_rules(list, rest_offset);
        self.add(loc, scope, rules, true);
    }

    fn add(&mut self, loc: Loc, scope: Scope, rules: Vec<(String, usize)>, inline: bool) {
        let mut valid = Vec::new();
        for (rule, at) in rules {
            let rule_loc = Loc {
                file: loc.file,
                span: if inline {
                    Span::new(at, at + rule.len())
                } else {
                    loc.span
                },
            };
            let Some(id) = RuleId::parse(&rule).filter(|id| id.rule().is_some()) else {
                let known = crate::rules::ALL.iter().map(|r| r.meta().id);
                self.invalid.push(InvalidSuppression {
                    loc: rule_loc,
                    message: format!("suppression names unknown rule `{rule}`"),
                    help: closest(&rule, known).map(|s| format!("did you mean `{s}`?")),
                });
                continue;
            };
            if UNSUPPRESSIBLE.contains(&id) {
                self.invalid.push(InvalidSuppression {
                    loc: rule_loc,
                    message: format!("`{rule}` cannot be suppressed"),
                    help: Some("remove the secret from the repository; to skip a path entirely, add it to `exclude` in pglint.toml".into()),
                });
            } else {
                valid.push((id, rule_loc.span));
            }
        }
        if valid.is_empty() {
            return;
        }
        self.entries.push(Suppression {
            file: loc.file,
            scope,
            rules: valid,
        });
    }

    /// Drops the diagnostics a suppression covers; returns the suppressions (rule by rule)
    /// that covered nothing.
    pub fn apply(&self, diagnostics: &mut Vec<Diagnostic>) -> Vec<(RuleId, Finding)> {
        let mut used: HashSet<(usize, usize)> = HashSet::default();
        diagnostics.retain(|d| {
            if UNSUPPRESSIBLE.contains(&d.rule) {
                return true;
            }
            // Where the finding points, the object it judged, and the node that caused it:
            // a suppression at any of them silences it (before the engine merges findings of
            // one cause, so a judged object's suppression silences that object only, and the
            // cause's suppression the whole mistake).
            let finding = &d.finding;
            let locs = [
                Some(finding.loc),
                finding.judged,
                finding.cause.as_ref().map(|c| c.loc),
            ];
            let hit = locs.into_iter().flatten().find_map(|loc| {
                self.entries.iter().enumerate().find_map(|(i, s)| {
                    if s.file != loc.file {
                        return None;
                    }
                    let in_scope = match s.scope {
                        Scope::File => true,
                        Scope::Line(line) => {
                            line.start() <= loc.span.start() && loc.span.start() < line.end()
                        }
                        Scope::Object(span) => {
                            span.start() <= loc.span.start() && loc.span.start() <= span.end()
                        }
                    };
                    let r = s.rules.iter().position(|&(rule, _)| rule == d.rule)?;
                    in_scope.then_some((i, r))
                })
            });
            match hit {
                Some(key) => {
                    used.insert(key);
                    false
                }
                None => true,
            }
        });
        let mut unused = Vec::new();
        for (i, s) in self.entries.iter().enumerate() {
            for (r, (rule, span)) in s.rules.iter().enumerate() {
                if !used.contains(&(i, r)) {
                    unused.push((
                        *rule,
                        Finding::new(
                            Loc {
                                file: s.file,
                                span: *span,
                            },
                            format!("suppression of `{rule}` suppresses nothing"),
                        )
                        .label("unused")
                        .help("remove it: the problem it silenced is gone"),
                    ));
                }
            }
        }
        unused
    }
}

fn split_reason(text: &str) -> (&str, Option<&str>) {
    match text.split_once("--") {
        Some((list, reason)) => (list, Some(reason.trim())),
        None => (text, None),
    }
}

/// Rule ids of a comma-separated list, each with its byte offset (`base` is the list's).
fn split_rules(list: &str, base: usize) -> Vec<(String, usize)> {
    let mut rules = Vec::new();
    let mut offset = 0;
    for part in list.split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let lead = part.len() - part.trim_start().len();
            rules.push((trimmed.to_string(), base + offset + lead));
        }
        offset += part.len() + 1;
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_lists_keep_offsets() {
        assert_eq!(
            split_rules(" a, bb ,c", 10),
            vec![("a".into(), 11), ("bb".into(), 14), ("c".into(), 18)]
        );
        assert_eq!(split_reason(" a, b -- legacy"), (" a, b ", Some("legacy")));
        assert_eq!(split_reason(" a"), (" a", None));
    }

    /// A suppression on the line of a finding's judged object or cause silences it: the judged object's
    /// silences that object's finding only, the cause's every finding it caused.
    #[test]
    fn suppressions_at_a_subject_or_a_cause() {
        use crate::config::Config;
        use crate::diagnostic::{Diagnostic, Finding, Severity};
        use crate::source::{FileId, Loc, Span};
        let ignore = "# pglint-ignore: sealed-secret-moved -- resealed by hand\n";
        // Every file: a first line as long as the suppression (it, or another comment), the
        // node on the second.
        let file = |ignored: bool, node: &str| {
            let first = if ignored {
                ignore.to_string()
            } else {
                format!("#{}\n", " ".repeat(ignore.len() - 2))
            };
            format!("{first}{node}\n")
        };
        let config = Config::default();
        let at = |file: u32| Loc {
            file: FileId(file),
            span: Span::new(ignore.len(), ignore.len() + 4),
        };
        // A finding at the cause (file 0) about a SealedSecret (file 1 or 2), and one judged at
        // the SealedSecret and caused by the kustomization.
        let moved =
            |subject: u32| Finding::new(at(0), format!("moves {subject}")).judged(at(subject));
        let caused = |judged: u32| {
            Finding::new(at(judged), format!("judged {judged}")).caused_by(
                at(0),
                Default::default(),
                "renames",
            )
        };
        let run = |texts: [(&str, String); 3], findings: Vec<Finding>| {
            let texts: Vec<(&str, &str)> = texts.iter().map(|(p, t)| (*p, t.as_str())).collect();
            let project = Project::from_texts(&texts, &config);
            let mut diagnostics: Vec<Diagnostic> = findings
                .into_iter()
                .map(|finding| Diagnostic {
                    rule: RuleId::SealedSecretMoved,
                    severity: Severity::Error,
                    finding,
                })
                .collect();
            let unused = Suppressions::collect(&project).apply(&mut diagnostics);
            assert!(unused.is_empty(), "{unused:?}");
            diagnostics
                .into_iter()
                .map(|d| d.finding.message)
                .collect::<Vec<_>>()
        };
        let subject_ignored = || {
            [
                ("0-kustomization.yaml", file(false, "namePrefix: shared-")),
                ("1-a.yaml", file(true, "name: a")),
                ("2-b.yaml", file(false, "name: b")),
            ]
        };
        assert_eq!(
            run(subject_ignored(), vec![moved(1), moved(2)]),
            ["moves 2"]
        );
        assert_eq!(
            run(subject_ignored(), vec![caused(1), caused(2)]),
            ["judged 2"]
        );
        let cause_ignored = [
            ("0-kustomization.yaml", file(true, "namePrefix: shared-")),
            ("1-a.yaml", file(false, "name: a")),
            ("2-b.yaml", file(false, "name: b")),
        ];
        assert!(run(cause_ignored, vec![caused(1), caused(2)]).is_empty());
    }
}

#[cfg(test)]
mod malformed_tests {
    use crate::rules::testing::findings;

    const DB: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: d\n  namespace: p\nspec:\n  name: d\n  owner: o\n  cluster:\n    name: c\n";

    #[test]
    fn malformed_suppressions_say_what_the_form_is() {
        let no_colon = format!("# pglint-ignore owner-role-missing -- retired app\n{DB}");
        let single_dash = format!("# pglint-ignore: owner-role-missing - retired app\n{DB}");
        let prose = format!("# pglint-ignored nothing here\n{DB}");
        assert_eq!(
            findings("suppression-invalid", &[("a.yaml", &no_colon)]),
            ["a.yaml:1 malformed suppression: `pglint-ignore` must be followed by a colon"]
        );
        assert_eq!(
            findings("suppression-invalid", &[("a.yaml", &single_dash)]),
            ["a.yaml:1 suppression reason after a single dash: the reason follows ` -- `"]
        );
        assert!(findings("suppression-invalid", &[("a.yaml", &prose)]).is_empty());
    }
}
