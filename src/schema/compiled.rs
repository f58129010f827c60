//! A CRD's `openAPIV3Schema`, compiled once into the form validation walks: the structural
//! schema of apiextensions (`k8s.io/apiextensions-apiserver/pkg/apiserver/schema`,
//! `structural.go`): types, properties, items, `additionalProperties` and the `x-kubernetes-*`
//! extensions, plus the value validations (`required`, `enum`, `format`, `pattern`, bounds,
//! lengths) and the CEL rules (`x-kubernetes-validations`), kept as written.

use std::sync::OnceLock;

use crate::yaml::NodeRef;
use crate::yaml::yaml11::{YamlType, classify};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl Type {
    fn parse(text: &str) -> Option<Type> {
        Some(match text {
            "object" => Type::Object,
            "array" => Type::Array,
            "string" => Type::String,
            "integer" => Type::Integer,
            "number" => Type::Number,
            "boolean" => Type::Boolean,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Type::Object => "object",
            Type::Array => "array",
            Type::String => "string",
            Type::Integer => "integer",
            Type::Number => "number",
            Type::Boolean => "boolean",
        }
    }
}

/// What a mapping may hold beside its `properties`.
#[derive(Debug, Default)]
pub enum Additional {
    /// Nothing: an unknown field is pruned (or refused under strict field validation).
    #[default]
    Nothing,
    /// Anything (`x-kubernetes-preserve-unknown-fields`, `additionalProperties: true`).
    Anything,
    /// A map whose values follow a schema (`additionalProperties: {…}`).
    Values(Box<Schema>),
}

/// A CEL rule of `x-kubernetes-validations`, as written.
#[derive(Debug, Clone)]
pub struct CelRule {
    pub rule: String,
    pub message: Option<String>,
    pub message_expression: Option<String>,
    pub field_path: Option<String>,
    pub reason: Option<String>,
}

impl CelRule {
    /// A transition rule: it reads `oldSelf`, so it runs on updates only.
    pub fn is_transition(&self) -> bool {
        self.rule.contains("oldSelf")
    }
}

/// One node of a compiled schema.
#[derive(Debug, Default)]
pub struct Schema {
    pub ty: Option<Type>,
    pub properties: Vec<(String, Schema)>,
    pub additional: Additional,
    pub items: Option<Box<Schema>>,
    pub required: Vec<String>,
    pub enumeration: Vec<String>,
    pub format: Option<String>,
    pub pattern: Option<String>,
    compiled_pattern: OnceLock<Option<regex::Regex>>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub nullable: bool,
    pub int_or_string: bool,
    pub embedded_resource: bool,
    pub rules: Vec<CelRule>,
    /// The value validations a structural schema may combine (`allOf`, `anyOf`, `oneOf`,
    /// `not`): they judge values only, never declare fields (apiextensions
    /// `pkg/apiserver/schema/validation.go`, `validateValueValidation`).
    pub all_of: Vec<Schema>,
    pub any_of: Vec<Schema>,
    pub one_of: Vec<Schema>,
    pub not: Option<Box<Schema>>,
}

impl Schema {
    /// Compiles an `openAPIV3Schema` node.
    pub fn compile(node: NodeRef<'_>) -> Schema {
        let mut schema = Schema::default();
        let text = |key: &str| node.get(key).and_then(|n| n.as_str()).map(str::to_string);
        let number = |key: &str| node.get(key).and_then(|n| n.as_str()?.parse::<f64>().ok());
        let count = |key: &str| node.get(key).and_then(|n| n.as_str()?.parse::<u64>().ok());
        let flag = |key: &str| node.get(key).and_then(|n| n.as_str()) == Some("true");
        // A derived JSON schema (the built-in kinds') writes `type: [string, "null"]`.
        match node.get("type") {
            Some(types) if types.is_sequence() => {
                for name in types.items().filter_map(|t| t.as_str()) {
                    match name {
                        "null" => schema.nullable = true,
                        other => schema.ty = schema.ty.or(Type::parse(other)),
                    }
                }
            }
            _ => schema.ty = text("type").as_deref().and_then(Type::parse),
        }
        if let Some(properties) = node.get("properties") {
            schema.properties = properties
                .entries()
                .into_iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), Schema::compile(v))))
                .collect();
            schema.properties.sort_by(|a, b| a.0.cmp(&b.0));
        }
        schema.additional = match node.get("additionalProperties") {
            // A reference `embedded::inline_refs` could not resolve (none in the embedded
            // kinds, a unit test checks): anything goes there.
            _ if node.get("$ref").is_some() => Additional::Anything,
            Some(values) if values.is_mapping() => {
                Additional::Values(Box::new(Schema::compile(values)))
            }
            Some(flag) if flag.as_str() == Some("true") => Additional::Anything,
            _ if flag("x-kubernetes-preserve-unknown-fields") => Additional::Anything,
            _ => Additional::Nothing,
        };
        schema.items = node
            .get("items")
            .filter(NodeRef::is_mapping)
            .map(|items| Box::new(Schema::compile(items)));
        let strings = |key: &str| -> Vec<String> {
            node.get(key)
                .map(|list| {
                    list.items()
                        .filter_map(|i| Some(i.as_str()?.to_string()))
                        .collect()
                })
                .unwrap_or_default()
        };
        schema.required = strings("required");
        schema.enumeration = strings("enum");
        schema.format = text("format");
        schema.pattern = text("pattern");
        schema.minimum = number("minimum");
        schema.maximum = number("maximum");
        schema.exclusive_minimum = flag("exclusiveMinimum");
        schema.exclusive_maximum = flag("exclusiveMaximum");
        schema.min_length = count("minLength");
        schema.max_length = count("maxLength");
        schema.min_items = count("minItems");
        schema.max_items = count("maxItems");
        schema.min_properties = count("minProperties");
        schema.max_properties = count("maxProperties");
        schema.nullable |= flag("nullable");
        schema.int_or_string = flag("x-kubernetes-int-or-string");
        schema.embedded_resource = flag("x-kubernetes-embedded-resource");
        if schema.embedded_resource {
            // An embedded object always has apiVersion, kind and metadata, whatever the schema
            // lists (apiextensions' structural schema adds them).
            schema.additional = match schema.additional {
                Additional::Nothing if schema.properties.is_empty() => Additional::Anything,
                other => other,
            };
        }
        let branches = |key: &str| -> Vec<Schema> {
            node.get(key)
                .map(|list| list.items().map(Schema::compile).collect())
                .unwrap_or_default()
        };
        schema.all_of = branches("allOf");
        // `anyOf: [{type: integer}, {type: string}]` is how int-or-string is written: the
        // flag says it already.
        if !schema.int_or_string {
            schema.any_of = branches("anyOf");
        }
        schema.one_of = branches("oneOf");
        schema.not = node
            .get("not")
            .filter(NodeRef::is_mapping)
            .map(|not| Box::new(Schema::compile(not)));
        if let Some(rules) = node.get("x-kubernetes-validations") {
            schema.rules = rules
                .items()
                .filter_map(|rule| {
                    let field =
                        |key: &str| rule.get(key).and_then(|n| n.as_str()).map(str::to_string);
                    Some(CelRule {
                        rule: field("rule")?,
                        message: field("message"),
                        message_expression: field("messageExpression"),
                        field_path: field("fieldPath"),
                        reason: field("reason"),
                    })
                })
                .collect();
        }
        schema
    }

    /// The schemas directly below this one: properties, items, map values.
    fn children(&self) -> impl Iterator<Item = &Schema> {
        let values = match &self.additional {
            Additional::Values(values) => Some(values.as_ref()),
            _ => None,
        };
        self.properties
            .iter()
            .map(|(_, p)| p)
            .chain(self.items.as_deref())
            .chain(values)
    }

    /// Does this schema, or one below it, carry CEL rules?
    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty() || self.children().any(Schema::has_rules)
    }

    /// Does this schema, or one below it, carry a transition rule (`oldSelf`)?
    pub fn has_transition_rules(&self) -> bool {
        self.rules.iter().any(CelRule::is_transition)
            || self.children().any(Schema::has_transition_rules)
    }

    /// The `message` of the CEL rule written `rule`, anywhere in this schema.
    pub fn rule_message(&self, rule: &str) -> Option<&str> {
        match self.rules.iter().find(|r| r.rule == rule) {
            Some(found) => found.message.as_deref(),
            None => self.children().find_map(|child| child.rule_message(rule)),
        }
    }

    pub fn property(&self, name: &str) -> Option<&Schema> {
        self.properties
            .binary_search_by(|(key, _)| key.as_str().cmp(name))
            .ok()
            .map(|at| &self.properties[at].1)
    }

    /// The pattern as a regular expression (Go's RE2 syntax, which the `regex` crate shares);
    /// `Err` when it is beyond the `regex` crate (then the caller says it was not checked).
    pub fn regex(&self) -> Option<Result<&regex::Regex, ()>> {
        let pattern = self.pattern.as_deref()?;
        Some(
            self.compiled_pattern
                .get_or_init(|| regex::Regex::new(pattern).ok())
                .as_ref()
                .ok_or(()),
        )
    }

    /// A value of any type is allowed (no `type`, or int-or-string handled by the caller).
    pub fn is_open(&self) -> bool {
        self.ty.is_none() && !self.int_or_string
    }
}

/// The JSON type a YAML scalar has once Kubernetes' YAML reader (YAML 1.1, then JSON) read it.
pub fn scalar_type(node: NodeRef<'_>) -> Option<Type> {
    let scalar = node.scalar()?;
    Some(match classify(scalar, node.tag()) {
        YamlType::Null => return None,
        YamlType::Bool => Type::Boolean,
        YamlType::Int => Type::Integer,
        YamlType::Float => Type::Number,
        // sigs.k8s.io/yaml turns a timestamp into its string.
        YamlType::Timestamp | YamlType::String => Type::String,
    })
}
