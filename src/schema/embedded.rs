//! The schemas compiled into the binary, verbatim: the CustomResourceDefinitions of the custom
//! kinds (`schemas/crds/`) and the per-kind schemas of the built-in kinds pglint reads
//! (`schemas/kubernetes/`). Each directory's `PROVENANCE` gives every file's origin and sha256;
//! `tests/schemas.rs` checks them.

use serde_json::value::RawValue;

use crate::hash::HashMap;

/// What an embedded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artefact {
    /// A CustomResourceDefinition: its served versions, each with an `openAPIV3Schema`.
    Crd,
    /// The JSON schema of one version of a built-in kind (the core group), as derived from the
    /// Kubernetes OpenAPI (see `schemas/kubernetes/PROVENANCE`).
    KindSchema { version: &'static str },
}

/// One embedded schema file: the kind it defines, and its bytes as upstream publishes them.
#[derive(Debug)]
pub struct EmbeddedCrd {
    /// The file's path below `schemas/`.
    pub file: &'static str,
    /// The API group; empty for the core group (`apiVersion: v1`).
    pub group: &'static str,
    pub kind: &'static str,
    /// Where it comes from, for `pglint rules` and the JSON summary.
    pub release: &'static str,
    pub artefact: Artefact,
    pub bytes: &'static [u8],
}

macro_rules! schemas {
    ($($file:literal => $group:literal, $kind:literal, $release:literal, $artefact:expr;)*) => {
        pub const EMBEDDED: &[EmbeddedCrd] = &[$(EmbeddedCrd {
            file: $file,
            group: $group,
            kind: $kind,
            release: $release,
            artefact: $artefact,
            bytes: include_bytes!(concat!("../../schemas/", $file)),
        }),*];
    };
}

const CRD: Artefact = Artefact::Crd;
const CORE_V1: Artefact = Artefact::KindSchema { version: "v1" };

schemas! {
    "crds/postgresql.cnpg.io_clusters.yaml" => "postgresql.cnpg.io", "Cluster", "CloudNativePG v1.30.0", CRD;
    "crds/postgresql.cnpg.io_databases.yaml" => "postgresql.cnpg.io", "Database", "CloudNativePG v1.30.0", CRD;
    "crds/postgresql.cnpg.io_databaseroles.yaml" => "postgresql.cnpg.io", "DatabaseRole", "CloudNativePG v1.30.0", CRD;
    "crds/postgresql.cnpg.io_poolers.yaml" => "postgresql.cnpg.io", "Pooler", "CloudNativePG v1.30.0", CRD;
    "crds/postgresql.cnpg.io_backups.yaml" => "postgresql.cnpg.io", "Backup", "CloudNativePG v1.30.0", CRD;
    "crds/postgresql.cnpg.io_scheduledbackups.yaml" => "postgresql.cnpg.io", "ScheduledBackup", "CloudNativePG v1.30.0", CRD;
    "crds/bitnami.com_sealedsecrets.yaml" => "bitnami.com", "SealedSecret", "sealed-secrets 86671a8", CRD;
    "crds/argoproj.io_application-crd.yaml" => "argoproj.io", "Application", "Argo CD v3.5.1", CRD;
    "crds/argoproj.io_applicationset-crd.yaml" => "argoproj.io", "ApplicationSet", "Argo CD v3.5.1", CRD;
    "crds/argoproj.io_appproject-crd.yaml" => "argoproj.io", "AppProject", "Argo CD v3.5.1", CRD;
    "crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml" => "kustomize.toolkit.fluxcd.io", "Kustomization", "Flux kustomize-controller v1.9.4", CRD;
    "crds/source.toolkit.fluxcd.io_gitrepositories.yaml" => "source.toolkit.fluxcd.io", "GitRepository", "Flux source-controller v1.9.1", CRD;
    "kubernetes/secret-v1.json" => "", "Secret", "Kubernetes v1.37.0 (kubernetes-validate 1.37.0)", CORE_V1;
    "kubernetes/configmap-v1.json" => "", "ConfigMap", "Kubernetes v1.37.0 (kubernetes-validate 1.37.0)", CORE_V1;
    "kubernetes/namespace-v1.json" => "", "Namespace", "Kubernetes v1.37.0 (kubernetes-validate 1.37.0)", CORE_V1;
}

/// What `pglint rules` and `pglint explain` say about the schemas the schema rules validate
/// against: the embedded ones, one line each with the API versions they serve, and that a
/// repository's own CRD of a kind wins.
pub fn listing() -> String {
    let mut out = String::from(
        "Schemas the schema rules validate against (embedded; a CustomResourceDefinition the repository holds for a kind replaces its one: `check` names it in a notice and in the JSON summary's `schemas`):\n",
    );
    for crd in EMBEDDED {
        let versions = crd
            .served_versions()
            .iter()
            .map(|version| match crd.group {
                "" => version.clone(),
                group => format!("{group}/{version}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!("  {versions} {}: {}\n", crd.kind, crd.release));
    }
    out
}

impl EmbeddedCrd {
    /// The versions it serves (a CRD's `spec.versions` not `served: false`), read without
    /// compiling the schemas.
    pub fn served_versions(&self) -> Vec<String> {
        match self.artefact {
            Artefact::KindSchema { version } => vec![version.to_string()],
            Artefact::Crd => {
                let text = std::str::from_utf8(self.bytes).unwrap_or_default();
                let limits = crate::yaml::Limits {
                    max_nodes: usize::MAX,
                    ..crate::yaml::Limits::default()
                };
                let parsed = crate::yaml::parse(text, &limits);
                let Some(root) = parsed.documents.iter().find_map(|doc| doc.root()) else {
                    return Vec::new();
                };
                root.path(&["spec", "versions"])
                    .into_iter()
                    .flat_map(|versions| versions.items())
                    .filter(|v| v.get("served").and_then(|s| s.as_str()) != Some("false"))
                    .filter_map(|v| Some(v.get("name")?.as_str()?.to_string()))
                    .collect()
            }
        }
    }
}

/// The definitions the built-in kinds' schemas `$ref` (`/api/_definitions.json#/$defs/<name>`),
/// the same wheel's `_definitions.json`, byte-identical (see `schemas/kubernetes/PROVENANCE`).
pub const DEFINITIONS_FILE: &str = "kubernetes/_definitions.json";
pub const DEFINITIONS: &[u8] = include_bytes!("../../schemas/kubernetes/_definitions.json");

/// A built-in kind's schema with every `$ref` replaced by the definition it names (recursively),
/// as JSON text. A `$ref` that names no definition, or one already being inlined (a cycle), is
/// left as it is: `Schema::compile` then allows anything there, and `unresolved_refs` lists
/// such places (a unit test keeps it empty for the embedded kinds).
pub fn inline_refs(kind_schema: &[u8]) -> String {
    let (value, _) = inline_with_report(kind_schema);
    value.to_string()
}

/// The `$ref`s of a built-in kind's schema that `inline_refs` could not replace.
pub fn unresolved_refs(kind_schema: &[u8]) -> Vec<String> {
    inline_with_report(kind_schema).1
}

/// The embedded definitions by name, each still its JSON text (borrowed from [`DEFINITIONS`]):
/// only the few a built-in kind's schema reaches are ever parsed, and nothing parsed is kept
/// once that kind is compiled (the whole file as a `Value` held ~5.8 MB for the process).
type Definitions = HashMap<&'static str, &'static RawValue>;

#[derive(serde::Deserialize)]
struct DefinitionsFile<'a> {
    #[serde(rename = "$defs", borrow)]
    defs: HashMap<&'a str, &'a RawValue>,
}

fn inline_with_report(kind_schema: &[u8]) -> (serde_json::Value, Vec<String>) {
    static DEFS: std::sync::OnceLock<Definitions> = std::sync::OnceLock::new();
    let defs = DEFS.get_or_init(|| {
        std::str::from_utf8(DEFINITIONS)
            .ok()
            .and_then(|text| serde_json::from_str::<DefinitionsFile<'static>>(text).ok())
            .map(|file| file.defs)
            .unwrap_or_default()
    });
    let mut value: serde_json::Value = serde_json::from_slice(kind_schema).unwrap_or_default();
    let mut unresolved = Vec::new();
    inline(&mut value, defs, &mut Vec::new(), &mut unresolved);
    (value, unresolved)
}

fn inline(
    value: &mut serde_json::Value,
    defs: &Definitions,
    stack: &mut Vec<String>,
    unresolved: &mut Vec<String>,
) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let name = reference
                    .split_once("#/$defs/")
                    .filter(|(file, _)| file.is_empty() || file.ends_with("/_definitions.json"))
                    .map(|(_, name)| name.to_string());
                let target = name.and_then(|name| {
                    let raw = defs.get(name.as_str())?;
                    Some((serde_json::from_str::<Value>(raw.get()).ok()?, name))
                });
                match target {
                    Some((mut target, name)) if !stack.contains(&name) => {
                        stack.push(name);
                        inline(&mut target, defs, stack, unresolved);
                        stack.pop();
                        *value = target;
                    }
                    _ => unresolved.push(reference.clone()),
                }
                return;
            }
            for child in map.values_mut() {
                inline(child, defs, stack, unresolved);
            }
        }
        Value::Array(items) => {
            for item in items {
                inline(item, defs, stack, unresolved);
            }
        }
        _ => {}
    }
}
