//! A repository kept loaded between checks, for a caller that checks again and again (an
//! editor's server): each file's parse and model are kept and reused while the file is
//! unchanged, and the folders are walked again only when files may have been added or removed.
//!
//! A project is still assembled whole on every load (kustomizations mutate the objects they
//! apply to, so the kept objects are copied, never handed out), but only the files that
//! changed are read, parsed and modelled again. The result is the project
//! [`Project::load_with`] would load from the same disk and buffers.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Batch, Content, Input, Project, read_certificate, read_remotes};
use crate::config::Config;
use crate::discover::{Discovered, YamlFile, discover, is_yaml};
use crate::hash::{HashMap, HashSet};
use crate::source::{Digest, ancestors};

/// A repository's files as last loaded, by file id (the walk's order, then the buffers of
/// files the walk did not find, by path).
pub struct ProjectCache {
    root: PathBuf,
    config: Config,
    /// The last walk (`None`: walk on the next load).
    walked: Option<Discovered>,
    /// Files changed on disk since the last load (a checkout may report thousands).
    changed: HashSet<String>,
    files: Vec<Option<CachedFile>>,
}

/// One file's load, kept for the next.
struct CachedFile {
    path: String,
    /// The digest of the buffer it was loaded from; `None`: it was read from disk.
    from_buffer: Option<Digest>,
    /// What loading it produced (its sources, info, objects, kustomization).
    load: Batch,
}

impl ProjectCache {
    /// An empty cache of the repository at `root`, checked under `config` (a change of
    /// configuration is a new cache: it decides what is walked and how files are parsed).
    pub fn new(root: PathBuf, config: Config) -> ProjectCache {
        ProjectCache {
            root,
            config,
            walked: None,
            changed: HashSet::default(),
            files: Vec::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The file at `path` (repository-relative) changed on disk: it is read again.
    pub fn changed_on_disk(&mut self, path: &str) {
        self.changed.insert(path.to_string());
    }

    /// Files or folders may have been created, deleted or renamed, or ignore rules changed:
    /// the next load walks the repository again (unchanged files keep their model when they
    /// keep their place in the walk's order).
    pub fn walk_again(&mut self) {
        self.walked = None;
    }

    /// Whether `path` was among the walk's files: a change to any other path (an ignore
    /// file, a new file) calls for [`ProjectCache::walk_again`].
    pub fn knows(&self, path: &str) -> bool {
        is_yaml(path) && self.walked.as_ref().is_some_and(|w| w.paths.contains(path))
    }

    /// The repository with `buffers` (repository path → bytes) in place of the disk, as
    /// [`Project::load_with`] loads it, re-reading only the files that changed.
    pub fn load(&mut self, buffers: &HashMap<String, Vec<u8>>) -> Result<Project, String> {
        if self.walked.is_none() {
            self.walked = Some(discover(&self.root, &self.config)?);
        }
        let mut walked = match &self.walked {
            Some(walked) => walked.clone(),
            None => unreachable!("walked just above"),
        };
        // The walk's files, then buffers the walk did not find (new files), by path.
        let mut inputs: Vec<YamlFile> = std::mem::take(&mut walked.yaml_files);
        let mut new_files: Vec<&String> = buffers
            .keys()
            .filter(|path| !walked.paths.contains(path.as_str()))
            .collect();
        new_files.sort_unstable();
        for path in new_files {
            inputs.push(YamlFile {
                path: path.clone(),
                location: None,
            });
            walked.paths.insert(path.clone());
            walked.paths.extend(
                ancestors(path)
                    .filter(|d| !d.is_empty())
                    .map(str::to_string),
            );
        }

        // What changed, moved in the walk's order or was never loaded is loaded again.
        self.files.truncate(inputs.len());
        self.files.resize_with(inputs.len(), || None);
        let stale: Vec<(usize, Input)> = (inputs.into_iter().enumerate())
            .filter_map(|(at, file)| {
                let buffer = buffers.get(&file.path);
                let digest = buffer.map(|bytes| Digest::of(bytes));
                let kept = self.files[at].as_ref();
                let same = |c: &CachedFile| c.path == file.path && c.from_buffer == digest;
                if kept.is_some_and(same) && !self.changed.contains(&file.path) {
                    return None;
                }
                let input = match buffer {
                    Some(bytes) => Input {
                        path: file.path,
                        content: Content::Memory(Ok(bytes.clone())),
                    },
                    None => Input::from(file),
                };
                Some((at, input))
            })
            .collect();
        let config = &self.config;
        let loaded: Vec<(usize, CachedFile)> = stale
            .into_par_iter()
            .map(|(at, input)| {
                let path = input.path.clone();
                let from_buffer = match &input.content {
                    Content::Memory(Ok(bytes)) => Some(Digest::of(bytes)),
                    _ => None,
                };
                let load = Batch::load(vec![input], at as u32, config);
                let cached = CachedFile {
                    path,
                    from_buffer,
                    load,
                };
                (at, cached)
            })
            .collect();
        for (at, cached) in loaded {
            self.files[at] = Some(cached);
        }
        self.changed.clear();

        // A file that vanished since the walk: the next load walks again.
        let vanished = self.files.iter().flatten().any(CachedFile::vanished);
        let batches: Vec<Batch> = self
            .files
            .par_iter_mut()
            .map(|slot| match slot {
                Some(cached) if cached.reusable() => cached.load.copy(),
                // Loaded just above, so never empty: handed over whole, and loaded again next time.
                _ => slot.take().map(|cached| cached.load).unwrap_or_default(),
            })
            .collect();
        if vanished {
            self.walked = None;
        }
        let certificate = read_certificate(&self.root, &self.config);
        let mut project = Project::assemble(
            self.root.clone(),
            batches,
            walked,
            certificate,
            &self.config,
        );
        project.read_generator_inputs(|path| {
            (buffers.get(path).cloned())
                .or_else(|| Project::input_on_disk(&self.root, path, &self.config))
        });
        project.repository_urls = read_remotes(&self.root);
        Ok(project)
    }
}

impl CachedFile {
    fn vanished(&self) -> bool {
        self.load.files.iter().any(|f| f.vanished)
    }

    /// Kept for the next load: not a file that vanished (the walk is done again), nor one a
    /// repository CRD is read from (a compiled CRD is not copied; such files are rare).
    fn reusable(&self) -> bool {
        !self.vanished() && self.load.crds.is_empty()
    }
}

impl Batch {
    /// A copy of a load without repository CRDs (see [`CachedFile::reusable`]): the file's
    /// text is shared, not copied.
    fn copy(&self) -> Batch {
        Batch {
            sources: self.sources.clone(),
            files: self.files.clone(),
            objects: self.objects.clone(),
            kustomizations: self.kustomizations.clone(),
            crds: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::{self, Options};
    use crate::project::test_fs as fs;

    /// Everything a check sees of a project, and what the check finds.
    fn seen(project: Project, config: &Config) -> String {
        let paths: std::collections::BTreeSet<&String> = project.paths.iter().collect();
        // One line per part (the kustomize graph's maps print in no fixed order).
        let loaded = format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{paths:?}",
            project
                .sources
                .iter()
                .map(|(_, f)| &f.path)
                .collect::<Vec<_>>(),
            project.files,
            project.objects,
            project.kustomize.kustomizations,
        );
        let report = engine::check(project, config, &Options::default()).expect("checked");
        format!("{loaded}\n{:?}", report.diagnostics)
    }

    /// What `cache` loads and checks with `buffers`, asserted equal to a from-scratch load
    /// and check of the same disk and buffers (`after`: the edit, for the failure message).
    fn same_as_a_full_load(
        cache: &mut ProjectCache,
        buffers: &HashMap<String, Vec<u8>>,
        after: &str,
    ) -> String {
        let config = cache.config().clone();
        let full = seen(
            Project::load_with(cache.root(), &config, buffers).unwrap(),
            &config,
        );
        let cached = seen(cache.load(buffers).unwrap(), &config);
        assert_eq!(
            cached.lines().count(),
            full.lines().count(),
            "after {after}"
        );
        for (part, (cached, full)) in cached.lines().zip(full.lines()).enumerate() {
            assert!(
                cached == full,
                "after {after}: part {part} differs:\n{cached}\n{full}"
            );
        }
        cached
    }

    /// The server's incremental path (the cache, told of disk changes as the server tells
    /// it) against a from-scratch load and check, after every one of many random edits of a
    /// generated repository: owners and roles renamed, secrets deleted and restored, waves
    /// changed, YAML broken, kustomizations edited, buffers closed, files added.
    #[test]
    fn random_edits_check_as_a_fresh_load_after_every_edit() {
        use crate::project::test_synth as synth;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let apps = synth::app_names(6, 7);
        synth::write_sop_repo(&root, apps.len(), 7).unwrap();
        let mut cache = ProjectCache::new(root.clone(), Config::default());
        let mut buffers: HashMap<String, Vec<u8>> = HashMap::default();
        let mut deleted: HashMap<String, String> = HashMap::default();
        let mut rng = synth::SplitMix64::new(23);
        let pg = "infra/databases/postgres";
        let cluster = format!("{pg}/postgres-cluster.yaml");
        let kustomization = format!("{pg}/kustomization.yaml");
        // What an edit starts from: the open buffer, else the disk.
        let current = |buffers: &HashMap<String, Vec<u8>>, path: &str| match buffers.get(path) {
            Some(bytes) => String::from_utf8(bytes.clone()).unwrap(),
            None => std::fs::read_to_string(root.join(path)).unwrap(),
        };
        let mut edits = [0usize; 8];
        let mut found: HashSet<&str> = HashSet::default();
        for step in 0..96 {
            let app = &apps[rng.below(apps.len())];
            let database = format!("{pg}/{}", app.db_file());
            let kind = rng.below(edits.len());
            let edit = match kind {
                0 => {
                    let text = current(&buffers, &database).replacen("owner: ", "owner: x", 1);
                    buffers.insert(database.clone(), text.into_bytes());
                    format!("the owner renamed in a buffer of {database}")
                }
                1 => {
                    let role = format!("name: {}\n", app.role());
                    let renamed = format!("name: {}_renamed\n", app.role());
                    let text = current(&buffers, &cluster).replacen(&role, &renamed, 1);
                    buffers.insert(cluster.clone(), text.into_bytes());
                    format!("role {} renamed in a buffer of the Cluster", app.role())
                }
                2 => {
                    let secret = format!("{pg}/{}", app.sealed_file());
                    match deleted.remove(&secret) {
                        Some(text) => std::fs::write(root.join(&secret), text).unwrap(),
                        None => {
                            let text = std::fs::read_to_string(root.join(&secret)).unwrap();
                            std::fs::remove_file(root.join(&secret)).unwrap();
                            deleted.insert(secret.clone(), text);
                        }
                    }
                    cache.walk_again();
                    format!("{secret} deleted or restored on disk")
                }
                3 => {
                    let text = std::fs::read_to_string(root.join(&database)).unwrap();
                    let (from, to) = if text.contains("sync-wave: \"2\"") {
                        ("sync-wave: \"2\"", "sync-wave: \"0\"")
                    } else {
                        ("sync-wave: \"0\"", "sync-wave: \"2\"")
                    };
                    std::fs::write(root.join(&database), text.replacen(from, to, 1)).unwrap();
                    cache.changed_on_disk(&database);
                    format!("the wave of {database} changed on disk")
                }
                4 => {
                    let path = [&database, &cluster, &kustomization][rng.below(3)];
                    let text = current(&buffers, path) + "kind: [\n";
                    buffers.insert(path.clone(), text.into_bytes());
                    format!("the YAML of {path} broken in a buffer")
                }
                5 => {
                    let line = format!("  - {}\n", app.db_file());
                    let text = std::fs::read_to_string(root.join(&kustomization)).unwrap();
                    let text = if text.contains(&line) {
                        text.replacen(&line, "", 1)
                    } else {
                        text + &line
                    };
                    std::fs::write(root.join(&kustomization), text).unwrap();
                    cache.changed_on_disk(&kustomization);
                    format!("{} listed or unlisted on disk", app.db_file())
                }
                6 => {
                    let mut open: Vec<String> = buffers.keys().cloned().collect();
                    open.sort();
                    if open.is_empty() {
                        continue;
                    }
                    let closed = open.swap_remove(rng.below(open.len()));
                    buffers.remove(&closed);
                    format!("the buffer of {closed} closed")
                }
                _ => {
                    let path = format!("{pg}/extra-{step}-db.yaml");
                    let text = std::fs::read_to_string(root.join(&database))
                        .unwrap()
                        .replace(&app.name, &format!("extra-{step}"));
                    if rng.below(2) == 0 {
                        buffers.insert(path.clone(), text.into_bytes());
                    } else {
                        std::fs::write(root.join(&path), text).unwrap();
                        cache.walk_again();
                    }
                    format!("{path} added")
                }
            };
            edits[kind] += 1;
            let seen = same_as_a_full_load(&mut cache, &buffers, &format!("step {step}: {edit}"));
            for rule in [
                "OwnerRoleMissing",
                "YamlSyntax",
                "SyncWave",
                "KustomizeUnlisted",
            ] {
                if seen.contains(rule) {
                    found.insert(rule);
                }
            }
        }
        assert!(
            edits.iter().all(|&n| n > 0),
            "every kind of edit: {edits:?}"
        );
        // The edits made findings come and go (else the comparison would prove little).
        assert_eq!(found.len(), 4, "{found:?}");
    }

    #[test]
    fn a_cached_load_is_the_full_load_after_every_kind_of_change() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant"),
            &root,
        );
        let config = Config::default();
        let mut cache = ProjectCache::new(root.clone(), config.clone());
        let check = |cache: &mut ProjectCache, buffers: &HashMap<String, Vec<u8>>| {
            same_as_a_full_load(cache, buffers, "")
        };
        let none = HashMap::default();
        let clean = check(&mut cache, &none);
        assert!(!clean.contains("OwnerRoleMissing"), "{clean}");

        // An unsaved rename of the role: the unopened Database that names it is affected.
        let cluster = "infra/databases/postgres/postgres-cluster.yaml";
        let text = std::fs::read_to_string(root.join(cluster)).unwrap();
        assert!(text.contains("name: gitea"));
        let renamed = text.replacen("name: gitea", "name: gitea_renamed", 1);
        let buffers: HashMap<String, Vec<u8>> =
            [(cluster.to_string(), renamed.clone().into_bytes())]
                .into_iter()
                .collect();
        let edited = check(&mut cache, &buffers);
        assert!(edited.contains("OwnerRoleMissing"), "{edited}");
        assert_eq!(
            check(&mut cache, &buffers),
            edited,
            "a load with nothing changed"
        );

        // The buffer closed: the disk's text again.
        assert_eq!(check(&mut cache, &none), clean);

        // Saved to disk.
        std::fs::write(root.join(cluster), &renamed).unwrap();
        cache.changed_on_disk(cluster);
        assert_eq!(check(&mut cache, &none), edited);

        // A new file, then one deleted (each a file event: the folders are walked again).
        let new = "infra/databases/postgres/extra-db.yaml";
        let database = std::fs::read_to_string(root.join("infra/databases/postgres/gitea-db.yaml"))
            .unwrap()
            .replace("gitea", "extra");
        std::fs::write(root.join(new), database).unwrap();
        cache.walk_again();
        let added = check(&mut cache, &none);
        assert!(added.contains("extra-db.yaml"), "{added}");
        std::fs::remove_file(root.join(new)).unwrap();
        cache.walk_again();
        assert_eq!(check(&mut cache, &none), edited);

        // A new file only in a buffer.
        let buffers: HashMap<String, Vec<u8>> = [(new.to_string(), b"kind: [".to_vec())]
            .into_iter()
            .collect();
        check(&mut cache, &buffers);
    }

    #[test]
    fn unchanged_files_share_their_text_between_loads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.path().join("b.yaml"), "b: 1\n").unwrap();
        let mut cache = ProjectCache::new(dir.path().to_path_buf(), Config::default());
        let first = cache.load(&HashMap::default()).unwrap();
        let buffers = [("b.yaml".to_string(), b"b: 2\n".to_vec())]
            .into_iter()
            .collect();
        let second = cache.load(&buffers).unwrap();
        let text = |project: &Project, path: &str| {
            std::sync::Arc::clone(&project.sources.get(project.file_id(path).unwrap()).text)
        };
        assert!(std::sync::Arc::ptr_eq(
            &text(&first, "a.yaml"),
            &text(&second, "a.yaml")
        ));
        assert_eq!(text(&second, "b.yaml").as_str(), "b: 2\n");
    }
}
