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

/// Where kustomize v5.5.0 (the oracle here) and the kustomize that Argo CD 3.x (5.6.0–5.8.1)
/// and Flux (the 5.8 library) build with decide differently, pglint follows the newer one.
/// Each known difference: what kubectl v5.5.0 says, and whether the kustomization must hold a
/// patch file that is empty, blank or only comments for the words to be this difference.
///
/// Differences that do not show here, because pglint does not model what they change:
/// 5.8.0 alone gave a parent's `namespace:` to nested kustomizations without one before their
/// own transformers ran (commit 75839a81b, `kusttarget.go` `accumulateDirectory`); 5.8.1 keeps
/// that for `helmCharts` only (commit 4e75138d2, `parentNamespace`), which pglint does not
/// render, so pglint builds as 5.5.0 and 5.8.1 do. 5.8.0 also gives Helm charts the namespace
/// (commit 9376a5c4b) and 5.7.0 regular expressions in `replacements` selectors (#5863):
/// Helm charts and replacements are partly known to pglint.
const KNOWN_DIFFERENCES: &[(&str, bool)] = &[
    // A blank or comment-only patch file: 5.5.0 takes it for both a strategic-merge and a
    // JSON patch and refuses it; 5.7.0 accepts it (kubernetes-sigs/kustomize#5771, commit
    // 31b37540e, `api/internal/builtins/PatchTransformer.go` `Config`).
    ("illegally qualifies as both an SM and JSON patch", true),
    // The same without `target:`: 5.5.0–5.8.0 then run it as a JSON patch, which needs a
    // target; 5.8.1 applies a JSON patch only when there is one (commit 24ea1b951,
    // `PatchTransformerPlugin.Transform`).
    ("must specify a target for JSON patch", true),
    // Several `$patch: delete` documents in one patch file: 5.5.0 crashes on the second;
    // 5.7.0 skips deleted resources when matching (kubernetes-sigs/kustomize#5859, commit
    // dd08aec23, `api/resmap/reswrangler.go` `GetMatchingResourcesByAnyId`).
    ("invalid memory address or nil pointer dereference", false),
];

/// Is kubectl's refusal of `dir` one of [`KNOWN_DIFFERENCES`]?
fn known_difference(dir: &Path, stderr: &str) -> bool {
    let blank_patch = || {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                std::fs::read_to_string(entry.path()).is_ok_and(|text| {
                    text.lines()
                        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
                })
            })
    };
    KNOWN_DIFFERENCES
        .iter()
        .any(|&(words, needs_blank)| stderr.contains(words) && (!needs_blank || blank_patch()))
}

struct Outcome {
    /// Built by both, with identical output.
    compared: usize,
    /// Refused by both.
    refused: usize,
    /// Refused by kustomize offline, partly known to pglint (Helm charts, remote bases).
    unknown: usize,
    /// Refused by kustomize v5.5.0 and built by pglint as the newer kustomize builds it.
    known: usize,
    differences: Vec<String>,
}

/// Compares every kustomization of each repository root.
fn compare(repositories: &[PathBuf]) -> Outcome {
    let mut dirs = Vec::new();
    for repo in repositories {
        let mut found = Vec::new();
        kustomization_dirs(repo, &mut found);
        dirs.extend(found.into_iter().map(|dir| (repo.clone(), dir)));
    }
    compare_dirs(&dirs)
}

/// Compares the kustomizations in `dirs`, each with the root of its repository.
fn compare_dirs(dirs: &[(PathBuf, PathBuf)]) -> Outcome {
    let scratch = tempfile::tempdir().expect("temporary folder");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/render_diff.py");
    let mut outcome = Outcome {
        compared: 0,
        refused: 0,
        unknown: 0,
        known: 0,
        differences: Vec::new(),
    };
    for (repo, dir) in dirs {
        let kustomize = Command::new("kubectl")
            .arg("kustomize")
            .arg(dir)
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
            let stderr = String::from_utf8_lossy(&kustomize.stderr);
            if !render.status.success() {
                outcome.refused += 1;
            } else if String::from_utf8_lossy(&render.stderr).contains("partly known") {
                outcome.unknown += 1;
            } else if known_difference(dir, &stderr) {
                outcome.known += 1;
            } else {
                outcome.differences.push(format!(
                    "{name}: kubectl kustomize refuses ({}), pglint builds it",
                    stderr.trim()
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
        "{} kustomizations identical, {} refused by both, {} refused by kustomize offline and partly known to pglint, {} known differences from kustomize v5.5.0",
        outcome.compared, outcome.refused, outcome.unknown, outcome.known
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
        "{} kustomizations identical, {} refused by both, {} refused by kustomize offline and partly known to pglint, {} known differences from kustomize v5.5.0",
        outcome.compared, outcome.refused, outcome.unknown, outcome.known
    );
}

#[path = "common/synth.rs"]
mod synth;

/// One generated repository: a base, a Component and an overlay mixing the constructs whose
/// decision (build or refuse) and output must match kustomize's: nested namespaces and
/// prefixes, components (and a Component listed as a resource), generators, strategic-merge
/// patches (matching, matching nothing without `target:`, `$patch: delete`, an unknown
/// directive), JSON 6902 operations (`test` that holds or not, `copy`/`move` with and
/// without `from`, a path that does not exist), a `target:` that selects nothing, cycles,
/// files outside the kustomization's folder, a file listed twice, an alias to another
/// document's anchor, `kind: List` documents (and one whose item is not an object), top-level
/// sequences (refused unless empty), `$patch`
/// directives on list items (of a built-in kind, merged by key, and of a custom resource,
/// whose list is replaced), patch `options` (`allowNameChange`, `allowKindChange`), a patch
/// that deletes a whole object.
///
/// Blank patch files and several deleting patches in one file are generated too: kustomize
/// v5.5.0 refuses them where the newer kustomize builds them ([`KNOWN_DIFFERENCES`]).
fn generated_repository(root: &Path, rng: &mut synth::SplitMix64) {
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let mut pick = |n: usize| rng.below(n);
    let mut base = String::new();
    if pick(2) == 0 {
        base.push_str("namespace: ns-base\n");
    }
    if pick(3) == 0 {
        base.push_str("namePrefix: b-\n");
    }
    base.push_str("resources:\n  - cm.yaml\n  - db.yaml\n");
    match pick(12) {
        0 => base.push_str("  - cm.yaml\n"),
        1 => base.push_str("  - two.yaml\n"),
        2 | 3 => base.push_str("  - list.yaml\n"),
        4 => base.push_str("  - bad-list.yaml\n"),
        // Documents that are no Kubernetes objects: refused, or skipped when empty or null.
        5 => base.push_str("  - mixed.yaml\n"),
        6 => base.push_str("  - empty-docs.yaml\n"),
        // A top-level sequence: refused unless empty.
        7 => base.push_str("  - sequence.yaml\n"),
        8 => base.push_str("  - empty-sequence.yaml\n"),
        _ => {}
    }
    if pick(3) == 0 {
        base.push_str(
            "configMapGenerator:\n  - name: generated\n    literals:\n      - mode=fast\n",
        );
    }
    write("base/kustomization.yaml", &base);
    write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n  b: \"2\"\n",
    );
    write(
        "base/db.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  name: app\n  owner: app\n  cluster:\n    name: pg\n",
    );
    write(
        "base/two.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\ndata: &shared\n  a: \"1\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\ndata: *shared\n",
    );
    write(
        "base/list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: listed\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n            - {name: a, image: a1}\n            - {name: b, image: b1}\n---\napiVersion: v1\nkind: ConfigMapList\nitems: null\n",
    );
    write(
        "base/mixed.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mixed\n---\nreplicaCount: 1\n",
    );
    write(
        "base/empty-docs.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mixed\n---\n{}\n---\n~\n---\n# a comment\n",
    );
    write(
        "base/sequence.yaml",
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: in-a-sequence\n",
    );
    write("base/empty-sequence.yaml", "[]\n");
    write(
        "base/bad-list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n  - just a string\n",
    );
    write(
        "comp/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs:\n      team: data\ncommonAnnotations:\n  owner: platform\n",
    );
    let mut overlay = String::new();
    if pick(2) == 0 {
        overlay.push_str("namespace: ns-overlay\n");
    }
    if pick(2) == 0 {
        overlay.push_str("nameSuffix: -o\n");
    }
    overlay.push_str("resources:\n  - ../base\n");
    match pick(14) {
        0 => overlay.push_str("  - ../comp\n"),
        1 => overlay.push_str("  - ../base/cm.yaml\n"),
        2 => overlay.push_str("  - ../overlay\n"),
        3 => overlay.push_str("  - ..\n"),
        4 => overlay.push_str("  - extra\n"),
        _ => {}
    }
    write(
        "overlay/extra/kustomization.yaml",
        "resources:\n  - ../../base\n",
    );
    if pick(2) == 0 {
        overlay.push_str("components:\n  - ../comp\n");
    }
    let patches = [
        "  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: cm\n      data:\n        c: \"3\"\n",
        "  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: cm\n        namespace: ns-base\n      data:\n        c: \"3\"\n",
        "  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: nope\n      data:\n        c: \"3\"\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: any\n      data:\n        $patch: delete\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: any\n      data:\n        $patch: keep\n        c: \"3\"\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      - op: test\n        path: /data/a\n        value: \"1\"\n      - op: add\n        path: /data/t\n        value: ok\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      - op: test\n        path: /data/a\n        value: \"9\"\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      - op: copy\n        from: /data/a\n        path: /data/copied\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      - op: copy\n        path: /data/copied\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      - op: move\n        from: /data/b\n        path: /data/moved\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      - op: remove\n        path: /data/absent\n",
        "  - target:\n      kind: Secret\n    patch: |\n      - op: add\n        path: /data/x\n        value: eA==\n",
        "  - target:\n      kind: Database\n    patch: |\n      - op: replace\n        path: /spec/owner\n        value: other\n",
        "  - path: owner.yaml\n",
        "  - target:\n      kind: Database\n    patch: |\n      apiVersion: postgresql.cnpg.io/v1\n      kind: Database\n      metadata:\n        name: any\n      spec:\n        extensions:\n          - name: vector\n            $patch: delete\n",
        "  - target:\n      kind: Deployment\n    patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: any\n      spec:\n        template:\n          spec:\n            containers:\n              - {name: a, $patch: delete}\n              - {name: c, image: c1}\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    options:\n      allowNameChange: true\n    patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: renamed\n        namespace: elsewhere\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    patch: |\n      apiVersion: v1\n      kind: Secret\n      metadata:\n        name: renamed\n",
        "  - target:\n      kind: ConfigMap\n      name: cm\n    options:\n      allowKindChange: true\n    patch: |\n      apiVersion: v1\n      kind: Secret\n      metadata:\n        name: any\n",
        "  - path: delete-cm.yaml\n",
        "  - path: blank.yaml\n",
        "  - path: blank.yaml\n    target:\n      kind: ConfigMap\n",
        "  - path: delete-two.yaml\n",
    ];
    let count = pick(3);
    if count > 0 {
        overlay.push_str("patches:\n");
        for _ in 0..count {
            overlay.push_str(patches[pick(patches.len())]);
        }
    }
    write("overlay/kustomization.yaml", &overlay);
    write("overlay/blank.yaml", "# nothing to patch yet\n\n");
    write(
        "overlay/delete-two.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n$patch: delete\n---\napiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\n$patch: delete\n",
    );
    write(
        "overlay/delete-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n$patch: delete\n",
    );
    write(
        "overlay/owner.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  owner: patched\n",
    );
}

#[test]
fn generated_kustomizations_decide_like_kustomize() {
    if !kubectl_available() {
        eprintln!("skipped: kubectl is not installed (.ci/run installs it)");
        return;
    }
    ensure_pyyaml();
    let scratch = tempfile::tempdir().expect("temporary folder");
    let mut rng = synth::SplitMix64::new(18);
    // The overlay of each: it builds the base and the component (alone they vary little).
    let overlays: Vec<(PathBuf, PathBuf)> = (0..200)
        .map(|i| {
            let root = scratch.path().join(format!("case-{i:03}"));
            generated_repository(&root, &mut rng);
            let overlay = root.join("overlay");
            (root, overlay)
        })
        .collect();
    // Two threads: kubectl dominates, and CI has two cores.
    let (first, second) = overlays.split_at(overlays.len() / 2);
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| compare_dirs(first));
        let b = scope.spawn(|| compare_dirs(second));
        (a.join().expect("compares"), b.join().expect("compares"))
    });
    let known = a.known + b.known;
    let mut differences = a.differences;
    differences.extend(b.differences);
    assert!(
        differences.is_empty(),
        "pglint decides or renders differently from kubectl kustomize:\n{}",
        differences.join("\n")
    );
    let (compared, refused) = (a.compared + b.compared, a.refused + b.refused);
    // Both decisions occur often in the generated set.
    assert!(
        compared >= 50 && refused >= 50,
        "{compared} built, {refused} refused"
    );
    eprintln!(
        "generated: {compared} kustomizations identical, {refused} refused by both, {} partly known, {known} known differences from kustomize v5.5.0",
        a.unknown + b.unknown
    );
}
