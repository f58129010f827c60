//! kustomize's two patch forms, applied to a [`Value`].
//!
//! Strategic merge on a custom resource is a JSON merge: kustomize has no merge keys for kinds
//! it does not know, so a list in the patch replaces the whole list; `null` deletes a key;
//! `$patch: delete` deletes the mapping and `$patch: replace` replaces it (kyaml's
//! `walk`/`merge2`, `api/filters/patchstrategicmerge`). JSON 6902 follows RFC 6902
//! (`api/filters/patchjson6902`, via evanphx/json-patch).

use super::value::Value;
use crate::source::Loc;

/// Which lists of an object merge item by item, and by which key. kustomize takes them from
/// the Kubernetes OpenAPI schema it embeds (`x-kubernetes-patch-merge-key` with the `merge`
/// strategy; kyaml `walk/associative_sequence.go`, `openapi.SchemaForResourceType`): only
/// built-in kinds have them. A custom resource has no schema there, so each of its lists is
/// replaced whole by the patch's (`merge2.Merger.VisitList`, `NonAssociateList`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKeys {
    /// A kind whose pod template (or pod) merges containers, volumes, env, … by key.
    Pod,
    /// A Service: `ports` merge by `port`.
    Service,
    /// A ServiceAccount: `secrets` merge by `name`.
    ServiceAccount,
    /// Another built-in kind: only `metadata.ownerReferences` merge (by `uid`).
    OtherBuiltIn,
    /// A custom resource: every list is replaced whole.
    None,
}

/// The API groups of Kubernetes itself (kustomize's embedded schema knows their kinds).
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
];

impl ListKeys {
    pub fn of(api_version: &str, kind: &str) -> ListKeys {
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        if !BUILT_IN_GROUPS.contains(&group) {
            return ListKeys::None;
        }
        match kind {
            "Pod"
            | "PodTemplate"
            | "ReplicationController"
            | "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "CronJob" => ListKeys::Pod,
            "Service" => ListKeys::Service,
            "ServiceAccount" => ListKeys::ServiceAccount,
            _ => ListKeys::OtherBuiltIn,
        }
    }

    /// The merge key of the list at `field` (its key in the parent mapping).
    fn key(self, field: &str) -> Option<&'static str> {
        match (self, field) {
            (ListKeys::None, _) => None,
            (_, "ownerReferences") => Some("uid"),
            (
                ListKeys::Pod,
                "containers"
                | "initContainers"
                | "ephemeralContainers"
                | "volumes"
                | "imagePullSecrets"
                | "env",
            )
            | (ListKeys::ServiceAccount, "secrets") => Some("name"),
            (ListKeys::Pod, "ports") => Some("containerPort"),
            (ListKeys::Pod, "volumeMounts") => Some("mountPath"),
            (ListKeys::Pod, "volumeDevices") => Some("devicePath"),
            (ListKeys::Pod, "hostAliases") => Some("ip"),
            (ListKeys::Pod, "topologySpreadConstraints") => Some("topologyKey"),
            (ListKeys::Service, "ports") => Some("port"),
            _ => None,
        }
    }
}

/// A list of a custom resource that a strategic-merge patch replaced whole while one of the
/// patch's items carries a `$patch` directive: kustomize keeps that item as written (directive
/// included) and drops every item the list had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListReplaced {
    /// The `$patch` key on the item.
    pub directive: Loc,
    /// The list's field path (`spec.managed.roles`).
    pub field: String,
    /// How many items the list had before.
    pub lost: usize,
}

/// Merges `patch` into `target` (both mappings at the top), the lists by `keys`. Returns the
/// custom-resource lists replaced while an item asked for a directive.
pub fn strategic_merge(
    target: &mut Value,
    patch: &Value,
    keys: ListKeys,
) -> Result<Vec<ListReplaced>, PatchError> {
    let mut replaced = Vec::new();
    merge_mapping(target, patch, keys, &mut Vec::new(), &mut replaced)?;
    Ok(replaced)
}

fn merge_mapping(
    target: &mut Value,
    patch: &Value,
    keys: ListKeys,
    path: &mut Vec<String>,
    replaced: &mut Vec<ListReplaced>,
) -> Result<(), PatchError> {
    let own = directive(patch)?;
    let (Value::Mapping { entries, .. }, Value::Mapping { .. }) = (&mut *target, patch) else {
        *target = patch.clone();
        return Ok(());
    };
    match own {
        Some("replace") => {
            *target = without_directives(patch)?;
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
        path.push(name.to_string());
        match target.get_mut(name) {
            Some(existing) if existing.is_mapping() && value.is_mapping() => {
                if deletes {
                    target.remove(name);
                } else {
                    merge_mapping(existing, value, keys, path, replaced)?;
                }
            }
            Some(existing)
                if matches!(existing, Value::Sequence { .. })
                    && matches!(value, Value::Sequence { .. }) =>
            {
                if let (Some(key), Value::Sequence { items, .. }) = (keys.key(name), &mut *existing)
                {
                    if let ListOutcome::Cleared =
                        merge_list(items, value, key, keys, path, replaced)?
                    {
                        target.remove(name);
                    }
                } else {
                    let lost = match existing {
                        Value::Sequence { items, .. } => items.len(),
                        _ => 0,
                    };
                    replaced.extend(item_directives(value).map(|directive| ListReplaced {
                        directive,
                        field: path.join("."),
                        lost,
                    }));
                    *existing = without_directives(value)?;
                }
            }
            Some(existing) => *existing = without_directives(value)?,
            None => {
                if !deletes {
                    target.set(name, without_directives(value)?, key.loc());
                }
            }
        }
        path.pop();
    }
    Ok(())
}

enum ListOutcome {
    Merged,
    /// `- $patch: delete` as an item of its own: the whole list goes.
    Cleared,
}

/// An associative list merged item by item on `key` (kyaml `walkAssociativeSequence`, with
/// `MergeOptionsListPrepend` as `api/filters/patchstrategicmerge` asks): the patch's items
/// come first, in its order, each merged into the target's item with the same key, replacing
/// it (`$patch: replace`) or deleting it (`$patch: delete`); then the target's other items.
/// An item that is only `$patch: replace` (or `delete`) replaces (or deletes) the whole list
/// (`merge2/smpdirective.go`, `determineSequenceNodePatchStrategy`).
fn merge_list(
    items: &mut Vec<Value>,
    patch: &Value,
    key: &str,
    keys: ListKeys,
    path: &mut Vec<String>,
    replaced: &mut Vec<ListReplaced>,
) -> Result<ListOutcome, PatchError> {
    let Value::Sequence {
        items: patch_items, ..
    } = patch
    else {
        return Ok(ListOutcome::Merged);
    };
    let list_directive = patch_items.iter().find_map(|item| match item {
        Value::Mapping { entries, .. } if entries.len() == 1 => item.get("$patch"),
        _ => None,
    });
    let is_list_directive = |item: &Value| matches!(item, Value::Mapping { entries, .. } if entries.len() == 1 && item.get("$patch").is_some());
    if let Some(value) = list_directive {
        match value.as_str() {
            Some("delete") => return Ok(ListOutcome::Cleared),
            Some("replace") => {
                *items = patch_items
                    .iter()
                    .filter(|item| !is_list_directive(item))
                    .map(without_directives)
                    .collect::<Result<_, _>>()?;
                return Ok(ListOutcome::Merged);
            }
            Some("merge") => {}
            other => {
                let written = other.unwrap_or("");
                return Err(PatchError {
                    message: format!(
                        "unknown `$patch:` directive `{written}` (kustomize knows `merge`, `replace` and `delete`): kustomize says \"unknown patch strategy '{written}'\""
                    ),
                    loc: Some(value.loc()),
                });
            }
        }
    }
    let key_of = |item: &Value| item.get(key).and_then(Value::as_str).map(str::to_string);
    let mut merged = Vec::with_capacity(items.len() + patch_items.len());
    let mut seen: Vec<String> = Vec::new();
    for patch_item in patch_items.iter().filter(|item| !is_list_directive(item)) {
        let Some(wanted) = key_of(patch_item) else {
            continue;
        };
        if seen.contains(&wanted) {
            continue;
        }
        let found = items
            .iter()
            .position(|item| key_of(item).as_deref() == Some(wanted.as_str()));
        seen.push(wanted);
        match (found, directive(patch_item)?) {
            (_, Some("delete")) => {}
            (Some(_), Some("replace")) | (None, _) => merged.push(without_directives(patch_item)?),
            (Some(at), _) => {
                let mut item = items[at].clone();
                merge_mapping(&mut item, patch_item, keys, path, replaced)?;
                merged.push(item);
            }
        }
    }
    merged.extend(
        items
            .drain(..)
            .filter(|item| key_of(item).is_none_or(|own| !seen.contains(&own))),
    );
    *items = merged;
    Ok(ListOutcome::Merged)
}

/// Where the items of a patch's list carry a `$patch` directive.
fn item_directives(list: &Value) -> impl Iterator<Item = Loc> + '_ {
    let items = match list {
        Value::Sequence { items, .. } => items.as_slice(),
        _ => &[],
    };
    items.iter().filter_map(|item| match item {
        Value::Mapping { entries, .. } => entries
            .iter()
            .find(|(key, _)| key.as_str() == Some("$patch"))
            .map(|(key, _)| key.loc()),
        _ => None,
    })
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
            ListKeys::None,
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
            ListKeys::None,
        )
        .unwrap();
        assert!(target.path(&["metadata", "annotations"]).is_none());
    }

    fn names(list: Option<&Value>) -> Vec<String> {
        let Some(Value::Sequence { items, .. }) = list else {
            panic!("a list")
        };
        items
            .iter()
            .map(|item| {
                let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
                match item.get("image").and_then(Value::as_str) {
                    Some(image) => format!("{name}={image}"),
                    None => name.to_string(),
                }
            })
            .collect()
    }

    #[test]
    fn built_in_lists_merge_by_key_with_item_directives() {
        let deployment = "spec:\n  template:\n    spec:\n      containers:\n        - {name: a, image: a1}\n        - {name: b, image: b1}\n        - {name: c, image: c1}\n";
        let keys = ListKeys::of("apps/v1", "Deployment");
        let mut target = value(deployment, 0);
        let replaced = strategic_merge(
            &mut target,
            &value(
                "spec:\n  template:\n    spec:\n      containers:\n        - {name: b, $patch: delete}\n        - {name: c, image: c2}\n        - {name: d, image: d1}\n        - {name: x, $patch: delete}\n",
                1,
            ),
            keys,
        )
        .unwrap();
        assert!(replaced.is_empty());
        let containers = target.path(&["spec", "template", "spec", "containers"]);
        // kustomize puts the patch's items first (checked with `kubectl kustomize`).
        assert_eq!(names(containers), ["c=c2", "d=d1", "a=a1"]);
        // `$patch: replace` on an item replaces it; as an item of its own, the whole list.
        let mut target = value(deployment, 0);
        strategic_merge(
            &mut target,
            &value(
                "spec:\n  template:\n    spec:\n      containers:\n        - {name: a, $patch: replace}\n",
                1,
            ),
            keys,
        )
        .unwrap();
        let containers = target.path(&["spec", "template", "spec", "containers"]);
        assert_eq!(names(containers), ["a", "b=b1", "c=c1"]);
        let mut target = value(deployment, 0);
        strategic_merge(
            &mut target,
            &value(
                "spec:\n  template:\n    spec:\n      containers:\n        - $patch: replace\n        - {name: z, image: z1}\n",
                1,
            ),
            keys,
        )
        .unwrap();
        let containers = target.path(&["spec", "template", "spec", "containers"]);
        assert_eq!(names(containers), ["z=z1"]);
        let mut target = value(deployment, 0);
        strategic_merge(
            &mut target,
            &value(
                "spec:\n  template:\n    spec:\n      containers:\n        - $patch: delete\n",
                1,
            ),
            keys,
        )
        .unwrap();
        assert!(
            target
                .path(&["spec", "template", "spec", "containers"])
                .is_none()
        );
    }

    #[test]
    fn custom_resource_lists_are_replaced_and_keep_directives_as_written() {
        let mut target = value(
            "spec:\n  managed:\n    roles: [{name: a}, {name: b}, {name: c}]\n",
            0,
        );
        let replaced = strategic_merge(
            &mut target,
            &value(
                "spec:\n  managed:\n    roles:\n      - {name: b, $patch: delete}\n",
                1,
            ),
            ListKeys::of("postgresql.cnpg.io/v1", "Cluster"),
        )
        .unwrap();
        let roles = target.path(&["spec", "managed", "roles"]);
        assert_eq!(names(roles), ["b"]);
        let Some(Value::Sequence { items, .. }) = roles else {
            panic!("roles")
        };
        assert_eq!(
            items[0].get("$patch").and_then(Value::as_str),
            Some("delete")
        );
        assert_eq!(replaced.len(), 1);
        assert_eq!(replaced[0].field, "spec.managed.roles");
        assert_eq!(replaced[0].lost, 3);
        assert_eq!(replaced[0].directive.file, FileId(1));
    }
}
