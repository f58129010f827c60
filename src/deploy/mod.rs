//! Stage 4: what is applied. Deployments (kustomize builds, Argo CD Applications, Flux
//! Kustomizations, plain folders) and the instances they render, each value carrying the
//! location of the node that produced it: an instance's `namespace` set by a kustomization
//! is located at that kustomization's `namespace:` line, a patched owner at the patch line.

pub mod generate;
pub mod kustomize;
pub mod patch;
pub mod value;

use crate::hash::HashSet;
use crate::model::PathRole;
use crate::project::Project;
use crate::source::Loc;
pub use kustomize::{BuildError, Kustomize, Rendered, Resource, Unknown};

/// Something that applies objects to a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub kind: DeploymentKind,
    /// The node that declares it (the kustomization file; later, an Application).
    pub origin: Loc,
    /// The folder it builds, repository-relative.
    pub root: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentKind {
    /// A kustomization no other kustomization includes: what `kustomize build` is run on.
    KustomizeRoot,
}

impl DeploymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::KustomizeRoot => "kustomization",
        }
    }
}

/// The deployments of a repository.
pub fn deployments(project: &Project) -> Vec<Deployment> {
    let graph = &project.kustomize;
    let included: HashSet<&str> = graph
        .kustomizations
        .iter()
        .flat_map(|k| &k.paths)
        .filter(|p| p.role == PathRole::Resource)
        .filter_map(|p| p.resolved.as_deref())
        .collect();
    graph
        .kustomizations
        .iter()
        .filter(|k| !k.build.is_component && !included.contains(k.dir.as_str()))
        .map(|k| Deployment {
            kind: DeploymentKind::KustomizeRoot,
            origin: Loc {
                file: k.file,
                span: crate::source::Span::new(0, 0),
            },
            root: k.dir.clone(),
        })
        .collect()
}
