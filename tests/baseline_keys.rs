//! The identity a baseline (and `check --base`) gives each finding — rule, object, field path,
//! deployment — for every rule fixture, scenario, the example and the real-world corpus,
//! pinned as snapshots. They were taken while keys were still computed by re-reading each
//! file's YAML; keys now come from each finding's subject, and these snapshots are what proves
//! that baseline files written before still match (the README lists the few keys that
//! changed, and why).
//!
//! Update with `INSTA_UPDATE=always cargo test --test baseline_keys`, and read the diff: a
//! changed key un-baselines a finding in every repository that recorded it.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/fs.rs"]
mod fs;

use std::path::Path;

use pglint::baseline::Baseline;
use pglint::config::Config;
use pglint::diagnostic::Diagnostic;
use pglint::engine::lint::{compare_with_base, lint};
use pglint::project::Project;

/// One line per finding: where it is (to read the diff), then its baseline key.
fn keys(project: &Project, diagnostics: &[Diagnostic]) -> String {
    let mut text = String::new();
    for d in diagnostics {
        let at = project.path(d.finding.loc.file);
        for entry in Baseline::record(std::slice::from_ref(d)).entries {
            let key = entry.key;
            text.push_str(&format!(
                "  {at}: {} | {} | {}{}\n",
                key.rule,
                key.object,
                key.path,
                key.deployment
                    .map_or_else(String::new, |d| format!(" | {d}"))
            ));
        }
    }
    text
}

fn config_of(dir: &Path) -> Config {
    std::fs::read_to_string(dir.join("pglint.toml")).map_or_else(
        |_| Config::default(),
        |text| Config::from_toml("pglint.toml", &text).expect("valid configuration"),
    )
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn keys_of_every_fixture() {
    let mut text = String::new();
    for name in fixture::names() {
        let (mut project, config) = fixture::project(&name);
        let mut diagnostics = lint(&project, &config);
        if let Some(files) = fixture::base_revision(&name) {
            let base = Project::from_files(files, &config).expect("base revision loads");
            compare_with_base(&mut project, &base, "base", &config, &mut diagnostics);
        }
        text.push_str(&format!("## rules/{name}\n"));
        text.push_str(&keys(&project, &diagnostics));
    }
    let dirs = fs::subdirs(&fixture::fixtures().join("scenarios"))
        .into_iter()
        .chain([fixture::fixtures().join("example")]);
    for dir in dirs {
        let config = config_of(&dir);
        let project = Project::load(&dir, &config).expect("fixture loads");
        let diagnostics = lint(&project, &config);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        text.push_str(&format!("## {name}\n"));
        text.push_str(&keys(&project, &diagnostics));
    }
    snapshot("baseline_keys__fixtures", &text);
}

#[test]
fn keys_of_the_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    if !corpus.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is absent in CI",
            corpus.display()
        );
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let config = Config::default();
    let mut text = String::new();
    for repo in fs::subdirs(&corpus) {
        let project = Project::load(&repo, &config).expect("corpus repository loads");
        let diagnostics = lint(&project, &config);
        text.push_str(&format!(
            "## {}\n",
            repo.file_name().unwrap().to_string_lossy()
        ));
        text.push_str(&keys(&project, &diagnostics));
    }
    snapshot("baseline_keys__corpus", &text);
}
