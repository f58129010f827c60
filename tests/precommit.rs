//! The hooks of `.pre-commit-hooks.yaml`, run for real: `pre-commit` (from PyPI, in a virtualenv
//! under `target/precommit-venv`) runs `pre-commit try-repo <this checkout> <hook>` in a fresh
//! git repository holding a copy of `fixtures/conformant/`.
//!
//! `try-repo` clones the repository it is given at HEAD, and of the uncommitted work it only
//! picks up changes to tracked files — not new files such as a not-yet-committed hook
//! manifest. So the hooks are tried from a *snapshot* of this checkout: its working tree
//! (tracked and untracked files, minus ignored ones) committed into a temporary repository. On
//! a clean checkout that is exactly the checkout's HEAD.
//!
//! - `pglint-system` and `pglint-config-system` run with `PATH` starting at the test binary's
//!   folder: seconds.
//! - `pglint` (`language: rust`) makes pre-commit `cargo install` the snapshot: a release build,
//!   minutes the first time. `CARGO_TARGET_DIR=target/precommit-cargo-target` keeps the
//!   dependencies' artifacts between runs (pre-commit itself installs into a throw-away store
//!   on every `try-repo`, whatever `PRE_COMMIT_HOME` says).
//!
//! - The wheel-based hooks of `pre-commit-mirror/` (`language: python`) install the wheel built
//!   from this checkout (`tests/common/wheel.rs`) in seconds.
//!
//! Skipped, with a message, when `git` or `python3` is missing. Anything else that goes wrong
//! (no network for PyPI/crates.io, no `venv` module, a hook misbehaving) fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

#[path = "common/python.rs"]
mod python;
#[path = "common/wheel.rs"]
mod wheel;

const BROKEN_FILE: &str = "infra/databases/postgres/gitea-db.yaml";

/// Where cargo puts this build (`target/` unless `CARGO_TARGET_DIR` says otherwise).
fn target_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_pglint"));
    exe.ancestors()
        .nth(2)
        .expect("the binary lives in <target>/<profile>/")
        .to_path_buf()
}

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `git` and `python3` are there, else say why the test does nothing.
fn prerequisites(test: &str) -> bool {
    for program in ["git", "python3"] {
        if !available(program) {
            eprintln!("skipping {test}: `{program}` is not on PATH (pre-commit needs it)");
            return false;
        }
    }
    true
}

/// A command whose environment does not leak an enclosing git operation or CI's output format.
fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_PREFIX",
        "GITHUB_ACTIONS",
        "PRE_COMMIT",
        "FORCE_COLOR",
        "CLICOLOR_FORCE",
        "COLUMNS",
        "TERM",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

fn run(cmd: &mut Command) -> (bool, String) {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = run(command("git").arg("-C").arg(dir).args(args));
    assert!(ok, "git {args:?} in {} failed:\n{text}", dir.display());
    text
}

fn commit(dir: &Path, message: &str) {
    git(
        dir,
        &[
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            message,
        ],
    );
}

fn init_repository(dir: &Path) {
    git(dir, &["init", "--quiet"]);
    git(dir, &["config", "user.name", "pglint tests"]);
    git(
        dir,
        &["config", "user.email", "pglint-tests@example.invalid"],
    );
}

/// `target/precommit-venv/bin/pre-commit`, installed from PyPI once and then reused.
fn pre_commit() -> PathBuf {
    static PRE_COMMIT: OnceLock<PathBuf> = OnceLock::new();
    PRE_COMMIT
        .get_or_init(|| {
            let target = target_dir();
            fs::create_dir_all(&target).unwrap();
            // Other test processes may be setting it up at the same time.
            let lock = fs::File::create(target.join("precommit-venv.lock")).unwrap();
            lock.lock().unwrap();
            let venv = target.join("precommit-venv");
            let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
            let pre_commit = bin.join("pre-commit");
            let reusable = command(&pre_commit)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if reusable {
                return pre_commit;
            }
            let started = Instant::now();
            let (ok, text) = run(command("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv));
            assert!(
                ok,
                "`python3 -m venv {}` failed (on Debian/Ubuntu: apt-get install python3-venv):\n{text}",
                venv.display()
            );
            let (ok, text) = run(command(bin.join("python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "pre-commit",
            ]));
            assert!(ok, "`pip install pre-commit` failed:\n{text}");
            let (ok, version) = run(command(&pre_commit).arg("--version"));
            assert!(ok, "the installed pre-commit does not run:\n{version}");
            eprintln!(
                "installed {} into {} in {:.1?}",
                version.trim(),
                venv.display(),
                started.elapsed()
            );
            pre_commit
        })
        .clone()
}

/// The files of this checkout's working tree: tracked (unless deleted) and untracked, without
/// the ignored ones; everything but `.git` and `target` when it is not a git checkout.
fn checkout_files(root: &Path) -> Vec<PathBuf> {
    let (ok, text) = run(command("git").arg("-C").arg(root).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]));
    if ok {
        return text
            .split('\0')
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .collect();
    }
    fn walk(root: &Path, relative: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(root.join(relative)).unwrap() {
            let entry = entry.unwrap();
            let path = relative.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if path != Path::new(".git") && path != Path::new("target") {
                    walk(root, &path, out);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, Path::new(""), &mut files);
    files
}

/// This checkout's working tree, committed into a repository under `dir`.
fn snapshot_of_this_checkout(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = dir.join("pglint");
    for file in checkout_files(root) {
        let to = snapshot.join(&file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        match fs::copy(root.join(&file), &to) {
            Ok(_) => {}
            // A tracked file deleted in the working tree.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("cannot copy {}: {e}", file.display()),
        }
    }
    assert!(
        snapshot.join(".pre-commit-hooks.yaml").is_file(),
        "this checkout has no .pre-commit-hooks.yaml"
    );
    init_repository(&snapshot);
    git(&snapshot, &["add", "--all", "--force"]);
    commit(&snapshot, "snapshot of the working tree");
    snapshot
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A git repository holding a committed copy of `fixtures/conformant/`.
fn conformant_repository(dir: &Path) -> PathBuf {
    let repo = dir.join("gitops");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant"),
        &repo,
    );
    init_repository(&repo);
    git(&repo, &["add", "--all"]);
    commit(&repo, "conformant SOP layout");
    repo
}

fn break_database_owner(repo: &Path) {
    let path = repo.join(BROKEN_FILE);
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("owner: gitea_user"),
        "fixture changed:\n{text}"
    );
    fs::write(&path, text.replace("owner: gitea_user", "owner: gitea_usr")).unwrap();
}

/// How to provide the hook's `pglint`.
enum Pglint {
    /// The test's binary, first on `PATH` (`language: system` hooks).
    OnPath,
    /// Built by pre-commit with `cargo install` (`language: rust` hooks).
    Built,
}

/// `pre-commit try-repo <snapshot> <hook> [--all-files]` in `repo`: did the hook pass, and
/// what did pre-commit print.
fn try_repo(
    repo: &Path,
    snapshot: &Path,
    hook: &str,
    all_files: bool,
    pglint: Pglint,
) -> (bool, String) {
    let target = target_dir();
    let mut path_dirs = Vec::new();
    let mut cmd = command(pre_commit());
    match pglint {
        Pglint::OnPath => {
            path_dirs.push(
                Path::new(env!("CARGO_BIN_EXE_pglint"))
                    .parent()
                    .unwrap()
                    .to_path_buf(),
            );
        }
        Pglint::Built => {
            // The toolchain running this test builds the hook too.
            if let Some(cargo) = std::env::var_os("CARGO")
                && let Some(bin) = Path::new(&cargo).parent()
            {
                path_dirs.push(bin.to_path_buf());
            }
            cmd.env("CARGO_TARGET_DIR", target.join("precommit-cargo-target"));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        path_dirs.extend(std::env::split_paths(&path));
    }
    cmd.env("PATH", std::env::join_paths(path_dirs).unwrap())
        .env("PRE_COMMIT_HOME", target.join("precommit-home"))
        .current_dir(repo)
        .arg("try-repo")
        .arg(snapshot)
        .arg(hook)
        .args(["--color", "never", "--verbose"]);
    if all_files {
        cmd.arg("--all-files");
    }
    let started = Instant::now();
    let (ok, text) = run(&mut cmd);
    eprintln!(
        "pre-commit try-repo {hook}{}: {} in {:.1?}",
        if all_files { " --all-files" } else { "" },
        if ok { "passed" } else { "failed" },
        started.elapsed()
    );
    (ok, text)
}

/// The conformant repository passes with `--all-files`; a staged broken owner fails, naming
/// the rule.
fn clean_then_broken_owner(hook: &str, pglint: impl Fn() -> Pglint) {
    let temp = tempfile::tempdir().unwrap();
    let snapshot = snapshot_of_this_checkout(temp.path());
    let repo = conformant_repository(temp.path());

    let (ok, text) = try_repo(&repo, &snapshot, hook, true, pglint());
    assert!(
        ok,
        "{hook} --all-files on the conformant layout failed:\n{text}"
    );
    assert!(text.contains("Passed"), "{hook} did not run:\n{text}");
    assert!(text.contains("0 errors"), "no pglint summary:\n{text}");

    break_database_owner(&repo);
    git(&repo, &["add", BROKEN_FILE]);
    let (ok, text) = try_repo(&repo, &snapshot, hook, false, pglint());
    assert!(
        !ok,
        "{hook} passed a Database owned by a missing role:\n{text}"
    );
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("owner-role-missing"),
        "rule not named:\n{text}"
    );
    assert!(text.contains("gitea_usr"), "{text}");
}

#[test]
fn system_hook_passes_a_conformant_repository_and_fails_a_staged_broken_owner() {
    if !prerequisites("system_hook_passes_a_conformant_repository_and_fails_a_staged_broken_owner")
    {
        return;
    }
    clean_then_broken_owner("pglint-system", || Pglint::OnPath);
}

/// Only the files pre-commit passes are reported on: a finding in an untouched file does not
/// block an unrelated commit. A commit that changes only `pglint.toml` is not checked by the
/// per-file hook (no finding is ever located in `pglint.toml`), which is why the
/// `pglint-config*` hooks re-check the whole repository when it changes.
#[test]
fn system_hooks_report_only_staged_files_and_config_changes_recheck_everything() {
    if !prerequisites("system_hooks_report_only_staged_files_and_config_changes_recheck_everything")
    {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let snapshot = snapshot_of_this_checkout(temp.path());
    let repo = conformant_repository(temp.path());

    // Legacy debt: a wrong owner, committed with its rule turned off.
    break_database_owner(&repo);
    fs::write(
        repo.join("pglint.toml"),
        "[rules]\nowner-role-missing = \"off\"\n",
    )
    .unwrap();
    git(&repo, &["add", "--all"]);
    commit(&repo, "legacy: owner-role-missing off");

    // Turning the rule back on, by a change to pglint.toml alone: the per-file hook has nothing
    // to report, the config hook checks everything.
    fs::write(repo.join("pglint.toml"), "[rules]\n").unwrap();
    git(&repo, &["add", "pglint.toml"]);
    let (ok, text) = try_repo(&repo, &snapshot, "pglint-system", false, Pglint::OnPath);
    assert!(
        ok && !text.contains("owner-role-missing"),
        "pglint-system reported a finding for pglint.toml alone; if `check pglint.toml` now \
         covers the whole repository, the pglint-config hooks are redundant:\n{text}"
    );
    let (ok, text) = try_repo(
        &repo,
        &snapshot,
        "pglint-config-system",
        false,
        Pglint::OnPath,
    );
    assert!(!ok, "pglint-config-system passed:\n{text}");
    assert!(
        text.contains("owner-role-missing"),
        "rule not named:\n{text}"
    );
    commit(&repo, "owner-role-missing on again");

    // An unrelated change: the committed finding does not block it; the config hook skips.
    let unrelated = repo.join("infra/databases/postgres/postgres-podmonitor.yaml");
    append(&unrelated, "# scraped every 30s\n");
    git(&repo, &["add", "--all"]);
    let (ok, text) = try_repo(&repo, &snapshot, "pglint-system", false, Pglint::OnPath);
    assert!(ok && !text.contains("owner-role-missing"), "{text}");
    let (ok, text) = try_repo(
        &repo,
        &snapshot,
        "pglint-config-system",
        false,
        Pglint::OnPath,
    );
    assert!(ok && text.contains("Skipped"), "{text}");
    commit(&repo, "unrelated");

    // Touching the broken file brings its finding back.
    append(&repo.join(BROKEN_FILE), "# touched\n");
    git(&repo, &["add", BROKEN_FILE]);
    let (ok, text) = try_repo(&repo, &snapshot, "pglint-system", false, Pglint::OnPath);
    assert!(!ok && text.contains("owner-role-missing"), "{text}");
}

fn append(path: &Path, line: &str) {
    let mut text = fs::read_to_string(path).unwrap();
    text.push_str(line);
    fs::write(path, text).unwrap();
}

/// What users install: pre-commit builds pglint from the repository with `cargo install`.
#[test]
fn rust_hook_builds_pglint_and_fails_a_staged_broken_owner() {
    if !prerequisites("rust_hook_builds_pglint_and_fails_a_staged_broken_owner") {
        return;
    }
    clean_then_broken_owner("pglint", || Pglint::Built);
}

/// `pglint-fix-system` repairs a staged file (a Database without its sync wave): the hook fails
/// because it changed the file, as every pre-commit fixer does; run again, it passes.
#[test]
fn fix_hook_repairs_a_staged_file_and_fails_the_run_that_changed_it() {
    if !prerequisites("fix_hook_repairs_a_staged_file_and_fails_the_run_that_changed_it") {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let snapshot = snapshot_of_this_checkout(temp.path());
    let repo = conformant_repository(temp.path());
    let path = repo.join(BROKEN_FILE);
    let text = fs::read_to_string(&path).unwrap();
    let wave = "  annotations:\n    argocd.argoproj.io/sync-wave: \"2\"\n";
    assert!(text.contains(wave), "fixture changed:\n{text}");
    fs::write(&path, text.replace(wave, "")).unwrap();
    git(&repo, &["add", BROKEN_FILE]);

    let (ok, output) = try_repo(&repo, &snapshot, "pglint-fix-system", false, Pglint::OnPath);
    assert!(!ok, "the hook changed a file but passed:\n{output}");
    assert!(
        output.contains("files were modified by this hook"),
        "{output}"
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        text,
        "the wave is back where it was"
    );

    git(&repo, &["add", BROKEN_FILE]);
    let (ok, output) = try_repo(&repo, &snapshot, "pglint-fix-system", false, Pglint::OnPath);
    assert!(ok, "nothing left to fix, yet the hook failed:\n{output}");
}

/// The wheel-based hook repository (`pre-commit-mirror/`), as users get it: committed as a
/// repository of its own, named with a `rev` in `.pre-commit-config.yaml`. pre-commit installs
/// it (a package depending on `pglint==<version>`) with pip from a folder holding the wheel
/// built from this checkout and setuptools (`PIP_NO_INDEX`, `PIP_FIND_LINKS`): the first
/// install, into an empty `PRE_COMMIT_HOME`, is timed. The hooks then pass the conformant
/// repository and fail a staged broken owner; `pglint` is not on `PATH`, so the wheel's runs.
#[test]
fn wheel_hook_repository_installs_in_seconds_and_fails_a_staged_broken_owner() {
    if !prerequisites("wheel_hook_repository_installs_in_seconds_and_fails_a_staged_broken_owner") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (ok, text) = run(command("python3")
        .arg(root.join("pre-commit-mirror/refresh.py"))
        .arg("--check"));
    assert!(ok, "{text}");
    let ids = |path: &Path| -> Vec<String> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("- id: ").map(str::to_string))
            .collect()
    };
    assert_eq!(
        ids(&root.join("pre-commit-mirror/.pre-commit-hooks.yaml")),
        ids(&root.join(".pre-commit-hooks.yaml")),
        "the mirror has the same hook ids"
    );
    let Some(wheel) = wheel::wheel() else { return };
    let pre_commit = pre_commit();

    let temp = tempfile::tempdir().unwrap();
    let wheelhouse = temp.path().join("wheelhouse");
    fs::create_dir_all(&wheelhouse).unwrap();
    fs::copy(&wheel, wheelhouse.join(wheel.file_name().unwrap())).unwrap();
    // The mirror's build backend, which pip would otherwise fetch from PyPI.
    let python = pre_commit.parent().unwrap().join("python");
    let (ok, text) = run(command(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--only-binary", ":all:", "--dest"])
        .arg(&wheelhouse)
        .arg("setuptools"));
    assert!(ok, "pip download setuptools failed:\n{text}");

    let mirror = temp.path().join("pglint-pre-commit");
    copy_tree(&root.join("pre-commit-mirror"), &mirror);
    init_repository(&mirror);
    git(&mirror, &["add", "--all"]);
    commit(&mirror, "pglint-pre-commit");
    let rev = git(&mirror, &["rev-parse", "HEAD"]);
    let repo = conformant_repository(temp.path());
    fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: pglint\n      - id: pglint-config\n",
            mirror.display(),
            rev.trim()
        ),
    )
    .unwrap();
    git(&repo, &["add", ".pre-commit-config.yaml"]);
    commit(&repo, "pre-commit");

    // PATH without this build's binary, nor cargo's.
    let path: Vec<PathBuf> = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|dir| !dir.join("pglint").exists())
        .collect();
    let pre_commit_in = |args: &[&str]| {
        let mut cmd = command(&pre_commit);
        cmd.current_dir(&repo)
            .env("PATH", std::env::join_paths(&path).unwrap())
            .env("PRE_COMMIT_HOME", temp.path().join("pre-commit-home"))
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &wheelhouse)
            .args(args);
        run(&mut cmd)
    };
    let started = Instant::now();
    let (ok, text) = pre_commit_in(&["install-hooks"]);
    let first_install = started.elapsed();
    assert!(ok, "installing the wheel-based hooks failed:\n{text}");
    eprintln!("wheel-based hooks: first install in {first_install:.1?}");
    assert!(
        first_install.as_secs() < 90,
        "the first install took {first_install:.1?}; it should take seconds"
    );

    let (ok, text) = pre_commit_in(&["run", "--all-files", "--color", "never", "--verbose"]);
    assert!(ok, "the conformant layout failed:\n{text}");
    assert!(text.contains("0 errors"), "no pglint summary:\n{text}");
    break_database_owner(&repo);
    git(&repo, &["add", BROKEN_FILE]);
    let (ok, text) = pre_commit_in(&["run", "--color", "never"]);
    assert!(!ok, "a Database owned by a missing role passed:\n{text}");
    assert!(text.contains("owner-role-missing"), "{text}");
}
