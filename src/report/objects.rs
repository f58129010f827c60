//! `pglint render`: the objects pglint believes are applied, with where each comes from.
//!
//! JSON (`{"version": 1, "objects": [...]}`): each object's `apiVersion`, `kind`, `namespace`
//! (null when none is set), `name`, `annotations` and `labels` as the API server receives
//! them, `source` (file, line), `deployment`, and `fields`: the values pglint's rules read
//! (a Database's owner and cluster, a Cluster's roles, a SealedSecret's keys and template,
//! a Secret's keys). Secret values are never part of it.

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::model::{Object, Spec, StringMap};
use crate::project::Project;
use crate::source::Loc;
use crate::yaml::yaml11::YamlType;

pub const VERSION: u32 = 1;

/// One rendered object and the deployment that renders it.
pub struct Rendered<'a> {
    pub object: &'a Object,
    pub deployment: &'a str,
    /// Annotation values come out as strings (kustomize writes them so); label values keep
    /// their type.
    pub annotations_as_strings: bool,
}

#[derive(Serialize)]
struct JsonObject {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: String,
    namespace: Option<String>,
    name: Option<String>,
    annotations: Map<String, Json>,
    labels: Map<String, Json>,
    source: JsonSource,
    deployment: String,
    fields: Json,
}

#[derive(Serialize)]
struct JsonSource {
    file: String,
    line: usize,
}

pub fn render_json(project: &Project, objects: &[Rendered<'_>]) -> String {
    let objects: Vec<JsonObject> = objects
        .iter()
        .map(|rendered| {
            let object = rendered.object;
            JsonObject {
                api_version: object.api_version.as_ref().map(|v| v.value.clone()),
                kind: object.kind_str().to_string(),
                namespace: object.namespace_str().map(str::to_string),
                name: object.name().map(str::to_string),
                annotations: entries(&object.meta.annotations, rendered.annotations_as_strings),
                labels: entries(&object.meta.labels, false),
                source: source(project, object.loc),
                deployment: rendered.deployment.to_string(),
                fields: fields(object),
            }
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({"version": VERSION, "objects": objects}))
        .unwrap_or_default();
    text.push('\n');
    text
}

pub fn render_human(project: &Project, objects: &[Rendered<'_>]) -> String {
    let mut out = String::new();
    for rendered in objects {
        let object = rendered.object;
        let at = source(project, object.loc);
        out.push_str(&format!(
            "{} {}{}  ({}:{}, {})\n",
            object.kind_str(),
            object
                .namespace_str()
                .map_or(String::new(), |ns| format!("{ns}/")),
            object.name().unwrap_or("<unnamed>"),
            at.file,
            at.line,
            rendered.deployment,
        ));
    }
    out.push_str(&format!("{} objects\n", objects.len()));
    out
}

fn source(project: &Project, loc: Loc) -> JsonSource {
    let text = project.text(loc.file);
    JsonSource {
        file: project.path(loc.file).to_string(),
        line: text.line_col(loc.span.start()).line,
    }
}

/// Annotations or labels as JSON values: strings, or the number or boolean a YAML 1.2 reader
/// (kustomize's) makes of an unquoted scalar.
fn entries(map: &StringMap, as_strings: bool) -> Map<String, Json> {
    map.entries
        .iter()
        .map(|entry| {
            let text = &entry.value.value;
            let value = if as_strings || entry.yaml_type == YamlType::String {
                Json::String(text.clone())
            } else {
                typed(text)
            };
            (entry.key.value.clone(), value)
        })
        .collect()
}

/// A scalar as YAML 1.2's core schema types it.
fn typed(text: &str) -> Json {
    match text {
        "true" | "True" | "TRUE" => return Json::Bool(true),
        "false" | "False" | "FALSE" => return Json::Bool(false),
        "null" | "Null" | "NULL" | "~" | "" => return Json::Null,
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return json!(n);
    }
    Json::String(text.to_string())
}

/// The values pglint's rules read, per kind.
fn fields(object: &Object) -> Json {
    let text = |s: &Option<crate::source::Spanned<String>>| s.as_ref().map(|s| s.value.clone());
    match &object.spec {
        Spec::Database(db) => json!({
            "owner": text(&db.owner),
            "cluster": text(&db.cluster),
            "name": text(&db.name),
        }),
        Spec::Cluster(cluster) => json!({
            "roles": cluster.roles.iter().map(|role| json!({
                "name": text(&role.name),
                "login": role.login.as_ref().map(|l| l.value),
                "passwordSecret": text(&role.password_secret),
            })).collect::<Vec<_>>(),
        }),
        Spec::SealedSecret(sealed) => json!({
            "encryptedData": sealed.encrypted.iter().map(|e| e.key.value.clone()).collect::<Vec<_>>(),
            "template": sealed.template.as_ref().map(|t| json!({
                "name": text(&t.meta.name),
                "namespace": text(&t.meta.namespace),
                "type": text(&t.type_),
                // Nested metadata keeps its YAML types through kustomize.
                "annotations": entries(&t.meta.annotations, false),
                "labels": entries(&t.meta.labels, false),
            })),
        }),
        Spec::Secret(secret) => json!({
            "type": text(&secret.type_),
            "keys": secret.data.iter().map(|d| d.key.value.clone()).collect::<Vec<_>>(),
        }),
        _ => json!({}),
    }
}
