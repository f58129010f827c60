use crate::diagnostic::Finding;
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Reports a CNPG `Cluster` that is an Argo CD hook (`argocd.argoproj.io/hook`, or Helm's
    /// `helm.sh/hook`).
    ///
    /// ## Why is this bad?
    /// With the default `BeforeHookCreation` deletion policy, Argo CD deletes a hook and
    /// creates it again on every sync (gitops-engine `pkg/sync/hook`, Argo CD "Resource
    /// Hooks"). CNPG makes the Cluster the owner of its PersistentVolumeClaims, so they are
    /// garbage-collected with it (users report the PVCs and volumes going with a deleted
    /// Cluster, cloudnative-pg discussion #4278): every sync would start an empty database
    /// server, and every app's data would be gone.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   annotations:
    ///     argocd.argoproj.io/hook: Sync
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "1"
    /// ```
    ///
    /// ## How to fix
    /// Remove the hook annotation (before the next sync) and order the Cluster with
    /// `argocd.argoproj.io/sync-wave`.
    pub struct ClusterHook {
        id: "cluster-hook",
        group: "ordering",
        level: Error,
        summary: "a Cluster is an Argo CD hook: deleted with its volumes and recreated on every sync",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.objects() {
        if !matches!(obj.spec, Spec::Cluster(_)) {
            continue;
        }
        let Some(hook) = obj.argocd_hook() else {
            continue;
        };
        out.push(
            Finding::new(
                hook.key.loc,
                format!(
                    "{} is an Argo CD `{}` hook: it is deleted, with its volumes, and created again on every sync",
                    obj.display_name(),
                    hook.value.value
                ),
            )
            .field(cx.project, format!("metadata.annotations.{}", hook.key.value))
            .label("a hook")
            .help(format!(
                "remove `{}` now and order the Cluster with `argocd.argoproj.io/sync-wave`",
                hook.key.value
            )),
        );
    }
}
