//! The Kubernetes side of `pglint verify`: the JSON `kubectl get … -o json` prints (a `List`,
//! one object, or several JSON documents one after the other), read for what verify compares.
//!
//! That JSON holds every Secret's values. They are never kept: a Secret's `data` (and
//! `stringData`) is read for its key names only, each value skipped unread
//! ([`serde::de::IgnoredAny`]); of the annotations only Reflector's are kept (a
//! `last-applied-configuration` annotation holds values in clear); a SealedSecret's `spec` is
//! not read at all. Parse errors name a line and column, never the text there.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::model::REFLECTOR_PREFIX;

/// A live Secret: where it is and which keys it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSecret {
    pub namespace: String,
    pub name: String,
    /// The keys of `data` (values never read), sorted.
    pub keys: Vec<String>,
    /// Reflector's `reflects` annotation on a copy: `namespace/name` of its source.
    pub reflects: Option<String>,
}

/// A SealedSecret's condition (`status.conditions[]`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSealedSecret {
    pub namespace: String,
    pub name: String,
    pub conditions: Vec<Condition>,
}

/// A CNPG Cluster's `status.managedRolesStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RolesStatus {
    pub by_status: BTreeMap<String, Vec<String>>,
    pub cannot_reconcile: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCluster {
    pub namespace: String,
    pub name: String,
    pub roles: RolesStatus,
}

/// A CNPG Database's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDatabaseObject {
    pub namespace: String,
    pub name: String,
    pub applied: Option<bool>,
    pub message: Option<String>,
    pub generation: Option<i64>,
    pub observed_generation: Option<i64>,
}

/// The objects of the kinds verify reads; others are counted and ignored.
#[derive(Debug, Clone, Default)]
pub struct KubeObjects {
    pub secrets: Vec<LiveSecret>,
    pub sealed_secrets: Vec<LiveSealedSecret>,
    pub clusters: Vec<LiveCluster>,
    pub databases: Vec<LiveDatabaseObject>,
    /// Objects of other kinds.
    pub others: usize,
}

impl KubeObjects {
    pub fn secret(&self, namespace: &str, name: &str) -> Option<&LiveSecret> {
        self.secrets
            .iter()
            .find(|s| s.namespace == namespace && s.name == name)
    }

    pub fn sealed_secret(&self, namespace: &str, name: &str) -> Option<&LiveSealedSecret> {
        self.sealed_secrets
            .iter()
            .find(|s| s.namespace == namespace && s.name == name)
    }

    pub fn cluster(&self, namespace: &str, name: &str) -> Option<&LiveCluster> {
        self.clusters
            .iter()
            .find(|s| s.namespace == namespace && s.name == name)
    }

    pub fn database(&self, namespace: &str, name: &str) -> Option<&LiveDatabaseObject> {
        self.databases
            .iter()
            .find(|s| s.namespace == namespace && s.name == name)
    }

    pub fn len(&self) -> usize {
        self.secrets.len()
            + self.sealed_secrets.len()
            + self.clusters.len()
            + self.databases.len()
            + self.others
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads `kubectl get -o json` output. Errors name a position, never the text.
    pub fn parse(text: &str) -> Result<KubeObjects, String> {
        let mut objects = KubeObjects::default();
        let stream = serde_json::Deserializer::from_str(text).into_iter::<RawObject>();
        let mut any = false;
        for item in stream {
            let item = item.map_err(|e| {
                let what = match e.classify() {
                    serde_json::error::Category::Data => {
                        "a field has an unexpected type".to_string()
                    }
                    serde_json::error::Category::Eof => "the JSON ends early".to_string(),
                    serde_json::error::Category::Syntax => "invalid JSON".to_string(),
                    serde_json::error::Category::Io => "cannot be read".to_string(),
                };
                format!("line {}, column {}: {what}", e.line(), e.column())
            })?;
            any = true;
            objects.add(item);
        }
        if !any {
            return Err("no JSON object in it (`kubectl get … -o json` prints one)".into());
        }
        Ok(objects)
    }

    fn add(&mut self, item: RawObject) {
        if item.kind.ends_with("List") || item.items.is_some() {
            for inner in item.items.unwrap_or_default() {
                self.add(inner);
            }
            return;
        }
        let group = item.api_version.split('/').next().unwrap_or("");
        let namespace = item.metadata.namespace.unwrap_or_default();
        let name = item.metadata.name.unwrap_or_default();
        match (group, item.kind.as_str()) {
            ("v1", "Secret") => self.secrets.push(LiveSecret {
                namespace,
                name,
                keys: item.data.0,
                reflects: item
                    .metadata
                    .annotations
                    .0
                    .get("reflects")
                    .cloned()
                    .or_else(|| item.metadata.annotations.0.get("auto-reflects").cloned()),
            }),
            ("bitnami.com", "SealedSecret") => {
                let status = item.status.unwrap_or_default();
                self.sealed_secrets.push(LiveSealedSecret {
                    namespace,
                    name,
                    conditions: status
                        .get("conditions")
                        .and_then(|c| Vec::<Condition>::deserialize(c).ok())
                        .unwrap_or_default(),
                })
            }
            ("postgresql.cnpg.io", "Cluster") => {
                let status = item.status.unwrap_or_default();
                self.clusters.push(LiveCluster {
                    namespace,
                    name,
                    roles: status
                        .get("managedRolesStatus")
                        .and_then(|r| RolesStatus::deserialize(r).ok())
                        .unwrap_or_default(),
                })
            }
            ("postgresql.cnpg.io", "Database") => {
                let status = item.status.unwrap_or_default();
                self.databases.push(LiveDatabaseObject {
                    namespace,
                    name,
                    applied: status.get("applied").and_then(serde_json::Value::as_bool),
                    message: status
                        .get("message")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_string),
                    generation: item.metadata.generation,
                    observed_generation: status
                        .get("observedGeneration")
                        .and_then(serde_json::Value::as_i64),
                })
            }
            _ => self.others += 1,
        }
    }
}

/// One JSON document: an object or a `List` of them. Only what verify reads is kept.
#[derive(Deserialize)]
struct RawObject {
    #[serde(default, rename = "apiVersion")]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: RawMeta,
    #[serde(default)]
    items: Option<Vec<RawObject>>,
    /// A Secret's (or ConfigMap's) `data`: key names only.
    #[serde(default)]
    data: KeysOnly,
    /// The status of a custom resource (a Secret has none; its values are never here).
    #[serde(default, deserialize_with = "status")]
    status: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize, Default)]
struct RawMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    generation: Option<i64>,
    #[serde(default)]
    annotations: ReflectorAnnotations,
}

/// A status that is an object, else nothing (never an error).
fn status<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    })
}

/// The keys of a map whose values are skipped unread.
#[derive(Default)]
struct KeysOnly(Vec<String>);

impl<'de> Deserialize<'de> for KeysOnly {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = KeysOnly;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeysOnly, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key);
                }
                keys.sort();
                Ok(KeysOnly(keys))
            }
            fn visit_unit<E>(self) -> Result<KeysOnly, E> {
                Ok(KeysOnly::default())
            }
        }
        deserializer.deserialize_any(Keys)
    }
}

/// Reflector's annotations (without the prefix) with their values; every other annotation is
/// skipped unread.
#[derive(Default)]
struct ReflectorAnnotations(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for ReflectorAnnotations {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Annotations;
        impl<'de> Visitor<'de> for Annotations {
            type Value = ReflectorAnnotations;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ReflectorAnnotations, A::Error> {
                let mut kept = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.strip_prefix(REFLECTOR_PREFIX) {
                        Some(short) => {
                            let value = map.next_value::<serde_json::Value>()?;
                            if let Some(text) = value.as_str() {
                                kept.insert(short.to_string(), text.to_string());
                            }
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ReflectorAnnotations(kept))
            }
            fn visit_unit<E>(self) -> Result<ReflectorAnnotations, E> {
                Ok(ReflectorAnnotations::default())
            }
        }
        deserializer.deserialize_any(Annotations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_streams_keep_only_what_verify_reads() {
        let json = r#"{"apiVersion":"v1","kind":"List","items":[
          {"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"postgres",
            "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"Y2FuYXJ5\"}}",
                           "reflector.v1.k8s.emberstack.com/reflection-allowed":"true"}},
           "data":{"password":"Y2FuYXJ5","username":"dXNlcg=="},"type":"kubernetes.io/basic-auth"},
          {"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"app",
            "annotations":{"reflector.v1.k8s.emberstack.com/reflects":"postgres/a"}},"data":null},
          {"apiVersion":"postgresql.cnpg.io/v1","kind":"Database","metadata":{"name":"d","namespace":"postgres","generation":3},
           "status":{"applied":false,"message":"role \"x\" does not exist","observedGeneration":2}}
        ]}
        {"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{"name":"a","namespace":"postgres"},
         "spec":{"encryptedData":{"password":"AgB..."}},
         "status":{"conditions":[{"type":"Synced","status":"False","message":"no key could decrypt secret (password)"}]}}
        {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}"#;
        let objects = KubeObjects::parse(json).unwrap();
        assert_eq!(objects.secrets.len(), 2);
        let source = objects.secret("postgres", "a").unwrap();
        assert_eq!(source.keys, ["password", "username"]);
        assert_eq!(source.reflects, None);
        assert_eq!(
            objects.secret("app", "a").unwrap().reflects.as_deref(),
            Some("postgres/a")
        );
        let database = objects.database("postgres", "d").unwrap();
        assert_eq!(database.applied, Some(false));
        assert_eq!(
            (database.generation, database.observed_generation),
            (Some(3), Some(2))
        );
        let sealed = objects.sealed_secret("postgres", "a").unwrap();
        assert_eq!(sealed.conditions[0].status, "False");
        assert_eq!(objects.others, 1);
        assert_eq!(objects.len(), 5);
        // Nothing of a value is kept.
        assert!(!format!("{objects:?}").contains("Y2FuYXJ5"));
    }

    #[test]
    fn errors_name_a_position_not_the_text() {
        let error =
            KubeObjects::parse(r#"{"kind":"Secret","metadata":{"name":["s3cret"]}}"#).unwrap_err();
        assert!(error.starts_with("line 1, column "), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
        assert!(KubeObjects::parse("  ").is_err());
        assert!(KubeObjects::parse("{\"kind\": \"Li").is_err());
    }
}
