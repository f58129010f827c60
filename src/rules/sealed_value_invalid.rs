use crate::diagnostic::Finding;
use crate::model::{SealedValue, Spec, is_rsa_size};
use crate::project::Certificate;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that every `spec.encryptedData` value of a SealedSecret is structurally
    /// sealed-secrets ciphertext, as far as that can be told without the private key:
    /// standard base64 with `=` padding (line breaks are tolerated, as by the controller),
    /// at least 2 + k + 16 bytes once decoded, and starting with the 2-byte big-endian length
    /// k of its RSA block, which is the modulus size of the controller's key: 512 for the
    /// default RSA-4096, read from the repository's certificate
    /// (`infra/sealed-secrets/pub-cert.pem`) when there is one. A value that decodes to
    /// readable text is reported as base64 of a plaintext. No message ever quotes a value.
    ///
    /// ## Why is this bad?
    /// The controller cannot decrypt such a value: the SealedSecret goes `Synced: False`
    /// (`no key could decrypt secret`), Argo CD shows it Degraded, the credentials Secret is
    /// never created, and the CNPG role and the app that wait for it fail. The usual cause is
    /// worse than a broken sync: someone pasted `echo -n hunter2 | base64` into
    /// `encryptedData`, so the password now sits in git in clear. A wrong length prefix
    /// means the value was sealed for another controller's key (another cluster, an old
    /// 2048-bit key), which this controller can never decrypt.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// spec:
    ///   encryptedData:
    ///     username: AgBg6ztEd3Oub…      # real kubeseal output
    ///     password: cGFzc3dvcmQxMjM=     # base64 of the plaintext
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// spec:
    ///   encryptedData:
    ///     username: AgBg6ztEd3Oub…
    ///     password: AgCNeYWzHelCP…
    /// ```
    ///
    /// ## How to fix
    /// Seal the value with the cluster's certificate, for example
    /// `echo -n "$PASSWORD" | kubeseal --raw --from-file=/dev/stdin --cert
    /// infra/sealed-secrets/pub-cert.pem --namespace postgres --name <secret>`, or re-seal
    /// the whole Secret with
    /// `kubeseal --format yaml`, and paste the output unchanged on one line. If a plaintext
    /// was committed, rotate the credential: git history keeps it.
    pub struct SealedValueInvalid {
        id: "sealed-value-invalid",
        group: "secrets",
        level: Error,
        summary: "an encryptedData value is not sealed-secrets ciphertext for the repository's key",
        fix: (DisplayOnly, "prints the command that seals new values for this Secret"),
        check: check,
    }
}

/// RSA-OAEP overhead around the sealed value: the 2-byte length prefix and the GCM tag.
const PREFIX: usize = 2;
const TAG: usize = 16;

#[derive(Debug, PartialEq, Eq)]
enum Problem {
    Empty,
    /// Not base64; `why` is what is wrong with it, if it is a near miss.
    NotBase64 {
        why: Option<&'static str>,
        plaintext: bool,
    },
    /// Decodes to readable text.
    Plaintext,
    TooShort {
        len: usize,
    },
    /// Sealed for an RSA key of another size.
    OtherKeySize {
        prefix: usize,
    },
    BadPrefix {
        prefix: usize,
    },
}

fn inspect(value: &SealedValue, k: usize) -> Option<Problem> {
    let (len, prefix) = match *value {
        SealedValue::Templated => return None,
        SealedValue::Empty => return Some(Problem::Empty),
        SealedValue::NotBase64 { why, len } => {
            // Real ciphertext is at least this long; shorter non-base64 text is most likely
            // the value itself.
            let shortest = (PREFIX + k + TAG).div_ceil(3) * 4;
            return Some(Problem::NotBase64 {
                why,
                plaintext: why.is_none() && len < shortest,
            });
        }
        SealedValue::Base64 { text: true, .. } => return Some(Problem::Plaintext),
        SealedValue::Base64 { len, prefix, .. } => (len, prefix.map(usize::from)),
    };
    if let Some(prefix) = prefix
        && prefix != k
        && is_rsa_size(prefix)
        && len >= PREFIX + prefix + TAG
    {
        return Some(Problem::OtherKeySize { prefix });
    }
    if len < PREFIX + k + TAG {
        return Some(Problem::TooShort { len });
    }
    match prefix {
        Some(prefix) if prefix != k => Some(Problem::BadPrefix { prefix }),
        _ => None,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let certificate = &cx.project.certificate;
    let k = certificate.modulus_bytes();
    let path = &cx.config.certificate;
    let key = match certificate {
        Certificate::Found { .. } => format!("the RSA-{} key of `{path}`", k * 8),
        Certificate::Absent => format!(
            "the controller's default RSA-{} key (no certificate at `{path}`)",
            k * 8
        ),
        Certificate::Invalid { reason } => {
            format!(
                "the default RSA-{} key (the certificate `{path}` is unreadable: {reason})",
                k * 8
            )
        }
    };
    let reseal = format!(
        "seal the value again with `kubeseal --cert {path}` (`kubeseal --raw` for one value) and paste the output unchanged"
    );
    for (_, obj) in cx.all_objects() {
        let Spec::SealedSecret(sealed) = &obj.spec else {
            continue;
        };
        for entry in &sealed.encrypted {
            let Some(problem) = inspect(&entry.value, k) else {
                continue;
            };
            let what = format!(
                "`encryptedData.{}` of {}",
                entry.key.value,
                obj.display_name()
            );
            let leaked =
                format!("{reseal}; rotate the credential, since git history keeps the plaintext");
            let (message, help) = match problem {
                Problem::Empty => (
                    format!("{what} is empty, not sealed-secrets ciphertext"),
                    reseal.clone(),
                ),
                Problem::NotBase64 {
                    plaintext: true, ..
                } => (
                    format!("{what} is not base64 ciphertext: it looks like a plaintext value"),
                    leaked,
                ),
                Problem::NotBase64 { why, .. } => (
                    format!(
                        "{what} is not standard base64{}",
                        why.map(|w| format!(": {w}")).unwrap_or_default()
                    ),
                    format!(
                        "paste the value exactly as kubeseal printed it, on one line; or {reseal}"
                    ),
                ),
                Problem::Plaintext => (
                    format!(
                        "{what} is not sealed-secrets ciphertext: it looks like base64 of a plaintext value"
                    ),
                    leaked,
                ),
                Problem::TooShort { len } => (
                    format!(
                        "{what} is too short for sealed-secrets ciphertext: {len} bytes once decoded, at least {} for {key}",
                        PREFIX + k + TAG
                    ),
                    format!("the value was truncated or edited; {reseal}"),
                ),
                Problem::OtherKeySize { prefix } => (
                    format!("{what} was sealed for an RSA-{} key, not {key}", prefix * 8),
                    format!(
                        "the controller cannot decrypt it: {reseal} (`kubeseal --fetch-cert` prints the controller's current certificate)"
                    ),
                ),
                Problem::BadPrefix { prefix } => (
                    format!(
                        "{what} is not sealed-secrets ciphertext: its length prefix is {prefix}, expected {k} for {key}"
                    ),
                    format!("the value was edited or is not kubeseal output; {reseal}"),
                ),
            };
            out.push(
                Finding::new(entry.value_loc, message)
                    .field(cx.project, format!("spec.encryptedData.{}", entry.key.value))
                    .label("not sealed-secrets ciphertext")
                    .help(help)
                    .fix(cx.reseal(obj)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};

    fn inspect(value: &str, k: usize) -> Option<Problem> {
        super::inspect(&SealedValue::of(value), k)
    }

    fn sealed(prefix: u16, body: usize) -> Vec<u8> {
        let mut bytes = prefix.to_be_bytes().to_vec();
        bytes.extend((0..body).map(|i| (i * 7 + 3) as u8));
        bytes
    }

    #[test]
    fn real_ciphertext_passes() {
        let value = STANDARD.encode(sealed(512, 512 + 16 + 12));
        assert_eq!(inspect(&value, 512), None);
        // Line breaks are tolerated, as by Go's decoder.
        let wrapped = format!("{}\n{}\r\n", &value[..100], &value[100..]);
        assert_eq!(inspect(&wrapped, 512), None);
        // An empty plaintext is still structurally valid.
        assert_eq!(inspect(&STANDARD.encode(sealed(512, 512 + 16)), 512), None);
    }

    #[test]
    fn base64_of_a_plaintext() {
        assert_eq!(inspect("cGFzc3dvcmQxMjM=", 512), Some(Problem::Plaintext));
        let long = STANDARD.encode("x".repeat(2000));
        assert_eq!(inspect(&long, 512), Some(Problem::Plaintext));
    }

    #[test]
    fn plaintext_pasted_as_is() {
        assert_eq!(
            inspect("hunter2", 512),
            Some(Problem::NotBase64 {
                why: None,
                plaintext: true
            })
        );
        assert_eq!(inspect("", 512), Some(Problem::Empty));
    }

    #[test]
    fn near_miss_encodings() {
        let bytes = sealed(512, 512 + 16 + 5);
        let value = STANDARD.encode(&bytes);
        let spaced = format!("{} {}", &value[..50], &value[50..]);
        assert!(
            matches!(inspect(&spaced, 512), Some(Problem::NotBase64 { why: Some(w), .. }) if w.contains("spaces"))
        );
        let url = URL_SAFE.encode(&bytes);
        if url.contains(['-', '_']) {
            assert!(
                matches!(inspect(&url, 512), Some(Problem::NotBase64 { why: Some(w), .. }) if w.contains("URL-safe"))
            );
        }
        let unpadded = STANDARD_NO_PAD.encode(&bytes);
        assert!(
            matches!(inspect(&unpadded, 512), Some(Problem::NotBase64 { why: Some(w), .. }) if w.contains("padding"))
        );
    }

    #[test]
    fn sizes_and_prefixes() {
        assert_eq!(
            inspect(&STANDARD.encode(sealed(256, 256 + 16 + 8)), 512),
            Some(Problem::OtherKeySize { prefix: 256 })
        );
        assert_eq!(
            inspect(&STANDARD.encode(sealed(256, 256 + 16 + 8)), 256),
            None
        );
        assert_eq!(
            inspect(&STANDARD.encode(sealed(512, 100)), 512),
            Some(Problem::TooShort { len: 102 })
        );
        assert_eq!(
            inspect(&STANDARD.encode(sealed(0x1234, 600)), 512),
            Some(Problem::BadPrefix { prefix: 0x1234 })
        );
    }
}
