use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::source::ancestors;

declare_rule! {
    /// ## What it does
    /// Warns about a Secret, SealedSecret, Cluster, Database or DatabaseRole that no deployment
    /// applies, in a repository that declares its deployments (Argo CD Applications or Flux
    /// Kustomizations): a file no `path` reaches, or that the kustomization there does not
    /// list.
    ///
    /// ## Why is this bad?
    /// Argo CD and Flux apply what their source path builds, nothing else. A new app's files
    /// put in a sub-folder that no kustomization lists, or next to a path no Application
    /// points at, look committed and reviewed, yet the role, the credentials or the database
    /// never reach the cluster. Where a deployment is only partly known (a Helm chart, a
    /// remote base), pglint cannot tell and stays quiet.
    ///
    /// ## Example
    /// ```yaml
    /// # argocd/databases.yaml applies infra/databases/postgres, whose kustomization lists
    /// # postgres-cluster.yaml and gitea-db.yaml only:
    /// # infra/databases/postgres/new-app/wiki-db.yaml is never applied
    /// kind: Database
    /// metadata:
    ///   name: wiki-db
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # infra/databases/postgres/kustomization.yaml
    /// resources:
    ///   - postgres-cluster.yaml
    ///   - gitea-db.yaml
    ///   - wiki-db.yaml
    /// ```
    ///
    /// ## How to fix
    /// Move the file into a folder a deployment applies and list it in that folder's
    /// kustomization, or point an Application or Flux Kustomization at its folder.
    pub struct NotDeployed {
        id: "not-deployed",
        group: "deployment",
        level: Warning,
        summary: "a SOP object is applied by no Argo CD Application or Flux Kustomization",
        // A file its folder's kustomization does not list: that finding says why.
        yields_to: [KustomizeUnlisted],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let deploy = cx.deploy();
    if !deploy.declared {
        return;
    }
    for (id, object) in cx.objects() {
        if !(object.is_sop_kind()
            || matches!(object.spec, crate::model::Spec::DatabaseRole(_)))
            || cx.index.is_patch(id)
            || deploy.is_applied(id) != Some(false)
        {
            continue;
        }
        let path = cx.path(object);
        let mut finding = Finding::new(
            object.anchor(),
            format!(
                "{} in `{path}` is applied by no Argo CD Application or Flux Kustomization",
                object.display_name()
            ),
        )
        .field(cx.project, object.anchor_path())
        .label("never applied")
        .rests_on_absence(&["Application", "ApplicationSet", "Kustomization"])
        .help("list the file in the kustomization of a folder a deployment applies, or deploy its folder");
        // The deployment whose folder is the nearest above this file.
        let nearest = ancestors(path).find_map(|dir| {
            deploy
                .deployments
                .iter()
                .find(|d| d.root == dir)
        });
        if let Some(deployment) = nearest {
            finding = finding.related(
                deployment.origin,
                format!("{} applies `{}`", deployment.name, crate::deploy::display_dir(&deployment.root)),
            );
        }
        out.push(finding);
    }
}
