//! pglint's wheel (`pyproject.toml`, maturin with `bindings = "bin"`), built once per test run
//! for the tests that install it (included with `#[path]`, beside `python.rs`).
//!
//! maturin (from PyPI, in `target/maturin-venv`) runs `cargo rustc --release` in this
//! checkout's target folder, so a release build that is already there is reused: only the
//! binary is linked again. Several test processes may ask at once: a file lock makes the
//! first build and the others wait, then find it fresh (cargo has nothing to do). Each process
//! builds once and installs its own copy, which another process's build cannot rewrite.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::python;

/// `target/wheels/pglint-<version>-….whl`, built from this checkout; `None` (the caller
/// skips, saying so) when there is no `python3`, except in CI, where that fails.
pub fn wheel() -> Option<PathBuf> {
    static WHEEL: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    WHEEL.get_or_init(build).clone()
}

fn build() -> Option<PathBuf> {
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
    // This process's copy, alone in its folder (a `PIP_FIND_LINKS`); copies of earlier runs go.
    let copies = out.join("copies");
    for old in std::fs::read_dir(&copies).into_iter().flatten().flatten() {
        let age = old
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok()?.elapsed().ok());
        if age.is_some_and(|a| a.as_secs() > 3600) {
            let _ = std::fs::remove_dir_all(old.path());
        }
    }
    let mine = copies.join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&mine);
    std::fs::create_dir_all(&mine).unwrap();
    let copy = mine.join(wheel.file_name().unwrap());
    std::fs::copy(&wheel, &copy).unwrap();
    let wheel = copy;
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
