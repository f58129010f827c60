//! Loading: discover files, parse them in parallel, and build the typed model.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::cert;
use crate::config::Config;
use crate::discover::{Discovered, ReadError, YamlFile, read_file, read_walked, walk};
use crate::hash::{HashMap, HashSet};
use crate::model::{
    Kustomization, KustomizeGraph, Object, PathRole, apply_kustomizations, is_kustomization_file,
    secret_spans,
};
use crate::schema::{RepositoryCrd, Schemas};
use crate::source::{FileId, Loc, SourceFile, SourceMap, SourceText, Span, ancestors};
use crate::yaml::{Directive, YamlProblem, YamlProblemKind, directives, parse};

mod cache;
pub use cache::ProjectCache;

/// The integration tests' file helpers, for the unit tests of the cache.
#[cfg(test)]
#[path = "../tests/common/fs.rs"]
mod test_fs;

/// The integration tests' generated repositories, for the cache's differential test.
#[cfg(test)]
#[path = "../tests/common/synth.rs"]
mod test_synth;

/// What reading one file produced besides its objects.
#[derive(Debug, Default, Clone)]
pub struct FileInfo {
    pub documents: usize,
    /// Syntax errors, duplicate keys, limits, unreadable content.
    pub problems: Vec<YamlProblem>,
    /// Spans that hold secret values (masked by reporters), sorted.
    pub sensitive: Vec<Span>,
    /// Those of them that hold sealed-secrets ciphertext (shown by `--diff`), sorted.
    pub ciphertext: Vec<Span>,
    /// Where the text that did not become a complete document starts, when a syntax error or
    /// a limit stopped the parse: reporters mask everything from there on that may be secret.
    pub unparsed_from: Option<usize>,
    /// Not a manifest (a kustomize generator input, a vanished file): no finding is made
    /// about it.
    pub skipped: bool,
    /// Deleted between the walk and the read: listed in [`Project::unreadable`], not counted.
    pub vanished: bool,
    /// A file of the base revision, shown where a change-safety finding points at what was
    /// there before (see [`Project::add_base_files`]); not part of the repository.
    pub from_base: bool,
    /// What few files hold (pglint comments, list documents, …): boxed, and `None` when all
    /// is empty, since a repository holds tens of thousands of files.
    pub extras: Option<Box<FileExtras>>,
}

/// The rarely set part of a [`FileInfo`].
#[derive(Debug, Default, Clone)]
pub struct FileExtras {
    /// Its `# pglint-ignore` comments.
    pub directives: Vec<Directive>,
    /// The field paths of the places findings point at that the model does not name (its
    /// pglint comments, repeated keys), found while the file is parsed: the enclosing node's,
    /// as [`crate::yaml::NodeRef::field_path`] names it (see [`Project::field_path_at`]).
    pub field_paths: Vec<(Span, String)>,
    /// The items of its `kind: …List` documents, with their position in `items`: an object
    /// kustomize and the deploy layer read out of the list (see [`Project::list_item_at`]).
    pub list_items: Vec<(Span, u32)>,
    /// The kinds named (`kind: X` lines) in the text a syntax error or a limit kept from being
    /// modelled: objects of these kinds may be missing from the project. Empty when the whole
    /// file was modelled.
    pub unread_kinds: Vec<String>,
    /// Aliases to an anchor of another document of the file (see
    /// [`crate::yaml::ParsedFile::foreign_aliases`]): kustomize refuses the file.
    pub foreign_aliases: Vec<Span>,
}

impl FileExtras {
    fn is_empty(&self) -> bool {
        self.directives.is_empty()
            && self.field_paths.is_empty()
            && self.list_items.is_empty()
            && self.unread_kinds.is_empty()
            && self.foreign_aliases.is_empty()
    }
}

impl FileInfo {
    fn extras(&self) -> &FileExtras {
        static NONE: FileExtras = FileExtras {
            directives: Vec::new(),
            field_paths: Vec::new(),
            list_items: Vec::new(),
            unread_kinds: Vec::new(),
            foreign_aliases: Vec::new(),
        };
        self.extras.as_deref().unwrap_or(&NONE)
    }

    /// Its `# pglint-ignore` comments.
    pub fn directives(&self) -> &[Directive] {
        &self.extras().directives
    }

    /// See [`FileExtras::field_paths`].
    pub fn field_paths(&self) -> &[(Span, String)] {
        &self.extras().field_paths
    }

    /// See [`FileExtras::list_items`].
    pub fn list_items(&self) -> &[(Span, u32)] {
        &self.extras().list_items
    }

    /// See [`FileExtras::unread_kinds`].
    pub fn unread_kinds(&self) -> &[String] {
        &self.extras().unread_kinds
    }

    /// See [`FileExtras::foreign_aliases`].
    pub fn foreign_aliases(&self) -> &[Span] {
        &self.extras().foreign_aliases
    }
}

/// The sealed-secrets certificate, as far as pglint needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certificate {
    /// No certificate at the configured path: sealed values are checked against RSA-4096.
    Absent,
    Found {
        modulus_bytes: usize,
    },
    Invalid {
        reason: String,
    },
}

impl Certificate {
    pub fn modulus_bytes(&self) -> usize {
        match self {
            Certificate::Found { modulus_bytes } => *modulus_bytes,
            _ => cert::DEFAULT_MODULUS_BYTES,
        }
    }
}

/// The whole repository, parsed and modelled.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub sources: SourceMap,
    /// Indexed by [`FileId`], like `sources`.
    pub files: Vec<FileInfo>,
    /// Shared with the [`ProjectCache`] that loaded them (an object is copied only where a
    /// kustomization changes it).
    pub objects: Vec<Arc<Object>>,
    /// Shared with the [`ProjectCache`], which hands it to the next load while the
    /// kustomizations are the same.
    pub kustomize: Arc<KustomizeGraph>,
    /// The CRDs objects are validated against: the embedded ones, and the repository's own.
    pub schemas: Schemas,
    /// Every file and folder in the repository.
    pub paths: HashSet<String>,
    pub certificate: Certificate,
    /// The git remotes' URLs of the repository around the root (from `.git/config`): what an
    /// Argo CD source's `repoURL` must name to be this repository.
    pub repository_urls: Vec<String>,
    /// The kustomize generator inputs (`files:`, `envs:`) that are not among `sources` (an
    /// `.env` or key file), and the Flux `.sourceignore` files, by path, read at load: a
    /// deployment never opens a file.
    inputs: HashMap<String, Vec<u8>>,
    /// Paths that were not walked or read and are not findings (links leaving the
    /// repository, link loops, folders that cannot be listed, files that vanished), with the
    /// reason. The command line prints them as notes on stderr.
    pub unreadable: Vec<(String, String)>,
}

/// One file to load: its path, and where its bytes are.
struct Input {
    path: String,
    content: Content,
}

enum Content {
    /// Read by the job that parses it, so that each buffer is freed (and reused) as soon as
    /// the file is modelled.
    Disk(PathBuf, std::fs::FileType),
    /// The bytes, or why they are not read.
    Memory(Result<Vec<u8>, YamlProblem>),
    /// The text of an earlier load, shared (see [`Project::with_edits`]).
    Kept(Arc<SourceText>),
}

/// Files are loaded in batches of this many consecutive files: one job on the thread pool.
const BATCH: usize = 64;

/// What loading consecutive files produced, in their order.
#[derive(Default)]
struct Batch {
    sources: Vec<SourceFile>,
    files: Vec<FileInfo>,
    /// As read from the files, before kustomizations are applied.
    objects: Vec<Arc<Object>>,
    kustomizations: Vec<Kustomization>,
    crds: Vec<RepositoryCrd>,
    /// The same objects as a previous assembly left them, with kustomizations applied: taken
    /// instead when the project's kustomizations are those it applied (see
    /// [`Project::assemble`]).
    applied: Option<Vec<Arc<Object>>>,
}

impl Batch {
    /// Stages 2–3 for consecutive files; the first is `first`.
    fn load(inputs: Vec<Input>, first: u32, config: &Config) -> Batch {
        let mut batch = Batch {
            sources: Vec::with_capacity(inputs.len()),
            files: Vec::with_capacity(inputs.len()),
            ..Batch::default()
        };
        for (offset, input) in (0..).zip(inputs) {
            load_file(input, FileId(first + offset), config, &mut batch);
        }
        batch
    }

    /// Batches made from a list of files, loaded in parallel.
    fn load_all(inputs: Vec<Input>, config: &Config) -> Vec<Batch> {
        let mut chunks = Vec::new();
        let mut inputs = inputs.into_iter();
        loop {
            let chunk: Vec<Input> = inputs.by_ref().take(BATCH).collect();
            if chunk.is_empty() {
                break;
            }
            chunks.push(chunk);
        }
        chunks
            .into_par_iter()
            .enumerate()
            .map(|(i, chunk)| Batch::load(chunk, (i * BATCH) as u32, config))
            .collect()
    }
}

impl From<YamlFile> for Input {
    fn from(YamlFile { path, location }: YamlFile) -> Input {
        let content = match location {
            Some((location, file_type)) => Content::Disk(location, file_type),
            None => Content::Memory(Err(not_text("not on disk".into()))),
        };
        Input { path, content }
    }
}

impl Project {
    /// Discovers, reads and models the repository at `root`. Fails only when the walk cannot
    /// start (an invalid exclude glob, a missing root); every per-file problem is a finding.
    ///
    /// Files are read and parsed on the thread pool while the walk goes on, batch by batch;
    /// file ids follow the walk's order, whatever the number of threads.
    pub fn load(root: &Path, config: &Config) -> Result<Project, String> {
        Project::load_with(root, config, &HashMap::default())
    }

    /// [`Project::load`], with the bytes of some files (by repository path) taken from
    /// `overrides` instead of the disk: a fix run checks its edits before writing them. An
    /// override the walk does not find is a new file (`pglint new` checks what it would add).
    pub fn load_with(
        root: &Path,
        config: &Config,
        overrides: &HashMap<String, Vec<u8>>,
    ) -> Result<Project, String> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let walked = rayon::in_place_scope(|scope| {
            let mut next = 0;
            walk(root, config, BATCH, |files| {
                let first = next;
                next += files.len() as u32;
                let sender = sender.clone();
                scope.spawn(move |_| {
                    let inputs = files
                        .into_iter()
                        .map(|file| match overrides.get(&file.path) {
                            Some(bytes) => Input {
                                path: file.path,
                                content: Content::Memory(Ok(bytes.clone())),
                            },
                            None => Input::from(file),
                        })
                        .collect();
                    // The receiver outlives the scope.
                    let _ = sender.send((first, Batch::load(inputs, first, config)));
                });
            })
        })?;
        drop(sender);
        let mut walked = walked;
        let mut batches: Vec<(u32, Batch)> = receiver.into_iter().collect();
        batches.sort_unstable_by_key(|(first, _)| *first);
        let mut batches: Vec<Batch> = batches.into_iter().map(|(_, batch)| batch).collect();
        let mut new_files: Vec<(&String, &Vec<u8>)> = overrides
            .iter()
            .filter(|(path, _)| !walked.paths.contains(path.as_str()))
            .collect();
        if !new_files.is_empty() {
            new_files.sort();
            let first: usize = batches.iter().map(|b| b.sources.len()).sum();
            let inputs = new_files
                .iter()
                .map(|(path, bytes)| Input {
                    path: path.to_string(),
                    content: Content::Memory(Ok(bytes.to_vec())),
                })
                .collect();
            batches.push(Batch::load(inputs, first as u32, config));
            for (path, _) in new_files {
                walked.paths.insert(path.clone());
                walked.paths.extend(
                    ancestors(path)
                        .filter(|d| !d.is_empty())
                        .map(str::to_string),
                );
            }
        }
        let certificate = read_certificate(root, config);
        let mut project = Project::assemble(
            root.to_path_buf(),
            batches,
            walked,
            certificate,
            config,
            None,
        );
        project.read_generator_inputs(|path| {
            (overrides.get(path).cloned()).or_else(|| Project::input_on_disk(root, path, config))
        });
        project.repository_urls = read_remotes(root);
        Ok(project)
    }

    /// The project as `overrides` (repository path → bytes) change its files, loaded from this
    /// one's texts rather than from the disk: a fix run checks its edits, pass after pass, on
    /// the texts it computed them from. Every other part of the load (walk, certificate,
    /// remotes, generator inputs) is this project's.
    pub fn with_edits(&self, overrides: &HashMap<String, Vec<u8>>, config: &Config) -> Project {
        let inputs = self
            .sources
            .iter()
            .zip(&self.files)
            .filter(|(_, info)| !info.vanished && !info.from_base)
            .map(|((_, source), info)| {
                let content = match overrides.get(&source.path) {
                    Some(bytes) => Content::Memory(Ok(bytes.clone())),
                    // An empty text with a problem was not read (too large, not text): an
                    // empty text parses without one.
                    None if source.text.as_str().is_empty() && !info.problems.is_empty() => {
                        Content::Memory(Err(info.problems[0].clone()))
                    }
                    None => Content::Kept(Arc::clone(&source.text)),
                };
                Input {
                    path: source.path.clone(),
                    content,
                }
            })
            .collect();
        let walked = Discovered {
            yaml_files: Vec::new(),
            paths: self.paths.clone(),
            skipped: self.unreadable.clone(),
        };
        let batches = Batch::load_all(inputs, config);
        let mut project = Project::assemble(
            self.root.clone(),
            batches,
            walked,
            self.certificate.clone(),
            config,
            None,
        );
        project.read_generator_inputs(|path| self.inputs.get(path).cloned());
        project.repository_urls = self.repository_urls.clone();
        project
    }

    /// Reads what a walk found. A file may vanish or change in between.
    #[cfg(test)]
    fn read(root: &Path, discovered: Discovered, config: &Config) -> Project {
        let inputs = discovered
            .yaml_files
            .iter()
            .cloned()
            .map(Input::from)
            .collect();
        let batches = Batch::load_all(inputs, config);
        let certificate = read_certificate(root, config);
        let mut project = Project::assemble(
            root.to_path_buf(),
            batches,
            discovered,
            certificate,
            config,
            None,
        );
        project.read_generator_inputs(|path| Project::input_on_disk(root, path, config));
        project
    }

    /// Builds a project from in-memory files (repository-relative `/` paths and their bytes),
    /// exactly as [`Project::load`] would from the same files on disk: same selection
    /// (excludes, Helm charts), same size limit, decoding, parsing and model. The certificate
    /// is the file at `config.certificate`, if given.
    pub fn from_files(files: Vec<(String, Vec<u8>)>, config: &Config) -> Result<Project, String> {
        let mut discovered =
            crate::discover::from_paths(files.iter().map(|(path, _)| path.as_str()), config)?;
        let yaml_files = std::mem::take(&mut discovered.yaml_files);
        let mut contents: HashMap<String, Vec<u8>> = files.into_iter().collect();
        let certificate = contents
            .get(&config.certificate)
            .map_or(Certificate::Absent, |bytes| parse_certificate(bytes));
        let inputs = yaml_files
            .into_iter()
            .map(|file| {
                let bytes = contents.remove(&file.path).unwrap_or_default();
                let size = bytes.len() as u64;
                let content = if size <= config.max_file_bytes {
                    Ok(bytes)
                } else {
                    Err(read_problem(
                        ReadError::TooLarge(size),
                        config.max_file_bytes,
                    ))
                };
                Input {
                    path: file.path,
                    content: Content::Memory(content),
                }
            })
            .collect();
        let batches = Batch::load_all(inputs, config);
        let mut project = Project::assemble(
            PathBuf::new(),
            batches,
            discovered,
            certificate,
            config,
            None,
        );
        project.read_generator_inputs(|path| contents.get(path).cloned());
        Ok(project)
    }

    /// A project of small texts, for tests: `files` are repository-relative paths and texts.
    #[cfg(test)]
    pub(crate) fn from_texts(files: &[(&str, &str)], config: &Config) -> Project {
        let files = files
            .iter()
            .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
            .collect();
        Project::from_files(files, config).expect("the repository loads")
    }

    /// The loaded batches, in order, become one project; then the kustomize overrides.
    /// `applied_under`: the kustomize graph a previous assembly applied to the batches'
    /// [`Batch::applied`] objects; when the project's kustomizations are the same, it is the
    /// project's graph, and (unless repository CRDs revalidate objects) those objects are
    /// taken as they are, since applying is a function of the graph and the file's objects.
    fn assemble(
        root: PathBuf,
        batches: Vec<Batch>,
        walked: Discovered,
        certificate: Certificate,
        config: &Config,
        applied_under: Option<&Arc<KustomizeGraph>>,
    ) -> Project {
        let Discovered {
            mut paths,
            skipped: mut unreadable,
            ..
        } = walked;
        let count = |part: fn(&Batch) -> usize| batches.iter().map(part).sum::<usize>();
        let mut sources = Vec::with_capacity(count(|b| b.sources.len()));
        let mut files = Vec::with_capacity(sources.capacity());
        let mut objects = Vec::with_capacity(count(|b| b.objects.len()));
        let mut kustomizations = Vec::with_capacity(count(|b| b.kustomizations.len()));
        let mut crds = Vec::new();
        let mut batch_objects = Vec::with_capacity(batches.len());
        for batch in batches {
            batch_objects.push((batch.sources.len(), batch.objects, batch.applied));
            sources.extend(batch.sources);
            files.extend(batch.files);
            kustomizations.extend(batch.kustomizations);
            crds.extend(batch.crds);
        }
        for (source, info) in sources.iter().zip(&files) {
            if info.vanished {
                paths.remove(&source.path);
                unreadable.push((
                    source.path.clone(),
                    "vanished while pglint ran; not checked".into(),
                ));
            }
        }
        let sources = SourceMap::from(sources);
        let unchanged = applied_under.filter(|under| under.kustomizations == kustomizations);
        let kustomize = match unchanged {
            Some(under) => Arc::clone(under),
            None => Arc::new(KustomizeGraph::new(kustomizations)),
        };
        let reuse = crds.is_empty() && unchanged.is_some();
        // By file: its objects are already applied.
        let mut applied = Vec::with_capacity(files.len());
        for (file_count, read, done) in batch_objects {
            let done = done.filter(|_| reuse);
            applied.extend(std::iter::repeat_n(done.is_some(), file_count));
            objects.extend(done.unwrap_or(read));
        }
        skip_generator_inputs(&kustomize, &sources, &mut files, &mut objects);
        apply_kustomizations(
            &kustomize,
            &mut objects,
            |id| sources.get(id).path.as_str(),
            |id| applied[id.0 as usize],
        );

        let mut project = Project {
            certificate,
            schemas: Schemas { repository: crds },
            inputs: HashMap::default(),
            repository_urls: Vec::new(),
            root,
            sources,
            files,
            objects,
            kustomize,
            paths,
            unreadable,
        };
        project.validate_with_repository_crds(config);
        project
    }

    /// Validates again, against the repository's own CRDs, the objects of the kinds they
    /// define: while files load in parallel, each was validated against the embedded CRD.
    fn validate_with_repository_crds(&mut self, config: &Config) {
        let redefined = |object: &Object| {
            let group = object
                .api_version
                .as_ref()
                .and_then(|v| v.as_str().rsplit_once('/'))
                .map(|(group, _)| group);
            self.schemas
                .repository
                .iter()
                .any(|own| Some(own.group.as_str()) == group && own.kind == object.kind_str())
        };
        let mut revalidated = Vec::new();
        let mut parsed: Option<(FileId, crate::yaml::ParsedFile)> = None;
        for (at, object) in self.objects.iter().enumerate() {
            if !redefined(object) {
                continue;
            }
            let text = self.text(object.file).as_str();
            if parsed.as_ref().is_none_or(|(file, _)| *file != object.file) {
                parsed = Some((object.file, parse(text, &config.limits)));
            }
            let Some((_, file)) = &parsed else { continue };
            let again = file.documents.get(object.document).and_then(|doc| {
                Object::from_document(object.file, object.document, doc, text, &self.schemas)
            });
            if let Some(again) = again {
                revalidated.push((at, again.schema));
            }
        }
        for (at, schema) in revalidated {
            Arc::make_mut(&mut self.objects[at]).schema = schema;
        }
    }

    pub fn path(&self, file: FileId) -> &str {
        &self.sources.get(file).path
    }

    /// The field path of a place the model does not name (a pglint comment, a repeated key)
    /// that holds `loc`, as found when the file was parsed (see [`FileExtras::field_paths`]).
    pub fn field_path_at(&self, loc: Loc) -> Option<&str> {
        let info = self.files.get(loc.file.0 as usize)?;
        info.field_paths()
            .iter()
            .find(|(span, _)| span.start() <= loc.span.start() && loc.span.start() <= span.end())
            .map(|(_, path)| path.as_str())
    }

    /// The position in `items` of the `kind: …List` item that holds `loc` (see
    /// [`FileExtras::list_items`]).
    pub fn list_item_at(&self, loc: Loc) -> Option<u32> {
        let info = self.files.get(loc.file.0 as usize)?;
        info.list_items()
            .iter()
            .find(|(span, _)| {
                Loc {
                    file: loc.file,
                    span: *span,
                }
                .holds(loc)
            })
            .map(|&(_, index)| index)
    }

    /// The object whose document holds `loc` (objects are in file and document order).
    pub fn object_at(&self, loc: Loc) -> Option<&Object> {
        let after = self
            .objects
            .partition_point(|o| (o.file, o.loc.span.start()) <= (loc.file, loc.span.start()));
        let object = &self.objects[after.checked_sub(1)?];
        object.loc.holds(loc).then_some(object)
    }

    /// A source object of the repository's files.
    pub fn object(&self, id: crate::model::SourceId) -> &Object {
        &self.objects[id.index()]
    }

    /// Every source object with its id, in file order.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = (crate::model::SourceId, &Object)> {
        self.objects
            .iter()
            .enumerate()
            .map(|(at, object)| (crate::model::SourceId::new(at), &**object))
    }

    /// The file read at `path` (a linear search: for the few files a build names by path).
    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.sources.find(path)
    }

    /// Reads the generator inputs of every kustomization that are not manifests, and the
    /// `.sourceignore` files (see [`Project::inputs`]), with `read` (see [`Project::input_on_disk`]). They are read here,
    /// with the kustomizations that name them, so that the deployments built later read
    /// memory only. One that cannot be read is left out: the build that needs it says so.
    fn read_generator_inputs(&mut self, read: impl Fn(&str) -> Option<Vec<u8>> + Sync) {
        // What `crate::deploy::generate` asks for.
        let generators = self.kustomize.kustomizations.iter();
        let mut paths: Vec<&str> = generators
            .flat_map(|k| &k.build.generators)
            .flat_map(|g| g.files.iter().chain(&g.envs))
            .filter_map(|(_, path)| path.as_deref())
            // And the Flux ignore rules `crate::deploy::flux_ignore` applies.
            .chain(crate::deploy::sourceignore_files(self))
            .filter(|path| self.file_id(path).is_none())
            .collect();
        paths.sort_unstable();
        paths.dedup();
        let inputs = paths
            .into_par_iter()
            .filter_map(|path| read(path).map(|bytes| (path.to_string(), bytes)))
            .collect();
        self.inputs = inputs;
    }

    /// A generator input's bytes under `root`, with the limits of any file (no link out of the
    /// repository, `max_file_bytes`).
    fn input_on_disk(root: &Path, path: &str, config: &Config) -> Option<Vec<u8>> {
        read_file(&root.join(path), root, config.max_file_bytes).ok()
    }

    /// The bytes of a kustomize generator input: a repository file's text, or the input read
    /// at load. `None` when it could not be read.
    pub fn read_input(&self, path: &str) -> Option<Vec<u8>> {
        match self.file_id(path) {
            Some(file) => Some(self.text(file).as_str().as_bytes().to_vec()),
            None => self.inputs.get(path).cloned(),
        }
    }

    /// The file's text, as read at load.
    pub fn text(&self, file: FileId) -> &SourceText {
        &self.sources.get(file).text
    }

    /// Every YAML problem of every manifest file (generator inputs excluded), with its file.
    pub fn yaml_problems(&self) -> impl Iterator<Item = (FileId, &YamlProblem)> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, info)| !info.skipped)
            .flat_map(|(i, info)| info.problems.iter().map(move |p| (FileId(i as u32), p)))
    }

    /// Files checked (vanished ones excluded).
    pub fn file_count(&self) -> usize {
        self.files
            .iter()
            .filter(|f| !f.vanished && !f.from_base)
            .count()
    }

    /// Gives the base revision's files that `diagnostics` point at (file ids past this
    /// project's, see [`crate::rules::Context::base_loc`]) a place among this project's files,
    /// named `REF:path` as git names a file at a revision, with their secret values masked as
    /// in `base`.
    pub fn add_base_files(
        &mut self,
        base: &Project,
        reference: &str,
        diagnostics: &mut [crate::diagnostic::Diagnostic],
    ) {
        let offset = self.sources.len() as u32;
        let mut added: HashMap<u32, FileId> = HashMap::default();
        for diagnostic in diagnostics {
            let finding = &mut diagnostic.finding;
            let locs = std::iter::once(&mut finding.loc)
                .chain(finding.related.iter_mut().map(|r| &mut r.loc));
            for loc in locs {
                let Some(index) = loc.file.0.checked_sub(offset) else {
                    continue;
                };
                loc.file = *added.entry(index).or_insert_with(|| {
                    let file = FileId(index);
                    let info = &base.files[index as usize];
                    self.files.push(FileInfo {
                        sensitive: info.sensitive.clone(),
                        ciphertext: info.ciphertext.clone(),
                        unparsed_from: info.unparsed_from,
                        from_base: true,
                        ..FileInfo::default()
                    });
                    self.sources.push(SourceFile {
                        path: format!("{reference}:{}", base.path(file)),
                        text: base.sources.get(file).text.clone(),
                    })
                });
            }
        }
    }

    pub fn document_count(&self) -> usize {
        self.files.iter().map(|f| f.documents).sum()
    }
}

/// The field paths of a file's pglint comments and repeated keys (see
/// [`FileExtras::field_paths`]): in the document that holds the position, else the first.
fn unmodelled_paths(
    documents: &[crate::yaml::Document],
    directives: &[Directive],
    problems: &[YamlProblem],
) -> Vec<(Span, String)> {
    let comments = directives
        .iter()
        .map(|d| Span::new(d.start, d.start + d.text.len()));
    let repeated = problems
        .iter()
        .filter(|p| matches!(p.kind, YamlProblemKind::DuplicateKey { .. }))
        .map(|p| p.span);
    let roots: Vec<_> = documents.iter().filter_map(|d| d.root()).collect();
    comments
        .chain(repeated)
        .filter_map(|span| {
            let offset = span.start();
            let root = roots
                .iter()
                .find(|r| r.span().start() <= offset && offset < r.span().end())
                .or(roots.first())?;
            Some((span, root.field_path(offset)))
        })
        .collect()
}

/// The items of a file's `kind: …List` documents (see [`FileInfo::list_items`]).
fn list_items(documents: &[crate::yaml::Document]) -> Vec<(Span, u32)> {
    let lists = documents.iter().filter_map(|d| d.root()).filter(|root| {
        root.get("kind")
            .and_then(|k| k.as_str())
            .is_some_and(|k| k.ends_with("List"))
    });
    lists
        .filter_map(|root| root.get("items"))
        .flat_map(|items| items.items().enumerate())
        .map(|(i, item)| (item.span(), u32::try_from(i).unwrap_or(u32::MAX)))
        .collect()
}

/// Stages 2–3 for one file: decode, parse, model. The only per-file path, whether the bytes
/// came from disk or from memory. The text is kept (see [`SourceFile`]).
fn load_file(input: Input, id: FileId, config: &Config, batch: &mut Batch) {
    let Input { path, content } = input;
    let mut info = FileInfo::default();
    let bytes = match content {
        Content::Kept(text) => Ok(Err(text)),
        Content::Memory(content) => content.map(Ok),
        Content::Disk(location, file_type) => {
            match read_walked(&location, Some(file_type), config.max_file_bytes) {
                Ok(bytes) => Ok(Ok(bytes)),
                // Deleted since the walk saw it (an editor's temporary file): not part of the
                // repository any more.
                Err(ReadError::Missing) => {
                    info.vanished = true;
                    info.skipped = true;
                    Ok(Ok(Vec::new()))
                }
                Err(error) => Err(read_problem(error, config.max_file_bytes)),
            }
        }
    };
    // The one copy of the text, sized exactly, before the parse allocates.
    let text = bytes.and_then(|bytes| match bytes {
        Ok(bytes) => decode(bytes)
            .map(|text| Arc::new(SourceText::new(text)))
            .map_err(not_text),
        Err(kept) => Ok(kept),
    });
    let mut kustomization = None;
    let text = text.unwrap_or_else(|problem| {
        info.problems.push(problem);
        Arc::default()
    });
    let source = SourceFile { path, text };
    let (path, text) = (source.path.as_str(), source.text.as_str());
    if info.problems.is_empty() {
        let parsed = parse(text, &config.limits);
        info.documents = parsed.documents.len();
        info.problems = parsed.problems;
        info.unparsed_from = parsed.unparsed_from;
        let mut extras = FileExtras {
            foreign_aliases: parsed.foreign_aliases.clone(),
            unread_kinds: parsed
                .unparsed_from
                .map(|from| kinds_named(text.get(from..).unwrap_or_default()))
                .unwrap_or_default(),
            directives: directives(text),
            field_paths: Vec::new(),
            list_items: list_items(&parsed.documents),
        };
        extras.field_paths =
            unmodelled_paths(&parsed.documents, &extras.directives, &info.problems);
        info.extras = (!extras.is_empty()).then(|| Box::new(extras));
        let is_kustomization = is_kustomization_file(path);
        for (index, doc) in parsed.documents.iter().enumerate() {
            let secrets = secret_spans(doc);
            info.sensitive.extend(secrets.values);
            info.ciphertext.extend(secrets.ciphertext);
            if is_kustomization {
                kustomization = kustomization.or_else(|| Kustomization::read(id, path, doc, text));
            } else if let Some(object) =
                Object::from_document(id, index, doc, text, &Schemas::EMBEDDED)
            {
                if object.kind_str() == "CustomResourceDefinition" {
                    batch
                        .crds
                        .extend(doc.root().and_then(|root| RepositoryCrd::read(root, id)));
                }
                batch.objects.push(Arc::new(object));
            }
        }
        info.sensitive.sort();
        info.sensitive.dedup();
        info.ciphertext.sort();
    }
    batch.sources.push(source);
    batch.files.push(info);
    batch.kustomizations.extend(kustomization);
}

/// The kinds that `kind:` lines of some YAML text name, sorted, whatever the text's syntax:
/// what a part of a file that could not be parsed may have declared.
pub fn kinds_named(text: &str) -> Vec<String> {
    let mut kinds: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            let rest = line.strip_prefix("kind")?.trim_start().strip_prefix(':')?;
            let value = rest.split(" #").next().unwrap_or_default().trim();
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            (!value.is_empty()
                && value.chars().all(|c| c.is_ascii_alphanumeric())
                && value.starts_with(|c: char| c.is_ascii_uppercase()))
            .then(|| value.to_string())
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// A file that could not be read as text: a `yaml-syntax` finding at its start.
fn not_text(message: String) -> YamlProblem {
    YamlProblem {
        kind: YamlProblemKind::Syntax { message },
        span: Span::new(0, 0),
    }
}

/// Why a file was not read, as a finding: `yaml-limit` when it is too large, else
/// `yaml-syntax`.
fn read_problem(error: ReadError, max_bytes: u64) -> YamlProblem {
    match error {
        ReadError::TooLarge(size) => YamlProblem {
            kind: YamlProblemKind::Limit {
                message: format!(
                    "file is {size} bytes, over the {max_bytes}-byte limit; it was not read"
                ),
            },
            span: Span::new(0, 0),
        },
        error => not_text(format!("{error}; it was not read")),
    }
}

/// Text from UTF-8 (a byte-order mark is dropped) or UTF-16 with a byte-order mark, which YAML
/// allows; anything else, or any NUL byte, is binary. A lone carriage return, which YAML reads
/// as a line break, becomes a line feed (same length), so that lines are counted as YAML and
/// editors count them.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let mut text = decode_text(bytes)?;
    if text.contains('\r') {
        let mut bytes = text.into_bytes();
        for i in 0..bytes.len() {
            if bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                bytes[i] = b'\n';
            }
        }
        // Only an ASCII byte was replaced by another.
        text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    }
    Ok(text)
}

fn decode_text(bytes: Vec<u8>) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes);
    }
    if bytes.contains(&0) {
        let at = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(format!(
            "not a text file: it holds a NUL byte (at byte {at}), so it is binary data or a corrupted file, not YAML; it was not read (if it belongs there, add it to `exclude` in pglint.toml)"
        ));
    }
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "file is not valid UTF-8 (invalid byte at offset {}); it was not read",
            e.utf8_error().valid_up_to()
        )
    })
}

fn decode_utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err("UTF-16 file with an odd number of bytes; it was not read".into());
    }
    let words = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    let text = char::decode_utf16(words)
        .collect::<Result<String, _>>()
        .map_err(|_| "file is not valid UTF-16; it was not read".to_string())?;
    if text.contains('\0') {
        return Err("not a text file: it holds a NUL character, so it is binary data or a corrupted file, not YAML; it was not read".into());
    }
    Ok(text)
}

/// Files a kustomization feeds to a generator are data, not manifests.
fn skip_generator_inputs(
    kustomize: &KustomizeGraph,
    sources: &SourceMap,
    files: &mut [FileInfo],
    objects: &mut Vec<Arc<Object>>,
) {
    let inputs = generator_inputs(kustomize);
    if inputs.is_empty() {
        return;
    }
    let skipped: HashSet<FileId> = sources
        .iter()
        .filter(|(_, f)| inputs.contains(f.path.as_str()))
        .map(|(id, _)| id)
        .collect();
    for &id in &skipped {
        let info = &mut files[id.0 as usize];
        info.skipped = true;
        info.problems.clear();
        if let Some(extras) = &mut info.extras {
            extras.unread_kinds.clear();
        }
    }
    objects.retain(|o| !skipped.contains(&o.file));
}

/// The repository paths kustomizations feed to a generator (`files:`, `envs:`, `env:`).
fn generator_inputs(kustomize: &KustomizeGraph) -> HashSet<&str> {
    kustomize
        .kustomizations
        .iter()
        .flat_map(|k| &k.paths)
        .filter(|p| p.role == PathRole::GeneratorInput)
        .filter_map(|p| p.resolved.as_deref())
        .collect()
}

/// The remote URLs in the `.git/config` of the repository around `root` (none when there is
/// no git repository, or `.git` is a file, as in a worktree).
fn read_remotes(root: &Path) -> Vec<String> {
    root.ancestors()
        .map(|dir| dir.join(".git/config"))
        .find(|config| config.is_file())
        .and_then(|config| std::fs::read_to_string(config).ok())
        .map(|text| crate::deploy::remotes::remote_urls(&text))
        .unwrap_or_default()
}

fn read_certificate(root: &Path, config: &Config) -> Certificate {
    match read_file(&root.join(&config.certificate), root, config.max_file_bytes) {
        Err(ReadError::Missing) => Certificate::Absent,
        Err(error) => Certificate::Invalid {
            reason: error.to_string(),
        },
        Ok(bytes) => parse_certificate(&bytes),
    }
}

fn parse_certificate(bytes: &[u8]) -> Certificate {
    match std::str::from_utf8(bytes) {
        Err(_) => Certificate::Invalid {
            reason: "the certificate is not UTF-8 text".into(),
        },
        Ok(pem) => match cert::rsa_modulus_bytes(pem) {
            Ok(modulus_bytes) => Certificate::Found { modulus_bytes },
            Err(reason) => Certificate::Invalid { reason },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::discover;

    #[test]
    fn the_kinds_an_unparsed_text_names() {
        let text = "apiVersion: v1\nkind: Cluster # the shared one\n  bad: [\n---\n- kind: \"Database\"\nkind:\nkind: ${KIND}\nkindness: x\n";
        assert_eq!(kinds_named(text), ["Cluster", "Database"]);
        let config = Config::default();
        let broken = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n bad: indent\n";
        let project = Project::from_texts(
            &[("ok.yaml", "kind: Secret\n"), ("c.yaml", broken)],
            &config,
        );
        assert_eq!(project.files[0].unread_kinds(), ["Cluster"]);
        assert!(project.files[1].unread_kinds().is_empty());
    }

    #[test]
    fn files_that_vanish_after_the_walk_are_noted_not_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.path().join("b.yaml"), "b: [\n").unwrap();
        let config = Config::default();
        let discovered = discover(dir.path(), &config).unwrap();
        std::fs::remove_file(dir.path().join("b.yaml")).unwrap();
        let project = Project::read(dir.path(), discovered, &config);
        assert_eq!(project.file_count(), 1);
        assert_eq!(project.path(FileId(0)), "a.yaml");
        assert!(project.files[0].problems.is_empty());
        assert!(project.files[1].vanished && project.files[1].problems.is_empty());
        assert_eq!(
            project.unreadable,
            [(
                "b.yaml".to_string(),
                "vanished while pglint ran; not checked".to_string()
            )]
        );
        assert!(!project.paths.contains("b.yaml"));
    }

    #[test]
    fn texts_and_generator_inputs_are_kept_from_the_load() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("a.yaml", "a: 1\nb: x\n");
        write(
            "kustomization.yaml",
            "secretGenerator:\n- name: s\n  envs: [s.env]\n  files: [k=a.yaml, gone.txt]\n",
        );
        write("s.env", "K=v\n");
        let project = Project::load(dir.path(), &Config::default()).unwrap();
        std::fs::remove_file(dir.path().join("a.yaml")).unwrap();
        std::fs::remove_file(dir.path().join("s.env")).unwrap();
        let a = project.file_id("a.yaml").unwrap();
        assert_eq!(project.text(a).as_str(), "a: 1\nb: x\n");
        assert_eq!(project.text(a).line_col(5).line, 2);
        assert_eq!(project.read_input("s.env").as_deref(), Some(&b"K=v\n"[..]));
        assert_eq!(
            project.read_input("a.yaml").as_deref(),
            Some(&b"a: 1\nb: x\n"[..])
        );
        assert_eq!(project.read_input("gone.txt"), None);
        // Only what a generator names is read.
        write("other.env", "X=y\n");
        assert_eq!(project.read_input("other.env"), None);
    }

    #[test]
    fn a_project_with_edits_loads_as_the_edited_files_would() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &[u8]| std::fs::write(dir.path().join(name), text).unwrap();
        write("a.yaml", b"kind: Secret\nmetadata: {name: a}\n");
        write("b.yaml", b"kind: Secret\nmetadata: {name: b}\n");
        write("bin.yaml", b"\0");
        write(
            "kustomization.yaml",
            b"configMapGenerator:\n- name: c\n  envs: [c.env]\n",
        );
        write("c.env", b"K=v\n");
        let config = Config::default();
        let loaded = Project::load(dir.path(), &config).unwrap();
        let edit = (
            "b.yaml".to_string(),
            b"kind: Secret\nmetadata: {name: bb}\n".to_vec(),
        );
        write(&edit.0, &edit.1);
        let expected = Project::load(dir.path(), &config).unwrap();
        // What changes on disk after loading is not seen.
        write("a.yaml", b"kind: [\n");
        std::fs::remove_file(dir.path().join("c.env")).unwrap();
        let edited = loaded.with_edits(&[edit].into_iter().collect(), &config);
        let seen = |p: &Project| {
            let texts: Vec<_> = p.sources.iter().map(|(_, f)| f.text.as_str()).collect();
            format!("{texts:?}\n{:?}\n{:?}\n{:?}", p.files, p.objects, p.inputs)
        };
        assert_eq!(seen(&edited), seen(&expected));
        assert!(edited.files[2].problems.len() == 1, "{:?}", edited.files[2]);
    }

    #[test]
    fn in_memory_files_load_like_files_on_disk() {
        let files = vec![
            ("x/a.yaml".to_string(), b"a: 1\na: 2\n".to_vec()),
            ("x/big.yaml".to_string(), vec![b' '; 100]),
            ("x/bin.yaml".to_string(), vec![0, 1, 2]),
        ];
        let config = Config {
            max_file_bytes: 50,
            ..Config::default()
        };
        let project = Project::from_files(files, &config).unwrap();
        let kinds: Vec<Vec<&YamlProblemKind>> = project
            .files
            .iter()
            .map(|f| f.problems.iter().map(|p| &p.kind).collect())
            .collect();
        assert!(matches!(
            kinds[0][..],
            [YamlProblemKind::DuplicateKey { .. }]
        ));
        assert!(matches!(kinds[1][..], [YamlProblemKind::Limit { .. }]));
        assert!(matches!(kinds[2][..], [YamlProblemKind::Syntax { .. }]));
        assert!(project.paths.contains("x"));
        assert_eq!(project.certificate, Certificate::Absent);
    }

    #[test]
    fn text_encodings() {
        let utf16 = |le: bool| -> Vec<u8> {
            "\u{feff}a: é\n"
                .encode_utf16()
                .flat_map(|w| if le { w.to_le_bytes() } else { w.to_be_bytes() })
                .collect()
        };
        assert_eq!(decode(utf16(true)).unwrap(), "a: é\n");
        assert_eq!(decode(utf16(false)).unwrap(), "a: é\n");
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1".to_vec()).unwrap(), "a: 1");
        assert!(decode(b"a: \xFF".to_vec()).is_err());
        assert!(decode(vec![0xFF, 0xFE, 0x00]).is_err());
        assert!(decode(vec![0xFF, 0xFE, 0x00, 0xD8]).is_err());
        assert!(decode(vec![0xFF, 0xFE, 0x00, 0x00]).is_err());
        assert_eq!(decode(b"a\rb\r\nc\r".to_vec()).unwrap(), "a\nb\r\nc\n");
    }
}
