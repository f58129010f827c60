//! The schemas pglint embeds are the upstream files, byte for byte: each one's sha256 is the one
//! `schemas/crds/PROVENANCE` (repository, tag and commit) or `schemas/kubernetes/PROVENANCE`
//! (PyPI package, version and wheel) records, every embedded file is listed there, and the CRD
//! copies in `../shared/crds/` (when present) are the same bytes.

use std::path::Path;

use pglint::schema::embedded::{DEFINITIONS, DEFINITIONS_FILE};
use pglint::schema::{Artefact, EMBEDDED};
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The rows of `schemas/<dir>/PROVENANCE`, each as its 7 tab-separated fields, the file's
/// name prefixed with `<dir>/` (as `EmbeddedCrd::file` names it).
fn provenance(dir: &str) -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schemas/{dir}/PROVENANCE"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
            assert_eq!(fields.len(), 7, "a PROVENANCE row has 7 fields: {line}");
            fields[0] = format!("{dir}/{}", fields[0]);
            fields
        })
        .collect()
}

fn row<'r>(rows: &'r [Vec<String>], file: &str) -> &'r [String] {
    rows.iter()
        .find(|row| row[0] == file)
        .unwrap_or_else(|| panic!("{file} has no PROVENANCE row"))
}

#[test]
fn embedded_crds_match_their_recorded_provenance() {
    // file, repository, tag, commit, path, git blob, sha256
    let crds = provenance("crds");
    // file, package, version, Kubernetes release, wheel sha256, member, sha256
    let builtin = provenance("kubernetes");
    assert_eq!(
        crds.len() + builtin.len(),
        EMBEDDED.len() + 1,
        "one PROVENANCE row per embedded schema, and one for the built-in kinds' definitions"
    );
    let definitions = row(&builtin, DEFINITIONS_FILE);
    assert_eq!(&sha256(DEFINITIONS), &definitions[6], "_definitions.json");
    assert!(definitions[5].ends_with("/_definitions.json"));
    for crd in EMBEDDED {
        let recorded = match crd.artefact {
            Artefact::Crd => {
                let row = row(&crds, crd.file);
                assert_eq!(row[3].len(), 40, "{}: a full commit id", crd.file);
                assert!(row[1].contains('/'), "{}: owner/name", crd.file);
                &row[6]
            }
            Artefact::KindSchema { version } => {
                let row = row(&builtin, crd.file);
                assert_eq!(row[4].len(), 64, "{}: the wheel's sha256", crd.file);
                assert!(
                    row[5].ends_with(&format!("-{version}.json")),
                    "{}: the wheel member of version {version}",
                    crd.file
                );
                assert!(
                    crd.release.contains(&row[3]) && crd.release.contains(&row[2]),
                    "{}: the release named is the recorded one",
                    crd.file
                );
                &row[6]
            }
        };
        assert_eq!(
            &sha256(crd.bytes),
            recorded,
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
            .find(|crd| crd.file == format!("crds/{name}"))
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
