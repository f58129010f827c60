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
            Some(DataEntry {
                key: Spanned::new(key.to_string(), loc_of(reader.file, k)),
                value_loc: loc_of(reader.file, v),
                field,
                placeholder: v.as_str().is_none_or(is_placeholder),
                templated: reader.is_templated(v),
                public: v.as_str().is_some_and(|text| is_public_pem(field, text)),
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

impl SealedValue {
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

const SEALED_SPEC_FIELDS: &[&str] = &["data", "encryptedData", "template"];

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
        reader.unknown_fields(spec, "spec", SEALED_SPEC_FIELDS);
        if let Some((key, value)) = spec.get_entry("encryptedData") {
            sealed.encrypted_loc = Some(reader.loc(key));
            if let Some(mapping) = reader.mapping(Some(value), "spec.encryptedData") {
                for (k, v) in mapping.entries() {
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
/// (else its own name), with keys pglint cannot know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSecret {
    pub target_name: Option<String>,
}

impl ExternalSecret {
    pub(crate) fn read(reader: &mut Reader<'_>, root: NodeRef<'_>) -> ExternalSecret {
        let mut problems = Vec::new();
        let mut lenient = Reader {
            file: reader.file,
            text: reader.text,
            problems: &mut problems,
        };
        ExternalSecret {
            target_name: lenient
                .string(root.path(&["spec", "target", "name"]), "spec.target.name")
                .map(|s| s.value),
        }
    }
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
        }
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
