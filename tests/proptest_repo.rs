//! Random mutations of `fixtures/conformant` (byte flips, line deletions and duplications,
//! indentation changes, value swaps, copied lines, insertions, new files), built in memory
//! with `Project::from_files`: linting never panics and the JSON report is always valid.
//!
//! The mutations are the ones of the `repository` fuzz target (`fuzz/src/mutate.rs`).

// `mutate` derives `Arbitrary` under the fuzz crate's `arbitrary` feature, unknown here.
#![allow(unexpected_cfgs)]

#[path = "../fuzz/src/mutate.rs"]
mod mutate;

use std::path::Path;

use mutate::{Files, Mutation, NEW_FILES, apply_all};
use pglint::config::Config;
use pglint::engine::lint::lint;
use pglint::project::Project;
use pglint::report::{Summary, json};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

fn conformant() -> Files {
    fn read(dir: &Path, prefix: &str, files: &mut Files) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                read(&entry.path(), &format!("{name}/"), files);
            } else {
                files.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant"),
        "",
        &mut files,
    );
    files.sort();
    files
}

/// YAML-ish text: indicators, quotes, spaces, line breaks and a few letters.
const YAMLISH: &str = "[-:{}\\[\\],&*!|>#'\"% \\t\\na-z0-9~]{0,16}";

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<u8>(), any::<u16>(), 0u8..8).prop_map(|(file, at, bit)| Mutation::FlipByte {
            file,
            at,
            bit
        }),
        (any::<u8>(), any::<u16>()).prop_map(|(file, line)| Mutation::DeleteLine { file, line }),
        (any::<u8>(), any::<u16>()).prop_map(|(file, line)| Mutation::DuplicateLine { file, line }),
        (any::<u8>(), any::<u16>(), -6i8..=6).prop_map(|(file, line, by)| Mutation::Indent {
            file,
            line,
            by
        }),
        (any::<u8>(), any::<u16>(), any::<u16>()).prop_map(|(file, a, b)| Mutation::SwapValues {
            file,
            a,
            b
        }),
        (any::<u8>(), any::<u16>(), any::<u8>(), any::<u16>())
            .prop_map(|(from, line, to, at)| Mutation::CopyLine { from, line, to, at }),
        (any::<u8>(), any::<u16>(), YAMLISH).prop_map(|(file, at, text)| Mutation::Insert {
            file,
            at,
            text
        }),
        (0..NEW_FILES.len() as u8, vec(any::<u8>(), 0..48))
            .prop_map(|(name, bytes)| Mutation::NewFile { name, bytes }),
    ]
}

/// `PROPTEST_CASES` when set (for a long run), else `default` (keeps the suite fast).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn json_report(project: &Project, config: &Config) -> String {
    let diagnostics = lint(project, config);
    let summary = Summary::new(project, &diagnostics);
    json::render(project, &diagnostics, summary)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(128), ..ProptestConfig::default() })]

    #[test]
    fn mutated_repositories_lint_to_valid_json(mutations in vec(mutation(), 1..6)) {
        let mut files = conformant();
        apply_all(&mut files, &mutations);
        let config = Config::default();
        let project = Project::from_files(files, &config).unwrap();
        let report = json_report(&project, &config);
        let value: Value = serde_json::from_str(&report)
            .map_err(|e| TestCaseError::fail(format!("invalid JSON ({e}):\n{report}")))?;
        prop_assert_eq!(&value["version"], 1);
        let diagnostics = value["diagnostics"].as_array().unwrap();
        for d in diagnostics {
            for key in ["line", "column", "end_line", "end_column"] {
                prop_assert!(d[key].as_u64().is_some_and(|n| n >= 1), "{key} in {d}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    /// The same files on disk and in memory give the same report: `from_files` and `load`
    /// share every per-file step.
    #[test]
    fn disk_and_memory_agree(mutations in vec(mutation(), 1..6)) {
        let mut files = conformant();
        apply_all(&mut files, &mutations);
        let dir = on_disk(&files);
        let config = Config::default();
        let on_disk = Project::load(dir.path(), &config).unwrap();
        let in_memory = Project::from_files(files, &config).unwrap();
        prop_assert_eq!(json_report(&on_disk, &config), json_report(&in_memory, &config));
    }
}

/// The files written into a new temporary directory.
fn on_disk(files: &Files) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

/// How many YAML problems a file's bytes have (`None`: not UTF-8 text).
fn parse_problems(bytes: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Some(
        pglint::yaml::parse(text, &pglint::yaml::Limits::default())
            .problems
            .len(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    /// `--fix --unsafe-fixes` never makes a file parse worse than it did: a fix that would is
    /// rolled back.
    #[test]
    fn fixes_never_break_parsing(mutations in vec(mutation(), 1..6)) {
        let mut files = conformant();
        apply_all(&mut files, &mutations);
        let dir = on_disk(&files);
        let config = Config::default();
        let project = Project::load(dir.path(), &config).unwrap();
        let fixed = pglint::fix::run(dir.path(), &config, project, true, false, &|_, _| true).unwrap();
        for changed in &fixed.changed {
            let before = parse_problems(changed.before.as_deref().unwrap_or_default());
            let after = parse_problems(&changed.after);
            prop_assert!(after.is_some() && after <= before, "{}: {before:?} -> {after:?}", changed.path);
        }
    }
}
