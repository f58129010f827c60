use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Reports a strategic-merge patch that puts a `$patch: delete` (or `replace`) directive on
    /// an item of a list of a custom resource (a CNPG Cluster's `spec.managed.roles`, a
    /// Database's `spec.extensions`, …), at that directive.
    ///
    /// kustomize merges list items by key only where the Kubernetes OpenAPI schema it embeds
    /// gives the list a merge key (`x-kubernetes-patch-merge-key`: a Deployment's containers,
    /// env, volumes, …). A custom resource has no schema there, so kustomize replaces its whole
    /// list with the patch's list and keeps the directive item as written (kyaml
    /// `yaml/walk/walk.go` `Walk` → `schema.IsAssociative` is false without a schema;
    /// `yaml/merge2/merge2.go` `Merger.VisitList` returns the patch's list for a
    /// `NonAssociateList`; checked with `kubectl kustomize`). The credentials Secrets that
    /// only the lost roles named are listed with it (not reported again as unreferenced).
    ///
    /// ## Why is this bad?
    /// The build succeeds, but it does the opposite of what the patch says: every other item
    /// of the list is gone, and the item meant to be deleted is the only one left (the API
    /// server prunes the unknown `$patch` field). For `spec.managed.roles` that leaves one
    /// role managed and stops CNPG from managing all the others, and the role meant to go
    /// stays.
    ///
    /// ## Example
    /// ```yaml
    /// # overlay/kustomization.yaml
    /// patches:
    ///   - target: {kind: Cluster, name: postgres-shared}
    ///     patch: |
    ///       apiVersion: postgresql.cnpg.io/v1
    ///       kind: Cluster
    ///       metadata: {name: postgres-shared}
    ///       spec:
    ///         managed:
    ///           roles:
    ///             - name: gitea
    ///               $patch: delete
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # remove the item by its index with a JSON 6902 patch (or mark the role absent)
    /// patches:
    ///   - target: {kind: Cluster, name: postgres-shared}
    ///     patch: |
    ///       - op: remove
    ///         path: /spec/managed/roles/0
    /// ```
    ///
    /// ## How to fix
    /// Use a JSON 6902 `remove` (or `replace`) operation on the item's index, or write the
    /// whole list in the patch without directives, or, for a managed role, keep the item and
    /// set `ensure: absent`.
    pub struct PatchListReplaced {
        id: "patch-list-replaced",
        group: "kustomize",
        level: Error,
        summary: "a `$patch` directive on an item of a custom resource's list makes kustomize replace the whole list",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // One finding per directive, however many deployments build the patch.
    let mut seen: Vec<Loc> = Vec::new();
    for deployment in &cx.deploy().deployments {
        let Ok(rendered) = &deployment.rendered else {
            continue;
        };
        for replaced in &rendered.replaced_lists {
            let list = &replaced.list;
            if seen.contains(&list.directive) {
                continue;
            }
            seen.push(list.directive);
            let lost = match list.lost {
                0 => "the list was empty".to_string(),
                1 => "its 1 item is lost".to_string(),
                n => format!("its {n} items are lost"),
            };
            let mut finding = Finding::new(
                    list.directive,
                    format!(
                        "{} has no merge keys for `{}`, so kustomize replaces the whole list with the patch's and keeps this item, `$patch` included: {lost}",
                        replaced.object, list.field
                    ),
                )
                .field(cx.project, list.field.clone())
                .label("kept as written, not applied")
                .related(replaced.patch, "the patch")
                .help("remove the item with a JSON 6902 `remove` operation on its index, or write the whole list in the patch (a managed role can stay and get `ensure: absent`)");
            // The credentials only the lost roles named: unused because of this replacement.
            for secret in cx.index.secrets_unnamed_by(replaced) {
                let secret = cx.index.object(secret);
                finding = finding.related(
                    secret.anchor(),
                    format!(
                        "{} `{}` was named by a role the replaced list lost",
                        secret.kind_str(),
                        secret.name().unwrap_or("<unnamed>")
                    ),
                );
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    #[test]
    fn a_directive_on_a_custom_resource_list_item() {
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: pg}\nspec:\n  instances: 1\n  managed:\n    roles:\n      - {name: a, login: true}\n      - {name: b, login: true}\n";
        let patch = "patches:\n  - target: {kind: Cluster}\n    patch: |\n      apiVersion: postgresql.cnpg.io/v1\n      kind: Cluster\n      metadata: {name: pg}\n      spec:\n        managed:\n          roles:\n            - name: b\n              $patch: delete\n";
        let found = run(
            &[
                ("k/kustomization.yaml", &format!("resources: [c.yaml]\n{patch}")),
                ("k/c.yaml", cluster),
            ],
            check,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("spec.managed.roles"), "{found:?}");
        assert!(found[0].contains("its 2 items are lost"), "{found:?}");
        // A built-in kind merges by key: no finding.
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n";
        let found = run(
            &[
                (
                    "k/kustomization.yaml",
                    "resources: [d.yaml]\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: d}\n      spec:\n        template:\n          spec:\n            containers:\n              - {name: a, $patch: delete}\n",
                ),
                ("k/d.yaml", deployment),
            ],
            check,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
