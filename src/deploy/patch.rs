//! kustomize's two patch forms, applied to a [`Value`].
//!
//! Strategic merge on a custom resource is a JSON merge: kustomize has no merge keys for kinds
//! it does not know, so a list in the patch replaces the whole list; `null` deletes a key;
//! `$patch: delete` deletes the mapping and `$patch: replace` replaces it (kyaml's
//! `walk`/`merge2`, `api/filters/patchstrategicmerge`). JSON 6902 follows RFC 6902
//! (`api/filters/patchjson6902`, via evanphx/json-patch).

use super::value::Value;
use crate::source::Loc;

/// Merges `patch` into `target` (both mappings at the top).
pub fn strategic_merge(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    let own = directive(patch)?;
    let (Value::Mapping { entries, .. }, Value::Mapping { .. }) = (&mut *target, patch) else {
        *target = patch.clone();
        return Ok(());
    };
    match own {
        Some("replace") => {
            let mut replacement = patch.clone();
            replacement.remove("$patch");
            *target = replacement;
            return Ok(());
        }
        Some("delete") => {
            entries.clear();
            return Ok(());
        }
        _ => {}
    }
    let Value::Mapping {
        entries: patch_entries,
        ..
    } = patch
    else {
        return Ok(());
    };
    for (key, value) in patch_entries {
        let Some(name) = key.as_str() else { continue };
        if name.starts_with("$setElementOrder") || name == "$patch" || name == "$retainKeys" {
            continue;
        }
        if value.is_null() {
            target.remove(name);
            continue;
        }
        let deletes = value.is_mapping() && directive(value)? == Some("delete");
        match target.get_mut(name) {
            Some(existing) if existing.is_mapping() && value.is_mapping() => {
                if deletes {
                    target.remove(name);
                } else {
                    strategic_merge(existing, value)?;
                }
            }
            Some(existing) => *existing = without_directives(value)?,
            None => {
                if !deletes {
                    target.set(name, without_directives(value)?, key.loc());
                }
            }
        }
    }
    Ok(())
}

/// A mapping's `$patch:` directive: `merge`, `replace` or `delete`; anything else fails the
/// build (kyaml `merge2/smpdirective.go`, `determineMappingNodePatchStrategy`).
fn directive(patch: &Value) -> Result<Option<&str>, PatchError> {
    let Some(value) = patch.get("$patch") else {
        return Ok(None);
    };
    match value.as_str() {
        Some(known @ ("merge" | "replace" | "delete")) => Ok(Some(known)),
        other => {
            let written = other.unwrap_or("");
            Err(PatchError {
                message: format!(
                    "unknown `$patch:` directive `{written}` (kustomize knows `merge`, `replace` and `delete`): kustomize says \"unknown patch strategy '{written}'\""
                ),
                loc: Some(value.loc()),
            })
        }
    }
}

/// A value added by a patch, without the patch's own `$patch` directives (each still one
/// kustomize knows).
fn without_directives(value: &Value) -> Result<Value, PatchError> {
    directive(value)?;
    let mut value = value.clone();
    if let Value::Mapping { entries, .. } = &mut value {
        entries.retain(|(k, _)| k.as_str().is_none_or(|k| !k.starts_with('$')));
        for (_, v) in entries.iter_mut() {
            *v = without_directives(v)?;
        }
    }
    Ok(value)
}

/// Why a patch could not be applied (kustomize fails the build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub message: String,
    /// The operation or directive at fault, when known (else the patch as a whole).
    pub loc: Option<Loc>,
}

impl PatchError {
    fn new(message: impl Into<String>) -> PatchError {
        PatchError {
            message: message.into(),
            loc: None,
        }
    }

    fn at(mut self, loc: Loc) -> PatchError {
        self.loc.get_or_insert(loc);
        self
    }
}

/// Applies RFC 6902 operations (a sequence of `{op, path, value, from}` mappings), as
/// evanphx/json-patch does for kustomize (`api/filters/patchjson6902`).
pub fn json6902(target: &mut Value, operations: &Value) -> Result<(), PatchError> {
    let Value::Sequence { items, .. } = operations else {
        return Err(PatchError::new(
            "a JSON 6902 patch must be a list of operations",
        ));
    };
    for operation in items {
        apply_operation(target, operation).map_err(|e| e.at(operation.loc()))?;
    }
    Ok(())
}

fn apply_operation(target: &mut Value, operation: &Value) -> Result<(), PatchError> {
    let field = |key: &str| operation.get(key).and_then(Value::as_str);
    let op = field("op").ok_or_else(|| PatchError::new("an operation has no `op`"))?;
    let path = pointer(field("path").unwrap_or(""))?;
    match op {
        "add" | "replace" | "test" => {
            let value = operation
                .get("value")
                .ok_or_else(|| PatchError::new(format!("`{op}` needs a `value`")))?
                .clone();
            match op {
                "add" => add(target, &path, value)?,
                "replace" => {
                    *lookup_mut(target, &path).ok_or_else(|| missing(&path))? = value;
                }
                _ => {
                    let holds =
                        lookup_mut(target, &path).is_some_and(|found| same_content(found, &value));
                    if !holds {
                        let at = format!("/{}", path.join("/"));
                        return Err(PatchError::new(format!(
                            "the `test` operation at `{at}` does not hold: kustomize says \"testing value {at} failed: test failed\""
                        )));
                    }
                }
            }
        }
        "remove" => {
            remove(target, &path)?;
        }
        "move" | "copy" => {
            let Some(from) = field("from") else {
                return Err(PatchError::new(format!(
                    "`{op}` has no `from`: kustomize says \"{op} operation failed to decode from: operation, missing from field\""
                )));
            };
            let from = pointer(from)?;
            let value = if op == "move" {
                remove(target, &from)?
            } else {
                lookup_mut(target, &from)
                    .ok_or_else(|| missing(&from))?
                    .clone()
            };
            add(target, &path, value)?;
        }
        other => return Err(PatchError::new(format!("unknown operation `{other}`"))),
    }
    Ok(())
}

fn missing(path: &[String]) -> PatchError {
    PatchError::new(format!("no value at /{}", path.join("/")))
}

/// RFC 6901: `/a/b~1c` → `["a", "b/c"]`.
fn pointer(text: &str) -> Result<Vec<String>, PatchError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let rest = text
        .strip_prefix('/')
        .ok_or_else(|| PatchError::new(format!("path `{text}` must start with `/`")))?;
    Ok(rest
        .split('/')
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn lookup_mut<'v>(mut value: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    for part in path {
        value = match value {
            Value::Mapping { .. } => value.get_mut(part)?,
            Value::Sequence { items, .. } => items.get_mut(part.parse::<usize>().ok()?)?,
            Value::Scalar { .. } => return None,
        };
    }
    Some(value)
}

fn add(target: &mut Value, path: &[String], value: Value) -> Result<(), PatchError> {
    let Some((last, parent_path)) = path.split_last() else {
        *target = value;
        return Ok(());
    };
    let parent = lookup_mut(target, parent_path).ok_or_else(|| missing(parent_path))?;
    match parent {
        Value::Mapping { .. } => {
            let key_loc = value.loc();
            parent.set(last, value, key_loc);
        }
        Value::Sequence { items, .. } => {
            let at = if last == "-" {
                items.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|&i| i <= items.len())
                    .ok_or_else(|| missing(path))?
            };
            items.insert(at, value);
        }
        Value::Scalar { .. } => return Err(missing(path)),
    }
    Ok(())
}

fn remove(target: &mut Value, path: &[String]) -> Result<Value, PatchError> {
    let (last, parent_path) = path.split_last().ok_or_else(|| missing(path))?;
    let parent = lookup_mut(target, parent_path).ok_or_else(|| missing(parent_path))?;
    match parent {
        Value::Mapping { .. } => parent.remove(last).ok_or_else(|| missing(path)),
        Value::Sequence { items, .. } => {
            let at = last
                .parse::<usize>()
                .ok()
                .filter(|&i| i < items.len())
                .ok_or_else(|| missing(path))?;
            Ok(items.remove(at))
        }
        Value::Scalar { .. } => Err(missing(path)),
    }
}

/// Equal content, wherever each value came from.
fn same_content(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Scalar { scalar: x, .. }, Value::Scalar { scalar: y, .. }) => x.text == y.text,
        (Value::Sequence { items: x, .. }, Value::Sequence { items: y, .. }) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_content(a, b))
        }
        (Value::Mapping { entries: x, .. }, Value::Mapping { entries: y, .. }) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    k.as_str()
                        .and_then(|k| b.get(k))
                        .is_some_and(|other| same_content(v, other))
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn value(text: &str, file: u32) -> Value {
        let parsed = parse(text, &Limits::default());
        Value::from_node(parsed.documents[0].root().unwrap(), FileId(file)).unwrap()
    }

    #[test]
    fn strategic_merge_replaces_lists_and_deletes_nulls() {
        let mut target = value(
            "spec:\n  owner: a\n  roles: [{name: x}, {name: y}]\n  keep: 1\n  drop: 2\n",
            0,
        );
        strategic_merge(
            &mut target,
            &value("spec:\n  owner: b\n  roles: [{name: z}]\n  drop: null\n", 1),
        )
        .unwrap();
        let spec = target.get("spec").unwrap();
        assert_eq!(spec.get("owner").and_then(Value::as_str), Some("b"));
        // The patched value remembers the patch file.
        assert_eq!(spec.get("owner").unwrap().loc().file, FileId(1));
        assert_eq!(spec.get("keep").unwrap().loc().file, FileId(0));
        assert!(spec.get("drop").is_none());
        let Some(Value::Sequence { items, .. }) = spec.get("roles") else {
            panic!("roles")
        };
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn json6902_operations() {
        let mut target = value("spec:\n  owner: a\n  list: [1, 2]\n", 0);
        let ops = value(
            "- {op: replace, path: /spec/owner, value: b}\n- {op: add, path: /spec/list/-, value: 3}\n- {op: remove, path: /spec/list/0}\n- {op: add, path: /metadata, value: {name: n}}\n- {op: copy, from: /metadata/name, path: /spec/copied}\n",
            1,
        );
        json6902(&mut target, &ops).unwrap();
        assert_eq!(
            target.path(&["spec", "owner"]).and_then(Value::as_str),
            Some("b")
        );
        assert_eq!(
            target.path(&["spec", "copied"]).and_then(Value::as_str),
            Some("n")
        );
        let Some(Value::Sequence { items, .. }) = target.path(&["spec", "list"]) else {
            panic!("list")
        };
        let texts: Vec<_> = items.iter().filter_map(Value::as_str).collect();
        assert_eq!(texts, ["2", "3"]);
        let bad = value("- {op: replace, path: /spec/missing, value: 1}\n", 1);
        assert!(json6902(&mut target, &bad).is_err());
    }

    #[test]
    fn patch_delete_directive() {
        let mut target = value("metadata:\n  annotations: {a: '1'}\n", 0);
        strategic_merge(
            &mut target,
            &value("metadata:\n  annotations:\n    $patch: delete\n", 1),
        )
        .unwrap();
        assert!(target.path(&["metadata", "annotations"]).is_none());
    }
}
