//! One pglint project of the editor's workspace: its root, configuration, and the last check
//! of it with the open buffers' texts in place of the disk's.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Url,
};

use crate::config::{Config, ConfigError};
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::{self, EngineError, Options};
use crate::hash::HashMap;
use crate::project::{Project, ProjectCache};
use crate::rules::RuleId;
use crate::source::{FileId, Loc};

use super::navigation::Navigation;
use super::text::{Encoding, LineIndex};

/// Where the rules' own files are published: a rule's documentation (what `pglint explain
/// RULE` prints) is the doc comment at the top of `src/rules/<rule_id_with_underscores>.rs`.
pub const RULES_SOURCE_URL: &str = "https://github.com/pglint/pglint/blob/main/src/rules/";

/// Where `codeDescription` links `rule`: its own documentation, not the table of every rule.
pub fn rule_docs_url(rule: RuleId) -> Option<Url> {
    let module = rule.as_str().replace('-', "_");
    Url::parse(&format!("{RULES_SOURCE_URL}{module}.rs")).ok()
}

/// A project root and what the server knows of it.
pub struct Workspace {
    /// Canonical: the git top level around a workspace folder, else the folder.
    pub root: PathBuf,
    pub config: Config,
    /// The repository-relative path of `pglint.toml`, when there is one.
    pub config_file: Option<String>,
    /// Why `pglint.toml` could not be read (the defaults are used meanwhile).
    pub config_error: Option<String>,
    /// An open buffer or a file on disk changed since [`Workspace::analysis`] was made.
    pub dirty: bool,
    /// Each file's parse and model, kept between checks (`None`: load everything next time).
    cache: Option<ProjectCache>,
    pub analysis: Option<Analysis>,
    /// What was last published for each file with findings.
    pub published: HashMap<Url, Vec<lsp_types::Diagnostic>>,
    /// The notices last sent to the editor's log.
    pub notices: Vec<String>,
    /// What positions count, as negotiated with the client.
    encoding: Encoding,
}

/// One check of a workspace.
pub struct Analysis {
    pub project: Project,
    pub diagnostics: Vec<Diagnostic>,
    pub notices: Vec<String>,
    /// The texts the check read, by repository path, for the files the editor had open.
    pub open_texts: HashMap<String, String>,
    /// Definitions, references and hovers: built on the first request that needs them.
    navigation: OnceCell<Navigation>,
    encoding: Encoding,
}

impl Workspace {
    pub fn new(root: PathBuf, encoding: Encoding) -> Workspace {
        let mut workspace = Workspace {
            root,
            config: Config::default(),
            config_file: None,
            config_error: None,
            dirty: true,
            cache: None,
            analysis: None,
            published: HashMap::default(),
            notices: Vec::new(),
            encoding,
        };
        workspace.reload_config();
        workspace
    }

    /// Reads `pglint.toml` at the root again (the defaults when there is none, or when it is
    /// invalid: then [`Workspace::config_error`] says why).
    pub fn reload_config(&mut self) {
        self.dirty = true;
        self.cache = None;
        self.config_error = None;
        self.config_file = None;
        let path = self.root.join(crate::config::FILE_NAME);
        let clock = std::env::var(crate::config::NOW_VAR)
            .ok()
            .and_then(|text| crate::config::Clock::at(&text).ok())
            .unwrap_or(crate::config::Clock::System);
        let Ok(text) = std::fs::read_to_string(&path) else {
            self.config = Config {
                clock,
                ..Config::default()
            };
            return;
        };
        match Config::from_toml(&path.display().to_string(), &text) {
            Ok(config) => {
                self.config = Config { clock, ..config };
                self.config_file = Some(crate::config::FILE_NAME.to_string());
            }
            Err(ConfigError { message, .. }) => {
                self.config = Config {
                    clock,
                    ..Config::default()
                };
                self.config_error = Some(format!(
                    "{}: {message}; pglint checks with the default configuration until it is fixed",
                    path.display()
                ));
            }
        }
    }

    /// A file of the repository changed on disk (`created_or_deleted`: appeared or vanished,
    /// or the client cannot tell): what the next check reads again.
    pub fn changed_on_disk(&mut self, path: &str, created_or_deleted: bool) {
        self.dirty = true;
        if let Some(cache) = &mut self.cache {
            // Any other file (an ignore file, a folder) may change what is walked.
            if created_or_deleted || !cache.knows(path) {
                cache.walk_again();
            }
            cache.changed_on_disk(path);
        }
    }

    /// The repository path of a file under the root.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        Some(crate::discover::relative(Path::new(""), rel))
    }

    /// Checks the repository with `open` (repository path → text) in place of the disk.
    pub fn check(&mut self, open: HashMap<String, String>) -> Result<&Analysis, EngineError> {
        let overrides: HashMap<String, Vec<u8>> = open
            .iter()
            .map(|(path, text)| (path.clone(), text.clone().into_bytes()))
            .collect();
        // The previous check is freed off the request's path, while this one runs (most of
        // its objects are shared with the cache, so two projects are not twice the memory).
        if let Some(previous) = self.analysis.take() {
            std::thread::spawn(move || drop(previous));
        }
        let cache = (self.cache)
            .get_or_insert_with(|| ProjectCache::new(self.root.clone(), self.config.clone()));
        let project = cache.load(&overrides).map_err(EngineError::Load)?;
        let options = Options {
            config_file: self.config_file.as_deref(),
            long_running: true,
            ..Options::default()
        };
        let report = engine::check(project, &self.config, &options)?;
        self.dirty = false;
        // What the walk could not read is said too, as `check` says it on stderr.
        let mut notices = report.notices;
        notices.extend(
            (report.project.unreadable.iter()).map(|(path, reason)| format!("{path}: {reason}")),
        );
        Ok(self.analysis.insert(Analysis {
            project: report.project,
            diagnostics: report.diagnostics,
            notices,
            open_texts: open,
            navigation: OnceCell::new(),
            encoding: self.encoding,
        }))
    }
}

impl Analysis {
    /// A file's text as it was checked: the buffer's when it was open.
    pub fn text(&self, file: FileId) -> &str {
        let path = self.project.path(file);
        match self.open_texts.get(path) {
            Some(text) => text,
            None => self.project.text(file).as_str(),
        }
    }

    /// Positions in a file's text as checked, counted as negotiated.
    pub fn line_index(&self, file: FileId) -> LineIndex<'_> {
        LineIndex::new(self.text(file), self.encoding)
    }

    pub fn navigation(&self, config: &Config) -> &Navigation {
        self.navigation
            .get_or_init(|| Navigation::build(&self.project, config))
    }

    /// The diagnostics as the editor shows them, by file.
    pub fn lsp_diagnostics(
        &self,
        uri_of: &dyn Fn(&str) -> Option<Url>,
    ) -> HashMap<Url, Vec<lsp_types::Diagnostic>> {
        let mut indexes: HashMap<FileId, LineIndex<'_>> = HashMap::default();
        let mut location = |loc: Loc| -> Option<Location> {
            let uri = uri_of(self.project.path(loc.file))?;
            let index = indexes
                .entry(loc.file)
                .or_insert_with(|| self.line_index(loc.file));
            Some(Location::new(uri, index.range(loc.span)))
        };
        let mut by_file: HashMap<Url, Vec<lsp_types::Diagnostic>> = HashMap::default();
        for diagnostic in &self.diagnostics {
            let finding = &diagnostic.finding;
            let Some(primary) = location(finding.loc) else {
                continue;
            };
            let related = finding
                .related
                .iter()
                .filter_map(|r| {
                    Some(DiagnosticRelatedInformation {
                        location: location(r.loc)?,
                        message: r.message.clone(),
                    })
                })
                .collect();
            by_file.entry(primary.uri).or_default().push(to_lsp(
                diagnostic,
                primary.range,
                related,
            ));
        }
        by_file
    }
}

/// One finding as an LSP diagnostic at `range`.
pub fn to_lsp(
    diagnostic: &Diagnostic,
    range: lsp_types::Range,
    related: Vec<DiagnosticRelatedInformation>,
) -> lsp_types::Diagnostic {
    let finding = &diagnostic.finding;
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp_types::Diagnostic {
        range,
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.rule.to_string())),
        code_description: rule_docs_url(diagnostic.rule).map(|href| CodeDescription { href }),
        source: Some("pglint".into()),
        message,
        related_information: Some(related),
        tags: None,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_links_its_own_documented_file() {
        for rule in crate::rules::ALL {
            let url = rule_docs_url(rule.id()).expect("a URL");
            let file = url.as_str().strip_prefix(RULES_SOURCE_URL).unwrap();
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/rules")
                .join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(
                text.contains("## What it does"),
                "{url} holds no rule documentation"
            );
        }
    }
}
