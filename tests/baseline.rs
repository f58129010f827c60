//! `--write-baseline` / `--baseline` on the real binary: recorded findings stay quiet when
//! lines move, new findings are reported, and fixed ones are named so the baseline shrinks.

#[path = "common/env.rs"]
mod env;

#[path = "common/fs.rs"]
mod fs_util;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn pglint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("pglint").unwrap();
    env::plain_output(&mut cmd).current_dir(dir);
    cmd
}

fn rules(dir: &Path, extra: &[&str]) -> (i32, Vec<String>, String) {
    let output = pglint(dir)
        .args(["check", "--root", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["rule"].as_str().unwrap(),
                d["file"].as_str().unwrap()
            )
        })
        .collect();
    (
        output.status.code().unwrap(),
        rules,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn baseline_hides_known_findings_by_identity_not_line() {
    let repo = tempfile::tempdir().unwrap();
    fs_util::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example"),
        repo.path(),
    );
    let db = repo.path().join("infra/databases/postgres/wikijs-db.yaml");

    let (code, before, _) = rules(repo.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        before.iter().any(|r| r.starts_with("owner-role-missing")),
        "{before:?}"
    );

    pglint(repo.path())
        .args(["check", "--root", ".", "--write-baseline", "baseline.json"])
        .assert()
        .success();
    let baseline: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path().join("baseline.json")).unwrap())
            .unwrap();
    let entries = baseline["entries"].as_array().unwrap();
    let owner = entries
        .iter()
        .find(|e| e["rule"] == "owner-role-missing")
        .expect("entry");
    assert_eq!(owner["object"], "Database/postgres/wikijs-db");
    assert_eq!(owner["path"], "spec.owner");
    assert_eq!(owner["count"], 1);
    assert!(
        !baseline.to_string().contains("\"line\""),
        "no line numbers in a baseline"
    );

    // Known findings are quiet, also after unrelated lines moved them.
    let (code, after, _) = rules(repo.path(), &["--baseline", "baseline.json"]);
    assert_eq!((code, after.len()), (0, 0), "{after:?}");
    let text = std::fs::read_to_string(&db).unwrap();
    std::fs::write(&db, format!("# moved\n# down\n{text}")).unwrap();
    let (code, after, _) = rules(repo.path(), &["--baseline", "baseline.json"]);
    assert_eq!((code, after.len()), (0, 0), "{after:?}");

    // A new mistake is reported.
    let gitea = repo.path().join("infra/databases/postgres/gitea-db.yaml");
    let text = std::fs::read_to_string(&gitea).unwrap();
    std::fs::write(
        &gitea,
        text.replace("owner: gitea_user", "owner: gitea_usr"),
    )
    .unwrap();
    let (code, after, _) = rules(repo.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(
        after,
        ["owner-role-missing infra/databases/postgres/gitea-db.yaml"]
    );

    // A fixed finding is named as stale.
    let text = std::fs::read_to_string(&db).unwrap();
    std::fs::write(&db, text.replace("owner: wikijs_usr", "owner: wikijs_user")).unwrap();
    let (_, _, stderr) = rules(repo.path(), &["--baseline", "baseline.json"]);
    assert!(
        stderr.contains("owner-role-missing Database/postgres/wikijs-db spec.owner"),
        "{stderr}"
    );
}

#[test]
fn an_invalid_baseline_is_an_error() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("baseline.json"),
        "{\"version\": 9, \"entries\": []}",
    )
    .unwrap();
    pglint(repo.path())
        .args(["check", "--root", ".", "--baseline", "baseline.json"])
        .assert()
        .code(2);
    pglint(repo.path())
        .args(["check", "--root", ".", "--baseline", "missing.json"])
        .assert()
        .code(2);
}
