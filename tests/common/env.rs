//! The environment pglint's output depends on, for the integration tests (included with
//! `#[path]`).

use assert_cmd::Command;

/// What changes how pglint prints (CI, its step summary, colour, the terminal): the tests' expectations hold
/// whatever environment they run in.
pub const OUTPUT_VARS: [&str; 6] = [
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "FORCE_COLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "TERM",
];

/// `cmd` without [`OUTPUT_VARS`] and with `NO_COLOR=1`: plain output, 120 columns.
pub fn plain_output(cmd: &mut Command) -> &mut Command {
    for var in OUTPUT_VARS {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1")
}
