//! `pglint check --base REF` on a git repository built in the test: only the findings the
//! change introduces (an old finding is not reported, a new one is), the change-safety
//! findings with the old value shown, a clear exit 2 for a missing revision, and git's index
//! and working tree left as they were.

#[path = "common/env.rs"]
mod env;
#[path = "common/fs.rs"]
mod fs;

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

const PG: &str = "infra/databases/postgres";

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Process::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(PG).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The conformant repository with an old mistake (nextcloud's owner), committed on `main`;
/// then a working-tree change on top of it.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant"),
        root,
    );
    edit(
        root,
        "nextcloud-db.yaml",
        "owner: nextcloud_user",
        "owner: nextcloud_usr",
    );
    edit(
        root,
        "vaultwarden-db.yaml",
        "databaseReclaimPolicy: retain",
        "databaseReclaimPolicy: delete",
    );
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    dir
}

fn check(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut cmd = Command::cargo_bin("pglint").unwrap();
    let output = env::plain_output(&mut cmd)
        .current_dir(dir)
        .args(["check", "--root", ".", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap(), report, stderr)
}

fn rules(report: &Value) -> Vec<(String, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn only_what_the_change_introduces_and_what_it_destroys() {
    let repo = repository();
    let root = repo.path();
    // The change: a new owner typo, gitea dropped, vaultwarden's Database deleted (delete
    // policy), a database renamed in place, a password re-sealed (another app's ciphertext).
    edit(
        root,
        "home-assistant-db.yaml",
        "owner: home_assistant_user",
        "owner: home_assistant_usr",
    );
    edit(root, "gitea-db.yaml", "ensure: present", "ensure: absent");
    std::fs::remove_file(root.join(PG).join("vaultwarden-db.yaml")).unwrap();
    edit(root, "kustomization.yaml", "  - vaultwarden-db.yaml\n", "");
    edit(
        root,
        "nextcloud-db.yaml",
        "  name: nextcloud\n",
        "  name: nextcloud_v2\n",
    );
    let status_before = git(root, &["status", "--porcelain"]);
    let index_before = std::fs::read(root.join(".git/index")).unwrap();

    let (code, report, stderr) = check(root, &["--base", "main"]);
    assert_eq!(code, 1, "{stderr}");
    let found = rules(&report);
    let has = |rule: &str, file: &str| found.iter().any(|(r, f)| r == rule && f == file);
    // The new typo is reported, the old one (in the base already) is not.
    assert!(
        has(
            "owner-role-missing",
            "infra/databases/postgres/home-assistant-db.yaml"
        ),
        "{found:?}"
    );
    assert!(
        !has(
            "owner-role-missing",
            "infra/databases/postgres/nextcloud-db.yaml"
        ),
        "{found:?}"
    );
    // Change safety, each with the old value as a related location at `main:<path>`.
    assert!(
        has("database-dropped", "infra/databases/postgres/gitea-db.yaml"),
        "{found:?}"
    );
    assert!(
        has(
            "database-renamed",
            "infra/databases/postgres/nextcloud-db.yaml"
        ),
        "{found:?}"
    );
    assert!(
        has(
            "database-pruned",
            "main:infra/databases/postgres/vaultwarden-db.yaml"
        ),
        "a deleted file is shown at its old path: {found:?}"
    );
    let renamed = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "database-renamed")
        .unwrap();
    assert!(
        renamed["message"]
            .as_str()
            .unwrap()
            .contains("from `nextcloud` to `nextcloud_v2`")
    );
    assert_eq!(
        renamed["related"][0]["file"],
        "main:infra/databases/postgres/nextcloud-db.yaml"
    );
    assert_eq!(renamed["related"][0]["line"], 9);

    // Git's index and working tree are untouched.
    assert_eq!(git(root, &["status", "--porcelain"]), status_before);
    assert_eq!(
        std::fs::read(root.join(".git/index")).unwrap(),
        index_before
    );
}

#[test]
fn no_change_no_finding() {
    let repo = repository();
    let (code, report, stderr) = check(repo.path(), &["--base", "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rules(&report), []);
    // Without --base the old mistake is there.
    let (code, _, _) = check(repo.path(), &[]);
    assert_eq!(code, 1);
}

#[test]
fn a_missing_revision_is_exit_2_with_the_fetch_that_fixes_it() {
    let repo = repository();
    let (code, _, stderr) = check(repo.path(), &["--base", "origin/main"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("git fetch origin main"), "{stderr}");
    let outside = tempfile::tempdir().unwrap();
    fs::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant"),
        outside.path(),
    );
    let (code, _, stderr) = check(outside.path(), &["--base", "main"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("needs a git repository"), "{stderr}");
}
