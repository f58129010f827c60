use crate::deploy::{Deploy, DeploymentId, DeploymentKind};
use crate::diagnostic::Finding;
use crate::hash::HashSet;
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns when a Flux `Kustomization` applies CNPG `Database`s but does not depend (through
    /// `spec.dependsOn`, directly or not) on the Kustomization that applies their `Cluster`.
    ///
    /// ## Why is this bad?
    /// Flux has no sync waves: Argo CD's `argocd.argoproj.io/sync-wave` annotations mean
    /// nothing to it. Kustomizations are reconciled independently, and only `dependsOn` makes
    /// one wait until another is ready (kustomize-controller `checkDependencies`). Without it,
    /// the Databases may be applied before their Cluster exists: CNPG then reports the
    /// Database as not applied and retries, and a first bootstrap of a cluster flaps until
    /// both happen to be in place.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata:
    ///   name: app-databases
    /// spec:
    ///   path: ./databases      # Databases of cluster `postgres-shared`
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: kustomize.toolkit.fluxcd.io/v1
    /// kind: Kustomization
    /// metadata:
    ///   name: app-databases
    /// spec:
    ///   path: ./databases
    ///   dependsOn:
    ///     - name: postgres-cluster   # the Kustomization applying postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Add the Kustomization that applies the Cluster to `spec.dependsOn` (it then waits for
    /// that Kustomization to be ready, health checks included).
    pub struct FluxDependsOnCluster {
        id: "flux-depends-on-cluster",
        group: "ordering",
        level: Warning,
        summary: "a Flux Kustomization applies Databases without depending on the one that applies their Cluster",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let deploy = cx.deploy();
    for (d, deployment) in deploy.deployments.iter().enumerate() {
        if deployment.kind != DeploymentKind::Flux {
            continue;
        }
        let Ok(rendered) = &deployment.rendered else {
            continue;
        };
        let mut reported = HashSet::default();
        for resource in &rendered.resources {
            let Spec::Database(database) = &resource.object.spec else {
                continue;
            };
            let Some(cluster) = &database.cluster else {
                continue;
            };
            let namespace = resource.object.namespace_str();
            let appliers = cluster_appliers(deploy, cluster.as_str(), namespace);
            if appliers.is_empty() || appliers.contains(&d) {
                continue;
            }
            let needed = appliers[0];
            if depends_on(cx, d, &appliers) || !reported.insert(needed) {
                continue;
            }
            let other = &deploy.deployments[needed];
            out.push(
                Finding::new(
                    deployment.origin,
                    format!(
                        "{} applies Database `{}` on cluster `{}` but does not depend on {}, which applies that Cluster",
                        deployment.name,
                        resource.object.name().unwrap_or("<unnamed>"),
                        cluster.value,
                        other.name
                    ),
                )
                .field(cx.project, "spec.path")
                .label("no dependsOn the Cluster's Kustomization")
                .related(other.origin, "applies the Cluster")
                .help(format!(
                    "add `{}` to `spec.dependsOn`",
                    flux_name(cx, needed).unwrap_or("<unnamed>")
                )),
            );
        }
    }
}

/// The Flux deployments applying a Cluster of this name in this namespace.
fn cluster_appliers(deploy: &Deploy<'_>, name: &str, namespace: Option<&str>) -> Vec<DeploymentId> {
    deploy
        .deployments
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == DeploymentKind::Flux)
        .filter(|(_, d)| {
            d.rendered.as_ref().is_ok_and(|r| {
                r.resources.iter().any(|res| {
                    matches!(res.object.spec, Spec::Cluster(_))
                        && res.object.name() == Some(name)
                        && res.object.namespace_str() == namespace
                })
            })
        })
        .map(|(i, _)| i)
        .collect()
}

/// Does deployment `from` wait, through `dependsOn` chains, for one of `targets`? Flux names a
/// dependency by its Kustomization's name.
fn depends_on(cx: &Context<'_>, from: DeploymentId, targets: &[DeploymentId]) -> bool {
    let deploy = cx.deploy();
    let target_names: Vec<&str> = targets.iter().filter_map(|&t| flux_name(cx, t)).collect();
    let mut seen = HashSet::default();
    let mut stack = vec![from];
    while let Some(d) = stack.pop() {
        if !seen.insert(d) {
            continue;
        }
        for dependency in &deploy.deployments[d].depends_on {
            if target_names.contains(&dependency.as_str()) {
                return true;
            }
            stack.extend(
                (0..deploy.deployments.len())
                    .filter(|&other| flux_name(cx, other) == Some(dependency.as_str())),
            );
        }
    }
    false
}

/// The name of the Flux Kustomization behind a deployment.
fn flux_name<'p>(cx: &Context<'p>, deployment: DeploymentId) -> Option<&'p str> {
    let deployment = &cx.deploy().deployments[deployment];
    if deployment.kind != DeploymentKind::Flux {
        return None;
    }
    cx.project.object(deployment.declared_by?).name()
}
