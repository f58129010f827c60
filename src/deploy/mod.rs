//! Stage 4: what is applied. Deployments (Argo CD Applications, Flux Kustomizations, kustomize
//! roots, plain folders) and the instances they render, each value carrying the location of
//! the node that produced it: an instance's `namespace` set by a kustomization is located at
//! that kustomization's `namespace:` line, a patched owner at the patch line, a namespace that
//! only an Application's destination gives at its `destination.namespace` line.

pub mod argo_glob;
pub mod flux_ignore;
pub mod generate;
pub mod go_path_match;
pub mod kustomize;
pub mod patch;
pub mod remotes;
pub mod value;

use rayon::prelude::*;

use crate::hash::{HashMap, HashSet};
use crate::model::{
    AppSetGenerator, AppSource, Application, ApplicationSet, FluxKustomization, PathRole, SourceId,
    Spec, join,
};
use crate::project::Project;
use crate::source::{Loc, Span, Spanned, parent_dir};
pub use kustomize::{
    BuildError, Kustomize, LoadRestrictor, Refusal, Rendered, ReplacedList, Resource, Unknown,
};

/// What pglint assumed to find a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assumption {
    /// Its source's `repoURL` names no git remote of this checkout, but its path exists here:
    /// it is taken to be this repository.
    ThisRepository {
        /// The `repoURL` as written.
        repo_url: String,
    },
}

/// A child Application file in the folder of an app of apps whose directory filter leaves it
/// out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unselected {
    pub application: SourceId,
    /// The first parent whose folder holds the file (`Application root`), and its source's
    /// `path` node.
    pub parent: String,
    pub parent_origin: Loc,
}

/// Something that applies objects to a cluster.
#[derive(Debug)]
pub struct Deployment<'p> {
    pub kind: DeploymentKind,
    /// `Application argocd/postgres`, `Kustomization flux-system/apps`, or the root folder.
    pub name: String,
    /// The node that declares it: an Application's `path`, a Flux Kustomization's
    /// `spec.path`, a kustomization file.
    pub origin: Loc,
    /// The object that declares it (an Application or Flux Kustomization).
    pub declared_by: Option<SourceId>,
    /// The folder it applies, repository-relative ("" at the root).
    pub root: String,
    /// The namespace its objects get when they set none.
    pub default_namespace: Option<Spanned<String>>,
    /// The namespace it gives every namespaced object (`targetNamespace`,
    /// `kustomize.namespace`).
    pub forced_namespace: Option<Spanned<String>>,
    /// The Flux Kustomizations it waits for (`dependsOn`).
    pub depends_on: Vec<Spanned<String>>,
    /// Which files its kustomize build may read: Flux reads any file of its source; Argo CD
    /// (and, where no deployer is known, kustomize itself) only the kustomization's folder.
    pub restrictor: LoadRestrictor,
    /// What pglint assumed to find this deployment (a source taken to be this repository
    /// because its path exists here): `check` says so in a notice, one per cause.
    pub assumption: Option<Assumption>,
    /// It runs `kustomize build` (a kustomization, or Flux's generated one), so what it applies
    /// is re-serialised by kustomize's YAML 1.2 reader; a plain folder is read as YAML 1.1.
    pub kustomize_built: bool,
    /// What it renders, or why kustomize (or the deployer) would refuse to build it.
    pub rendered: Result<Rendered<'p>, BuildError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentKind {
    /// An Argo CD `Application` source.
    Application,
    /// A Flux `Kustomization`.
    Flux,
    /// A kustomization no other kustomization and no deployer includes (used when the
    /// repository declares no Application and no Flux Kustomization).
    KustomizeRoot,
    /// A folder of manifests that no kustomization applies (idem).
    Folder,
}

impl DeploymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::Application => "argocd-application",
            DeploymentKind::Flux => "flux-kustomization",
            DeploymentKind::KustomizeRoot => "kustomization",
            DeploymentKind::Folder => "folder",
        }
    }

    /// Does this deployer order objects by Argo CD sync waves?
    pub fn has_sync_waves(self) -> bool {
        !matches!(self, DeploymentKind::Flux)
    }
}

/// Index of a deployment in [`Deploy::deployments`].
pub type DeploymentId = usize;

/// Every deployment of a repository, and for each source object where it is applied.
#[derive(Debug)]
pub struct Deploy<'p> {
    pub deployments: Vec<Deployment<'p>>,
    /// The repository declares Argo CD Applications or Flux Kustomizations: what none of
    /// them applies is not applied.
    pub declared: bool,
    /// Deployers whose deployments cannot be known (an ApplicationSet generator pglint does
    /// not model, a source that may or may not be this repository): whether an object is
    /// applied at all is then unknown.
    pub unknown_deployers: Vec<Unknown>,
    /// Child Applications an app of apps' folder holds but its `directory.include`/`exclude`
    /// leave out: Argo CD never creates them, so they deploy nothing.
    pub unselected: Vec<Unselected>,
    /// One of them is Argo CD's: sync waves may order what it applies.
    unknown_argo: bool,
    /// Source object → (deployment, index of its resource in that deployment's rendering).
    instances: HashMap<SourceId, Vec<(DeploymentId, usize)>>,
}

impl<'p> Deploy<'p> {
    /// Finds the deployments and renders each (in parallel). Argo CD sources name this
    /// repository by one of its git remotes or `[deploy] repo-urls`.
    pub fn build(project: &'p Project, config: &crate::config::Config) -> Deploy<'p> {
        let kustomize = Kustomize::new(project);
        let mut remotes = remotes::Remotes::new(
            project
                .repository_urls
                .iter()
                .chain(&config.deploy.repo_urls)
                .map(String::as_str),
        );
        remotes.identify(project.objects.iter().flat_map(source_urls));
        let argo_restrictor = argo_restrictor(project);
        let mut planned: Vec<Plan<'p>> = Vec::new();
        let mut unknown_deployers: Vec<(Unknown, DeploymentKind)> = Vec::new();
        for (id, object) in project.sources() {
            match &object.spec {
                Spec::Application(app) => {
                    let plans = app_plans(project, id, app, &remotes, &mut unknown_deployers);
                    planned.extend(plans.into_iter().map(|p| p.restricted(argo_restrictor)));
                }
                Spec::ApplicationSet(set) => {
                    let plans = appset_plans(project, id, set, &remotes, &mut unknown_deployers);
                    planned.extend(plans.into_iter().map(|p| p.restricted(argo_restrictor)));
                }
                Spec::FluxKustomization(flux) => {
                    planned.extend(flux_plan(project, id, flux, &mut unknown_deployers));
                }
                _ => {}
            }
        }
        // An app of apps applies the child Application files its folder's `directory.include`
        // and `exclude` select: a child Application that a parent's folder holds and no parent
        // selects is never created, so it deploys nothing.
        let unselected = unselected_children(project, &kustomize, &planned);
        planned.retain(|plan| {
            plan.declared_by
                .is_none_or(|id| !unselected.iter().any(|u| u.application == id))
        });
        // Where no deployment is known (no deployer, or none whose source is known to be this
        // repository), every root kustomization and loose folder is built and judged.
        let declared = !planned.is_empty();
        if !declared {
            planned = fallback_plans(project, &kustomize);
        }
        let deployments: Vec<Deployment<'p>> = planned
            .into_par_iter()
            .map(|plan| plan.render(project, &kustomize))
            .collect();
        let mut instances: HashMap<SourceId, Vec<(DeploymentId, usize)>> = HashMap::default();
        for (d, deployment) in deployments.iter().enumerate() {
            let Ok(rendered) = &deployment.rendered else {
                continue;
            };
            for (r, resource) in rendered.resources.iter().enumerate() {
                if let Some(source) = resource.source {
                    instances.entry(source).or_default().push((d, r));
                }
            }
        }
        Deploy {
            deployments,
            declared,
            unselected,
            unknown_argo: unknown_deployers
                .iter()
                .any(|(_, kind)| kind.has_sync_waves()),
            unknown_deployers: unknown_deployers.into_iter().map(|(u, _)| u).collect(),
            instances,
        }
    }

    /// Where a source object is applied: each deployment's id and the object as rendered there.
    pub fn placements(
        &self,
        object: SourceId,
    ) -> impl Iterator<Item = (DeploymentId, &Resource<'p>)> + '_ {
        self.instances
            .get(&object)
            .into_iter()
            .flatten()
            .filter_map(|&(d, r)| {
                let resource = self.deployments[d]
                    .rendered
                    .as_ref()
                    .ok()?
                    .resources
                    .get(r)?;
                Some((d, resource))
            })
    }

    /// Where a source object is applied: each deployment and the object as rendered there.
    pub fn instances_of(
        &self,
        object: SourceId,
    ) -> impl Iterator<Item = (&Deployment<'p>, &Resource<'p>)> + '_ {
        self.instances
            .get(&object)
            .into_iter()
            .flatten()
            .filter_map(|&(d, r)| {
                let deployment = &self.deployments[d];
                let resource = deployment.rendered.as_ref().ok()?.resources.get(r)?;
                Some((deployment, resource))
            })
    }

    /// Is the object applied by some deployment? `None` when that cannot be known (a
    /// deployment failed to render, or is only partly known).
    pub fn is_applied(&self, object: SourceId) -> Option<bool> {
        // Deployers exist but none is known to apply this repository: the roots built in
        // their stead are judged, not known to be applied.
        if !self.declared && !self.unknown_deployers.is_empty() {
            return None;
        }
        if self.instances.contains_key(&object) {
            return Some(true);
        }
        let complete = self.unknown_deployers.is_empty()
            && self
                .deployments
                .iter()
                .all(|d| d.rendered.as_ref().is_ok_and(|r| r.unknown.is_empty()));
        complete.then_some(false)
    }

    /// Is this object applied, and only through `kustomize build`? What the API server gets is
    /// then kustomize's YAML 1.2 reading, not Kubernetes' YAML 1.1 one.
    pub fn only_built_by_kustomize(&self, object: SourceId) -> bool {
        let mut placements = self.placements(object).peekable();
        placements.peek().is_some() && placements.all(|(d, _)| self.deployments[d].kustomize_built)
    }

    /// Does some deployment apply this object through `kustomize build` (YAML 1.2)?
    pub fn built_by_kustomize(&self, object: SourceId) -> bool {
        self.placements(object)
            .any(|(d, _)| self.deployments[d].kustomize_built)
    }

    /// Do Argo CD sync waves order this object? Not when only Flux applies it (Flux has no
    /// waves: `dependsOn` orders).
    pub fn has_sync_waves(&self, object: SourceId) -> bool {
        if !self.declared {
            return true;
        }
        match self.instances.get(&object) {
            Some(list) => list
                .iter()
                .any(|&(d, _)| self.deployments[d].kind.has_sync_waves()),
            None => self.uses_sync_waves(),
        }
    }

    /// Do sync waves order what this deployment applies (`None`: an object no deployment
    /// applies, judged by the repository)?
    pub fn orders_by_waves(&self, deployment: Option<DeploymentId>) -> bool {
        match deployment {
            Some(d) => self.deployments[d].kind.has_sync_waves(),
            None => self.uses_sync_waves(),
        }
    }

    /// Can sync waves order an object of deployment `a` against one of deployment `b`? Only
    /// when one Argo CD sync applies both: one Application (whatever its sources). Since Argo
    /// CD 1.8 a parent Application's waves only order the creation of its child Applications,
    /// unless `application_health` (the Application health check restored in `argocd-cm`)
    /// makes a parent wait for each child to be healthy. Where the repository declares no
    /// deployer, nothing says they are apart; where it does, an object no deployment applies
    /// is synced with nothing.
    pub fn synced_together(
        &self,
        a: Option<DeploymentId>,
        b: Option<DeploymentId>,
        application_health: bool,
    ) -> bool {
        if !self.declared {
            return true;
        }
        let (Some(a), Some(b)) = (a, b) else {
            return false;
        };
        let (a, b) = (&self.deployments[a], &self.deployments[b]);
        let application = |d: &Deployment<'_>| {
            (d.kind == DeploymentKind::Application)
                .then_some(d.declared_by)
                .flatten()
        };
        match (application(a), application(b)) {
            (Some(x), Some(y)) => x == y || application_health,
            _ => false,
        }
    }

    /// Could a partly known deployment (a Helm chart, a remote base, a HelmRelease) make
    /// objects in `namespace` that pglint cannot see? Rules that need the whole picture (a
    /// missing Cluster, Secret or role) stay quiet then.
    pub fn may_hide_objects(&self, namespace: Option<&str>) -> bool {
        self.deployments.iter().any(|d| {
            let partial = d.rendered.as_ref().is_ok_and(|r| !r.unknown.is_empty());
            let deployed_to = d.forced_namespace.as_ref().or(d.default_namespace.as_ref());
            partial && deployed_to.is_none_or(|ns| namespace.is_none_or(|n| n == ns.value))
        })
    }

    /// Does any deployment order objects by sync waves (Argo CD, or plain kustomizations and
    /// folders, which Argo CD may apply)? False for a Flux-only repository.
    pub fn uses_sync_waves(&self) -> bool {
        !self.declared
            || self.unknown_argo
            || self.deployments.iter().any(|d| d.kind.has_sync_waves())
    }
}

/// A deployment found, not rendered yet.
struct Plan<'p> {
    kind: DeploymentKind,
    name: String,
    origin: Loc,
    declared_by: Option<SourceId>,
    root: String,
    default_namespace: Option<Spanned<String>>,
    /// A namespace forced on every namespaced object (`targetNamespace`,
    /// `kustomize.namespace`).
    forced_namespace: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    suffix: Option<Spanned<String>>,
    common_annotations: &'p crate::model::StringMap,
    common_labels: &'p crate::model::StringMap,
    /// Flux `postBuild.substitute`, and whether `substituteFrom` adds values only the cluster
    /// knows.
    substitute: &'p [(String, String)],
    substitute_from: bool,
    /// The deployer's own patches (Argo CD `kustomize.patches`, Flux `spec.patches`).
    patches: &'p [crate::model::Patch],
    /// Flux `components`, resolved (`None`: outside the repository).
    components: Vec<kustomize::DeployerComponent>,
    /// Argo CD `directory.recurse`; Flux's generated kustomization always recurses.
    recurse: bool,
    /// Argo CD `directory.include`/`exclude`, over paths relative to the root.
    include: Option<&'p str>,
    exclude: Option<&'p str>,
    /// For a folder no kustomization reaches: exactly these manifest files.
    files: Option<Vec<&'p str>>,
    restrictor: LoadRestrictor,
    /// What was assumed to find it (see [`Deployment::assumption`]).
    assumption: Option<Assumption>,
    unknown: Vec<Unknown>,
    depends_on: Vec<Spanned<String>>,
}

static EMPTY_MAP: std::sync::LazyLock<crate::model::StringMap> =
    std::sync::LazyLock::new(crate::model::StringMap::default);

impl<'p> Plan<'p> {
    fn new(kind: DeploymentKind, name: String, origin: Loc, root: String) -> Plan<'p> {
        Plan {
            kind,
            name,
            origin,
            declared_by: None,
            root,
            default_namespace: None,
            forced_namespace: None,
            prefix: None,
            suffix: None,
            common_annotations: &EMPTY_MAP,
            common_labels: &EMPTY_MAP,
            substitute: &[],
            substitute_from: false,
            patches: &[],
            components: Vec::new(),
            recurse: false,
            include: None,
            exclude: None,
            files: None,
            restrictor: LoadRestrictor::RootOnly,
            assumption: None,
            unknown: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    fn restricted(mut self, restrictor: LoadRestrictor) -> Plan<'p> {
        self.restrictor = restrictor;
        self
    }

    fn render(self, project: &'p Project, kustomize: &Kustomize<'p>) -> Deployment<'p> {
        let rendered = self.rendered(project, kustomize);
        let kustomize_built =
            self.kind == DeploymentKind::Flux || project.kustomize.in_dir(&self.root).is_some();
        Deployment {
            kustomize_built,
            kind: self.kind,
            name: self.name,
            origin: self.origin,
            declared_by: self.declared_by,
            root: self.root,
            default_namespace: self.default_namespace,
            forced_namespace: self.forced_namespace,
            depends_on: self.depends_on,
            restrictor: self.restrictor,
            assumption: self.assumption,
            rendered,
        }
    }

    fn rendered(
        &self,
        project: &'p Project,
        kustomize: &Kustomize<'p>,
    ) -> Result<Rendered<'p>, BuildError> {
        let has_kustomization = project.kustomize.in_dir(&self.root).is_some();
        let mut rendered = if has_kustomization {
            kustomize.accumulate_root(&self.root, self.restrictor, &self.components)?
        } else {
            let mut rendered = Rendered::default();
            let ignore = self.flux_ignore(project);
            if let Some(ignore) = &ignore {
                kustomize.check_generated_inputs(&self.root, |path| {
                    self.includes(project, path) && !ignore.excludes(path)
                })?;
            }
            let mut files = self.selected_files(project, kustomize);
            if let Some(ignore) = &ignore {
                files.retain(|path| !ignore.excludes(path));
            }
            if self.kind == DeploymentKind::Application {
                files = kustomize.argo_directory_files(files)?;
            }
            kustomize.add_files(files, &mut rendered)?;
            // Flux's generated kustomization lists each sub-folder holding a kustomization (and
            // does not look inside it), built as a resource (fluxcd/pkg
            // `kustomize/kustomize_generator.go`, `generateKustomization`: `fs.Walk`, a folder
            // with a kustomization file is appended and `filepath.SkipDir`).
            if self.kind == DeploymentKind::Flux {
                for dir in self.nested_kustomizations(project) {
                    kustomize.add_resource_dir(dir, self.origin, self.restrictor, &mut rendered)?;
                }
            }
            rendered
        };
        rendered.unknown.extend(self.unknown.iter().cloned());
        // A Flux HelmRelease applied here renders a chart pglint cannot see.
        let releases: Vec<Unknown> = rendered
            .resources
            .iter()
            .filter(|r| {
                r.object.kind_str() == "HelmRelease"
                    && r.object
                        .api_version
                        .as_ref()
                        .is_some_and(|v| v.as_str().starts_with("helm.toolkit.fluxcd.io/"))
            })
            .map(|r| Unknown {
                loc: r.object.anchor(),
                reason: format!(
                    "HelmRelease `{}`: its chart's objects are not known",
                    r.object.name().unwrap_or("<unnamed>")
                ),
            })
            .collect();
        rendered.unknown.extend(releases);
        // A folder without a kustomization: Flux's generated one lists the files, then the
        // components (with one, they were added to it above).
        for (written, path) in self.components.iter().filter(|_| !has_kustomization) {
            match path {
                Some(path) => {
                    kustomize.add_component(path, written.loc, self.restrictor, &mut rendered)?
                }
                None => rendered.unknown.push(Unknown::component_outside(written)),
            }
        }
        // As in the top kustomization the deployer writes around the folder's: patches
        // first, then namespace, prefix and suffix, labels and annotations.
        for patch in self.patches {
            kustomize.apply_patch(patch, &mut rendered)?;
        }
        for resource in &mut rendered.resources {
            if let Some(namespace) = &self.forced_namespace {
                resource.set_namespace(namespace);
            }
            if let Some(prefix) = &self.prefix {
                resource.add_affix(prefix, true);
            }
            if let Some(suffix) = &self.suffix {
                resource.add_affix(suffix, false);
            }
            for entry in &self.common_labels.entries {
                resource.set_meta_entry("labels", entry);
            }
            for entry in &self.common_annotations.entries {
                resource.set_meta_entry("annotations", entry);
            }
            // The deployer applies objects that set no namespace in its default one.
            if let Some(namespace) = &self.default_namespace
                && resource.object.meta.namespace.is_none()
                && !resource.is_cluster_scoped()
            {
                resource.object.to_mut().meta.namespace = Some(namespace.clone());
            }
        }
        if !self.substitute.is_empty() || self.substitute_from {
            for resource in &mut rendered.resources {
                kustomize.substitute(resource, self.substitute, self.substitute_from)?;
            }
        }
        if has_kustomization || self.kind == DeploymentKind::Flux {
            let fifo = project
                .kustomize
                .in_dir(&self.root)
                .is_some_and(|k| k.build.fifo_order);
            kustomize::finish(&mut rendered, fifo);
        }
        Ok(rendered)
    }

    /// The manifest files a folder deployment (no kustomization at its root) applies, through
    /// Argo CD's `directory.include`/`exclude` ([`argo_glob`]: gobwas globs without
    /// separators, over the path relative to the source folder). An empty pattern is no filter
    /// (`include != ""`); one that does not compile matches nothing (`Match` returns false).
    fn selected_files(&self, project: &'p Project, kustomize: &Kustomize<'p>) -> Vec<&'p str> {
        let glob = |pattern: Option<&str>| {
            pattern
                .filter(|p| !p.is_empty())
                .map(argo_glob::ArgoGlob::new)
        };
        // `None`: no filter; `Some(None)`: a pattern that matches nothing.
        let (include, exclude) = (glob(self.include), glob(self.exclude));
        let matches = |glob: &Option<argo_glob::ArgoGlob>, path: &str| {
            glob.as_ref().is_some_and(|g| g.is_match(path))
        };
        let relative = |path: &'p str| {
            path.strip_prefix(self.root.as_str())
                .map_or(path, |rest| rest.trim_start_matches('/'))
        };
        let mut files: Vec<&str> = match &self.files {
            Some(files) => files.clone(),
            // Argo CD reads every YAML file, also those holding no object
            // ([`Kustomize::argo_directory_files`] decides what it makes of them).
            None => kustomize
                .manifest_paths()
                .chain(
                    kustomize
                        .partly_object_paths()
                        .filter(|_| self.kind == DeploymentKind::Application),
                )
                .filter(|path| self.includes(project, path))
                .filter(|path| include.as_ref().is_none_or(|g| matches(g, relative(path))))
                .filter(|path| !exclude.as_ref().is_some_and(|g| matches(g, relative(path))))
                .collect(),
        };
        files.sort_unstable();
        files.dedup();
        files
    }

    /// What source-controller leaves out of a Flux deployment's artifact: its defaults, or
    /// the repository's `.sourceignore` files and the `flux-system` GitRepository's
    /// `spec.ignore`; `None` for other deployments and when a `.sourceignore` file cannot be
    /// read.
    fn flux_ignore(&self, project: &Project) -> Option<flux_ignore::FluxIgnore> {
        if self.kind != DeploymentKind::Flux {
            return None;
        }
        let mut files: Vec<(&str, String)> = Vec::new();
        for path in sourceignore_files(project) {
            let text = String::from_utf8(project.read_input(path)?).ok()?;
            files.push((parent_dir(path), text));
        }
        let files: Vec<(&str, &str)> = files.iter().map(|(d, t)| (*d, t.as_str())).collect();
        let spec = flux_spec_ignore(project).map(|(_, text)| text);
        Some(flux_ignore::FluxIgnore::new(&files, spec.as_deref()))
    }

    /// The folders below a Flux folder deployment's root that hold a kustomization with none
    /// between them and the root.
    fn nested_kustomizations(&self, project: &'p Project) -> Vec<&'p str> {
        let prefix = format!("{}/", self.root);
        let mut dirs: Vec<&str> = project
            .kustomize
            .kustomizations
            .iter()
            .map(|k| k.dir.as_str())
            .filter(|dir| (self.root.is_empty() && !dir.is_empty()) || dir.starts_with(&prefix))
            .filter(|dir| {
                !crate::source::ancestors(dir)
                    .take_while(|d| *d != self.root)
                    .any(|d| project.kustomize.in_dir(d).is_some())
            })
            .collect();
        dirs.sort_unstable();
        dirs
    }

    /// Does a folder deployment (no kustomization at its root) apply this manifest file?
    fn includes(&self, project: &Project, path: &str) -> bool {
        let dir = parent_dir(path);
        if dir == self.root {
            return true;
        }
        if !self.recurse {
            return false;
        }
        let inside = self.root.is_empty() || dir.starts_with(&format!("{}/", self.root));
        if !inside {
            return false;
        }
        if self.kind != DeploymentKind::Flux {
            return true;
        }
        // Flux's generated kustomization takes a sub-folder's own kustomization as a whole:
        // files below a folder holding one are that kustomization's to list.
        !crate::source::ancestors(path)
            .take_while(|d| *d != self.root)
            .any(|d| project.kustomize.in_dir(d).is_some())
    }
}

/// The `.sourceignore` files of the repository (fluxcd/pkg `sourceignore/sourceignore.go`
/// `LoadIgnorePatterns` reads one in every folder, scoped to it).
pub fn sourceignore_files(project: &Project) -> Vec<&str> {
    let mut files: Vec<&str> = project
        .paths
        .iter()
        .map(String::as_str)
        .filter(|p| *p == ".sourceignore" || p.ends_with("/.sourceignore"))
        .collect();
    files.sort_unstable();
    files
}

/// The `flux-system` GitRepository's `spec.ignore` (source-controller
/// `gitrepository_controller.go` adds it after the `.sourceignore` patterns), where it is
/// written and its text.
pub fn flux_spec_ignore(project: &Project) -> Option<(Loc, String)> {
    project
        .objects
        .iter()
        .filter(|o| o.kind_str() == "GitRepository" && o.name() == Some("flux-system"))
        .find_map(|object| {
            let text = project.text(object.file);
            let parsed = crate::yaml::parse(text.as_str(), &crate::yaml::Limits::default());
            let ignore = parsed
                .documents
                .get(object.document)?
                .root()?
                .path(&["spec", "ignore"])?;
            let loc = Loc {
                file: object.file,
                span: ignore.span(),
            };
            Some((loc, ignore.as_str().unwrap_or_default().to_string()))
        })
}

/// The Application objects whose files another Argo CD directory source holds in its folder
/// but that no Argo CD directory source selects (an `include`/`exclude` leaves them out).
fn unselected_children(
    project: &Project,
    kustomize: &Kustomize<'_>,
    planned: &[Plan<'_>],
) -> Vec<Unselected> {
    let directories: Vec<&Plan<'_>> = planned
        .iter()
        .filter(|p| {
            p.kind == DeploymentKind::Application
                && p.files.is_none()
                && project.kustomize.in_dir(&p.root).is_none()
        })
        .collect();
    let filtered = |p: &Plan<'_>| p.include.is_some() || p.exclude.is_some();
    if !directories.iter().any(|p| filtered(p)) {
        return Vec::new();
    }
    let selected: crate::hash::HashSet<&str> = directories
        .iter()
        .flat_map(|p| p.selected_files(project, kustomize))
        .collect();
    project
        .sources()
        .filter(|(_, object)| matches!(object.spec, Spec::Application(_)))
        .filter_map(|(id, object)| {
            // The root Application is applied by hand, whatever its own folder selects.
            let path = project.path(object.file);
            if selected.contains(path) {
                return None;
            }
            let parent = directories
                .iter()
                .filter(|p| p.declared_by != Some(id) && p.includes(project, path))
                .find(|p| filtered(p))?;
            Some(Unselected {
                application: id,
                parent: parent.name.clone(),
                parent_origin: parent.origin,
            })
        })
        .collect()
}

/// One plan per Argo CD source that applies a folder of this repository.
fn app_plans<'p>(
    project: &'p Project,
    id: SourceId,
    app: &'p Application,
    remotes: &remotes::Remotes,
    unknown: &mut Vec<(Unknown, DeploymentKind)>,
) -> Vec<Plan<'p>> {
    let object = project.object(id);
    let name = format!("Application {}", object.name().unwrap_or("<unnamed>"));
    source_plans(project, id, name, app, app, remotes, unknown)
}

/// One plan per source of `app` that applies a folder of this repository. `maps` is where its
/// common labels and annotations are read (the Application itself, or the ApplicationSet
/// template it was filled from).
fn source_plans<'p>(
    project: &'p Project,
    id: SourceId,
    name: String,
    app: &Application,
    maps: &'p Application,
    remotes: &remotes::Remotes,
    unknown: &mut Vec<(Unknown, DeploymentKind)>,
) -> Vec<Plan<'p>> {
    let mut plans = Vec::new();
    for (source, maps) in app.sources.iter().zip(&maps.sources) {
        if source.is_ref_only {
            continue;
        }
        let mut assumption = None;
        match remotes.is_this_repository(source.repo_url.as_ref()) {
            Some(true) => {}
            // No source names a remote of this checkout (a fork, a mirror, a fresh `git
            // init`): one whose folder exists here is taken to be this repository.
            _ if !remotes.identified
                && source.repo_url.is_some()
                && source_root(project, source).is_some() =>
            {
                let url = source.repo_url.as_ref().map_or("", |u| u.as_str());
                assumption = Some(Assumption::ThisRepository {
                    repo_url: url.to_string(),
                });
            }
            Some(false) => continue,
            None => {
                if let Some(url) = &source.repo_url {
                    unknown.push((
                        Unknown {
                            loc: url.loc,
                            reason: format!(
                                "{name}: whether `{}` is this repository cannot be known (no git remote); list it in `[deploy] repo-urls`",
                                url.value
                            ),
                        },
                        DeploymentKind::Application,
                    ));
                }
                continue;
            }
        }
        let Some(root) = source_root(project, source) else {
            continue;
        };
        let origin = source.path.as_ref().map_or(source.loc, |p| p.loc);
        let mut plan = Plan::new(DeploymentKind::Application, name.clone(), origin, root);
        plan.declared_by = Some(id);
        plan.assumption = assumption;
        plan.default_namespace = app.destination_namespace.clone();
        plan.forced_namespace = source.kustomize_namespace.clone();
        plan.prefix = source.name_prefix.clone();
        plan.suffix = source.name_suffix.clone();
        plan.common_annotations = &maps.common_annotations;
        plan.common_labels = &maps.common_labels;
        plan.recurse = source.recurse;
        plan.include = maps.include.as_deref();
        plan.exclude = maps.exclude.as_deref();
        if source.helm {
            plan.unknown.push(Unknown {
                loc: source.loc,
                reason: "Helm chart: its output is not known".into(),
            });
        }
        plan.patches = &maps.patches;
        plan.components = source
            .components
            .iter()
            .map(|c| (c.clone(), join(&plan.root, c.as_str())))
            .collect();
        plans.push(plan);
    }
    plans
}

/// The Applications an ApplicationSet makes: its template filled with each element of its
/// list and git-directory generators; other generators are reported as unknown.
fn appset_plans<'p>(
    project: &'p Project,
    id: SourceId,
    set: &'p ApplicationSet,
    remotes: &remotes::Remotes,
    unknown: &mut Vec<(Unknown, DeploymentKind)>,
) -> Vec<Plan<'p>> {
    let mut plans = Vec::new();
    let object = project.object(id);
    for generator in &set.generators {
        let params: Vec<Vec<(String, String)>> = match generator {
            AppSetGenerator::List(elements) => elements.clone(),
            AppSetGenerator::GitDirectories {
                repo_url,
                include,
                exclude,
            } => {
                match remotes.is_this_repository(repo_url.as_ref()) {
                    Some(true) => {}
                    // As for a source: the folders it generates are looked for here (each
                    // Application made then says what was assumed).
                    _ if !remotes.identified && repo_url.is_some() => {}
                    Some(false) => continue,
                    None => {
                        unknown.push((
                            Unknown {
                                loc: repo_url.as_ref().map_or(object.anchor(), |u| u.loc),
                                reason: format!(
                                    "ApplicationSet `{}`: whether its git generator's repository is this one cannot be known (no git remote); list it in `[deploy] repo-urls`",
                                    object.name().unwrap_or("<unnamed>")
                                ),
                            },
                            DeploymentKind::Application,
                        ));
                        continue;
                    }
                }
                directories(project, include, exclude)
                    .into_iter()
                    .map(|dir| directory_params(&dir))
                    .collect()
            }
            AppSetGenerator::Unknown(kind) => {
                unknown.push((
                    Unknown {
                        loc: kind.loc,
                        reason: format!(
                            "ApplicationSet `{}`: its `{}` generator is not modelled",
                            object.name().unwrap_or("<unnamed>"),
                            kind.value
                        ),
                    },
                    DeploymentKind::Application,
                ));
                continue;
            }
        };
        for element in params {
            let filled = fill_application(&set.template, &element, set.go_template);
            let app_name = set.name.as_ref().map_or_else(
                || "<unnamed>".to_string(),
                |n| fill(&n.value, &element, set.go_template),
            );
            let name = format!(
                "Application {app_name} (ApplicationSet {})",
                object.name().unwrap_or("<unnamed>")
            );
            plans.extend(source_plans(
                project,
                id,
                name,
                &filled,
                &set.template,
                remotes,
                unknown,
            ));
        }
    }
    plans
}

/// Folders of the repository matching a git directory generator, as argo-cd lists and filters
/// them: `reposerver/repository/repository.go` `GetGitDirectories` walks every folder below the
/// root (not the root itself, no hidden folder: `IncludeHiddenDirectories` is off by default),
/// and `applicationset/generators/git.go` `filterApps` keeps a folder that some include
/// pattern and no exclude pattern matches with Go's `path.Match` ([`go_path_match`]).
fn directories(project: &Project, include: &[String], exclude: &[String]) -> Vec<String> {
    let compile = |patterns: &[String]| -> Vec<go_path_match::GoPathPattern> {
        patterns
            .iter()
            .filter_map(|p| go_path_match::GoPathPattern::new(p))
            .collect()
    };
    let (include, exclude) = (compile(include), compile(exclude));
    let mut folders: HashSet<&str> = HashSet::default();
    for path in &project.paths {
        folders.extend(crate::source::ancestors(path).filter(|dir| !dir.is_empty()));
    }
    let hidden = |dir: &str| dir.split('/').any(|segment| segment.starts_with('.'));
    let mut dirs: Vec<String> = folders
        .into_iter()
        .filter(|dir| !hidden(dir))
        .filter(|dir| include.iter().any(|p| p.is_match(dir)))
        .filter(|dir| !exclude.iter().any(|p| p.is_match(dir)))
        .map(str::to_string)
        .collect();
    dirs.sort();
    dirs
}

/// A git directory generator's parameters for one folder (`path`, `path.basename`,
/// `path.basenameNormalized`, `path[N]`).
fn directory_params(dir: &str) -> Vec<(String, String)> {
    let basename = dir.rsplit('/').next().unwrap_or(dir);
    let normalized: String = basename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut params = vec![
        ("path".to_string(), dir.to_string()),
        ("path.path".to_string(), dir.to_string()),
        ("path.basename".to_string(), basename.to_string()),
        ("path.basenameNormalized".to_string(), normalized),
    ];
    for (i, segment) in dir.split('/').enumerate() {
        params.push((format!("path[{i}]"), segment.to_string()));
    }
    params
}

/// `{{param}}` (or, with Go templates, `{{.param}}`) replaced by its value; an unknown
/// parameter stays as written (and so stays unknowable).
fn fill(text: &str, params: &[(String, String)], go_template: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = rest[start + 2..start + end].trim();
        let key = if go_template {
            inner.strip_prefix('.').unwrap_or(inner)
        } else {
            inner
        };
        match params.iter().find(|(k, _)| k == key) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// The template's fields that decide what is applied where, filled for one element.
fn fill_application(
    template: &Application,
    params: &[(String, String)],
    go_template: bool,
) -> Application {
    let filled = |value: &Option<Spanned<String>>| {
        value
            .as_ref()
            .map(|v| Spanned::new(fill(&v.value, params, go_template), v.loc))
    };
    let mut app = template.clone();
    app.destination_namespace = filled(&template.destination_namespace);
    for (source, original) in app.sources.iter_mut().zip(&template.sources) {
        source.repo_url = filled(&original.repo_url);
        source.path = filled(&original.path);
        source.kustomize_namespace = filled(&original.kustomize_namespace);
        source.name_prefix = filled(&original.name_prefix);
        source.name_suffix = filled(&original.name_suffix);
    }
    app
}

/// How Argo CD builds kustomizations: kustomize's default load restrictor, unless
/// `kustomize.buildOptions` in an `argocd-cm` ConfigMap of the repository says
/// `--load-restrictor LoadRestrictionsNone` (argo-cd `util/kustomize/kustomize.go`: `Build`
/// passes the options, split into words by `parseKustomizeBuildOptions`, to `kustomize build`).
fn argo_restrictor(project: &Project) -> LoadRestrictor {
    let none = argocd_cm_data(project).any(|(key, value)| {
        key.as_str() == Some("kustomize.buildOptions")
            && value.as_str().is_some_and(|options| {
                let words: Vec<&str> = options.split([' ', '=']).collect();
                words
                    .windows(2)
                    .any(|w| w == ["--load-restrictor", "LoadRestrictionsNone"])
            })
    });
    if none {
        LoadRestrictor::None
    } else {
        LoadRestrictor::RootOnly
    }
}

/// The `data` entries of the repository's `argocd-cm` ConfigMaps, read again from their text.
fn argocd_cm_data(project: &Project) -> impl Iterator<Item = (OwnedNode, OwnedNode)> + '_ {
    project
        .objects
        .iter()
        .filter(|o| o.kind_str() == "ConfigMap" && o.name() == Some("argocd-cm"))
        .flat_map(move |object| {
            let text = project.text(object.file).as_str();
            let parsed = crate::yaml::parse(text, &crate::yaml::Limits::default());
            let entries: Vec<(OwnedNode, OwnedNode)> = parsed
                .documents
                .get(object.document)
                .and_then(|d| d.root())
                .and_then(|root| root.get("data"))
                .map(|data| {
                    data.entries()
                        .into_iter()
                        .map(|(k, v)| {
                            (OwnedNode::of(k, object.file), OwnedNode::of(v, object.file))
                        })
                        .collect()
                })
                .unwrap_or_default();
            entries
        })
}

/// A scalar of a document parsed again: its text and where it is.
struct OwnedNode {
    text: Option<String>,
    loc: Loc,
}

impl OwnedNode {
    fn of(node: crate::yaml::NodeRef<'_>, file: crate::source::FileId) -> OwnedNode {
        OwnedNode {
            text: node.as_str().map(str::to_string),
            loc: Loc {
                file,
                span: node.span(),
            },
        }
    }

    fn as_str(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

/// `kustomize.buildOptions.<version>` keys of the repository's `argocd-cm`, with where each is
/// written. Argo CD 3.0 and 3.1 built an Application whose `kustomize.version` names that
/// version with those options instead of `kustomize.buildOptions` (argo-cd v3.1.0
/// `util/settings/settings.go` `KustomizeSettings.GetOptions`); since 3.2 (commit 8e00df5,
/// #23644) `GetKustomizeSettings` still reads them but `util/kustomize/kustomize.go` `Build`
/// passes only `kustomize.buildOptions`, for every version. pglint builds as 3.2 and later do.
pub fn argocd_versioned_build_options(project: &Project) -> Vec<(Loc, String)> {
    argocd_cm_data(project)
        .filter_map(|(key, _)| {
            let text = key.as_str()?;
            text.strip_prefix("kustomize.buildOptions.")?;
            Some((key.loc, text.to_string()))
        })
        .collect()
}

/// The Application sources (and ApplicationSet templates' sources) that set
/// `kustomize.version: <version>`, where each is written: Argo CD 3.0 and 3.1 chose the
/// versioned build options by that exact name (`KustomizeSettings.GetOptions`).
pub fn argocd_kustomize_version_users(project: &Project, version: &str) -> Vec<Loc> {
    let mut users = Vec::new();
    for object in project
        .objects
        .iter()
        .filter(|o| matches!(o.kind_str(), "Application" | "ApplicationSet"))
        .filter(|o| {
            o.api_version
                .as_ref()
                .is_some_and(|v| v.as_str().starts_with("argoproj.io/"))
        })
    {
        let text = project.text(object.file);
        let parsed = crate::yaml::parse(text.as_str(), &crate::yaml::Limits::default());
        let Some(root) = parsed.documents.get(object.document).and_then(|d| d.root()) else {
            continue;
        };
        let spec = match object.kind_str() {
            "ApplicationSet" => root.path(&["spec", "template", "spec"]),
            _ => root.get("spec"),
        };
        let single = spec.and_then(|s| s.get("source")).into_iter();
        let many = spec
            .and_then(|s| s.get("sources"))
            .into_iter()
            .flat_map(|l| l.items());
        for source in single.chain(many) {
            if let Some(set) = source.path(&["kustomize", "version"])
                && set.as_str() == Some(version)
            {
                users.push(Loc {
                    file: object.file,
                    span: set.span(),
                });
            }
        }
    }
    users
}

/// The `repoURL`s of an object's Argo CD sources and git generators.
fn source_urls(object: &crate::model::Object) -> Vec<&str> {
    fn sources(app: &Application) -> Vec<&str> {
        app.sources
            .iter()
            .filter_map(|s| s.repo_url.as_ref().map(|u| u.as_str()))
            .collect()
    }
    match &object.spec {
        Spec::Application(app) => sources(app),
        Spec::ApplicationSet(set) => {
            let mut urls = sources(&set.template);
            for generator in &set.generators {
                if let AppSetGenerator::GitDirectories {
                    repo_url: Some(url),
                    ..
                } = generator
                {
                    urls.push(url.as_str());
                }
            }
            urls
        }
        _ => Vec::new(),
    }
}

/// The folder an Argo CD source applies, when it is in this repository.
fn source_root(project: &Project, source: &AppSource) -> Option<String> {
    let path = source.path.as_ref()?;
    let root = join("", path.as_str())?;
    (root.is_empty() || project.paths.contains(&root)).then_some(root)
}

fn flux_plan<'p>(
    project: &'p Project,
    id: SourceId,
    flux: &'p FluxKustomization,
    unknown: &mut Vec<(Unknown, DeploymentKind)>,
) -> Option<Plan<'p>> {
    let object = project.object(id);
    // A Flux Kustomization pulling another source (an OCIRepository, a Bucket) applies
    // nothing of this repository.
    if flux
        .source_kind
        .as_deref()
        .is_some_and(|kind| kind != "GitRepository")
    {
        return None;
    }
    // `flux bootstrap` names the GitRepository of the repository it bootstraps `flux-system`;
    // another GitRepository may be any repository.
    if flux
        .source_name
        .as_deref()
        .is_some_and(|name| name != "flux-system")
    {
        unknown.push((
            Unknown {
                loc: object.anchor(),
                reason: format!(
                    "Kustomization `{}`: its GitRepository `{}` may be another repository",
                    object.name().unwrap_or("<unnamed>"),
                    flux.source_name.as_deref().unwrap_or("")
                ),
            },
            DeploymentKind::Flux,
        ));
        return None;
    }
    let path = flux.path.as_ref();
    let root = match path {
        Some(path) => join("", path.as_str())?,
        None => String::new(),
    };
    if !root.is_empty() && !project.paths.contains(&root) {
        return None;
    }
    let name = format!(
        "Kustomization {}{}",
        object
            .namespace_str()
            .map_or(String::new(), |ns| format!("{ns}/")),
        object.name().unwrap_or("<unnamed>")
    );
    let origin = path.map_or(object.anchor(), |p| p.loc);
    let mut plan = Plan::new(DeploymentKind::Flux, name, origin, root.clone());
    plan.declared_by = Some(id);
    plan.forced_namespace = flux.target_namespace.clone();
    plan.prefix = flux.name_prefix.clone();
    plan.suffix = flux.name_suffix.clone();
    plan.common_annotations = &flux.common_annotations;
    plan.common_labels = &flux.common_labels;
    plan.recurse = true;
    // kustomize-controller builds with `LoadRestrictionsNone` on a file system confined to
    // the source (fluxcd/pkg `kustomize/kustomize_generator.go`, `Build`).
    plan.restrictor = LoadRestrictor::None;
    plan.components = flux
        .components
        .iter()
        .map(|c| (c.clone(), join(&root, c.as_str())))
        .collect();
    plan.depends_on = flux
        .depends_on
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    plan.substitute = &flux.substitute;
    plan.substitute_from = flux.substitute_from.is_some();
    if let Some(loc) = flux.substitute_from {
        plan.unknown.push(Unknown {
            loc,
            reason: "`postBuild.substituteFrom` values are only known in the cluster".into(),
        });
    }
    plan.patches = &flux.patches;
    Some(plan)
}

/// Without Argo CD or Flux objects: every kustomization no other one includes, and every
/// folder of manifests no kustomization reaches.
fn fallback_plans<'p>(project: &'p Project, kustomize: &Kustomize<'p>) -> Vec<Plan<'p>> {
    let graph = &project.kustomize;
    let included: HashSet<&str> = graph
        .kustomizations
        .iter()
        .flat_map(|k| &k.paths)
        .filter(|p| p.role == PathRole::Resource)
        .filter_map(|p| p.resolved.as_deref())
        .collect();
    let root_plan = |k: &crate::model::Kustomization| {
        let origin = Loc {
            file: k.file,
            span: Span::new(0, 0),
        };
        Plan::new(
            DeploymentKind::KustomizeRoot,
            format!("kustomization {}", display_dir(&k.dir)),
            origin,
            k.dir.clone(),
        )
    };
    let candidates = || {
        graph
            .kustomizations
            .iter()
            .enumerate()
            .filter(|(_, k)| !k.build.is_component)
    };
    let mut roots: Vec<usize> = candidates()
        .filter(|(_, k)| !included.contains(k.dir.as_str()))
        .map(|(i, _)| i)
        .collect();
    // Kustomizations that only include each other (a cycle) have no root: the first of each
    // cycle is built too, so that the cycle is reported rather than nothing at all.
    let mut built: HashSet<&str> = roots
        .iter()
        .flat_map(|&k| graph.reached_kustomizations(k))
        .collect();
    for (i, k) in candidates() {
        if !built.contains(k.dir.as_str()) {
            roots.push(i);
            built.extend(graph.reached_kustomizations(i));
        }
    }
    let mut plans: Vec<Plan<'p>> = roots
        .iter()
        .map(|&k| root_plan(&graph.kustomizations[k]))
        .collect();
    let reached: HashSet<&str> = (0..graph.kustomizations.len())
        .flat_map(|k| graph.reach(k).keys())
        .map(String::as_str)
        .collect();
    let mut folders: HashMap<&str, Vec<&'p str>> = HashMap::default();
    for path in kustomize.manifest_paths() {
        if !reached.contains(path) {
            folders.entry(parent_dir(path)).or_default().push(path);
        }
    }
    let mut folders: Vec<(&str, Vec<&'p str>)> = folders.into_iter().collect();
    folders.sort_unstable();
    for (folder, files) in folders {
        let Some(file) = kustomize.file_of(files[0]) else {
            continue;
        };
        let origin = Loc {
            file,
            span: Span::new(0, 0),
        };
        let mut plan = Plan::new(
            DeploymentKind::Folder,
            format!("folder {}", display_dir(folder)),
            origin,
            folder.to_string(),
        );
        plan.files = Some(files);
        plans.push(plan);
    }
    plans
}

/// A repository-relative folder for people: `.` for the root.
pub fn display_dir(dir: &str) -> &str {
    if dir.is_empty() { "." } else { dir }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A repository whose git remote is the `repoURL` the tests' Applications name.
    fn project(files: &[(&str, &str)]) -> Project {
        let mut project = Project::from_texts(files, &Config::default());
        project.repository_urls = vec!["git@example.com:repo.git".into()];
        project
    }

    fn object_id(project: &Project, path: &str) -> SourceId {
        project
            .sources()
            .find(|(_, o)| project.path(o.file) == path)
            .expect("an object in the file")
            .0
    }

    const DB: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  owner: app\n  cluster:\n    name: pg\n";
    const CLUSTER: &str =
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n";

    fn application(name: &str, path: &str, namespace: &str) -> String {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: {path}\n  destination:\n    namespace: {namespace}\n"
        )
    }

    #[test]
    fn an_application_gives_its_destination_namespace_and_leaves_the_rest_unapplied() {
        let app = application("dbs", "db", "postgres");
        let project = project(&[
            ("argocd/dbs.yaml", &app),
            ("db/kustomization.yaml", "resources: [app-db.yaml]\n"),
            ("db/app-db.yaml", DB),
            ("db/new/wiki-db.yaml", &DB.replace("app-db", "wiki-db")),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        assert!(deploy.declared);
        assert_eq!(deploy.deployments.len(), 1);
        let db = object_id(&project, "db/app-db.yaml");
        let (deployment, resource) = deploy.instances_of(db).next().expect("applied");
        assert_eq!(deployment.name, "Application dbs");
        let namespace = resource.object.meta.namespace.as_ref().expect("namespace");
        assert_eq!(namespace.value, "postgres");
        assert_eq!(project.path(namespace.loc.file), "argocd/dbs.yaml");
        assert_eq!(
            deploy.is_applied(object_id(&project, "db/new/wiki-db.yaml")),
            Some(false)
        );
    }

    #[test]
    fn directory_include_and_exclude() {
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: dbs\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: db\n    directory:\n      recurse: true\n      include: '{*.yaml,new/*.yaml}'\n      exclude: '*-old.yaml'\n  destination:\n    namespace: postgres\n";
        let project = project(&[
            ("argocd/dbs.yaml", app),
            ("db/app-db.yaml", DB),
            ("db/app-old.yaml", &DB.replace("app-db", "old-db")),
            ("db/new/wiki-db.yaml", &DB.replace("app-db", "wiki-db")),
            ("db/other/x-db.yaml", &DB.replace("app-db", "x-db")),
            ("db/new/b-old.yaml", &DB.replace("app-db", "b-db")),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        let applied = |path: &str| deploy.is_applied(object_id(&project, path));
        assert_eq!(applied("db/app-db.yaml"), Some(true));
        assert_eq!(applied("db/new/wiki-db.yaml"), Some(true));
        assert_eq!(applied("db/app-old.yaml"), Some(false));
        // Argo CD's globs have no separators: `*` matches across `/`, in include and exclude.
        assert_eq!(applied("db/other/x-db.yaml"), Some(true));
        assert_eq!(applied("db/new/b-old.yaml"), Some(false));
        // A leading `**/` needs a folder: gobwas reads `**` as `*`, and `*/` a `/`.
        let deeper = app.replace("'{*.yaml,new/*.yaml}'", "'**/*-db.yaml'");
        let nested = self::project(&[
            ("argocd/dbs.yaml", deeper.as_str()),
            ("db/app-db.yaml", DB),
            ("db/new/wiki-db.yaml", &DB.replace("app-db", "wiki-db")),
        ]);
        let deploy = Deploy::build(&nested, &Config::default());
        let applied = |path: &str| deploy.is_applied(object_id(&nested, path));
        assert_eq!(applied("db/app-db.yaml"), Some(false));
        assert_eq!(applied("db/new/wiki-db.yaml"), Some(true));
    }

    #[test]
    fn an_app_of_apps_include_filter_selects_its_children() {
        let app = |name: &str, path: &str, directory: &str| {
            format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: {path}\n{directory}  destination:\n    namespace: postgres\n"
            )
        };
        let root = app(
            "root",
            "apps",
            "    directory:\n      include: 'wiki.yaml'\n",
        );
        let project = project(&[
            ("argocd/root.yaml", &root),
            ("apps/wiki.yaml", &app("wiki", "db/wiki", "")),
            ("apps/legacy.yaml", &app("legacy", "db/legacy", "")),
            ("db/wiki/db.yaml", DB),
            ("db/legacy/db.yaml", &DB.replace("app-db", "legacy-db")),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        let applied = |path: &str| deploy.is_applied(object_id(&project, path));
        assert_eq!(applied("db/wiki/db.yaml"), Some(true));
        // `legacy` sits in the root's folder, but its include leaves it out: never created.
        assert_eq!(applied("db/legacy/db.yaml"), Some(false));
        assert!(
            deploy
                .deployments
                .iter()
                .all(|d| !d.name.contains("legacy"))
        );
    }

    #[test]
    fn directory_patterns_empty_or_invalid() {
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: dbs\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: db\n    directory:\n      include: INCLUDE\n      exclude: EXCLUDE\n  destination:\n    namespace: postgres\n";
        // An empty pattern is no filter; one that does not compile matches nothing; gobwas
        // closes an unclosed `{` at the end.
        for (include, exclude, expected) in [
            ("''", "''", true),
            ("'[a'", "''", false),
            ("''", "'[a'", true),
            ("''", "'{x,app-db.yaml'", false),
        ] {
            let app = app.replace("INCLUDE", include).replace("EXCLUDE", exclude);
            let project = project(&[("argocd/dbs.yaml", &app), ("db/app-db.yaml", DB)]);
            let deploy = Deploy::build(&project, &Config::default());
            let applied = deploy.is_applied(object_id(&project, "db/app-db.yaml"));
            assert_eq!(
                applied,
                Some(expected),
                "include {include}, exclude {exclude}"
            );
        }
    }

    #[test]
    fn sources_of_other_repositories_are_not_this_repository() {
        let app = application("dbs", "db", "postgres");
        let elsewhere = application("other", "not-here", "postgres")
            .replace("example.com/repo.git", "example.com/other.git");
        let mut project = project(&[
            ("argocd/dbs.yaml", &app),
            ("argocd/other.yaml", &elsewhere),
            ("db/app-db.yaml", DB),
        ]);
        // A fork: its remote names no source. The source whose folder exists here is taken to
        // be this repository, and says so; the other one is not built.
        project.repository_urls = vec!["git@example.com:fork/repo.git".into()];
        let deploy = Deploy::build(&project, &Config::default());
        assert!(deploy.declared);
        let [deployment] = deploy.deployments.as_slice() else {
            panic!("one deployment")
        };
        assert!(
            deployment.assumption
                == Some(Assumption::ThisRepository {
                    repo_url: "https://example.com/repo.git".into()
                })
        );
        // Once the remote names one of them, another URL is another repository.
        project.repository_urls = vec!["git@example.com:other.git".into()];
        let deploy = Deploy::build(&project, &Config::default());
        assert!(!deploy.declared);
        assert!(
            deploy
                .deployments
                .iter()
                .all(|d| d.kind != DeploymentKind::Application)
        );
        let mut config = Config::default();
        config.deploy.repo_urls = vec!["https://example.com/repo".into()];
        let deploy = Deploy::build(&project, &config);
        assert!(deploy.declared);
        assert_eq!(deploy.deployments.len(), 1);
        assert!(deploy.deployments[0].assumption.is_none());
    }

    #[test]
    fn flux_generates_a_kustomization_and_orders_nothing_by_waves() {
        let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: dbs\n  namespace: flux-system\nspec:\n  path: ./apps\n  targetNamespace: databases\n  components: [../components/labels]\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
        let project = project(&[
            ("flux/dbs.yaml", flux),
            ("apps/app-db.yaml", DB),
            ("apps/deeper/cluster.yaml", CLUSTER),
            (
                "apps/kustomized/kustomization.yaml",
                "resources: [listed.yaml]\n",
            ),
            (
                "apps/kustomized/listed.yaml",
                &DB.replace("app-db", "listed-db"),
            ),
            (
                "apps/kustomized/unlisted.yaml",
                &DB.replace("app-db", "hidden-db"),
            ),
            (
                "components/labels/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  team: data\n",
            ),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        let [deployment] = deploy.deployments.as_slice() else {
            panic!("one deployment")
        };
        assert_eq!(deployment.name, "Kustomization flux-system/dbs");
        let rendered = deployment.rendered.as_ref().expect("renders");
        let mut names: Vec<(&str, Option<&str>)> = rendered
            .resources
            .iter()
            .map(|r| (r.object.name().unwrap_or(""), r.object.namespace_str()))
            .collect();
        names.sort();
        // Sub-folders are included; a folder with its own kustomization is built by it.
        assert_eq!(
            names,
            [
                ("app-db", Some("databases")),
                ("listed-db", Some("databases")),
                ("pg", Some("databases"))
            ]
        );
        assert!(
            rendered
                .resources
                .iter()
                .all(|r| r.object.meta.labels.contains("team"))
        );
        let db = object_id(&project, "apps/app-db.yaml");
        assert!(!deploy.has_sync_waves(db));
        assert!(!deploy.uses_sync_waves());
    }

    #[test]
    fn flux_refuses_a_generated_kustomization_listing_a_file_that_is_no_object() {
        let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: dbs\n  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
        let refused = |extra: &[(&str, &str)]| {
            let mut files = vec![
                ("flux/dbs.yaml", flux),
                ("apps/app-db.yaml", DB),
                // Inside a folder with its own kustomization: not listed by Flux's.
                ("apps/chart/kustomization.yaml", "resources: []\n"),
                ("apps/chart/values.yaml", "replicaCount: 1\n"),
                // Left out of the artifact by source-controller's default ignore patterns.
                ("apps/.github/workflows/ci.yml", "on: push\n"),
                ("apps/.sops.yaml", "creation_rules: []\n"),
                // Not YAML by extension.
                ("apps/settings.json", "{\"a\": 1}\n"),
            ];
            files.extend_from_slice(extra);
            let project = project(&files);
            let deploy = Deploy::build(&project, &Config::default());
            deploy.deployments[0]
                .rendered
                .as_ref()
                .err()
                .map(|e| (e.kind, project.path(e.loc.unwrap().file).to_string()))
        };
        assert_eq!(refused(&[]), None);
        let values = [("apps/wiki/values.yaml", "image:\n  tag: v1\n")];
        assert_eq!(
            refused(&values),
            Some((Refusal::NotAnObject, "apps/wiki/values.yaml".to_string()))
        );
        // A `.sourceignore` scoped to its folder leaves the file out (and replaces the
        // defaults: `.github/` and `.sops.yaml` are its to leave out too).
        let rules = "wiki/values.yaml\n.github/\n.sops.yaml\n";
        let ignored = [values[0], ("apps/.sourceignore", rules)];
        assert_eq!(refused(&ignored), None);
        // One that leaves other files out still drops the defaults: `.github/` is listed.
        let other = [values[0], ("apps/.sourceignore", "drafts/\n")];
        assert_eq!(
            refused(&other),
            Some((
                Refusal::NotAnObject,
                "apps/.github/workflows/ci.yml".to_string()
            ))
        );
        // The flux-system GitRepository's `spec.ignore`: applied, in place of the defaults.
        let source = |ignore: &str| {
            format!(
                "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  url: https://example.com/repo.git\n  ignore: |\n    {ignore}\n"
            )
        };
        let excluded = source("/apps/wiki/\n    /apps/.github/\n    .sops.yaml");
        assert_eq!(refused(&[values[0], ("flux/source.yaml", &excluded)]), None);
        let elsewhere = source("/apps/other/");
        assert_eq!(
            refused(&[("flux/source.yaml", &elsewhere)]),
            Some((
                Refusal::NotAnObject,
                "apps/.github/workflows/ci.yml".to_string()
            ))
        );
    }

    #[test]
    fn argo_cd_skips_or_refuses_a_folder_file_that_is_no_object_as_its_repo_server_does() {
        let app = application("dbs", "db", "postgres");
        let outcome = |file: &str| {
            let project = project(&[
                ("argocd/dbs.yaml", app.as_str()),
                ("db/app-db.yaml", DB),
                ("db/other.yaml", file),
            ]);
            let deploy = Deploy::build(&project, &Config::default());
            match &deploy.deployments[0].rendered {
                Ok(rendered) => Ok(rendered.resources.len()),
                Err(e) => {
                    assert_eq!(e.kind, Refusal::NotAnObject);
                    Err(
                        project.text(e.loc.unwrap().file).as_str()[e.loc.unwrap().span.range()]
                            .to_string(),
                    )
                }
            }
        };
        // An unrelated YAML file (no `apiVersion:`, `kind:` and `metadata:`): skipped whole.
        for skipped in [
            "replicaCount: 1\n",
            "- a\n",
            "[]\n",
            "{}\n",
            "~\n---\n# nothing\n",
        ] {
            assert_eq!(outcome(skipped), Ok(1), "{skipped:?}");
        }
        // A file that looks like a manifest, or objects before the document: refused there.
        let listed = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n";
        assert!(outcome(listed).is_err(), "{:?}", outcome(listed));
        let after_object = format!("{}---\n- a\n", DB.replace("app-db", "b-db"));
        assert_eq!(outcome(&after_object), Err("- a".to_string()));
        // Objects only: read.
        assert_eq!(outcome(&DB.replace("app-db", "b-db")), Ok(2));
    }

    #[test]
    fn flux_substitutes_post_build_variables() {
        let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: wiki\nspec:\n  path: ./apps\n  postBuild:\n    substitute:\n      APP: wiki\n";
        let templated = DB
            .replace("app-db", "${APP}-db")
            .replace("owner: app", "owner: ${APP}_user\n  name: ${DB_NAME:=wiki}");
        let project = project(&[("flux/wiki.yaml", flux), ("apps/db.yaml", &templated)]);
        let deploy = Deploy::build(&project, &Config::default());
        let (_, resource) = deploy
            .instances_of(object_id(&project, "apps/db.yaml"))
            .next()
            .expect("applied");
        assert_eq!(resource.object.name(), Some("wiki-db"));
        let Spec::Database(database) = &resource.object.spec else {
            panic!("a Database")
        };
        assert_eq!(
            database.owner.as_ref().map(|o| o.as_str()),
            Some("wiki_user")
        );
        assert_eq!(database.name.as_ref().map(|n| n.as_str()), Some("wiki"));
    }

    #[test]
    fn an_application_set_makes_one_application_per_folder() {
        let set = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: apps\nspec:\n  generators:\n    - git:\n        repoURL: https://example.com/repo.git\n        directories:\n          - path: apps/*\n          - path: apps/legacy\n            exclude: true\n  template:\n    metadata:\n      name: '{{path.basename}}'\n    spec:\n      source:\n        repoURL: https://example.com/repo.git\n        path: '{{path}}'\n      destination:\n        namespace: '{{path.basename}}'\n";
        let project = project(&[
            ("argocd/apps.yaml", set),
            ("apps/wiki/db.yaml", &DB.replace("app-db", "wiki-db")),
            ("apps/notes/db.yaml", &DB.replace("app-db", "notes-db")),
            ("apps/legacy/db.yaml", &DB.replace("app-db", "legacy-db")),
            ("apps/wiki/deeper/x.yaml", CLUSTER),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        let mut names: Vec<&str> = deploy.deployments.iter().map(|d| d.name.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "Application notes (ApplicationSet apps)",
                "Application wiki (ApplicationSet apps)"
            ]
        );
        let (_, wiki) = deploy
            .instances_of(object_id(&project, "apps/wiki/db.yaml"))
            .next()
            .expect("applied");
        assert_eq!(wiki.object.namespace_str(), Some("wiki"));
        assert_eq!(
            deploy.is_applied(object_id(&project, "apps/legacy/db.yaml")),
            Some(false)
        );
        // Not recursing: the nested folder is not applied either.
        assert_eq!(
            deploy.is_applied(object_id(&project, "apps/wiki/deeper/x.yaml")),
            Some(false)
        );
    }

    #[test]
    fn application_set_folders_are_listed_and_matched_as_argo_cd_does() {
        let project = project(&[
            ("apps/wiki/db.yaml", DB),
            ("apps/team/notes/db.yaml", DB),
            ("apps/.hidden/db.yaml", DB),
            (".github/workflows/x.yaml", DB),
        ]);
        let dirs = |include: &[&str], exclude: &[&str]| {
            let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            directories(&project, &own(include), &own(exclude))
        };
        // A folder holding only folders is a folder too; hidden ones are not listed.
        assert_eq!(dirs(&["apps/*"], &[]), ["apps/team", "apps/wiki"]);
        assert_eq!(dirs(&["*"], &[]), ["apps"]);
        // Go's `path.Match`: `*` stays in one folder, a trailing `/` matches nothing, a bad
        // pattern is skipped.
        assert_eq!(dirs(&["apps/*/*"], &[]), ["apps/team/notes"]);
        assert!(dirs(&["apps/*/"], &[]).is_empty());
        assert_eq!(dirs(&["apps/[", "apps/w*"], &[]), ["apps/wiki"]);
        assert_eq!(dirs(&["apps/*"], &["apps/[^w]*"]), ["apps/wiki"]);
    }

    #[test]
    fn unmodelled_generators_make_being_applied_unknown() {
        let set = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: apps\nspec:\n  generators:\n    - clusters: {}\n  template:\n    metadata:\n      name: x\n    spec:\n      source:\n        path: apps\n";
        let project = project(&[("argocd/apps.yaml", set), ("apps/db.yaml", DB)]);
        let deploy = Deploy::build(&project, &Config::default());
        assert_eq!(deploy.is_applied(object_id(&project, "apps/db.yaml")), None);
    }

    #[test]
    fn deployers_patch_and_add_components() {
        let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: dbs\nspec:\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  patches:\n    - target:\n        kind: Database\n      patch: |\n        - op: replace\n          path: /spec/owner\n          value: flux_owner\n";
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: argo\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: argo\n    kustomize:\n      components: [../labels]\n      patches:\n        - target:\n            kind: Database\n          patch: |\n            - op: replace\n              path: /spec/owner\n              value: argo_owner\n";
        let project = project(&[
            ("flux/dbs.yaml", flux),
            ("argocd/app.yaml", app),
            ("apps/db.yaml", DB),
            ("argo/kustomization.yaml", "resources: [db.yaml]\n"),
            ("argo/db.yaml", &DB.replace("app-db", "argo-db")),
            (
                "labels/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  team: data\n",
            ),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        let owner = |path: &str| {
            let (_, resource) = deploy
                .instances_of(object_id(&project, path))
                .next()
                .expect("applied");
            let Spec::Database(db) = &resource.object.spec else {
                panic!("a Database")
            };
            let owner = db.owner.clone().expect("owner");
            (
                owner.value,
                project.path(owner.loc.file).to_string(),
                resource.object.meta.labels.contains("team"),
            )
        };
        assert_eq!(
            owner("apps/db.yaml"),
            ("flux_owner".into(), "flux/dbs.yaml".into(), false)
        );
        assert_eq!(
            owner("argo/db.yaml"),
            ("argo_owner".into(), "argocd/app.yaml".into(), true)
        );
    }

    #[test]
    fn deployer_components_come_before_the_kustomizations_patches() {
        // Flux appends `spec.components` to the folder's kustomization: a patch there may
        // patch what a component adds (a refusal otherwise).
        let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\nspec:\n  path: ./app\n  components: [../cnpg]\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
        let project = project(&[
            ("flux/app.yaml", flux),
            (
                "app/kustomization.yaml",
                "resources: []\npatches:\n  - path: cluster.yaml\n",
            ),
            (
                "app/cluster.yaml",
                "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  instances: 3\n",
            ),
            (
                "cnpg/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [cluster.yaml]\n",
            ),
            ("cnpg/cluster.yaml", CLUSTER),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        let rendered = deploy.deployments[0].rendered.as_ref().expect("builds");
        assert_eq!(rendered.resources.len(), 1);
    }

    #[test]
    fn waves_order_only_within_one_application() {
        let project = project(&[
            (
                "argocd/cluster.yaml",
                &application("cluster", "cluster", "pg"),
            ),
            ("argocd/dbs.yaml", &application("dbs", "dbs", "pg")),
            ("cluster/cluster.yaml", CLUSTER),
            ("dbs/app-db.yaml", DB),
            ("dbs/other-db.yaml", &DB.replace("app-db", "other-db")),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        let deployment = |path: &str| {
            deploy
                .placements(object_id(&project, path))
                .next()
                .map(|(d, _)| d)
        };
        let cluster = deployment("cluster/cluster.yaml");
        let (db, other) = (
            deployment("dbs/app-db.yaml"),
            deployment("dbs/other-db.yaml"),
        );
        assert!(deploy.synced_together(db, other, false));
        assert!(!deploy.synced_together(db, cluster, false));
        assert!(deploy.synced_together(db, cluster, true));
        assert!(!deploy.synced_together(None, cluster, false));
    }

    #[test]
    fn without_deployers_kustomize_roots_and_loose_folders_deploy() {
        let project = project(&[
            ("base/kustomization.yaml", "resources: [db.yaml]\n"),
            ("base/db.yaml", DB),
            (
                "dev/kustomization.yaml",
                "resources: [../base]\nnamespace: dev\n",
            ),
            (
                "live/kustomization.yaml",
                "resources: [../base]\nnamespace: live\n",
            ),
            ("loose/cluster.yaml", CLUSTER),
        ]);
        let deploy = Deploy::build(&project, &Config::default());
        assert!(!deploy.declared);
        let mut names: Vec<(&str, DeploymentKind)> = deploy
            .deployments
            .iter()
            .map(|d| (d.name.as_str(), d.kind))
            .collect();
        names.sort_by_key(|(name, _)| *name);
        assert_eq!(
            names,
            [
                ("folder loose", DeploymentKind::Folder),
                ("kustomization dev", DeploymentKind::KustomizeRoot),
                ("kustomization live", DeploymentKind::KustomizeRoot),
            ]
        );
        let db = object_id(&project, "base/db.yaml");
        let mut namespaces: Vec<&str> = deploy
            .instances_of(db)
            .filter_map(|(_, r)| r.object.namespace_str())
            .collect();
        namespaces.sort();
        assert_eq!(namespaces, ["dev", "live"]);
    }
}
