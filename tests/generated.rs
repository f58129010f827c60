//! Generated SOP repositories (`tests/common/synth.rs`, the benchmark's generator): hundreds of
//! conformant apps with realistic sealed values report nothing, mistakes made in them are
//! found, and the output does not depend on the number of threads.

#[path = "common/synth.rs"]
mod synth;

use std::path::Path;

use assert_cmd::Command;
use pglint::config::Config;
use pglint::engine::lint::lint;
use pglint::project::Project;

#[test]
fn a_large_conformant_repository_reports_nothing() {
    let repo = tempfile::tempdir().unwrap();
    let stats = synth::write_sop_repo(repo.path(), 300, 7).unwrap();
    assert!(stats.files > 1_800, "{stats:?}");
    let config = Config::default();
    let project = Project::load(repo.path(), &config).unwrap();
    let diagnostics = lint(&project, &config);
    let rules: Vec<&str> = diagnostics.iter().map(|d| d.rule.as_str()).collect();
    assert!(rules.is_empty(), "{rules:?}");
}

fn check_json(root: &Path, threads: &str) -> String {
    let output = Command::cargo_bin("pglint")
        .unwrap()
        .env("RAYON_NUM_THREADS", threads)
        .args(["check", "--root"])
        .arg(root)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let repo = tempfile::tempdir().unwrap();
    synth::write_sop_repo(repo.path(), 120, 11).unwrap();
    let apps = synth::app_names(120, 11);
    // Break a few chains in different ways so several rules report, in several files.
    for (i, app) in apps.iter().enumerate().step_by(17) {
        let db = repo
            .path()
            .join("infra/databases/postgres")
            .join(app.db_file());
        let text = std::fs::read_to_string(&db).unwrap();
        let broken = match i % 3 {
            0 => text.replace(&format!("owner: {}", app.role()), "owner: nobody"),
            1 => text.replace("name: postgres-shared", "name: postgres-shard"),
            _ => text.replace(
                "argocd.argoproj.io/sync-wave: \"2\"",
                "argocd.argoproj.io/sync-wave: \"1\"",
            ),
        };
        assert_ne!(broken, text, "the mutation applies to {}", app.db_file());
        std::fs::write(&db, broken).unwrap();
    }
    let single = check_json(repo.path(), "1");
    assert!(
        single.contains("owner-role-missing") && single.contains("cluster-missing"),
        "{single}"
    );
    for threads in ["2", "4"] {
        assert_eq!(
            check_json(repo.path(), threads),
            single,
            "output with {threads} threads differs"
        );
    }
}
