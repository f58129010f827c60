use crate::diagnostic::Finding;
use crate::model::{Object, ShapeKind, Spec, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks what no schema can: each of the four SOP kinds (`v1 Secret`,
    /// `bitnami.com SealedSecret`, CNPG `Cluster` and `Database`) needs `apiVersion`, `kind`
    /// and `metadata.name` (a Secret may use `metadata.generateName` instead), and an
    /// `apiVersion` whose group has the kind at all (a version the kind's schema does not
    /// serve is `schema-invalid`'s). Every other field is the schema's (the embedded CRDs and
    /// the Kubernetes OpenAPI: `schema-invalid`, `schema-unknown-field`); what stays here is
    /// what a schema cannot express:
    /// - the object's `metadata` (`name`, `labels`, `annotations`), which the API server
    ///   judges with its generic ObjectMeta code, not the kind's schema;
    /// - in an object a deployment builds with kustomize, a boolean field must be `true` or
    ///   `false`: kustomize reads YAML 1.2 (kyaml, go-yaml v3), where `on`, `yes` or `y` are
    ///   strings, and writes them quoted, so the API server gets `"on"` for a boolean (checked
    ///   with `kubectl kustomize`, kustomize v5.5.0); the schema, which reads the file as
    ///   Kubernetes does (YAML 1.1), cannot see that;
    /// - the type of a field pglint reads in an object no schema judges (it has no
    ///   `apiVersion`, or one its kind's schema does not serve).
    /// Values that only exist after Flux or Helm substitution are not judged.
    ///
    /// ## Why is this bad?
    /// The API server rejects an object without `apiVersion`, `kind` or name, at a version it
    /// does not serve, or with a field of the wrong type, so the Argo CD sync fails and the
    /// waves after it are not applied.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
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
    /// ```
    ///
    /// ## How to fix
    /// Follow the help: add the missing field, fix the spelling of an unknown field, or give
    /// the value the type the CRD expects (`kubectl explain database.spec` shows it).
    pub struct ManifestInvalid {
        id: "manifest-invalid",
        group: "parsing",
        level: Error,
        summary: "an SOP object lacks apiVersion, kind or name, names an unserved apiVersion, or has a field of the wrong type that no embedded schema judges",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (id, obj) in cx.objects() {
        if !obj.is_sop_kind() {
            continue;
        }
        let mentions = |field: &str| {
            obj.shape_problems
                .iter()
                .any(|p| p.message.starts_with(&format!("`{field}` ")))
        };
        if obj.api_version.is_none() && !mentions("apiVersion") {
            out.push(
                Finding::new(
                    obj.kind_name.as_ref().map_or(obj.loc, |k| k.loc),
                    format!("{} has no `apiVersion`", obj.kind_str()),
                )
                .field(cx.project, "kind")
                .label("no apiVersion")
                .help(format!("add `apiVersion: {}`", api_version_of(obj))),
            );
        }
        // A version the kind's schema does not serve is the schema's finding (schema-invalid).
        if let Some(api_version) = &obj.api_version
            && api_version.value != api_version_of(obj)
            && !is_unknowable(api_version.as_str())
            && !cx
                .project
                .schemas
                .defines(api_version.as_str(), obj.kind_str())
        {
            out.push(
                Finding::new(
                    api_version.loc,
                    format!(
                        "{} has `apiVersion: {}`, which the API server does not serve",
                        obj.kind_str(),
                        api_version.value
                    ),
                )
                .field(cx.project, "apiVersion")
                .label("unknown version")
                .help(format!("use `apiVersion: {}`", api_version_of(obj))),
            );
        }
        let named = obj.meta.name.is_some()
            || (matches!(obj.spec, Spec::Secret(_)) && obj.meta.generate_name.is_some());
        if !named && !mentions("metadata.name") && !mentions("metadata") {
            let (loc, field) = match (obj.meta.loc, &obj.kind_name) {
                (Some(meta), _) => (meta, "metadata"),
                (None, Some(kind)) => (kind.loc, "kind"),
                (None, None) => (obj.loc, ""),
            };
            let why = match obj.spec {
                Spec::SealedSecret(_) => {
                    "the controller names the Secret after it and decrypts with the name"
                }
                Spec::Secret(_) => "Argo CD and `kubectl apply` address every object by name",
                _ => "CNPG objects are addressed by name",
            };
            out.push(
                Finding::new(loc, format!("{} has no `metadata.name`", obj.kind_str()))
                    .field(cx.project, field)
                    .label("no name")
                    .help(format!("add `metadata.name`: {why}")),
            );
        }
        // The CRD schema judges the fields of a kind it covers (`schema-invalid`,
        // `schema-unknown-field`); what it cannot see stays here: a YAML 1.1 boolean that only
        // kustomize's re-serialisation turns into a string.
        // The object's own metadata is the API server's generic ObjectMeta, not the schema's.
        let covered = cx.project.schemas.covers(obj);
        let in_metadata = |loc: crate::source::Loc| {
            obj.meta.loc.is_some_and(|meta| {
                meta.file == loc.file
                    && meta.span.start() <= loc.span.start()
                    && loc.span.end() <= meta.span.end()
            })
        };
        for problem in &obj.shape_problems {
            if (covered && !problem.after_kustomize && !in_metadata(problem.loc))
                || problem.kind == ShapeKind::StringMapValue
                || problem.templated
                || (problem.after_kustomize && !cx.deploy().built_by_kustomize(id))
            {
                continue;
            }
            out.push(
                Finding::new(problem.loc, problem.message.clone())
                    .field(cx.project, obj.problem_path(problem))
                    .label("invalid")
                    .help_opt(problem.help.clone()),
            );
        }
    }
}

fn api_version_of(obj: &Object) -> &'static str {
    match obj.spec {
        Spec::Secret(_) => "v1",
        Spec::SealedSecret(_) => "bitnami.com/v1alpha1",
        _ => "postgresql.cnpg.io/v1",
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    #[test]
    fn secrets_may_use_generate_name_cnpg_objects_may_not() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  generateName: creds-\n";
        assert!(findings("manifest-invalid", &[("s.yaml", secret)]).is_empty());
        let database = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  generateName: db-\nspec:\n  name: app\n  owner: app\n  cluster:\n    name: pg\n";
        assert_eq!(
            findings("manifest-invalid", &[("d.yaml", database)]),
            ["d.yaml:4 Database has no `metadata.name`"]
        );
    }

    #[test]
    fn missing_api_version_and_wrong_types() {
        let cluster = "kind: Cluster\nmetadata:\n  name: pg\nspec:\n  managed:\n    roles:\n      - name: app\n        login: \"true\"\n        superuser: ${SUPERUSER}\n";
        assert_eq!(
            findings("manifest-invalid", &[("c.yaml", cluster)]),
            [
                "c.yaml:1 Cluster has no `apiVersion`",
                "c.yaml:8 `spec.managed.roles[].login` must be a boolean, found a string",
            ]
        );
    }

    #[test]
    fn api_versions_the_crds_serve() {
        let sealed = "apiVersion: bitnami.com/v1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData: {}\n";
        // The SealedSecret CRD serves v1alpha1 only: its schema says so, not this rule.
        assert!(findings("manifest-invalid", &[("s.yaml", sealed)]).is_empty());
        assert_eq!(
            findings("schema-invalid", &[("s.yaml", sealed)]),
            [
                "s.yaml:1 SealedSecret `s`: no matches for kind \"SealedSecret\" in version \"bitnami.com/v1\": its schema serves `v1alpha1`"
            ]
        );
    }

    #[test]
    fn only_sop_kinds() {
        let role = "apiVersion: postgresql.cnpg.io/v1\nkind: DatabaseRole\nmetadata:\n  name: r\nspec:\n  name: r\n  login: maybe\n";
        assert!(findings("manifest-invalid", &[("r.yaml", role)]).is_empty());
    }
}

#[cfg(test)]
mod kustomize_tests {
    use crate::rules::testing::findings;

    const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n  namespace: db\nspec:\n  managed:\n    roles:\n      - name: app\n        login: on\n        superuser: false\n";

    /// `on` is a boolean to Kubernetes' YAML 1.1 reader, a string once kustomize wrote it.
    #[test]
    fn yaml11_booleans_break_only_through_kustomize() {
        assert!(findings("manifest-invalid", &[("plain/cluster.yaml", CLUSTER)]).is_empty());
        assert_eq!(
            findings(
                "manifest-invalid",
                &[
                    ("k/kustomization.yaml", "resources: [cluster.yaml]\n"),
                    ("k/cluster.yaml", CLUSTER)
                ]
            ),
            [
                "k/cluster.yaml:10 `spec.managed.roles[].login: on` is a boolean only in YAML 1.1: kustomize (YAML 1.2) writes it as the string \"on\", which the API server rejects"
            ]
        );
    }
}
