//! The fuzz crate is its own workspace (it needs nightly to run), so the root build does not
//! compile it: this test does, on the stable toolchain, so that a change to pglint's API cannot
//! leave the fuzz targets broken until someone next fuzzes.

use std::path::Path;
use std::process::Command;

#[test]
fn fuzz_targets_compile() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["check", "--locked", "--all-targets", "--manifest-path"])
        .arg(&manifest)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the fuzz targets do not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
