//! `pglint check --fix | --unsafe-fixes | --diff` through the real binary: what is written,
//! exit codes, the JSON `fix` field, and that a secret value never shows in a diff or a
//! report of a file being fixed.

#[path = "common/env.rs"]
mod env;

#[path = "common/fs.rs"]
mod fs;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const DB: &str = "infra/databases/postgres/gitea-db.yaml";
const CANARY: &str = "CANARY-pl41nt3xt-Zq9";

fn pglint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("pglint").expect("binary built");
    env::plain_output(&mut cmd)
        .current_dir(dir)
        .args(["check", "--root", "."]);
    cmd
}

/// The conformant repository with `gitea-db.yaml` replaced by `text`, and no kustomization
/// (kustomize would set the namespace and write the wave as a string).
fn repository(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant");
    fs::copy_dir(&base, dir.path());
    std::fs::write(dir.path().join(DB), text).unwrap();
    std::fs::remove_file(
        dir.path()
            .join("infra/databases/postgres/kustomization.yaml"),
    )
    .unwrap();
    dir
}

/// gitea's Database with an unquoted wave and no namespace (both safe fixes), a typo in its
/// cluster (an unsafe fix), and a plaintext Secret in the same file, CRLF line endings.
fn broken() -> String {
    format!(
        "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: gitea-db # the app's database\n  annotations:\n    argocd.argoproj.io/sync-wave: 2\nspec:\n  name: gitea\n  owner: gitea_user\n  cluster:\n    name: postgres-sharde\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\n  namespace: postgres\nstringData:\n  password: {CANARY}\n"
    )
    .replace('\n', "\r\n")
}

fn read(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(DB)).unwrap()
}

#[test]
fn diff_prints_and_writes_nothing() {
    let dir = repository(&broken());
    let output = pglint(dir.path()).arg("--diff").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "diff --git a/{DB} b/{DB}\n--- a/{DB}\n+++ b/{DB}\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("+    argocd.argoproj.io/sync-wave: \"2\"\r\n"),
        "{stdout}"
    );
    assert!(stdout.contains("+  namespace: postgres\r\n"), "{stdout}");
    // Unsafe fixes only with `--unsafe-fixes`.
    assert!(!stdout.contains("postgres-shared"), "{stdout}");
    assert!(!stdout.contains(CANARY) && !stderr.contains(CANARY));
    assert_eq!(read(dir.path()), broken(), "--diff wrote");

    let output = pglint(dir.path())
        .args(["--diff", "--unsafe-fixes"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("+    name: postgres-shared\r\n"),
        "{stdout}"
    );
    assert!(!stdout.contains(CANARY));
}

/// `git apply [--check]` of `patch` in `dir`: `Ok` or git's complaint.
fn git_apply(dir: &Path, patch: &str, check: bool) -> Result<(), String> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), patch).unwrap();
    let output = std::process::Command::new("git")
        .arg("apply")
        .args(check.then_some("--check"))
        .arg(file.path())
        .current_dir(dir)
        .output()
        .expect("git is installed");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn a_diff_without_secrets_in_its_hunks_applies_with_git() {
    // The Secret in the same file is far from both fixes: its masked line is in no hunk.
    let dir = repository(&broken());
    let output = pglint(dir.path())
        .args(["--diff", "--unsafe-fixes"])
        .output()
        .unwrap();
    let patch = String::from_utf8(output.stdout).unwrap();
    assert!(!patch.contains(CANARY) && !patch.contains("cannot be applied"));
    // Real bytes in context, trailing comment and CRLF included.
    assert!(
        patch.contains("   name: gitea-db # the app's database\r\n"),
        "{patch}"
    );
    git_apply(dir.path(), &patch, true).unwrap_or_else(|e| panic!("{e}\n{patch}"));
    git_apply(dir.path(), &patch, false).unwrap();
    let output = pglint(dir.path())
        .args(["--diff", "--unsafe-fixes"])
        .output()
        .unwrap();
    assert!(output.stdout.is_empty(), "the applied diff left fixes");
}

#[test]
fn a_diff_beside_sealed_ciphertext_applies_with_git_and_patch_as_fix_writes_it() {
    // Fixes next to `encryptedData`: its ciphertext is context of the hunks, shown as it is.
    let dir = repository(&broken());
    let sealed = dir
        .path()
        .join("infra/databases/postgres/gitea-secrets-sealed.yaml");
    let text = std::fs::read_to_string(&sealed).unwrap();
    let text = text
        .replacen("  namespace: postgres\n", "", 1)
        .replace("sync-wave: \"0\"", "sync-wave: 0");
    std::fs::write(&sealed, &text).unwrap();
    let output = pglint(dir.path()).arg("--diff").output().unwrap();
    let patch = String::from_utf8(output.stdout).unwrap();
    assert!(
        !patch.contains(CANARY) && !patch.contains("cannot be applied"),
        "{patch}"
    );
    assert!(
        patch.contains("diff --git a/infra/databases/postgres/gitea-secrets-sealed.yaml b/infra/databases/postgres/gitea-secrets-sealed.yaml\n"),
        "{patch}"
    );
    assert!(patch.contains("\n     password: AgCNeYWzHelCP"), "{patch}");

    let fixed = tempfile::tempdir().unwrap();
    fs::copy_dir(dir.path(), fixed.path());
    let output = pglint(fixed.path()).arg("--fix").output().unwrap();
    // Findings without a safe fix remain (1); nothing refused the write (2).
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let by_fix = fs::read_tree(fixed.path());
    assert_ne!(by_fix, fs::read_tree(dir.path()), "--fix changed nothing");

    let applied = tempfile::tempdir().unwrap();
    fs::copy_dir(dir.path(), applied.path());
    git_apply(applied.path(), &patch, false).unwrap_or_else(|e| panic!("{e}\n{patch}"));
    assert_eq!(
        fs::read_tree(applied.path()),
        by_fix,
        "git apply and --fix differ"
    );

    let patched = tempfile::tempdir().unwrap();
    fs::copy_dir(dir.path(), patched.path());
    let mut child = std::process::Command::new("patch")
        .args(["-p1", "--quiet", "--no-backup-if-mismatch"])
        .current_dir(patched.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("patch is installed (.ci/run installs it)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), patch.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        fs::read_tree(patched.path()),
        by_fix,
        "patch -p1 and --fix differ"
    );
}

#[test]
fn a_diff_whose_hunk_shows_a_secret_says_it_cannot_be_applied() {
    // The wave to fix is two lines before the password: the hunk's context holds it.
    let text = format!(
        "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nspec:\n  name: gitea\n  owner: gitea_user\n  cluster:\n    name: postgres-shared\nmetadata:\n  name: gitea-db\n  namespace: postgres\n  annotations:\n    argocd.argoproj.io/sync-wave: 2\n---\nstringData:\n  password: {CANARY}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\n  namespace: postgres\n"
    );
    let dir = repository(&text);
    let output = pglint(dir.path()).arg("--diff").output().unwrap();
    let patch = String::from_utf8(output.stdout).unwrap();
    assert!(!patch.contains(CANARY), "{patch}");
    assert!(
        patch.starts_with(&format!(
            "pglint: this diff of {DB} cannot be applied with `git apply`: its hunk at line 9 shows a line that holds a secret value, masked here"
        )),
        "{patch}"
    );
    assert!(patch.contains("\n   password: ********\n"), "{patch}");
    assert!(git_apply(dir.path(), &patch, true).is_err());
}

#[test]
fn diff_of_a_clean_repository_is_empty() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant");
    let output = pglint(&base).arg("--diff").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
}

#[test]
fn fix_writes_safe_fixes_and_reports_what_remains() {
    let dir = repository(&broken());
    let output = pglint(dir.path())
        .args(["--fix", "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stdout.contains(CANARY) && !stderr.contains(CANARY));
    assert!(stderr.contains("fixed 2 findings in 1 file\n"), "{stderr}");
    let fixed = read(dir.path());
    assert_eq!(
        fixed,
        broken()
            .replace("sync-wave: 2", "sync-wave: \"2\"")
            .replace(
                "# the app's database\r\n",
                "# the app's database\r\n  namespace: postgres\r\n"
            )
    );
    // What remains: the plaintext Secret, and the cluster typo (an unsafe fix, offered).
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"plaintext-secret"), "{rules:?}");
    assert!(rules.contains(&"cluster-missing"), "{rules:?}");
    assert!(!rules.contains(&"annotation-not-string"), "{rules:?}");
    assert_eq!(output.status.code(), Some(1));
    let typo = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "cluster-missing")
        .unwrap();
    let fix = &typo["fix"];
    assert_eq!(fix["applicability"], "unsafe");
    assert_eq!(fix["edits"][0]["file"], DB);
    assert_eq!(fix["edits"][0]["content"], "postgres-shared");
    assert_eq!(
        (
            fix["edits"][0]["line"].as_u64(),
            fix["edits"][0]["column"].as_u64()
        ),
        (typo["line"].as_u64(), typo["column"].as_u64())
    );
    assert_eq!(fix["edits"][0]["end_column"], typo["end_column"]);

    // Then the unsafe one; a second run has nothing left to do.
    let output = pglint(dir.path())
        .args(["--fix", "--unsafe-fixes"])
        .output()
        .unwrap();
    assert!(read(dir.path()).contains("name: postgres-shared\r\n"));
    assert!(!String::from_utf8_lossy(&output.stdout).contains(CANARY));
    let before = read(dir.path());
    let output = pglint(dir.path())
        .args(["--fix", "--unsafe-fixes"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("fixed"),
        "nothing to fix the second time"
    );
    assert_eq!(read(dir.path()), before);
}

#[test]
fn an_insertion_is_an_empty_range_in_json() {
    let dir = repository(&broken());
    let output = pglint(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let missing = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "namespace-missing")
        .expect("namespace-missing");
    let edit = &missing["fix"]["edits"][0];
    assert_eq!(missing["fix"]["applicability"], "safe");
    assert_eq!(edit["content"], "\r\n  namespace: postgres");
    assert_eq!(edit["end_line"], edit["line"]);
    assert_eq!(
        edit["end_column"].as_u64().unwrap() + 1,
        edit["column"].as_u64().unwrap()
    );
    // Nothing written without a fix flag.
    assert_eq!(read(dir.path()), broken());
}

#[cfg(unix)]
#[test]
fn fix_keeps_permissions_and_leaves_no_temporary_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repository(&broken());
    let path = dir.path().join(DB);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    pglint(dir.path()).arg("--fix").output().unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("pglint-fix"))
        .collect();
    assert!(leftovers.is_empty());
}

/// The conformant repository with `files` added to the SOP folder and its kustomization
/// replaced by `kustomization`, after one `--fix --unsafe-fixes` run: the kustomization's text,
/// and the folder's other files, sorted (what it must list).
fn fixed_kustomization(files: &[(String, String)], kustomization: &str) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant");
    fs::copy_dir(&base, dir.path());
    let folder = dir.path().join("infra/databases/postgres");
    for (name, text) in files {
        std::fs::write(folder.join(name), text).unwrap();
    }
    let path = folder.join("kustomization.yaml");
    std::fs::write(&path, kustomization).unwrap();
    let output = pglint(dir.path())
        .args(["--fix", "--unsafe-fixes"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("kustomize-unlisted"), "{stdout}");
    let mut expected: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "kustomization.yaml")
        .collect();
    expected.sort();
    (std::fs::read_to_string(&path).unwrap(), expected)
}

const KUSTOMIZATION_HEAD: &str =
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: postgres\n";

#[test]
fn one_fix_run_lists_every_unlisted_file_in_an_empty_flow_list() {
    // More files than `--fix` has rounds, all appended at the same `]`, which a comment follows.
    let files: Vec<(String, String)> = (0..pglint::fix::MAX_PASSES)
        .map(|i| {
            (
                format!("extra-{i:02}.yaml"),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-{i}\n"),
            )
        })
        .collect();
    let (text, expected) = fixed_kustomization(
        &files,
        &format!("{KUSTOMIZATION_HEAD}resources: []  # listed by pglint ]\n"),
    );
    let listed: Vec<&str> = text
        .split_once("resources: [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .unwrap()
        .0
        .split(", ")
        .collect();
    // Added together in one round, in order.
    assert_eq!(listed, expected, "{text}");
    assert!(text.ends_with("]  # listed by pglint ]\n"), "{text}");
}

#[test]
fn one_fix_run_lists_every_unlisted_file_in_a_sorted_block_list_in_order() {
    // Every file but the first is missing, and all go before `zz-last.yaml`, at one place.
    let last = (
        "zz-last.yaml".to_string(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: last\n".to_string(),
    );
    let (text, expected) = fixed_kustomization(
        &[last],
        &format!(
            "{KUSTOMIZATION_HEAD}resources:\n  - gitea-db.yaml  # first\n  - zz-last.yaml\n# end\n"
        ),
    );
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("  - "))
        .map(|item| item.trim_end_matches("  # first"))
        .collect();
    assert!(expected.len() > 5, "{expected:?}");
    assert_eq!(listed, expected, "{text}");
    assert!(text.contains("  - gitea-db.yaml  # first\n") && text.ends_with("# end\n"));
}
