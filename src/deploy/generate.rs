//! `secretGenerator` and `configMapGenerator`: the objects kustomize makes, with its name hash.
//!
//! The hash follows kustomize's `api/hasher/hasher.go`: SHA-256 of Go's `json.Marshal` of
//! `{"data", "kind", "name": "", "type"}` (a Secret's data base64-encoded; `immutable` and a
//! ConfigMap's `binaryData` when set), its first ten hex digits with `0 1 3 a e` replaced by
//! `g h k m t` (`encodeHash`). The name in the hashed form is empty (checked against
//! `kubectl kustomize`, kustomize v5.5.0). The generated values are plaintext committed to
//! the repository: they are used for the hash and never kept in the object.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::kustomize::Unknown;
use super::value::Value;
use crate::model::{Generator, GeneratorKind, Kustomization, Object, StringMap};
use crate::project::Project;
use crate::schema::Schemas;
use crate::source::Loc;

/// One generated key: its name, where it is declared, its value (bytes).
struct Entry {
    key: String,
    loc: Loc,
    value: Vec<u8>,
}

/// A generated object, and the hash kustomize appends to its name once the whole build is
/// done (after every prefix and suffix).
pub struct Generated {
    pub object: Object,
    pub name_hash: Option<String>,
}

/// The object a generator makes; `Ok(None)` when it has no name (kustomize refuses it), `Err`
/// when an input cannot be read.
pub fn generate(
    project: &Project,
    k: &Kustomization,
    generator: &Generator,
) -> Result<Option<Generated>, Unknown> {
    let Some(name) = &generator.name else {
        return Ok(None);
    };
    let unknown = |loc: Loc, reason: String| Unknown { loc, reason };
    let mut entries = Vec::new();
    for (written, path) in &generator.envs {
        let bytes = path
            .as_deref()
            .and_then(|p| project.read_input(p))
            .ok_or_else(|| unknown(written.loc, format!("cannot read `{}`", written.value)))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| unknown(written.loc, format!("`{}` is not UTF-8", written.value)))?;
        for (key, value) in env_pairs(&text) {
            entries.push(Entry {
                key,
                loc: written.loc,
                value: value.into_bytes(),
            });
        }
    }
    for (key, value) in &generator.literals {
        entries.push(Entry {
            key: key.value.clone(),
            loc: key.loc,
            value: value.0.clone().into_bytes(),
        });
    }
    for (written, path) in &generator.files {
        let bytes = path
            .as_deref()
            .and_then(|p| project.read_input(p))
            .ok_or_else(|| unknown(written.loc, format!("cannot read `{}`", written.value)))?;
        let key = match written.value.split_once('=') {
            Some((key, _)) => key.to_string(),
            None => written.value.rsplit('/').next().unwrap_or("").to_string(),
        };
        entries.push(Entry {
            key,
            loc: written.loc,
            value: bytes,
        });
    }
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    if let Some(pair) = entries.windows(2).find(|pair| pair[0].key == pair[1].key) {
        return Err(unknown(
            pair[1].loc,
            format!(
                "key `{}` is repeated (kustomize refuses the build)",
                pair[1].key
            ),
        ));
    }

    let options = merged_options(&k.build.generator_options, &generator.options);
    let is_secret = generator.kind == GeneratorKind::Secret;
    let type_ = generator.type_.clone().unwrap_or_else(|| "Opaque".into());
    let disable_hash = options.2.unwrap_or(false);
    let hash = (!disable_hash).then(|| name_hash(is_secret, &type_, &entries));

    let at = generator.loc;
    let mut tree = Value::empty_mapping(at);
    tree.set("apiVersion", Value::string("v1", at), at);
    let kind = if is_secret { "Secret" } else { "ConfigMap" };
    tree.set("kind", Value::string(kind, at), at);
    let meta = tree.mapping_at("metadata", at);
    meta.set("name", Value::string(&name.value, name.loc), name.loc);
    if let Some(namespace) = generator.namespace.as_ref() {
        meta.set(
            "namespace",
            Value::string(&namespace.value, namespace.loc),
            namespace.loc,
        );
    }
    for (field, map) in [("labels", &options.0), ("annotations", &options.1)] {
        for entry in &map.entries {
            meta.mapping_at(field, entry.key.loc).set(
                &entry.key.value,
                Value::string(&entry.value.value, entry.value.loc),
                entry.key.loc,
            );
        }
    }
    if is_secret {
        tree.set("type", Value::string(&type_, at), at);
    }
    let data = tree.mapping_at("data", at);
    for entry in &entries {
        // The value is never copied: a marker stands in for it.
        data.set(
            &entry.key,
            Value::string("(generated)", entry.loc),
            entry.loc,
        );
    }
    let document = tree.to_document();
    Ok(
        Object::from_document(at.file, 0, &document, "", &Schemas::EMBEDDED).map(|object| {
            Generated {
                object: Object { loc: at, ..object },
                name_hash: hash,
            }
        }),
    )
}

/// The generator's options over the kustomization's `generatorOptions`: labels, annotations,
/// `disableNameSuffixHash`.
fn merged_options(
    global: &crate::model::GeneratorOptions,
    own: &crate::model::GeneratorOptions,
) -> (StringMap, StringMap, Option<bool>) {
    let merge = |a: &StringMap, b: &StringMap| {
        let mut map = a.clone();
        for entry in &b.entries {
            map.entries.retain(|e| e.key.value != entry.key.value);
            map.entries.push(entry.clone());
        }
        map
    };
    (
        merge(&global.labels, &own.labels),
        merge(&global.annotations, &own.annotations),
        own.disable_name_suffix_hash
            .or(global.disable_name_suffix_hash),
    )
}

/// `KEY=value` lines of an env file (kustomize's `kv.keyValuesFromLine`): leading blanks
/// trimmed, empty lines and `#` comments skipped, the value neither trimmed nor unquoted; a
/// line without `=` is a key with an empty value.
fn env_pairs(text: &str) -> Vec<(String, String)> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .map(|line| line.trim_start())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| match line.split_once('=') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect()
}

fn name_hash(is_secret: bool, type_: &str, entries: &[Entry]) -> String {
    // Keys in sorted order, as Go's json.Marshal writes a map.
    let mut json = String::from("{\"data\":{");
    let mut binary = Vec::new();
    let mut first = true;
    for entry in entries {
        let value = if is_secret {
            base64::engine::general_purpose::STANDARD.encode(&entry.value)
        } else {
            match std::str::from_utf8(&entry.value) {
                Ok(text) => text.to_string(),
                Err(_) => {
                    binary.push(entry);
                    continue;
                }
            }
        };
        if !first {
            json.push(',');
        }
        first = false;
        go_json_string(&mut json, &entry.key);
        json.push(':');
        go_json_string(&mut json, &value);
    }
    json.push('}');
    if !binary.is_empty() {
        // `binaryData` sorts before `data`: rebuild in key order.
        let mut prefix = String::from("{\"binaryData\":{");
        for (i, entry) in binary.iter().enumerate() {
            if i > 0 {
                prefix.push(',');
            }
            go_json_string(&mut prefix, &entry.key);
            prefix.push(':');
            go_json_string(
                &mut prefix,
                &base64::engine::general_purpose::STANDARD.encode(&entry.value),
            );
        }
        prefix.push_str("},");
        json = format!("{prefix}{}", &json[1..]);
    }
    if is_secret {
        json.push_str(",\"kind\":\"Secret\",\"name\":\"\",\"type\":");
        go_json_string(&mut json, type_);
        json.push('}');
    } else {
        json.push_str(",\"kind\":\"ConfigMap\",\"name\":\"\"}");
    }
    let digest = Sha256::digest(json.as_bytes());
    digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(10)
        .map(|nibble| match nibble {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            0xa => 'm',
            0xe => 't',
            n => char::from_digit(u32::from(n), 16).unwrap_or('?'),
        })
        .collect()
}

/// A string as Go's `encoding/json` writes it (HTML-safe escapes included).
fn go_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn entry(key: &str, value: &str) -> Entry {
        Entry {
            key: key.into(),
            loc: Loc {
                file: FileId(0),
                span: Span::new(0, 0),
            },
            value: value.as_bytes().to_vec(),
        }
    }

    /// Names `kubectl kustomize` (kustomize v5.5.0) gives the same generators.
    #[test]
    fn hashes_match_kustomize() {
        let cm = [entry("a", "1"), entry("b", "hello")];
        assert_eq!(name_hash(false, "", &cm), "kfmfb484kt");
        let secret = [entry("password", "s3cret"), entry("username", "app")];
        assert_eq!(name_hash(true, "Opaque", &secret), "7dg84b9954");
    }

    #[test]
    fn env_files() {
        let pairs = env_pairs("# c\n\n  A=1\nB==x\nC\n");
        assert_eq!(
            pairs,
            [
                ("A".into(), "1".into()),
                ("B".into(), "=x".into()),
                ("C".into(), String::new())
            ]
        );
    }
}
