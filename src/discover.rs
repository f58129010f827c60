//! Stage 1: which files make up the repository.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

use crate::config::Config;

/// What the walk found. Paths are repository-relative with `/` separators.
#[derive(Debug, Default)]
pub struct Discovered {
    /// `*.yaml`/`*.yml` files to read, sorted.
    pub yaml_files: Vec<String>,
    /// Every file and folder seen, for kustomizations that name non-YAML files or folders.
    pub paths: HashSet<String>,
    /// Entries that could not be walked (permission denied, loops, links leaving the repo…).
    pub skipped: Vec<(String, String)>,
}

const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules"];

/// Is this a file name pglint reads?
pub fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Walks `root`, honouring `.gitignore` and the configured excludes.
pub fn discover(root: &Path, config: &Config) -> Result<Discovered, String> {
    let excludes = build_globs(&config.exclude)?;
    let mut found = Discovered::default();
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && SKIPPED_DIRS.contains(&name.as_ref()))
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error_path(&error)
                    .map(|p| relative(root, &p))
                    .unwrap_or_default();
                found.skipped.push((path, error.to_string()));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let path = relative(root, entry.path());
        if excludes.is_match(&path) {
            continue;
        }
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        found.paths.insert(path.clone());
        if is_yaml(&path) && !file_type.is_dir() {
            found.yaml_files.push(path);
        }
    }
    skip_helm_charts(&mut found);
    found.yaml_files.sort();
    Ok(found)
}

/// Chart templates are Go templates and `values*.yaml` are chart inputs: neither is a manifest.
fn skip_helm_charts(found: &mut Discovered) {
    let chart_dirs: Vec<String> = found
        .paths
        .iter()
        .filter_map(|p| {
            let name = p.rsplit('/').next()?;
            (name == "Chart.yaml" || name == "Chart.yml")
                .then(|| crate::source::parent_dir(p).to_string())
        })
        .collect();
    if chart_dirs.is_empty() {
        return;
    }
    found.yaml_files.retain(|path| {
        !chart_dirs.iter().any(|dir| {
            let Some(rest) = strip_dir(path, dir) else {
                return false;
            };
            rest.starts_with("templates/")
                || rest.starts_with("charts/")
                || (rest.starts_with("values") && !rest.contains('/'))
                || rest == "Chart.yaml"
                || rest == "Chart.yml"
        })
    });
}

fn strip_dir<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    if dir.is_empty() {
        Some(path)
    } else {
        path.strip_prefix(dir)?.strip_prefix('/')
    }
}

pub fn build_globs(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob =
            Glob::new(pattern).map_err(|e| format!("invalid exclude glob `{pattern}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| e.to_string())
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}
