//! `kustomization.yaml` files: what they list, and what they do to the objects they apply
//! (namespace override, common annotations and labels).

use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::meta::StringMap;
use super::read::Reader;
use super::{Object, loc_of};
use crate::hash::{HashMap, HashSet};
use crate::source::{FileId, Loc, Spanned, parent_dir};
use crate::yaml::{Document, NodeRef};

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

/// A KSOPS generator (`apiVersion: viaduct.ai/v1`, `kind: ksops`), which a kustomization
/// lists under `generators`: the SOPS-encrypted files it decrypts into the build. As
/// viaduct-ai/kustomize-sops reads it (`ksops.go`, type `ksops`): `files` (whole manifests)
/// and `secretFrom[].files`/`envs` (a Secret's values), relative to the kustomization's
/// folder (the plugin's working directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ksops {
    pub files: Vec<Spanned<String>>,
}

impl Ksops {
    pub(crate) fn read(file: FileId, root: NodeRef<'_>) -> Ksops {
        let paths = |list: Option<NodeRef<'_>>| -> Vec<Spanned<String>> {
            list.into_iter()
                .flat_map(|l| l.items())
                .filter_map(|item| {
                    item.as_str()
                        .map(|s| Spanned::new(s.to_string(), loc_of(file, item)))
                })
                .collect()
        };
        let mut files = paths(root.get("files"));
        for from in root.get("secretFrom").into_iter().flat_map(|l| l.items()) {
            files.extend(paths(from.get("files")));
            files.extend(paths(from.get("envs")));
        }
        Ksops { files }
    }
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
    /// What `kustomize build` reads beyond the paths above (see [`Build`]); boxed, since most
    /// kustomizations only list resources.
    pub build: Box<Build>,
    /// List entries commented out in its text (`# - restore.yaml`), resolved: a decision not
    /// to apply the file, not an omission.
    pub commented_out: Vec<String>,
}

impl Kustomization {
    /// The field path of the node at `loc`, when it is one the model keeps: `namespace`,
    /// `namePrefix`, `nameSuffix`, a `resources`/`components` entry, a patch (`patches[0]`,
    /// its inline text `patches[0].patch`, `patchesStrategicMerge[1]`), a common annotation
    /// or label (`commonLabels.backup`). Lists are numbered by item, as a finding's
    /// [subject](crate::diagnostic::Subject) names them.
    pub fn field_at(&self, loc: Loc) -> Option<String> {
        let within = |outer: Loc| outer.holds(loc);
        let build = &self.build;
        let scalars = [
            ("namespace", &self.namespace),
            ("namePrefix", &build.name_prefix),
            ("nameSuffix", &build.name_suffix),
        ];
        for (field, value) in scalars {
            if value.as_ref().is_some_and(|v| within(v.loc)) {
                return Some(field.to_string());
            }
        }
        for (field, entries) in [
            ("resources", &build.resources),
            ("components", &build.components),
        ] {
            if let Some(i) = entries.iter().position(|e| within(e.written.loc)) {
                return Some(format!("{field}[{i}]"));
            }
        }
        for (field, map) in [
            ("commonAnnotations", &self.common_annotations),
            ("commonLabels", &self.common_labels),
        ] {
            if let Some(entry) = map
                .entries
                .iter()
                .find(|e| within(e.key.loc) || within(e.value.loc))
            {
                return Some(format!("{field}.{}", entry.key.value));
            }
        }
        for (field, kind) in [
            ("patchesStrategicMerge", PatchKind::StrategicMerge),
            ("patchesJson6902", PatchKind::Json6902),
            ("patches", PatchKind::Detect),
        ] {
            let of_kind = build.patches.iter().filter(|p| p.kind == kind);
            for (i, patch) in of_kind.enumerate() {
                if !within(patch.loc) {
                    continue;
                }
                return Some(match &patch.body {
                    PatchBody::Inline(inline) if inline.loc != patch.loc && within(inline.loc) => {
                        format!("{field}[{i}].patch")
                    }
                    PatchBody::File(_)
                        if kind != PatchKind::StrategicMerge
                            && self.paths.iter().any(|p| within(p.written.loc)) =>
                    {
                        format!("{field}[{i}].path")
                    }
                    _ => format!("{field}[{i}]"),
                });
            }
        }
        None
    }
}

/// `kind: Component` (applied to the resources of the kustomization that names it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Build {
    pub is_component: bool,
    /// `resources` and `bases`, in order.
    pub resources: Vec<Entry>,
    pub components: Vec<Entry>,
    pub name_prefix: Option<Spanned<String>>,
    pub name_suffix: Option<Spanned<String>>,
    /// `labels` (the newer form of `commonLabels`).
    pub labels: Vec<LabelSet>,
    pub patches: Vec<Patch>,
    pub generators: Vec<Generator>,
    pub generator_options: GeneratorOptions,
    /// `sortOptions: {order: fifo}`: output in input order, not kustomize's legacy order.
    pub fifo_order: bool,
    /// Fields that make what it builds only partly knowable (`helmCharts`, `replacements`,
    /// `transformers`, …), each at its key.
    pub unknown_fields: Vec<Spanned<String>>,
}

/// A `resources`/`components` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub written: Spanned<String>,
    /// Normalised repository-relative path; `None` for a remote URL or a path leaving the
    /// repository.
    pub resolved: Option<String>,
    pub remote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSet {
    pub pairs: StringMap,
    pub include_selectors: bool,
    pub include_templates: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `patchesStrategicMerge`.
    StrategicMerge,
    /// `patchesJson6902`.
    Json6902,
    /// `patches`: a JSON 6902 list or a strategic-merge document, told apart by content.
    Detect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchBody {
    /// A file, repository-relative (`None` when it leaves the repository).
    File(Option<String>),
    Inline(InlineText),
}

/// Text embedded in a kustomization (an inline patch), with what maps its positions back to
/// the kustomization file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineText {
    pub text: String,
    /// The scalar holding it.
    pub loc: crate::source::Loc,
    /// For a literal block scalar, the file offset where each of the text's lines starts;
    /// empty otherwise (every position then maps to the scalar).
    pub line_starts: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The list item (or the string) that declares it.
    pub loc: crate::source::Loc,
    pub kind: PatchKind,
    pub body: PatchBody,
    pub target: Option<Target>,
    pub options: PatchOptions,
}

/// A `patches` item's `options` (kustomize `types.PatchArgs`): a strategic-merge patch may
/// rename (or change the kind of) what it selects only when these say so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PatchOptions {
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
}

/// A patch's `target` selector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub label_selector: Option<String>,
    pub annotation_selector: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratorKind {
    Secret,
    ConfigMap,
}

/// A value written in a kustomization. A `secretGenerator` literal is a plaintext secret:
/// kept only to compute kustomize's name hash, never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct LiteralValue(pub String);

impl std::fmt::Debug for LiteralValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiteralValue(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    pub kind: GeneratorKind,
    /// The list item.
    pub loc: crate::source::Loc,
    pub name: Option<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    pub behavior: Option<String>,
    /// `type` of a generated Secret (default `Opaque`).
    pub type_: Option<String>,
    pub literals: Vec<(Spanned<String>, LiteralValue)>,
    /// `files` (`[key=]path`) and `envs`/`env`: repository-relative paths (`None` outside),
    /// with the key a file's content is stored under.
    pub files: Vec<(Spanned<String>, Option<String>)>,
    pub envs: Vec<(Spanned<String>, Option<String>)>,
    pub options: GeneratorOptions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratorOptions {
    pub labels: StringMap,
    pub annotations: StringMap,
    pub disable_name_suffix_hash: Option<bool>,
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
        let build = Box::new(Build::read(&mut reader, root, &dir, text));
        for entry in build.resources.iter().chain(&build.components) {
            add(entry.written.clone(), PathRole::Resource);
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
        // A Helm chart's values files are read by the chart, not applied.
        for chart in root.get("helmCharts").into_iter().flat_map(|l| l.items()) {
            let values = chart.get("valuesFile").into_iter();
            let more = chart
                .get("additionalValuesFiles")
                .into_iter()
                .flat_map(|l| l.items());
            for item in values.chain(more) {
                if let Some(text) = item.as_str() {
                    add(
                        Spanned::new(text.to_string(), loc_of(file, item)),
                        PathRole::Input,
                    );
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
        // Kept for the whole run, one per kustomization: not the four slots `push` reserves.
        paths.shrink_to_fit();
        Some(Kustomization {
            file,
            namespace: reader.string(root.get("namespace"), "namespace"),
            common_annotations: StringMap::read(&mut reader, Some(root), "commonAnnotations"),
            common_labels: StringMap::read(&mut reader, Some(root), "commonLabels"),
            commented_out: commented_out_entries(text)
                .filter_map(|entry| join(&dir, entry))
                .collect(),
            dir,
            paths,
            build,
        })
    }
}

/// The list entries of a YAML text that are commented out: `# - restore.yaml`, `#- ./db/`.
/// Only what reads as one path (no spaces, not a `key:`) counts; prose in comments does not.
fn commented_out_entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        let comment = line.trim_start().strip_prefix('#')?.trim_start();
        let entry = comment.strip_prefix('-')?;
        // `# - db.yaml # restore later`: the entry, without its own comment.
        let entry = entry.split(" #").next().unwrap_or(entry).trim();
        let entry = entry.trim_matches(|c| c == '"' || c == '\'');
        let path_like = !entry.is_empty()
            && !entry.contains(char::is_whitespace)
            && !entry.ends_with(':')
            && !entry.contains("://")
            && (entry.contains('.') || entry.contains('/'));
        path_like.then_some(entry)
    })
}

/// Fields whose effect pglint does not model: a build that uses them is partly unknown.
const UNMODELLED_FIELDS: &[&str] = &[
    "helmCharts",
    "helmChartInflationGenerator",
    "replacements",
    "vars",
    "transformers",
    "generators",
    "validators",
    "configurations",
    "openapi",
    "crds",
];

impl Build {
    fn read(reader: &mut Reader<'_>, root: NodeRef<'_>, dir: &str, text: &str) -> Build {
        let file = reader.file;
        let entries = |key: &str| -> Vec<Entry> {
            root.get(key)
                .into_iter()
                .flat_map(|list| list.items())
                .filter_map(|item| {
                    let written = item.as_str()?;
                    let remote = is_remote(written);
                    Some(Entry {
                        resolved: if remote { None } else { join(dir, written) },
                        written: Spanned::new(written.to_string(), loc_of(file, item)),
                        remote,
                    })
                })
                .collect()
        };
        let mut resources = entries("resources");
        resources.extend(entries("bases"));
        // `collect` after a filter reserves four slots; most kustomizations list one or two.
        resources.shrink_to_fit();
        let mut build = Build {
            is_component: root.get("kind").and_then(|k| k.as_str()) == Some("Component"),
            resources,
            components: entries("components"),
            name_prefix: reader.string(root.get("namePrefix"), "namePrefix"),
            name_suffix: reader.string(root.get("nameSuffix"), "nameSuffix"),
            labels: Vec::new(),
            patches: Vec::new(),
            generators: Vec::new(),
            generator_options: GeneratorOptions::read(reader, root.get("generatorOptions")),
            fifo_order: root
                .path(&["sortOptions", "order"])
                .and_then(|o| o.as_str())
                == Some("fifo"),
            unknown_fields: Vec::new(),
        };
        for item in root.get("labels").into_iter().flat_map(|l| l.items()) {
            let flag = |key: &str| item.get(key).and_then(|v| v.as_str()) == Some("true");
            build.labels.push(LabelSet {
                pairs: StringMap::read(reader, Some(item), "pairs"),
                include_selectors: flag("includeSelectors"),
                include_templates: flag("includeTemplates"),
            });
        }
        for (key, kind) in [
            ("patchesStrategicMerge", PatchKind::StrategicMerge),
            ("patchesJson6902", PatchKind::Json6902),
            ("patches", PatchKind::Detect),
        ] {
            for item in root.get(key).into_iter().flat_map(|l| l.items()) {
                build
                    .patches
                    .extend(Patch::read(file, item, kind, dir, text));
            }
        }
        for (key, kind) in [
            ("secretGenerator", GeneratorKind::Secret),
            ("configMapGenerator", GeneratorKind::ConfigMap),
        ] {
            for item in root.get(key).into_iter().flat_map(|l| l.items()) {
                build
                    .generators
                    .push(Generator::read(reader, item, kind, dir));
            }
        }
        for (key, _) in root.entries() {
            if let Some(name) = key.as_str().filter(|k| UNMODELLED_FIELDS.contains(k)) {
                build
                    .unknown_fields
                    .push(Spanned::new(name.to_string(), loc_of(file, key)));
            }
        }
        build
    }
}

impl Patch {
    /// One `patches` item (or a `patchesStrategicMerge` string) of a kustomization, or of a
    /// deployer that adds patches of its own (Argo CD `kustomize.patches`, Flux
    /// `spec.patches`); paths resolve against `dir`.
    pub(crate) fn read(
        file: FileId,
        item: NodeRef<'_>,
        kind: PatchKind,
        dir: &str,
        text: &str,
    ) -> Option<Patch> {
        let loc = loc_of(file, item);
        // `patchesStrategicMerge` items are a path or an inline document as a string.
        if let Some(written) = item.as_str() {
            let body = if written.contains('\n') || written.contains(':') {
                PatchBody::Inline(InlineText::read(file, item, text))
            } else {
                PatchBody::File(join(dir, written))
            };
            return Some(Patch {
                loc,
                kind,
                body,
                target: None,
                options: PatchOptions::default(),
            });
        }
        let body = if let Some(path) = item.get("path").and_then(|p| p.as_str()) {
            PatchBody::File(join(dir, path))
        } else {
            let patch = item.get("patch").filter(|p| p.as_str().is_some())?;
            PatchBody::Inline(InlineText::read(file, patch, text))
        };
        let target = item.get("target").filter(|t| t.is_mapping()).map(|t| {
            let field = |key: &str| t.get(key).and_then(|v| v.as_str()).map(str::to_string);
            Target {
                group: field("group"),
                version: field("version"),
                kind: field("kind"),
                name: field("name"),
                namespace: field("namespace"),
                label_selector: field("labelSelector"),
                annotation_selector: field("annotationSelector"),
            }
        });
        let option = |key: &str| {
            item.path(&["options", key])
                .and_then(|v| v.as_str())
                .is_some_and(|v| v == "true")
        };
        Some(Patch {
            loc,
            kind,
            body,
            target,
            options: PatchOptions {
                allow_name_change: option("allowNameChange"),
                allow_kind_change: option("allowKindChange"),
            },
        })
    }
}

impl InlineText {
    fn read(file: FileId, node: NodeRef<'_>, text: &str) -> InlineText {
        let value = node.as_str().unwrap_or_default().to_string();
        let span = node.span();
        let literal = node
            .scalar()
            .is_some_and(|s| s.style == crate::yaml::ScalarStyle::Literal);
        let line_starts = if literal {
            block_line_starts(text, span.start(), &value)
        } else {
            Vec::new()
        };
        InlineText {
            text: value,
            loc: loc_of(file, node),
            line_starts,
        }
    }
}

/// Where each line of a literal block scalar's content starts in the file. The scalar's span
/// starts at its first content character; every later line is indented as much.
fn block_line_starts(text: &str, content_start: usize, content: &str) -> Vec<u32> {
    let Some(before) = text.get(..content_start) else {
        return Vec::new();
    };
    let mut line_begin = before.rfind('\n').map_or(0, |i| i + 1);
    let indent = content_start - line_begin;
    let mut starts = vec![content_start as u32];
    for _ in 1..content.lines().count() {
        let Some(next) = text[line_begin..].find('\n') else {
            break;
        };
        line_begin += next + 1;
        let line_len = text[line_begin..]
            .find('\n')
            .unwrap_or(text.len() - line_begin);
        // A blank line inside the block may be shorter than the indentation.
        starts.push((line_begin + indent.min(line_len)) as u32);
    }
    starts
}

impl Generator {
    fn read(
        reader: &mut Reader<'_>,
        item: NodeRef<'_>,
        kind: GeneratorKind,
        dir: &str,
    ) -> Generator {
        let file = reader.file;
        let strings = |key: &str| -> Vec<NodeRef<'_>> {
            let node = item.get(key);
            match node {
                Some(n) if n.is_sequence() => n.items().filter(|i| i.as_str().is_some()).collect(),
                Some(n) if n.as_str().is_some() => vec![n],
                _ => Vec::new(),
            }
        };
        let literals = strings("literals")
            .into_iter()
            .filter_map(|node| {
                let text = node.as_str()?;
                let (key, value) = text.split_once('=')?;
                Some((
                    Spanned::new(key.to_string(), loc_of(file, node)),
                    LiteralValue(unquote(value).to_string()),
                ))
            })
            .collect();
        let paths = |nodes: Vec<NodeRef<'_>>| -> Vec<(Spanned<String>, Option<String>)> {
            nodes
                .into_iter()
                .filter_map(|node| {
                    let text = node.as_str()?;
                    let path = text.split_once('=').map_or(text, |(_, p)| p);
                    Some((
                        Spanned::new(text.to_string(), loc_of(file, node)),
                        join(dir, path),
                    ))
                })
                .collect()
        };
        let mut envs = paths(strings("envs"));
        envs.extend(paths(strings("env")));
        Generator {
            kind,
            loc: loc_of(file, item),
            name: reader.string(item.get("name"), "name"),
            namespace: reader.string(item.get("namespace"), "namespace"),
            behavior: item
                .get("behavior")
                .and_then(|b| b.as_str())
                .map(str::to_string),
            type_: item
                .get("type")
                .and_then(|t| t.as_str())
                .map(str::to_string),
            literals,
            files: paths(strings("files")),
            envs,
            options: GeneratorOptions::read(reader, item.get("options")),
        }
    }
}

/// kustomize strips one pair of matching quotes around a literal's value.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

impl GeneratorOptions {
    fn read(reader: &mut Reader<'_>, node: Option<NodeRef<'_>>) -> GeneratorOptions {
        let Some(node) = node.filter(|n| n.is_mapping()) else {
            return GeneratorOptions::default();
        };
        GeneratorOptions {
            labels: StringMap::read(reader, Some(node), "labels"),
            annotations: StringMap::read(reader, Some(node), "annotations"),
            disable_name_suffix_hash: node
                .get("disableNameSuffixHash")
                .and_then(|v| v.as_str())
                .map(|v| v == "true"),
        }
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
pub fn join(dir: &str, relative: &str) -> Option<String> {
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

    /// The field path, in its kustomization, of a node a kustomization writes (see
    /// [`Kustomization::field_at`]).
    pub fn field_at(&self, loc: Loc) -> Option<String> {
        self.kustomizations
            .iter()
            .filter(|k| k.file == loc.file)
            .find_map(|k| k.field_at(loc))
    }

    pub fn in_dir(&self, dir: &str) -> Option<&Kustomization> {
        self.by_dir.get(dir).map(|&i| &self.kustomizations[i])
    }

    /// Every file path a kustomization reaches, directly or through referenced folders, and
    /// whether it reaches it as a resource (applied) or only as an input.
    pub fn reach(&self, kustomization: usize) -> &HashMap<String, PathRole> {
        &self.reaches[kustomization]
    }

    /// The folders of the kustomizations a kustomization includes as resources or
    /// components, directly or not, itself first.
    pub fn reached_kustomizations(&self, start: usize) -> Vec<&str> {
        let mut visited = HashSet::default();
        let mut stack = vec![start];
        let mut dirs = Vec::new();
        while let Some(i) = stack.pop() {
            if !visited.insert(i) {
                continue;
            }
            let k = &self.kustomizations[i];
            dirs.push(k.dir.as_str());
            for path in k.paths.iter().filter(|p| p.role == PathRole::Resource) {
                if let Some(&sub) = path.resolved.as_deref().and_then(|r| self.by_dir.get(r)) {
                    stack.push(sub);
                }
            }
        }
        dirs
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
/// reaches as resources. Outer kustomizations apply last, as `kustomize build` does. The
/// objects of the files `applied` names are left alone: they are what this very graph made
/// of those files at a previous load (see [`crate::project::ProjectCache`]).
pub fn apply_kustomizations<'p>(
    graph: &KustomizeGraph,
    objects: &mut [Arc<Object>],
    path_of: impl Fn(FileId) -> &'p str,
    applied: impl Fn(FileId) -> bool,
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
        if !applied(run[0].file) {
            objects_by_path.insert(path_of(run[0].file), start..start + run.len());
        }
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
                // Copied on write: the loaded object stays as read, for the next load.
                let obj = Arc::make_mut(&mut objects[i]);
                if obj.written_meta.is_none()
                    && (!kustomization.common_annotations.is_empty()
                        || !kustomization.common_labels.is_empty())
                {
                    obj.written_meta = Some(Box::new(obj.meta.clone()));
                }
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
    fn commented_out_entries_are_paths_only() {
        let text = "resources:\n  - a.yaml\n  # - restore.yaml\n  #- ./db/\n  # - \"quoted.yaml\"\n  # the backup job, see README.md for details\n  # - name: value\n";
        let entries: Vec<&str> = super::commented_out_entries(text).collect();
        assert_eq!(entries, ["restore.yaml", "./db/", "quoted.yaml"]);
    }

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
