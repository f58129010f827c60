//! The real binary: exit codes, the JSON contract, `--root`, PATH filtering, rule selection,
//! configuration errors, `rules`, `explain`, `init`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

#[path = "common/env.rs"]
mod env;

#[path = "common/fixture.rs"]
mod rule_fixture;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn pglint() -> Command {
    let mut cmd = Command::cargo_bin("pglint").expect("binary built");
    env::plain_output(&mut cmd);
    cmd
}

/// The rule ids of a JSON report's diagnostics, in order.
fn rules_of(report: &Value) -> Vec<&str> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect()
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
    let rules = rules_of(&report);
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
        pglint::rules::ALL.len() + pglint::rules::live::all().count()
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

/// The repository's own CRD of a kind replaces the embedded one; the JSON summary names the
/// CRD each kind was validated against, and a notice says which one the repository's replaced.
#[test]
fn the_repository_crd_of_a_kind_wins_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    rule_fixture::write("schema-unknown-field--repository-crd", dir.path());
    let (_, report) = json(&["check", "--root", "."], dir.path());
    let rules = rules_of(&report);
    // `databaseReclaimPolicy: archive` only the repository's CRD allows: no schema-invalid.
    assert_eq!(rules, ["schema-unknown-field"], "{report}");
    let schemas = report["summary"]["schemas"].as_array().unwrap();
    let source = |kind: &str| {
        schemas
            .iter()
            .find(|s| s["group"] == "postgresql.cnpg.io" && s["kind"] == kind)
            .map(|s| s["source"].as_str().unwrap().to_string())
    };
    assert_eq!(
        source("Database").as_deref(),
        Some("repository infra/crds/postgresql.cnpg.io_databases.yaml:2")
    );
    assert_eq!(
        source("Cluster").as_deref(),
        Some("embedded CloudNativePG v1.30.0")
    );
    let notices = report["summary"]["notices"].as_array().unwrap();
    assert!(
        notices.iter().any(|n| n.as_str().unwrap().starts_with(
            "`infra/crds/postgresql.cnpg.io_databases.yaml:2` holds the CustomResourceDefinition `databases.postgresql.cnpg.io`: pglint validates postgresql.cnpg.io Database objects against it instead of its embedded CRD (CloudNativePG v1.30.0)"
        )),
        "{notices:?}"
    );
    // `explain` of a schema rule names the embedded CRDs; another rule's does not.
    let explain = |rule: &str| {
        let output = pglint().args(["explain", rule]).output().unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let listed = "  postgresql.cnpg.io/v1 Database: CloudNativePG v1.30.0\n";
    assert!(explain("schema-invalid").contains(listed));
    assert!(!explain("owner-role-missing").contains(listed));
}

/// A repository CRD of a kind pglint embeds none of, in a group it embeds CRDs of (CNPG's
/// `Publication`): its objects are validated against it, and the notice and summary say so.
#[test]
fn a_repository_crd_of_a_kind_not_embedded_is_used_and_named() {
    let dir = tempfile::tempdir().unwrap();
    rule_fixture::write("schema-unknown-field--repository-crd-new-kind", dir.path());
    let (_, report) = json(&["check", "--root", "."], dir.path());
    assert_eq!(rules_of(&report), ["schema-unknown-field"], "{report}");
    let schemas = report["summary"]["schemas"].as_array().unwrap();
    assert!(
        schemas.iter().any(|s| s["group"] == "postgresql.cnpg.io"
            && s["kind"] == "Publication"
            && s["source"] == "repository infra/crds/postgresql.cnpg.io_publications.yaml:3"),
        "{schemas:?}"
    );
    let notices = report["summary"]["notices"].as_array().unwrap();
    assert!(
        notices.iter().any(|n| n.as_str().unwrap()
            == "`infra/crds/postgresql.cnpg.io_publications.yaml:3` holds the CustomResourceDefinition `publications.postgresql.cnpg.io`: pglint validates postgresql.cnpg.io Publication objects against it (pglint embeds no CRD of this kind)"),
        "{notices:?}"
    );
}

#[test]
fn findings_that_follow_from_a_parse_error_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    rule_fixture::write("yaml-syntax--cluster", dir.path());
    let output = pglint()
        .current_dir(dir.path())
        .args(["check", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = rules_of(&report);
    assert_eq!(rules, ["yaml-syntax"]);
    assert_eq!(report["version"], 1);
    assert_eq!(report["summary"]["skipped"], 4);
    let notices = report["summary"]["notices"].as_array().unwrap();
    assert!(
        notices[0]
            .as_str()
            .unwrap()
            .starts_with("4 findings not reported: infra/databases/postgres/postgres-cluster.yaml could not be parsed"),
        "{notices:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pglint: note: 4 findings not reported"),
        "{stderr}"
    );
    // The human summary line says it too.
    let human = pglint()
        .current_dir(dir.path())
        .args(["check", "--root", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&human.stdout);
    assert!(
        stdout.contains("1 error, 0 warnings in 11 files; 4 findings skipped"),
        "{stdout}"
    );
    // A clean run has neither field: the contract only grows optional fields.
    let (_, clean) = json(&["check", "--root", "."], &fixture("conformant"));
    assert!(clean["summary"].get("skipped").is_none());
    assert!(clean["summary"].get("notices").is_none());
}

#[test]
fn configuration_is_found_from_the_working_directory_up_and_others_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    rule_fixture::write("owner-role-missing", repo);
    std::fs::create_dir(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("apps/wiki")).unwrap();
    std::fs::write(
        repo.join("apps/wiki/pglint.toml"),
        "[rules]\nowner-role-missing = \"off\"\n",
    )
    .unwrap();
    // From the root: the nested file is not read, and a note says so.
    let from_root = pglint()
        .current_dir(repo)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(from_root.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&from_root.stdout).unwrap();
    let notices = report["summary"]["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0]
            .as_str()
            .unwrap()
            .starts_with("`apps/wiki/pglint.toml` is ignored"),
        "{notices:?}"
    );
    let stderr = String::from_utf8_lossy(&from_root.stderr);
    assert!(
        stderr.contains("pglint: note: `apps/wiki/pglint.toml` is ignored"),
        "{stderr}"
    );
    // From its folder: it is the configuration, found upward; the root is still the
    // repository's.
    let from_folder = pglint()
        .current_dir(repo.join("apps/wiki"))
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(from_folder.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&from_folder.stdout).unwrap();
    assert!(report["summary"].get("notices").is_none(), "{report}");
    // `init` from a folder writes at the root.
    pglint()
        .current_dir(repo.join("apps"))
        .arg("init")
        .assert()
        .success();
    assert!(repo.join("pglint.toml").is_file());
    assert!(!repo.join("apps/pglint.toml").exists());
}

#[test]
fn an_sop_folder_that_does_not_exist_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    rule_fixture::write("owner-role-missing", repo);
    std::fs::write(
        repo.join("pglint.toml"),
        "sop-folder = \"infra/db/postgres\"\n",
    )
    .unwrap();
    let (code, report) = json(&["check", "--root", "."], repo);
    assert_eq!(code, 1);
    let notices = report["summary"]["notices"].as_array().unwrap();
    assert!(
        notices[0]
            .as_str()
            .unwrap()
            .starts_with("the SOP folder `infra/db/postgres` does not exist"),
        "{notices:?}"
    );
}

/// The pattern of a `--format concise` line, as the README documents it.
const CONCISE: &str = r"^(.+):([0-9]+):([0-9]+): (error|warning)\[([a-z0-9-]+)\] (.*)$";

fn stdout(args: &[&str]) -> (i32, String) {
    let output = pglint()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    (output.status.code().unwrap(), text)
}

fn json_at(args: &[&str]) -> Value {
    json(args, Path::new(env!("CARGO_MANIFEST_DIR"))).1
}

#[test]
fn concise_lines_match_the_documented_pattern() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains(CONCISE), "the README documents {CONCISE}");
    let pattern = regex::Regex::new(CONCISE).unwrap();
    let args = ["check", "--root", "fixtures/example", "--format", "concise"];
    let (code, text) = stdout(&args);
    assert_eq!(code, 1, "exit code as for any format");
    let report = json_at(&args[..3]);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), diagnostics.len() + 1, "{text}");
    for (line, d) in lines.iter().zip(diagnostics) {
        let found = pattern
            .captures(line)
            .unwrap_or_else(|| panic!("{line:?} does not match {CONCISE}"));
        let message = d["message"].as_str().unwrap().replace('\n', " ");
        let expected = [
            d["file"].as_str().unwrap().to_string(),
            d["line"].to_string(),
            d["column"].to_string(),
            d["severity"].as_str().unwrap().to_string(),
            d["rule"].as_str().unwrap().to_string(),
            message,
        ];
        for (i, expected) in expected.iter().enumerate() {
            assert_eq!(&found[i + 1], expected, "{line}");
        }
    }
    assert_eq!(lines.last().unwrap(), &"3 errors, 0 warnings in 46 files");
    let (_, quiet) = stdout(&[&args[..], &["-q"]].concat());
    assert_eq!(quiet.lines().count(), diagnostics.len(), "{quiet}");
    let (code, clean) = stdout(&[
        "check",
        "--root",
        "fixtures/conformant",
        "--format",
        "concise",
    ]);
    assert_eq!((code, clean.lines().count()), (0, 1), "{clean}");
}

#[test]
fn statistics_count_the_findings_per_rule() {
    for root in ["fixtures/example", "fixtures/scenarios/app-of-apps"] {
        let findings = json_at(&["check", "--root", root]);
        let mut expected: Vec<(u64, String, String)> = Vec::new();
        for d in findings["diagnostics"].as_array().unwrap() {
            let (rule, severity) = (d["rule"].as_str().unwrap(), d["severity"].as_str().unwrap());
            match expected.iter_mut().find(|(_, r, _)| r == rule) {
                Some(row) => row.0 += 1,
                None => expected.push((1, rule.into(), severity.into())),
            }
        }
        // Most findings first, then by rule id.
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        assert!(!expected.is_empty(), "{root}");

        let stats = json_at(&["check", "--root", root, "--statistics"]);
        assert_eq!(stats["version"], 1);
        assert_eq!(stats["summary"], findings["summary"]);
        let rows: Vec<(u64, String, String)> = stats["statistics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let text = |key: &str| s[key].as_str().unwrap().to_string();
                (s["count"].as_u64().unwrap(), text("rule"), text("severity"))
            })
            .collect();
        assert_eq!(rows, expected, "{root}");

        let (code, table) = stdout(&["check", "--root", root, "--statistics"]);
        assert_eq!(code, if root.ends_with("example") { 1 } else { 0 });
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["rule", "severity", "count"]
        );
        for ((count, rule, severity), line) in expected.iter().zip(&lines[1..]) {
            let cells: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(
                cells,
                [rule.as_str(), severity, &count.to_string()],
                "{table}"
            );
        }
        assert!(!table.contains('│'), "no findings, only counts: {table}");
        assert!(lines.last().unwrap().ends_with(" files"), "{table}");
    }
    let sarif = pglint()
        .args(["check", "--root", "fixtures/example", "--statistics"])
        .args(["--format", "sarif"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(sarif.status.code(), Some(2), "statistics are human or JSON");
}

#[test]
fn select_and_ignore_take_comma_separated_lists() {
    let rules = |args: &[&str]| -> Vec<String> {
        let report = json_at(&[&["check", "--root", "fixtures/example"], args].concat());
        let mut rules: Vec<String> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["rule"].as_str().unwrap().to_string())
            .collect();
        rules.sort();
        rules
    };
    assert_eq!(
        rules(&["--select", "owner-role-missing,sync-wave-missing"]),
        ["owner-role-missing", "sync-wave-missing"]
    );
    assert_eq!(
        rules(&[
            "--select",
            "owner-role-missing",
            "--select",
            "reflector-placement"
        ]),
        ["owner-role-missing", "reflector-placement"]
    );
    assert_eq!(
        rules(&["--ignore", "owner-role-missing,sync-wave-missing"]),
        ["reflector-placement"]
    );
    let (code, _) = stdout(&["check", "--root", "fixtures/example", "--select", "a,b"]);
    assert_eq!(code, 2, "each listed rule must exist");
}

#[test]
fn short_output_flag_writes_json_unless_a_format_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report");
    // Not `github` on GitHub Actions: the file gets the JSON contract, stdout the human report.
    let output = pglint()
        .env("GITHUB_ACTIONS", "true")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--root", "fixtures/example", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("::error"), "{stdout}");
    assert!(stdout.contains("8 │   owner: wikijs_usr"), "{stdout}");
    let text = std::fs::read_to_string(&file).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(report["version"], 1);
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 3);

    let output = pglint()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "--root",
            "fixtures/example",
            "--format",
            "concise",
            "-o",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("infra/databases/postgres/"), "{text}");
}

/// Standard output of `check` on the example with these environment variables (the test
/// helper's `NO_COLOR=1` included unless removed) and arguments.
fn styled(vars: &[(&str, Option<&str>)], args: &[&str]) -> String {
    let mut cmd = pglint();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--root", "fixtures/example"])
        .args(args);
    for (name, value) in vars {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

#[test]
fn colour_follows_the_flag_then_force_color_then_no_color() {
    let colored = |text: &str| text.contains("\u{1b}[");
    // FORCE_COLOR wins over NO_COLOR (force-color.org); the flag wins over both.
    assert!(colored(&styled(&[("FORCE_COLOR", Some("1"))], &[])));
    assert!(colored(&styled(&[("FORCE_COLOR", Some("true"))], &[])));
    assert!(!colored(&styled(
        &[("FORCE_COLOR", Some("1"))],
        &["--color", "never"]
    )));
    assert!(!colored(&styled(&[("FORCE_COLOR", Some("0"))], &[])));
    assert!(!colored(&styled(&[("FORCE_COLOR", Some(""))], &[])));
    // CLICOLOR_FORCE forces colour unless NO_COLOR is set.
    assert!(colored(&styled(
        &[("CLICOLOR_FORCE", Some("1")), ("NO_COLOR", None)],
        &[]
    )));
    assert!(!colored(&styled(&[("CLICOLOR_FORCE", Some("1"))], &[])));
    assert!(colored(&styled(
        &[("NO_COLOR", Some("1"))],
        &["--color", "always"]
    )));
    // Not a terminal: no colour by default.
    assert!(!colored(&styled(&[("NO_COLOR", None)], &[])));
    // Machine formats never have colour.
    let forced = styled(&[("FORCE_COLOR", Some("1"))], &["--format", "concise"]);
    assert!(!colored(&forced), "{forced}");
}

#[test]
fn term_dumb_means_ascii_drawing() {
    let dumb = styled(&[("TERM", Some("dumb"))], &[]);
    assert!(dumb.contains("8 |   owner: wikijs_usr"), "{dumb}");
    assert!(dumb.is_ascii(), "{dumb}");
    let plain = styled(&[("TERM", Some("xterm-256color"))], &[]);
    assert!(plain.contains("8 │   owner: wikijs_usr"), "{plain}");
}

#[test]
fn human_output_names_the_severity_and_wraps_at_spaces_outside_code_spans() {
    let wide = styled(&[], &[]);
    assert!(wide.contains("\nerror[owner-role-missing] [*]\n"), "{wide}");
    for columns in ["60", "44"] {
        let width: usize = columns.parse().unwrap();
        let text = styled(&[("COLUMNS", Some(columns))], &[]);
        assert_ne!(text, wide, "COLUMNS={columns} changes the wrapping");
        let mut prose = 0;
        for line in text.lines() {
            // Every code span opens and closes on the same line.
            assert_eq!(line.matches('`').count() % 2, 0, "{line:?} in\n{text}");
            let Some(content) = ["  × ", "  │ ", "  help: ", "        "]
                .iter()
                .find_map(|indent| line.strip_prefix(indent))
            else {
                continue;
            };
            prose += 1;
            // Past the width only when it holds one word: no space outside a code span.
            let mut in_code = false;
            let breakable = content.trim().chars().any(|c| {
                in_code ^= c == '`';
                c == ' ' && !in_code
            });
            assert!(
                line.chars().count() <= width || !breakable,
                "{line:?} is longer than {width} columns"
            );
        }
        assert!(prose > 10, "{text}");
        // Names with hyphens are never split.
        assert!(text.contains("`reflection-allowed-namespaces`"), "{text}");
    }
}

#[test]
fn rules_show_the_configured_level() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pglint.toml"),
        "[rules]\nowner-role-missing = \"off\"\nsecret-type = \"warning\"\n",
    )
    .unwrap();
    let output = pglint()
        .args(["rules", "--format", "json", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rule = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    let owner = rule("owner-role-missing");
    assert_eq!(
        (&owner["level"], &owner["severity"]),
        (&"off".into(), &"error".into())
    );
    let secret_type = rule("secret-type");
    assert_eq!(
        (&secret_type["level"], &secret_type["severity"]),
        (&"warning".into(), &"off".into())
    );
    let unchanged = rule("sync-wave-missing");
    assert_eq!(unchanged["level"], unchanged["severity"]);

    // The same with `--config`, in the table.
    let config = dir.path().join("pglint.toml");
    let output = pglint()
        .current_dir(dir.path())
        .args(["rules", "--root", ".", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let table = String::from_utf8(output.stdout).unwrap();
    let row = |id: &str| -> Vec<String> {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} in {table}"));
        line.split_whitespace().take(3).map(String::from).collect()
    };
    assert_eq!(
        table
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["rule", "level", "default", "summary"]
    );
    assert_eq!(
        row("owner-role-missing"),
        ["owner-role-missing", "off", "error"]
    );
    assert_eq!(row("secret-type"), ["secret-type", "warning", "off"]);

    // A broken configuration is exit 2, as for `check`.
    std::fs::write(&config, "[rules]\nowner-role-mising = \"off\"\n").unwrap();
    let output = pglint()
        .args(["rules", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// `git init` in `dir`: a checkout with no remote.
fn git_init(dir: &Path) {
    let status = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success());
}

/// Copies a fixture repository to a new temporary folder.
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = fixture(name);
    for entry in walk(&from) {
        let to = dir.path().join(entry.strip_prefix(&from).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &to).unwrap();
    }
    dir
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_checkout_without_a_remote_still_builds_its_applications() {
    // The example names its repository in `[deploy] repo-urls`; a fresh `git init` of it
    // without that line must find the same mistakes, saying what it assumed.
    let (_, with_urls) = json(&["check", "--root", "."], &fixture("example"));
    let dir = copy_fixture("example");
    std::fs::write(dir.path().join("pglint.toml"), "").unwrap();
    git_init(dir.path());
    let (code, report) = json(&["check"], dir.path());
    assert_eq!(code, 1);
    let rules = |report: &Value| -> Vec<String> {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("{} {}", d["rule"], d["location"]["file"]))
            .collect()
    };
    assert_eq!(rules(&report), rules(&with_urls));
    // One notice for the URL all of them name, with how many Applications rest on it.
    let notices = report["summary"]["notices"].as_array().unwrap();
    let assumed: Vec<&str> = notices
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| n.contains("taken to be this repository"))
        .collect();
    assert_eq!(
        assumed,
        [
            "6 Applications name `https://github.com/example/homelab-gitops.git`, taken to be this repository because their paths exist here and no git remote names it (e.g. gitea (ApplicationSet apps), home-assistant (ApplicationSet apps), nextcloud (ApplicationSet apps) and 3 more); list it in `[deploy] repo-urls` to say so"
        ],
        "{notices:?}"
    );
}

#[test]
fn applications_of_no_known_repository_are_said_and_fail_deny_warnings() {
    // An Application whose folder is not in this checkout and no remote: nothing is known to
    // deploy the repository, so its kustomizations are judged on their own, and said so.
    let dir = copy_fixture("conformant");
    std::fs::create_dir_all(dir.path().join("argocd")).unwrap();
    std::fs::write(
        dir.path().join("argocd/dbs.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: dbs\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/other.git\n    path: elsewhere\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: postgres\n",
    )
    .unwrap();
    git_init(dir.path());
    let (code, report) = json(&["check"], dir.path());
    assert_eq!(code, 0, "{report}");
    let notices: Vec<&str> = report["summary"]["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("no Argo CD Application or Flux Kustomization is known")),
        "{notices:?}"
    );
    let (code, _) = json(&["check", "--deny-warnings"], dir.path());
    assert_eq!(code, 1);
}

#[test]
fn a_kustomization_listing_its_parent_folder_fails_check() {
    // The acceptance case of issue #18: a cycle through `..`, in a checkout with no remote.
    let dir = copy_fixture("conformant");
    let sop = dir.path().join("infra/databases/postgres");
    std::fs::create_dir_all(sop.join("loop")).unwrap();
    std::fs::write(sop.join("loop/kustomization.yaml"), "resources:\n  - ..\n").unwrap();
    let mut kustomization = std::fs::read_to_string(sop.join("kustomization.yaml")).unwrap();
    kustomization.push_str("  - loop\n");
    std::fs::write(sop.join("kustomization.yaml"), kustomization).unwrap();
    git_init(dir.path());
    let (code, report) = json(&["check"], dir.path());
    assert_eq!(code, 1);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{report}");
    assert_eq!(diagnostics[0]["rule"], "kustomize-build-refused");
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("cycle")
    );
}

/// `expected` is one of `check`'s notices, in the JSON summary and on stderr; the JSON report.
fn notice_is_said(repo: &Path, expected: &str) -> (i32, Value) {
    let (code, report) = json(&["check", "--root", "."], repo);
    let notices = report["summary"]["notices"].as_array().unwrap();
    assert!(
        notices.iter().any(|n| n.as_str() == Some(expected)),
        "{notices:?}"
    );
    let human = pglint()
        .current_dir(repo)
        .args(["check", "--root", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(stderr.contains(&format!("note: {expected}")), "{stderr}");
    (code, report)
}

/// A child Application an app of apps' `directory.include` leaves out is never created:
/// its objects are `not-deployed`, and the notice names it, on stderr and in the JSON.
#[test]
fn a_child_application_the_parent_filter_leaves_out_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    rule_fixture::write("not-deployed--app-of-apps-filter", repo);
    let expected = "not created: Application `wiki` (argocd/apps/wiki.yaml:5): Application root (argocd/root.yaml:13) holds its file in its folder, but its `directory.include`/`exclude` leave it out, so Argo CD never creates it and nothing it deploys is applied";
    let (_, report) = notice_is_said(repo, expected);
    assert!(rules_of(&report).contains(&"not-deployed"), "{report}");
}

/// Flux ignore rules (a `.sourceignore`) are applied: no finding for the file they leave out,
/// and a notice naming them, what is not judged, and the Flux Kustomizations, on stderr and in
/// the JSON.
#[test]
fn flux_ignore_rules_are_named_in_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    rule_fixture::write("quiet/flux-sourceignore", repo);
    let expected = "partly read: Flux ignore rules `.sourceignore`: the files they leave out are not applied by Flux's generated kustomizations, but one that a kustomization lists is not reported as missing (kustomize-controller fails that build), in Kustomization flux-system/postgres, Kustomization flux-system/apps";
    let (code, report) = notice_is_said(repo, expected);
    assert_eq!(code, 0, "{report}");
}

/// kubernetes-replicator's `replicate-to-matching` selects namespaces by labels pglint cannot
/// see: no finding, and a notice naming the Secret, on stderr and in the JSON.
#[test]
fn a_replicator_label_selector_is_named_in_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    rule_fixture::write("quiet/replicator-to-matching", repo);
    let expected = "kubernetes-replicator copies Secret `postgres/gitea-db-creds` (infra/databases/postgres/gitea-secrets-sealed.yaml:15, `app.example.com/database-creds=gitea`) into the namespaces whose labels match its `replicator.v1.mittwald.de/replicate-to-matching` selector: pglint cannot see namespaces' labels, so which namespaces it reaches is not checked";
    let (code, report) = notice_is_said(repo, expected);
    assert_eq!(code, 0, "{report}");
}
