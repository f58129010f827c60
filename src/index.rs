//! Stage 5: cross-references. Built once from the deployment layer; every cross-file rule
//! queries it instead of scanning the objects again.
//!
//! The index holds **instances**: each object as each deployment applies it (namespace, name,
//! patched fields, each located where it was set), and each object no deployment applies as
//! written. Its ids number instances ([`InstanceId`]), not source objects
//! ([`crate::model::SourceId`]): resolve them with [`Index::object`] and [`Index::instance`],
//! and go from a source object to its instances with [`Index::instances_of`].

use std::sync::OnceLock;

use crate::config::Config;
use crate::deploy::{Deploy, DeploymentId, ReplacedList};
use crate::hash::{HashMap, HashSet};
use crate::model::apps::{DatabaseNames, Verdict, app_of, file_app, judge, same_app};
use crate::model::names::{invalid, reserved};
use crate::model::{
    Cluster, ClusterUser, Database, DatabaseRole, Metadata, NameKind, Object, PathRole, Role,
    SealedEntry, SealedSecret, Secret, Spec, closest, is_unknowable, join,
};
use crate::model::{SourceId, reflector, replicator};
use crate::project::Project;
use crate::source::{FileId, Loc, Spanned, ancestors, parent_dir};

/// An instance of the index: one object as one deployment applies it, or as written when no
/// deployment does (see [`Index::instance`]). Not a source object: those are numbered by
/// [`crate::model::SourceId`], and the compiler keeps the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(u32);

impl InstanceId {
    fn new(index: usize) -> InstanceId {
        InstanceId(u32::try_from(index).expect("fewer than 2^32 instances"))
    }

    /// The position of the instance in the index's list.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One object as one deployment applies it, or as written when no deployment does.
#[derive(Debug, Clone, Copy)]
pub struct Instance<'p> {
    pub object: &'p Object,
    /// The object in the project it renders; `None` for a generated Secret or ConfigMap.
    pub source: Option<SourceId>,
    /// `None` when no deployment applies it (or whether one does cannot be known).
    pub deployment: Option<DeploymentId>,
}

/// An instance a deployment renamed (see [`Index::renamed_from`]).
#[derive(Debug, Clone, Copy)]
pub struct Renamed<'p> {
    pub instance: InstanceId,
    /// The node that set the applied name.
    pub at: Loc,
    /// The applied name.
    pub name: &'p str,
}

/// Something that makes a Secret of a given name exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    Secret(InstanceId),
    Sealed(InstanceId),
    /// An ExternalSecret's target: its keys cannot be known.
    External(InstanceId),
}

impl SecretSource {
    pub fn object(self) -> InstanceId {
        match self {
            SecretSource::Secret(id) | SecretSource::Sealed(id) | SecretSource::External(id) => id,
        }
    }
}

/// Who owns a role name on a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleOrigin<'p> {
    /// `spec.managed.roles[i]` of the cluster.
    Managed(&'p Role),
    /// The bootstrap owner (`bootstrap.initdb.owner`, default `app`).
    Bootstrap,
    /// A `DatabaseRole` object.
    DatabaseRole(InstanceId, &'p Role),
}

impl<'p> RoleOrigin<'p> {
    /// The declared role, unless it is the bootstrap owner (which has no declaration).
    pub fn role(self) -> Option<&'p Role> {
        match self {
            RoleOrigin::Managed(role) | RoleOrigin::DatabaseRole(_, role) => Some(role),
            RoleOrigin::Bootstrap => None,
        }
    }
}

/// A Database's `spec.owner` with the clusters its `spec.cluster.name` may land on. Only
/// Databases whose owner and cluster are both written and knowable (not `${VAR}`) have one.
#[derive(Debug, Clone)]
pub struct OwnerRef<'p> {
    pub database_id: InstanceId,
    pub database: &'p Database,
    pub owner: &'p Spanned<String>,
    pub cluster_name: &'p Spanned<String>,
    /// Sorted; empty when no such cluster exists (`cluster-missing`'s case).
    pub clusters: Vec<InstanceId>,
}

/// A Database whose owner is no role of its cluster (`owner-role-missing`'s case), with what
/// the SOP chain says about it.
#[derive(Debug, Clone)]
pub struct MissingOwner<'p> {
    pub owner: OwnerRef<'p>,
    /// The first of the clusters the Database lands on.
    pub cluster: InstanceId,
    /// A credentials secret `<app>-db-creds` of the owner's app (the owner is `<app>` or
    /// `<app>_…`) in the cluster's namespace that no role uses: the chain shows a role that is
    /// simply missing, not a typo.
    pub unused_secret: Option<InstanceId>,
}

/// A credentials secret → the cluster role that uses it → the databases that role owns.
#[derive(Debug, Clone)]
pub struct Chain<'p> {
    pub secret_name: &'p Spanned<String>,
    pub secrets: Vec<SecretSource>,
    pub cluster: InstanceId,
    pub role: RoleOrigin<'p>,
    pub role_name: &'p str,
    pub databases: Vec<InstanceId>,
}

/// Who names a password Secret.
#[derive(Debug, Clone, Copy)]
pub enum UserKind<'p> {
    /// `spec.managed.roles[]` of the cluster object.
    Managed(&'p Role),
    /// A `DatabaseRole` object.
    DatabaseRole(&'p Role),
    /// `spec.bootstrap.initdb.secret` of the cluster object: the bootstrap owner's password.
    Bootstrap,
}

/// One reference to a password Secret.
#[derive(Debug, Clone, Copy)]
pub struct SecretUse<'p> {
    /// The instance (Cluster or DatabaseRole) that makes the reference.
    pub instance: InstanceId,
    /// The referenced name, where it is written.
    pub name: &'p Spanned<String>,
    /// The namespace the Secret is read from.
    pub namespace: Option<&'p str>,
    /// The cluster's name: the Cluster's own, or the DatabaseRole's `spec.cluster.name`.
    pub cluster_name: Option<&'p str>,
    /// The role whose password it is.
    pub role_name: Option<&'p str>,
    pub kind: UserKind<'p>,
}

impl SecretUse<'_> {
    /// "role `x`" / "DatabaseRole `x`" / "bootstrap owner `x` of cluster `c`".
    pub fn describe(&self) -> String {
        let role = self.role_name.unwrap_or("<unnamed>");
        let cluster = self.cluster_name.unwrap_or("<unnamed>");
        match self.kind {
            UserKind::Managed(_) => format!("role `{role}` of cluster `{cluster}`"),
            UserKind::DatabaseRole(_) => format!("DatabaseRole `{role}` of cluster `{cluster}`"),
            UserKind::Bootstrap => format!("the bootstrap owner `{role}` of cluster `{cluster}`"),
        }
    }

    /// Where to point when the reference is wrong: the name value.
    pub fn loc(&self) -> Loc {
        self.name.loc
    }

    /// The field path of the reference in its object (a finding's subject).
    pub fn field_path(&self) -> String {
        match self.kind {
            UserKind::Managed(role) | UserKind::DatabaseRole(role) => {
                role.field("passwordSecret.name")
            }
            UserKind::Bootstrap => "spec.bootstrap.initdb.secret.name".to_string(),
        }
    }
}

/// Two SealedSecrets of the repository's files holding the same ciphertext: `copy` took its
/// value from `original`, the first one in file order. Source objects, not instances: one file
/// that two overlays apply is no copy.
#[derive(Debug, Clone)]
pub struct RepeatedCiphertext<'p> {
    pub original: (SourceId, &'p SealedEntry),
    pub copy: (SourceId, &'p SealedEntry),
    /// The labels the original and the copy are decrypted with (see
    /// [`crate::model::SealedSecret::label`]).
    pub labels: (String, String),
}

impl RepeatedCiphertext<'_> {
    /// Does the copy decrypt where it is (the same label)?
    pub fn decrypts(&self) -> bool {
        self.labels.0 == self.labels.1
    }
}

/// A chain of the SOP folder, read for its app names.
pub struct Assessment<'p> {
    pub role: &'p Role,
    pub secret_name: &'p str,
    pub role_name: &'p str,
    pub sop_secrets: Vec<InstanceId>,
    pub databases: Vec<(InstanceId, &'p Object)>,
    pub names: Vec<DatabaseNames<'p>>,
    pub secret_app: Option<&'p str>,
    pub verdict: Verdict,
}

/// A controller that copies a Secret into other namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Copier {
    /// emberstack/kubernetes-reflector.
    Reflector,
    /// mittwald/kubernetes-replicator.
    Replicator,
}

pub struct Index<'p> {
    project: &'p Project,
    deploy: &'p Deploy<'p>,
    instances: Vec<Instance<'p>>,
    clusters: HashMap<&'p str, Vec<InstanceId>>,
    secrets: HashMap<&'p str, Vec<SecretSource>>,
    databases: Vec<InstanceId>,
    database_roles: Vec<InstanceId>,
    /// Poolers, Backups and ScheduledBackups.
    cluster_users: Vec<InstanceId>,
    /// Secret name → (cluster, role) pairs whose `passwordSecret` names it.
    secret_users: HashMap<&'p str, Vec<(InstanceId, &'p Role)>>,
    /// Cluster → its managed roles by name (the first declaration of a name).
    managed_roles: HashMap<InstanceId, HashMap<&'p str, &'p Role>>,
    /// `spec.cluster.name` → Databases naming it.
    databases_by_cluster: HashMap<&'p str, Vec<InstanceId>>,
    credentials: Vec<InstanceId>,
    chains: Vec<Chain<'p>>,
    /// Files kustomizations read as patches or other inputs, built on first use.
    inputs: OnceLock<HashSet<String>>,
    /// Built on first use, by the kustomize rules.
    folders: OnceLock<HashSet<String>>,
    /// Secret name → per namespace, the distinct role names whose password it is.
    #[allow(clippy::type_complexity)]
    secret_roles: HashMap<&'p str, Vec<(Option<&'p str>, Vec<&'p str>)>>,
    /// Copies that name their source (Reflector's manual mirrors, the replicator's pulls), by
    /// copier and the source they name, built on first use.
    mirrors: OnceLock<HashMap<(Copier, String), Vec<InstanceId>>>,
    /// `[deploy] replicator-allow-all`: kubernetes-replicator fills every pull.
    replicator_allow_all: bool,
    /// `[deploy] replicator-exclude-namespaces`: namespaces it pushes nothing into.
    replicator_exclude_namespaces: Vec<String>,
    /// Namespaces some manifest uses, built on first use.
    used_namespaces: OnceLock<HashSet<String>>,
}

/// Two namespaces may be the same object's: equal, or one of them unknown (unset or templated).
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || is_unknowable(a) || is_unknowable(b),
        _ => true,
    }
}

/// The Secrets CNPG generates for a cluster: `<cluster>-app` and `<cluster>-superuser`.
pub fn operator_generated(cluster_name: Option<&str>, secret: &str) -> bool {
    cluster_name.is_some_and(|c| {
        secret
            .strip_prefix(c)
            .is_some_and(|rest| rest == "-app" || rest == "-superuser")
    })
}

/// The wave the configuration gives an SOP object's kind.
pub fn configured_wave(config: &Config, obj: &Object) -> Option<i64> {
    match obj.spec {
        Spec::Secret(_) | Spec::SealedSecret(_) => Some(config.waves.secret),
        Spec::Cluster(_) => Some(config.waves.cluster),
        Spec::Database(_) => Some(config.waves.database),
        _ => None,
    }
}

impl<'p> Index<'p> {
    /// Files kustomizations read as patches or other inputs (not applied by themselves).
    fn inputs(&self) -> &HashSet<String> {
        self.inputs.get_or_init(|| {
            let graph = &self.project.kustomize;
            (0..graph.kustomizations.len())
                .flat_map(|k| graph.reach(k))
                .filter(|(_, role)| **role != PathRole::Resource)
                .map(|(path, _)| path.clone())
                .collect()
        })
    }

    /// Every folder that holds something (the repository root is "").
    pub fn folders(&self) -> &HashSet<String> {
        self.folders.get_or_init(|| {
            let mut folders = HashSet::default();
            folders.insert(String::new());
            for path in &self.project.paths {
                // Stops at the first folder already known: those above it are too.
                for dir in ancestors(path) {
                    if folders.contains(dir) {
                        break;
                    }
                    folders.insert(dir.to_string());
                }
            }
            folders
        })
    }

    /// Names of the files and folders directly in `folder`, sorted.
    fn siblings(&self, folder: &str) -> Vec<&'p str> {
        let mut names: Vec<&str> = self
            .project
            .paths
            .iter()
            .filter(|p| parent_dir(p) == folder)
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .collect();
        names.sort_unstable();
        names
    }

    /// The existing path a missing `resolved` path was probably meant to be: a file or folder in
    /// the same folder with a close name.
    pub fn closest_sibling(&self, resolved: &str) -> Option<&'p str> {
        let folder = parent_dir(resolved);
        let name = resolved.rsplit('/').next().unwrap_or(resolved);
        let suggestion = closest(name, self.siblings(folder))?;
        let path = if folder.is_empty() {
            suggestion.to_string()
        } else {
            format!("{folder}/{suggestion}")
        };
        self.project.paths.get(&path).map(String::as_str)
    }

    /// The files the KSOPS generators of the repository's kustomizations decrypt into their
    /// builds (see [`crate::model::Ksops`]): build inputs, listed in no `resources`.
    pub fn ksops_inputs(&self) -> HashSet<String> {
        let mut inputs = HashSet::default();
        let generators: Vec<(FileId, &crate::model::Ksops)> = self
            .project
            .objects
            .iter()
            .filter_map(|obj| match &obj.spec {
                Spec::Ksops(ksops) => Some((obj.file, &**ksops)),
                _ => None,
            })
            .collect();
        if generators.is_empty() {
            return inputs;
        }
        for k in &self.project.kustomize.kustomizations {
            for path in k.paths.iter().filter(|p| p.role == PathRole::Input) {
                let Some(file) = path
                    .resolved
                    .as_deref()
                    .and_then(|p| self.project.file_id(p))
                else {
                    continue;
                };
                let files = generators
                    .iter()
                    .filter(|(at, _)| *at == file)
                    .flat_map(|(_, ksops)| &ksops.files);
                inputs.extend(files.filter_map(|f| join(&k.dir, f.as_str())));
            }
        }
        inputs
    }

    /// Is this project object (a source object, not an instance) only a kustomize patch or
    /// other input of a build, applied by nothing?
    pub fn is_patch(&self, source: SourceId) -> bool {
        let path = self.project.path(self.project.object(source).file);
        self.inputs().contains(path) && self.deploy.placements(source).next().is_none()
    }

    /// Are two instances applied together, into the same cluster by the same sync? Instances
    /// of one deployment are; of two deployments (overlays for two clusters, two
    /// Applications) are not; one that no deployment applies is judged by its folder.
    pub fn applied_together(&self, a: InstanceId, b: InstanceId) -> bool {
        let (a, b) = (self.instance(a), self.instance(b));
        match (a.deployment, b.deployment) {
            (Some(x), Some(y)) => x == y,
            _ => {
                let folder = |i: &Instance<'_>| parent_dir(self.project.path(i.object.file));
                folder(a) == folder(b)
            }
        }
    }

    /// Every instance: each object as each deployment applies it, each object no deployment
    /// applies as written (kustomize patches and inputs excluded), generated objects last.
    /// Only the kinds the index knows are kept.
    fn collect_instances(
        project: &'p Project,
        deploy: &'p Deploy<'p>,
        inputs: &HashSet<String>,
    ) -> Vec<Instance<'p>> {
        let indexed = |obj: &Object| {
            !matches!(
                obj.spec,
                Spec::Other
                    | Spec::Application(_)
                    | Spec::ApplicationSet(_)
                    | Spec::FluxKustomization(_)
            )
        };
        let mut instances = Vec::new();
        for (id, obj) in project.sources() {
            if !indexed(obj) {
                continue;
            }
            let before = instances.len();
            instances.extend(deploy.placements(id).map(|(d, resource)| Instance {
                object: &resource.object,
                source: Some(id),
                deployment: Some(d),
            }));
            if instances.len() == before && !inputs.contains(project.path(obj.file)) {
                instances.push(Instance {
                    object: obj,
                    source: Some(id),
                    deployment: None,
                });
            }
        }
        for (d, deployment) in deploy.deployments.iter().enumerate() {
            let Ok(rendered) = &deployment.rendered else {
                continue;
            };
            instances.extend(
                rendered
                    .resources
                    .iter()
                    .filter(|r| r.source.is_none() && indexed(&r.object))
                    .map(|r| Instance {
                        object: &r.object,
                        source: None,
                        deployment: Some(d),
                    }),
            );
        }
        instances
    }

    pub fn build(project: &'p Project, config: &Config, deploy: &'p Deploy<'p>) -> Index<'p> {
        let mut index = Index {
            project,
            deploy,
            instances: Vec::new(),
            clusters: HashMap::default(),
            secrets: HashMap::default(),
            databases: Vec::new(),
            database_roles: Vec::new(),
            cluster_users: Vec::new(),
            secret_users: HashMap::default(),
            managed_roles: HashMap::default(),
            databases_by_cluster: HashMap::default(),
            credentials: Vec::new(),
            chains: Vec::new(),
            inputs: OnceLock::new(),
            folders: OnceLock::new(),
            secret_roles: HashMap::default(),
            mirrors: OnceLock::new(),
            replicator_allow_all: config.deploy.replicator_allow_all,
            replicator_exclude_namespaces: config.deploy.replicator_exclude_namespaces.clone(),
            used_namespaces: OnceLock::new(),
        };
        index.instances = Self::collect_instances(project, deploy, index.inputs());
        for at in 0..index.instances.len() {
            let id = InstanceId::new(at);
            let obj = index.instances[at].object;
            let name = obj.name();
            match &obj.spec {
                Spec::Cluster(cluster) => {
                    if let Some(name) = name {
                        index.clusters.entry(name).or_default().push(id);
                    }
                    let by_name = index.managed_roles.entry(id).or_default();
                    for role in &cluster.roles {
                        if let Some(name) = role.name_str() {
                            by_name.entry(name).or_insert(role);
                        }
                    }
                    for role in &cluster.roles {
                        if let Some(secret) = &role.password_secret {
                            index
                                .secret_users
                                .entry(secret.as_str())
                                .or_default()
                                .push((id, role));
                        }
                    }
                }
                Spec::Secret(_) => index.add_secret(name, SecretSource::Secret(id)),
                Spec::SealedSecret(_) => index.add_secret(name, SecretSource::Sealed(id)),
                Spec::ExternalSecret(external) => {
                    let target = external.target_name.as_deref().or(name);
                    index.add_secret(target, SecretSource::External(id));
                }
                Spec::Database(database) => {
                    index.databases.push(id);
                    if let Some(cluster) = &database.cluster {
                        index
                            .databases_by_cluster
                            .entry(cluster.as_str())
                            .or_default()
                            .push(id);
                    }
                }
                Spec::DatabaseRole(_) => index.database_roles.push(id),
                Spec::ClusterUser(_) => index.cluster_users.push(id),
                Spec::Application(_)
                | Spec::ApplicationSet(_)
                | Spec::FluxKustomization(_)
                | Spec::Ksops(_)
                | Spec::Other => {}
            }
        }
        index.credentials = index.find_credentials(config);
        index.chains = index.find_chains();
        index.secret_roles = index.find_secret_roles();
        index
    }

    fn add_secret(&mut self, name: Option<&'p str>, source: SecretSource) {
        if let Some(name) = name {
            self.secrets.entry(name).or_default().push(source);
        }
    }

    pub fn project(&self) -> &'p Project {
        self.project
    }

    /// The object of an instance, as its deployment applies it.
    pub fn object(&self, id: InstanceId) -> &'p Object {
        self.instances[id.index()].object
    }

    pub fn instance(&self, id: InstanceId) -> &Instance<'p> {
        &self.instances[id.index()]
    }

    /// Every instance with its id.
    pub fn instances(&self) -> impl ExactSizeIterator<Item = (InstanceId, &Instance<'p>)> {
        self.instances
            .iter()
            .enumerate()
            .map(|(at, instance)| (InstanceId::new(at), instance))
    }

    /// The instances of a source object.
    pub fn instances_of(&self, source: SourceId) -> impl Iterator<Item = InstanceId> + '_ {
        // Instances are in source order: a binary search finds the run.
        let start = self
            .instances
            .partition_point(|i| i.source.is_some_and(|s| s < source));
        (start..self.instances.len())
            .take_while(move |&i| self.instances[i].source == Some(source))
            .map(InstanceId::new)
    }

    /// An instance of one of `kinds` in `namespace` that its deployment renamed away from
    /// `written`, the name its file gives it (a kustomization's `namePrefix:`/`nameSuffix:`,
    /// a patch of `metadata.name`): the cause of a reference to `written` that finds nothing.
    pub fn renamed_from(
        &self,
        kinds: &[&str],
        written: &str,
        namespace: Option<&str>,
    ) -> Option<Renamed<'p>> {
        self.instances().find_map(|(id, instance)| {
            let object = instance.object;
            if !kinds.contains(&object.kind_str())
                || !same_namespace(object.namespace_str(), namespace)
            {
                return None;
            }
            let source = self.project.object(instance.source?);
            let before = source.meta.name.as_ref()?;
            let after = object.meta.name.as_ref()?;
            (before.value == written && after.value != written && after.loc != before.loc)
                .then_some(Renamed {
                    instance: id,
                    at: after.loc,
                    name: after.value.as_str(),
                })
        })
    }

    /// The patch that replaced the list at `field` (`spec.managed.roles`) of an instance whole:
    /// a custom resource's list patched with a `$patch` directive on an item, the cause of
    /// every item the list then lacks or holds as written.
    pub fn list_replaced(&self, instance: InstanceId, field: &str) -> Option<&'p ReplacedList> {
        let instance = self.instance(instance);
        let rendered = self.deploy.deployments[instance.deployment?]
            .rendered
            .as_ref()
            .ok()?;
        rendered
            .replaced_lists
            .iter()
            .find(|r| r.source.is_some() && r.source == instance.source && r.list.field == field)
    }

    /// The Secrets that the roles of a replaced `spec.managed.roles` named before the patch
    /// and that no role of the list as applied names: the replacement is why nothing uses
    /// them (for a list other than a Cluster's roles, none).
    pub fn secrets_unnamed_by(&self, replaced: &ReplacedList) -> Vec<InstanceId> {
        let Some(source) = replaced.source else {
            return Vec::new();
        };
        let secrets = |object: &'p Object| -> Vec<&'p str> {
            match &object.spec {
                Spec::Cluster(cluster) => cluster
                    .roles
                    .iter()
                    .filter_map(|r| r.password_secret.as_ref())
                    .map(|s| s.value.as_str())
                    .collect(),
                _ => Vec::new(),
            }
        };
        if replaced.list.field != "spec.managed.roles" {
            return Vec::new();
        }
        let mut unnamed = Vec::new();
        for instance in self.instances_of(source) {
            if self.list_replaced(instance, &replaced.list.field) != Some(replaced) {
                continue;
            }
            let applied = self.object(instance);
            let after = secrets(applied);
            for name in secrets(self.project.object(source)) {
                if after.contains(&name) {
                    continue;
                }
                for found in self.secret_sources(name, applied.namespace_str()) {
                    if !unnamed.contains(&found.object()) {
                        unnamed.push(found.object());
                    }
                }
            }
        }
        unnamed
    }

    /// Where a deployment's build is refused because the source object `object` is added a
    /// second time with one id (a file listed twice, two files holding one object): the list
    /// entry, the cause of everything else that sees the object twice.
    pub fn refused_as_duplicate(&self, object: SourceId) -> Option<Loc> {
        self.deploy.deployments.iter().find_map(|deployment| {
            let error = deployment.rendered.as_ref().err()?;
            (error.kind == crate::deploy::Refusal::DuplicateId && error.objects.contains(&object))
                .then_some(error.loc)
                .flatten()
        })
    }

    /// What the deployments apply, where.
    pub fn deploy(&self) -> &'p Deploy<'p> {
        self.deploy
    }

    /// Is the object in the SOP folder?
    fn in_sop_folder(&self, config: &Config, obj: &Object) -> bool {
        config.in_sop_folder(self.project.path(obj.file))
    }

    /// Every role and database name the repository declares (not references such as
    /// `spec.owner`), in object order; templated names are left out.
    pub fn declared_names(&self) -> Vec<(NameKind, &'p Spanned<String>)> {
        let mut names = Vec::new();
        for obj in &self.project.objects {
            match &obj.spec {
                Spec::Cluster(cluster) => {
                    names.extend(
                        cluster
                            .roles
                            .iter()
                            .filter_map(|r| r.name.as_ref())
                            .map(|n| (NameKind::ManagedRole, n)),
                    );
                }
                Spec::DatabaseRole(db_role) => names.extend(
                    db_role
                        .role
                        .name
                        .as_ref()
                        .map(|n| (NameKind::DatabaseRole, n)),
                ),
                Spec::Database(database) => {
                    names.extend(database.name.as_ref().map(|n| (NameKind::Database, n)))
                }
                _ => {}
            }
        }
        names.retain(|(_, n)| !is_unknowable(n.as_str()));
        names
    }

    /// Every sealed value that an earlier SealedSecret already holds (see
    /// [`RepeatedCiphertext`]): whether the copy decrypts where it is splits it between a
    /// value that cannot be read there and a password two Secrets share.
    pub fn repeated_ciphertexts(&self) -> Vec<RepeatedCiphertext<'p>> {
        let mut first: HashMap<crate::source::Digest, (SourceId, &'p SealedEntry)> =
            HashMap::default();
        let mut copies = Vec::new();
        for (id, obj) in self.project.sources() {
            let Spec::SealedSecret(sealed) = &obj.spec else {
                continue;
            };
            for entry in &sealed.encrypted {
                let Some(fingerprint) = entry.fingerprint else {
                    continue;
                };
                match first.get(&fingerprint) {
                    // The same value twice in one SealedSecret is one Secret's business.
                    Some(&original) if original.0 != id => {
                        // A label that cannot be known (templated) decides nothing.
                        let labels = (
                            self.project.object(original.0).sealed_label(),
                            obj.sealed_label(),
                        );
                        if let (Some(a), Some(b)) = labels {
                            copies.push(RepeatedCiphertext {
                                original,
                                copy: (id, entry),
                                labels: (a, b),
                            });
                        }
                    }
                    Some(_) => {}
                    None => {
                        first.insert(fingerprint, (id, entry));
                    }
                }
            }
        }
        copies
    }

    /// The secret names roles give under a misspelt `passwordSecret` (`passwordSecrets`), which
    /// the API server drops: each with the misspelt key (the one mistake) and the namespace.
    pub fn misspelt_secret_uses(&self) -> Vec<(Loc, &'p str, Option<&'p str>)> {
        let mut uses = Vec::new();
        for instance in &self.instances {
            let obj = instance.object;
            let roles: Vec<&Role> = match &obj.spec {
                Spec::Cluster(cluster) => cluster.roles.iter().collect(),
                Spec::DatabaseRole(db_role) => vec![&db_role.role],
                _ => continue,
            };
            for role in roles {
                if let Some(misspelt) = obj.misspelt(role.loc, "passwordSecret")
                    && let Some(name) = &misspelt.reference
                {
                    uses.push((misspelt.loc, name.as_str(), obj.namespace_str()));
                }
            }
        }
        uses
    }

    /// Every `passwordSecret` / bootstrap secret reference, in object order, whatever its value.
    pub fn secret_uses(&self) -> Vec<SecretUse<'p>> {
        let mut uses = Vec::new();
        for (id, instance) in self.instances() {
            let obj = instance.object;
            match &obj.spec {
                Spec::Cluster(cluster) => {
                    for role in &cluster.roles {
                        if let Some(name) = &role.password_secret {
                            uses.push(SecretUse {
                                instance: id,
                                name,
                                namespace: obj.namespace_str(),
                                cluster_name: obj.name(),
                                role_name: role.name_str(),
                                kind: UserKind::Managed(role),
                            });
                        }
                    }
                    if let Some(name) = &cluster.bootstrap.secret {
                        uses.push(SecretUse {
                            instance: id,
                            name,
                            namespace: obj.namespace_str(),
                            cluster_name: obj.name(),
                            role_name: Some(cluster.bootstrap.owner.as_str()),
                            kind: UserKind::Bootstrap,
                        });
                    }
                }
                Spec::DatabaseRole(db_role) => {
                    if let Some(name) = &db_role.role.password_secret {
                        uses.push(SecretUse {
                            instance: id,
                            name,
                            namespace: obj.namespace_str(),
                            cluster_name: db_role.cluster.as_ref().map(|c| c.as_str()),
                            role_name: db_role.role.name_str(),
                            kind: UserKind::DatabaseRole(&db_role.role),
                        });
                    }
                }
                _ => {}
            }
        }
        uses
    }

    /// References whose Secret must exist: a role that is to be present, whose password is not
    /// disabled (`role-password-conflict` owns that case), with a knowable name.
    pub fn checked_uses(&self) -> Vec<SecretUse<'p>> {
        self.secret_uses()
            .into_iter()
            .filter(|u| {
                let role = match u.kind {
                    UserKind::Managed(role) | UserKind::DatabaseRole(role) => Some(role),
                    UserKind::Bootstrap => None,
                };
                !is_unknowable(u.name.as_str())
                    && !u.namespace.is_some_and(is_unknowable)
                    && !role.is_some_and(|r| {
                        r.is_absent() || r.disable_password.as_ref().is_some_and(|d| d.value)
                    })
            })
            .collect()
    }

    /// The distinct role names whose password the Secret `name` in `namespace` is, in order
    /// of reference ([`Index::checked_uses`]). More than one: the Secret's single `username`
    /// can match only one of them (`role-username-mismatch`).
    pub fn roles_sharing_secret(&self, namespace: Option<&str>, name: &str) -> &[&'p str] {
        let map = &self.secret_roles;
        map.get(name)
            .and_then(|by_namespace| by_namespace.iter().find(|(ns, _)| *ns == namespace))
            .map_or(&[], |(_, roles)| roles.as_slice())
    }

    #[allow(clippy::type_complexity)]
    fn find_secret_roles(&self) -> HashMap<&'p str, Vec<(Option<&'p str>, Vec<&'p str>)>> {
        let mut map: HashMap<&'p str, Vec<(Option<&'p str>, Vec<&'p str>)>> = HashMap::default();
        for used in self.checked_uses() {
            let Some(role) = used.role_name else { continue };
            let by_namespace = map.entry(used.name.as_str()).or_default();
            let at = match by_namespace
                .iter()
                .position(|(ns, _)| *ns == used.namespace)
            {
                Some(at) => at,
                None => {
                    by_namespace.push((used.namespace, Vec::new()));
                    by_namespace.len() - 1
                }
            };
            let roles = &mut by_namespace[at].1;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        map
    }

    /// The Secret sources a reference resolves to; empty when the Secret does not exist.
    /// When some of the candidates are applied together with the reference (by its
    /// deployment, or from its folder when nothing is known to deploy them), only those: a
    /// namespace-less object of the same name elsewhere (another app's copy) is not the one
    /// CNPG reads.
    pub fn resolve_secret(&self, used: &SecretUse<'_>) -> Vec<SecretSource> {
        let mut sources = self.secret_sources(used.name.as_str(), used.namespace);
        sources.sort_by_key(|s| s.object());
        if sources.len() > 1 {
            let together: Vec<SecretSource> = sources
                .iter()
                .copied()
                .filter(|s| self.applied_together(used.instance, s.object()))
                .collect();
            if !together.is_empty() {
                return together;
            }
        }
        sources
    }

    /// Reads a chain of the SOP folder for its app names; `None` when its names tell nothing
    /// (templated, reserved or invalid, or no secret in the SOP folder).
    pub fn assess(&self, config: &Config, chain: &Chain<'p>) -> Option<Assessment<'p>> {
        let RoleOrigin::Managed(role) = chain.role else {
            return None;
        };
        let secret_name = chain.secret_name.as_str();
        let role_name = chain.role_name;
        let sop_secrets: Vec<InstanceId> = chain
            .secrets
            .iter()
            .map(|s| s.object())
            .filter(|&id| self.in_sop_folder(config, self.object(id)))
            .collect();
        // Templated names tell nothing; reserved or invalid role names are `name-*`'s.
        if sop_secrets.is_empty()
            || is_unknowable(secret_name)
            || is_unknowable(role_name)
            || reserved(NameKind::ManagedRole, role_name).is_some()
            || invalid(role_name).is_some()
        {
            return None;
        }
        let databases: Vec<(InstanceId, &Object)> = chain
            .databases
            .iter()
            .map(|&id| (id, self.object(id)))
            .filter(|(_, obj)| self.in_sop_folder(config, obj))
            .collect();
        let names: Vec<DatabaseNames<'_>> = databases
            .iter()
            .map(|(_, obj)| self.database_names(config, obj))
            .collect();
        if names.iter().any(|n| {
            [n.name_app, n.spec_name]
                .into_iter()
                .flatten()
                .any(is_unknowable)
        }) {
            return None;
        }
        // The secret's app: from its name, else from its file.
        let secret_app = app_of(secret_name, &config.naming.secret_suffix).or_else(|| {
            let files: Vec<&str> = sop_secrets
                .iter()
                .filter_map(|&id| {
                    let path = self.project.path(self.object(id).file);
                    file_app(path, &config.naming.sealed_file_suffix)
                })
                .collect();
            files
                .first()
                .copied()
                .filter(|f| files.iter().all(|g| same_app(f, g)))
        });
        Some(Assessment {
            role,
            secret_name,
            role_name,
            verdict: judge(secret_app, role_name, &names),
            sop_secrets,
            databases,
            names,
            secret_app,
        })
    }

    /// What a Database's own names say about its app.
    pub fn database_names(&self, config: &Config, obj: &'p Object) -> DatabaseNames<'p> {
        let Spec::Database(database) = &obj.spec else {
            return DatabaseNames::default();
        };
        DatabaseNames {
            name_app: obj
                .name()
                .and_then(|n| app_of(n, &config.naming.database_suffix)),
            file_app: file_app(
                self.project.path(obj.file),
                &config.naming.database_file_suffix,
            ),
            spec_name: database.name.as_ref().map(|n| n.as_str()),
        }
    }

    /// The copies of the Secret `namespace/name` that `by` fills from it: Secrets (or
    /// SealedSecret templates) annotated Reflector `reflects: <namespace>/<name>`, or
    /// kubernetes-replicator `replicate-from: <namespace>/<name>`.
    pub fn mirrors_of(&self, by: Copier, namespace: &str, name: &str) -> &[InstanceId] {
        let mirrors = self.mirrors.get_or_init(|| {
            let mut mirrors: HashMap<(Copier, String), Vec<InstanceId>> = HashMap::default();
            for (id, instance) in self.instances() {
                let Some(meta) = reflector::secret_meta(instance.object) else {
                    continue;
                };
                if let Some(annotation) = reflector::reflector(meta, reflector::REFLECTS) {
                    let value = annotation.value.as_str().trim();
                    if value.matches('/').count() == 1 {
                        let key = (Copier::Reflector, value.to_string());
                        mirrors.entry(key).or_default().push(id);
                    }
                }
                if let Some((namespace, name)) = replicator::replicate_from(meta) {
                    let key = (Copier::Replicator, format!("{namespace}/{name}"));
                    mirrors.entry(key).or_default().push(id);
                }
            }
            mirrors
        });
        mirrors
            .get(&(by, format!("{namespace}/{name}")))
            .map_or(&[], Vec::as_slice)
    }

    /// Is one of [`Index::mirrors_of`] in `target`?
    pub fn has_copy_in(&self, by: Copier, namespace: &str, name: &str, target: &str) -> bool {
        self.mirrors_of(by, namespace, name)
            .iter()
            .any(|&id| self.object(id).namespace_str() == Some(target))
    }

    /// Does kubernetes-replicator copy the Secret `namespace/name` (metadata `meta`) into
    /// `target`: pushed by its `replicate-to`, or pulled by a `replicate-from` copy in
    /// `target` that the source permits? Three-valued like [`reflector::Mirroring`].
    pub fn replicated_to(
        &self,
        meta: &Metadata,
        namespace: &str,
        name: &str,
        target: &str,
    ) -> Option<bool> {
        let pulled = if self.has_copy_in(Copier::Replicator, namespace, name, target) {
            replicator::permits(meta, target, self.replicator_allow_all)
        } else {
            Some(false)
        };
        let pushed =
            replicator::pushes_to(meta, namespace, target, &self.replicator_exclude_namespaces);
        match (pushed, pulled) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        }
    }

    /// Does the Secret `namespace/name` (metadata `meta`) reach `target`: a Reflector auto
    /// mirror, a manual Reflector mirror the source allows, or a kubernetes-replicator copy
    /// ([`Index::replicated_to`])? Three-valued like [`reflector::Mirroring`].
    pub fn copied_into(
        &self,
        meta: &Metadata,
        namespace: &str,
        name: &str,
        target: &str,
    ) -> Option<bool> {
        let m = reflector::Mirroring::of(meta);
        let auto = m.auto_reflects_to(target);
        if auto == Some(true) {
            return auto;
        }
        let manual = if self.has_copy_in(Copier::Reflector, namespace, name, target) {
            m.reflects_to(target)
        } else {
            Some(false)
        };
        let replicated = self.replicated_to(meta, namespace, name, target);
        match (auto, manual, replicated) {
            (_, Some(true), _) | (_, _, Some(true)) => Some(true),
            (Some(false), Some(false), Some(false)) => Some(false),
            _ => None,
        }
    }

    /// Does some manifest of the repository use `namespace`: an object in it, a `Namespace`
    /// of that name, or a deployment (kustomization, Argo CD destination, Flux target) that
    /// puts objects there?
    pub fn namespace_used(&self, namespace: &str) -> bool {
        let used = self.used_namespaces.get_or_init(|| {
            let mut used: HashSet<String> = HashSet::default();
            let add = |used: &mut HashSet<String>, obj: &Object| {
                if obj.kind_str() == "Namespace"
                    && let Some(name) = obj.name()
                {
                    add_name(used, name);
                }
                for ns in [
                    obj.namespace_str(),
                    obj.meta.namespace.as_ref().map(|n| n.as_str()),
                ]
                .into_iter()
                .flatten()
                {
                    add_name(used, ns);
                }
            };
            for obj in &self.project.objects {
                add(&mut used, obj);
            }
            for deployment in &self.deploy.deployments {
                for ns in [&deployment.forced_namespace, &deployment.default_namespace]
                    .into_iter()
                    .flatten()
                {
                    add_name(&mut used, ns.as_str());
                }
                if let Ok(rendered) = &deployment.rendered {
                    for resource in &rendered.resources {
                        add(&mut used, &resource.object);
                    }
                }
            }
            used
        });
        used.contains(namespace)
    }

    /// Secrets and SealedSecrets in the SOP folder: where the Reflector rules apply.
    pub fn sop_secrets<'a>(
        &'a self,
        config: &'a Config,
    ) -> impl Iterator<Item = (SourceId, &'p Object)> + 'a {
        self.project.sources().filter(move |(_, obj)| {
            matches!(obj.spec, Spec::Secret(_) | Spec::SealedSecret(_))
                && self.in_sop_folder(config, obj)
        })
    }

    /// Clusters named `name` that may share `namespace`.
    pub fn clusters_named(&self, name: &str, namespace: Option<&str>) -> Vec<InstanceId> {
        self.clusters
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&id| same_namespace(self.object(id).namespace_str(), namespace))
            .collect()
    }

    /// Every cluster with its object id.
    pub fn clusters(&self) -> impl Iterator<Item = (InstanceId, &'p Cluster)> + '_ {
        self.clusters
            .values()
            .flatten()
            .filter_map(|&id| match &self.object(id).spec {
                Spec::Cluster(c) => Some((id, &**c)),
                _ => None,
            })
    }

    /// Cluster names visible from `namespace`, for "did you mean" suggestions.
    pub fn cluster_names(&self, namespace: Option<&str>) -> Vec<&'p str> {
        let mut names: Vec<&str> = self
            .clusters
            .iter()
            .filter(|(_, ids)| {
                ids.iter()
                    .any(|&id| same_namespace(self.object(id).namespace_str(), namespace))
            })
            .map(|(&name, _)| name)
            .collect();
        names.sort_unstable();
        names
    }

    /// Whatever makes a Secret `name` exist in `namespace`.
    pub fn secret_sources(&self, name: &str, namespace: Option<&str>) -> Vec<SecretSource> {
        self.secrets
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|s| same_namespace(self.object(s.object()).namespace_str(), namespace))
            .collect()
    }

    /// Secret-like names visible from `namespace`, for suggestions.
    pub fn secret_names(&self, namespace: Option<&str>) -> Vec<&'p str> {
        let mut names: Vec<&str> = self
            .secrets
            .iter()
            .filter(|(_, s)| {
                s.iter()
                    .any(|s| same_namespace(self.object(s.object()).namespace_str(), namespace))
            })
            .map(|(&name, _)| name)
            .collect();
        names.sort_unstable();
        names
    }

    /// Cluster roles whose `passwordSecret` names `secret` in `namespace`.
    pub fn roles_using_secret(
        &self,
        secret: &str,
        namespace: Option<&str>,
    ) -> Vec<(InstanceId, &'p Role)> {
        self.secret_users
            .get(secret)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&(cluster, _)| same_namespace(self.object(cluster).namespace_str(), namespace))
            .collect()
    }

    pub fn databases(&self) -> impl Iterator<Item = (InstanceId, &'p Database)> + '_ {
        self.databases
            .iter()
            .filter_map(|&id| match &self.object(id).spec {
                Spec::Database(d) => Some((id, &**d)),
                _ => None,
            })
    }

    /// Poolers, Backups and ScheduledBackups, with the Cluster each names.
    pub fn cluster_users(&self) -> impl Iterator<Item = (InstanceId, &'p ClusterUser)> + '_ {
        self.cluster_users
            .iter()
            .filter_map(|&id| match &self.object(id).spec {
                Spec::ClusterUser(u) => Some((id, &**u)),
                _ => None,
            })
    }

    pub fn database_roles(&self) -> impl Iterator<Item = (InstanceId, &'p DatabaseRole)> + '_ {
        self.database_roles
            .iter()
            .filter_map(|&id| match &self.object(id).spec {
                Spec::DatabaseRole(r) => Some((id, &**r)),
                _ => None,
            })
    }

    /// Every Database owner reference, resolved to its clusters.
    pub fn owner_refs(&self) -> impl Iterator<Item = OwnerRef<'p>> + '_ {
        self.databases()
            .filter_map(|(id, database)| self.owner_ref(id, database))
    }

    fn owner_ref(&self, id: InstanceId, database: &'p Database) -> Option<OwnerRef<'p>> {
        let (owner, cluster_name) = (database.owner.as_ref()?, database.cluster.as_ref()?);
        if is_unknowable(owner.as_str()) || is_unknowable(cluster_name.as_str()) {
            return None;
        }
        let mut clusters = self.cluster_of(id, cluster_name.as_str());
        clusters.sort_unstable();
        Some(OwnerRef {
            database_id: id,
            database,
            owner,
            cluster_name,
            clusters,
        })
    }

    /// Every Database whose owner is no role of its cluster: not being dropped (`ensure:
    /// absent` uses no owner), on a cluster of the repository (else `cluster-missing`'s case),
    /// where no partly known deployment may declare the role; with the app's credentials
    /// secret that no role uses, when there is one ([`MissingOwner::unused_secret`]).
    pub fn missing_owners(&self, config: &Config) -> Vec<MissingOwner<'p>> {
        let mut missing: Vec<MissingOwner<'p>> = Vec::new();
        for owner in self.owner_refs() {
            if owner.database.is_absent() {
                continue;
            }
            let Some(&cluster) = owner.clusters.first() else {
                continue;
            };
            if owner
                .clusters
                .iter()
                .any(|&c| self.find_role(c, owner.owner.as_str()).is_some())
            {
                continue;
            }
            // A DatabaseRole that a Helm chart or remote base deploys may declare it.
            if self
                .deploy
                .may_hide_objects(self.object(cluster).namespace_str())
            {
                continue;
            }
            missing.push(MissingOwner {
                owner,
                cluster,
                unused_secret: None,
            });
        }
        if missing.is_empty() {
            return missing;
        }
        // The credentials secrets no role uses, by their app (`-` and `_` alike).
        let uses = self.secret_uses();
        let mut used: HashMap<&str, Vec<Option<&str>>> = HashMap::default();
        for u in &uses {
            used.entry(u.name.as_str()).or_default().push(u.namespace);
        }
        let mut unused: HashMap<String, Vec<InstanceId>> = HashMap::default();
        for &id in self.credentials() {
            let obj = self.object(id);
            let Some(name) = obj.name() else { continue };
            let Some(app) = app_of(name, &config.naming.secret_suffix) else {
                continue;
            };
            let named = used.get(name).is_some_and(|namespaces| {
                namespaces
                    .iter()
                    .any(|&ns| same_namespace(ns, obj.namespace_str()))
            });
            if !named && !is_unknowable(name) {
                unused
                    .entry(crate::model::apps::normalize(app))
                    .or_default()
                    .push(id);
            }
        }
        if unused.is_empty() {
            return missing;
        }
        for m in &mut missing {
            let namespace = self.object(m.cluster).namespace_str();
            let owner = crate::model::apps::normalize(m.owner.owner.as_str());
            // The owner's app: the owner itself or a prefix of it ending before a `_`.
            let prefixes = std::iter::once(owner.as_str()).chain(
                owner
                    .rmatch_indices('_')
                    .map(|(at, _)| &owner[..at])
                    .filter(|p| !p.is_empty()),
            );
            m.unused_secret = prefixes
                .filter_map(|app| unused.get(app))
                .flatten()
                .copied()
                .find(|&id| same_namespace(self.object(id).namespace_str(), namespace));
        }
        missing
    }

    /// The clusters a Database (or DatabaseRole) with this `spec.cluster.name` lands on.
    pub fn cluster_of(&self, object: InstanceId, cluster_name: &str) -> Vec<InstanceId> {
        self.clusters_named(cluster_name, self.object(object).namespace_str())
    }

    /// Finds the role `name` on a cluster, wherever it is declared.
    pub fn find_role(&self, cluster: InstanceId, name: &str) -> Option<RoleOrigin<'p>> {
        let Spec::Cluster(spec) = &self.object(cluster).spec else {
            return None;
        };
        if let Some(role) = self.managed_roles.get(&cluster).and_then(|r| r.get(name)) {
            return Some(RoleOrigin::Managed(role));
        }
        if let Some((id, db_role)) = self
            .database_roles_of(cluster)
            .find(|(_, r)| r.role.name_str() == Some(name))
        {
            return Some(RoleOrigin::DatabaseRole(id, &db_role.role));
        }
        (spec.bootstrap.owner == name).then_some(RoleOrigin::Bootstrap)
    }

    /// The roles an app logs in as to use the group role `name` of a cluster: its members
    /// (their `inRoles` lists it) that can log in with a password (`login: true`, a
    /// `passwordSecret`) and are not being dropped. Managed roles first, then DatabaseRoles,
    /// in declaration order. Whether a NOLOGIN owner is reachable, and whose settings decide
    /// that its app can connect, are both this one fact.
    pub fn login_members(&self, cluster: InstanceId, name: &str) -> Vec<&'p Role> {
        let Spec::Cluster(spec) = &self.object(cluster).spec else {
            return Vec::new();
        };
        spec.roles
            .iter()
            .chain(self.database_roles_of(cluster).map(|(_, r)| &r.role))
            .filter(|r| {
                r.is_member_of(name)
                    && r.can_login()
                    && !r.is_absent()
                    && r.password_secret.is_some()
            })
            .collect()
    }

    /// Every role name of a cluster (managed, DatabaseRole, bootstrap owner).
    pub fn role_names(&self, cluster: InstanceId) -> Vec<&'p str> {
        let Spec::Cluster(spec) = &self.object(cluster).spec else {
            return Vec::new();
        };
        let mut names: Vec<&str> = spec.roles.iter().filter_map(Role::name_str).collect();
        names.extend(
            self.database_roles_of(cluster)
                .filter_map(|(_, r)| r.role.name_str()),
        );
        names.push(spec.bootstrap.owner.as_str());
        names
    }

    pub fn database_roles_of(
        &self,
        cluster: InstanceId,
    ) -> impl Iterator<Item = (InstanceId, &'p DatabaseRole)> + '_ {
        let cluster_obj = self.object(cluster);
        self.database_roles().filter(move |(id, r)| {
            r.cluster.as_ref().map(|c| c.as_str()) == cluster_obj.name()
                && same_namespace(
                    self.object(*id).namespace_str(),
                    cluster_obj.namespace_str(),
                )
        })
    }

    /// Databases on a cluster.
    pub fn databases_on(
        &self,
        cluster: InstanceId,
    ) -> impl Iterator<Item = (InstanceId, &'p Database)> + '_ {
        let cluster_obj = self.object(cluster);
        self.databases().filter(move |(id, d)| {
            d.cluster.as_ref().map(|c| c.as_str()) == cluster_obj.name()
                && same_namespace(
                    self.object(*id).namespace_str(),
                    cluster_obj.namespace_str(),
                )
        })
    }

    /// Every secret → role → databases chain in the repository.
    pub fn chains(&self) -> &[Chain<'p>] {
        &self.chains
    }

    fn find_chains(&self) -> Vec<Chain<'p>> {
        let mut chains = Vec::new();
        for (cluster_id, cluster) in self.clusters() {
            let namespace = self.object(cluster_id).namespace_str();
            let mut by_owner: HashMap<&str, Vec<InstanceId>> = HashMap::default();
            for (id, database) in self.databases_on(cluster_id) {
                if let Some(owner) = &database.owner {
                    by_owner.entry(owner.as_str()).or_default().push(id);
                }
            }
            let owned_by = |role_name: &str| by_owner.get(role_name).cloned().unwrap_or_default();
            for role in &cluster.roles {
                let (Some(secret_name), Some(role_name)) = (&role.password_secret, role.name_str())
                else {
                    continue;
                };
                chains.push(Chain {
                    secret_name,
                    secrets: self.secret_sources(secret_name.as_str(), namespace),
                    cluster: cluster_id,
                    role: RoleOrigin::Managed(role),
                    role_name,
                    databases: owned_by(role_name),
                });
            }
            if let Some(secret_name) = &cluster.bootstrap.secret {
                let role_name = cluster.bootstrap.owner.as_str();
                chains.push(Chain {
                    secret_name,
                    secrets: self.secret_sources(secret_name.as_str(), namespace),
                    cluster: cluster_id,
                    role: RoleOrigin::Bootstrap,
                    role_name,
                    databases: owned_by(role_name),
                });
            }
        }
        chains.sort_by_key(|c| (c.cluster, c.secret_name.loc));
        chains
    }

    /// Credentials secrets: named by a role's `passwordSecret`, or in the SOP folder and named
    /// `<app>-db-creds` (the configured pattern) or carrying Reflector annotations.
    pub fn credentials(&self) -> &[InstanceId] {
        &self.credentials
    }

    fn find_credentials(&self, config: &Config) -> Vec<InstanceId> {
        self.instances()
            .map(|(id, i)| (id, i.object))
            .filter(|(_, obj)| {
                let meta = match &obj.spec {
                    Spec::Secret(_) => &obj.meta,
                    Spec::SealedSecret(sealed) => sealed.secret_meta().unwrap_or(&obj.meta),
                    _ => return false,
                };
                let name = obj.name().unwrap_or("");
                let named_by_role = !self
                    .roles_using_secret(name, obj.namespace_str())
                    .is_empty()
                    || self.clusters().any(|(id, c)| {
                        c.bootstrap.secret.as_ref().is_some_and(|s| s.value == name)
                            && same_namespace(self.object(id).namespace_str(), obj.namespace_str())
                    });
                let in_sop = config.in_sop_folder(self.project.path(obj.file));
                let reflected = meta
                    .annotations
                    .entries
                    .iter()
                    .chain(&obj.meta.annotations.entries)
                    .any(|a| a.key.value.starts_with(crate::model::REFLECTOR_PREFIX));
                named_by_role
                    || (in_sop
                        && (name.ends_with(config.naming.secret_suffix.as_str()) || reflected))
            })
            .map(|(id, _)| id)
            .collect()
    }
}

fn add_name(set: &mut HashSet<String>, name: &str) {
    if !set.contains(name) {
        set.insert(name.to_string());
    }
}

/// The Secret-side view of a Secret or SealedSecret.
pub enum SecretView<'p> {
    Secret(&'p Secret),
    Sealed(&'p SealedSecret),
}

impl<'p> SecretView<'p> {
    pub fn of(obj: &'p Object) -> Option<SecretView<'p>> {
        match &obj.spec {
            Spec::Secret(s) => Some(SecretView::Secret(s)),
            Spec::SealedSecret(s) => Some(SecretView::Sealed(s)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Index, InstanceId, operator_generated};
    use crate::config::Config;
    use crate::deploy::Deploy;
    use crate::model::SourceId;
    use crate::project::Project;

    /// Source objects and instances are numbered apart ([`SourceId`], [`InstanceId`]): two
    /// overlays applying one file make two instances of one source object, a Deployment (not
    /// indexed) makes none, so the two numberings diverge and only the accessors map them.
    #[test]
    fn source_and_instance_ids_are_mapped_by_the_accessors() {
        let db = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  owner: app\n  cluster:\n    name: pg\n";
        let files = [
            (
                "a.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
            ),
            ("base/db.yaml", db),
            ("base/kustomization.yaml", "resources:\n  - db.yaml\n"),
            (
                "one/kustomization.yaml",
                "namespace: one\nresources:\n  - ../base\n",
            ),
            (
                "two/kustomization.yaml",
                "namespace: two\nresources:\n  - ../base\n",
            ),
        ];
        let config = Config::default();
        let project = Project::from_texts(&files, &config);
        let deploy = Deploy::build(&project, &config);
        let index = Index::build(&project, &config, &deploy);
        let (source, _) = project
            .sources()
            .find(|(_, o)| o.kind_str() == "Database")
            .expect("the Database");
        assert_eq!(source, SourceId::new(1));
        let instances: Vec<InstanceId> = index.instances_of(source).collect();
        assert_eq!(instances.len(), 2, "one instance per overlay");
        let mut namespaces: Vec<&str> = instances
            .iter()
            .map(|&i| index.object(i).namespace_str().unwrap_or(""))
            .collect();
        namespaces.sort_unstable();
        assert_eq!(namespaces, ["one", "two"]);
        for &i in &instances {
            assert_eq!(index.instance(i).source, Some(source));
        }
        // The Database's first instance is the index's first: its number is not its source's.
        assert_eq!(instances[0].index(), 0);
        assert_ne!(instances[0].index(), source.index());
        assert_eq!(index.instances().len(), 2);
    }

    #[test]
    fn operator_secrets_are_cluster_scoped() {
        assert!(operator_generated(Some("pg"), "pg-app"));
        assert!(operator_generated(Some("pg"), "pg-superuser"));
        assert!(!operator_generated(Some("pg"), "pg-apps"));
        assert!(!operator_generated(Some("pg"), "other-app"));
        assert!(!operator_generated(None, "pg-app"));
    }
}
