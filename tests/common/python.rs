//! A Python with a given module, for tests that check pglint against an independent
//! implementation (included with `#[path]`): the system `python3` when it has the module,
//! else a virtualenv under `target/` where the test installs it from PyPI.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `python3` (or a virtualenv's python) that can `import module`, installing `package` into
/// `target/<venv>` when needed; `None` when there is no `python3` at all.
pub fn python_with(module: &str, package: &str, venv: &str) -> Option<PathBuf> {
    let imports = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let system = PathBuf::from("python3");
    let has_python = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_python {
        return None;
    }
    if imports(&system) {
        return Some(system);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(venv);
    let python = venv.join("bin").join("python");
    // Tests running at the same time may want the same virtualenv.
    std::fs::create_dir_all(venv.parent().unwrap()).unwrap();
    let lock = std::fs::File::create(venv.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    if !imports(&python) {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", package]));
    }
    Some(python)
}

/// Runs `command`, failing the test with its output when it fails.
pub fn run(command: &mut Command) -> std::process::Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
