//! Structural validation of one object's YAML against its compiled schema, as the API server's
//! OpenAPI validator (`k8s.io/kube-openapi/pkg/validation/validate`) and the pruning of unknown
//! fields (`k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning`) see it. Messages are
//! kube-openapi's (`pkg/validation/errors/schema.go`), with the field path as the API server
//! prints it (`spec.managed.roles[0].login`).

use super::compiled::{Additional, Schema, Type, scalar_type};
use super::{Violation, ViolationKind};
use crate::source::{FileId, Loc};
use crate::yaml::NodeRef;

pub(super) struct Walk<'a> {
    pub file: FileId,
    pub templated: &'a dyn Fn(NodeRef<'_>) -> bool,
    pub out: Vec<Violation>,
}

impl Walk<'_> {
    fn loc(&self, node: NodeRef<'_>) -> Loc {
        Loc {
            file: node.file().unwrap_or(self.file),
            span: node.span(),
        }
    }

    fn push(
        &mut self,
        node: NodeRef<'_>,
        kind: ViolationKind,
        path: &FieldPath<'_>,
        message: String,
    ) {
        self.out.push(Violation {
            loc: self.loc(node),
            kind,
            path: path.to_string(),
            message,
            suggestion: None,
            reference: None,
        });
    }

    /// The object at the root: `apiVersion`, `kind` and `metadata` are the API server's own
    /// (ObjectMeta is validated by its generic code, not by the CRD's schema).
    pub fn root(&mut self, schema: &Schema, node: NodeRef<'_>) {
        self.mapping(schema, node, &FieldPath::Root, true);
    }

    fn value(&mut self, schema: &Schema, node: NodeRef<'_>, path: &FieldPath<'_>) {
        if node.is_null() || (self.templated)(node) {
            // A null is pruned unless the field is nullable; a template is only known later.
            return;
        }
        if schema.int_or_string {
            match scalar_type(node) {
                Some(Type::Integer | Type::String) => {}
                _ => {
                    let found = found_type(node);
                    self.push(
                        node,
                        ViolationKind::Invalid,
                        path,
                        format!("`{path}` in body must be of type integer or string: \"{found}\""),
                    );
                    return;
                }
            }
            if scalar_type(node) == Some(Type::String) {
                self.string(schema, node, path);
            }
            return;
        }
        let Some(ty) = schema.ty else {
            // No type: any type goes (x-kubernetes-preserve-unknown-fields at a leaf, a branch
            // of `anyOf`), but its value validations still hold.
            if node.is_mapping() && !matches!(schema.additional, Additional::Anything) {
                self.mapping(schema, node, path, schema.embedded_resource);
            }
            match scalar_type(node) {
                Some(Type::String) => self.string(schema, node, path),
                Some(Type::Integer | Type::Number) => self.number(schema, node, path),
                _ => {}
            }
            self.enumeration(schema, node, path);
            self.combinations(schema, node, path);
            return;
        };
        let matches = match ty {
            Type::Object => node.is_mapping(),
            Type::Array => node.is_sequence(),
            Type::Number => matches!(scalar_type(node), Some(Type::Integer | Type::Number)),
            scalar => scalar_type(node) == Some(scalar),
        };
        if !matches {
            let found = found_type(node);
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!(
                    "`{path}` in body must be of type {}: \"{found}\"",
                    ty.as_str()
                ),
            );
            return;
        }
        match ty {
            Type::Object => self.mapping(schema, node, path, schema.embedded_resource),
            Type::Array => self.sequence(schema, node, path),
            Type::String => self.string(schema, node, path),
            Type::Integer | Type::Number => self.number(schema, node, path),
            Type::Boolean => {}
        }
        self.enumeration(schema, node, path);
        self.combinations(schema, node, path);
    }

    /// `allOf`, `anyOf`, `oneOf` and `not`, as kube-openapi's validator evaluates them
    /// (`pkg/validation/validate/schema_props.go`): each branch judges the value on its own,
    /// and only whether it passes counts. Messages are kube-openapi's (`errors/schema.go`).
    fn combinations(&mut self, schema: &Schema, node: NodeRef<'_>, path: &FieldPath<'_>) {
        let mut passes = |branch: &Schema| -> bool {
            let mut walk = Walk {
                file: self.file,
                templated: self.templated,
                out: Vec::new(),
            };
            walk.value(branch, node, path);
            // A pattern beyond the regex crate is said, not taken as a pass or a failure.
            self.out.extend(
                walk.out
                    .extract_if(.., |v| v.kind == ViolationKind::Unevaluated),
            );
            walk.out
                .iter()
                .all(|v| v.kind == ViolationKind::UnknownField)
        };
        let mut refused = Vec::new();
        for branch in &schema.all_of {
            if !passes(branch) {
                refused.push(format!(
                    "`{path}` in body must validate all the schemas (allOf)"
                ));
                break;
            }
        }
        if !schema.any_of.is_empty() && !schema.any_of.iter().any(&mut passes) {
            refused.push(format!(
                "`{path}` in body must validate at least one schema (anyOf)"
            ));
        }
        if !schema.one_of.is_empty() {
            let passed = schema.one_of.iter().filter(|b| passes(b)).count();
            if passed != 1 {
                refused.push(format!(
                    "`{path}` in body must validate one and only one schema (oneOf)"
                ));
            }
        }
        if let Some(not) = &schema.not
            && passes(not)
        {
            refused.push(format!(
                "`{path}` in body must not validate the schema (not)"
            ));
        }
        for message in refused {
            self.push(node, ViolationKind::Invalid, path, message);
        }
    }

    fn mapping(
        &mut self,
        schema: &Schema,
        node: NodeRef<'_>,
        path: &FieldPath<'_>,
        resource: bool,
    ) {
        let entries = node.entries();
        for (key, value) in &entries {
            let Some(name) = key.as_str() else { continue };
            if resource && matches!(name, "apiVersion" | "kind" | "metadata") {
                continue;
            }
            let child = FieldPath::Field(path, name);
            if let Some(property) = schema.property(name) {
                self.value(property, *value, &child);
                continue;
            }
            match &schema.additional {
                Additional::Values(values) => self.value(values, *value, &child),
                Additional::Anything => {}
                Additional::Nothing if schema.properties.is_empty() && schema.ty.is_none() => {}
                Additional::Nothing => {
                    let suggestion = crate::model::closest(
                        name,
                        schema.properties.iter().map(|(k, _)| k.as_str()),
                    )
                    .map(str::to_string);
                    self.out.push(Violation {
                        loc: self.loc(*key),
                        kind: ViolationKind::UnknownField,
                        path: child.to_string(),
                        message: format!("unknown field \"{child}\""),
                        suggestion,
                        reference: value
                            .get("name")
                            .unwrap_or(*value)
                            .as_str()
                            .map(str::to_string),
                    });
                }
            }
        }
        // A misspelled required field is one mistake: the unknown key, whose help names it.
        let mut misspelled: Vec<String> = Vec::new();
        if self
            .out
            .iter()
            .any(|v| v.kind == ViolationKind::UnknownField)
        {
            let path = path.to_string();
            misspelled.extend(
                self.out
                    .iter()
                    .filter(|v| {
                        v.kind == ViolationKind::UnknownField
                            && v.path.rsplit_once('.').map_or("", |(parent, _)| parent) == path
                    })
                    .filter_map(|v| v.suggestion.clone()),
            );
        }
        for required in &schema.required {
            if !entries.iter().any(|(k, _)| k.as_str() == Some(required))
                && !misspelled.contains(required)
            {
                let child = FieldPath::Field(path, required);
                self.push(
                    node,
                    ViolationKind::Required,
                    &child,
                    format!("`{child}`: Required value"),
                );
            }
        }
        let count = entries.len() as u64;
        if let Some(min) = schema.min_properties
            && count < min
        {
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should have at least {min} properties"),
            );
        }
        if let Some(max) = schema.max_properties
            && count > max
        {
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should have at most {max} properties"),
            );
        }
    }

    fn sequence(&mut self, schema: &Schema, node: NodeRef<'_>, path: &FieldPath<'_>) {
        let mut count = 0u64;
        for (index, item) in node.items().enumerate() {
            count += 1;
            if let Some(items) = &schema.items {
                self.value(items, item, &FieldPath::Item(path, index));
            }
        }
        if let Some(min) = schema.min_items
            && count < min
        {
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should have at least {min} items"),
            );
        }
        if let Some(max) = schema.max_items
            && count > max
        {
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should have at most {max} items"),
            );
        }
    }

    fn string(&mut self, schema: &Schema, node: NodeRef<'_>, path: &FieldPath<'_>) {
        let Some(text) = node.as_str() else { return };
        let length = text.chars().count() as u64;
        if let Some(min) = schema.min_length
            && length < min
        {
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should be at least {min} chars long"),
            );
        }
        if let Some(max) = schema.max_length
            && length > max
        {
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should be at most {max} chars long"),
            );
        }
        let pattern = schema.pattern.as_deref().unwrap_or_default();
        match schema.regex() {
            Some(Ok(regex)) if !regex.is_match(text) => self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should match '{pattern}'"),
            ),
            Some(Err(())) => self.push(
                node,
                ViolationKind::Unevaluated,
                path,
                format!(
                    "the pattern '{pattern}' of `{path}` is beyond pglint's regular expressions (the `regex` crate): the value is not checked against it"
                ),
            ),
            _ => {}
        }
        if let Some(format) = schema.format.as_deref()
            && !format_matches(format, text)
        {
            // A `byte` value is a Secret's data: never printed.
            let message = if format == "byte" {
                format!(
                    "`{path}` in body must be of type byte (standard base64, `=`-padded): the value (not shown) is not"
                )
            } else {
                format!("`{path}` in body must be of type {format}: \"{text}\"")
            };
            self.push(node, ViolationKind::Invalid, path, message);
        }
    }

    fn number(&mut self, schema: &Schema, node: NodeRef<'_>, path: &FieldPath<'_>) {
        let Some(value) = node
            .as_str()
            .and_then(|t| t.replace('_', "").parse::<f64>().ok())
        else {
            return;
        };
        if let Some(min) = schema.minimum
            && (value < min || (schema.exclusive_minimum && value == min))
        {
            let relation = if schema.exclusive_minimum {
                "greater than"
            } else {
                "greater than or equal to"
            };
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should be {relation} {min}"),
            );
        }
        if let Some(max) = schema.maximum
            && (value > max || (schema.exclusive_maximum && value == max))
        {
            let relation = if schema.exclusive_maximum {
                "less than"
            } else {
                "less than or equal to"
            };
            self.push(
                node,
                ViolationKind::Invalid,
                path,
                format!("`{path}` in body should be {relation} {max}"),
            );
        }
    }

    fn enumeration(&mut self, schema: &Schema, node: NodeRef<'_>, path: &FieldPath<'_>) {
        if schema.enumeration.is_empty() {
            return;
        }
        let Some(text) = node.as_str() else { return };
        if schema.enumeration.iter().any(|allowed| allowed == text) {
            return;
        }
        let supported = schema
            .enumeration
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let suggestion = crate::model::closest(text, schema.enumeration.iter().map(String::as_str))
            .map(str::to_string);
        self.out.push(Violation {
            loc: self.loc(node),
            kind: ViolationKind::Invalid,
            path: path.to_string(),
            message: format!(
                "`{path}`: Unsupported value: \"{text}\": supported values: {supported}"
            ),
            suggestion,
            reference: None,
        });
    }
}

/// A field path as the API server prints it (`spec.managed.roles[0].login`), written out only
/// when a violation names it: most values walked have none.
#[derive(Clone, Copy)]
pub(super) enum FieldPath<'a> {
    Root,
    Field(&'a FieldPath<'a>, &'a str),
    Item(&'a FieldPath<'a>, usize),
}

impl FieldPath<'_> {
    fn is_empty(&self) -> bool {
        match self {
            FieldPath::Root => true,
            FieldPath::Field(parent, name) => parent.is_empty() && name.is_empty(),
            FieldPath::Item(..) => false,
        }
    }
}

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldPath::Root => Ok(()),
            FieldPath::Field(parent, name) if parent.is_empty() => f.write_str(name),
            FieldPath::Field(parent, name) => write!(f, "{parent}.{name}"),
            FieldPath::Item(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// The JSON type name kube-openapi prints for a value of the wrong type.
pub(super) fn found_type(node: NodeRef<'_>) -> &'static str {
    if node.is_mapping() {
        return "object";
    }
    if node.is_sequence() {
        return "array";
    }
    scalar_type(node).map_or("null", Type::as_str)
}

/// The string formats the API server checks for CRDs (`apiextensions-apiserver`'s
/// `supportedFormats`, kube-openapi's `strfmt` default registry); numeric formats such as
/// `int32` are not string formats and unknown ones are ignored, as there.
fn format_matches(format: &str, text: &str) -> bool {
    match format {
        "date-time" => crate::model::time::parse_rfc3339(text).is_some(),
        "byte" => crate::model::is_go_base64(text),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::FieldPath;

    #[test]
    fn field_paths_print_as_the_api_server_does() {
        let root = FieldPath::Root;
        let spec = FieldPath::Field(&root, "spec");
        let roles = FieldPath::Field(&spec, "roles");
        let item = FieldPath::Item(&roles, 0);
        assert_eq!(
            FieldPath::Field(&item, "login").to_string(),
            "spec.roles[0].login"
        );
        assert_eq!(FieldPath::Item(&root, 2).to_string(), "[2]");
        let empty = FieldPath::Field(&root, "");
        assert_eq!(FieldPath::Field(&empty, "a").to_string(), "a");
    }
}
