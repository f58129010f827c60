//! A repository kept loaded between checks, for a caller that checks again and again (an
//! editor's server): each file's parse and model are kept and reused while the file is
//! unchanged, and the folders are walked again only when files may have been added or removed.
//!
//! A project is still assembled whole on every load, but only the files that changed are
//! read, parsed and modelled again, and the kept objects are shared with the project, not
//! copied: as read, and as the last load's kustomizations left them (reused while the
//! repository's kustomizations are the same). The result is the project
//! [`Project::load_with`] would load from the same disk and buffers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::{Batch, Content, Input, Project, read_certificate, read_remotes};
use crate::config::Config;
use crate::discover::{Discovered, YamlFile, discover, is_yaml};
use crate::hash::{HashMap, HashSet};
use crate::model::KustomizeGraph;
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
    /// The kustomize graph of the last load, under which the kept files' objects were
    /// applied ([`Batch::applied`]).
    applied_under: Option<Arc<KustomizeGraph>>,
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
            applied_under: None,
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
        let Some(last_walk) = &self.walked else {
            unreachable!("walked just above")
        };
        // The project's copy of the walk; its files are read from the cache's.
        let mut walked = Discovered {
            yaml_files: Vec::new(),
            paths: last_walk.paths.clone(),
            skipped: last_walk.skipped.clone(),
        };
        // The walk's files, then buffers the walk did not find (new files), by path.
        let mut new_files: Vec<&String> = buffers
            .keys()
            .filter(|path| !walked.paths.contains(path.as_str()))
            .collect();
        new_files.sort_unstable();
        let mut added = Vec::with_capacity(new_files.len());
        for path in new_files {
            added.push(YamlFile {
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
        let inputs = last_walk.yaml_files.iter().chain(&added);
        let count = last_walk.yaml_files.len() + added.len();
        self.files.truncate(count);
        self.files.resize_with(count, || None);
        let stale: Vec<(usize, Input)> = (inputs.enumerate())
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
                        path: file.path.clone(),
                        content: Content::Memory(Ok(bytes.clone())),
                    },
                    None => Input::from(file.clone()),
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
            self.applied_under.as_ref(),
        );
        project.read_generator_inputs(|path| {
            (buffers.get(path).cloned())
                .or_else(|| Project::input_on_disk(&self.root, path, &self.config))
        });
        project.repository_urls = read_remotes(&self.root);
        self.keep_applied(&project);
        Ok(project)
    }

    /// Keeps each kept file's objects as `project` applied them, for the next load.
    fn keep_applied(&mut self, project: &Project) {
        let mut runs = (project.objects.chunk_by(|a, b| a.file == b.file)).peekable();
        for (at, slot) in self.files.iter_mut().enumerate() {
            let Some(cached) = slot else { continue };
            while runs.next_if(|run| (run[0].file.0 as usize) < at).is_some() {}
            let run = runs.next_if(|run| run[0].file.0 as usize == at);
            cached.load.applied = Some(run.map(<[_]>::to_vec).unwrap_or_default());
        }
        // Repository CRDs revalidated objects: what they made is not reused (the CRDs may be
        // gone by the next load).
        self.applied_under =
            (project.schemas.repository.is_empty()).then(|| Arc::clone(&project.kustomize));
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
            applied: self.applied.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::engine::{self, Options};
    use crate::project::test_fs as fs;
    use crate::project::test_synth as synth;

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

    /// A generated repository of `apps` apps (in a temporary folder, kept while the first is),
    /// its root, apps and an empty cache of it.
    fn generated(
        apps: usize,
    ) -> (
        tempfile::TempDir,
        std::path::PathBuf,
        Vec<synth::App>,
        ProjectCache,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let apps = synth::app_names(apps, 7);
        synth::write_sop_repo(&root, apps.len(), 7).unwrap();
        let cache = ProjectCache::new(root.clone(), Config::default());
        (dir, root, apps, cache)
    }

    /// The server's incremental path (the cache, told of disk changes as the server tells
    /// it) against a from-scratch load and check, after every one of many random edits of a
    /// generated repository: owners and roles renamed, secrets deleted and restored, waves
    /// changed, YAML broken, kustomizations edited (resources listed, namespaces and common
    /// labels changed: the kept objects as kustomizations left them are reused only while the
    /// kustomizations are the same), buffers closed, files added.
    #[test]
    fn random_edits_check_as_a_fresh_load_after_every_edit() {
        let (_dir, root, apps, mut cache) = generated(6);
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
        let mut edits = [0usize; 9];
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
                7 => {
                    let path = format!("apps/{}/kustomization.yaml", app.name);
                    let namespace = format!("namespace: {}\n", app.name);
                    let moved =
                        format!("namespace: {}-moved\ncommonLabels:\n  team: x\n", app.name);
                    let text = current(&buffers, &path);
                    let text = if text.contains(&namespace) {
                        text.replacen(&namespace, &moved, 1)
                    } else {
                        text.replacen(&moved, &namespace, 1)
                    };
                    buffers.insert(path.clone(), text.into_bytes());
                    format!("the namespace and labels of {path} changed in a buffer")
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

    /// A keystroke copies no kept object: an unchanged file's objects are the last load's,
    /// as its kustomization left them, and the kustomize graph is the last load's, until a
    /// kustomization changes.
    #[test]
    fn unchanged_files_share_their_objects_with_the_last_load() {
        let (_dir, root, apps, mut cache) = generated(3);
        let deployment = format!("apps/{}/deployment.yaml", apps[0].name);
        let database = format!("infra/databases/postgres/{}", apps[1].db_file());
        let object_of = |project: &Project, path: &str| {
            let file = project.file_id(path).unwrap();
            let at = project.objects.iter().position(|o| o.file == file).unwrap();
            Arc::clone(&project.objects[at])
        };
        let first = cache.load(&HashMap::default()).unwrap();
        let (kept, edited) = (object_of(&first, &deployment), object_of(&first, &database));
        assert_eq!(
            kept.namespace_override.as_ref().map(|ns| ns.value.as_str()),
            Some(apps[0].name.as_str()),
            "the app's kustomization sets the namespace"
        );

        let text = std::fs::read_to_string(root.join(&database)).unwrap();
        let buffers: HashMap<String, Vec<u8>> = [(
            database.clone(),
            text.replacen("owner: ", "owner: x", 1).into_bytes(),
        )]
        .into_iter()
        .collect();
        let second = cache.load(&buffers).unwrap();
        assert!(Arc::ptr_eq(&kept, &object_of(&second, &deployment)));
        assert!(!Arc::ptr_eq(&edited, &object_of(&second, &database)));
        assert!(Arc::ptr_eq(&first.kustomize, &second.kustomize));

        // The kustomization changed: applied again.
        let kustomization = format!("apps/{}/kustomization.yaml", apps[0].name);
        let text = std::fs::read_to_string(root.join(&kustomization)).unwrap();
        let mut buffers = buffers;
        buffers.insert(
            kustomization,
            text.replace("namespace: ", "namespace: moved-")
                .into_bytes(),
        );
        let third = cache.load(&buffers).unwrap();
        let moved = object_of(&third, &deployment);
        assert!(!Arc::ptr_eq(&kept, &moved));
        assert!(!Arc::ptr_eq(&second.kustomize, &third.kustomize));
        assert_eq!(
            moved.namespace_override.as_ref().map(|ns| ns.value.clone()),
            Some(format!("moved-{}", apps[0].name))
        );
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
