//! A YAML node as the JSON the API server decodes it to (sigs.k8s.io/yaml: YAML 1.1 scalars,
//! timestamps as strings), for the CEL rules; and a field path of theirs back to its node.

use serde_json::{Map, Number, Value};

use crate::yaml::NodeRef;
use crate::yaml::yaml11::{YamlType, classify};

/// The JSON value of `node`; `None` when some value in it only exists after Flux or Helm
/// substitution (`templated`): then no CEL rule is evaluated on guesses.
pub fn to_json(node: NodeRef<'_>, templated: &dyn Fn(NodeRef<'_>) -> bool) -> Option<Value> {
    if node.is_mapping() {
        let mut map = Map::new();
        for (key, value) in node.entries() {
            let Some(key) = key.as_str() else { continue };
            map.insert(key.to_string(), to_json(value, templated)?);
        }
        return Some(Value::Object(map));
    }
    if node.is_sequence() {
        return node
            .items()
            .map(|item| to_json(item, templated))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    if templated(node) {
        return None;
    }
    let Some(scalar) = node.scalar() else {
        return Some(Value::Null);
    };
    let text = scalar.text.as_str();
    Some(match classify(scalar, node.tag()) {
        YamlType::Null => Value::Null,
        YamlType::Bool => Value::Bool(crate::yaml::yaml11::is_true(text)),
        YamlType::Int => integer(text).unwrap_or_else(|| Value::String(text.to_string())),
        YamlType::Float => text
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(text.to_string()), Value::Number),
        YamlType::Timestamp | YamlType::String => Value::String(text.to_string()),
    })
}

/// [`to_json`] of what the walk of `rules` (pruned by `keep_ways_to_rules`) reaches: whole
/// below a node with rules that read `self` whole; under one that reads only some fields of
/// it (`fields_read`), those fields whole; elsewhere only the fields that lead to a rule (the
/// others are no rule's `self`). `None` when a value anywhere in the object is templated, as
/// [`to_json`].
pub fn to_json_for_rules(
    node: NodeRef<'_>,
    rules: &kube_cel::CompiledSchema,
    templated: &dyn Fn(NodeRef<'_>) -> bool,
) -> Option<Value> {
    let branches = !(rules.all_of.is_empty() && rules.one_of.is_empty() && rules.any_of.is_empty());
    let mut read = None;
    if !rules.validations.is_empty() || branches {
        // The rules here see `self` whole, or only the fields they read (`fields_read`).
        match super::fields_read(rules) {
            Some(fields) if node.is_mapping() && !branches => read = Some(fields),
            _ => return to_json(node, templated),
        }
    }
    if node.is_mapping() {
        let mut map = Map::new();
        for (key, value) in node.entries() {
            let Some(key) = key.as_str() else { continue };
            if read.as_ref().is_some_and(|read| read.contains(key)) {
                map.insert(key.to_string(), to_json(value, templated)?);
                continue;
            }
            let schema = rules
                .properties
                .get(key)
                .or(rules.additional_properties.as_deref());
            match schema {
                Some(schema) => {
                    map.insert(
                        key.to_string(),
                        to_json_for_rules(value, schema, templated)?,
                    );
                }
                None if is_templated(value, templated) => return None,
                None => {}
            }
        }
        return Some(Value::Object(map));
    }
    if node.is_sequence() {
        let Some(items) = rules.items.as_deref() else {
            let templated = node.items().any(|item| is_templated(item, templated));
            return (!templated).then(|| Value::Array(Vec::new()));
        };
        return node
            .items()
            .map(|item| to_json_for_rules(item, items, templated))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    to_json(node, templated)
}

/// Does [`to_json`] find a templated value in `node`?
fn is_templated(node: NodeRef<'_>, templated: &dyn Fn(NodeRef<'_>) -> bool) -> bool {
    if node.is_mapping() {
        return node
            .entries()
            .into_iter()
            .any(|(key, value)| key.as_str().is_some() && is_templated(value, templated));
    }
    if node.is_sequence() {
        return node.items().any(|item| is_templated(item, templated));
    }
    templated(node)
}

fn integer(text: &str) -> Option<Value> {
    let clean = text.replace('_', "");
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(octal) = digits.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    Some(Value::Number(Number::from(if negative {
        -magnitude
    } else {
        magnitude
    })))
}

/// The node at a field path as the API server prints it (`spec.managed.roles[0].name`, with
/// or without a leading dot): the deepest node that exists along it.
pub fn node_at<'d>(root: NodeRef<'d>, path: &str) -> NodeRef<'d> {
    let mut node = root;
    for part in path
        .trim_start_matches('.')
        .split('.')
        .filter(|p| !p.is_empty())
    {
        let (name, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            match node.get(name) {
                Some(next) => node = next,
                None => return node,
            }
        }
        for index in indexes
            .split(['[', ']'])
            .filter_map(|i| i.parse::<usize>().ok())
        {
            match node.items().nth(index) {
                Some(next) => node = next,
                None => return node,
            }
        }
    }
    node
}

/// Removes the transition rules (those reading `oldSelf`) from every
/// `x-kubernetes-validations` of a schema, and the lists they leave empty. Returns whether any
/// rule is left.
pub fn strip_transition_rules(schema: &mut Value) -> bool {
    const KEY: &str = "x-kubernetes-validations";
    let mut left = false;
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(rules)) = map.get_mut(KEY) {
                rules.retain(|rule| {
                    !rule
                        .get("rule")
                        .and_then(Value::as_str)
                        .is_some_and(|r| r.contains("oldSelf"))
                });
                left |= !rules.is_empty();
                if rules.is_empty() {
                    map.remove(KEY);
                }
            }
            for (_, child) in map.iter_mut() {
                left |= strip_transition_rules(child);
            }
        }
        Value::Array(items) => {
            for item in items {
                left |= strip_transition_rules(item);
            }
        }
        _ => {}
    }
    left
}
