//! `kustomize build`, as a pure function over the model: no file system access of its own,
//! every value of the result located at the node that produced it.
//!
//! What is modelled follows kustomize v5 (`api/internal/target/kusttarget.go`):
//! `accumulateTarget` gathers `resources` (a folder is built on its own, then appended), then
//! `components` (built onto the same resources), then runs the generators, then the
//! transformers in kustomize's builtin order (`kusttarget_configplugin.go`): strategic-merge
//! patches, `patches`, `namespace`, `namePrefix`, `nameSuffix`, labels, annotations, JSON 6902
//! patches. What is not modelled (Helm charts, remote bases, replacements, transformer plugins)
//! makes the result partly known; it never makes pglint guess.

use std::ops::Range;

use super::generate;
use super::patch::{ListKeys, ListReplaced, PatchError, json6902, strategic_merge};
use super::value::Value;
use crate::hash::HashMap;
use crate::model::{
    Annotation, Kustomization, Object, PatchBody, PatchKind, SourceId, StringMap, Target,
};
use crate::project::Project;
use crate::source::{Loc, Spanned};
use crate::yaml::yaml11::YamlType;
use crate::yaml::{Limits, parse};

/// One object of a build's output.
#[derive(Debug, Clone)]
pub struct Resource<'p> {
    /// The source object; `None` for a generated Secret or ConfigMap.
    pub source: Option<SourceId>,
    /// The object as rendered: each value's location is the node that set it. Borrowed from
    /// the project until a transformer changes it (most builds change nothing).
    pub object: RenderedObject<'p>,
    /// What the build did to it beyond the object, once it did anything: boxed, so that the
    /// resources a build leaves as written (most) take 32 bytes each.
    changes: Option<Box<Changes>>,
}

/// A [`Resource`]'s history in its build.
#[derive(Debug, Clone, Default)]
struct Changes {
    /// The object as a tree, once a patch needed one.
    tree: Option<Value>,
    /// Its names and namespaces before this build changed them: patches may select any.
    previous_names: Vec<String>,
    previous_namespaces: Vec<Option<String>>,
    /// kustomize's hash of a generated object, appended to its name at the end of the build.
    name_hash: Option<String>,
}

/// An object as rendered: borrowed from the project until a transformer changes it, then
/// boxed, so that a [`Resource`] stays small (most builds change nothing, and the large
/// kustomizations list thousands of resources).
#[derive(Debug, Clone)]
pub enum RenderedObject<'p> {
    Borrowed(&'p Object),
    Owned(Box<Object>),
}

impl RenderedObject<'_> {
    fn owned(object: Object) -> Self {
        RenderedObject::Owned(Box::new(object))
    }

    /// The object to change, copied from the project first if it was borrowed.
    pub fn to_mut(&mut self) -> &mut Object {
        if let RenderedObject::Borrowed(object) = *self {
            *self = RenderedObject::owned(object.clone());
        }
        match self {
            RenderedObject::Owned(object) => object,
            RenderedObject::Borrowed(_) => unreachable!("made owned just above"),
        }
    }
}

impl std::ops::Deref for RenderedObject<'_> {
    type Target = Object;

    fn deref(&self) -> &Object {
        match self {
            RenderedObject::Borrowed(object) => object,
            RenderedObject::Owned(object) => object,
        }
    }
}

/// Something a build could not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub loc: Loc,
    pub reason: String,
}

impl Unknown {
    /// A component outside the repository (or remote), named at `written`.
    pub fn component_outside(written: &Spanned<String>) -> Unknown {
        Unknown {
            loc: written.loc,
            reason: format!("component `{}` is outside the repository", written.value),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Rendered<'p> {
    pub resources: Vec<Resource<'p>>,
    /// Why the output is only partly known (a remote base, `helmCharts`, …); empty when it is
    /// complete.
    pub unknown: Vec<Unknown>,
    /// Lists of custom resources a strategic-merge patch replaced whole while an item asked
    /// for a `$patch` directive (kustomize builds them; the result is not what was meant).
    pub replaced_lists: Vec<ReplacedList>,
}

impl ReplacedList {
    /// The replacement as the cause of what the list then lacks (see
    /// [`crate::diagnostic::Finding::caused_by`]).
    pub fn cause(&self) -> (Loc, String) {
        (
            self.list.directive,
            format!(
                "this `$patch` on an item makes kustomize replace `{}` of {} whole: the list's other items are gone",
                self.list.field, self.object
            ),
        )
    }
}

/// A [`ListReplaced`] with the patch that made it and the object it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacedList {
    /// The patch's entry in its kustomization.
    pub patch: Loc,
    /// `Kind name` of the patched object.
    pub object: String,
    /// Its source object (`None` for an item of a list document).
    pub source: Option<SourceId>,
    pub list: ListReplaced,
}

/// Why kustomize itself would refuse to build: a refusal, at the node that causes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    pub loc: Option<Loc>,
    pub message: String,
    pub kind: Refusal,
    /// The source objects a [`Refusal::DuplicateId`] is about (the resource already there and
    /// the one added again); empty for other refusals.
    pub objects: Vec<SourceId>,
}

/// What kind of refusal: rules that own a cause (`kustomize-missing` owns a path that does
/// not exist) tell theirs apart by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A listed file or folder does not exist, or a folder holds no kustomization.
    Missing,
    /// A kustomization includes itself or a folder above it.
    Cycle,
    /// A file outside the kustomization's folder, under kustomize's default load restrictor.
    OutsideRoot,
    /// A `kind: Component` under `resources`, or a kustomization under `components`.
    ComponentKind,
    /// Two resources with the same id (kind, name, namespace), e.g. one file listed twice.
    DuplicateId,
    /// A patch kustomize cannot apply (a failing `test`, an unknown `$patch:` directive, a
    /// strategic-merge patch that matches no resource, …).
    Patch,
    /// A YAML document kustomize's reader refuses (an alias to another document's anchor).
    Yaml,
    /// A document that is no Kubernetes object (a Helm values file, a config file) in a file
    /// the build reads as resources.
    NotAnObject,
    /// A listed file that is not valid YAML (a syntax error, a duplicate key): `yaml-syntax`
    /// and `yaml-duplicate-key` report it.
    Unparsed,
    /// A kustomization or object kustomize cannot read (a label value that is not a string,
    /// an object without `metadata.name`): `annotation-not-string` and `manifest-invalid`
    /// report it.
    Invalid,
    /// Anything else kustomize or the deployer refuses.
    Other,
}

impl BuildError {
    fn at(loc: Loc, message: impl Into<String>) -> Self {
        BuildError {
            loc: Some(loc),
            message: message.into(),
            kind: Refusal::Other,
            objects: Vec::new(),
        }
    }

    fn about(mut self, objects: impl IntoIterator<Item = Option<SourceId>>) -> Self {
        self.objects.extend(objects.into_iter().flatten());
        self
    }

    fn kind(mut self, kind: Refusal) -> Self {
        self.kind = kind;
        self
    }
}

/// Kinds kustomize knows to be cluster-scoped: `namespace:` leaves them alone. kustomize asks
/// its built-in schema of Kubernetes 1.21 (`kyaml/openapi/openapi.go`,
/// `precomputedIsNamespaceScoped`): every kind it does not know, custom resources included,
/// gets the namespace, even a cluster-scoped one.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";

/// What kustomize does once, at the top of a build (`kusttarget.go`, `kustomizer.go`): name
/// hashes, dropping local-config objects, then its default ("legacy") order unless `fifo`.
pub fn finish(rendered: &mut Rendered<'_>, fifo: bool) {
    for resource in &mut rendered.resources {
        let hash = resource.changes.as_mut().and_then(|c| c.name_hash.take());
        if let (Some(hash), Some(name)) = (hash, &resource.object.meta.name) {
            let hashed = Spanned::new(format!("{}-{hash}", name.value), name.loc);
            resource.set_name(hashed);
        }
    }
    rendered.resources.retain(|r| {
        r.object
            .meta
            .annotations
            .get(LOCAL_CONFIG)
            .is_none_or(|a| a.value.value != "true")
    });
    if !fifo {
        rendered
            .resources
            .sort_by_cached_key(|r| legacy_order(&r.object));
    }
}

/// Kinds kustomize's legacy order puts first, then last (`SortOrderTransformer.go`).
const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// kustomize's legacy sort key: kind rank, then `group_version_kind`, then `namespace|name`
/// (no group sorts as `~G`, no namespace as `~X`). Computed once per object: comparing the
/// parts lazily costs more than building them.
fn legacy_order(object: &Object) -> (i64, String, String) {
    let kind = object.kind_str();
    let rank = match ORDER_FIRST.iter().position(|k| *k == kind) {
        Some(i) => i as i64 - ORDER_FIRST.len() as i64,
        None => ORDER_LAST
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| 1 + i as i64),
    };
    let api_version = object.api_version.as_ref().map_or("", |v| v.as_str());
    let (group, version) = api_version.split_once('/').unwrap_or(("~G", api_version));
    let namespace = object.namespace_str().unwrap_or("~X");
    (
        rank,
        format!("{group}_{version}_{kind}"),
        format!("{namespace}|{}", object.name().unwrap_or("")),
    )
}

/// Builds kustomizations of one project. Cheap to make; holds lookups built once.
pub struct Kustomize<'p> {
    project: &'p Project,
    /// Each manifest file's objects (a run of the project's object list).
    /// The source objects of each manifest file: a run of consecutive ids.
    objects_by_path: HashMap<&'p str, Range<usize>>,
    /// The `.yaml`/`.yml` files with a document that did not become an object (sorted): the
    /// only ones [`Kustomize::non_object`] may refuse.
    partly_objects: Vec<&'p str>,
    limits: Limits,
}

/// Which files a kustomization may read (`--load-restrictor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// kustomize's default, and Argo CD's unless `kustomize.buildOptions` says otherwise:
    /// files in or below the kustomization's folder only (`RestrictionRootOnly`,
    /// `api/internal/loader/loadrestrictions.go`).
    RootOnly,
    /// `LoadRestrictionsNone`: Flux's kustomize-controller, or Argo CD configured so.
    None,
}

/// The state of one build's walk over kustomizations.
struct Walk<'c> {
    /// The kustomization folders being built, outermost first.
    stack: Vec<String>,
    restrictor: LoadRestrictor,
    /// Components a deployer adds to the top kustomization (Flux `spec.components`, Argo CD
    /// `kustomize.components`): applied after its own, before its patches and transformers.
    root_components: &'c [DeployerComponent],
}

/// A component a deployer adds: as written, and resolved (`None`: outside the repository).
pub type DeployerComponent = (Spanned<String>, Option<String>);

impl<'c> Walk<'c> {
    fn new(restrictor: LoadRestrictor) -> Walk<'c> {
        Walk {
            stack: Vec::new(),
            restrictor,
            root_components: &[],
        }
    }

    /// A file the kustomization in `dir` reads: refused outside `dir` under the default
    /// load restrictor.
    fn check_file(
        &self,
        dir: &str,
        written: &Spanned<String>,
        path: &str,
    ) -> Result<(), BuildError> {
        if self.restrictor == LoadRestrictor::None
            || is_within(crate::source::parent_dir(path), dir)
        {
            return Ok(());
        }
        Err(BuildError::at(
            written.loc,
            format!(
                "`{}` is outside the kustomization's folder `{}`: kustomize's default load restrictor says \"security; file '{}' is not in or below '{}'\"",
                written.value,
                display(dir),
                path,
                display(dir)
            ),
        )
        .kind(Refusal::OutsideRoot))
    }
}

/// Is `path` the folder `dir` or inside it (`dir` "" is the repository's root)?
fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A repository-relative folder for messages: `.` for the root.
fn display(dir: &str) -> &str {
    if dir.is_empty() { "." } else { dir }
}

/// The ids of the resources one kustomization accumulated: kustomize refuses a second
/// resource with the same id (`api/resmap/reswrangler.go`, `Append`: "may not add resource
/// with an already registered id"). Hashes only; a collision is confirmed on the objects.
struct Ids {
    seen: crate::hash::HashMap<u64, Vec<usize>>,
    state: foldhash::fast::RandomState,
}

impl Ids {
    fn of(resources: &[Resource<'_>]) -> Ids {
        let mut ids = Ids {
            seen: crate::hash::HashMap::default(),
            state: foldhash::fast::RandomState::default(),
        };
        for (i, resource) in resources.iter().enumerate() {
            let hash = ids.hash(resource);
            ids.seen.entry(hash).or_default().push(i);
        }
        ids
    }

    fn hash(&self, resource: &Resource<'_>) -> u64 {
        use std::hash::BuildHasher;
        self.state.hash_one(resource_id(resource))
    }

    /// Records `resources[first..]`; a duplicate is refused at `at`.
    fn add(&mut self, resources: &[Resource<'_>], first: usize, at: Loc) -> Result<(), BuildError> {
        for (i, resource) in resources.iter().enumerate().skip(first) {
            if resource.object.name().is_none() {
                continue;
            }
            let hash = self.hash(resource);
            let same = self.seen.entry(hash).or_default();
            if let Some(&j) = same.iter().find(|&&j| same_id(resource, &resources[j])) {
                let object = &resources[j].object;
                return Err(BuildError::at(
                    at,
                    format!(
                        "{} is already among the resources: kustomize says \"may not add resource with an already registered id\"",
                        object.display_name()
                    ),
                )
                .kind(Refusal::DuplicateId)
                .about([resources[j].source, resource.source]));
            }
            same.push(i);
        }
        Ok(())
    }
}

/// `resource.go`: "missing metadata.name in object".
fn named(object: &Object) -> Result<(), BuildError> {
    if object.name().is_some() {
        return Ok(());
    }
    Err(BuildError::at(
        object.anchor(),
        format!(
            "{} has no `metadata.name`: kustomize refuses it",
            object.kind_str()
        ),
    )
    .kind(Refusal::Invalid))
}

/// kustomize's resource id: group, version, kind, name, namespace (none and `default` alike).
fn resource_id<'r>(resource: &'r Resource<'_>) -> (&'r str, &'r str, Option<&'r str>, &'r str) {
    let object = &resource.object;
    let namespace = object.namespace_str().unwrap_or("default");
    (
        object.api_version.as_ref().map_or("", |v| v.as_str()),
        object.kind_str(),
        object.name(),
        namespace,
    )
}

fn same_id(a: &Resource<'_>, b: &Resource<'_>) -> bool {
    resource_id(a) == resource_id(b)
}

/// How deep `resources` may nest before the build stops (kustomize has no limit; a cycle is
/// caught first, this bounds pathological chains).
const MAX_DEPTH: usize = 64;

/// What a document that is no Kubernetes object is, in messages.
const NEITHER_API_VERSION_NOR_KIND: &str = "a mapping with neither `apiVersion` nor `kind`";
const SEQUENCE: &str = "a top-level YAML sequence, not a mapping";
const SCALAR: &str = "a plain value, not a mapping";
const NO_KIND: &str = "a mapping without `kind`";

impl<'p> Kustomize<'p> {
    pub fn new(project: &'p Project) -> Self {
        let mut objects_by_path = HashMap::default();
        let mut start = 0;
        for run in project.objects.chunk_by(|a, b| a.file == b.file) {
            objects_by_path.insert(project.path(run[0].file), start..start + run.len());
            start += run.len();
        }
        let mut partly_objects: Vec<&str> = project
            .files
            .iter()
            .enumerate()
            .filter_map(|(i, info)| {
                let file = crate::source::FileId(i as u32);
                let path = project.path(file);
                let objects = objects_by_path.get(path).map_or(0, |r| r.len());
                (info.documents > objects
                    && info.problems.is_empty()
                    && !info.from_base
                    && !matches!(
                        path.rsplit('/').next(),
                        Some("kustomization.yaml" | "kustomization.yml")
                    )
                    && (path.ends_with(".yaml") || path.ends_with(".yml")))
                .then_some(path)
            })
            .collect();
        partly_objects.sort_unstable();
        Kustomize {
            project,
            objects_by_path,
            partly_objects,
            limits: Limits::default(),
        }
    }

    /// `kustomize build DIR` (kustomize's default load restrictor): the folder must hold a
    /// kustomization.
    pub fn build(&self, dir: &str) -> Result<Rendered<'p>, BuildError> {
        let mut rendered = self.accumulate_root(dir, LoadRestrictor::RootOnly, &[])?;
        let fifo = self.kustomization(dir).is_some_and(|k| k.build.fifo_order);
        finish(&mut rendered, fifo);
        Ok(rendered)
    }

    /// What the kustomization in `dir` accumulates, before [`finish`]: a deployer (Flux, Argo
    /// CD) adds its own transformations in between.
    pub fn accumulate_root(
        &self,
        dir: &str,
        restrictor: LoadRestrictor,
        components: &[DeployerComponent],
    ) -> Result<Rendered<'p>, BuildError> {
        let mut rendered = Rendered::default();
        let mut walk = Walk {
            root_components: components,
            ..Walk::new(restrictor)
        };
        self.accumulate(dir, None, &mut rendered, &mut walk)?;
        Ok(rendered)
    }

    /// Applies the component in `dir` (named at `at`) to what `out` holds.
    pub fn add_component(
        &self,
        dir: &str,
        at: Loc,
        restrictor: LoadRestrictor,
        out: &mut Rendered<'p>,
    ) -> Result<(), BuildError> {
        self.accumulate(dir, Some(at), out, &mut Walk::new(restrictor))
    }

    /// Adds what the kustomization in `dir` builds, as a `resources:` entry naming its folder
    /// (at `at`) would: Flux's generated kustomization lists a sub-folder holding one.
    pub fn add_resource_dir(
        &self,
        dir: &str,
        at: Loc,
        restrictor: LoadRestrictor,
        out: &mut Rendered<'p>,
    ) -> Result<(), BuildError> {
        let mut ids = Ids::of(&out.resources);
        let mut sub = Rendered::default();
        self.accumulate(dir, Some(at), &mut sub, &mut Walk::new(restrictor))?;
        let first = out.resources.len();
        out.resources.append(&mut sub.resources);
        out.unknown.append(&mut sub.unknown);
        out.replaced_lists.append(&mut sub.replaced_lists);
        ids.add(&out.resources, first, at)
    }

    /// Adds the objects of manifest files (a folder applied as plain manifests), as written;
    /// a list's items in its place (Argo CD `GenerateManifests` expands every object that
    /// `IsList`, with `EachListItem`).
    pub fn add_files<'a>(
        &self,
        paths: impl IntoIterator<Item = &'a str>,
        out: &mut Rendered<'p>,
    ) -> Result<(), BuildError> {
        for path in paths {
            for id in self
                .objects_by_path
                .get(path)
                .cloned()
                .into_iter()
                .flatten()
                .map(SourceId::new)
            {
                match self.list_items(id)? {
                    Some(items) => out.resources.extend(items),
                    None => out
                        .resources
                        .push(Resource::of(id, self.project.object(id))),
                }
            }
        }
        Ok(())
    }

    /// The items of a `kind: …List` document that has `items`, each an object of its own
    /// (nested lists expanded too); `None` for any other object. kustomize reads them so
    /// (`api/resource/factory.go`, `inlineAnyEmbeddedLists`): `items: null` is no object, an
    /// `items` that is not a list or an item that is not an object fails the build.
    fn list_items(&self, id: SourceId) -> Result<Option<Vec<Resource<'p>>>, BuildError> {
        let object = self.project.object(id);
        if !object.kind_str().ends_with("List") {
            return Ok(None);
        }
        let text = self.project.text(object.file).as_str();
        let parsed = parse(text, &self.limits);
        let Some(root) = parsed.documents.get(object.document).and_then(|d| d.root()) else {
            return Ok(None);
        };
        let tree = Value::from_node(root, object.file)
            .map_err(|_| BuildError::at(object.loc, "the list is too large to read"))?;
        if tree.get("items").is_none() {
            return Ok(None);
        }
        let mut resources = Vec::new();
        self.expand_list(object, tree, &mut resources)?;
        Ok(Some(resources))
    }

    fn expand_list(
        &self,
        list: &Object,
        mut tree: Value,
        out: &mut Vec<Resource<'p>>,
    ) -> Result<(), BuildError> {
        let kind = tree
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let items = match tree.remove("items") {
            None => {
                // Not a collection after all: the object itself.
                out.push(Resource::from_tree(tree, list.document, self)?);
                return Ok(());
            }
            Some(Value::Sequence { items, .. }) => items,
            Some(items) if items.is_null() => return Ok(()),
            Some(items) => {
                return Err(BuildError::at(
                    items.loc(),
                    format!("`items` of a {kind} is not a list: kustomize says \"expected array in {kind}/items\""),
                )
                .kind(Refusal::Invalid));
            }
        };
        for item in items {
            if !item.is_mapping() {
                return Err(BuildError::at(
                    item.loc(),
                    format!("an item of a {kind} is not an object: kustomize cannot read it"),
                )
                .kind(Refusal::Invalid));
            }
            let nested = item
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"));
            if nested {
                self.expand_list(list, item, out)?;
            } else {
                out.push(Resource::from_tree(item, list.document, self)?);
            }
        }
        Ok(())
    }

    /// The file a manifest path names, when it holds objects.
    pub fn file_of(&self, path: &str) -> Option<crate::source::FileId> {
        let range = self.objects_by_path.get(path)?;
        Some(self.project.object(SourceId::new(range.start)).file)
    }

    /// The manifest files the project read (those holding objects), for folder deployments.
    pub fn manifest_paths(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.objects_by_path.keys().copied()
    }

    /// The YAML files with a document that became no object (see [`Kustomize::new`]).
    pub fn partly_object_paths(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.partly_objects.iter().copied()
    }

    fn kustomization(&self, dir: &str) -> Option<&'p Kustomization> {
        self.project.kustomize.in_dir(dir)
    }

    /// `accumulateTarget`: adds what the kustomization in `dir` builds to `out`.
    fn accumulate(
        &self,
        dir: &str,
        named_at: Option<Loc>,
        out: &mut Rendered<'p>,
        walk: &mut Walk<'_>,
    ) -> Result<(), BuildError> {
        let Some(k) = self.kustomization(dir) else {
            let message = format!("`{}` holds no kustomization.yaml", display(dir));
            return Err(BuildError {
                loc: named_at,
                message,
                kind: Refusal::Missing,
                objects: Vec::new(),
            });
        };
        // kustomize's loader refuses a root that is a visited root or a folder above one
        // (`api/internal/loader/fileloader.go`, `errIfArgEqualOrHigher`).
        if let Some(visited) = walk.stack.iter().find(|d| is_within(d, dir)) {
            let message = if visited == dir {
                format!(
                    "`{}` includes itself (a cycle of kustomizations): kustomize says \"cycle detected: candidate root '{}' contains visited root '{}'\"",
                    display(dir),
                    display(dir),
                    display(visited)
                )
            } else {
                format!(
                    "`{}` is a folder above `{}`, which is being built (a cycle): kustomize says \"cycle detected: candidate root '{}' contains visited root '{}'\"",
                    display(dir),
                    display(visited),
                    display(dir),
                    display(visited)
                )
            };
            return Err(BuildError {
                loc: named_at,
                message,
                kind: Refusal::Cycle,
                objects: Vec::new(),
            });
        }
        if walk.stack.len() > MAX_DEPTH {
            return Err(BuildError {
                loc: named_at,
                message: format!(
                    "`{}` is nested more than {MAX_DEPTH} kustomizations deep; pglint does not build further",
                    display(dir)
                ),
                kind: Refusal::Other,
                objects: Vec::new(),
            });
        }
        // kustomize reads `commonLabels`/`commonAnnotations` as maps of strings
        // (`api/types/kustomization.go`): a YAML boolean or number fails to unmarshal.
        if let Some(entry) = k
            .common_labels
            .entries
            .iter()
            .chain(&k.common_annotations.entries)
            .find(|e| {
                matches!(
                    e.yaml_type,
                    YamlType::Bool | YamlType::Int | YamlType::Float
                )
            })
        {
            return Err(BuildError::at(
                entry.value.loc,
                format!(
                    "`{}` is a {}, not a string: kustomize cannot read the kustomization",
                    entry.key.value,
                    entry.yaml_type.describe()
                ),
            )
            .kind(Refusal::Invalid));
        }
        walk.stack.push(dir.to_string());
        let build = &k.build;
        for unknown in &build.unknown_fields {
            out.unknown.push(Unknown {
                loc: unknown.loc,
                reason: format!("`{}` is not modelled", unknown.value),
            });
        }
        let mut ids = Ids::of(&out.resources);
        for entry in &build.resources {
            if entry.remote {
                out.unknown.push(Unknown {
                    loc: entry.written.loc,
                    reason: format!("remote resource `{}`", entry.written.value),
                });
                continue;
            }
            let Some(path) = &entry.resolved else {
                // pglint may be checking a folder of a larger repository: not guessed at.
                out.unknown.push(Unknown {
                    loc: entry.written.loc,
                    reason: format!("`{}` leaves the repository", entry.written.value),
                });
                continue;
            };
            let first = out.resources.len();
            if let Some(sub_k) = self.kustomization(path) {
                if sub_k.build.is_component {
                    return Err(BuildError::at(
                        entry.written.loc,
                        format!(
                            "`{}` is a `kind: Component`, listed under `resources`: kustomize says \"expected kind != 'Component' for path '{}'\"",
                            entry.written.value,
                            display(path)
                        ),
                    )
                    .kind(Refusal::ComponentKind));
                }
                let mut sub = Rendered::default();
                self.accumulate(path, Some(entry.written.loc), &mut sub, walk)?;
                out.resources.append(&mut sub.resources);
                out.unknown.append(&mut sub.unknown);
                out.replaced_lists.append(&mut sub.replaced_lists);
            } else if let Some(range) = self.objects_by_path.get(path.as_str()) {
                walk.check_file(dir, &entry.written, path)?;
                let file = self.project.object(SourceId::new(range.start)).file;
                self.check_parsed(&entry.written, file)?;
                self.check_objects(&entry.written, file)?;
                if let Some(alias) = self.project.files[file.0 as usize]
                    .foreign_aliases()
                    .first()
                {
                    return Err(BuildError::at(
                        Loc {
                            file,
                            span: *alias,
                        },
                        format!(
                            "an alias to an anchor of another YAML document: kustomize reads `{}` one document at a time and says \"unknown anchor referenced\"",
                            entry.written.value
                        ),
                    )
                    .kind(Refusal::Yaml));
                }
                // A list's items come after the file's other objects.
                let mut items = Vec::new();
                for id in range.clone().map(SourceId::new) {
                    let object = self.project.object(id);
                    match self.list_items(id)? {
                        Some(list) => items.extend(list),
                        None => {
                            named(object)?;
                            out.resources.push(Resource::of(id, object));
                        }
                    }
                }
                for item in items {
                    named(&item.object)?;
                    out.resources.push(item);
                }
            } else if self.project.paths.contains(path.as_str()) {
                if !self.is_folder(path) {
                    walk.check_file(dir, &entry.written, path)?;
                    if let Some(file) = self.project.file_id(path) {
                        self.check_parsed(&entry.written, file)?;
                        self.check_objects(&entry.written, file)?;
                    }
                    // A manifest file with no object (empty, or all of it unparseable).
                    continue;
                }
                return Err(BuildError::at(
                    entry.written.loc,
                    format!("folder `{path}` holds no kustomization.yaml"),
                )
                .kind(Refusal::Missing));
            } else {
                return Err(BuildError::at(
                    entry.written.loc,
                    format!("`{}` does not exist", entry.written.value),
                )
                .kind(Refusal::Missing));
            }
            ids.add(&out.resources, first, entry.written.loc)?;
        }
        for generator in &build.generators {
            for (written, path) in generator.files.iter().chain(&generator.envs) {
                if let Some(path) = path {
                    walk.check_file(dir, written, path)?;
                }
            }
        }
        self.generate(k, out)?;
        // Its own components, then (at the top) those its deployer adds.
        let deployer = if walk.stack.len() == 1 {
            std::mem::take(&mut walk.root_components)
        } else {
            &[]
        };
        let own = build.components.iter().map(|entry| {
            let path = entry.resolved.as_deref().filter(|_| !entry.remote);
            (&entry.written, path)
        });
        let added = deployer
            .iter()
            .map(|(written, path)| (written, path.as_deref()));
        for (written, path) in own.chain(added) {
            let Some(path) = path else {
                out.unknown.push(Unknown::component_outside(written));
                continue;
            };
            if let Some(component) = self.kustomization(path)
                && !component.build.is_component
            {
                return Err(BuildError::at(
                    written.loc,
                    format!(
                        "`{}` is a `kind: Kustomization`, listed under `components`: kustomize says \"expected kind 'Component' for path '{}' but got 'Kustomization'\"",
                        written.value,
                        display(path)
                    ),
                )
                .kind(Refusal::ComponentKind));
            }
            self.accumulate(path, Some(written.loc), out, walk)?;
        }
        for patch in &build.patches {
            if let PatchBody::File(Some(path)) = &patch.body {
                let written = Spanned::new(path.clone(), patch.loc);
                walk.check_file(dir, &written, path)?;
            }
        }
        self.transform(k, out)?;
        walk.stack.pop();
        Ok(())
    }

    /// kustomize's YAML reader refuses a file with a syntax error or a duplicate key.
    fn check_parsed(
        &self,
        written: &Spanned<String>,
        file: crate::source::FileId,
    ) -> Result<(), BuildError> {
        let invalid = self.project.files[file.0 as usize]
            .problems
            .iter()
            .any(|p| {
                matches!(
                    p.kind,
                    crate::yaml::YamlProblemKind::Syntax { .. }
                        | crate::yaml::YamlProblemKind::DuplicateKey { .. }
                )
            });
        if invalid {
            return Err(BuildError::at(
                written.loc,
                format!("`{}` is not valid YAML", written.value),
            )
            .kind(Refusal::Unparsed));
        }
        Ok(())
    }

    /// A listed file holding a document kustomize reads as no object: refused.
    fn check_objects(
        &self,
        written: &Spanned<String>,
        file: crate::source::FileId,
    ) -> Result<(), BuildError> {
        match self.non_object(file) {
            Some((at, what)) => Err(BuildError::at(
                written.loc,
                format!(
                    "`{}` holds a document that is no Kubernetes object ({what}, line {}): kustomize says \"missing Resource metadata\"",
                    written.value,
                    self.project.text(file).line_col(at.span.start()).line
                ),
            )
            .kind(Refusal::NotAnObject)),
            None => Ok(()),
        }
    }

    /// Flux's generated kustomization (no kustomization at the deployment's root): every
    /// `.yaml`/`.yml` file it lists must hold Kubernetes objects. fluxcd/pkg
    /// `kustomize/kustomize_generator.go` `scanManifests` decodes each with kustomize's
    /// `SliceFromBytes` and fails the whole build on the first that does not decode.
    pub fn check_generated_inputs(
        &self,
        root: &str,
        lists: impl Fn(&str) -> bool,
    ) -> Result<(), BuildError> {
        for &path in self.partly_objects.iter().filter(|p| lists(p)) {
            let Some((at, what)) = self.project.file_id(path).and_then(|f| self.non_object(f))
            else {
                continue;
            };
            return Err(BuildError::at(
                at,
                format!(
                    "`{path}` is no Kubernetes object ({what}), and Flux's generated kustomization lists every `.yaml` file below `{}`: kustomize-controller says \"failed to decode Kubernetes YAML from {path}: missing Resource metadata\"",
                    display(root)
                ),
            )
            .kind(Refusal::NotAnObject));
        }
        Ok(())
    }

    /// The first document of `file` that kustomize's reader refuses as no Kubernetes object
    /// (`api/resource/factory.go` `SliceFromBytes` → `RNodesFromBytes` → `dropBadNodes` →
    /// kyaml `GetValidatedMetadata`): a mapping with neither `apiVersion` nor `kind`, a
    /// scalar that is not null, or a top-level sequence that is not empty ("missing Resource
    /// metadata", "missing kind in object"; kyaml's reader wraps no bare sequence for
    /// kustomize, and `IsNilOrEmpty` drops only `[]`; checked with `kubectl kustomize`
    /// v5.5.0: `- a`, `- {}` and a list of whole objects are all refused). An empty mapping
    /// or a null document is skipped.
    fn non_object(&self, file: crate::source::FileId) -> Option<(Loc, &'static str)> {
        self.first_unread(file, |root| {
            if root.is_mapping() {
                (!root.entries().is_empty()
                    && root.get("apiVersion").is_none()
                    && root.get("kind").is_none())
                .then_some(NEITHER_API_VERSION_NOR_KIND)
            } else if root.is_sequence() {
                root.items().next().is_some().then_some(SEQUENCE)
            } else {
                (!root.is_null()).then_some(SCALAR)
            }
        })
        .map(|(at, what, _)| (at, what))
    }

    /// The first document of `file` that `unread` describes (as what it is), and whether an
    /// object comes before it; `None` when every document became an object (nothing to read
    /// again).
    fn first_unread(
        &self,
        file: crate::source::FileId,
        unread: impl Fn(crate::yaml::NodeRef<'_>) -> Option<&'static str>,
    ) -> Option<(Loc, &'static str, bool)> {
        let info = &self.project.files[file.0 as usize];
        let objects = self
            .objects_by_path
            .get(self.project.path(file))
            .map_or(0, |r| r.len());
        if info.documents <= objects || !info.problems.is_empty() {
            return None;
        }
        let parsed = parse(self.project.text(file).as_str(), &self.limits);
        let mut objects_before = false;
        parsed.documents.iter().find_map(|doc| {
            let root = doc.root()?;
            if let Some(what) = unread(root) {
                let at = Loc {
                    file,
                    span: root.span(),
                };
                return Some((at, what, objects_before));
            }
            objects_before |= root.is_mapping() && !root.entries().is_empty();
            None
        })
    }

    /// The manifest files of an Argo CD folder deployment (no kustomization) that Argo CD
    /// reads, or its refusal. argo-cd `reposerver/repository/repository.go`
    /// `getObjsFromYAMLOrJSON` decodes each YAML document into an `unstructured.Unstructured`,
    /// which fails for a document that is not a mapping with a `kind` (a top-level sequence,
    /// even `[]`; a scalar; a Helm values file; `{}`). Then, if objects were read before that
    /// document, or the file holds `apiVersion:`, `kind:` and `metadata:` anywhere, the
    /// manifest generation fails ("Failed to unmarshal"); otherwise the file is taken for an
    /// unrelated YAML file and skipped whole (the decoder stops at the failure).
    pub fn argo_directory_files<'a>(
        &self,
        files: Vec<&'a str>,
    ) -> Result<Vec<&'a str>, BuildError> {
        let mut read = Vec::with_capacity(files.len());
        for path in files {
            let unread = self
                .partly_objects
                .binary_search(&path)
                .ok()
                .and_then(|_| self.project.file_id(path))
                .and_then(|file| {
                    self.first_unread(file, |root| {
                        if root.is_mapping() {
                            root.get("kind").is_none().then_some(NO_KIND)
                        } else if root.is_sequence() {
                            Some(SEQUENCE)
                        } else {
                            (!root.is_null()).then_some(SCALAR)
                        }
                    })
                    .map(|unread| (file, unread))
                });
            let Some((file, (at, what, objects_before))) = unread else {
                read.push(path);
                continue;
            };
            let text = self.project.text(file).as_str();
            let looks_like_manifest = ["apiVersion:", "kind:", "metadata:"]
                .iter()
                .all(|marker| text.contains(marker));
            if objects_before || looks_like_manifest {
                return Err(BuildError::at(
                    at,
                    format!(
                        "Argo CD cannot read this document of `{path}` ({what}) as a Kubernetes object, and {}: the repo server says \"Failed to unmarshal {path}\"",
                        if objects_before {
                            "objects come before it in the file"
                        } else {
                            "the file looks like a manifest (it holds `apiVersion:`, `kind:` and `metadata:`)"
                        }
                    ),
                )
                .kind(Refusal::NotAnObject));
            }
        }
        Ok(read)
    }

    fn is_folder(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.project.paths.iter().any(|p| p.starts_with(&prefix))
    }

    fn generate(&self, k: &Kustomization, out: &mut Rendered<'p>) -> Result<(), BuildError> {
        for generator in &k.build.generators {
            match generate::generate(self.project, k, generator) {
                Ok(Some(generate::Generated { object, name_hash })) => {
                    if let Some(existing) = out.resources.iter_mut().find(|r| {
                        r.object.kind_str() == object.kind_str() && r.object.name() == object.name()
                    }) {
                        match generator.behavior.as_deref() {
                            Some("replace") | Some("merge") => {
                                existing.object = RenderedObject::owned(object);
                                existing.set_name_hash(name_hash);
                                continue;
                            }
                            _ => {
                                return Err(BuildError::at(
                                    generator.loc,
                                    format!(
                                        "{} is generated twice (set `behavior: merge` or `replace`)",
                                        object.display_name()
                                    ),
                                ));
                            }
                        }
                    }
                    let mut resource = Resource::new(None, RenderedObject::owned(object));
                    resource.set_name_hash(name_hash);
                    out.resources.push(resource);
                }
                Ok(None) => {}
                Err(unknown) => out.unknown.push(unknown),
            }
        }
        Ok(())
    }

    /// kustomize's builtin transformers, in its order.
    fn transform(&self, k: &Kustomization, out: &mut Rendered<'p>) -> Result<(), BuildError> {
        let build = &k.build;
        let patch_loc = |kind: PatchKind| build.patches.iter().filter(move |p| p.kind == kind);
        for patch in patch_loc(PatchKind::StrategicMerge).chain(patch_loc(PatchKind::Detect)) {
            self.apply_patch(patch, out)?;
        }
        if let Some(namespace) = &k.namespace {
            for resource in &mut out.resources {
                resource.set_namespace(namespace);
            }
        }
        for (affix, is_prefix) in [(&build.name_prefix, true), (&build.name_suffix, false)] {
            let Some(affix) = affix else { continue };
            for resource in &mut out.resources {
                resource.add_affix(affix, is_prefix);
            }
        }
        for resource in &mut out.resources {
            for set in &build.labels {
                for entry in &set.pairs.entries {
                    resource.set_meta_entry("labels", entry);
                }
            }
            for entry in &k.common_labels.entries {
                resource.set_meta_entry("labels", entry);
            }
            for entry in &k.common_annotations.entries {
                resource.set_meta_entry("annotations", entry);
            }
        }
        for patch in patch_loc(PatchKind::Json6902) {
            self.apply_patch(patch, out)?;
        }
        Ok(())
    }

    /// Parses a patch's documents: from its file, or inline (positions mapped back into the
    /// kustomization).
    fn patch_documents(&self, patch: &crate::model::Patch) -> Result<Vec<Value>, BuildError> {
        let (text, file, inline) = match &patch.body {
            PatchBody::File(Some(path)) => {
                let Some(file) = self.project.file_id(path) else {
                    return Err(BuildError::at(
                        patch.loc,
                        format!("patch `{path}` does not exist"),
                    ));
                };
                (self.project.text(file).as_str(), file, None)
            }
            PatchBody::File(None) => {
                return Err(BuildError::at(patch.loc, "the patch leaves the repository"));
            }
            PatchBody::Inline(inline) => (inline.text.as_str(), inline.loc.file, Some(inline)),
        };
        let parsed = parse(text, &self.limits);
        if let Some(problem) = parsed.problems.first() {
            return Err(BuildError::at(
                patch.loc,
                format!("the patch is not valid YAML: {}", problem.kind.message()),
            ));
        }
        parsed
            .documents
            .iter()
            .filter_map(|doc| doc.root())
            .map(|root| {
                let mut value = Value::from_node(root, file)
                    .map_err(|_| BuildError::at(patch.loc, "the patch is too large"))?;
                if let Some(inline) = inline {
                    remap(&mut value, inline);
                }
                Ok(value)
            })
            .collect()
    }

    pub(super) fn apply_patch(
        &self,
        patch: &crate::model::Patch,
        out: &mut Rendered<'p>,
    ) -> Result<(), BuildError> {
        let documents = self.patch_documents(patch)?;
        for document in documents {
            let is_json = match patch.kind {
                PatchKind::Json6902 => true,
                PatchKind::StrategicMerge => false,
                PatchKind::Detect => matches!(document, Value::Sequence { .. }),
            };
            let selected: Vec<usize> = match &patch.target {
                Some(target) => (0..out.resources.len())
                    .filter(|&i| out.resources[i].matches(target))
                    .collect(),
                None if is_json => {
                    return Err(BuildError::at(
                        patch.loc,
                        "a JSON 6902 patch needs a `target`",
                    ));
                }
                None => {
                    let found: Vec<usize> = (0..out.resources.len())
                        .filter(|&i| out.resources[i].is_patched_by(&document))
                        .collect();
                    if found.is_empty() {
                        return Err(BuildError::at(
                            patch.loc,
                            format!(
                                "no resource matches strategic merge patch {} (it has no `target:`, so kind and name select): kustomize says \"failed to find unique target for patch\"",
                                describe(&document)
                            ),
                        )
                        .kind(Refusal::Patch));
                    }
                    found
                }
            };
            let mut deleted = Vec::new();
            for i in selected {
                let resource = &mut out.resources[i];
                let mut tree = match resource.take_tree() {
                    Some(tree) => tree,
                    None => self.tree_of(resource)?,
                };
                if is_json {
                    json6902(&mut tree, &document).map_err(|e| e.refusal(patch.loc))?;
                } else {
                    let mut document = document.clone();
                    // A patch's apiVersion, kind, name and namespace only select (by the
                    // resource's current or any earlier id); the resource keeps its own and
                    // those its prefix, suffix and namespace gave it, unless the patch's
                    // `options` allow a new name or kind (kustomize `resource.go`,
                    // `ApplySmPatch`; `resWrangler.ApplySmPatch` sets the patch's group and
                    // version to the resource's).
                    document.remove("apiVersion");
                    if !patch.options.allow_kind_change {
                        document.remove("kind");
                    }
                    if let Some(meta) = document.get_mut("metadata") {
                        if !patch.options.allow_name_change {
                            meta.remove("name");
                        }
                        meta.remove("namespace");
                    }
                    let object = &resource.object;
                    let keys = ListKeys::of(
                        object.api_version.as_ref().map_or("", |v| v.as_str()),
                        object.kind_str(),
                    );
                    let replaced = strategic_merge(&mut tree, &document, keys)
                        .map_err(|e| e.refusal(patch.loc))?;
                    out.replaced_lists
                        .extend(replaced.into_iter().map(|list| ReplacedList {
                            patch: patch.loc,
                            object: object.display_name(),
                            source: resource.source,
                            list,
                        }));
                    // `$patch: delete` on the whole object removes it from the build.
                    if matches!(&tree, Value::Mapping { entries, .. } if entries.is_empty()) {
                        deleted.push(i);
                        continue;
                    }
                }
                let resource = &mut out.resources[i];
                let before = resource.object.name().map(str::to_string);
                resource.retype(tree, self)?;
                if let Some(before) = before
                    && resource.object.name() != Some(before.as_str())
                {
                    resource.changes().previous_names.push(before);
                }
            }
            for i in deleted.into_iter().rev() {
                out.resources.remove(i);
            }
        }
        Ok(())
    }

    /// Flux's post-build substitution (`spec.postBuild.substitute`): `${VAR}` and
    /// `${VAR:=default}` in every string of the object. An unset variable without a default
    /// becomes empty, as Flux's non-strict envsubst does — unless `unset_unknown` (values
    /// from `substituteFrom`, which only the cluster knows), when it is left as written.
    pub fn substitute(
        &self,
        resource: &mut Resource<'p>,
        vars: &[(String, String)],
        unset_unknown: bool,
    ) -> Result<(), BuildError> {
        // Only objects whose text holds a variable are read again.
        let holds_variable = resource.source.is_some_and(|id| {
            let object = self.project.object(id);
            self.project
                .text(object.file)
                .as_str()
                .get(object.loc.span.range())
                .is_some_and(|text| text.contains("${"))
        });
        if !holds_variable {
            return Ok(());
        }
        let mut tree = match resource.take_tree() {
            Some(tree) => tree,
            None => self.tree_of(resource)?,
        };
        substitute_tree(&mut tree, vars, unset_unknown);
        resource.retype(tree, self)
    }

    /// The resource as a tree: its source document parsed again, then what this build
    /// already changed in its metadata.
    fn tree_of(&self, resource: &Resource<'_>) -> Result<Value, BuildError> {
        let object = &resource.object;
        let loc = object.loc;
        let Some(source) = resource.source.map(|id| self.project.object(id)) else {
            return Err(BuildError::at(
                loc,
                "a generated object cannot be patched here",
            ));
        };
        let text = self.project.text(source.file).as_str();
        let parsed = parse(text, &self.limits);
        let root = parsed
            .documents
            .get(source.document)
            .and_then(|d| d.root())
            .ok_or_else(|| BuildError::at(loc, "its document cannot be read"))?;
        let mut tree = Value::from_node(root, source.file)
            .map_err(|_| BuildError::at(loc, "the object is too large to patch"))?;
        let meta_loc = object.meta.loc.unwrap_or(loc);
        let meta = tree.mapping_at("metadata", meta_loc);
        if let Some(name) = &object.meta.name {
            meta.set("name", Value::string(&name.value, name.loc), name.loc);
        }
        if let Some(namespace) = &object.meta.namespace {
            meta.set(
                "namespace",
                Value::string(&namespace.value, namespace.loc),
                namespace.loc,
            );
        }
        for (field, map) in [
            ("labels", &object.meta.labels),
            ("annotations", &object.meta.annotations),
        ] {
            for entry in &map.entries {
                set_entry(&mut tree, field, entry);
            }
        }
        Ok(tree)
    }
}

fn substitute_tree(value: &mut Value, vars: &[(String, String)], unset_unknown: bool) {
    match value {
        Value::Scalar { scalar, .. } => {
            // The new text keeps the scalar's style: YAML types it as Flux's reader will.
            if scalar.text.contains("${") {
                scalar.text = envsubst(&scalar.text, vars, unset_unknown);
            }
        }
        Value::Sequence { items, .. } => {
            for item in items {
                substitute_tree(item, vars, unset_unknown);
            }
        }
        Value::Mapping { entries, .. } => {
            for (key, item) in entries {
                substitute_tree(key, vars, unset_unknown);
                substitute_tree(item, vars, unset_unknown);
            }
        }
    }
}

/// `${NAME}` and `${NAME:=default}` (also `:-`) in `text`, as envsubst replaces them.
fn envsubst(text: &str, vars: &[(String, String)], unset_unknown: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let expression = &after[..end];
        let (name, default) = match expression.split_once(":=").or(expression.split_once(":-")) {
            Some((name, default)) => (name, Some(default)),
            None => (expression, None),
        };
        match vars.iter().find(|(key, _)| key == name) {
            Some((_, value)) => out.push_str(value),
            None => match default {
                Some(default) => out.push_str(default),
                None if unset_unknown => out.push_str(&rest[start..start + 2 + end + 1]),
                None => {}
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Maps the positions of an inline patch, parsed on its own, back into the kustomization.
fn remap(value: &mut Value, inline: &crate::model::InlineText) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(inline.text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let map = |offset: usize| -> Option<usize> {
        let line = line_starts
            .partition_point(|&s| s <= offset)
            .checked_sub(1)?;
        let column = offset - line_starts[line];
        Some(*inline.line_starts.get(line)? as usize + column)
    };
    let fix = |loc: &mut Loc| {
        let (Some(start), Some(end)) = (map(loc.span.start()), map(loc.span.end())) else {
            *loc = inline.loc;
            return;
        };
        loc.span = crate::source::Span::new(start, end.max(start));
    };
    walk_locs(value, &fix);
}

fn walk_locs(value: &mut Value, fix: &impl Fn(&mut Loc)) {
    match value {
        Value::Scalar { loc, .. } => fix(loc),
        Value::Sequence { items, loc } => {
            fix(loc);
            items.iter_mut().for_each(|item| walk_locs(item, fix));
        }
        Value::Mapping { entries, loc } => {
            fix(loc);
            for (k, v) in entries {
                walk_locs(k, fix);
                walk_locs(v, fix);
            }
        }
    }
}

impl PatchError {
    /// The refusal of the build, at the patch (or, where known, the operation or directive).
    fn refusal(self, patch: Loc) -> BuildError {
        BuildError::at(self.loc.unwrap_or(patch), self.message).kind(Refusal::Patch)
    }
}

/// `Kind name` of a patch, for messages.
fn describe(document: &Value) -> String {
    format!(
        "{} `{}`",
        document.get("kind").and_then(Value::as_str).unwrap_or("?"),
        document
            .path(&["metadata", "name"])
            .and_then(Value::as_str)
            .unwrap_or("?")
    )
}

/// Sets `metadata.<field>.<key>` in a tree, as a transformer would: a string value.
fn set_entry(tree: &mut Value, field: &str, entry: &Annotation) {
    let meta_loc = tree.loc();
    let map = tree
        .mapping_at("metadata", meta_loc)
        .mapping_at(field, entry.key.loc);
    map.set(
        &entry.key.value,
        Value::string(&entry.value.value, entry.value.loc),
        entry.key.loc,
    );
}

impl<'p> Resource<'p> {
    fn new(source: Option<SourceId>, object: RenderedObject<'p>) -> Resource<'p> {
        Resource {
            source,
            object,
            changes: None,
        }
    }

    fn changes(&mut self) -> &mut Changes {
        self.changes.get_or_insert_default()
    }

    fn set_name_hash(&mut self, hash: Option<String>) {
        if hash.is_some() || self.changes.is_some() {
            self.changes().name_hash = hash;
        }
    }

    fn take_tree(&mut self) -> Option<Value> {
        self.changes.as_mut()?.tree.take()
    }

    fn tree_mut(&mut self) -> Option<&mut Value> {
        self.changes.as_mut()?.tree.as_mut()
    }

    fn previous_names(&self) -> &[String] {
        self.changes.as_ref().map_or(&[], |c| &c.previous_names)
    }

    fn previous_namespaces(&self) -> &[Option<String>] {
        self.changes
            .as_ref()
            .map_or(&[], |c| &c.previous_namespaces)
    }

    pub(super) fn of(id: SourceId, object: &'p Object) -> Resource<'p> {
        // Borrowed unless what project loading merged in (another kustomization's namespace or
        // common metadata) must be undone first.
        let merged_namespace = object.namespace_override.as_ref().is_some_and(|o| {
            object
                .meta
                .namespace
                .as_ref()
                .is_none_or(|n| n.value != o.value)
        });
        let written = if !merged_namespace && object.written_meta.is_none() {
            RenderedObject::Borrowed(object)
        } else {
            RenderedObject::owned(object.as_written())
        };
        Resource::new(Some(id), written)
    }

    /// An object that exists only as a tree (an item of a list document).
    fn from_tree(
        tree: Value,
        document: usize,
        kustomize: &Kustomize<'_>,
    ) -> Result<Resource<'p>, BuildError> {
        let loc = tree.loc();
        let text = kustomize.project.text(loc.file).as_str();
        let object = Object::from_document(
            loc.file,
            document,
            &tree.to_document(),
            text,
            &kustomize.project.schemas,
        )
        .ok_or_else(|| {
            BuildError::at(loc, "an item of the list has no apiVersion or kind")
                .kind(Refusal::Invalid)
        })?;
        let mut resource = Resource::new(None, RenderedObject::owned(Object { loc, ..object }));
        resource.changes().tree = Some(tree);
        Ok(resource)
    }

    /// The object's tree after a patch; the typed object is read from it again.
    fn retype(&mut self, tree: Value, kustomize: &Kustomize<'_>) -> Result<(), BuildError> {
        let loc = self.object.loc;
        let document = tree.to_document();
        let text = self
            .source
            .map(|id| kustomize.project.object(id).file)
            .map_or("", |file| kustomize.project.text(file).as_str());
        let object = Object::from_document(
            loc.file,
            self.object.document,
            &document,
            text,
            &kustomize.project.schemas,
        )
        .ok_or_else(|| {
            BuildError::at(loc, "the patch leaves no apiVersion or kind").kind(Refusal::Patch)
        })?;
        self.object = RenderedObject::owned(Object { loc, ..object });
        self.changes().tree = Some(tree);
        Ok(())
    }

    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.contains(&self.object.kind_str())
    }

    pub(super) fn set_namespace(&mut self, namespace: &Spanned<String>) {
        if self.object.kind_str() == "Namespace" {
            // kustomize renames Namespace objects (`builtinpluginconsts/namespace.go`).
            self.set_name(namespace.clone());
            return;
        }
        // Cluster-scoped, or already there: then the object's own line says so as well (and
        // nothing is copied).
        if self.is_cluster_scoped() || self.object.namespace_str() == Some(namespace.as_str()) {
            return;
        }
        let old = self
            .object
            .to_mut()
            .meta
            .namespace
            .replace(namespace.clone());
        self.changes()
            .previous_namespaces
            .push(old.map(|ns| ns.value));
        if let Some(tree) = self.tree_mut() {
            let meta_loc = tree.loc();
            tree.mapping_at("metadata", meta_loc).set(
                "namespace",
                Value::string(&namespace.value, namespace.loc),
                namespace.loc,
            );
        }
    }

    /// `namePrefix`/`nameSuffix`; kustomize leaves Namespaces, CRDs and APIServices alone
    /// (`PrefixTransformer.go`).
    pub(super) fn add_affix(&mut self, affix: &Spanned<String>, is_prefix: bool) {
        if matches!(
            self.object.kind_str(),
            "Namespace" | "CustomResourceDefinition" | "APIService"
        ) {
            return;
        }
        let Some(name) = &self.object.meta.name else {
            return;
        };
        let value = if is_prefix {
            format!("{}{}", affix.value, name.value)
        } else {
            format!("{}{}", name.value, affix.value)
        };
        // The name is now made by the kustomization line as much as by the object's.
        self.set_name(Spanned::new(value, affix.loc));
    }

    fn set_name(&mut self, name: Spanned<String>) {
        if let Some(old) = self.object.meta.name.as_ref().map(|n| n.value.clone()) {
            self.changes().previous_names.push(old);
        }
        if let Some(tree) = self.tree_mut() {
            let meta_loc = tree.loc();
            let value = Value::string(&name.value, name.loc);
            tree.mapping_at("metadata", meta_loc)
                .set("name", value, name.loc);
        }
        self.object.to_mut().meta.name = Some(name);
    }

    pub(super) fn set_meta_entry(&mut self, field: &str, entry: &Annotation) {
        let map = match field {
            "labels" => &mut self.object.to_mut().meta.labels,
            _ => &mut self.object.to_mut().meta.annotations,
        };
        set_string_entry(map, entry);
        if let Some(tree) = self.tree_mut() {
            set_entry(tree, field, entry);
        }
    }

    /// Does a target selector pick this resource?
    fn matches(&self, target: &Target) -> bool {
        let object = &self.object;
        let api_version = object.api_version.as_ref().map_or("", |v| v.as_str());
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        let names = || {
            object
                .name()
                .into_iter()
                .chain(self.previous_names().iter().map(String::as_str))
        };
        let namespaces = || {
            std::iter::once(object.namespace_str())
                .chain(self.previous_namespaces().iter().map(Option::as_deref))
                .map(|ns| ns.unwrap_or("default"))
        };
        target
            .group
            .as_deref()
            .is_none_or(|g| regex_matches(g, group))
            && target
                .version
                .as_deref()
                .is_none_or(|v| regex_matches(v, version))
            && target
                .kind
                .as_deref()
                .is_none_or(|k| regex_matches(k, object.kind_str()))
            && target
                .name
                .as_deref()
                .is_none_or(|p| names().any(|n| regex_matches(p, n)))
            && target
                .namespace
                .as_deref()
                .is_none_or(|p| namespaces().any(|ns| regex_matches(p, ns)))
            && target
                .label_selector
                .as_deref()
                .is_none_or(|s| selects(s, &object.meta.labels))
            && target
                .annotation_selector
                .as_deref()
                .is_none_or(|s| selects(s, &object.meta.annotations))
    }

    /// Is this the object a strategic-merge patch without target names (same kind and name;
    /// same namespace when the patch sets one)?
    fn is_patched_by(&self, patch: &Value) -> bool {
        let object = &self.object;
        let kind = patch.get("kind").and_then(Value::as_str);
        let name = patch.path(&["metadata", "name"]).and_then(Value::as_str);
        let namespace = patch
            .path(&["metadata", "namespace"])
            .and_then(Value::as_str);
        kind == Some(object.kind_str())
            && name.is_some_and(|n| {
                object.name() == Some(n) || self.previous_names().iter().any(|p| p == n)
            })
            && {
                let wanted = namespace.unwrap_or("default");
                std::iter::once(object.namespace_str())
                    .chain(self.previous_namespaces().iter().map(Option::as_deref))
                    .any(|ns| ns.unwrap_or("default") == wanted)
            }
    }
}

/// A target field: a Go regular expression anchored at both ends; an invalid one matches
/// itself literally.
fn regex_matches(pattern: &str, text: &str) -> bool {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_or(pattern == text, |re| re.is_match(text))
}

/// A label selector of equality terms (`a=b,c!=d,e`), as kustomize's targets use.
fn selects(selector: &str, labels: &StringMap) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((key, value)) = term.split_once("!=") {
                labels
                    .get(key.trim())
                    .is_none_or(|a| a.value.value != value.trim())
            } else if let Some((key, value)) = term.split_once('=') {
                let value = value.trim_start_matches('=').trim();
                labels
                    .get(key.trim())
                    .is_some_and(|a| a.value.value == value)
            } else if let Some(key) = term.strip_prefix('!') {
                !labels.contains(key.trim())
            } else {
                labels.contains(term)
            }
        })
}

/// Sets a label or annotation as kustomize does: the value becomes a string, located at the
/// kustomization line that set it.
fn set_string_entry(map: &mut StringMap, entry: &Annotation) {
    let value = Annotation {
        yaml_type: YamlType::String,
        ..entry.clone()
    };
    match map
        .entries
        .iter_mut()
        .find(|a| a.key.value == entry.key.value)
    {
        Some(existing) => *existing = value,
        None => map.entries.push(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Spec;

    fn project(files: &[(&str, &str)]) -> Project {
        Project::from_texts(files, &Config::default())
    }

    /// The text a location points at.
    fn text_at(project: &Project, loc: Loc) -> (String, String) {
        let text = project.text(loc.file).as_str();
        (
            project.path(loc.file).to_string(),
            text[loc.span.range()].to_string(),
        )
    }

    const DATABASE: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  name: app\n  owner: app_user\n  cluster:\n    name: pg\n";

    #[test]
    fn values_are_located_where_they_were_set() {
        let overlay = "namespace: staging\nnamePrefix: s-\nresources: [../base]\npatches:\n  - path: owner.yaml\n  - target: {kind: Database}\n    patch: |-\n      - op: add\n        path: /metadata/annotations\n        value: {wave: \"5\"}\n";
        let project = project(&[
            ("base/kustomization.yaml", "resources: [db.yaml]\n"),
            ("base/db.yaml", DATABASE),
            ("staging/kustomization.yaml", overlay),
            (
                "staging/owner.yaml",
                "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  owner: other_user\n",
            ),
        ]);
        let rendered = Kustomize::new(&project).build("staging").expect("builds");
        assert!(rendered.unknown.is_empty());
        let [resource] = rendered.resources.as_slice() else {
            panic!("one object: {:?}", rendered.resources.len())
        };
        let object = &resource.object;
        assert_eq!(object.name(), Some("s-app-db"));
        let namespace = object.meta.namespace.as_ref().expect("namespace");
        assert_eq!(
            text_at(&project, namespace.loc),
            ("staging/kustomization.yaml".into(), "staging".into())
        );
        let Spec::Database(database) = &object.spec else {
            panic!("a Database")
        };
        let owner = database.owner.as_ref().expect("owner");
        assert_eq!(owner.value, "other_user");
        assert_eq!(
            text_at(&project, owner.loc),
            ("staging/owner.yaml".into(), "other_user".into())
        );
        // Untouched values stay at the object's own line.
        let cluster = database.cluster.as_ref().expect("cluster");
        assert_eq!(text_at(&project, cluster.loc).0, "base/db.yaml");
        // An inline patch's value points into the kustomization, at the value itself.
        let wave = object.meta.annotations.get("wave").expect("wave");
        assert_eq!(
            text_at(&project, wave.value.loc),
            ("staging/kustomization.yaml".into(), "\"5\"".into())
        );
    }

    #[test]
    fn documents_that_are_no_objects_are_refused_as_kustomize_refuses_them() {
        const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";
        // As `kubectl kustomize` v5.5.0 decides: refused, or built.
        for (text, refused) in [
            ("replicaCount: 1\n", true),
            ("metadata:\n  name: x\n", true),
            ("hello\n", true),
            ("\"\"\n", true),
            ("{}\n", false),
            ("~\n", false),
            ("# only a comment\n", false),
            // A top-level sequence: only an empty one is dropped.
            ("- a\n", true),
            ("- {}\n", true),
            (
                "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n",
                true,
            ),
            ("[]\n", false),
        ] {
            let with_object = format!("{CM}---\n{text}");
            for listed in [text, with_object.as_str()] {
                let project = project(&[
                    ("k/kustomization.yaml", "resources: [values.yaml]\n"),
                    ("k/values.yaml", listed),
                ]);
                let built = Kustomize::new(&project).build("k");
                match built {
                    Err(error) => {
                        assert!(refused, "{listed:?}: {}", error.message);
                        assert_eq!(error.kind, Refusal::NotAnObject);
                        assert!(error.message.contains("missing Resource metadata"));
                    }
                    Ok(_) => assert!(!refused, "{listed:?} built"),
                }
            }
        }
    }

    #[test]
    fn kustomize_failures_are_errors_and_unknowns_are_reported() {
        let project = project(&[
            (
                "k/kustomization.yaml",
                "resources: [missing.yaml, https://github.com/x/y//base]\n",
            ),
            (
                "h/kustomization.yaml",
                "helmCharts: [{name: x}]\nresources: [https://github.com/x/y//base]\n",
            ),
            ("loop/kustomization.yaml", "resources: [../loop2]\n"),
            ("loop2/kustomization.yaml", "resources: [../loop]\n"),
        ]);
        let kustomize = Kustomize::new(&project);
        let error = kustomize.build("k").expect_err("a missing file");
        assert!(
            error.message.contains("does not exist"),
            "{}",
            error.message
        );
        let partial = kustomize.build("h").expect("builds");
        assert_eq!(partial.unknown.len(), 2);
        assert!(
            kustomize
                .build("loop")
                .expect_err("a cycle")
                .message
                .contains("cycle")
        );
    }

    fn ids(rendered: &Rendered<'_>) -> Vec<String> {
        rendered
            .resources
            .iter()
            .map(|r| r.object.display_name())
            .collect()
    }

    #[test]
    fn list_documents_stand_for_their_items() {
        let project = project(&[
            (
                "k/kustomization.yaml",
                "sortOptions: {order: fifo}\nresources: [list.yaml]\n",
            ),
            (
                "k/list.yaml",
                "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n  - apiVersion: v1\n    kind: ConfigMapList\n    items:\n      - {apiVersion: v1, kind: ConfigMap, metadata: {name: nested}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n---\napiVersion: v1\nkind: List\nitems: null\n",
            ),
            ("bad/kustomization.yaml", "resources: [list.yaml]\n"),
            (
                "bad/list.yaml",
                "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
            ),
        ]);
        let kustomize = Kustomize::new(&project);
        let rendered = kustomize.build("k").expect("builds");
        assert!(rendered.unknown.is_empty(), "{:?}", rendered.unknown);
        // The items come after the file's other objects, as kustomize appends them.
        assert_eq!(
            ids(&rendered),
            ["ConfigMap `plain`", "ConfigMap `a`", "ConfigMap `nested`"]
        );
        let item = &rendered.resources[1];
        assert!(item.source.is_none());
        assert_eq!(
            item.object.loc.file,
            project.file_id("k/list.yaml").unwrap()
        );
        let refused = kustomize.build("bad").expect_err("items is not a list");
        assert!(
            refused.message.contains("expected array in List/items"),
            "{refused:?}"
        );
    }

    #[test]
    fn patch_directives_on_list_items_and_options() {
        let project = project(&[
            (
                "k/kustomization.yaml",
                "resources: [db.yaml, cm.yaml, gone.yaml]\npatches:\n  - target: {kind: Database}\n    patch: |\n      apiVersion: postgresql.cnpg.io/v1\n      kind: Database\n      metadata: {name: x}\n      spec:\n        extensions:\n          - name: vector\n            $patch: delete\n  - target: {kind: ConfigMap, name: cm}\n    options: {allowNameChange: true}\n    patch: |\n      apiVersion: v1\n      kind: Secret\n      metadata: {name: renamed, namespace: elsewhere}\n  - path: gone-patch.yaml\n",
            ),
            (
                "k/db.yaml",
                "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata: {name: app-db}\nspec:\n  name: app\n  owner: app\n  cluster: {name: pg}\n  extensions: [{name: vector}, {name: postgis}]\n",
            ),
            (
                "k/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
            ),
            (
                "k/gone.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\n",
            ),
            (
                "k/gone-patch.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\n$patch: delete\n",
            ),
        ]);
        let rendered = Kustomize::new(&project).build("k").expect("builds");
        // The whole-object delete removed `gone`; the rename kept the kind and namespace.
        assert_eq!(ids(&rendered), ["ConfigMap `renamed`", "Database `app-db`"]);
        assert!(rendered.resources[0].object.namespace_str().is_none());
        assert_eq!(rendered.replaced_lists.len(), 1);
        let replaced = &rendered.replaced_lists[0];
        assert_eq!(replaced.object, "Database `app-db`");
        assert_eq!(replaced.list.field, "spec.extensions");
        assert_eq!(replaced.list.lost, 2);
    }

    #[test]
    fn envsubst_like_flux() {
        let vars = [("APP".to_string(), "wiki".to_string())];
        assert_eq!(envsubst("${APP}-db", &vars, false), "wiki-db");
        assert_eq!(
            envsubst("${NS:=postgres}/${APP}", &vars, false),
            "postgres/wiki"
        );
        assert_eq!(envsubst("x${UNSET}y", &vars, false), "xy");
        assert_eq!(envsubst("x${UNSET}y", &vars, true), "x${UNSET}y");
        assert_eq!(envsubst("$APP ${open", &vars, false), "$APP ${open");
    }

    #[test]
    fn strategic_merge_patch_without_a_match_fails_like_kustomize() {
        let project = project(&[
            (
                "k/kustomization.yaml",
                "resources: [db.yaml]\npatches:\n  - patch: |\n      apiVersion: postgresql.cnpg.io/v1\n      kind: Database\n      metadata: {name: nope}\n",
            ),
            ("k/db.yaml", DATABASE),
        ]);
        let error = Kustomize::new(&project).build("k").expect_err("no match");
        assert!(
            error.message.contains("no resource matches"),
            "{}",
            error.message
        );
    }
}
