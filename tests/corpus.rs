//! The real-world corpus (`../shared/corpus/realworld/`: manifests from public GitOps
//! repositories using CNPG and sealed secrets). pglint must load and lint every repository
//! without a panic, and its findings there are pinned as snapshots: each was reviewed by hand,
//! so a change in what real repositories get told shows up in review.
//!
//! Skipped, with a message, when `../shared` is absent (a fresh clone).

use std::path::Path;

use pglint::config::Config;
use pglint::engine::lint::lint_all;
use pglint::project::Project;
use pglint::report::{Summary, json};

#[test]
fn realworld_repositories() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        eprintln!(
            "skipped: {} is absent (fresh clone without ../shared)",
            corpus.display()
        );
        return;
    };
    let mut repos: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    assert!(!repos.is_empty(), "the corpus has repositories");
    let config = Config::default();
    let mut text = String::new();
    for repo in repos {
        let project = Project::load(&repo, &config).expect("corpus repository loads");
        let linted = lint_all(&project, &config);
        let diagnostics = linted.diagnostics;
        let summary = Summary::new(&project, &diagnostics).with_skipped(linted.skipped);
        let report = json::report(&project, &diagnostics, summary);
        // Valid JSON for every repository.
        serde_json::to_string(&report).expect("report serialises");
        text.push_str(&format!(
            "## {}: {}\n",
            repo.file_name().unwrap().to_string_lossy(),
            summary.line()
        ));
        for d in &report.diagnostics {
            let l = &d.location;
            text.push_str(&format!(
                "{} {} {}:{}:{} {}\n",
                d.rule, d.severity, l.file, l.line, l.column, d.message
            ));
        }
    }
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!("corpus", text);
    });
}
