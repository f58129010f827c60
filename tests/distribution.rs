//! How users get pglint without a Rust toolchain: the wheel (`pip install pglint`) built from
//! this checkout, installed into a fresh virtualenv and run; the GitHub Action's script
//! installing that wheel. (The wheel-based pre-commit hooks: tests/precommit.rs.)
//!
//! Skipped, with a message, only when there is no `python3` (never in CI).

use std::path::Path;
use std::process::Command;

#[path = "common/fs.rs"]
mod fs_util;
#[path = "common/python.rs"]
mod python;
#[path = "common/wheel.rs"]
mod wheel;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_wheel_installs_into_a_fresh_virtualenv_and_checks_the_example() {
    let Some(wheel) = wheel::wheel() else { return };
    let size = wheel.metadata().unwrap().len();
    eprintln!(
        "wheel size: {size} bytes ({:.1} MiB)",
        size as f64 / 1048576.0
    );
    assert!(
        size < 20 << 20,
        "a stripped binary wheel stays small: {size} bytes"
    );
    let dir = tempfile::tempdir().unwrap();
    let bin = wheel::fresh_venv(&dir.path().join("venv"));
    python::run(
        Command::new(bin.join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-index",
                "--disable-pip-version-check",
            ])
            .arg(&wheel),
    );
    let pglint = bin.join("pglint");
    let version = python::run(Command::new(&pglint).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("pglint {}", env!("CARGO_PKG_VERSION"))
    );
    let output = Command::new(&pglint)
        .args(["check", "--root"])
        .arg(manifest_dir().join("fixtures/example"))
        .args(["--format", "json"])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "the example has errors");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "sync-wave-missing",
            "owner-role-missing",
            "reflector-placement"
        ]
    );
}

/// The GitHub Action's script (`action/run.sh`, which `action.yml` runs) as a runner would run
/// it: GITHUB_* variables pointing at files in a temporary folder, the wheel installed by pip
/// from the folder it was built into (`PIP_NO_INDEX`, `PIP_FIND_LINKS`). The example fails with
/// annotations, the step summary is written once, and the SARIF file holds the findings.
#[test]
fn the_action_script_installs_the_wheel_annotates_and_writes_sarif() {
    let Some(wheel) = wheel::wheel() else { return };
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("repo");
    fs_util::copy_dir(&manifest_dir().join("fixtures/example"), &repo);
    let output_file = temp.path().join("github-output");
    let summary_file = temp.path().join("step-summary");
    let run = |version: &str| {
        Command::new("bash")
            .arg(manifest_dir().join("action/run.sh"))
            .env("INPUT_VERSION", version)
            .env("INPUT_ARGS", "check --root .")
            .env("INPUT_WORKING_DIRECTORY", &repo)
            .env("INPUT_SARIF_FILE", "pglint.sarif")
            .env("RUNNER_TEMP", temp.path().join("runner"))
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", wheel.parent().unwrap())
            .env_remove("NO_COLOR")
            .output()
            .unwrap()
    };
    let output = run(env!("CARGO_PKG_VERSION"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("pglint {}", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
    assert!(
        stdout.contains("::error file=infra/databases/postgres/wikijs-db.yaml,line=8"),
        "{stdout}"
    );
    let outputs = std::fs::read_to_string(&output_file).unwrap();
    assert!(outputs.contains("sarif-file=pglint.sarif\n"), "{outputs}");
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    let summary = std::fs::read_to_string(&summary_file).unwrap();
    assert!(summary.contains("owner-role-missing"), "{summary}");
    let once = summary.lines().filter(|l| l.starts_with("## ")).count();
    assert_eq!(once, 1, "one summary, not one per run:\n{summary}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join("pglint.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);

    // A version that is not there fails the step with 2, never mistaken for findings.
    let output = run("0.0.0");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("::error::pglint action: pip could not install pglint==0.0.0"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
