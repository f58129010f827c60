//! The CRDs pglint embeds are the upstream files, byte for byte: each one's sha256 is the one
//! `schemas/crds/PROVENANCE` records (with its repository, tag and commit), every embedded
//! file is listed there, and the copies in `../shared/crds/` (when present) are the same bytes.

use std::path::Path;

use pglint::schema::EMBEDDED;
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `file → (repository, commit, sha256)` from PROVENANCE.
fn provenance() -> Vec<(String, String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/crds/PROVENANCE");
    std::fs::read_to_string(path)
        .expect("schemas/crds/PROVENANCE")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 7, "a PROVENANCE row has 7 fields: {line}");
            (
                fields[0].to_string(),
                fields[1].to_string(),
                fields[3].to_string(),
                fields[6].to_string(),
            )
        })
        .collect()
}

#[test]
fn embedded_crds_match_their_recorded_provenance() {
    let rows = provenance();
    assert_eq!(
        rows.len(),
        EMBEDDED.len(),
        "one PROVENANCE row per embedded CRD"
    );
    for crd in EMBEDDED {
        let (_, repository, commit, sum) = rows
            .iter()
            .find(|(file, ..)| file == crd.file)
            .unwrap_or_else(|| panic!("{} has no PROVENANCE row", crd.file));
        assert_eq!(commit.len(), 40, "{}: a full commit id", crd.file);
        assert!(repository.contains('/'), "{}: owner/name", crd.file);
        assert_eq!(
            &sha256(crd.bytes),
            sum,
            "{} is not the recorded upstream file",
            crd.file
        );
    }
}

#[test]
fn embedded_crds_match_the_shared_reference_copies() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crds");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is absent in CI",
            shared.display()
        );
        eprintln!(
            "skipped: {} is absent (fresh clone without ../shared)",
            shared.display()
        );
        return;
    };
    let mut compared = 0;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".yaml") {
            continue;
        }
        let crd = EMBEDDED
            .iter()
            .find(|crd| crd.file == name)
            .unwrap_or_else(|| panic!("../shared/crds/{name} is not embedded"));
        let bytes = std::fs::read(entry.path()).unwrap();
        assert_eq!(
            sha256(&bytes),
            sha256(crd.bytes),
            "{name} differs from ../shared"
        );
        compared += 1;
    }
    assert!(
        compared >= 4,
        "the CNPG and SealedSecret CRDs are in ../shared/crds"
    );
}
