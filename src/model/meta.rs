//! `metadata`: name, namespace, annotations and labels.

use super::read::Reader;
use super::{LAST_APPLIED, Object, loc_of};
use crate::source::{Loc, Spanned};
use crate::yaml::NodeRef;
use crate::yaml::yaml11::{YamlType, classify};

/// One annotation or label. `value` holds the scalar's text whatever its YAML type, so rules
/// can tell what a user meant; `yaml_type` says how Kubernetes reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub key: Spanned<String>,
    pub value: Spanned<String>,
    pub yaml_type: YamlType,
}

impl Annotation {
    pub fn is_string(&self) -> bool {
        self.yaml_type == YamlType::String
    }

    /// Is the value a string to a YAML 1.2 reader (kustomize's, which then writes it quoted)?
    /// YAML 1.1's `yes`, `on`, `y` and dates are; numbers, `true`/`false` and null are not.
    pub fn is_string_in_yaml12(&self) -> bool {
        match self.yaml_type {
            YamlType::String | YamlType::Timestamp => true,
            YamlType::Bool => !matches!(
                self.value.as_str(),
                "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
            ),
            YamlType::Null | YamlType::Int | YamlType::Float => false,
        }
    }

    /// Does the component reading this key parse its value as a boolean (`"true"`)? Reflector
    /// (`bool.TryParse`) and the Sealed Secrets controller (`== "true"`) do for these.
    pub fn holds_boolean(&self) -> bool {
        const BOOLEAN_KEYS: &[&str] = &[
            "reflector.v1.k8s.emberstack.com/reflection-allowed",
            "reflector.v1.k8s.emberstack.com/reflection-auto-enabled",
            "sealedsecrets.bitnami.com/cluster-wide",
            "sealedsecrets.bitnami.com/namespace-wide",
            "sealedsecrets.bitnami.com/managed",
            "sealedsecrets.bitnami.com/patch",
            "sealedsecrets.bitnami.com/skip-set-owner-references",
            "cnpg.io/reload",
        ];
        BOOLEAN_KEYS.contains(&self.key.value.as_str())
    }
}

/// An annotations or labels mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringMap {
    /// The `annotations:`/`labels:` key, when present.
    pub key_loc: Option<Loc>,
    pub entries: Vec<Annotation>,
}

impl StringMap {
    pub fn get(&self, key: &str) -> Option<&Annotation> {
        self.entries.iter().find(|a| a.key.value == key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn read(
        reader: &mut Reader<'_>,
        parent: Option<NodeRef<'_>>,
        field: &str,
    ) -> StringMap {
        let Some((key, value)) = parent.and_then(|p| p.get_entry(field)) else {
            return StringMap::default();
        };
        let mut map = StringMap {
            key_loc: Some(reader.loc(key)),
            entries: Vec::new(),
        };
        let Some(mapping) = reader.mapping(Some(value), field) else {
            return map;
        };
        let entries = mapping.entries();
        // Sized once: most objects have one or two labels, and a repository tens of thousands.
        map.entries.reserve_exact(entries.len());
        for (k, v) in entries {
            let (Some(key_text), Some(scalar)) = (k.as_str(), v.scalar()) else {
                if v.is_mapping() || v.is_sequence() {
                    let message =
                        format!("`{field}` values must be strings, found {}", v.type_name());
                    let path = format!("{field}.{}", k.as_str().unwrap_or("?"));
                    reader.problem(v, &path, message, Some("quote the value".into()));
                    if let Some(problem) = reader.problems.last_mut() {
                        problem.kind = super::ShapeKind::StringMapValue;
                    }
                }
                continue;
            };
            // Never copied: it may hold a whole Secret (reporters mask it via `secret_spans`).
            let text = if key_text == LAST_APPLIED {
                String::new()
            } else {
                scalar.text.clone()
            };
            map.entries.push(Annotation {
                key: Spanned::new(key_text.to_string(), loc_of(reader.file, k)),
                value: Spanned::new(text, loc_of(reader.file, v)),
                yaml_type: classify(scalar, v.tag()),
            });
        }
        map
    }
}

/// `metadata` of an object (or of a SealedSecret's `spec.template`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The `metadata` mapping, when present.
    pub loc: Option<Loc>,
    /// Its `metadata` key (set for an object's own metadata).
    pub key_loc: Option<Loc>,
    pub name: Option<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    /// `metadata.generateName`: the API server appends a random suffix to make the name.
    pub generate_name: Option<Spanned<String>>,
    pub annotations: StringMap,
    pub labels: StringMap,
}

impl Metadata {
    pub(crate) fn read(reader: &mut Reader<'_>, node: Option<NodeRef<'_>>) -> Metadata {
        let Some(node) = node else {
            return Metadata::default();
        };
        Metadata {
            loc: Some(reader.loc(node)),
            key_loc: None,
            name: reader.string(node.get("name"), "metadata.name"),
            namespace: reader.string(node.get("namespace"), "metadata.namespace"),
            generate_name: reader.string(node.get("generateName"), "metadata.generateName"),
            annotations: StringMap::read(reader, Some(node), "annotations"),
            labels: StringMap::read(reader, Some(node), "labels"),
        }
    }
}

/// The `metadata` key of an object; its name or kind when it has no `metadata` mapping.
pub fn metadata_key(obj: &Object) -> Loc {
    obj.meta.key_loc.unwrap_or_else(|| obj.anchor())
}
