//! The rule fixtures' harness (included with `#[path]`; each test uses some of it).
//!
//! A rule fixture `fixtures/rules/<name>/` holds only what differs from the shared base
//! repository `fixtures/conformant/`: the files it adds or changes, as they are, and a
//! `README.md` describing the scenario. A quiet fixture `fixtures/quiet/<name>/` (named
//! `quiet/<name>` here) is laid out the same way and holds a correct pattern that must produce
//! no finding at all. An optional manifest `.fixture.toml` lists the base
//! files it deletes, or says it starts from nothing:
//!
//! ```toml
//! delete = ["infra/databases/postgres/gitea-db.yaml"]  # repository-relative paths
//! base = "none"                                        # default: "conformant"
//! ```
//!
//! [`materialize`] lays the fixture over its base in memory; [`project`] builds the
//! repository from that with `Project::from_files`, and [`write`] puts it on disk for tools
//! that need files (kustomize).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pglint::config::Config;
use pglint::project::Project;

/// The manifest of a fixture, the files of the fixture that are not part of its repository.
pub const MANIFEST: &str = ".fixture.toml";
const README: &str = "README.md";

/// `fixtures/`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The base every rule fixture starts from unless its manifest says `base = "none"`.
pub fn base() -> PathBuf {
    fixtures().join("conformant")
}

/// The names of the rule fixtures (`<rule-id>[--variant]`), sorted.
pub fn names() -> Vec<String> {
    subfolders(&fixtures().join("rules"))
}

/// The names of the quiet fixtures (`quiet/<name>`), sorted.
pub fn quiet_names() -> Vec<String> {
    subfolders(&fixtures().join("quiet"))
        .into_iter()
        .map(|name| format!("quiet/{name}"))
        .collect()
}

fn subfolders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The folder of a fixture: `fixtures/rules/<name>`, or `fixtures/quiet/<name>` for
/// `quiet/<name>`.
pub fn dir_of(name: &str) -> PathBuf {
    match name.strip_prefix("quiet/") {
        Some(quiet) => fixtures().join("quiet").join(quiet),
        None => fixtures().join("rules").join(name),
    }
}

/// `.fixture.toml`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `"conformant"` (the default) or `"none"`.
    #[serde(default)]
    pub base: Option<String>,
    /// Base files the fixture removes.
    #[serde(default)]
    pub delete: Vec<String>,
}

impl Manifest {
    /// The fixture's manifest; none is an empty one.
    pub fn read(name: &str) -> Manifest {
        let path = dir_of(name).join(MANIFEST);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }

    /// Whether the fixture starts from `fixtures/conformant/`.
    pub fn has_base(&self) -> bool {
        match self.base.as_deref() {
            None | Some("conformant") => true,
            Some("none") => false,
            Some(other) => panic!("unknown base `{other}` (\"conformant\" or \"none\")"),
        }
    }
}

/// Every file below `dir` as (path relative to `dir` with `/` separators, bytes).
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{prefix}{name}");
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{path}/"), out);
            } else {
                out.insert(path, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

/// The fixture's repository: the base's files, overlaid with the fixture's own, minus the
/// deletions of its manifest; neither the manifest nor a `README.md` at the top (the base's
/// or the fixture's, which only describe the scenario) is part of it. Sorted by path.
pub fn materialize(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = dir_of(name);
    assert!(dir.is_dir(), "no fixture {}", dir.display());
    let manifest = Manifest::read(name);
    let mut repository = if manifest.has_base() {
        files(&base())
    } else {
        BTreeMap::new()
    };
    for path in &manifest.delete {
        assert!(
            repository.remove(path).is_some(),
            "{name}: {MANIFEST} deletes `{path}`, which the base does not have"
        );
    }
    for (path, bytes) in files(&dir) {
        if path == MANIFEST || path.starts_with(&format!("{BASE_REVISION}/")) {
            continue;
        }
        assert!(
            !manifest.delete.contains(&path),
            "{name}: `{path}` is both deleted and given"
        );
        repository.insert(path, bytes);
    }
    repository.remove(README);
    repository.into_iter().collect()
}

/// The configuration among `files` (a fixture's `pglint.toml`, e.g. to turn on an opt-in
/// rule), else the defaults.
pub fn config(files: &[(String, Vec<u8>)]) -> Config {
    let Some((_, bytes)) = files.iter().find(|(path, _)| path == "pglint.toml") else {
        return Config::default();
    };
    let text = std::str::from_utf8(bytes).expect("pglint.toml is UTF-8");
    Config::from_toml("pglint.toml", text).expect("fixture configuration is valid")
}

/// The fixture's repository, built in memory, and its configuration.
pub fn project(name: &str) -> (Project, Config) {
    let files = materialize(name);
    let config = config(&files);
    let project = Project::from_files(files, &config).expect("fixture loads");
    (project, config)
}

/// Writes the fixture's repository into `dir` (which should be empty).
pub fn write(name: &str, dir: &Path) {
    for (path, bytes) in materialize(name) {
        let target = dir.join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
}

/// The folder of a change-safety fixture that holds its base revision: the files that differ
/// from `fixtures/conformant/` at the base (the fixture's own files are the working tree).
pub const BASE_REVISION: &str = ".base";

/// The base revision of a change-safety fixture (`<fixture>/.base/` over the base
/// repository), if it has one.
pub fn base_revision(name: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let dir = fixtures().join("rules").join(name).join(BASE_REVISION);
    if !dir.is_dir() {
        return None;
    }
    let mut repository = files(&base());
    repository.extend(files(&dir));
    repository.remove(README);
    Some(repository.into_iter().collect())
}
