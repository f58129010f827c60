//! The sealed-secrets certificate: only the RSA modulus size matters to pglint (it is the
//! length prefix of every sealed value). A small DER walk reads it without a crypto stack.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Modulus size, in bytes, of the controller's default RSA-4096 key.
pub const DEFAULT_MODULUS_BYTES: usize = 512;

/// Reads the RSA modulus size (in bytes) of the first certificate in a PEM file.
pub fn rsa_modulus_bytes(pem: &str) -> Result<usize, String> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .map(str::trim)
        .collect();
    if body.is_empty() {
        return Err("no PEM `CERTIFICATE` block".into());
    }
    let der = STANDARD
        .decode(body)
        .map_err(|e| format!("certificate is not valid base64: {e}"))?;
    modulus_bytes_from_der(&der).ok_or_else(|| "certificate does not hold an RSA public key".into())
}

fn modulus_bytes_from_der(der: &[u8]) -> Option<usize> {
    let (certificate, _) = Tlv::read(der)?.expect(SEQUENCE)?;
    let (tbs, _) = Tlv::read(certificate)?.expect(SEQUENCE)?;
    let mut rest = tbs;
    // version [0] (optional), serialNumber, signature, issuer, validity, subject
    let first = Tlv::read(rest)?;
    rest = first.rest;
    let skip = if first.tag == 0xA0 { 5 } else { 4 };
    for _ in 0..skip {
        rest = Tlv::read(rest)?.rest;
    }
    let (spki, _) = Tlv::read(rest)?.expect(SEQUENCE)?;
    let algorithm = Tlv::read(spki)?;
    let (bits, _) = Tlv::read(algorithm.rest)?.expect(BIT_STRING)?;
    let key = bits.get(1..)?; // first byte: unused bit count
    let (rsa_key, _) = Tlv::read(key)?.expect(SEQUENCE)?;
    let (modulus, _) = Tlv::read(rsa_key)?.expect(INTEGER)?;
    let significant = modulus
        .iter()
        .position(|&b| b != 0)
        .map_or(0, |i| modulus.len() - i);
    (significant > 0).then_some(significant)
}

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const SEQUENCE: u8 = 0x30;

/// One DER tag-length-value and what follows it.
struct Tlv<'a> {
    tag: u8,
    value: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Tlv<'a> {
    fn read(input: &'a [u8]) -> Option<Tlv<'a>> {
        let (&tag, input) = input.split_first()?;
        let (&first, mut input) = input.split_first()?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let count = (first & 0x7f) as usize;
            if count == 0 || count > 4 {
                return None;
            }
            let (bytes, rest) = input.split_at_checked(count)?;
            input = rest;
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize)
        };
        let (value, rest) = input.split_at_checked(len)?;
        Some(Tlv { tag, value, rest })
    }

    fn expect(self, tag: u8) -> Option<(&'a [u8], &'a [u8])> {
        (self.tag == tag).then_some((self.value, self.rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_certificates() {
        assert!(rsa_modulus_bytes("hello").is_err());
        assert!(
            rsa_modulus_bytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .is_err()
        );
    }

    #[test]
    fn reads_the_example_certificate() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/example/infra/sealed-secrets/pub-cert.pem"
        );
        let pem = std::fs::read_to_string(path).expect("example certificate");
        assert_eq!(rsa_modulus_bytes(&pem), Ok(512));
    }
}
