//! Stage 3: typed Kubernetes objects.
//!
//! Each YAML document that looks like a Kubernetes object becomes an [`Object`]: its identity
//! and metadata, and a typed view of the kinds pglint understands. Every value keeps the
//! location of its node. Secret values are never copied into the model; [`secret_spans`]
//! finds where they are, for reporters to mask.

pub mod apps;
mod cnpg;
mod gitops;
mod kustomize;
mod meta;
pub mod names;
pub(crate) mod read;
pub mod reflector;
pub mod replicator;
mod secrets;
mod sensitive;
pub mod suggest;
pub mod time;
mod waves;

pub use cnpg::{Bootstrap, Cluster, ClusterUser, Database, DatabaseRole, Role};
pub use gitops::{AppSetGenerator, AppSource, Application, ApplicationSet, FluxKustomization};
pub use kustomize::{
    Build, Entry, Generator, GeneratorKind, GeneratorOptions, InlineText, Ksops, Kustomization,
    KustomizeGraph, LabelSet, LiteralValue, Patch, PatchBody, PatchKind, PatchOptions, PathRef,
    PathRole, Target, apply_kustomizations, is_kustomization_file, join,
};
pub use meta::metadata_key;
pub use meta::{Annotation, Metadata, StringMap};
pub use names::NameKind;
pub use read::similar;
pub use read::{ShapeKind, ShapeProblem, closest};
pub use secrets::Scope;
pub use secrets::{
    DataEntry, ExternalSecret, SealedEntry, SealedSecret, SealedTemplate, SealedValue, Secret,
    is_go_base64, is_identity_key, is_rsa_size, key_list, seal_command,
};
pub(crate) use sensitive::is_secret_field;
pub use sensitive::{SecretSpans, secret_spans};
pub use suggest::Suggester;
pub use waves::WaveValue;

use crate::source::{FileId, Loc, Spanned};
use crate::yaml::{Document, NodeRef};
use read::Reader;

/// A source object: one Kubernetes object of the repository's files, as read (an index into
/// [`crate::project::Project::objects`]; resolve it with
/// [`crate::project::Project::object`]). Not an applied instance: those are numbered by
/// [`crate::index::InstanceId`], and the compiler keeps the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(u32);

impl SourceId {
    /// The id of the object at `index` in the project's object list.
    pub fn new(index: usize) -> SourceId {
        SourceId(u32::try_from(index).expect("fewer than 2^32 objects"))
    }

    /// The position of the object in the project's object list.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
pub const ARGOCD_HOOK: &str = "argocd.argoproj.io/hook";
/// Argo CD treats Helm's hook annotation as its own (`gitops-engine` `pkg/sync/hook/helm`).
pub const HELM_HOOK: &str = "helm.sh/hook";
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
pub const REFLECTOR_PREFIX: &str = "reflector.v1.k8s.emberstack.com/";

/// A Kubernetes object read from one YAML document.
#[derive(Debug, Clone)]
pub struct Object {
    pub file: FileId,
    /// 0-based index of the document in its file.
    pub document: usize,
    /// The whole document.
    pub loc: Loc,
    pub api_version: Option<Spanned<String>>,
    pub kind_name: Option<Spanned<String>>,
    pub meta: Metadata,
    pub spec: Spec,
    /// Set when a kustomization that applies this object overrides its namespace.
    pub namespace_override: Option<Spanned<String>>,
    /// The metadata as written, kept when kustomizations' common labels or annotations were
    /// merged into `meta` (the rendering in [`crate::deploy`] starts from it).
    pub written_meta: Option<Box<Metadata>>,
    /// Fields with a wrong type, unknown names or values outside an enum.
    pub shape_problems: Vec<ShapeProblem>,
    /// What the kind's embedded CRD schema refuses (see [`crate::schema`]); empty for a kind
    /// pglint embeds no schema for.
    pub schema: Vec<crate::schema::Violation>,
}

/// The typed part of the kinds pglint understands (boxed: most objects are `Other`, and a
/// repository holds tens of thousands of them).
#[derive(Debug, Clone)]
pub enum Spec {
    Secret(Box<Secret>),
    SealedSecret(Box<SealedSecret>),
    Cluster(Box<Cluster>),
    Database(Box<Database>),
    DatabaseRole(Box<DatabaseRole>),
    ExternalSecret(Box<ExternalSecret>),
    /// A CNPG `Pooler`, `Backup` or `ScheduledBackup`: what it needs is its Cluster.
    ClusterUser(Box<ClusterUser>),
    /// An Argo CD `Application`: what it deploys, from where, to which namespace.
    Application(Box<Application>),
    /// An Argo CD `ApplicationSet`.
    ApplicationSet(Box<ApplicationSet>),
    /// A Flux `Kustomization`.
    FluxKustomization(Box<FluxKustomization>),
    /// A KSOPS generator: the encrypted files it reads.
    Ksops(Box<Ksops>),
    Other,
}

impl Object {
    /// Reads a document; `None` when it is not a Kubernetes object (no `apiVersion`/`kind`).
    /// `text` is the file's text; `schemas` the CRDs it is validated against (the embedded ones
    /// while files load: the repository's own are known once every file is).
    pub fn from_document(
        file: FileId,
        document: usize,
        doc: &Document,
        text: &str,
        schemas: &crate::schema::Schemas,
    ) -> Option<Object> {
        let root = doc.root()?;
        if !root.is_mapping() || (root.get("apiVersion").is_none() && root.get("kind").is_none()) {
            return None;
        }
        let mut problems = Vec::new();
        let mut reader = Reader {
            file,
            text,
            problems: &mut problems,
        };
        let api_version = reader.string(root.get("apiVersion"), "apiVersion");
        let kind_name = reader.string(root.get("kind"), "kind");
        let meta_entry = root.get_entry("metadata");
        let meta_node = reader.mapping(meta_entry.map(|(_, value)| value), "metadata");
        let mut meta = Metadata::read(&mut reader, meta_node);
        if meta.loc.is_some() {
            meta.key_loc = meta_entry.map(|(key, _)| reader.loc(key));
        }
        let group = api_version
            .as_ref()
            .map(|v| v.value.split('/').next().unwrap_or(""));
        let spec = match (group, kind_name.as_ref().map(|k| k.as_str())) {
            (Some("v1") | None, Some("Secret")) => {
                Spec::Secret(Box::new(Secret::read(&mut reader, root)))
            }
            (Some("bitnami.com") | None, Some("SealedSecret")) => {
                Spec::SealedSecret(Box::new(SealedSecret::read(&mut reader, root)))
            }
            (Some("postgresql.cnpg.io") | None, Some("Cluster")) => {
                Spec::Cluster(Box::new(Cluster::read(&mut reader, root)))
            }
            (Some("postgresql.cnpg.io") | None, Some("Database")) => {
                Spec::Database(Box::new(Database::read(&mut reader, root)))
            }
            (Some("postgresql.cnpg.io"), Some("DatabaseRole")) => {
                Spec::DatabaseRole(Box::new(DatabaseRole::read(&mut reader, root)))
            }
            (Some("external-secrets.io"), Some("ExternalSecret")) => {
                Spec::ExternalSecret(Box::new(ExternalSecret::read(&mut reader, root)))
            }
            (Some("postgresql.cnpg.io"), Some("Pooler" | "Backup" | "ScheduledBackup")) => {
                Spec::ClusterUser(Box::new(ClusterUser::read(&reader, root)))
            }
            (Some("argoproj.io"), Some("Application")) => {
                Spec::Application(Box::new(Application::read(&reader, root)))
            }
            (Some("argoproj.io"), Some("ApplicationSet")) => {
                Spec::ApplicationSet(Box::new(ApplicationSet::read(&reader, root)))
            }
            (Some("kustomize.toolkit.fluxcd.io"), Some("Kustomization")) => {
                Spec::FluxKustomization(Box::new(FluxKustomization::read(&reader, root)))
            }
            (Some("viaduct.ai"), Some("ksops")) => Spec::Ksops(Box::new(Ksops::read(file, root))),
            _ => Spec::Other,
        };
        // A SOPS-encrypted document: its values are ciphertext (`ENC[…]`) until SOPS
        // decrypts it, and its `sops` key is removed then.
        let sops = root.get("sops").is_some();
        let mut schema = match (&api_version, &kind_name) {
            (Some(api_version), Some(kind)) => schemas
                .validate(api_version.as_str(), kind.as_str(), root, file, &|node| {
                    reader.is_templated(node)
                        || (sops && node.as_str().is_some_and(|t| t.starts_with("ENC[")))
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        if sops {
            schema.retain(|violation| violation.path != "sops");
        }
        Some(Object {
            file,
            document,
            loc: reader.loc(root),
            api_version,
            kind_name,
            meta,
            spec,
            namespace_override: None,
            written_meta: None,
            shape_problems: problems,
            schema,
        })
    }

    /// The field within `within` (a list item, say) that the API server drops because its
    /// name is unknown, and that the schema takes for a misspelling of `meant`: the cause of
    /// whatever `meant` would have given (`passwordSecrets` for `passwordSecret`).
    pub fn misspelt(&self, within: Loc, meant: &str) -> Option<&crate::schema::Violation> {
        self.schema.iter().find(|v| {
            v.kind == crate::schema::ViolationKind::UnknownField
                && v.suggestion.as_deref() == Some(meant)
                && v.loc.file == within.file
                && within.span.start() <= v.loc.span.start()
                && v.loc.span.end() <= within.span.end()
        })
    }

    /// The object as its file writes it, without what kustomizations merged into it.
    pub fn as_written(&self) -> Object {
        let mut object = self.clone();
        object.namespace_override = None;
        if let Some(meta) = object.written_meta.take() {
            object.meta = *meta;
        }
        object
    }

    pub fn name(&self) -> Option<&str> {
        self.meta.name.as_ref().map(|n| n.as_str())
    }

    /// The namespace the object lands in: a kustomization's override, else its own.
    pub fn namespace(&self) -> Option<&Spanned<String>> {
        self.namespace_override
            .as_ref()
            .or(self.meta.namespace.as_ref())
    }

    pub fn namespace_str(&self) -> Option<&str> {
        self.namespace().map(|n| n.as_str())
    }

    pub fn kind_str(&self) -> &str {
        self.kind_name.as_ref().map_or("", |k| k.as_str())
    }

    /// One of the four kinds the SOP is made of.
    pub fn is_sop_kind(&self) -> bool {
        matches!(
            self.spec,
            Spec::Secret(_) | Spec::SealedSecret(_) | Spec::Cluster(_) | Spec::Database(_)
        )
    }

    /// Where to point when a finding is about the object as a whole: its name, else its kind.
    pub fn anchor(&self) -> Loc {
        self.meta
            .name
            .as_ref()
            .map(|n| n.loc)
            .or(self.kind_name.as_ref().map(|k| k.loc))
            .unwrap_or(self.loc)
    }

    /// The field path of a shape problem of this object, a finding's subject: its field as
    /// read, a metadata entry under its `metadata` (`metadata.annotations.<key>`,
    /// `spec.template.metadata.labels.<key>`), a managed role's field under its entry
    /// (`spec.managed.roles[gitea_user].login`).
    pub fn problem_path(&self, problem: &ShapeProblem) -> String {
        let field = problem.field.as_str();
        let within = |outer: Option<Loc>| outer.is_some_and(|o| o.holds(problem.loc));
        if field.starts_with("annotations.") || field.starts_with("labels.") {
            if within(self.meta.loc) {
                return format!("metadata.{field}");
            }
            if let Spec::SealedSecret(sealed) = &self.spec
                && within(sealed.secret_meta().and_then(|m| m.loc))
            {
                return format!("spec.template.metadata.{field}");
            }
        }
        if let Some(rest) = field.strip_prefix("spec.managed.roles[]")
            && let Spec::Cluster(cluster) = &self.spec
            && let Some(role) = cluster.roles.iter().find(|r| within(Some(r.loc)))
        {
            return format!("{}{rest}", role.path());
        }
        field.to_string()
    }

    /// The field path of the annotation or label whose key or value holds `loc`, in the
    /// object's metadata or a SealedSecret's template (`metadata.annotations.<key>`,
    /// `spec.template.metadata.labels.<key>`).
    pub fn metadata_entry_path(&self, loc: Loc) -> Option<String> {
        let within = |outer: Loc| outer.holds(loc);
        let template = match &self.spec {
            Spec::SealedSecret(sealed) => sealed.secret_meta(),
            _ => None,
        };
        let metas = [
            ("metadata", Some(&self.meta)),
            ("spec.template.metadata", template),
        ];
        metas.into_iter().find_map(|(prefix, meta)| {
            let meta = meta?;
            [("annotations", &meta.annotations), ("labels", &meta.labels)]
                .into_iter()
                .find_map(|(field, map)| {
                    let entry = map
                        .entries
                        .iter()
                        .find(|e| within(e.key.loc) || within(e.value.loc))?;
                    Some(format!("{prefix}.{field}.{}", entry.key.value))
                })
        })
    }

    /// A field path as the API server prints it (`spec.managed.roles[3].login`, see
    /// [`crate::schema::Violation::path`]) as a finding's subject names it: a managed role by
    /// its `name` (`spec.managed.roles[gitea_user].login`).
    pub fn subject_path(&self, api_path: &str) -> String {
        const ROLES: &str = "spec.managed.roles[";
        if let Spec::Cluster(cluster) = &self.spec
            && let Some(rest) = api_path.strip_prefix(ROLES)
            && let Some((index, rest)) = rest.split_once(']')
            && let Some(role) = index
                .parse::<usize>()
                .ok()
                .and_then(|i| cluster.roles.get(i))
        {
            return format!("{}{rest}", role.path());
        }
        api_path.to_string()
    }

    /// The field path of the node at `loc` when the model reads it: the object's name or
    /// kind, a metadata entry, a Database's fields, a role's (of a Cluster or a
    /// DatabaseRole). What locates a finding built from the model alone (`pglint verify`).
    pub fn field_at(&self, loc: Loc) -> Option<String> {
        if self.anchor() == loc {
            return Some(self.anchor_path().to_string());
        }
        if let Some(path) = self.metadata_entry_path(loc) {
            return Some(path);
        }
        match &self.spec {
            Spec::Database(database) => [
                ("spec.name", &database.name),
                ("spec.owner", &database.owner),
                ("spec.cluster.name", &database.cluster),
                ("spec.ensure", &database.ensure),
                ("spec.databaseReclaimPolicy", &database.reclaim_policy),
            ]
            .into_iter()
            .find(|(_, v)| v.as_ref().is_some_and(|v| v.loc == loc))
            .map(|(path, _)| path.to_string()),
            Spec::Cluster(cluster) => cluster.roles.iter().find_map(|r| r.field_at(loc)),
            Spec::DatabaseRole(role) => role.role.field_at(loc),
            _ => None,
        }
    }

    /// The field path of [`Object::anchor`]: a finding about the whole object's subject.
    pub fn anchor_path(&self) -> &'static str {
        if self.meta.name.is_some() {
            "metadata.name"
        } else if self.kind_name.is_some() {
            "kind"
        } else {
            ""
        }
    }

    /// `Kind/namespace/name`: what identifies the object across revisions of the repository
    /// (a baseline entry, a change between a base and the working tree).
    pub fn identity(&self) -> String {
        format!(
            "{}/{}/{}",
            self.kind_str(),
            self.namespace_str().unwrap_or(""),
            self.name().unwrap_or("")
        )
    }

    /// `Kind/name` for messages.
    pub fn display_name(&self) -> String {
        format!(
            "{} `{}`",
            self.kind_str(),
            self.name().unwrap_or("<unnamed>")
        )
    }

    /// For a SealedSecret, the label its values are sealed and decrypted with, from its
    /// metadata as written (see [`SealedSecret::label`]).
    pub fn sealed_label(&self) -> Option<String> {
        let Spec::SealedSecret(sealed) = &self.spec else {
            return None;
        };
        sealed.label(self.written_meta.as_deref().unwrap_or(&self.meta))
    }

    /// The annotation that makes the object an Argo CD hook (`argocd.argoproj.io/hook`, or
    /// Helm's `helm.sh/hook`, which Argo CD maps to its own) rather than a resource of its
    /// application. `Skip` is no hook: it only keeps the object from being applied.
    pub fn argocd_hook(&self) -> Option<&Annotation> {
        [ARGOCD_HOOK, HELM_HOOK]
            .into_iter()
            .filter_map(|key| self.meta.annotations.get(key))
            .find(|a| !a.value.value.trim().is_empty() && a.value.value != "Skip")
    }

    /// The annotation and the wave Argo CD reads from the object's own metadata.
    pub fn wave(&self) -> Option<&Annotation> {
        self.meta.annotations.get(SYNC_WAVE)
    }

    /// Argo CD's effective wave: the annotation if it is an integer, else 0.
    pub fn effective_wave(&self) -> i64 {
        self.wave()
            .and_then(|a| parse_wave(&a.value.value))
            .unwrap_or(0)
    }
}

/// Argo CD reads a wave with Go's `strconv.Atoi`: optional sign, ASCII digits, nothing else.
pub fn parse_wave(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Values that only exist after substitution (Flux `${VAR}`, Helm `{{ }}`): never guessed at.
pub fn is_unknowable(text: &str) -> bool {
    // `${` or `{{`: one pass over the `{`s (every node's text comes through here).
    let bytes = text.as_bytes();
    text.match_indices('{')
        .any(|(at, _)| at > 0 && matches!(bytes[at - 1], b'$' | b'{'))
}

/// Builds a [`Reader`]-free location for a node; used by model builders. `file` is the
/// document's; a node assembled from another file (a kustomize patch) keeps its own.
pub(crate) fn loc_of(file: FileId, node: NodeRef<'_>) -> Loc {
    Loc {
        file: node.file().unwrap_or(file),
        span: node.span(),
    }
}

/// The metadata of a Secret whose annotations are `annotations` (keys after `prefix`, values
/// as written in YAML), for the annotation readers' tests.
#[cfg(test)]
pub fn annotated_secret_meta(prefix: &str, annotations: &[(&str, &str)]) -> Metadata {
    let mut text = String::from("apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n");
    if !annotations.is_empty() {
        text.push_str("  annotations:\n");
        for (key, value) in annotations {
            text.push_str(&format!("    {prefix}{key}: {value}\n"));
        }
    }
    let config = crate::config::Config::default();
    let project = crate::project::Project::from_texts(&[("s.yaml", &text)], &config);
    project.objects[0].meta.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse};

    pub(crate) fn object(text: &str) -> Object {
        let parsed = parse(text, &Limits::default());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        Object::from_document(
            FileId(0),
            0,
            &parsed.documents[0],
            text,
            &crate::schema::Schemas::EMBEDDED,
        )
        .expect("an object")
    }

    #[test]
    fn unknowable_means_a_dollar_or_double_brace() {
        let texts = [
            "",
            "{",
            "{{",
            "${",
            "$",
            "a{b",
            "${X}",
            "x {{ .Values }}",
            "{ {",
            "$ {",
            "{a{",
            "é{{",
            "é${",
            "{é",
            "}}{{",
            "$$",
            "{$",
            "ab${",
        ];
        for text in texts {
            let plain = text.contains("${") || text.contains("{{");
            assert_eq!(is_unknowable(text), plain, "{text:?}");
        }
    }

    #[test]
    fn waves_follow_atoi() {
        assert_eq!(parse_wave("2"), Some(2));
        assert_eq!(parse_wave("-5"), Some(-5));
        assert_eq!(parse_wave("+3"), Some(3));
        assert_eq!(parse_wave("007"), Some(7));
        assert_eq!(parse_wave(" 1"), None);
        assert_eq!(parse_wave("1.0"), None);
        assert_eq!(parse_wave(""), None);
    }

    #[test]
    fn non_kubernetes_yaml_is_not_an_object() {
        let text = "name: ci\non: [push]\n";
        let parsed = parse(text, &Limits::default());
        assert!(
            Object::from_document(
                FileId(0),
                0,
                &parsed.documents[0],
                text,
                &crate::schema::Schemas::EMBEDDED
            )
            .is_none()
        );
    }

    #[test]
    fn unknown_kinds_are_other() {
        let obj = object("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n");
        assert!(matches!(obj.spec, Spec::Other));
        assert_eq!(obj.name(), Some("web"));
        assert!(!obj.is_sop_kind());
    }
}
