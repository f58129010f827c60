//! `kustomization.yaml` files: what they list, and what they do to the objects they apply
//! (namespace override, common annotations and labels).

use std::ops::Range;

use rayon::prelude::*;

use super::meta::StringMap;
use super::read::Reader;
use super::{Object, loc_of};
use crate::hash::{HashMap, HashSet};
use crate::source::{FileId, Spanned, parent_dir};
use crate::yaml::Document;

/// Is this file name one kustomize reads as a kustomization?
pub fn is_kustomization_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

/// Why a kustomization names a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRole {
    /// `resources`, `bases`, `components`: applied.
    Resource,
    /// Patches, generator inputs, CRDs, transformers…: read, not applied as objects.
    Input,
    /// `configMapGenerator`/`secretGenerator` files: not manifests at all.
    GeneratorInput,
}

/// A local path a kustomization names, resolved against its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRef {
    /// As written.
    pub written: Spanned<String>,
    /// Normalised repository-relative path; `None` when it leaves the repository.
    pub resolved: Option<String>,
    pub role: PathRole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kustomization {
    pub file: FileId,
    /// The folder it sits in, repository-relative ("" at the root).
    pub dir: String,
    pub namespace: Option<Spanned<String>>,
    pub paths: Vec<PathRef>,
    pub common_annotations: StringMap,
    pub common_labels: StringMap,
    /// `secretGenerator[].name`: Secrets kustomize makes.
    pub generated_secrets: Vec<String>,
}

impl Kustomization {
    /// `text` is the file's text.
    pub fn read(file: FileId, path: &str, doc: &Document, text: &str) -> Option<Kustomization> {
        let root = doc.root()?;
        if !root.is_mapping() {
            return None;
        }
        let mut ignored = Vec::new();
        let mut reader = Reader {
            file,
            text,
            problems: &mut ignored,
        };
        let dir = parent_dir(path).to_string();
        let mut paths = Vec::new();
        let mut add = |value: Spanned<String>, role: PathRole| {
            if is_remote(&value.value) {
                return;
            }
            let resolved = join(&dir, &value.value);
            paths.push(PathRef {
                written: value,
                resolved,
                role,
            });
        };
        let strings = |key: &str| -> Vec<Spanned<String>> {
            root.get(key)
                .into_iter()
                .flat_map(|list| list.items())
                .filter_map(|item| {
                    item.as_str()
                        .map(|s| Spanned::new(s.to_string(), loc_of(file, item)))
                })
                .collect()
        };
        for key in ["resources", "bases", "components"] {
            for value in strings(key) {
                add(value, PathRole::Resource);
            }
        }
        for key in [
            "patchesStrategicMerge",
            "crds",
            "configurations",
            "transformers",
            "generators",
            "validators",
        ] {
            for value in strings(key) {
                add(value, PathRole::Input);
            }
        }
        for key in ["patches", "patchesJson6902", "replacements"] {
            for item in root.get(key).into_iter().flat_map(|l| l.items()) {
                if let Some(path_node) = item.get("path").filter(|p| p.as_str().is_some()) {
                    let text = path_node.as_str().unwrap_or_default().to_string();
                    add(Spanned::new(text, loc_of(file, path_node)), PathRole::Input);
                }
            }
        }
        for key in ["configMapGenerator", "secretGenerator"] {
            for generator in root.get(key).into_iter().flat_map(|l| l.items()) {
                for field in ["files", "envs"] {
                    for item in generator.get(field).into_iter().flat_map(|l| l.items()) {
                        let Some(text) = item.as_str() else { continue };
                        // `key=path` names the key the file's content is stored under.
                        let file_part = text.split_once('=').map_or(text, |(_, p)| p);
                        add(
                            Spanned::new(file_part.to_string(), loc_of(file, item)),
                            PathRole::GeneratorInput,
                        );
                    }
                }
                if let Some(env) = generator
                    .get("env")
                    .and_then(|e| e.as_str().map(|s| (e, s)))
                {
                    add(
                        Spanned::new(env.1.to_string(), loc_of(file, env.0)),
                        PathRole::GeneratorInput,
                    );
                }
            }
        }
        let generated_secrets = root
            .get("secretGenerator")
            .into_iter()
            .flat_map(|list| list.items())
            .filter_map(|generator| generator.get("name")?.as_str().map(str::to_string))
            .collect();
        Some(Kustomization {
            file,
            generated_secrets,
            namespace: reader.string(root.get("namespace"), "namespace"),
            common_annotations: StringMap::read(&mut reader, Some(root), "commonAnnotations"),
            common_labels: StringMap::read(&mut reader, Some(root), "commonLabels"),
            dir,
            paths,
        })
    }
}

fn is_remote(path: &str) -> bool {
    path.contains("://")
        || path.starts_with("github.com/")
        || path.starts_with("git@")
        || path.contains("?ref=")
        || path.starts_with("oci:")
}

/// Joins a relative path onto a repository-relative folder, resolving `.` and `..`.
pub(crate) fn join(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = if relative.starts_with('/') {
        return None;
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Kustomizations, keyed by folder, and what each one reaches.
#[derive(Debug, Default)]
pub struct KustomizeGraph {
    pub kustomizations: Vec<Kustomization>,
    by_dir: HashMap<String, usize>,
    /// What each kustomization reaches (see [`KustomizeGraph::reach`]).
    reaches: Vec<HashMap<String, PathRole>>,
}

impl KustomizeGraph {
    pub fn new(kustomizations: Vec<Kustomization>) -> Self {
        let by_dir = kustomizations
            .iter()
            .enumerate()
            .map(|(i, k)| (k.dir.clone(), i))
            .collect();
        let mut graph = KustomizeGraph {
            kustomizations,
            by_dir,
            reaches: Vec::new(),
        };
        graph.reaches = (0..graph.kustomizations.len())
            .into_par_iter()
            .map(|i| graph.walk_from(i))
            .collect();
        graph
    }

    pub fn in_dir(&self, dir: &str) -> Option<&Kustomization> {
        self.by_dir.get(dir).map(|&i| &self.kustomizations[i])
    }

    /// Every file path a kustomization reaches, directly or through referenced folders, and
    /// whether it reaches it as a resource (applied) or only as an input.
    pub fn reach(&self, kustomization: usize) -> &HashMap<String, PathRole> {
        &self.reaches[kustomization]
    }

    fn walk_from(&self, start: usize) -> HashMap<String, PathRole> {
        let mut reached = HashMap::default();
        let mut visited = HashSet::default();
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if !visited.insert(i) {
                continue;
            }
            let k = &self.kustomizations[i];
            for path in &k.paths {
                let Some(resolved) = &path.resolved else {
                    continue;
                };
                match self.by_dir.get(resolved.as_str()) {
                    Some(&sub) if path.role == PathRole::Resource => stack.push(sub),
                    _ => {
                        let role = reached.entry(resolved.clone()).or_insert(path.role);
                        if path.role == PathRole::Resource {
                            *role = PathRole::Resource;
                        }
                    }
                }
            }
        }
        reached
    }
}

/// Applies every kustomization's namespace and common annotations/labels to the objects it
/// reaches as resources. Outer kustomizations apply last, as `kustomize build` does.
pub fn apply_kustomizations<'p>(
    graph: &KustomizeGraph,
    objects: &mut [Object],
    path_of: impl Fn(FileId) -> &'p str,
) {
    let mut reaches: Vec<(usize, &HashMap<String, PathRole>)> = (0..graph.kustomizations.len())
        .filter(|&i| {
            let k = &graph.kustomizations[i];
            k.namespace.is_some() || !k.common_annotations.is_empty() || !k.common_labels.is_empty()
        })
        .map(|i| (i, graph.reach(i)))
        .collect();
    if reaches.is_empty() {
        return;
    }
    reaches.sort_by_key(|(_, r)| r.len());
    // Objects are in file order: each file's objects are one run.
    debug_assert!(objects.is_sorted_by_key(|o| o.file));
    let mut objects_by_path: HashMap<&str, Range<usize>> = HashMap::default();
    let mut start = 0;
    for run in objects.chunk_by(|a, b| a.file == b.file) {
        objects_by_path.insert(path_of(run[0].file), start..start + run.len());
        start += run.len();
    }
    for (k, reached) in reaches {
        let kustomization = &graph.kustomizations[k];
        for (path, &role) in reached {
            if role != PathRole::Resource {
                continue;
            }
            for i in objects_by_path
                .get(path.as_str())
                .cloned()
                .into_iter()
                .flatten()
            {
                let obj = &mut objects[i];
                if let Some(ns) = &kustomization.namespace {
                    obj.namespace_override = Some(ns.clone());
                }
                merge_into(&mut obj.meta.annotations, &kustomization.common_annotations);
                merge_into(&mut obj.meta.labels, &kustomization.common_labels);
            }
        }
    }
}

fn merge_into(target: &mut StringMap, common: &StringMap) {
    for entry in &common.entries {
        target.entries.retain(|e| e.key.value != entry.key.value);
        target.entries.push(entry.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_resolves_dots() {
        assert_eq!(join("a/b", "./c.yaml").as_deref(), Some("a/b/c.yaml"));
        assert_eq!(join("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join("", "x/../y.yaml").as_deref(), Some("y.yaml"));
        assert_eq!(join("", "../outside"), None);
    }

    #[test]
    fn recognises_kustomization_files() {
        assert!(is_kustomization_file("infra/kustomization.yaml"));
        assert!(is_kustomization_file("Kustomization"));
        assert!(!is_kustomization_file("infra/ks.yaml"));
    }
}
