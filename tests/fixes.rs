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
    fix::run(dir, config, project, true, false, &everything).expect("fix run")
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

/// Everything a check makes of a loaded project, as text: the deployments' objects, each
/// kustomize build (generated objects included), the findings in every report format and
/// the edits of every fix.
fn everything_made_of(project: Project, root: &Path, config: &Config) -> String {
    use pglint::deploy::Deploy;
    use pglint::deploy::kustomize::Kustomize;
    use pglint::engine::{self, Options};
    use pglint::report::objects::{Rendered, render_json};
    use pglint::report::{self, Summary, human::Style};
    let mut out = String::new();
    let deploy = Deploy::build(&project, config);
    let mut applied = Vec::new();
    for (id, _) in project.sources() {
        for (deployment, resource) in deploy.instances_of(id) {
            applied.push(Rendered {
                object: &resource.object,
                deployment: &deployment.name,
                annotations_as_strings: true,
            });
        }
    }
    out += &render_json(&project, &applied);
    let kustomize = Kustomize::new(&project);
    for k in &project.kustomize.kustomizations {
        let dir = pglint::source::parent_dir(project.path(k.file));
        match kustomize.build(dir) {
            Ok(built) => {
                let objects: Vec<Rendered> = (built.resources.iter())
                    .map(|resource| Rendered {
                        object: &resource.object,
                        deployment: dir,
                        annotations_as_strings: true,
                    })
                    .collect();
                out += &render_json(&project, &objects);
            }
            Err(error) => out += &format!("{dir}: {}\n", error.message),
        }
    }
    drop(kustomize);
    drop(deploy);
    let checked = engine::check(project, config, &Options::default()).unwrap();
    let (project, diagnostics) = (&checked.project, &checked.diagnostics[..]);
    let summary = Some(Summary::new(project, diagnostics));
    out += &report::human::render(project, diagnostics, summary, Style::plain());
    out += &report::concise::render(project, diagnostics, summary);
    out += &report::json::render_with_notices(
        project,
        diagnostics,
        Summary::new(project, diagnostics),
        &checked.notices,
    );
    out += &report::sarif::render(project, diagnostics, root);
    out += &report::github::render(project, diagnostics, summary, root);
    out += &report::gitlab::render(project, diagnostics, root);
    out += &report::junit::render(project, diagnostics, root);
    out += &report::rdjson::render(project, diagnostics, root);
    for fix in diagnostics.iter().filter_map(|d| d.finding.fix.as_ref()) {
        out += &format!("{fix:?}\n");
    }
    out
}

/// Every file's text is read once, at load, and every later stage reads memory (CONTRIBUTING,
/// "Data flow"): a project whose files are all overwritten or deleted after loading checks,
/// builds and reports exactly as one whose files are intact. Generator inputs (`envs:`,
/// `files:`) are read at load too.
#[test]
fn after_loading_nothing_reads_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example");
    fs::copy_dir(&example, dir.path());
    let app = dir.path().join("apps/gitea");
    let kustomization = std::fs::read_to_string(app.join("kustomization.yaml")).unwrap();
    let generator = "configMapGenerator:\n  - name: gitea-settings\n    envs: [gitea.env]\n    files: [app.ini]\n";
    std::fs::write(app.join("kustomization.yaml"), kustomization + generator).unwrap();
    std::fs::write(app.join("gitea.env"), "RUN_MODE=prod\n").unwrap();
    std::fs::write(app.join("app.ini"), "[server]\nDOMAIN = git.example.org\n").unwrap();
    let config = Config::default();
    let load = || pglint::engine::load(dir.path(), &config).unwrap();
    let intact = everything_made_of(load(), dir.path(), &config);
    assert!(
        intact.contains("gitea-settings-"),
        "the generator ran:\n{intact}"
    );
    assert!(
        intact.contains("\"ruleId\": \"owner-role-missing\""),
        "{intact}"
    );

    for (overwrite, project) in [(true, load()), (false, load())] {
        for path in fs::read_tree(dir.path()).keys() {
            let file = dir.path().join(path);
            if overwrite {
                std::fs::write(file, "kind: [\n").unwrap();
            } else {
                std::fs::remove_file(file).unwrap();
            }
        }
        let after = everything_made_of(project, dir.path(), &config);
        for (at, (after, intact)) in after.lines().zip(intact.lines()).enumerate() {
            assert_eq!(after, intact, "line {at}, files overwritten: {overwrite}");
        }
        assert_eq!(after.lines().count(), intact.lines().count());
    }
}

/// The one read of the disk after loading: a fix compares the file with the text it was
/// computed from, and a file changed since is not fixed (the run fails; `tests/writers.rs`
/// checks that the writer never overwrites it).
#[test]
fn a_file_changed_after_loading_is_not_fixed() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example"),
        dir.path(),
    );
    let config = Config::default();
    let project = pglint::engine::load(dir.path(), &config).unwrap();
    let diagnostics = pglint::engine::check(
        pglint::engine::load(dir.path(), &config).unwrap(),
        &config,
        &Default::default(),
    )
    .unwrap();
    let fixed_file = fixable(&diagnostics.diagnostics)
        .first()
        .map(|d| diagnostics.project.path(d.finding.loc.file).to_string())
        .expect("the example has a fixable finding");
    let saved = "# saved by an editor\n";
    std::fs::write(dir.path().join(&fixed_file), saved).unwrap();
    let fixed = fix::run(dir.path(), &config, project, true, false, &everything).unwrap();
    assert!(fixed.changed_meanwhile.contains(&fixed_file));
    assert!(fixed.changed.iter().all(|c| c.path != fixed_file));
    assert!(
        !fixed.changed.is_empty(),
        "the other files' fixes are computed"
    );
}
