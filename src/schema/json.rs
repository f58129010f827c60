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
