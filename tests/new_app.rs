//! `pglint new APP` and `pglint seal` through the real binary, on copies of the fixture
//! repositories whose certificate is the test key pair's (`fixtures/sealing`):
//! - the result passes `check` (no finding the repository did not have), the Cluster file only
//!   gains the role's lines, the kustomization lists the new files;
//! - every sealed value decrypts back to its input, in Rust and with Python's `cryptography`
//!   (an independent implementation of the documented format);
//! - a canary password given on standard input appears in no file and no output;
//! - refusals (existing app, bad name, missing or expired certificate, a Cluster file pglint
//!   cannot edit safely) exit 2 and write nothing.

#[path = "common/env.rs"]
mod env;

#[path = "common/fs.rs"]
mod fs;
#[path = "common/python.rs"]
mod python;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const PG: &str = "infra/databases/postgres";
const CANARY: &str = "CANARY-n3w-pa55w0rd-Xq7";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of `fixtures/<name>` sealed with the test certificate.
fn repository(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy_dir(&manifest().join("fixtures").join(name), dir.path());
    std::fs::copy(
        manifest().join("fixtures/sealing/test-only-cert.pem"),
        dir.path().join("infra/sealed-secrets/pub-cert.pem"),
    )
    .unwrap();
    dir
}

fn pglint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("pglint").expect("binary built");
    env::plain_output(&mut cmd)
        .env_remove("PGLINT_NOW")
        .current_dir(dir);
    cmd
}

/// `(rule, message)` of each finding of `check --format json`, sorted.
fn findings(dir: &Path) -> Vec<(String, String)> {
    let output = pglint(dir)
        .args(["check", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut out: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The value of `key:` in `spec.encryptedData` of a kubeseal-shaped file.
fn sealed_value(text: &str, key: &str) -> String {
    let prefix = format!("    {key}: ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {key} in\n{text}"))
        .to_string()
}

/// The controller's decryption, by Python's `cryptography` (an implementation independent of
/// pglint's, installed by the test when missing); pglint's own round trip is its unit test.
fn unseal_in_python(values: &[&str], label: &str) -> Vec<Vec<u8>> {
    let python = python::python_with("cryptography", "cryptography", "cryptography-venv")
        .expect("python3 is needed to check sealing against an independent implementation");
    let output = std::process::Command::new(python)
        .arg(manifest().join("tests/support/unseal.py"))
        .arg(manifest().join("fixtures/sealing/test-only-private-key.pem"))
        .arg(label)
        .args(values)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|hex| {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn new_app_on_the_example_passes_check_and_decrypts_everywhere() {
    let repo = repository("example");
    let before = findings(repo.path());
    let cluster_path = repo.path().join(PG).join("postgres-cluster.yaml");
    let cluster_before = std::fs::read_to_string(&cluster_path).unwrap();
    // pglint's own temporary directory, to search for the canary afterwards.
    let temp = tempfile::tempdir().unwrap();
    let output = pglint(repo.path())
        .env("TMPDIR", temp.path())
        .args(["new", "outline", "--password-stdin"])
        .write_stdin(format!("{CANARY}\n"))
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(!stdout.contains(CANARY) && !stderr.contains(CANARY));

    // No new finding.
    assert_eq!(findings(repo.path()), before);
    // The Cluster file only gains the role's lines.
    let cluster_after = std::fs::read_to_string(&cluster_path).unwrap();
    let diff = similar::TextDiff::from_lines(&cluster_before, &cluster_after);
    let mut added = Vec::new();
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => panic!("a line of the Cluster file changed: {change}"),
            similar::ChangeTag::Insert => added.push(change.value().trim().to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    assert_eq!(
        added,
        [
            "- name: outline_user",
            "ensure: present",
            "login: true",
            "passwordSecret:",
            "name: outline-db-creds"
        ]
    );
    let kustomization =
        std::fs::read_to_string(repo.path().join(PG).join("kustomization.yaml")).unwrap();
    assert!(kustomization.contains("  - outline-secrets-sealed.yaml\n  - outline-db.yaml\n"));

    // Round trip, by an independent implementation.
    let sealed =
        std::fs::read_to_string(repo.path().join(PG).join("outline-secrets-sealed.yaml")).unwrap();
    let (password, username) = (
        sealed_value(&sealed, "password"),
        sealed_value(&sealed, "username"),
    );
    let label = "postgres/outline-db-creds";
    assert_eq!(
        unseal_in_python(&[&password, &username], label),
        [CANARY.as_bytes().to_vec(), b"outline_user".to_vec()]
    );

    // The canary is nowhere on disk: not in the repository, not in the temporary directory.
    for root in [repo.path(), temp.path()] {
        for (path, bytes) in read_tree_shallow(root) {
            assert!(
                !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
                "the password is in clear in {}",
                path.display()
            );
        }
    }
}

/// Every file under `dir`, not following links, skipping what cannot be read (the system's
/// temporary directory holds other users' files).
fn read_tree_shallow(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file()
                && let Ok(bytes) = std::fs::read(entry.path())
            {
                out.push((entry.path(), bytes));
            }
        }
    }
    out
}

#[test]
fn a_generated_password_is_url_safe_and_never_shown() {
    let repo = repository("conformant");
    let output = pglint(repo.path())
        .args(["new", "wikijs"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let sealed =
        std::fs::read_to_string(repo.path().join(PG).join("wikijs-secrets-sealed.yaml")).unwrap();
    let password = unseal_in_python(
        &[&sealed_value(&sealed, "password")],
        "postgres/wikijs-db-creds",
    )
    .pop()
    .unwrap();
    assert_eq!(password.len(), 32);
    assert!(
        password
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_".contains(c))
    );
    for text in [&output.stdout, &output.stderr] {
        assert!(!text.windows(32).any(|w| w == password.as_slice()));
    }
    assert!(
        findings(repo.path()).is_empty(),
        "{:?}",
        findings(repo.path())
    );
}

#[test]
fn dry_run_writes_nothing() {
    let repo = repository("conformant");
    let before = fs::read_tree(repo.path());
    let output = pglint(repo.path())
        .args(["new", "wikijs", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let diff = String::from_utf8(output.stdout).unwrap();
    assert!(
        diff.contains("diff --git a/infra/databases/postgres/wikijs-db.yaml b/infra/databases/postgres/wikijs-db.yaml\nnew file mode 100644\n--- /dev/null\n+++ b/infra/databases/postgres/wikijs-db.yaml\n"),
        "{diff}"
    );
    assert!(diff.contains("+      - name: wikijs_user"), "{diff}");
    assert_eq!(fs::read_tree(repo.path()), before);
}

/// Exit 2, a message containing `expected`, and not one byte written.
fn refused(repo: &Path, args: &[&str], env: &[(&str, &str)], expected: &str) {
    let before = fs::read_tree(repo);
    let mut cmd = pglint(repo);
    cmd.args(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert_eq!(fs::read_tree(repo), before, "{args:?} wrote something");
}

#[test]
fn refusals_write_nothing() {
    let repo = repository("conformant");
    let dir = repo.path();
    refused(dir, &["new", "gitea"], &[], "app `gitea` already exists");
    refused(dir, &["new", "Wiki.js"], &[], "is not a valid name");
    refused(
        dir,
        &["new", "wikijs", "--role", "postgres"],
        &[],
        "is reserved",
    );
    // Mirrored into another app's namespace.
    refused(
        dir,
        &["new", "wikijs", "--namespace", "gitea"],
        &[],
        "that is app `gitea`'s namespace",
    );
    // The Cluster's bootstrap database and owner (CNPG's `app` by default).
    refused(
        dir,
        &["new", "app"],
        &[],
        "is the bootstrap database of Cluster",
    );
    refused(
        dir,
        &["new", "wikijs", "--role", "app"],
        &[],
        "is the bootstrap owner of Cluster",
    );
    refused(
        dir,
        &["seal", "--name", "gitea-db-creds", "--key", "pass word"],
        &[],
        "a Secret key is at most 253",
    );
    refused(
        dir,
        &["new", "wikijs"],
        &[("PGLINT_NOW", "2040-01-01T00:00:00Z")],
        "expired",
    );
    let cert = dir.join("infra/sealed-secrets/pub-cert.pem");
    std::fs::copy(manifest().join("fixtures/sealing/ec-cert.pem"), &cert).unwrap();
    refused(dir, &["new", "wikijs"], &[], "not RSA");
    std::fs::remove_file(&cert).unwrap();
    refused(
        dir,
        &["new", "wikijs"],
        &[],
        "kubeseal --fetch-cert > infra/sealed-secrets/pub-cert.pem",
    );
}

#[test]
fn a_cluster_file_that_cannot_be_edited_safely_is_refused() {
    // Anchors: an added entry could change what an alias shares.
    let repo = repository("conformant");
    let cluster = repo.path().join(PG).join("postgres-cluster.yaml");
    let text = std::fs::read_to_string(&cluster).unwrap();
    assert!(text.contains("  managed:\n"));
    let text = text
        .replacen(
            "  managed:\n",
            "  x-defaults: &defaults\n    login: true\n  managed:\n",
            1,
        )
        .replacen(
            "      - name: gitea_user\n",
            "      - <<: *defaults\n        name: gitea_user\n",
            1,
        );
    std::fs::write(&cluster, text).unwrap();
    refused(repo.path(), &["new", "wikijs"], &[], "anchors and aliases");
    // Roles in flow style.
    let repo = repository("conformant");
    let cluster = repo.path().join(PG).join("postgres-cluster.yaml");
    let text = std::fs::read_to_string(&cluster).unwrap();
    let start = text.find("    roles:\n").unwrap();
    let flow = format!(
        "{}    roles: [{{name: gitea_user, login: true, passwordSecret: {{name: gitea-db-creds}}}}]\n",
        &text[..start]
    );
    std::fs::write(&cluster, flow).unwrap();
    refused(repo.path(), &["new", "wikijs"], &[], "flow style");
}

#[test]
fn seal_rewrites_one_value_under_the_sealedsecret_s_scope() {
    let repo = repository("conformant");
    let path = repo.path().join(PG).join("gitea-secrets-sealed.yaml");
    let before = std::fs::read_to_string(&path).unwrap();
    let output = pglint(repo.path())
        .args(["seal", "--name", "gitea-db-creds", "--key", "password"])
        .write_stdin(format!("{CANARY}\n"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!stdout.contains(CANARY));
    assert!(
        stdout.contains("postgres/gitea-db-creds (strict scope)"),
        "{stdout}"
    );
    let after = std::fs::read_to_string(&path).unwrap();
    let value = sealed_value(&after, "password");
    assert_eq!(
        unseal_in_python(&[&value], "postgres/gitea-db-creds"),
        [CANARY.as_bytes().to_vec()]
    );
    // Only that line changed.
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1);
    assert!(changed[0].0.starts_with("    password: "));
    assert_eq!(before.lines().count(), after.lines().count());
}

/// A new app in a namespace no manifest uses yet (the normal case): recorded in pglint.toml so
/// that `check` knows it, and the first role of a Cluster whose `roles:` is empty.
#[test]
fn a_new_namespace_and_the_first_role() {
    for roles in [
        "    roles: []\n",
        "    roles:\n      # the first app adds itself here\n",
    ] {
        let repo = repository("conformant");
        let cluster = repo.path().join(PG).join("postgres-cluster.yaml");
        let text = std::fs::read_to_string(&cluster).unwrap();
        let start = text.find("    roles:\n").unwrap();
        std::fs::write(&cluster, format!("{}{roles}", &text[..start])).unwrap();
        // Only the new app's role: the other apps lose theirs (findings that stay).
        let before = findings(repo.path());
        let output = pglint(repo.path())
            .args(["new", "outline", "--namespace", "docs"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{roles}: {stderr}");
        let config = std::fs::read_to_string(repo.path().join("pglint.toml")).unwrap();
        assert!(
            config.ends_with("[app-namespaces]\noutline = \"docs\"\n"),
            "{config}"
        );
        assert_eq!(findings(repo.path()), before, "{roles}");
        let after = std::fs::read_to_string(&cluster).unwrap();
        assert!(
            after[start..].starts_with("    roles:\n      - name: outline_user\n"),
            "{}",
            &after[start..]
        );
    }
}
