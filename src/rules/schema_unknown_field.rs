use crate::deploy::DeploymentKind;
use crate::diagnostic::Finding;
use crate::model::Spec;
use crate::rules::Context;
use crate::schema::ViolationKind;

declare_rule! {
    /// ## What it does
    /// Reports a field the object's CRD schema does not declare (at the top level, nested, or
    /// in a list item), with the closest declared name, for every applied object of a kind
    /// pglint embeds the CRD of (see `schema-invalid`). Maps the schema leaves open
    /// (`x-kubernetes-preserve-unknown-fields`, `additionalProperties`, embedded resources)
    /// accept any key.
    ///
    /// ## Why is this bad?
    /// What happens depends on the deployer, and neither outcome is what was written:
    /// - Argo CD's default client-side apply sends no `fieldValidation` (gitops-engine,
    ///   `pkg/utils/kube/resource_ops.go`, `newApplyOptions` never sets the apply options'
    ///   `ValidationDirective`), so the API server applies its default, `Warn`: it prunes the
    ///   field, returns a warning, and the sync succeeds. The setting is silently lost: a
    ///   misspelled `instancess: 3` leaves `instances` at its default.
    /// - Argo CD with `ServerSideApply=true`, and Flux (kustomize-controller applies
    ///   server-side), are refused: `field not declared in schema`, and the sync fails.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    /// spec:
    ///   name: gitea
    ///   ownr: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Fix the spelling (the help names the closest declared field), move the field to where
    /// the schema declares it, or remove it.
    pub struct SchemaUnknownField {
        id: "schema-unknown-field",
        group: "schema",
        level: Error,
        summary: "an object sets a field its CRD schema does not declare: pruned with a warning by client-side apply, refused by server-side apply",
        yields_to: [PatchListReplaced],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for applied in crate::schema::applied(cx.objects(), cx.deploy()) {
        let violation = applied.violation;
        if violation.kind != ViolationKind::UnknownField {
            continue;
        }
        let consequence = match applied.deployment {
            Some(DeploymentKind::Flux) => {
                "Flux applies server-side: the API server refuses it (field not declared in schema)"
            }
            Some(DeploymentKind::Application) => {
                "Argo CD's client-side apply prunes it with a warning and syncs without it; with `ServerSideApply=true` the sync is refused"
            }
            _ => {
                "`kubectl apply` prunes it with a warning; server-side apply refuses it"
            }
        };
        let mut help = match &violation.suggestion {
            Some(name) => format!("did you mean `{name}`?"),
            None => "remove it, or move it to where the schema declares it".to_string(),
        };
        // A misspelt `data`/`stringData` of a Secret: what it holds never reaches the
        // cluster, yet it is committed in clear.
        let in_clear = matches!(applied.object.spec, Spec::Secret(_))
            && !violation.path.contains('.')
            && crate::model::is_secret_field(&violation.path);
        let mut message = format!(
            "{}: {}: {consequence}",
            applied.object.display_name(),
            violation.message
        );
        if in_clear {
            message.push_str(", and its values are committed in clear");
            help.push_str(" Then seal the Secret (`kubeseal --cert …`) and commit the SealedSecret instead");
        }
        out.push(
            Finding::new(violation.loc, message)
            .field(cx.project, applied.object.subject_path(&violation.path))
            .label("not in the schema")
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    #[test]
    fn top_level_nested_and_list_items() {
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  instancess: 3\n  storage:\n    size: 1Gi\n    sise: 2Gi\n  managed:\n    roles:\n      - name: app\n        logn: true\n  inheritedMetadata:\n    labels:\n      anything: goes\n";
        let found = findings("schema-unknown-field", &[("c.yaml", cluster)]);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("c.yaml:6 Cluster `pg`: unknown field \"spec.instancess\""));
        assert!(found[1].starts_with("c.yaml:9 Cluster `pg`: unknown field \"spec.storage.sise\""));
        assert!(found[2].starts_with(
            "c.yaml:13 Cluster `pg`: unknown field \"spec.managed.roles[0].logn\""
        ));
    }
}
