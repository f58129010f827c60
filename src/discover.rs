//! Stage 1: which files make up the repository, and how to read one safely.
//!
//! A pre-commit hook or CI gate runs over whatever is in the working tree, so the walk opens
//! nothing but small regular ignore files, and [`read_file`] opens nothing but regular files
//! inside the repository: a FIFO or socket named `*.yaml` cannot block the run, and a symbolic
//! link cannot make pglint read (or print) a file outside the repository.
//!
//! Symbolic links are never followed. One whose target is inside the repository is skipped
//! quietly (the target is checked under its own path); one that leaves the repository, dangles
//! or loops is listed in [`Discovered::skipped`] with the reason.

use std::ffi::{OsStr, OsString};
use std::fs::FileType;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::config::Config;
use crate::hash::HashSet;

/// What the walk found. Paths are repository-relative with `/` separators.
#[derive(Debug, Default, Clone)]
pub struct Discovered {
    /// `*.yaml`/`*.yml` entries to read, sorted by path: regular files, and special files
    /// (FIFOs, sockets, devices) that are reported without being opened. Never links or folders.
    pub yaml_files: Vec<YamlFile>,
    /// Every file and folder seen, for kustomizations that name non-YAML files or folders.
    pub paths: HashSet<String>,
    /// Entries that were not walked or read, with the reason (a folder that cannot be listed,
    /// a link leaving the repository, a link loop, an ignore file that is not a regular file…).
    pub skipped: Vec<(String, String)>,
}

/// A YAML file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlFile {
    /// Repository-relative path with `/` separators (lossy when the name is not UTF-8).
    pub path: String,
    /// Where it is on disk and its type as the folder listing gave it; `None` for an
    /// in-memory repository.
    pub location: Option<(PathBuf, FileType)>,
}

const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules"];

/// The git top level around `dir` (`dir` or the nearest folder above it holding `.git`, a
/// folder, or a file as in a worktree), if any.
pub fn git_top_level(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.join(".git").exists())
}

/// Is this a file name pglint reads?
pub fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// The repository-relative path of `path`, with `/` separators. Control characters in names
/// (a line break, an escape sequence that would restyle a terminal) are written escaped
/// (`\n`, `\u{1b}`): the path is shown in every report.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    // The common case: a UTF-8 name without control characters, `/`-separated already.
    if std::path::MAIN_SEPARATOR == '/'
        && let Some(text) = rel.to_str()
        && !text.contains(char::is_control)
    {
        return text.to_string();
    }
    let text = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if !text.contains(char::is_control) {
        return text;
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// Walks `root`, honouring `.gitignore`/`.ignore` files and the configured excludes.
pub fn discover(root: &Path, config: &Config) -> Result<Discovered, String> {
    let mut yaml_files = Vec::new();
    let mut found = walk(root, config, usize::MAX, |files| yaml_files.extend(files))?;
    found.yaml_files = yaml_files;
    Ok(found)
}

/// Walks `root` like [`discover`], handing the YAML files to `on_files` as the walk finds
/// them, in batches of up to `batch`, so that they can be read while the walk goes on. The
/// returned [`Discovered`] has every other finding of the walk (its `yaml_files` is empty).
///
/// Files come in [`path_order`]: folders are walked depth first, names sorted byte-wise.
pub fn walk(
    root: &Path,
    config: &Config,
    batch: usize,
    mut on_files: impl FnMut(Vec<YamlFile>),
) -> Result<Discovered, String> {
    let excludes = build_globs(&config.exclude)?;
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let mut rules = IgnoreRules::new(&root, config.max_file_bytes);
    let mut found = Discovered::default();
    let mut charts = HelmCharts::default();
    let mut pending = Vec::new();
    let listing = list(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut stack = vec![rules.enter(root.clone(), listing, &Chain::default())];
    while let Some(folder) = stack.last_mut() {
        let Some((name, file_type)) = folder.entries.next() else {
            stack.pop();
            continue;
        };
        let is_dir = file_type.is_dir();
        let full = folder.path.join(&name);
        if !rules.admits(&full, &name, is_dir, &folder.chain) {
            continue;
        }
        let path = relative(&root, &full);
        // An excluded folder is still entered: the globs decide file by file.
        let excluded = excludes.is_match(&path);
        if !excluded {
            // Names are sorted byte-wise, so a chart's `Chart.yaml` comes before the
            // `charts/`, `templates/` and `values*` entries it makes skipped.
            charts.observe(&path);
            found.paths.insert(path.clone());
        }
        if file_type.is_symlink() {
            if !excluded && let Some(reason) = link_problem(&root, &full, is_yaml(&path)) {
                found.skipped.push((path, reason));
            }
        } else if is_dir {
            match list(&full) {
                Ok(listing) => {
                    let chain = Arc::clone(&folder.chain);
                    stack.push(rules.enter(full, listing, &chain));
                }
                Err(error) => found
                    .skipped
                    .push((path, format!("folder not read: {error}"))),
            }
        } else if !excluded && is_yaml(&path) && !charts.skips(&path) {
            pending.push(YamlFile {
                path,
                location: Some((full, file_type)),
            });
            if pending.len() >= batch {
                on_files(std::mem::take(&mut pending));
            }
        }
    }
    if !pending.is_empty() {
        on_files(pending);
    }
    found.skipped.extend(rules.notes);
    Ok(found)
}

/// A folder's entries, sorted by name, with their types (from the listing itself where the
/// file system gives them: no `stat` per entry).
fn list(dir: &Path) -> std::io::Result<Vec<(OsString, FileType)>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        entries.push((entry.file_name(), entry.file_type()?));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// A folder being walked: the entries left, and the ignore rules that apply inside it.
struct Folder {
    path: PathBuf,
    entries: std::vec::IntoIter<(OsString, FileType)>,
    chain: Chain,
}

/// The order the walk finds files in: path components compared one by one, byte-wise (so
/// `a/b.yaml` comes before `a-c.yaml`, its folder `a` sorting before `a-c.yaml`).
pub fn path_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The same selection as [`discover`] (excludes, Helm charts) over the paths of an in-memory
/// repository, in the same order. Every folder above a file counts as seen.
pub fn from_paths<'p>(
    files: impl IntoIterator<Item = &'p str>,
    config: &Config,
) -> Result<Discovered, String> {
    let excludes = build_globs(&config.exclude)?;
    let mut found = Discovered::default();
    let mut charts = HelmCharts::default();
    for path in files {
        if excludes.is_match(path) || !found.paths.insert(path.to_string()) {
            continue;
        }
        charts.observe(path);
        let mut dir = crate::source::parent_dir(path);
        while !dir.is_empty() && found.paths.insert(dir.to_string()) {
            dir = crate::source::parent_dir(dir);
        }
        if is_yaml(path) {
            found.yaml_files.push(YamlFile {
                path: path.to_string(),
                location: None,
            });
        }
    }
    found.yaml_files.retain(|file| !charts.skips(&file.path));
    found
        .yaml_files
        .sort_by(|a, b| path_order(&a.path, &b.path));
    Ok(found)
}

/// Why a symbolic link is worth a note, if it is: it leaves the repository, dangles or loops.
/// Links that stay inside are skipped quietly, since their target is checked on its own.
/// Only links pglint would have read (a YAML name, or a folder) are noted.
fn link_problem(root: &Path, link: &Path, yaml_name: bool) -> Option<String> {
    match link.canonicalize() {
        Ok(target) if target.starts_with(root) => None,
        Ok(target) => (yaml_name || target.is_dir())
            .then(|| "symbolic link to a path outside the repository; not read".to_string()),
        Err(error) => {
            yaml_name.then(|| format!("symbolic link that cannot be followed ({error}); not read"))
        }
    }
}

/// Why a file was not read by [`read_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// It does not exist (any more).
    Missing,
    /// Larger than the limit: its size in bytes.
    TooLarge(u64),
    /// Not a regular file: what it is instead ("a FIFO", "a folder", …).
    NotRegular(&'static str),
    /// The path, or the target of a symbolic link on it, is outside the repository.
    OutsideRepository,
    /// Any other I/O error (permission denied, …).
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Missing => f.write_str("the file does not exist"),
            ReadError::TooLarge(size) => write!(f, "the file is {size} bytes"),
            ReadError::NotRegular(what) => write!(f, "not a regular file ({what})"),
            ReadError::OutsideRepository => f.write_str("outside the repository"),
            ReadError::Io(error) => write!(f, "cannot read file: {error}"),
        }
    }
}

/// Reads a regular file of at most `max_bytes` inside `root`. Special files are refused
/// without being opened, and so is a path that leaves `root` (through `..`, an absolute path
/// or a symbolic link in any component).
pub fn read_file(path: &Path, root: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let io = io_error;
    let target = path.canonicalize().map_err(io)?;
    if !target.starts_with(root.canonicalize().map_err(io)?) {
        return Err(ReadError::OutsideRepository);
    }
    read_regular(&target, &std::fs::metadata(&target).map_err(io)?, max_bytes)
}

/// Reads a file the walk found. The walk follows no links, so the checks of [`read_file`]
/// (resolving every component) are not needed: the file is opened without following a link
/// and without blocking, in case it was swapped for a link or a FIFO since the walk. The type
/// the folder listing gave (`listed_as`) spares a `stat` before the open: only what was listed
/// as a regular file is opened, never a device, FIFO or socket.
pub fn read_walked(
    path: &Path,
    listed_as: Option<FileType>,
    max_bytes: u64,
) -> Result<Vec<u8>, ReadError> {
    match listed_as {
        Some(file_type) if file_type.is_file() => open_regular(path, max_bytes),
        Some(file_type) => Err(ReadError::NotRegular(file_kind(&file_type))),
        None => read_regular(
            path,
            &std::fs::symlink_metadata(path).map_err(io_error)?,
            max_bytes,
        ),
    }
}

fn io_error(e: std::io::Error) -> ReadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        _ => ReadError::Io(e.to_string()),
    }
}

/// Opens and reads a file whose metadata says it is a regular file of acceptable size.
fn read_regular(
    path: &Path,
    metadata: &std::fs::Metadata,
    max_bytes: u64,
) -> Result<Vec<u8>, ReadError> {
    if !metadata.is_file() {
        return Err(ReadError::NotRegular(file_kind(&metadata.file_type())));
    }
    if metadata.len() > max_bytes {
        return Err(ReadError::TooLarge(metadata.len()));
    }
    open_regular(path, max_bytes)
}

/// Opens and reads a file known to be a regular file, checking what was opened.
fn open_regular(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        // Swapped for a link since it was listed: `O_NOFOLLOW` refuses to open it.
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return ReadError::NotRegular("a symbolic link");
        }
        io_error(e)
    })?;
    // The entry may have been swapped between the check and the open: check what was opened.
    let opened = file.metadata().map_err(io_error)?;
    if !opened.is_file() {
        return Err(ReadError::NotRegular(file_kind(&opened.file_type())));
    }
    if opened.len() > max_bytes {
        return Err(ReadError::TooLarge(opened.len()));
    }
    let mut bytes = Vec::with_capacity(opened.len() as usize);
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// The non-empty rules that apply in a folder, nearest first.
type Chain = Arc<[Arc<Gitignore>]>;

/// `.gitignore` and `.ignore` rules, read per folder with [`read_file`] (so a FIFO named
/// `.gitignore` cannot block the walk) when its listing has them, plus the rules above the
/// root up to the git top level and `.git/info/exclude`.
struct IgnoreRules {
    root: PathBuf,
    max_bytes: u64,
    /// Rules that apply below the root, nearest first: parent folders up to the git top level,
    /// then `.git/info/exclude`.
    outer: Vec<Gitignore>,
    /// Ignore files that could not be read, with the reason.
    notes: Vec<(String, String)>,
}

impl IgnoreRules {
    fn new(root: &Path, max_bytes: u64) -> IgnoreRules {
        let mut rules = IgnoreRules {
            root: root.to_path_buf(),
            max_bytes,
            outer: Vec::new(),
            notes: Vec::new(),
        };
        let top = root.ancestors().find(|dir| dir.join(".git").is_dir());
        if let Some(top) = top {
            for dir in root.ancestors().skip(1) {
                if !dir.starts_with(top) {
                    break;
                }
                let outer = rules.build(dir, top, &[".gitignore"]);
                rules.outer.push(outer);
            }
            let exclude = rules.build(top, top, &[".git/info/exclude"]);
            rules.outer.push(exclude);
        }
        rules
    }

    /// A folder to walk, its own rules (if its listing has ignore files) put before those of
    /// the folders above.
    fn enter(
        &mut self,
        path: PathBuf,
        listing: Vec<(OsString, FileType)>,
        above: &Chain,
    ) -> Folder {
        let has = |name: &str| listing.iter().any(|(n, _)| n == name);
        let chain = if has(".gitignore") || has(".ignore") {
            // `.ignore` after `.gitignore`: the last matching line wins, so it takes
            // precedence.
            let own = self.build(&path, &self.root.clone(), &[".gitignore", ".ignore"]);
            if own.is_empty() {
                Arc::clone(above)
            } else {
                std::iter::once(Arc::new(own))
                    .chain(above.iter().cloned())
                    .collect()
            }
        } else {
            Arc::clone(above)
        };
        Folder {
            path,
            entries: listing.into_iter(),
            chain,
        }
    }

    /// Should the walk yield (and, for a folder, enter) this entry of a folder with `chain`?
    fn admits(&self, path: &Path, name: &OsStr, is_dir: bool, chain: &Chain) -> bool {
        if is_dir && SKIPPED_DIRS.iter().any(|skipped| name == *skipped) {
            return false;
        }
        for rules in chain.iter().map(AsRef::as_ref).chain(&self.outer) {
            let matched = rules.matched(path, is_dir);
            if matched.is_ignore() {
                return false;
            }
            if matched.is_whitelist() {
                return true;
            }
        }
        true
    }

    /// The rules of `files` (relative to `dir`); files that are absent are no rules, files that
    /// cannot be read safely are noted and count as empty.
    fn build(&mut self, dir: &Path, boundary: &Path, files: &[&str]) -> Gitignore {
        let mut builder = GitignoreBuilder::new(dir);
        for name in files {
            let path = dir.join(name);
            // Most folders have none: one `lstat` says so, where `read_file` resolves every
            // component of the path.
            if std::fs::symlink_metadata(&path)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
            {
                continue;
            }
            match read_file(&path, boundary, self.max_bytes) {
                Ok(bytes) => {
                    for line in String::from_utf8_lossy(&bytes).lines() {
                        // Like git, a line that is not a valid pattern is ignored.
                        let _ = builder.add_line(None, line);
                    }
                }
                Err(ReadError::Missing) => {}
                Err(error) => self.notes.push((
                    relative(&self.root, &path),
                    format!("ignore file not read: {error}"),
                )),
            }
        }
        builder.build().unwrap_or_else(|_| Gitignore::empty())
    }
}

/// Helm charts seen so far. Chart templates are Go templates and `values*.yaml` are chart
/// inputs: neither is a manifest.
#[derive(Default)]
struct HelmCharts {
    /// Folders holding a `Chart.yaml`.
    dirs: HashSet<String>,
}

impl HelmCharts {
    fn observe(&mut self, path: &str) {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name == "Chart.yaml" || name == "Chart.yml" {
            self.dirs
                .insert(crate::source::parent_dir(path).to_string());
        }
    }

    /// Is `path` part of a chart seen so far (its `Chart.yaml`, `values*`, or below its
    /// `templates/` or `charts/`)?
    fn skips(&self, path: &str) -> bool {
        if self.dirs.is_empty() {
            return false;
        }
        crate::source::ancestors(path).any(|dir| {
            let Some(rest) = strip_dir(path, dir) else {
                return false;
            };
            self.dirs.contains(dir)
                && (rest.starts_with("templates/")
                    || rest.starts_with("charts/")
                    || (rest.starts_with("values") && !rest.contains('/'))
                    || rest == "Chart.yaml"
                    || rest == "Chart.yml")
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn yaml_paths(found: &Discovered) -> Vec<&str> {
        found.yaml_files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn gitignore_rules_nest_like_git() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "ignored/\n*.tmp.yaml\n");
        write(root, "ignored/a.yaml", "");
        write(root, "kept/b.yaml", "");
        write(root, "kept/c.tmp.yaml", "");
        write(root, "kept/.gitignore", "!c.tmp.yaml\nd.yaml\n");
        write(root, "kept/d.yaml", "");
        write(root, "other/.ignore", "e.yaml\n");
        write(root, "other/e.yaml", "");
        write(root, "other/f.tmp.yaml", "");
        let found = discover(root, &Config::default()).unwrap();
        assert_eq!(yaml_paths(&found), ["kept/b.yaml", "kept/c.tmp.yaml"]);
        assert!(found.skipped.is_empty(), "{:?}", found.skipped);
    }

    #[cfg(unix)]
    #[test]
    fn special_ignore_files_and_links_do_not_block_or_leak() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(outside.path(), "secret.yaml", "a: 1\n");
        write(root, "sub/x.yaml", "");
        let fifo = root.join("sub/.gitignore");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        std::os::unix::fs::symlink(outside.path().join("secret.yaml"), root.join("out.yaml"))
            .unwrap();
        std::os::unix::fs::symlink("sub/x.yaml", root.join("in.yaml")).unwrap();
        std::os::unix::fs::symlink("loop.yaml", root.join("loop.yaml")).unwrap();
        let found = discover(root, &Config::default()).unwrap();
        assert_eq!(yaml_paths(&found), ["sub/x.yaml"]);
        let skipped: Vec<&str> = found.skipped.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(skipped, ["loop.yaml", "out.yaml", "sub/.gitignore"]);
        assert!(found.paths.contains("in.yaml"));
        assert_eq!(
            read_file(&root.join("out.yaml"), root, 1024),
            Err(ReadError::OutsideRepository)
        );
        assert_eq!(
            read_file(&fifo, root, 1024),
            Err(ReadError::NotRegular("a FIFO"))
        );
        assert_eq!(read_file(&root.join("in.yaml"), root, 1024), Ok(Vec::new()));
    }

    #[test]
    fn walk_and_memory_agree_on_order_and_charts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            "a-c.yaml",
            "a/b.yaml",
            "a.yaml",
            "B.yaml",
            "chart/00-kept.yaml",
            "chart/Chart.yaml",
            "chart/templates/t.yaml",
            "chart/values-prod.yaml",
            "chart/crds/c.yaml",
            "chart/charts/sub/Chart.yaml",
        ];
        for file in files {
            write(root, file, "a: 1\n");
        }
        let walked = discover(root, &Config::default()).unwrap();
        let in_memory = from_paths(files, &Config::default()).unwrap();
        let expected = [
            "B.yaml",
            "a/b.yaml",
            "a-c.yaml",
            "a.yaml",
            "chart/00-kept.yaml",
            "chart/crds/c.yaml",
        ];
        assert_eq!(yaml_paths(&walked), expected);
        assert_eq!(yaml_paths(&in_memory), expected);
    }

    #[test]
    fn in_memory_paths_use_the_same_selection() {
        let config = Config {
            exclude: vec!["legacy/**".into()],
            ..Config::default()
        };
        let found = from_paths(
            [
                "a/b/c.yaml",
                "legacy/x.yaml",
                "chart/Chart.yaml",
                "chart/templates/t.yaml",
                "a/b/c.yaml",
                "cert.pem",
            ],
            &config,
        )
        .unwrap();
        assert_eq!(yaml_paths(&found), ["a/b/c.yaml"]);
        for path in ["a", "a/b", "chart", "cert.pem"] {
            assert!(found.paths.contains(path), "{path}");
        }
    }
}
