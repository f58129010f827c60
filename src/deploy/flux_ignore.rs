//! Which files source-controller leaves out of the artifact a Flux Kustomization builds from.
//!
//! fluxcd/pkg `artifact/storage/archive.go` `SourceIgnoreFilter` judges every file of the
//! checkout on its own with go-git's gitignore matcher (`plumbing/format/gitignore`): with no
//! pattern of the repository, the defaults (`sourceignore/sourceignore.go` `ExcludeVCS`,
//! `ExcludeExt`, `ExcludeCI`, `ExcludeExtra`); with some, `ExcludeVCS` and those patterns only.
//! The repository's patterns are its `.sourceignore` files (`LoadIgnorePatterns`, each scoped
//! to its folder) and then the GitRepository's `spec.ignore` (source-controller
//! `gitrepository_controller.go`), scoped to the root. The last pattern that matches decides
//! (`!` re-includes).
//!
//! go-git's patterns, as `pattern.go` reads them: a trailing `/` matches folders only; a
//! pattern without `/` matches any one path segment (so a folder's name excludes what is
//! inside it); one with `/` matches segment by segment from its folder, `**` crossing any
//! number of folders, and once its segments are used up the rest of the path does not matter.
//! Each segment is Go's `filepath.Match` ([`GoPathPattern`]; a bad pattern matches nothing).

use super::go_path_match::GoPathPattern;

/// source-controller's default patterns, lowest priority first.
const VCS: &[&str] = &[".git/", ".gitignore", ".gitmodules", ".gitattributes"];
const DEFAULTS: &[&str] = &[
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

/// One go-git ignore pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// The folder it is scoped to, as segments.
    domain: Vec<String>,
    /// `!`: matching files are included again.
    inclusion: bool,
    /// A trailing `/`: folders only.
    dir_only: bool,
    /// It holds a `/`: matched segment by segment from its folder.
    glob: bool,
    /// Without `/`: the whole pattern, matched against each segment of the path.
    name: Option<GoPathPattern>,
    /// With `/`: its segments.
    segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
enum Segment {
    /// An empty segment (a leading `/`).
    Empty,
    AnyFolders,
    /// A segment holding `**` among other text: go-git's glob match fails on it.
    Broken,
    Name(Option<GoPathPattern>),
}

impl Pattern {
    /// `ParsePattern`: `!`, trailing spaces (unless escaped), a trailing `/`.
    fn parse(text: &str, domain: &[String]) -> Pattern {
        let (inclusion, mut text) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if !text.ends_with("\\ ") {
            text = text.trim_end_matches(' ');
        }
        let (dir_only, text) = match text.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let segments = text
            .split('/')
            .map(|segment| match segment {
                "" => Segment::Empty,
                "**" => Segment::AnyFolders,
                s if s.contains("**") => Segment::Broken,
                s => Segment::Name(GoPathPattern::new(s)),
            })
            .collect();
        Pattern {
            domain: domain.to_vec(),
            inclusion,
            dir_only,
            glob: text.contains('/'),
            name: GoPathPattern::new(text),
            segments,
        }
    }

    /// `Match`: `Some(true)` excludes, `Some(false)` includes, `None` says nothing.
    fn matches(&self, path: &[&str], is_dir: bool) -> Option<bool> {
        if path.len() <= self.domain.len() || self.domain.iter().zip(path).any(|(d, p)| d != p) {
            return None;
        }
        let path = &path[self.domain.len()..];
        let matched = if self.glob {
            self.glob_match(path, is_dir)
        } else {
            self.name_match(path, is_dir)
        };
        matched.then_some(!self.inclusion)
    }

    /// `simpleNameMatch`: the first segment of the path the pattern matches decides.
    fn name_match(&self, path: &[&str], is_dir: bool) -> bool {
        let Some(pattern) = &self.name else {
            return false;
        };
        match path.iter().position(|name| pattern.is_match(name)) {
            Some(i) => !(self.dir_only && !is_dir && i == path.len() - 1),
            None => false,
        }
    }

    /// `globMatch`.
    fn glob_match(&self, mut path: &[&str], is_dir: bool) -> bool {
        let mut matched = false;
        let mut traverse = false;
        for (i, segment) in self.segments.iter().enumerate() {
            let pattern = match segment {
                Segment::Empty => {
                    traverse = false;
                    continue;
                }
                Segment::AnyFolders if i == self.segments.len() - 1 => break,
                Segment::AnyFolders => {
                    traverse = true;
                    continue;
                }
                Segment::Broken | Segment::Name(None) => return false,
                Segment::Name(Some(pattern)) => pattern,
            };
            if path.is_empty() {
                return false;
            }
            if traverse {
                traverse = false;
                matched = false;
                while let Some((first, rest)) = path.split_first() {
                    path = rest;
                    if pattern.is_match(first) {
                        matched = true;
                        break;
                    }
                }
            } else {
                if !pattern.is_match(path[0]) {
                    return false;
                }
                matched = true;
                path = &path[1..];
            }
        }
        // A folder-only pattern whose last segment matched the file itself.
        matched && !(self.dir_only && !is_dir && path.is_empty())
    }
}

/// The ignore rules of a Flux source.
#[derive(Debug, Clone)]
pub struct FluxIgnore {
    patterns: Vec<Pattern>,
}

impl FluxIgnore {
    /// The rules for a source whose repository patterns are its `.sourceignore` files (each
    /// its folder and text, in any order) and `spec_ignore` (the GitRepository's
    /// `spec.ignore` text, scoped to the root).
    pub fn new(sourceignore: &[(&str, &str)], spec_ignore: Option<&str>) -> FluxIgnore {
        let root: &[String] = &[];
        // `LoadIgnorePatterns` reads a folder's file, then its sub-folders' by name, depth
        // first: the order of the folders' segment lists.
        let mut files: Vec<(Vec<String>, &str)> = sourceignore
            .iter()
            .map(|(dir, text)| {
                let domain = dir
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                (domain, *text)
            })
            .collect();
        files.sort();
        let read = |text: &str, domain: &[String]| -> Vec<Pattern> {
            text.lines()
                .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
                .map(|line| Pattern::parse(line, domain))
                .collect()
        };
        let mut own: Vec<Pattern> = Vec::new();
        for (domain, text) in &files {
            own.extend(read(text, domain));
        }
        own.extend(spec_ignore.map_or_else(Vec::new, |text| read(text, root)));
        let defaults: &[&str] = if own.is_empty() { DEFAULTS } else { &[] };
        let mut patterns: Vec<Pattern> = VCS
            .iter()
            .chain(defaults)
            .map(|p| Pattern::parse(p, root))
            .collect();
        patterns.extend(own);
        FluxIgnore { patterns }
    }

    /// Does source-controller leave this file (a repository-relative path) out?
    pub fn excludes(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').collect();
        self.patterns
            .iter()
            .rev()
            .find_map(|p| p.matches(&segments, false))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::FluxIgnore;

    #[test]
    fn defaults_leave_out_vcs_ci_and_sops_files() {
        let ignore = FluxIgnore::new(&[], None);
        for out in [
            ".github/workflows/ci.yml",
            "apps/.github/x.yaml",
            "apps/.sops.yaml",
            ".sops.yaml",
            ".gitlab-ci.yml",
            "a/b/logo.png",
        ] {
            assert!(ignore.excludes(out), "{out}");
        }
        for kept in ["apps/app.yaml", "apps/github/x.yaml", "apps/sops.yaml"] {
            assert!(!ignore.excludes(kept), "{kept}");
        }
        // `**` without `/` is Go's `*` twice: any one segment, so everything.
        assert!(FluxIgnore::new(&[], Some("**\n")).excludes("a/b.yaml"));
    }

    #[test]
    fn spec_ignore_replaces_all_defaults_but_vcs_and_reads_as_go_git_does() {
        let ignore = FluxIgnore::new(
            &[],
            Some(
                "# comment\n/apps/wiki/values.yaml\n*.txt\nbuild/\ndocs/**/draft.yaml\napps/*/secret*.yaml\n!apps/keep/secret-ok.yaml\n",
            ),
        );
        for out in [
            "apps/wiki/values.yaml",
            "notes.txt",
            "a/b/notes.txt",
            // A folder name excludes what is inside it.
            "x/build/a.yaml",
            "docs/draft.yaml",
            "docs/a/b/draft.yaml",
            "apps/x/secret-db.yaml",
            ".git/config",
        ] {
            assert!(ignore.excludes(out), "{out}");
        }
        for kept in [
            // A file named like a folder-only pattern.
            "x/build",
            "apps/other/values.yaml",
            "apps/keep/secret-ok.yaml",
            // Anchored: a pattern with `/` starts at the root.
            "z/apps/x/secret-db.yaml",
            // The defaults are gone once the repository has patterns.
            ".github/workflows/ci.yml",
            "apps/.sops.yaml",
        ] {
            assert!(!ignore.excludes(kept), "{kept}");
        }
    }

    #[test]
    fn sourceignore_files_are_scoped_to_their_folder_and_spec_ignore_comes_last() {
        let ignore = FluxIgnore::new(
            &[
                ("apps", "values.yaml\n/wiki/extra.yaml\n"),
                ("", "*.md\n"),
                ("apps/wiki", "!values.yaml\n"),
            ],
            Some("apps/keep/\n"),
        );
        assert!(ignore.excludes("apps/a/values.yaml"));
        assert!(ignore.excludes("apps/wiki/extra.yaml"));
        assert!(ignore.excludes("README.md"));
        assert!(ignore.excludes("apps/keep/x.yaml"));
        // The deeper file comes later and re-includes its own.
        assert!(!ignore.excludes("apps/wiki/values.yaml"));
        // Out of the folder's scope.
        assert!(!ignore.excludes("values.yaml"));
        assert!(!ignore.excludes("wiki/extra.yaml"));
        // Repository patterns replace the defaults.
        assert!(!ignore.excludes(".github/workflows/ci.yml"));
    }
}
