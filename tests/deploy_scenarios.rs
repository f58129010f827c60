//! What deployments do to findings, beyond the snapshots of `fixtures/scenarios/`: a finding
//! depends on what an overlay does, never on what its folder is called or how folders sort.

#[path = "common/fs.rs"]
mod fs;

use std::collections::BTreeMap;
use std::path::Path;

use pglint::config::Config;
use pglint::engine::lint::lint;
use pglint::project::Project;

/// (rule, message with the overlay folders' names masked) → count.
fn findings(root: &Path, folders: &[&str]) -> BTreeMap<(String, String), usize> {
    let config = Config::default();
    let project = Project::load(root, &config).expect("loads");
    let mut counts = BTreeMap::new();
    for diagnostic in lint(&project, &config) {
        let mut message = diagnostic.finding.message.clone();
        for folder in folders {
            message = message.replace(folder, "<overlay>");
        }
        *counts
            .entry((diagnostic.rule.to_string(), message))
            .or_default() += 1;
    }
    counts
}

#[test]
fn renaming_overlay_folders_changes_no_finding() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/overlays-dev-live");
    let original = findings(&fixture, &["clusters/live"]);
    assert!(
        original
            .keys()
            .any(|(rule, _)| rule == "sealed-secret-moved"),
        "the live overlay breaks: {original:?}"
    );
    assert!(
        !original
            .keys()
            .any(|(_, message)| message.contains("clusters/dev")),
        "the dev overlay does not: {original:?}"
    );
    // The broken overlay renamed to sort first, then last, and the folders swapped.
    for (dev, live) in [
        ("aaa-dev", "aaa-live"),
        ("zzz-dev", "000-live"),
        ("live", "dev"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::copy_dir(&fixture, dir.path());
        let clusters = dir.path().join("clusters");
        std::fs::rename(clusters.join("dev"), clusters.join(format!("tmp-{dev}"))).unwrap();
        std::fs::rename(clusters.join("live"), clusters.join(live)).unwrap();
        std::fs::rename(clusters.join(format!("tmp-{dev}")), clusters.join(dev)).unwrap();
        let renamed = findings(dir.path(), &[&format!("clusters/{live}")]);
        assert_eq!(
            renamed, original,
            "dev in clusters/{dev}, live in clusters/{live}"
        );
    }
}
