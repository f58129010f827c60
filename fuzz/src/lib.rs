//! Shared by the fuzz targets: the conformant repository in memory, and one run of the whole
//! pipeline (load → model → rules → every report format) with its invariants.

use std::path::Path;
use std::sync::OnceLock;

use pglint::config::Config;
use pglint::engine::lint::lint;
use pglint::project::Project;
use pglint::report::{self, Summary};

pub mod mutate;

/// The files of `fixtures/conformant` as `(repository-relative path, bytes)`, read once.
pub fn conformant() -> &'static [(String, Vec<u8>)] {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/conformant");
        let mut files = Vec::new();
        read_dir(&root, "", &mut files);
        files.sort();
        files
    })
}

fn read_dir(dir: &Path, prefix: &str, files: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("fixtures/conformant is readable") {
        let entry = entry.expect("fixtures/conformant is readable");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            read_dir(&entry.path(), &format!("{name}/"), files);
        } else {
            files.push((name, std::fs::read(entry.path()).expect("readable fixture")));
        }
    }
}

/// Runs everything over `files`. Panics, for the fuzzer to report, when a stage panics, a
/// diagnostic points outside its file or between the bytes of a character, or a JSON report
/// does not parse.
pub fn run(files: Vec<(String, Vec<u8>)>) {
    let config = Config::default();
    let project = Project::from_files(files, &config).expect("the default configuration is valid");
    let diagnostics = lint(&project, &config);
    for diagnostic in &diagnostics {
        let finding = &diagnostic.finding;
        let locations = std::iter::once(finding.loc).chain(finding.related.iter().map(|r| r.loc));
        for loc in locations {
            let text = project.text(loc.file).as_str();
            let span = loc.span;
            assert!(
                span.start() <= span.end()
                    && span.end() <= text.len()
                    && text.is_char_boundary(span.start())
                    && text.is_char_boundary(span.end()),
                "{} points at {span:?} in a {}-byte file",
                diagnostic.rule,
                text.len()
            );
        }
    }
    let summary = Summary::new(&project, &diagnostics);
    for (format, text) in [
        (
            "json",
            report::json::render(&project, &diagnostics, summary),
        ),
        (
            "sarif",
            report::sarif::render(&project, &diagnostics, &project.root),
        ),
        (
            "gitlab",
            report::gitlab::render(&project, &diagnostics, &project.root),
        ),
    ] {
        if let Err(error) = serde_json::from_str::<serde_json::Value>(&text) {
            panic!("invalid {format} report ({error}):\n{text}");
        }
    }
    report::github::render(&project, &diagnostics, Some(summary), &project.root);
    report::concise::render(&project, &diagnostics, Some(summary));
    report::statistics::render_json(&project, &diagnostics, summary);
    let plain = report::human::Style::plain();
    report::human::render(&project, &diagnostics, Some(summary), plain);
    let narrow = report::human::Style {
        color: true,
        unicode: false,
        width: 20,
    };
    report::human::render(&project, &diagnostics, None, narrow);
}
