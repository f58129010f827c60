//! Sealing values as `kubeseal` does, in process: no plaintext ever reaches the disk.
//!
//! The format (`shared/spec/domain/sealed-value-format.md`; sealed-secrets
//! `pkg/crypto/crypto.go` `HybridEncrypt`): per value a fresh 32-byte AES-256 session key,
//! encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256) under the label of the sealing scope; the
//! blob is the RSA ciphertext's length (2 bytes, big-endian), the RSA ciphertext, then the
//! value encrypted with AES-256-GCM under the session key with a zero nonce (the key is used
//! once), tag appended; the whole blob in padded standard base64.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::{Oaep, PublicKey as RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::DecodePem;
use zeroize::Zeroizing;

use crate::model::Scope;

/// The controller's public key, read from its certificate (`kubeseal --fetch-cert`).
#[derive(Debug, Clone)]
pub struct SealingKey {
    key: RsaPublicKey,
}

/// Why a certificate cannot seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertError {
    NotPem(String),
    NotRsa,
    /// Seconds since the Unix epoch.
    Expired {
        not_after: i64,
    },
    NotYetValid,
}

impl std::fmt::Display for CertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertError::NotPem(reason) => write!(f, "not a PEM certificate: {reason}"),
            CertError::NotRsa => f.write_str(
                "its public key is not RSA (the sealed-secrets controller uses RSA; kubeseal refuses other keys)",
            ),
            CertError::Expired { not_after } => write!(
                f,
                "it expired {} (kubeseal refuses an expired certificate; the controller renews its key every 30 days: fetch the current one)",
                crate::model::time::format_date(*not_after)
            ),
            CertError::NotYetValid => f.write_str("it is not valid yet"),
        }
    }
}

/// `rsaEncryption`, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

impl SealingKey {
    /// The RSA key of the first certificate of `pem`, refused when `now` (seconds since the
    /// Unix epoch) is outside its validity (as kubeseal's `ParseKey` refuses it) or when it is
    /// not RSA.
    pub fn from_pem(pem: &[u8], now: i64) -> Result<SealingKey, CertError> {
        let certificate =
            Certificate::from_pem(pem).map_err(|e| CertError::NotPem(e.to_string()))?;
        let tbs = certificate.tbs_certificate();
        let validity = tbs.validity();
        let seconds = |time: x509_cert::time::Time| {
            i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        let not_after = seconds(validity.not_after);
        if now > not_after {
            return Err(CertError::Expired { not_after });
        }
        if now < seconds(validity.not_before) {
            return Err(CertError::NotYetValid);
        }
        let spki = tbs.subject_public_key_info();
        if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
            return Err(CertError::NotRsa);
        }
        let der =
            x509_cert::der::Encode::to_der(spki).map_err(|e| CertError::NotPem(e.to_string()))?;
        let key = <RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(&der)
            .map_err(|_| CertError::NotRsa)?;
        Ok(SealingKey { key })
    }

    /// Seals `value` for the Secret `namespace/name` under `scope`, with randomness from the
    /// operating system.
    pub fn seal(
        &self,
        value: &[u8],
        scope: Scope,
        namespace: &str,
        name: &str,
    ) -> Result<String, String> {
        let mut session_key = Zeroizing::new([0u8; 32]);
        getrandom::fill(session_key.as_mut()).map_err(|e| format!("no randomness: {e}"))?;
        let label = label(scope, namespace, name);
        let mut rng = getrandom::SysRng;
        let sealed_key = self
            .key
            .encrypt(
                &mut rng,
                Oaep::<Sha256>::new_with_label(label.into_bytes()),
                session_key.as_ref(),
            )
            .map_err(|e| format!("RSA-OAEP failed: {e}"))?;
        let cipher = Aes256Gcm::new_from_slice(session_key.as_ref())
            .map_err(|e| format!("AES-GCM key: {e}"))?;
        let sealed_value = cipher
            .encrypt(&Nonce::default(), value)
            .map_err(|e| format!("AES-GCM failed: {e}"))?;
        let length = u16::try_from(sealed_key.len()).map_err(|_| "RSA key too large")?;
        let mut blob = Vec::with_capacity(2 + sealed_key.len() + sealed_value.len());
        blob.extend_from_slice(&length.to_be_bytes());
        blob.extend_from_slice(&sealed_key);
        blob.extend_from_slice(&sealed_value);
        Ok(STANDARD.encode(blob))
    }
}

/// The OAEP label of a scope (`EncryptionLabel` in `sealedsecret_expansion.go`): the
/// ciphertext decrypts only for this namespace and name (strict), namespace, or anywhere.
pub fn label(scope: Scope, namespace: &str, name: &str) -> String {
    match scope {
        Scope::Strict => format!("{namespace}/{name}"),
        Scope::NamespaceWide => namespace.to_string(),
        Scope::ClusterWide => String::new(),
    }
}

/// A password for a connection string: `length` characters of the URL-safe alphabet
/// (RFC 4648 §5), uniformly from the operating system's CSPRNG (rejection sampling).
pub fn generate_password(length: usize) -> Result<Zeroizing<String>, String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut password = Zeroizing::new(String::with_capacity(length));
    let mut bytes = Zeroizing::new([0u8; 64]);
    while password.len() < length {
        getrandom::fill(bytes.as_mut()).map_err(|e| format!("no randomness: {e}"))?;
        // 64 symbols: the low six bits of a byte are uniform.
        for &byte in bytes.iter() {
            if password.len() == length {
                break;
            }
            password.push(char::from(ALPHABET[usize::from(byte & 0x3F)]));
        }
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::parse_rfc3339;
    use rsa::PrivateKey as RsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;

    const CERT: &[u8] = include_bytes!("../fixtures/sealing/test-only-cert.pem");
    const KEY: &str = include_str!("../fixtures/sealing/test-only-private-key.pem");

    fn now() -> i64 {
        parse_rfc3339("2030-06-01T00:00:00Z").unwrap()
    }

    /// The controller's `HybridDecrypt`, for the round trip.
    fn unseal(text: &str, label: &str) -> Vec<u8> {
        let key = RsaPrivateKey::from_pkcs8_pem(KEY).unwrap();
        let blob = STANDARD.decode(text).unwrap();
        let k = usize::from(u16::from_be_bytes([blob[0], blob[1]]));
        let session = key
            .decrypt(
                Oaep::<Sha256>::new_with_label(label.as_bytes().to_vec()),
                &blob[2..2 + k],
            )
            .unwrap();
        Aes256Gcm::new_from_slice(&session)
            .unwrap()
            .decrypt(&Nonce::default(), &blob[2 + k..])
            .unwrap()
    }

    #[test]
    fn round_trip_under_each_scope() {
        let key = SealingKey::from_pem(CERT, now()).unwrap();
        for (scope, label) in [
            (Scope::Strict, "postgres/gitea-db-creds"),
            (Scope::NamespaceWide, "postgres"),
            (Scope::ClusterWide, ""),
        ] {
            let sealed = key
                .seal(b"s3cret", scope, "postgres", "gitea-db-creds")
                .unwrap();
            assert!(sealed.starts_with("Ag"), "a 4096-bit key: prefix 0x0200");
            assert_eq!(unseal(&sealed, label), b"s3cret");
        }
        // Fresh randomness each time.
        let a = key.seal(b"x", Scope::Strict, "n", "s").unwrap();
        let b = key.seal(b"x", Scope::Strict, "n", "s").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn refuses_expired_early_and_non_rsa_certificates() {
        let late = parse_rfc3339("2040-01-01T00:00:00Z").unwrap();
        assert!(matches!(
            SealingKey::from_pem(CERT, late),
            Err(CertError::Expired { .. })
        ));
        let early = parse_rfc3339("2001-01-01T00:00:00Z").unwrap();
        assert_eq!(
            SealingKey::from_pem(CERT, early).unwrap_err(),
            CertError::NotYetValid
        );
        let ec = include_bytes!("../fixtures/sealing/ec-cert.pem");
        assert_eq!(
            SealingKey::from_pem(ec, now()).unwrap_err(),
            CertError::NotRsa
        );
        assert!(matches!(
            SealingKey::from_pem(b"nope", now()),
            Err(CertError::NotPem(_))
        ));
    }

    #[test]
    fn passwords_are_url_safe_and_random() {
        let a = generate_password(32).unwrap();
        let b = generate_password(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(*a, *b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
