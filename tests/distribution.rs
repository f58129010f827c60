//! How users get pglint without a Rust toolchain: the wheel (`pip install pglint`) built from
//! this checkout, installed into a fresh virtualenv and run.
//!
//! Skipped, with a message, only when there is no `python3` (never in CI).

use std::path::Path;
use std::process::Command;

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
