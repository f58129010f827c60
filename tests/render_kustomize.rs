//! Differential test: pglint's own kustomize rendering against real kustomize
//! (`kubectl kustomize`, which in Debian's kubectl is kustomize v5.5.0).
//!
//! For every kustomization under `fixtures/` (the rule fixtures laid over their base in a
//! temporary folder first, see `tests/common/fixture.rs`) and `../shared/corpus/realworld/`
//! that `kubectl kustomize` builds offline, `pglint render DIR --format json` must give the same
//! objects (kind, namespace, name) in the same order, apiVersions, annotations, labels, and the
//! same values of the fields pglint reads (`tests/support/render_diff.py` compares them,
//! reading kustomize's output with PyYAML). A difference is a failure. Where kustomize refuses,
//! pglint must make the same decision: refuse too (`render` exits non-zero), or report the
//! build partly known (Helm charts without `--enable-helm`, remote bases offline: counted as
//! unknowns). Each test prints its counts (identical outputs, identical refusals, unknowns).
//!
//! Needs `kubectl` (`.ci/run` installs it) and Python's `yaml` module (installed with pip when
//! missing); without kubectl the test says so and passes, so a fresh clone still passes.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/fs.rs"]
mod fs;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ensure_pyyaml() {
    let has = |python: &str| {
        Command::new(python)
            .args(["-c", "import yaml"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if has("python3") {
        return;
    }
    let status = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "pyyaml"])
        .status()
        .expect("python3 runs");
    assert!(status.success() && has("python3"), "PyYAML installs");
}

/// Every folder under `dir` holding a kustomization.
fn kustomization_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            kustomization_dirs(&path, out);
        } else if matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
        ) {
            out.push(dir.to_path_buf());
        }
    }
}

struct Outcome {
    /// Built by both, with identical output.
    compared: usize,
    /// Refused by both.
    refused: usize,
    /// Refused by kustomize offline, partly known to pglint (Helm charts, remote bases).
    unknown: usize,
    differences: Vec<String>,
}

/// Compares every kustomization of each repository root.
fn compare(repositories: &[PathBuf]) -> Outcome {
    let scratch = tempfile::tempdir().expect("temporary folder");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/render_diff.py");
    let mut outcome = Outcome {
        compared: 0,
        refused: 0,
        unknown: 0,
        differences: Vec::new(),
    };
    for repo in repositories {
        let mut dirs = Vec::new();
        kustomization_dirs(repo, &mut dirs);
        for dir in dirs {
            let kustomize = Command::new("kubectl")
                .arg("kustomize")
                .arg(&dir)
                .output()
                .expect("kubectl runs");
            let relative = dir.strip_prefix(repo).expect("inside the repository");
            let relative = if relative.as_os_str().is_empty() {
                Path::new(".")
            } else {
                relative
            };
            let render = Command::new(env!("CARGO_BIN_EXE_pglint"))
                .arg("render")
                .arg(relative)
                .args(["--format", "json", "--root"])
                .arg(repo)
                .current_dir(repo)
                .output()
                .expect("pglint runs");
            let name = format!("{}", dir.display());
            if !kustomize.status.success() {
                // The same decision: pglint refuses too, or says what it cannot see (a Helm
                // chart without `--enable-helm`, a remote base offline).
                if !render.status.success() {
                    outcome.refused += 1;
                } else if String::from_utf8_lossy(&render.stderr).contains("partly known") {
                    outcome.unknown += 1;
                } else {
                    outcome.differences.push(format!(
                        "{name}: kubectl kustomize refuses ({}), pglint builds it",
                        String::from_utf8_lossy(&kustomize.stderr).trim()
                    ));
                }
                continue;
            }
            if !render.status.success() {
                outcome.differences.push(format!(
                    "{name}: pglint render failed: {}",
                    String::from_utf8_lossy(&render.stderr)
                ));
                continue;
            }
            let rendered = scratch.path().join("rendered.json");
            std::fs::write(&rendered, &render.stdout).expect("write");
            let mut diff = Command::new("python3")
                .arg(&script)
                .arg(&rendered)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 runs");
            use std::io::Write;
            diff.stdin
                .take()
                .expect("stdin")
                .write_all(&kustomize.stdout)
                .expect("write to the comparison");
            let result = diff.wait_with_output().expect("comparison ends");
            outcome.compared += 1;
            if !result.status.success() {
                outcome.differences.push(format!(
                    "{name}:\n{}",
                    String::from_utf8_lossy(&result.stdout)
                ));
            }
        }
    }
    outcome
}

#[test]
fn fixtures_render_like_kustomize() {
    if !kubectl_available() {
        eprintln!("skipped: kubectl is not installed (.ci/run installs it)");
        return;
    }
    ensure_pyyaml();
    let fixtures = fixture::fixtures();
    let mut repositories = vec![fixtures.join("example"), fixtures.join("conformant")];
    // kubectl reads files: each rule fixture's repository is written out in full.
    let materialized = tempfile::tempdir().expect("temporary folder");
    for name in fixture::names() {
        let dir = materialized.path().join("rules").join(&name);
        fixture::write(&name, &dir);
        repositories.push(dir);
    }
    for collection in ["scenarios", "render"] {
        repositories.extend(fs::subdirs(&fixtures.join(collection)));
    }
    let outcome = compare(&repositories);
    assert!(
        outcome.differences.is_empty(),
        "pglint renders differently from kubectl kustomize:\n{}",
        outcome.differences.join("\n")
    );
    // The render fixtures alone hold four buildable overlays; the kustomize-build-refused
    // fixtures ten refusals.
    assert!(outcome.compared >= 4, "compared only {}", outcome.compared);
    assert!(outcome.refused >= 10, "refused only {}", outcome.refused);
    eprintln!(
        "{} kustomizations identical, {} refused by both, {} refused by kustomize offline and partly known to pglint",
        outcome.compared, outcome.refused, outcome.unknown
    );
}

#[test]
fn corpus_renders_like_kustomize() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    if !kubectl_available() {
        eprintln!("skipped: kubectl is not installed (.ci/run installs it)");
        return;
    }
    ensure_pyyaml();
    let outcome = compare(&fs::subdirs(&corpus));
    assert!(
        outcome.differences.is_empty(),
        "pglint renders differently from kubectl kustomize:\n{}",
        outcome.differences.join("\n")
    );
    assert!(
        outcome.compared > 0,
        "kustomize built nothing in the corpus"
    );
    eprintln!(
        "{} kustomizations identical, {} refused by both, {} refused by kustomize offline and partly known to pglint",
        outcome.compared, outcome.refused, outcome.unknown
    );
}
