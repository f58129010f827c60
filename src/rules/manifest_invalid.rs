use crate::diagnostic::Finding;
use crate::model::{Object, ShapeKind, Spec, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks the shape of the four SOP kinds (`v1 Secret`, `bitnami.com SealedSecret`, CNPG
    /// `Cluster` and `Database`): each needs `apiVersion`, `kind` and `metadata.name` (a
    /// Secret may use `metadata.generateName` instead); every field pglint reads must have
    /// the right type (a mapping, a list, a string, a YAML 1.1 boolean); a `Database.spec`,
    /// `Cluster.spec.managed.roles[]` or `SealedSecret.spec` field must be one the CRD knows
    /// (a typo such as `ownr` gets a "did you mean"); and enum fields (`ensure`,
    /// `databaseReclaimPolicy`) must hold an allowed value. Values that only exist after Flux
    /// or Helm substitution are not judged. In an object a deployment builds with kustomize, a
    /// boolean field must be `true` or `false`: kustomize reads YAML 1.2 (kyaml, go-yaml v3),
    /// where `on`, `yes` or `y` are strings, and writes them quoted, so the API server gets
    /// `"on"` for a boolean (checked with `kubectl kustomize`, kustomize v5.5.0).
    ///
    /// ## Why is this bad?
    /// The API server rejects an object without `apiVersion`, `kind` or name, and rejects a
    /// wrong type or enum value against the CRD schema, so the Argo CD sync fails and the
    /// waves after it are not applied. An unknown field is worse: unless the client asks for
    /// strict field validation, the API server prunes it silently, so a Database with
    /// `ownr: gitea_user` is created without that owner and a role with `passwordsecret:`
    /// gets no password, without any error.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    /// spec:
    ///   name: gitea
    ///   ownr: gitea_user        # unknown field, pruned by the API server
    ///   cluster: postgres-shared  # must be a mapping
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
    /// Follow the help: add the missing field, fix the spelling of an unknown field, or give
    /// the value the type the CRD expects (`kubectl explain database.spec` shows it).
    pub struct ManifestInvalid {
        id: "manifest-invalid",
        group: "parsing",
        level: Error,
        summary: "an SOP object is malformed: a required field is missing, a field has the wrong type, or a CRD field is unknown or outside its enum",
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
                .label("no apiVersion")
                .help(format!("add `apiVersion: {}`", api_version_of(obj))),
            );
        }
        if let Some(api_version) = &obj.api_version
            && api_version.value != api_version_of(obj)
            && !is_unknowable(api_version.as_str())
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
                .label("unknown version")
                .help(format!("use `apiVersion: {}`", api_version_of(obj))),
            );
        }
        let named = obj.meta.name.is_some()
            || (matches!(obj.spec, Spec::Secret(_)) && obj.meta.generate_name.is_some());
        if !named && !mentions("metadata.name") && !mentions("metadata") {
            let loc = obj
                .meta
                .loc
                .or(obj.kind_name.as_ref().map(|k| k.loc))
                .unwrap_or(obj.loc);
            let why = match obj.spec {
                Spec::SealedSecret(_) => {
                    "the controller names the Secret after it and decrypts with the name"
                }
                Spec::Secret(_) => "Argo CD and `kubectl apply` address every object by name",
                _ => "CNPG objects are addressed by name",
            };
            out.push(
                Finding::new(loc, format!("{} has no `metadata.name`", obj.kind_str()))
                    .label("no name")
                    .help(format!("add `metadata.name`: {why}")),
            );
        }
        for problem in &obj.shape_problems {
            if problem.kind == ShapeKind::StringMapValue
                || problem.templated
                || (problem.after_kustomize && !cx.deploy().built_by_kustomize(id))
            {
                continue;
            }
            out.push(
                Finding::new(problem.loc, problem.message.clone())
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
        assert_eq!(
            findings("manifest-invalid", &[("s.yaml", sealed)]),
            [
                "s.yaml:1 SealedSecret has `apiVersion: bitnami.com/v1`, which the API server does not serve"
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
