//! Reading typed fields out of YAML nodes, recording every shape problem on the way.

use crate::source::{FileId, Loc, Spanned};
use crate::yaml::NodeRef;
use crate::yaml::yaml11::{YamlType, classify};

/// A field pglint reads has the wrong type or an unknown name (reported by `manifest-invalid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeProblem {
    pub loc: Loc,
    /// The field as the model reads it (`spec.owner`, `metadata.annotations` entries as
    /// `annotations.<key>`, list items as `[]`): see [`crate::model::Object::problem_path`].
    pub field: String,
    pub message: String,
    pub help: Option<String>,
    /// The node's text is a Flux `${VAR}` or Helm `{{ }}` template: its real shape is only
    /// known after substitution.
    pub templated: bool,
    /// Not a problem as written, only once kustomize re-serialises the object: a boolean
    /// field holding a word that is a boolean in YAML 1.1 only (`on`, `yes`, `y`, `off`, …),
    /// which kustomize's YAML 1.2 reader keeps as a string.
    pub after_kustomize: bool,
    pub kind: ShapeKind,
}

/// What kind of shape problem it is: which rule reports it follows from this, never from the
/// message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    /// A field of the wrong type, an unknown field or value (`manifest-invalid`).
    Field,
    /// A mapping or list as a value of a string map such as `annotations` or `labels`
    /// (`annotation-not-string`).
    StringMapValue,
}

pub(crate) struct Reader<'p> {
    pub file: FileId,
    /// The file's text, for what the parsed nodes do not keep (a template's raw text).
    pub text: &'p str,
    pub problems: &'p mut Vec<ShapeProblem>,
}

impl Reader<'_> {
    pub fn loc(&self, node: NodeRef<'_>) -> Loc {
        super::loc_of(self.file, node)
    }

    /// Does the node's source text hold a `${VAR}` or `{{ }}` template? A flow mapping such as
    /// `{{ .Values.login }}` parses as nested mappings, so only the text tells. A node from
    /// another file (a kustomize patch) is judged by its scalar text.
    pub fn is_templated(&self, node: NodeRef<'_>) -> bool {
        if node.file().is_some_and(|file| file != self.file) {
            return node.scalar().is_some_and(|s| super::is_unknowable(&s.text));
        }
        self.text
            .get(node.span().range())
            .is_some_and(super::is_unknowable)
    }

    /// Records a problem at `node`.
    pub fn problem(
        &mut self,
        node: NodeRef<'_>,
        field: &str,
        message: String,
        help: Option<String>,
    ) {
        let problem = ShapeProblem {
            loc: self.loc(node),
            field: field.to_string(),
            message,
            help,
            templated: self.is_templated(node),
            after_kustomize: false,
            kind: ShapeKind::Field,
        };
        self.problems.push(problem);
    }

    fn wrong_type(&mut self, node: NodeRef<'_>, field: &str, expected: &str) {
        let message = format!("`{field}` must be {expected}, found {}", node.type_name());
        self.problem(node, field, message, None);
    }

    /// A string field. Null counts as absent; a mapping, list or non-string scalar is a problem.
    pub fn string(&mut self, node: Option<NodeRef<'_>>, field: &str) -> Option<Spanned<String>> {
        let node = node?;
        if node.is_null() {
            return None;
        }
        match node.scalar() {
            Some(scalar) if classify(scalar, node.tag()) == YamlType::String => {
                Some(Spanned::new(scalar.text.clone(), self.loc(node)))
            }
            _ => {
                self.wrong_type(node, field, "a string");
                None
            }
        }
    }

    /// A boolean field (YAML 1.1 booleans, as Kubernetes reads them).
    pub fn boolean(&mut self, node: Option<NodeRef<'_>>, field: &str) -> Option<Spanned<bool>> {
        let node = node?;
        if node.is_null() {
            return None;
        }
        match node.scalar() {
            Some(scalar) if classify(scalar, node.tag()) == YamlType::Bool => {
                let yaml12 = matches!(
                    scalar.text.as_str(),
                    "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
                );
                if !yaml12 && node.tag().is_none() {
                    self.problems.push(ShapeProblem {
                        loc: self.loc(node),
                        field: field.to_string(),
                        message: format!(
                            "`{field}: {}` is a boolean only in YAML 1.1: kustomize (YAML 1.2) writes it as the string \"{}\", which the API server rejects",
                            scalar.text, scalar.text
                        ),
                        help: Some(format!(
                            "write `{}`",
                            if crate::yaml::yaml11::is_true(&scalar.text) { "true" } else { "false" }
                        )),
                        templated: false,
                        after_kustomize: true,
                        kind: ShapeKind::Field,
                    });
                }
                let value = crate::yaml::yaml11::is_true(&scalar.text);
                Some(Spanned::new(value, self.loc(node)))
            }
            _ => {
                self.wrong_type(node, field, "a boolean");
                None
            }
        }
    }

    /// An integer field (`connectionLimit`); a value too large for `i64` is left out.
    pub fn integer(&mut self, node: Option<NodeRef<'_>>, field: &str) -> Option<Spanned<i64>> {
        let node = node?;
        if node.is_null() {
            return None;
        }
        match node.scalar() {
            Some(scalar) if classify(scalar, node.tag()) == YamlType::Int => {
                let value = scalar.text.replace('_', "").parse().ok()?;
                Some(Spanned::new(value, self.loc(node)))
            }
            _ => {
                self.wrong_type(node, field, "an integer");
                None
            }
        }
    }

    /// A date-time field (`validUntil`): a string, or a plain scalar YAML 1.1 reads as a
    /// timestamp (which the API server's YAML reader keeps as a string).
    pub fn date_time(&mut self, node: Option<NodeRef<'_>>, field: &str) -> Option<Spanned<String>> {
        let node = node?;
        if node.is_null() {
            return None;
        }
        match node.scalar() {
            Some(scalar)
                if matches!(
                    classify(scalar, node.tag()),
                    YamlType::String | YamlType::Timestamp
                ) =>
            {
                Some(Spanned::new(scalar.text.clone(), self.loc(node)))
            }
            _ => {
                self.wrong_type(node, field, "a date-time string");
                None
            }
        }
    }

    /// A mapping field; null is absent.
    pub fn mapping<'d>(&mut self, node: Option<NodeRef<'d>>, field: &str) -> Option<NodeRef<'d>> {
        let node = node?;
        if node.is_mapping() {
            Some(node)
        } else {
            if !node.is_null() {
                self.wrong_type(node, field, "a mapping");
            }
            None
        }
    }

    /// A list field; null is absent.
    pub fn sequence<'d>(&mut self, node: Option<NodeRef<'d>>, field: &str) -> Option<NodeRef<'d>> {
        let node = node?;
        if node.is_sequence() {
            Some(node)
        } else {
            if !node.is_null() {
                self.wrong_type(node, field, "a list");
            }
            None
        }
    }
}

/// The candidate closest to `name` by edit distance, if it is plausibly a typo of it.
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (name.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            let distance = if c.eq_ignore_ascii_case(name) {
                0
            } else {
                strsim::damerau_levenshtein(name, c)
            };
            (distance, c)
        })
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// The candidate `name` is plausibly a typo of, judging the parts that differ: names that
/// share a long suffix (`wikijs-db-creds`, `gitea-db-creds`) are not alike for that.
pub fn similar<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let alike: Vec<&str> = candidates
        .into_iter()
        .filter(|c| {
            let common = name
                .chars()
                .rev()
                .zip(c.chars().rev())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a.len_utf8())
                .sum::<usize>();
            let (own, other) = (&name[..name.len() - common], &c[..c.len() - common]);
            own.is_empty() || other.is_empty() || closest(own, [other]).is_some()
        })
        .collect();
    closest(name, alike)
}

#[cfg(test)]
mod tests {
    use super::{ShapeKind, closest, similar};

    #[test]
    fn suggests_typos_only() {
        let roles = ["gitea_user", "nextcloud_user", "app"];
        assert_eq!(closest("gitea_usr", roles), Some("gitea_user"));
        assert_eq!(closest("Gitea_User", roles), Some("gitea_user"));
        assert_eq!(closest("ownr", ["owner", "name", "cluster"]), Some("owner"));
        assert_eq!(closest("wordpress", roles), None);
    }

    #[test]
    fn similar_names_differ_in_a_typo() {
        let secrets = [
            "gitea-db-creds",
            "vaultwarden-db-creds",
            "home-assistant-db-creds",
        ];
        assert_eq!(
            similar("vaultwarden-db-cred", secrets),
            Some("vaultwarden-db-creds")
        );
        assert_eq!(similar("gittea-db-creds", secrets), Some("gitea-db-creds"));
        assert_eq!(
            similar("homeassistant-db-creds", secrets),
            Some("home-assistant-db-creds")
        );
        assert_eq!(similar("wikijs-db-creds", secrets), None);
        assert_eq!(similar("gitea-db-creds", secrets), None);
    }

    #[test]
    fn string_map_values_are_their_own_kind_of_shape_problem() {
        let config = crate::config::Config::default();
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: 7\n  annotations:\n    a: {b: c}\n  labels:\n    l: [x]\n";
        let project = crate::project::Project::from_texts(&[("s.yaml", text)], &config);
        let mut kinds: Vec<(ShapeKind, &str)> = project.objects[0]
            .shape_problems
            .iter()
            .map(|p| (p.kind, p.message.as_str()))
            .collect();
        kinds.sort_by_key(|(_, message)| *message);
        assert_eq!(
            kinds,
            [
                (
                    ShapeKind::StringMapValue,
                    "`annotations` values must be strings, found a mapping"
                ),
                (
                    ShapeKind::StringMapValue,
                    "`labels` values must be strings, found a list"
                ),
                (
                    ShapeKind::Field,
                    "`metadata.name` must be a string, found an integer"
                ),
            ]
        );
    }
}
