use crate::diagnostic::Finding;
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns when a credentials Secret or SealedSecret or a CNPG `Database` is an Argo CD hook
    /// (`argocd.argoproj.io/hook`, or Helm's `helm.sh/hook`, which Argo CD maps to its own).
    /// A `Cluster` that is a hook is `cluster-hook`'s.
    ///
    /// ## Why is this bad?
    /// A hook is not a resource of its application: Argo CD runs it during a sync phase,
    /// shows no drift for it and, with the default `BeforeHookCreation` deletion policy,
    /// deletes and creates it again on every sync (gitops-engine `pkg/sync/hook`, Argo CD
    /// "Resource Hooks"). A SealedSecret deleted and recreated makes its Secret disappear for
    /// a moment (the controller owns it), and a Database deleted with
    /// `databaseReclaimPolicy: delete` drops its data. Order SOP objects with sync waves
    /// instead.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   annotations:
    ///     argocd.argoproj.io/hook: PreSync
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "0"
    /// ```
    ///
    /// ## How to fix
    /// Remove the hook annotation and give the object the SOP's sync wave.
    pub struct SyncHook {
        id: "sync-hook",
        group: "ordering",
        level: Warning,
        summary: "a credentials secret or Database is an Argo CD hook, recreated on every sync",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.objects() {
        if !matches!(
            obj.spec,
            Spec::Secret(_) | Spec::SealedSecret(_) | Spec::Database(_)
        ) {
            continue;
        }
        let Some(hook) = obj.argocd_hook() else {
            continue;
        };
        out.push(
            Finding::new(
                hook.key.loc,
                format!(
                    "{} is an Argo CD `{}` hook: not a resource of its application, deleted and created again on every sync",
                    obj.display_name(),
                    hook.value.value
                ),
            )
            .field(cx.project, format!("metadata.annotations.{}", hook.key.value))
            .label("a hook")
            .help(format!(
                "remove `{}` and order it with `argocd.argoproj.io/sync-wave` instead",
                hook.key.value
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    #[test]
    fn hooks_but_not_skip() {
        let db = |annotation: &str| {
            format!(
                "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: d\n  namespace: p\n  annotations:\n    {annotation}\nspec:\n  name: d\n  owner: o\n  cluster:\n    name: c\n"
            )
        };
        let hook = db("argocd.argoproj.io/hook: PreSync");
        let helm = db("helm.sh/hook: pre-install");
        let skip = db("argocd.argoproj.io/hook: Skip");
        assert_eq!(findings("sync-hook", &[("a.yaml", &hook)]).len(), 1);
        assert_eq!(findings("sync-hook", &[("a.yaml", &helm)]).len(), 1);
        assert!(findings("sync-hook", &[("a.yaml", &skip)]).is_empty());
    }
}
