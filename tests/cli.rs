//! The real binary: exit codes, the JSON contract, `--root`, PATH filtering, rule selection,
//! configuration errors, `rules`, `explain`, `init`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

#[path = "common/fixture.rs"]
mod rule_fixture;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn pglint() -> Command {
    let mut cmd = Command::cargo_bin("pglint").expect("binary built");
    cmd.env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1");
    cmd
}

fn json(args: &[&str], dir: &Path) -> (i32, Value) {
    let output = pglint()
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code().unwrap(), value)
}

#[test]
fn conformant_repository_exits_zero() {
    let (code, report) = json(&["check", "--root", "."], &fixture("conformant"));
    assert_eq!(code, 0);
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 0);
    assert_eq!(report["summary"]["errors"], 0);
}

#[test]
fn json_contract_on_the_example() {
    let (code, report) = json(
        &["check", "--root", "fixtures/example"],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert_eq!(code, 1);
    assert_eq!(report["version"], 1);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let owner = diagnostics
        .iter()
        .find(|d| d["rule"] == "owner-role-missing")
        .expect("owner-role-missing reported");
    assert_eq!(owner["severity"], "error");
    assert_eq!(owner["file"], "infra/databases/postgres/wikijs-db.yaml");
    assert_eq!(
        (owner["line"].as_u64(), owner["column"].as_u64()),
        (Some(8), Some(10))
    );
    assert_eq!(
        (owner["end_line"].as_u64(), owner["end_column"].as_u64()),
        (Some(8), Some(19))
    );
    assert_eq!(owner["help"], "did you mean `wikijs_user`?");
    let related = &owner["related"][0];
    assert_eq!(
        related["file"],
        "infra/databases/postgres/postgres-cluster.yaml"
    );
    for key in ["line", "column", "end_line", "end_column", "message"] {
        assert!(!related[key].is_null(), "related.{key}");
    }
    let summary = &report["summary"];
    assert!(summary["files"].as_u64().unwrap() > 40);
    assert!(summary["documents"].as_u64().unwrap() >= summary["files"].as_u64().unwrap() - 5);
    assert_eq!(
        summary["errors"].as_u64().unwrap() as usize,
        diagnostics
            .iter()
            .filter(|d| d["severity"] == "error")
            .count()
    );
    // Sorted by file, line, column, rule.
    let keys: Vec<(String, u64, u64, String)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().into(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["rule"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn paths_filter_what_is_reported_but_the_whole_repository_is_loaded() {
    let example = fixture("example");
    // The broken Database is reported when its file is passed…
    let (code, report) = json(
        &[
            "check",
            "--root",
            ".",
            "infra/databases/postgres/wikijs-db.yaml",
        ],
        &example,
    );
    assert_eq!(code, 1);
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["rule"] == "owner-role-missing")
    );
    // …and when the Cluster it refers to is passed (a related location)…
    let (_, report) = json(
        &[
            "check",
            "--root",
            ".",
            "infra/databases/postgres/postgres-cluster.yaml",
        ],
        &example,
    );
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["rule"] == "owner-role-missing")
    );
    // …but not for an unrelated file, whose references still resolve.
    let (code, report) = json(
        &[
            "check",
            "--root",
            ".",
            "infra/databases/postgres/gitea-db.yaml",
        ],
        &example,
    );
    assert_eq!(code, 0, "{report}");
    assert!(report["diagnostics"].as_array().unwrap().is_empty());
}

#[test]
fn bad_invocations_exit_two() {
    pglint()
        .args(["check", "--root", "/definitely/not/here"])
        .assert()
        .code(2);
    pglint()
        .current_dir(fixture("conformant"))
        .args(["check", "--root", ".", "no-such-file.yaml"])
        .assert()
        .code(2);
    pglint().args(["check", "--format", "xml"]).assert().code(2);
    let explain = pglint()
        .args(["explain", "owner-role-mising"])
        .output()
        .unwrap();
    assert_eq!(explain.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&explain.stderr).contains("did you mean `owner-role-missing`?")
    );
    pglint()
        .current_dir(fixture("conformant"))
        .args(["check", "--root", ".", "--select", "nope"])
        .assert()
        .code(2);
}

#[test]
fn pglint_now_sets_the_time_dates_are_compared_with() {
    // `vaultwarden_user` has `validUntil: "2001-01-01T00:00:00Z"`.
    let dir = tempfile::tempdir().unwrap();
    rule_fixture::write("owner-role-locked", dir.path());
    let run = |now: Option<&str>| {
        let mut cmd = pglint();
        cmd.current_dir(dir.path())
            .args(["check", "--root", ".", "--format", "json"]);
        match now {
            Some(now) => cmd.env("PGLINT_NOW", now),
            None => cmd.env_remove("PGLINT_NOW"),
        };
        cmd.output().unwrap()
    };
    let rules = |output: &std::process::Output| -> Vec<String> {
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let today = run(None);
    assert_eq!(today.status.code(), Some(1));
    assert_eq!(rules(&today), ["owner-role-locked"]);
    let before = run(Some("2000-12-31T23:59:59Z"));
    assert_eq!(before.status.code(), Some(0));
    assert!(rules(&before).is_empty());
    let after = run(Some("2001-01-01T00:00:00+00:00"));
    assert_eq!(rules(&after), ["owner-role-locked"]);
    let bad = run(Some("yesterday"));
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("PGLINT_NOW"), "{stderr}");
}

#[test]
fn configuration_mistakes_point_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pglint.toml"),
        "[rules]\nowner-role-mising = \"off\"\n",
    )
    .unwrap();
    let output = pglint()
        .current_dir(dir.path())
        .args(["check", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown rule `owner-role-mising`"),
        "{stderr}"
    );
    assert!(stderr.contains("pglint.toml:2:1"), "{stderr}");
    assert!(
        stderr.contains("did you mean `owner-role-missing`?"),
        "{stderr}"
    );
}

#[test]
fn select_and_ignore_override_the_configuration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, report) = json(
        &[
            "check",
            "--root",
            "fixtures/example",
            "--ignore",
            "owner-role-missing",
        ],
        root,
    );
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["rule"] != "owner-role-missing")
    );
    let _ = code;
    let (_, report) = json(
        &[
            "check",
            "--root",
            "fixtures/example",
            "--select",
            "owner-role-missing",
        ],
        root,
    );
    let rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["owner-role-missing"]);
}

#[test]
fn human_output_shows_rule_snippet_related_file_and_summary() {
    let output = pglint()
        .args(["check", "--root", "fixtures/example"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "NO_COLOR output has escape codes");
    assert!(text.contains("owner-role-missing"));
    assert!(text.contains("8 │   owner: wikijs_usr"), "{text}");
    assert!(
        text.contains("infra/databases/postgres/postgres-cluster.yaml"),
        "{text}"
    );
    assert!(
        text.lines().last().unwrap().ends_with("in 46 files"),
        "{text}"
    );
    let quiet = pglint()
        .args(["check", "--root", "fixtures/example", "-q"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        !String::from_utf8(quiet.stdout)
            .unwrap()
            .contains("in 46 files")
    );
}

#[test]
fn rules_and_explain_come_from_the_registry() {
    let output = pglint()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The rules of `check`, then the live checks of `verify`.
    assert_eq!(
        list.as_array().unwrap().len(),
        pglint::rules::ALL.len() + pglint::rules::live::ALL.len()
    );
    let live = pglint().args(["explain", "live-drift"]).output().unwrap();
    assert_eq!(live.status.code(), Some(0));
    let live = String::from_utf8(live.stdout).unwrap();
    assert!(
        live.contains("Group: live (reported by `pglint verify`"),
        "{live}"
    );
    assert!(live.contains("## How to fix"), "{live}");
    let select = pglint()
        .args(["check", "--select", "live-drift"])
        .output()
        .unwrap();
    assert_eq!(select.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&select.stderr).contains("is a check of `pglint verify`"),
        "{}",
        String::from_utf8_lossy(&select.stderr)
    );
    let explain = pglint()
        .args(["explain", "owner-role-missing"])
        .output()
        .unwrap();
    let text = String::from_utf8(explain.stdout).unwrap();
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## How to fix",
    ] {
        assert!(text.contains(section), "{section}");
    }
}

#[test]
fn init_writes_a_config_that_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    pglint()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .success();
    assert!(dir.path().join("pglint.toml").exists());
    pglint()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(2);
    pglint()
        .current_dir(dir.path())
        .args(["check", "--root", "."])
        .assert()
        .success();
}

#[test]
fn render_a_file_shows_it_in_every_overlay_and_a_missing_path_is_exit_2() {
    let repo = fixture("render");
    let output = pglint()
        .current_dir(&repo)
        .args(["render", "overlays/base/gitea-db.yaml", "--root", "."])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let value: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["version"], 1);
    let mut seen: Vec<(String, String, String)> = value["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
            (
                text(&o["deployment"]),
                text(&o["namespace"]),
                text(&o["name"]),
            )
        })
        .collect();
    seen.sort();
    // The base itself is no deployment; the two overlays render it differently.
    assert_eq!(
        seen,
        [
            (
                "kustomization overlays/live".into(),
                "postgres".into(),
                "gitea-db".into()
            ),
            (
                "kustomization overlays/staging".into(),
                "postgres-staging".into(),
                "staging-gitea-db".into()
            ),
        ]
    );
    let live = &value["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["deployment"] == "kustomization overlays/live")
        .unwrap();
    assert_eq!(
        live["fields"]["owner"], "gitea",
        "the overlay's patch applies"
    );
    assert_eq!(live["source"]["file"], "overlays/base/gitea-db.yaml");

    let missing = pglint()
        .current_dir(&repo)
        .args(["render", "no/such/path", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
}
