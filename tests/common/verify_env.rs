//! The `pglint verify` tests' command and repository (included with `#[path]`): pglint
//! without the caller's libpq settings, so only what a test passes reaches the server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `pglint` without any `PG…` variable, GitHub Actions output or colour, and with a `HOME`
/// that holds no `~/.pgpass`.
pub fn pglint() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pglint"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    command
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .env("HOME", "/nonexistent-home-for-pglint-tests");
    command
}

/// The repository both tests verify against.
pub fn conformant() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant")
}

/// A run's standard output and error, together.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
