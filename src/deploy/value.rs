//! An owned YAML tree whose every node remembers where it came from: the form an object takes
//! while kustomize patches it. A patched object is turned back into a [`Document`] whose nodes
//! keep their own files, so the model reads it like any other and each value's location is its
//! provenance (the object's line, or the patch line that set it).

use crate::source::Loc;
use crate::yaml::{Document, DocumentBuilder, NodeId, NodeKind, NodeRef, Scalar, ScalarStyle};

/// How many nodes one object may expand to (aliases included) before rendering gives up on it.
pub const MAX_NODES: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Scalar {
        scalar: Scalar,
        tag: Option<Box<str>>,
        loc: Loc,
    },
    Sequence {
        items: Vec<Value>,
        loc: Loc,
    },
    Mapping {
        entries: Vec<(Value, Value)>,
        loc: Loc,
    },
}

/// The tree is larger than [`MAX_NODES`] once aliases are expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

impl Value {
    /// Copies a parsed node, aliases and merge keys expanded, within [`MAX_NODES`].
    pub fn from_node(node: NodeRef<'_>, file: crate::source::FileId) -> Result<Value, TooLarge> {
        let mut budget = MAX_NODES;
        Self::copy(node, file, &mut budget)
    }

    fn copy(
        node: NodeRef<'_>,
        file: crate::source::FileId,
        budget: &mut usize,
    ) -> Result<Value, TooLarge> {
        *budget = budget.checked_sub(1).ok_or(TooLarge)?;
        let loc = crate::model::loc_of(file, node);
        Ok(match &node.node().kind {
            NodeKind::Mapping(_) => Value::Mapping {
                entries: node
                    .entries()
                    .into_iter()
                    .map(|(k, v)| Ok((Self::copy(k, file, budget)?, Self::copy(v, file, budget)?)))
                    .collect::<Result<_, _>>()?,
                loc,
            },
            NodeKind::Sequence(_) => Value::Sequence {
                items: node
                    .items()
                    .map(|item| Self::copy(item, file, budget))
                    .collect::<Result<_, _>>()?,
                loc,
            },
            // An alias left unresolved points at a cycle or a chain too long to follow.
            NodeKind::Alias(_) => return Err(TooLarge),
            NodeKind::Scalar(scalar) => Value::Scalar {
                scalar: scalar.clone(),
                tag: node.tag().map(Into::into),
                loc,
            },
        })
    }

    /// A plain string scalar made by a transformer at `loc` (a kustomization line).
    pub fn string(text: &str, loc: Loc) -> Value {
        let style =
            if crate::yaml::yaml11::resolve_plain(text) == crate::yaml::yaml11::YamlType::String {
                ScalarStyle::Plain
            } else {
                ScalarStyle::DoubleQuoted
            };
        Value::Scalar {
            scalar: Scalar {
                text: text.to_string(),
                style,
            },
            tag: None,
            loc,
        }
    }

    pub fn empty_mapping(loc: Loc) -> Value {
        Value::Mapping {
            entries: Vec::new(),
            loc,
        }
    }

    pub fn loc(&self) -> Loc {
        match self {
            Value::Scalar { loc, .. }
            | Value::Sequence { loc, .. }
            | Value::Mapping { loc, .. } => *loc,
        }
    }

    /// The text of a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Scalar { scalar, tag, .. } if !is_null(scalar, tag.as_deref()) => {
                Some(&scalar.text)
            }
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Scalar { scalar, tag, .. } if is_null(scalar, tag.as_deref()))
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self, Value::Mapping { .. })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Mapping { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Mapping { entries, .. } => entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn path(&self, keys: &[&str]) -> Option<&Value> {
        keys.iter().try_fold(self, |value, key| value.get(key))
    }

    /// Sets `key` in a mapping (replacing its value, or appending it); the key node is made at
    /// `key_loc` when new. Does nothing on a non-mapping.
    pub fn set(&mut self, key: &str, value: Value, key_loc: Loc) {
        let Value::Mapping { entries, .. } = self else {
            return;
        };
        match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
            Some((_, old)) => *old = value,
            None => entries.push((Value::string(key, key_loc), value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let Value::Mapping { entries, .. } = self else {
            return None;
        };
        let at = entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
        Some(entries.remove(at).1)
    }

    /// The mapping at `key`, made (at `loc`) when absent or not a mapping.
    pub fn mapping_at(&mut self, key: &str, loc: Loc) -> &mut Value {
        if !self.get(key).is_some_and(Value::is_mapping) {
            self.set(key, Value::empty_mapping(loc), loc);
        }
        self.get_mut(key).expect("just set")
    }

    /// A document the model can read; every node keeps its own file.
    pub fn to_document(&self) -> Document {
        let mut builder = DocumentBuilder::default();
        let root = self.build(&mut builder);
        builder.finish(root)
    }

    fn build(&self, builder: &mut DocumentBuilder) -> NodeId {
        match self {
            Value::Scalar { scalar, tag, loc } => builder.node(
                NodeKind::Scalar(scalar.clone()),
                tag.clone(),
                loc.file,
                loc.span,
            ),
            Value::Sequence { items, loc } => {
                let items = items.iter().map(|item| item.build(builder)).collect();
                builder.node(NodeKind::Sequence(items), None, loc.file, loc.span)
            }
            Value::Mapping { entries, loc } => {
                let pairs = entries
                    .iter()
                    .map(|(k, v)| (k.build(builder), v.build(builder)))
                    .collect();
                builder.node(NodeKind::Mapping(pairs), None, loc.file, loc.span)
            }
        }
    }
}

fn is_null(scalar: &Scalar, tag: Option<&str>) -> bool {
    scalar.style == ScalarStyle::Plain
        && crate::yaml::yaml11::is_null(&scalar.text)
        && tag.is_none_or(|t| t == "!!null")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    #[test]
    fn round_trips_through_a_document_with_files_per_node() {
        let text = "a: &x {b: 1}\nc: *x\n";
        let parsed = parse(text, &Limits::default());
        let value = Value::from_node(parsed.documents[0].root().unwrap(), FileId(3)).unwrap();
        assert_eq!(value.path(&["c", "b"]).and_then(Value::as_str), Some("1"));
        let doc = value.to_document();
        let root = doc.root().unwrap();
        assert_eq!(root.path(&["c", "b"]).and_then(|n| n.as_str()), Some("1"));
        assert_eq!(root.get("a").unwrap().file(), Some(FileId(3)));
    }

    #[test]
    fn set_and_remove_keep_order() {
        let loc = Loc {
            file: FileId(0),
            span: crate::source::Span::new(0, 0),
        };
        let mut map = Value::empty_mapping(loc);
        map.set("x", Value::string("1", loc), loc);
        map.set("y", Value::string("yes", loc), loc);
        map.set("x", Value::string("2", loc), loc);
        assert_eq!(map.get("x").and_then(Value::as_str), Some("2"));
        // A YAML 1.1 word written by a transformer is a string.
        assert!(
            matches!(map.get("y"), Some(Value::Scalar { scalar, .. }) if scalar.style == ScalarStyle::DoubleQuoted)
        );
        assert!(map.remove("x").is_some());
        assert!(map.get("x").is_none());
    }
}
