//! Fixture repositories under `fixtures/`, linted with the default configuration and checked
//! against snapshots of their diagnostics (rule, severity, file:line:col span, message, help,
//! related locations).
//!
//! - `fixtures/conformant/`: an SOP repository that must produce no diagnostic at all.
//! - `fixtures/rules/<rule-id>[--variant]/`: must produce at least one `<rule-id>` diagnostic.
//!   Each holds only what differs from `fixtures/conformant/` and is built in memory
//!   (`tests/common/fixture.rs`).
//! - `fixtures/quiet/<name>/`: a correct pattern laid over `fixtures/conformant/` the same way;
//!   must produce no diagnostic at all.
//! - `fixtures/scenarios/<name>/` and `fixtures/example/`: snapshot only.
//!
//! A fixture may carry a `pglint.toml` (e.g. to turn an opt-in rule on).
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test fixtures` (or `cargo insta review`).

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/fs.rs"]
mod fs;

use std::path::Path;

use fixture::fixtures;
use pglint::config::Config;
use pglint::engine::lint::{lint, lint_all};
use pglint::project::Project;
use pglint::report::{Summary, json};

/// The fixture's own `pglint.toml` (e.g. to turn on an opt-in rule), else the defaults.
fn config(dir: &Path) -> Config {
    let path = dir.join("pglint.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Config::default();
    };
    Config::from_toml("pglint.toml", &text).expect("fixture configuration is valid")
}

/// A fixture repository on disk, with its configuration.
fn load(dir: &Path) -> (Project, Config) {
    let config = config(dir);
    let project = Project::load(dir, &config).expect("fixture loads");
    (project, config)
}

/// One line per diagnostic, indented help and related lines: readable in a snapshot diff.
fn render((project, config): (Project, Config)) -> (String, Vec<&'static str>) {
    render_change((project, config), None)
}

/// [`render`], of the change from `base` (a change-safety fixture) when given.
fn render_change(
    (mut project, config): (Project, Config),
    base: Option<Project>,
) -> (String, Vec<&'static str>) {
    let linted = lint_all(&project, &config);
    let mut diagnostics = linted.diagnostics;
    if let Some(base) = &base {
        pglint::engine::lint::compare_with_base(
            &mut project,
            base,
            "base",
            &config,
            &mut diagnostics,
        );
    }
    let summary = Summary::new(&project, &diagnostics).with_skipped(linted.skipped);
    let report = json::report(&project, &diagnostics, summary);
    let mut text = String::new();
    for d in &report.diagnostics {
        let l = &d.location;
        text.push_str(&format!(
            "{} {} {}:{}:{}-{}:{} {}\n",
            d.rule, d.severity, l.file, l.line, l.column, l.end_line, l.end_column, d.message
        ));
        if let Some(help) = d.help {
            // A merged finding's helps, one a line.
            for line in help.lines() {
                text.push_str(&format!("    help: {line}\n"));
            }
        }
        for r in &d.related {
            let l = &r.location;
            text.push_str(&format!(
                "    related: {}:{}:{}-{}:{} {}\n",
                l.file, l.line, l.column, l.end_line, l.end_column, r.message
            ));
        }
        if let Some(fix) = &d.fix {
            text.push_str(&format!(
                "    fix ({}): {}\n",
                fix.applicability, fix.message
            ));
        }
    }
    if let Some(fixable) = summary.fixable_line() {
        text.push_str(&fixable);
        text.push('\n');
    }
    text.push_str(&summary.line());
    text.push('\n');
    (text, diagnostics.iter().map(|d| d.rule.as_str()).collect())
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn conformant_repository_has_no_findings() {
    let (text, rules) = render(load(&fixtures().join("conformant")));
    assert!(rules.is_empty(), "expected no diagnostics, got:\n{text}");
}

/// Patterns that stray from the SOP but are right: nothing to report.
#[test]
fn correct_patterns_have_no_findings() {
    let (text, rules) = render(load(&fixtures().join("scenarios/correct-role-patterns")));
    assert!(rules.is_empty(), "expected no diagnostics, got:\n{text}");
}

#[test]
fn example_repository() {
    let (text, rules) = render(load(&fixtures().join("example")));
    assert!(rules.contains(&"owner-role-missing"), "{text}");
    snapshot("example", &text);
}

#[test]
fn every_rule_fixture_triggers_its_rule() {
    let mut failures = Vec::new();
    for name in fixture::names() {
        let rule = name.split("--").next().unwrap().to_string();
        assert!(
            pglint::rules::find(&rule).is_some(),
            "fixture {name} names no rule"
        );
        let (project, config) = fixture::project(&name);
        let base = fixture::base_revision(&name)
            .map(|files| Project::from_files(files, &config).expect("base revision loads"));
        let (text, rules) = render_change((project, config), base);
        if !rules.contains(&rule.as_str()) {
            failures.push(format!("{name}: no `{rule}` diagnostic in:\n{text}"));
        }
        snapshot(&format!("rules__{name}"), &text);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn quiet_fixtures_have_no_findings() {
    let mut failures = Vec::new();
    for name in fixture::quiet_names() {
        let (text, rules) = render(fixture::project(&name));
        if !rules.is_empty() {
            failures.push(format!("{name}: expected no diagnostics, got:\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rule_fixtures_hold_only_what_differs_from_the_base() {
    let base = fixture::files(&fixture::base());
    let mut problems = Vec::new();
    for name in fixture::names().into_iter().chain(fixture::quiet_names()) {
        let dir = fixture::dir_of(&name);
        let files = fixture::files(&dir);
        if !files.contains_key("README.md") {
            problems.push(format!("{name}: no README.md describing the scenario"));
        }
        if !fixture::Manifest::read(&name).has_base() {
            continue;
        }
        for (path, bytes) in files {
            if path != "README.md" && base.get(&path) == Some(&bytes) {
                problems.push(format!(
                    "{name}/{path}: identical to fixtures/conformant/{path}; delete it"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn scenarios() {
    for dir in fs::subdirs(&fixtures().join("scenarios")) {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (text, _) = render(load(&dir));
        snapshot(&format!("scenarios__{name}"), &text);
    }
}

/// The graphical report users read, for representative cross-file cases.
fn human((project, config): (Project, Config)) -> String {
    let diagnostics = lint(&project, &config);
    let summary = Summary::new(&project, &diagnostics);
    pglint::report::human::render(
        &project,
        &diagnostics,
        Some(summary),
        pglint::report::human::Style::plain(),
    )
}

#[test]
fn human_output_of_the_example() {
    snapshot("human__example", &human(load(&fixtures().join("example"))));
}

#[test]
fn human_output_of_cross_file_rules() {
    for name in ["cluster-missing", "role-secret-missing", "sync-wave-order"] {
        if fixtures().join("rules").join(name).is_dir() {
            snapshot(&format!("human__{name}"), &human(fixture::project(name)));
        }
    }
}

#[test]
fn a_broken_file_does_not_stop_the_others() {
    let (text, rules) = render(load(&fixtures().join("scenarios/broken-neighbour")));
    assert!(rules.contains(&"yaml-syntax"), "{text}");
    assert!(rules.contains(&"owner-role-missing"), "{text}");
}
