//! `pglint check --fix` on the rule fixtures: every fixture with an applicable fix is written to
//! a temporary directory, fixed with `--unsafe-fixes`, and
//! - its diff is snapshotted (`fix__<fixture>.snap`, secret values masked);
//! - the fixed findings are gone, and no finding appears that was not there before;
//! - fixing again changes nothing (idempotent);
//! - every file the fixes did not change is byte-identical.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test fixes`.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/fs.rs"]
mod fs;

use std::path::Path;

use pglint::config::Config;
use pglint::diagnostic::Diagnostic;
use pglint::fix;
use pglint::project::Project;

fn everything(_: &Project, _: &Diagnostic) -> bool {
    true
}

fn fixable(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.finding.fix.as_ref().is_some_and(|f| f.applies(true)))
        .collect()
}

/// `(rule, message)` of each diagnostic, sorted: a finding's identity without its position.
fn identities(diagnostics: &[Diagnostic]) -> Vec<(String, String)> {
    let mut out: Vec<_> = diagnostics
        .iter()
        .map(|d| (d.rule.to_string(), d.finding.message.clone()))
        .collect();
    out.sort();
    out
}

fn fix_run(dir: &Path, config: &Config) -> fix::Fixed {
    let project = Project::load(dir, config).expect("fixture loads");
    fix::run(dir, config, project, true, &everything).expect("fix run")
}

#[test]
fn every_fixable_rule_fixture_is_fixed() {
    let mut failures = Vec::new();
    let mut fixed_fixtures = 0;
    for name in fixture::names() {
        let files = fixture::materialize(&name);
        let config = fixture::config(&files);
        let temp = tempfile::tempdir().unwrap();
        fixture::write(&name, temp.path());
        let before = Project::load(temp.path(), &config).unwrap();
        let diagnostics = pglint::engine::lint::lint(&before, &config);
        if fixable(&diagnostics).is_empty() {
            continue;
        }
        fixed_fixtures += 1;
        let tree_before = fs::read_tree(temp.path());
        let fixed = fix_run(temp.path(), &config);
        let (lock, _) = pglint::write::Lock::acquire(temp.path()).unwrap();
        assert!(
            pglint::write::write_all(&lock, &fixed.changed).is_ok(),
            "{name}: write failed"
        );
        drop(lock);
        if !fixed.skipped.is_empty() {
            failures.push(format!("{name}: fixes skipped: {:?}", fixed.skipped));
        }
        let left = fixable(&fixed.diagnostics);
        if !left.is_empty() {
            failures.push(format!(
                "{name}: still fixable after --fix: {:?}",
                identities(&fixed.diagnostics)
            ));
        }
        let old = identities(&diagnostics);
        for new in identities(&fixed.diagnostics) {
            if !old.contains(&new) {
                failures.push(format!("{name}: the fix introduced {new:?}"));
            }
        }
        // Only the changed files differ.
        let tree_after = fs::read_tree(temp.path());
        let changed: Vec<&str> = fixed.changed.iter().map(|c| c.path.as_str()).collect();
        for (path, bytes) in &tree_before {
            if !changed.contains(&path.as_str()) && tree_after.get(path) != Some(bytes) {
                failures.push(format!("{name}: {path} changed without a fix"));
            }
        }
        // Idempotent.
        let again = fix_run(temp.path(), &config);
        if !again.changed.is_empty() {
            failures.push(format!(
                "{name}: a second --fix changed {:?}",
                again.changed.iter().map(|c| &c.path).collect::<Vec<_>>()
            ));
        }
        let paths = fixed.changed.iter().map(|c| c.path.as_str());
        let diff = pglint::report::diff::render(&before, &fixed.project, paths);
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("fix__{name}"), diff);
        });
    }
    assert!(
        fixed_fixtures >= 10,
        "only {fixed_fixtures} fixtures have fixes"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[path = "common/synth.rs"]
mod synth;

/// A hand edit of an app's Database, SealedSecret and the shared Cluster file.
type Mistake = fn(&synth::App, &mut String, &mut String, &mut String);

/// Fixable mistakes made in a generated repository, each in the way a hand edit makes it.
const MISTAKES: &[(&str, Mistake)] = &[
    ("namespace removed", |_, db, _, _| {
        *db = db.replacen("  namespace: postgres\n", "", 1)
    }),
    ("wave removed", |_, db, _, _| {
        *db = db.replacen(
            "  annotations:\n    argocd.argoproj.io/sync-wave: \"2\"\n",
            "",
            1,
        )
    }),
    ("wrong wave", |_, db, _, _| {
        *db = db.replacen("sync-wave: \"2\"", "sync-wave: \"1\"", 1)
    }),
    ("decimal wave", |_, db, _, _| {
        *db = db.replacen("sync-wave: \"2\"", "sync-wave: \"2.0\"", 1)
    }),
    ("namespace and wave removed", |_, db, _, _| {
        *db = db.replacen("  namespace: postgres\n", "", 1).replacen(
            "  annotations:\n    argocd.argoproj.io/sync-wave: \"2\"\n",
            "",
            1,
        )
    }),
    ("cluster typo", |_, db, _, _| {
        *db = db.replacen("name: postgres-shared", "name: postgres-sharde", 1)
    }),
    ("unquoted reload label", |_, _, sealed, _| {
        *sealed = sealed.replacen("cnpg.io/reload: \"true\"", "cnpg.io/reload: true", 1)
    }),
    (
        "reflector annotations on the SealedSecret",
        |app, _, sealed, _| {
            let lines = format!(
                "        reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"\n        reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: {}\n        reflector.v1.k8s.emberstack.com/reflection-auto-enabled: \"true\"\n",
                app.name
            );
            let own = lines.replace("        ", "    ");
            *sealed = sealed.replacen(&lines, "", 1).replacen(
                "  namespace: postgres\nspec:",
                &format!("  namespace: postgres\n  annotations:\n{own}spec:"),
                1,
            )
        },
    ),
    ("owner typo", |app, db, _, _| {
        *db = db.replacen(
            &format!("owner: {}\n", app.role()),
            &format!("owner: {}\n", app.role().replace("_user", "_usr")),
            1,
        )
    }),
    ("owner cannot log in", |app, _, _, cluster| {
        *cluster = cluster.replacen(
            &format!(
                "- name: {}\n        ensure: present\n        login: true\n",
                app.role()
            ),
            &format!(
                "- name: {}\n        ensure: present\n        login: false\n",
                app.role()
            ),
            1,
        )
    }),
    ("reflector annotations removed", |app, _, sealed, _| {
        *sealed = sealed.replacen(
            &format!(
                "        reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"\n        reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: {}\n        reflector.v1.k8s.emberstack.com/reflection-auto-enabled: \"true\"\n",
                app.name
            ),
            "",
            1,
        )
    }),
    ("password secret typo", |app, _, _, cluster| {
        *cluster = cluster.replacen(
            &format!("name: {}\n", app.secret()),
            &format!("name: {}z\n", app.secret()),
            1,
        )
    }),
];

/// A generated repository with a fixable mistake in most apps: `--fix --unsafe-fixes` brings
/// back every file byte for byte (each fix restores what the mistake changed, where it was),
/// and `check` then reports nothing.
#[test]
fn generated_mistakes_are_all_fixed_and_nothing_else_changes() {
    const APPS: usize = 60;
    let dir = tempfile::tempdir().unwrap();
    synth::write_sop_repo(dir.path(), APPS, 5).unwrap();
    let original = fs::read_tree(dir.path());
    let pg = dir.path().join("infra/databases/postgres");
    let cluster_path = pg.join("postgres-cluster.yaml");
    let mut cluster = std::fs::read_to_string(&cluster_path).unwrap();
    let mut made = 0;
    for (i, app) in synth::app_names(APPS, 5).iter().enumerate() {
        // Every seventh app stays correct.
        if i % 7 == 6 {
            continue;
        }
        let (_, mistake) = MISTAKES[(i * 5 + i / MISTAKES.len()) % MISTAKES.len()];
        let mut db = std::fs::read_to_string(pg.join(app.db_file())).unwrap();
        let mut sealed = std::fs::read_to_string(pg.join(app.sealed_file())).unwrap();
        let before = (db.clone(), sealed.clone(), cluster.clone());
        mistake(app, &mut db, &mut sealed, &mut cluster);
        assert_ne!(before, (db.clone(), sealed.clone(), cluster.clone()), "{i}");
        std::fs::write(pg.join(app.db_file()), db).unwrap();
        std::fs::write(pg.join(app.sealed_file()), sealed).unwrap();
        made += 1;
    }
    std::fs::write(&cluster_path, &cluster).unwrap();
    // The last app's files left out of the kustomization (appended back at its end).
    let kustomization_path = pg.join("kustomization.yaml");
    let kustomization = std::fs::read_to_string(&kustomization_path).unwrap();
    let last = synth::app_names(APPS, 5).pop().unwrap();
    let unlisted = format!("  - {}\n", last.db_file());
    assert!(kustomization.ends_with(&unlisted));
    std::fs::write(&kustomization_path, kustomization.replace(&unlisted, "")).unwrap();
    let config = Config::default();
    let broken = pglint::engine::lint::lint(&Project::load(dir.path(), &config).unwrap(), &config);
    assert!(
        broken.len() >= made,
        "{made} mistakes, {} findings",
        broken.len()
    );

    let fixed = fix_run(dir.path(), &config);
    assert!(fixed.skipped.is_empty(), "{:?}", fixed.skipped);
    let (lock, _) = pglint::write::Lock::acquire(dir.path()).unwrap();
    assert!(pglint::write::write_all(&lock, &fixed.changed).is_ok());
    drop(lock);
    assert_eq!(
        identities(&fixed.diagnostics),
        Vec::<(String, String)>::new()
    );
    let after = fs::read_tree(dir.path());
    for (path, bytes) in &original {
        assert!(
            after.get(path) == Some(bytes),
            "{path} differs from the original:\n{}",
            String::from_utf8_lossy(after.get(path).map_or(&[][..], |b| b))
        );
    }
    assert_eq!(after.len(), original.len());
}

/// Source texts are not kept once loaded (a large repository's texts would double the
/// memory): the stages after loading (the deployments' kustomize builds, a fix's edits, the
/// report's snippets) read a file again, checked against the digest of what was loaded
/// (CONTRIBUTING, "Source texts"). So "nothing reads the disk after loading" holds for the
/// rules' judgement of the model, not for those reads; what this guarantees instead: a
/// repository that changes or vanishes after loading is never reported on from other texts.
/// The run names the files it found changed (and the command line fails), and no finding or
/// fix points into them.
#[test]
fn a_repository_gone_after_loading_fails_the_run_rather_than_changing_it() {
    use pglint::engine::{self, Options};
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example");
    fs::copy_dir(&example, dir.path());
    let config = Config::default();
    let intact = engine::check(
        engine::load(dir.path(), &config).unwrap(),
        &config,
        &Options::default(),
    )
    .unwrap();
    assert!(!intact.diagnostics.is_empty());
    assert!(intact.changed_meanwhile.is_empty());

    let project = engine::load(dir.path(), &config).unwrap();
    std::fs::remove_dir_all(dir.path()).unwrap();
    let gone = engine::check(project, &config, &Options::default()).unwrap();
    assert!(
        !gone.changed_meanwhile.is_empty(),
        "a check after the repository vanished names no changed file: {:?}",
        identities(&gone.diagnostics)
    );
    for d in &gone.diagnostics {
        let files =
            std::iter::once(d.finding.loc.file).chain(d.finding.related.iter().map(|r| r.loc.file));
        for file in files {
            assert!(
                !gone.changed_meanwhile.contains(&file),
                "{} points into {}, which vanished",
                d.rule,
                gone.project.path(file)
            );
        }
    }
    // Fixes are built on the files' texts: none is computed from a text that is gone, and the
    // fix stage names what it could not read.
    fs::copy_dir(&example, dir.path());
    let project = engine::load(dir.path(), &config).unwrap();
    std::fs::remove_dir_all(dir.path()).unwrap();
    match fix::run(dir.path(), &config, project, true, &everything) {
        Ok(fixed) => {
            assert!(
                fixed.changed.is_empty(),
                "{} files fixed",
                fixed.changed.len()
            );
            assert!(!fixed.changed_meanwhile.is_empty());
        }
        Err(error) => assert!(!error.is_empty()),
    }
}
