use crate::diagnostic::Finding;
use crate::edit::Fix;
use crate::edit::yaml::string;
use crate::model::{Object, metadata_key};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that every Secret, SealedSecret, Cluster and Database in the SOP folder lands in
    /// an explicit namespace: its own `metadata.namespace`, or the `namespace:` of the
    /// kustomization that applies it (kustomize overrides the objects' own namespace, so such
    /// an object is not missing one).
    ///
    /// ## Why is this bad?
    /// An object without a namespace goes wherever the tool applying it points: the Argo CD
    /// Application's destination namespace, or `default` with `kubectl apply`. CNPG only finds
    /// a Database's Cluster and a role's `passwordSecret` in the Cluster's own namespace, and
    /// a strict-scope SealedSecret can only be decrypted in the namespace it was sealed for,
    /// so one object in the wrong place breaks the whole chain without any error at apply
    /// time.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   namespace: postgres
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2"
    /// ```
    ///
    /// ## How to fix
    /// Add `namespace: postgres` (the configured namespace) to the object's `metadata`, or set
    /// `namespace: postgres` once in the SOP folder's `kustomization.yaml`.
    pub struct NamespaceMissing {
        id: "namespace-missing",
        group: "references",
        level: Error,
        summary: "an SOP object in the SOP folder has no namespace",
        fix: (Safe, "adds `namespace: <configured namespace>` after `metadata.name`"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let namespace = &cx.config.namespace;
    for (id, obj) in cx.objects() {
        // Without `metadata` there is no mapping to add the namespace to: the object itself
        // is invalid (see `manifest-invalid`).
        if !obj.is_sop_kind() || !cx.in_sop_folder(obj) || obj.meta.loc.is_none() {
            continue;
        }
        let (loc, field) = match obj.namespace() {
            None => (metadata_key(obj), "metadata"),
            Some(ns) if ns.value.trim().is_empty() => (ns.loc, "metadata.namespace"),
            Some(_) => continue,
        };
        // Applied only by deployments that give it a namespace (an Application's destination,
        // a Flux targetNamespace, an overlay's `namespace:`).
        let mut instances = cx.deploy().instances_of(id).peekable();
        if instances.peek().is_some()
            && instances.all(|(_, r)| r.object.namespace_str().is_some_and(|ns| !ns.trim().is_empty()))
        {
            continue;
        }
        out.push(
            Finding::new(loc, format!("{} has no namespace", obj.display_name()))
                .field(cx.project, field)
                .label("no `metadata.namespace`")
                .help(format!(
                    "add `namespace: {namespace}` to its `metadata`, or `namespace: {namespace}` to the folder's kustomization.yaml"
                ))
                .fix_opt(set_namespace(cx, obj, namespace)),
        );
    }
}

/// Writes the SOP namespace into the object's own `metadata` (replacing a blank one).
fn set_namespace(cx: &Context<'_>, obj: &Object, namespace: &str) -> Option<Fix> {
    let (yaml, root) = cx.object_yaml(obj)?;
    let metadata = root.get("metadata")?;
    let edit = match &obj.meta.namespace {
        // In the author's quoting, a comment after it kept.
        Some(_) => yaml.set_entry_string(metadata, "namespace", namespace)?,
        None => yaml.insert_after(metadata, "name", "namespace", &string(namespace))?,
    };
    Some(Fix::safe(
        format!("add `namespace: {namespace}`"),
        vec![edit],
    ))
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    const DB: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: gitea-db\nspec:\n  name: gitea\n";

    #[test]
    fn a_kustomization_namespace_counts() {
        let findings = run(
            &[
                (
                    "infra/databases/postgres/kustomization.yaml",
                    "namespace: postgres\nresources:\n  - db.yaml\n",
                ),
                ("infra/databases/postgres/db.yaml", DB),
            ],
            check,
        );
        assert_eq!(findings, Vec::<String>::new());
    }

    #[test]
    fn only_sop_objects_in_the_sop_folder() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
        let empty = DB.replace(
            "  name: gitea-db\n",
            "  name: gitea-db\n  namespace: \"\"\n",
        );
        let findings = run(
            &[
                ("infra/databases/postgres/db.yaml", DB),
                ("infra/databases/postgres/empty.yaml", &empty),
                ("infra/databases/postgres/web.yaml", deployment),
                ("apps/gitea/db.yaml", DB),
            ],
            check,
        );
        assert_eq!(
            findings,
            [
                "infra/databases/postgres/db.yaml:3:1 Database `gitea-db` has no namespace",
                "infra/databases/postgres/empty.yaml:5:14 Database `gitea-db` has no namespace",
            ]
        );
    }
}
