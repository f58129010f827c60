//! pglint's wheel (`pyproject.toml`, maturin with `bindings = "bin"`), built once per test run
//! for the tests that install it (included with `#[path]`, beside `python.rs`).
//!
//! maturin (from PyPI, in `target/maturin-venv`) runs `cargo rustc --release` in this
//! checkout's target folder, so a release build that is already there is reused: only the
//! binary is linked again. Several test processes may ask at once: a file lock makes the
//! first build and the others wait, then find it fresh (cargo has nothing to do).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::python;

/// `target/wheels/pglint-<version>-….whl`, built from this checkout; `None` (the caller
/// skips, saying so) when there is no `python3`, except in CI, where that fails.
pub fn wheel() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(python) = python::python_with("maturin", "maturin", "maturin-venv") else {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v != "true"),
            "CI=true: the wheel tests need python3"
        );
        eprintln!("skipped: python3 is not on PATH (maturin builds the wheel)");
        return None;
    };
    let out = root.join("target").join("wheels");
    std::fs::create_dir_all(&out).unwrap();
    let lock = std::fs::File::create(out.join(".lock")).unwrap();
    lock.lock().unwrap();
    let started = Instant::now();
    let output = Command::new(python)
        .args(["-m", "maturin", "build", "--release", "--out"])
        .arg(&out)
        .current_dir(root)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "maturin build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let prefix = format!("pglint-{}-", env!("CARGO_PKG_VERSION"));
    let wheel = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "whl")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .max_by_key(|p| p.metadata().unwrap().modified().unwrap())
        .expect("maturin wrote the wheel");
    eprintln!(
        "built {} ({} bytes) in {:.1?}",
        wheel.display(),
        wheel.metadata().unwrap().len(),
        started.elapsed()
    );
    Some(wheel)
}

/// A fresh virtualenv at `dir`; its `bin` folder.
pub fn fresh_venv(dir: &Path) -> PathBuf {
    python::run(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(dir),
    );
    dir.join(if cfg!(windows) { "Scripts" } else { "bin" })
}
