//! The writers (`check --fix`, `new`, `init`) through the real binary, against the things that
//! lose bytes: parallel runs, an editor saving during `--fix`, SIGINT and SIGKILL at random
//! points, a symbolic link to a file outside the repository.

#[path = "common/env.rs"]
#[allow(dead_code)] // plain_output is for assert_cmd; these runs need std's Child
mod env;
#[path = "common/fs.rs"]
mod fs;
#[path = "common/synth.rs"]
mod synth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PG: &str = "infra/databases/postgres";

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("pglint")
}

fn pglint(dir: &Path) -> Command {
    let mut cmd = Command::new(binary());
    for var in env::OUTPUT_VARS {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1").current_dir(dir);
    cmd
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The example repository, sealed with the test certificate.
fn example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy_dir(&manifest().join("fixtures/example"), dir.path());
    std::fs::copy(
        manifest().join("fixtures/sealing/test-only-cert.pem"),
        dir.path().join("infra/sealed-secrets/pub-cert.pem"),
    )
    .unwrap();
    dir
}

/// A generated repository whose `typos` Database owners `--fix --unsafe-fixes` corrects.
fn typos_repository(apps: usize, typos: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    synth::write_sop_repo(dir.path(), apps, 7).unwrap();
    assert_eq!(
        synth::add_owner_typos(dir.path(), apps, 7, typos).unwrap(),
        typos
    );
    dir
}

fn fix(dir: &Path) -> Command {
    let mut cmd = pglint(dir);
    cmd.args(["check", "--root", ".", "--fix", "--unsafe-fixes", "--quiet"]);
    cmd
}

/// pglint's own files that must not outlive a run: the lock, the journal, staged files.
fn leftovers(tree: &BTreeMap<String, Vec<u8>>) -> Vec<&String> {
    tree.keys()
        .filter(|p| p.contains(".pglint") || p.contains("staged-") || p.ends_with(".tmp"))
        .collect()
}

#[test]
fn parallel_new_runs_are_each_all_or_nothing() {
    for round in 0..3 {
        let repo = example();
        let before = findings(repo.path());
        let apps: Vec<String> = (0..6).map(|i| format!("app{round}x{i}")).collect();
        let children: Vec<(String, Child)> = apps
            .iter()
            .map(|app| {
                let child = pglint(repo.path())
                    .args(["new", app, "--root", "."])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (app.clone(), child)
            })
            .collect();
        let mut succeeded = 0;
        for (app, child) in children {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let cluster =
                std::fs::read_to_string(repo.path().join(PG).join("postgres-cluster.yaml"))
                    .unwrap();
            let kustomization =
                std::fs::read_to_string(repo.path().join(PG).join("kustomization.yaml")).unwrap();
            let sealed = repo
                .path()
                .join(PG)
                .join(format!("{app}-secrets-sealed.yaml"));
            let database = repo.path().join(PG).join(format!("{app}-db.yaml"));
            let present = [
                cluster.contains(&format!("name: {app}-db-creds")),
                kustomization.contains(&format!("- {app}-db.yaml")),
                kustomization.contains(&format!("- {app}-secrets-sealed.yaml")),
                sealed.exists(),
                database.exists(),
            ];
            if output.status.success() {
                succeeded += 1;
                assert!(present.iter().all(|p| *p), "{app}: exit 0 but {present:?}");
            } else {
                assert!(present.iter().all(|p| !*p), "{app}: failed but {present:?}");
                assert!(
                    stderr.contains("held by another pglint") || stderr.contains("not written"),
                    "{app}: {stderr}"
                );
            }
        }
        assert!(succeeded >= 1, "round {round}: no run succeeded");
        assert!(leftovers(&fs::read_tree(repo.path())).is_empty());
        // Every app that got exit 0 is a correct app: no finding the example did not have.
        assert_eq!(findings(repo.path()), before, "round {round}");
    }
}

/// `(rule, message)` of each finding of `check --format json`, sorted.
fn findings(dir: &Path) -> Vec<(String, String)> {
    let output = pglint(dir)
        .args(["check", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut out: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["rule"].to_string(), d["message"].to_string()))
        .collect();
    out.sort();
    out
}

/// Waits at most `limit` for `child`; kills it when it is still running.
fn wait_for(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("pglint did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_file_saved_during_fix_is_never_overwritten() {
    let apps = 200;
    let template = typos_repository(apps, 20);
    let target = format!("{PG}/{}", synth::app_names(apps, 7)[0].db_file());
    // How long a whole run takes here, to aim the edits inside it.
    let probe = tempfile::tempdir().unwrap();
    fs::copy_dir(template.path(), probe.path());
    let start = Instant::now();
    assert!(fix(probe.path()).status().unwrap().success());
    let duration = start.elapsed();

    // Saves at six points of a run, then more points until one lands between pglint's read and
    // its write: a loaded machine stretches or shrinks the run, so fixed offsets can all miss.
    let mut caught = 0;
    for step in 1..=30u32 {
        if step > 6 && caught > 0 {
            break;
        }
        let repo = tempfile::tempdir().unwrap();
        fs::copy_dir(template.path(), repo.path());
        let path = repo.path().join(&target);
        // The editor's save: a Database written by hand, without the typo pglint fixes.
        let saved = format!("# saved by an editor ({step})\n");
        let mut child = fix(repo.path()).stderr(Stdio::piped()).spawn().unwrap();
        let offset = if step <= 6 {
            duration * step / 8
        } else {
            // 0.05, 0.1, … 1.2 of a run.
            duration * (step - 6) / 20
        };
        std::thread::sleep(offset);
        std::fs::write(&path, &saved).unwrap();
        let status = wait_for(&mut child, Duration::from_secs(120));
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            saved,
            "edit {step}: the editor's bytes were overwritten; pglint said: {stderr}"
        );
        if stderr.contains("changed while pglint ran") {
            caught += 1;
            assert!(!status.success(), "edit {step}: {stderr}");
            assert!(stderr.contains(&target), "{stderr}");
        }
        assert!(leftovers(&fs::read_tree(repo.path())).is_empty());
    }
    // At least one save landed between the read and the write (else the test proved nothing).
    assert!(
        caught > 0,
        "no edit landed while pglint ran ({duration:?} a run)"
    );
}

#[cfg(unix)]
#[test]
fn sigint_and_sigkill_at_random_points_leave_the_original_or_the_fixed_repository() {
    let apps = 150;
    let template = typos_repository(apps, 60);
    let original = fs::read_tree(template.path());
    let reference = tempfile::tempdir().unwrap();
    fs::copy_dir(template.path(), reference.path());
    let start = Instant::now();
    assert!(fix(reference.path()).status().unwrap().success());
    let duration = start.elapsed();
    let fixed = fs::read_tree(reference.path());
    assert_ne!(original, fixed);

    // A small deterministic random stream: where in the run each signal lands.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut as_original, mut as_fixed) = (0, 0);
    for run in 0..16 {
        let repo = tempfile::tempdir().unwrap();
        fs::copy_dir(template.path(), repo.path());
        let mut child = fix(repo.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = duration.mul_f64((next() % 1000) as f64 / 1000.0 * 1.1);
        std::thread::sleep(delay);
        let signal = if run % 2 == 0 { "INT" } else { "KILL" };
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        wait_for(&mut child, Duration::from_secs(120));
        // The next run (a read-only check) finishes or undoes what was interrupted.
        let next_run = pglint(repo.path())
            .args(["check", "--root", ".", "--quiet"])
            .output()
            .unwrap();
        let notes = String::from_utf8_lossy(&next_run.stderr);
        let tree = fs::read_tree(repo.path());
        assert!(
            leftovers(&tree).is_empty(),
            "run {run} (SIG{signal} after {delay:?}): {:?}; {notes}",
            leftovers(&tree)
        );
        if tree == original {
            as_original += 1;
        } else if tree == fixed {
            as_fixed += 1;
        } else {
            let differ: Vec<&String> = tree
                .keys()
                .filter(|k| original.get(*k) != tree.get(*k) && fixed.get(*k) != tree.get(*k))
                .collect();
            panic!(
                "run {run} (SIG{signal} after {delay:?}): neither the original nor the fixed repository ({} files changed, {differ:?} in neither state); {notes}",
                tree.keys()
                    .filter(|k| original.get(*k) != tree.get(*k))
                    .count()
            );
        }
    }
    eprintln!("{as_original} runs left the original, {as_fixed} the fixed repository");
}

#[cfg(unix)]
#[test]
fn init_never_writes_through_a_symbolic_link() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("precious.toml");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, repo.path().join("pglint.toml")).unwrap();
    let output = pglint(repo.path())
        .args(["init", "--force"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");

    // Without the link, init writes the file and nothing else.
    std::fs::remove_file(repo.path().join("pglint.toml")).unwrap();
    let output = pglint(repo.path()).arg("init").output().unwrap();
    assert!(output.status.success());
    let tree = fs::read_tree(repo.path());
    assert_eq!(tree.keys().collect::<Vec<_>>(), ["pglint.toml"]);
}

/// `new --password-stdin` at a terminal (a pseudo-terminal made by Python's `pty`): a prompt,
/// no echo of what is typed, a confirmation; two different entries write nothing.
#[cfg(unix)]
#[test]
fn a_password_typed_at_a_terminal_is_not_echoed_and_is_confirmed() {
    const TYPED: &str = "Typed-At-A-Terminal-42";
    let script = r#"
import os, pty, sys, time
binary, root, app, first, second = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary, "new", app, "--password-stdin", "--root", root])
out = b""
def read_until(marker, limit=60):
    global out
    end = time.time() + limit
    while marker not in out and time.time() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
# Typed as a person types: after the prompt (echo is switched off right after it shows).
read_until(b": ")
time.sleep(0.5)
os.write(fd, first.encode() + b"\r")
read_until(b"(again): ")
time.sleep(0.5)
os.write(fd, second.encode() + b"\r")
read_until(b"\x00never")
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let run = |app: &str, second: &str| {
        let repo = example();
        let output = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(binary())
            .arg(repo.path())
            .args([app, TYPED, second])
            .env("NO_COLOR", "1")
            .output()
            .expect("python3 runs the pseudo-terminal");
        (repo, output)
    };
    let (repo, output) = run("outline", TYPED);
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("password for the new role: "), "{shown}");
    assert!(shown.contains("(again): "), "{shown}");
    assert!(!shown.contains(TYPED), "the password was echoed: {shown}");
    assert!(repo.path().join(PG).join("outline-db.yaml").exists());

    let (repo, output) = run("outline", "Something-Else");
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(shown.contains("differ"), "{shown}");
    assert!(!repo.path().join(PG).join("outline-db.yaml").exists());
}
