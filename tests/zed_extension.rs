//! The Zed extension (`editors/zed`) is its own workspace: Zed compiles it to WebAssembly, so the
//! root build never sees it. This test checks it against the pinned `zed_extension_api` on the
//! host target (the `wasm32-wasip1` standard library is not installed here), so an API change
//! or a typo cannot ship unnoticed, and that its manifest starts the server for YAML.

use std::path::Path;
use std::process::Command;

fn extension_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/editors/zed"))
}

#[test]
fn the_manifest_declares_the_server_for_yaml() {
    let text = std::fs::read_to_string(extension_dir().join("extension.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).expect("extension.toml parses");
    let server = &manifest["language_servers"]["pglint"];
    let languages = server["languages"].as_array().expect("a list of languages");
    assert!(
        languages.iter().any(|l| l.as_str() == Some("YAML")),
        "the server must be started for Zed's YAML language: {languages:?}"
    );
    assert_eq!(manifest["schema_version"].as_integer(), Some(1));
}

#[test]
fn the_extension_compiles() {
    let output = Command::new(env!("CARGO"))
        .args(["check", "--locked", "--manifest-path"])
        .arg(extension_dir().join("Cargo.toml"))
        // Its own target folder inside pglint's, so a rebuild of pglint does not redo it.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/zed-extension"),
        )
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the Zed extension does not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
