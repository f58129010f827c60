use crate::diagnostic::Finding;
use crate::model::{Scope, Spec, is_unknowable};
use crate::rules::Context;
use crate::source::Spanned;

declare_rule! {
    /// ## What it does
    /// Reports a `SealedSecret` that a deployment applies under another namespace (or, sealed
    /// with the default strict scope, another name) than the one it was sealed for: an overlay's
    /// `namespace:`, `namePrefix`/`nameSuffix`, an Argo CD `kustomize.namespace` or a Flux
    /// `targetNamespace`.
    ///
    /// ## Why is this bad?
    /// kubeseal binds every value to where it will be decrypted: the RSA-OAEP label is
    /// `<namespace>/<name>` under strict scope and `<namespace>` under namespace-wide scope
    /// (sealed-secrets `pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go`,
    /// `EncryptionLabel`). When unsealing, the controller computes the label from the
    /// SealedSecret's own metadata as applied (`labelFor(smeta)`), so a SealedSecret moved or
    /// renamed by kustomize can never be decrypted: the controller reports `no key could
    /// decrypt secret`, the Secret is never created, and the CNPG role that names it never gets
    /// its password. kustomize moves SealedSecrets like any other object: it does not know
    /// what they are.
    ///
    /// ## Example
    /// ```yaml
    /// # clusters/staging/kustomization.yaml
    /// namespace: postgres-staging   # moves gitea-db-creds, sealed for `postgres`
    /// resources:
    ///   - ../../infra/databases/postgres
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # clusters/staging/kustomization.yaml: seal the staging credentials for staging
    /// namespace: postgres-staging
    /// resources:
    ///   - ../../infra/databases/postgres/cluster   # everything but the SealedSecrets
    ///   - gitea-secrets-sealed.yaml                # sealed with --namespace postgres-staging
    /// ```
    ///
    /// ## How to fix
    /// Seal the credentials again for the namespace and name the deployment gives them
    /// (`kubeseal --namespace … --name …`), or keep the SealedSecrets out of the overlay that
    /// moves them. Sealing with `--scope cluster-wide` also works, at the price of letting
    /// anyone who can create a SealedSecret anywhere read these credentials.
    pub struct SealedSecretMoved {
        id: "sealed-secret-moved",
        group: "secrets",
        level: Error,
        summary: "a deployment moves or renames a SealedSecret away from where it was sealed: it can never be decrypted",
        // A kustomization moving the SOP's objects out of their namespace is one mistake.
        yields_to: [NamespaceWrong],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let deploy = cx.deploy();
    for (id, object) in cx.objects() {
        let Spec::SealedSecret(sealed) = &object.spec else {
            continue;
        };
        let scope = sealed.scope(&object.meta);
        if scope == Scope::ClusterWide {
            continue;
        }
        // Where it was sealed for: the object's own namespace and name as written, else what
        // kubeseal copied into the template (a mismatch of the two is
        // `sealed-template-mismatch`'s).
        let written = object.written_meta.as_deref().unwrap_or(&object.meta);
        let template = sealed.secret_meta();
        let namespace = written
            .namespace
            .as_ref()
            .or(template.and_then(|t| t.namespace.as_ref()));
        let name = written
            .name
            .as_ref()
            .or(template.and_then(|t| t.name.as_ref()));
        let (Some(namespace), Some(name)) = (namespace, name) else {
            continue;
        };
        if is_unknowable(&namespace.value) || is_unknowable(&name.value) {
            continue;
        }
        for (deployment, resource) in deploy.instances_of(id) {
            let applied = &resource.object.meta;
            // The namespace first: a SealedSecret moved and renamed is reported once.
            let (field, sealed_for, now, message) =
                if let Some(moved) = changed(applied.namespace.as_ref(), namespace) {
                    let message = format!(
                        "{} moves SealedSecret `{}`, sealed for namespace `{}`, to namespace `{}`: the controller can never decrypt it",
                        deployment.name, name.value, namespace.value, moved.value
                    );
                    ("namespace", namespace, moved, message)
                } else if let Some(renamed) = changed(applied.name.as_ref(), name)
                    && scope == Scope::Strict
                {
                    let message = format!(
                        "{} renames SealedSecret `{}` to `{}`: its values are sealed for the name `{}` (strict scope), so the controller can never decrypt it",
                        deployment.name, name.value, renamed.value, name.value
                    );
                    ("name", name, renamed, message)
                } else {
                    continue;
                };
            let verb = if field == "name" { "renames" } else { "moves" };
            out.push(
                Finding::new(now.loc, message)
                    .field(cx.project, format!("metadata.{field}"))
                    .judged(sealed_for.loc)
                    .label(format!("{verb} the SealedSecret"))
                    .related(sealed_for.loc, format!("sealed for this {field}"))
                    .help(format!(
                        "seal the values again with `kubeseal --{field} {}`, or keep this SealedSecret out of {}",
                        now.value, deployment.name
                    )),
            );
        }
    }
}

/// The applied value, when it differs from the one sealed for (and is knowable).
fn changed<'a>(
    applied: Option<&'a Spanned<String>>,
    sealed_for: &Spanned<String>,
) -> Option<&'a Spanned<String>> {
    applied.filter(|a| a.value != sealed_for.value && !is_unknowable(&a.value))
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{findings, sealed_secret as sealed};

    /// A kustomization's `namespace:` moves the SealedSecret: reported here, at the line to
    /// change, and no longer as a template mismatch.
    #[test]
    fn a_kustomization_namespace_moves_the_sealed_secret() {
        let text = sealed(
            "  name: s\n  namespace: a\n",
            "      name: s\n      namespace: a\n",
        );
        let files = [
            (
                "k/kustomization.yaml",
                "namespace: b\nresources:\n  - s.yaml\n",
            ),
            ("k/s.yaml", text.as_str()),
        ];
        assert_eq!(
            findings("sealed-secret-moved", &files),
            [
                "k/kustomization.yaml:1 kustomization k moves SealedSecret `s`, sealed for namespace `a`, to namespace `b`: the controller can never decrypt it"
            ]
        );
        assert!(findings("sealed-template-mismatch", &files).is_empty());
        let same = [
            (
                "k/kustomization.yaml",
                "namespace: a\nresources:\n  - s.yaml\n",
            ),
            ("k/s.yaml", text.as_str()),
        ];
        assert!(findings("sealed-secret-moved", &same).is_empty());
    }

    #[test]
    fn strict_scope_forbids_renaming_namespace_wide_allows_it() {
        let strict = sealed("  name: s\n  namespace: a\n", "      name: s\n");
        let wide = sealed(
            "  name: s\n  namespace: a\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
            "      name: s\n",
        );
        let kustomization = ("k/kustomization.yaml", "namePrefix: p-\nresources:\n  - s.yaml\n");
        assert_eq!(
            findings("sealed-secret-moved", &[kustomization, ("k/s.yaml", &strict)]),
            [
                "k/kustomization.yaml:1 kustomization k renames SealedSecret `s` to `p-s`: its values are sealed for the name `s` (strict scope), so the controller can never decrypt it"
            ]
        );
        assert!(findings("sealed-secret-moved", &[kustomization, ("k/s.yaml", &wide)]).is_empty());
    }
}
