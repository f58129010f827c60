use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::schema::ViolationKind;

declare_rule! {
    /// ## What it does
    /// Validates every applied object of a kind pglint embeds the CRD of (CNPG `Cluster`,
    /// `Database`, `DatabaseRole`, `Pooler`, `Backup`, `ScheduledBackup`; `SealedSecret`; Argo
    /// CD `Application`, `ApplicationSet`, `AppProject`; Flux `Kustomization`, `GitRepository`),
    /// and of the built-in `v1` `Secret`, `ConfigMap` and `Namespace` (the Kubernetes OpenAPI,
    /// `schemas/kubernetes/PROVENANCE`: a Secret's `data` is base64, `stringData` a map of
    /// strings), against its schema as the API server does: types (int-or-string
    /// included), `required`, `enum`, `format` (`date-time`, `byte`), `pattern` (quantities
    /// such as `512Mi`), `minimum`/`maximum`, lengths and item counts. The object is checked
    /// as rendered, so a value a kustomize patch introduced is reported at the patch's line.
    /// The message is the API server's (kube-openapi's wording) with the field path it prints.
    /// The schemas are the upstream files, verbatim (`schemas/crds/PROVENANCE`); values that
    /// only exist after Flux or Helm substitution are not judged.
    ///
    /// ## Why is this bad?
    /// The API server refuses the object, whichever deployer applies it: the Argo CD sync wave
    /// fails and every wave after it waits (the Databases of every app, not only this one), a
    /// Flux Kustomization stops at its dry run.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    /// spec:
    ///   instances: three
    ///   primaryUpdateStrategy: sometimes
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    /// spec:
    ///   instances: 3
    ///   primaryUpdateStrategy: unsupervised
    /// ```
    ///
    /// ## How to fix
    /// Give the field a value of the type and form the message names (`kubectl explain
    /// cluster.spec.instances` shows the field's schema), or add the required field.
    pub struct SchemaInvalid {
        id: "schema-invalid",
        group: "schema",
        level: Error,
        summary: "the API server refuses an object by its CRD schema: a wrong type, a missing required field, a value outside its enum, format, pattern or bounds",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for applied in crate::schema::applied(cx.objects(), cx.deploy()) {
        let violation = applied.violation;
        if !matches!(
            violation.kind,
            ViolationKind::Invalid | ViolationKind::Required | ViolationKind::Unserved
        ) {
            continue;
        }
        let help = match &violation.suggestion {
            Some(version) if violation.kind == ViolationKind::Unserved => {
                format!("use `apiVersion: {version}`")
            }
            Some(value) => format!("did you mean `{value}`?"),
            None => format!(
                "`kubectl explain {}` shows what the schema accepts",
                explain_path(applied.object.kind_str(), &violation.path)
            ),
        };
        out.push(
            Finding::new(
                violation.loc,
                format!("{}: {}", applied.object.display_name(), violation.message),
            )
            .field(cx.project, applied.object.subject_path(&violation.path))
            .label("refused by the schema")
            .help(help),
        );
    }
}

/// `kubectl explain`'s argument for a field path: `cluster.spec.managed.roles.login`.
pub(crate) fn explain_path(kind: &str, path: &str) -> String {
    let mut out = kind.to_ascii_lowercase();
    for part in path.split('.') {
        let name = part.split('[').next().unwrap_or(part);
        if !name.is_empty() {
            out.push('.');
            out.push_str(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    #[test]
    fn refused_values_at_their_nodes() {
        let database = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  name: app\n  owner: app\n  cluster:\n    name: pg\n  connectionLimit: lots\n  ensure: gone\n";
        assert_eq!(
            findings("schema-invalid", &[("d.yaml", database)]),
            [
                "d.yaml:10 Database `db`: `spec.connectionLimit` in body must be of type integer: \"string\"",
                "d.yaml:11 Database `db`: `spec.ensure`: Unsupported value: \"gone\": supported values: \"present\", \"absent\"",
            ]
        );
    }

    #[test]
    fn templated_values_are_not_judged() {
        let database = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  name: app\n  owner: app\n  cluster:\n    name: pg\n  connectionLimit: ${LIMIT}\n";
        assert!(findings("schema-invalid", &[("d.yaml", database)]).is_empty());
    }
}
