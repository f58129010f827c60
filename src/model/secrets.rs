//! Secrets, SealedSecrets and ExternalSecrets. Values are never copied: a [`DataEntry`] knows
//! a key, where its value is and whether it is a placeholder, not the value itself.

use std::borrow::Cow;

use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT,
};

use super::meta::{Annotation, Metadata};
use super::read::Reader;
use super::{is_unknowable, loc_of};
use crate::source::{Loc, Spanned};
use crate::yaml::NodeRef;

/// One key of `data`/`stringData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEntry {
    pub key: Spanned<String>,
    pub value_loc: Loc,
    /// `data` or `stringData`.
    pub field: &'static str,
    /// Empty, or only a reference to a value kept elsewhere (`<path:…>`, `${…}`, `ENC[…]`).
    pub placeholder: bool,
    /// The value's text is a `${VAR}` or `{{ }}` template, filled in before it is applied.
    pub templated: bool,
    /// Only public material: PEM `CERTIFICATE` blocks (a CA bundle, `ca.crt`), no private key.
    pub public: bool,
    /// The value, kept for the `username` key only (a role name, public in the Cluster
    /// anyway; never another key's value): base64-decoded under a Secret's `data`. `None` for
    /// a placeholder, a template, or base64 that is not UTF-8 text.
    pub username: Option<String>,
}

/// The `username` a list of entries gives the Secret, where it is written: the last entry of
/// that key (`stringData` after `data`, as the API server merges them). `None` when there is
/// none or its value cannot be known.
fn username_of<'e>(entries: impl IntoIterator<Item = &'e DataEntry>) -> Option<Spanned<&'e str>> {
    let entry = entries
        .into_iter()
        .filter(|d| d.key.value == "username")
        .last()?;
    Some(Spanned::new(entry.username.as_deref()?, entry.value_loc))
}

/// A `username` value as the Secret will hold it: a Secret's `data` values (`path` `data`)
/// are base64 (Go's decoder skips line breaks); the others, `stringData` and a SealedSecret
/// template's `data` (a Go template), are the text itself.
fn username_value(path: &str, text: &str) -> Option<String> {
    if path != "data" {
        return Some(text.to_string());
    }
    let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    String::from_utf8(GO_STD.decode(compact.as_bytes()).ok()?).ok()
}

fn read_data(
    reader: &mut Reader<'_>,
    parent: NodeRef<'_>,
    field: &'static str,
    path: &str,
) -> Vec<DataEntry> {
    let Some(mapping) = reader.mapping(parent.get(field), path) else {
        return Vec::new();
    };
    mapping
        .entries()
        .into_iter()
        .filter_map(|(k, v)| {
            let key = k.as_str()?;
            let placeholder = v.as_str().is_none_or(is_placeholder);
            let templated = reader.is_templated(v);
            let username = v
                .as_str()
                .filter(|_| key == "username" && !placeholder && !templated)
                .and_then(|text| username_value(path, text));
            Some(DataEntry {
                key: Spanned::new(key.to_string(), loc_of(reader.file, k)),
                value_loc: loc_of(reader.file, v),
                field,
                placeholder,
                templated,
                public: v.as_str().is_some_and(|text| is_public_pem(field, text)),
                username,
            })
        })
        .collect()
}

/// Keys that name who or where, not a credential: a Secret whose only values are these (a
/// `username` next to a password that a generator fills in) leaks nothing.
pub fn is_identity_key(key: &str) -> bool {
    [
        "username", "user", "host", "hostname", "port", "database", "dbname",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(key))
}

/// Is a Secret value (base64 under `data`) only PEM certificates, without a private key?
fn is_public_pem(field: &str, value: &str) -> bool {
    let decoded;
    let text = if field == "data" {
        let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(bytes) = GO_STD.decode(compact.as_bytes()) else {
            return false;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return false;
        };
        decoded = text;
        decoded.as_str()
    } else {
        value
    };
    text.contains("-----BEGIN CERTIFICATE-----")
        && !text.contains("PRIVATE KEY")
        && text
            .lines()
            .filter(|l| l.starts_with("-----BEGIN "))
            .all(|l| l.starts_with("-----BEGIN CERTIFICATE"))
}

/// Names entries for a message — `` `data.password`, `stringData.user` `` — never their values;
/// past a handful, the rest are counted, so a generated Secret cannot flood the report.
pub fn key_list<'e>(entries: impl IntoIterator<Item = &'e DataEntry>) -> String {
    const SHOWN: usize = 8;
    let entries: Vec<&DataEntry> = entries.into_iter().collect();
    let mut list: Vec<String> = entries
        .iter()
        .take(SHOWN)
        .map(|d| format!("`{}.{}`", d.field, d.key.value))
        .collect();
    if entries.len() > SHOWN {
        list.push(format!("and {} more", entries.len() - SHOWN));
    }
    list.join(", ")
}

/// Values that stand for a secret without being one.
fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || (value.starts_with("<path:") && value.ends_with('>'))
        || value.contains("${")
        || (value.starts_with("ENC[") && value.ends_with(']'))
}

/// A `v1 Secret`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub type_: Option<Spanned<String>>,
    /// `data` and `stringData` entries.
    pub data: Vec<DataEntry>,
    /// Encrypted with SOPS (a top-level `sops:` key): committed values are ciphertext.
    pub sops: bool,
}

impl Secret {
    pub(crate) fn read(reader: &mut Reader<'_>, root: NodeRef<'_>) -> Secret {
        // Its fields, a misspelt `Data` among them, are judged by the built-in schema
        // (`schema-unknown-field`, `schema-invalid`).
        let mut data = read_data(reader, root, "data", "data");
        data.extend(read_data(reader, root, "stringData", "stringData"));
        Secret {
            type_: reader.string(root.get("type"), "type"),
            data,
            sops: root.get("sops").is_some(),
        }
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.data.iter().any(|d| d.key.value == key)
    }

    /// The `username` it holds, when it is written in clear (see [`DataEntry::username`]).
    pub fn username(&self) -> Option<Spanned<&str>> {
        username_of(&self.data)
    }

    /// The values it commits in clear, in file order: none when SOPS encrypts it; never a
    /// placeholder, public material (PEM certificates) or an identity key (`username`).
    pub fn plaintext_values(&self) -> Vec<&DataEntry> {
        if self.sops {
            return Vec::new();
        }
        let mut values: Vec<&DataEntry> = self
            .data
            .iter()
            .filter(|d| !d.placeholder && !d.public && !is_identity_key(&d.key.value))
            .collect();
        values.sort_by_key(|d| d.key.loc.span.start());
        values
    }
}

/// One `spec.encryptedData` entry. The value itself is not kept (a plaintext value pasted
/// there by mistake must not leak, and ciphertext is most of a SealedSecret's size): only what
/// checking it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedEntry {
    pub key: Spanned<String>,
    pub value_loc: Loc,
    pub value: SealedValue,
    /// A digest of the ciphertext, for values long enough to be sealed-secrets output:
    /// kubeseal seals every value with a fresh random session key, so two equal ones are a
    /// copy. The value itself is not kept.
    pub fingerprint: Option<crate::source::Digest>,
}

/// Shorter than any sealed-secrets ciphertext (a 2-byte length, an RSA block of 256 bytes or
/// more, the AES-GCM tag): not worth comparing.
const MIN_CIPHERTEXT_BYTES: usize = 2 + 256 + 16;

/// Go's `base64.StdEncoding`, which the controller decodes with: standard alphabet, `=`
/// padding required, non-zero trailing bits accepted (it is not `.Strict()`).
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// Does `text` decode as Go's `base64.StdEncoding` does it (line breaks skipped)? What the API
/// server's JSON decoder asks of a `[]byte` field (a Secret's `data`), and kube-openapi of a
/// `format: byte` string.
pub fn is_go_base64(text: &str) -> bool {
    let compact: Cow<'_, str> = if text.contains(['\r', '\n']) {
        text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect()
    } else {
        Cow::Borrowed(text)
    };
    GO_STD.decode(compact.as_bytes()).is_ok()
}

/// What an `encryptedData` value is, as far as checking it as sealed-secrets ciphertext needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedValue {
    /// Blank.
    Empty,
    /// A `${VAR}` or `{{ }}` template, filled in before it is applied.
    Templated,
    /// Standard base64 (line breaks ignored, as by Go's decoder) of `len` bytes, starting with
    /// the big-endian `prefix` (when 2 bytes long); `text` when they read as text, which
    /// ciphertext never does.
    Base64 {
        len: usize,
        prefix: Option<u16>,
        text: bool,
    },
    /// Not standard base64: `why`, when a likely cause is recognised; `len` is the value's
    /// length without line breaks.
    NotBase64 {
        why: Option<&'static str>,
        len: usize,
    },
}

/// Is `bytes` the size of an RSA block (the modulus of a 1024- to 8192-bit key)?
pub fn is_rsa_size(bytes: usize) -> bool {
    matches!(bytes, 128 | 256 | 384 | 512 | 768 | 1024)
}

impl SealedValue {
    /// Shaped as sealed-secrets ciphertext for some key: binary base64 starting with an RSA
    /// block's length, at least that block, the 2-byte prefix and the GCM tag long. No typed
    /// password or base64 of one is.
    pub fn looks_sealed(&self) -> bool {
        match *self {
            SealedValue::Base64 {
                len,
                prefix: Some(prefix),
                text: false,
            } => is_rsa_size(usize::from(prefix)) && len >= 2 + usize::from(prefix) + 16,
            _ => false,
        }
    }

    pub fn of(value: &str) -> SealedValue {
        if is_unknowable(value) {
            return SealedValue::Templated;
        }
        let cleaned: Cow<'_, str> = if value.contains(['\r', '\n']) {
            value
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n'))
                .collect()
        } else {
            Cow::Borrowed(value)
        };
        if cleaned.trim().is_empty() {
            return SealedValue::Empty;
        }
        match GO_STD.decode(cleaned.as_bytes()) {
            Ok(bytes) => SealedValue::Base64 {
                len: bytes.len(),
                prefix: bytes.get(..2).map(|p| u16::from_be_bytes([p[0], p[1]])),
                text: looks_like_text(&bytes),
            },
            Err(_) => SealedValue::NotBase64 {
                why: why_not_base64(&cleaned),
                len: cleaned.len(),
            },
        }
    }
}

fn why_not_base64(cleaned: &str) -> Option<&'static str> {
    let without_blanks: String = cleaned.chars().filter(|c| !c.is_whitespace()).collect();
    if without_blanks.len() != cleaned.len() && GO_STD.decode(&without_blanks).is_ok() {
        Some("it contains spaces (a value folded over several lines?)")
    } else if URL_SAFE_PAD_INDIFFERENT.decode(cleaned).is_ok() && cleaned.contains(['-', '_']) {
        Some("it uses the URL-safe alphabet (`-`, `_`)")
    } else if STANDARD_PAD_INDIFFERENT.decode(cleaned).is_ok() {
        Some("its `=` padding is missing")
    } else {
        None
    }
}

/// Readable text (UTF-8 without control characters other than whitespace). Ciphertext never
/// is: its length prefix alone holds a control byte.
fn looks_like_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| {
        !text.is_empty()
            && text
                .chars()
                .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
    })
}

/// `spec.template` of a SealedSecret: what the controller puts on the Secret it creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedTemplate {
    pub loc: Loc,
    pub meta: Metadata,
    pub type_: Option<Spanned<String>>,
    /// `spec.template.data`/`stringData`: stored in clear in the manifest.
    pub data: Vec<DataEntry>,
}

/// A Bitnami `SealedSecret`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// The `encryptedData` key, when present.
    pub encrypted_loc: Option<Loc>,
    pub encrypted: Vec<SealedEntry>,
    pub template: Option<SealedTemplate>,
}

impl SealedSecret {
    pub(crate) fn read(reader: &mut Reader<'_>, root: NodeRef<'_>) -> SealedSecret {
        let mut sealed = SealedSecret {
            encrypted_loc: None,
            encrypted: Vec::new(),
            template: None,
        };
        let Some(spec) = reader.mapping(root.get("spec"), "spec") else {
            return sealed;
        };
        if let Some((key, value)) = spec.get_entry("encryptedData") {
            sealed.encrypted_loc = Some(reader.loc(key));
            if let Some(mapping) = reader.mapping(Some(value), "spec.encryptedData") {
                let entries = mapping.entries();
                // Sized once: a repository holds thousands, most with one or two values.
                sealed.encrypted.reserve_exact(entries.len());
                for (k, v) in entries {
                    let Some(key) = k.as_str() else { continue };
                    let Some(value) = reader.string(Some(v), "spec.encryptedData values") else {
                        continue;
                    };
                    let described = SealedValue::of(&value.value);
                    let fingerprint = match described {
                        SealedValue::Base64 {
                            len, text: false, ..
                        } if len >= MIN_CIPHERTEXT_BYTES => {
                            let cleaned: String = value
                                .value
                                .chars()
                                .filter(|c| !matches!(c, '\r' | '\n'))
                                .collect();
                            Some(crate::source::Digest::of(cleaned.as_bytes()))
                        }
                        _ => None,
                    };
                    sealed.encrypted.push(SealedEntry {
                        key: Spanned::new(key.to_string(), loc_of(reader.file, k)),
                        value_loc: value.loc,
                        value: described,
                        fingerprint,
                    });
                }
            }
        }
        if let Some(template) = reader.mapping(spec.get("template"), "spec.template") {
            let meta_node = reader.mapping(template.get("metadata"), "spec.template.metadata");
            let meta = Metadata::read(reader, meta_node);
            let mut data = read_data(reader, template, "data", "spec.template.data");
            data.extend(read_data(
                reader,
                template,
                "stringData",
                "spec.template.stringData",
            ));
            sealed.template = Some(SealedTemplate {
                loc: reader.loc(template),
                meta,
                type_: reader.string(template.get("type"), "spec.template.type"),
                data,
            });
        }
        sealed
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.encrypted.iter().any(|e| e.key.value == key)
    }

    /// The `username` the generated Secret gets in clear: a literal in `spec.template.data`,
    /// which the controller renders over the decrypted values (`Unseal` in sealed-secrets
    /// `pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go`).
    pub fn username(&self) -> Option<Spanned<&str>> {
        let template = self.template.as_ref()?;
        username_of(template.data.iter().filter(|d| d.field == "data"))
    }

    /// Metadata the generated Secret gets (the template's), if there is a template.
    pub fn secret_meta(&self) -> Option<&Metadata> {
        self.template.as_ref().map(|t| &t.meta)
    }

    /// The OAEP label the controller decrypts this SealedSecret's values with, from its own
    /// metadata `meta` (`EncryptionLabel` in sealed-secrets
    /// `pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go`): `namespace/name` under
    /// strict scope, `namespace` under namespace-wide scope, empty when cluster-wide. `None`
    /// when a part it needs is missing or templated.
    pub fn label(&self, meta: &Metadata) -> Option<String> {
        fn part(value: &Option<Spanned<String>>) -> Option<&str> {
            value
                .as_ref()
                .map(|v| v.value.as_str())
                .filter(|v| !is_unknowable(v))
        }
        Some(match self.scope(meta) {
            Scope::ClusterWide => String::new(),
            Scope::NamespaceWide => part(&meta.namespace)?.to_string(),
            Scope::Strict => format!("{}/{}", part(&meta.namespace)?, part(&meta.name)?),
        })
    }

    /// The sealing scope, read from the SealedSecret's own annotations (`meta`), compared with
    /// `== "true"` like the controller.
    pub fn scope(&self, meta: &Metadata) -> Scope {
        [Scope::ClusterWide, Scope::NamespaceWide]
            .into_iter()
            .find(|scope| scope.annotation(meta).is_some())
            .unwrap_or(Scope::Strict)
    }
}

const CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";
const NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";

/// The sealing scope the controller uses to decrypt a SealedSecret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Strict,
    NamespaceWide,
    ClusterWide,
}

impl Scope {
    /// The annotation in `meta` (a SealedSecret's own metadata) that selects this scope, when
    /// it is set to `"true"`; always `None` for the default strict scope.
    pub fn annotation(self, meta: &Metadata) -> Option<&Annotation> {
        let key = match self {
            Scope::Strict => return None,
            Scope::NamespaceWide => NAMESPACE_WIDE,
            Scope::ClusterWide => CLUSTER_WIDE,
        };
        meta.annotations
            .get(key)
            .filter(|a| a.value.value == "true")
    }
}

/// An external-secrets.io `ExternalSecret`: it creates a Secret named `spec.target.name`
/// (else its own name). Its keys and a literal `username` are known when they are written
/// (see [`ExternalSecret::keys`]); the values it fetches never are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSecret {
    pub target_name: Option<String>,
    /// `spec.data[].secretKey`: the keys of the values it fetches one by one.
    pub secret_keys: Vec<Spanned<String>>,
    /// `spec.dataFrom` is set: it adds keys that only the provider knows.
    pub data_from: bool,
    /// `spec.target.creationPolicy` (`Owner` by default).
    pub creation_policy: Option<String>,
    pub template: Option<ExternalTemplate>,
    /// The `spec.data` key, else the `spec` key: where to point about the keys.
    pub keys_loc: Option<Loc>,
}

/// `spec.target.template` of an ExternalSecret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalTemplate {
    /// `data` keys, each with its value when that is a literal (no template).
    pub data: Vec<(Spanned<String>, Option<Spanned<String>>)>,
    /// `templateFrom` is set: keys come from a ConfigMap or Secret.
    pub template_from: bool,
    /// `mergePolicy: Merge`: the fetched keys are kept beside the template's.
    pub merge: bool,
}

impl ExternalSecret {
    pub(crate) fn read(reader: &mut Reader<'_>, root: NodeRef<'_>) -> ExternalSecret {
        let mut problems = Vec::new();
        let mut lenient = Reader {
            file: reader.file,
            text: reader.text,
            problems: &mut problems,
        };
        let spec = root.get_entry("spec");
        let spec_node = spec.map(|(_, v)| v).filter(|v| v.is_mapping());
        let data = spec_node.and_then(|s| s.get_entry("data"));
        let secret_keys = data
            .map(|(_, list)| list)
            .filter(|list| list.is_sequence())
            .into_iter()
            .flat_map(|list| list.items())
            .filter_map(|item| lenient.string(item.get("secretKey"), "spec.data[].secretKey"))
            .collect();
        let non_empty = |node: Option<NodeRef<'_>>| {
            node.is_some_and(|n| !n.is_null() && (n.items().next().is_some() || n.is_mapping()))
        };
        let target = spec_node.and_then(|s| s.get("target"));
        let template = target
            .and_then(|t| t.get("template"))
            .filter(|t| t.is_mapping())
            .map(|t| ExternalTemplate {
                data: t
                    .get("data")
                    .filter(|d| d.is_mapping())
                    .map(|d| d.entries())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let key = k.as_str()?;
                        let literal = v
                            .as_str()
                            .filter(|text| !super::is_unknowable(text))
                            .map(|text| Spanned::new(text.to_string(), lenient.loc(v)));
                        Some((Spanned::new(key.to_string(), lenient.loc(k)), literal))
                    })
                    .collect(),
                template_from: non_empty(t.get("templateFrom")),
                merge: t.get("mergePolicy").and_then(|m| m.as_str()) == Some("Merge"),
            });
        ExternalSecret {
            target_name: lenient
                .string(root.path(&["spec", "target", "name"]), "spec.target.name")
                .map(|s| s.value),
            secret_keys,
            data_from: non_empty(spec_node.and_then(|s| s.get("dataFrom"))),
            creation_policy: target
                .and_then(|t| t.get("creationPolicy"))
                .and_then(|p| p.as_str())
                .map(str::to_string),
            template,
            keys_loc: data.or(spec).map(|(k, _)| lenient.loc(k)),
        }
    }

    /// The keys of the Secret it writes, as external-secrets' `ApplyTemplate`
    /// (`pkg/controllers/externalsecret/externalsecret_controller_template.go`) makes them:
    /// the template's `data` keys, plus the fetched `spec.data[].secretKey`s when there is no
    /// template data or `mergePolicy` is `Merge`. `None` when they cannot be known: keys from
    /// `dataFrom` or `templateFrom`, or a `creationPolicy` that keeps (`Merge`,
    /// `CreateOrMerge`) or leaves (`None`) another writer's keys, or an object that writes
    /// no key at all (incomplete).
    pub fn keys(&self) -> Option<Vec<&str>> {
        if matches!(
            self.creation_policy.as_deref(),
            Some("Merge" | "CreateOrMerge" | "None")
        ) {
            return None;
        }
        // Nothing written at all: an incomplete object, not one without keys.
        let template_keys = self.template.as_ref().map_or(0, |t| t.data.len());
        if self.secret_keys.is_empty() && template_keys == 0 {
            return None;
        }
        let fetched_known = !self.data_from
            && !self
                .secret_keys
                .iter()
                .any(|k| super::is_unknowable(k.as_str()));
        let fetched = self.secret_keys.iter().map(|k| k.as_str());
        let mut keys: Vec<&str> = Vec::new();
        match &self.template {
            None => {
                if !fetched_known {
                    return None;
                }
                keys.extend(fetched);
            }
            Some(template) => {
                if template.template_from {
                    return None;
                }
                keys.extend(template.data.iter().map(|(k, _)| k.as_str()));
                if template.merge || template.data.is_empty() {
                    if !fetched_known {
                        return None;
                    }
                    keys.extend(fetched);
                }
            }
        }
        Some(keys)
    }

    /// The `username` its template writes as a literal (`spec.target.template.data`), which
    /// wins over any fetched value.
    pub fn username(&self) -> Option<Spanned<&str>> {
        let (_, value) = self
            .template
            .as_ref()?
            .data
            .iter()
            .rfind(|(k, _)| k.value == "username")?;
        value.as_ref().map(|v| Spanned::new(v.as_str(), v.loc))
    }
}

/// The commands that seal fresh values for the Secret `namespace/name` with the repository's
/// certificate (strict scope: bound to that name and namespace), for a fix a person must make.
pub fn seal_command(name: &str, namespace: &str, certificate: &str) -> String {
    format!(
        "kubectl create secret generic {name} -n {namespace} --from-literal=username=… --from-literal=password=… --dry-run=client -o yaml | kubeseal --cert {certificate} -o yaml"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn entry(key: &str) -> DataEntry {
        let loc = Loc {
            file: FileId(0),
            span: Span::new(0, 0),
        };
        DataEntry {
            key: Spanned::new(key.into(), loc),
            value_loc: loc,
            field: "stringData",
            placeholder: false,
            templated: false,
            public: false,
            username: None,
        }
    }

    fn spec(text: &str) -> crate::model::Spec {
        crate::model::tests::object(text).spec
    }

    #[test]
    fn usernames_in_clear_are_read_others_are_not() {
        let secret = |body: &str| match spec(&format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n{body}"
        )) {
            crate::model::Spec::Secret(s) => s.username().map(|u| u.value.to_string()),
            _ => panic!(),
        };
        // `Z2l0ZWFfdXNlcgo=` is "gitea_user\n".
        assert_eq!(
            secret("data:\n  username: Z2l0ZWFfdXNlcgo=\n").as_deref(),
            Some("gitea_user\n")
        );
        assert_eq!(
            secret("data:\n  username: Z2l0ZWFfdXNlcgo=\nstringData:\n  username: app\n")
                .as_deref(),
            Some("app")
        );
        assert_eq!(secret("stringData:\n  username: <path:kv#user>\n"), None);
        assert_eq!(secret("stringData:\n  username: ${USER}\n"), None);
        assert_eq!(secret("data:\n  username: not base64!\n"), None);
        let sealed = spec(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData:\n    password: AgA=\n  template:\n    data:\n      username: gitea_user\n",
        );
        let crate::model::Spec::SealedSecret(sealed) = sealed else {
            panic!()
        };
        assert_eq!(sealed.username().map(|u| u.value), Some("gitea_user"));
    }

    #[test]
    fn external_secret_keys_follow_apply_template() {
        let external = |body: &str| match spec(&format!(
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: e\nspec:\n{body}"
        )) {
            crate::model::Spec::ExternalSecret(e) => e,
            _ => panic!(),
        };
        let data = "  data:\n    - secretKey: user\n      remoteRef: {key: k}\n    - secretKey: password\n      remoteRef: {key: k}\n";
        assert_eq!(external(data).keys(), Some(vec!["user", "password"]));
        assert_eq!(external(data).username(), None);
        let from = format!("{data}  dataFrom:\n    - extract: {{key: k}}\n");
        assert_eq!(external(&from).keys(), None);
        let template = format!(
            "{data}  target:\n    template:\n      data:\n        username: gitea_user\n        password: \"{{{{ .password }}}}\"\n"
        );
        let e = external(&template);
        assert_eq!(e.keys(), Some(vec!["username", "password"]));
        assert_eq!(e.username().map(|u| u.value), Some("gitea_user"));
        let merged = template.replace(
            "    template:\n",
            "    template:\n      mergePolicy: Merge\n",
        );
        assert_eq!(
            external(&merged).keys(),
            Some(vec!["username", "password", "user", "password"])
        );
        let kept = format!("{data}  target:\n    creationPolicy: Merge\n");
        assert_eq!(external(&kept).keys(), None);
    }

    #[test]
    fn text_detection() {
        assert!(looks_like_text(b"password123"));
        assert!(looks_like_text("pässwörd\n".as_bytes()));
        assert!(!looks_like_text(&[2, 0, 65, 66]));
        assert!(!looks_like_text(&[0xff, 0xfe]));
    }

    #[test]
    fn sealed_values_are_described_not_kept() {
        assert_eq!(SealedValue::of(" \n"), SealedValue::Empty);
        assert_eq!(SealedValue::of("${PASSWORD}"), SealedValue::Templated);
        assert_eq!(
            SealedValue::of("AgBB\nQg"),
            SealedValue::NotBase64 {
                why: Some("its `=` padding is missing"),
                len: 6
            }
        );
        assert_eq!(
            SealedValue::of("AgBBQg=="),
            SealedValue::Base64 {
                len: 4,
                prefix: Some(0x0200),
                text: false
            }
        );
        assert!(matches!(
            SealedValue::of("aHVudGVyMg=="),
            SealedValue::Base64 {
                len: 7,
                text: true,
                ..
            }
        ));
    }

    #[test]
    fn key_lists_name_keys_and_stay_short() {
        let few = [entry("password"), entry("token")];
        assert_eq!(key_list(&few), "`stringData.password`, `stringData.token`");
        let many: Vec<DataEntry> = (0..100).map(|i| entry(&format!("k{i}"))).collect();
        let list = key_list(&many);
        assert!(list.ends_with(", and 92 more"), "{list}");
        assert!(!list.contains("k8`"), "{list}");
    }
}
