use crate::diagnostic::Finding;
use crate::model::{Object, Scope, Spec, is_unknowable};
use crate::rules::Context;
use crate::source::Spanned;

declare_rule! {
    /// ## What it does
    /// Compares a SealedSecret's `spec.template.metadata.name` and `namespace` (what kubeseal
    /// copied from the Secret it sealed) with the SealedSecret's own name and namespace, as its
    /// file writes them (a deployment that moves it is `sealed-secret-moved`'s). With the
    /// default strict scope
    /// both must match; with `namespace-wide` scope only the namespace must; a
    /// `cluster-wide` SealedSecret may be renamed and moved freely. A scope annotation in the
    /// template that the SealedSecret's own metadata does not carry is reported too: the
    /// controller reads the scope from its own metadata only (sealed-secrets `labelFor`).
    ///
    /// ## Why is this bad?
    /// Each value is sealed with the OAEP label `<namespace>/<name>`, and the controller
    /// decrypts with the label of the SealedSecret as it finds it in the cluster. A
    /// SealedSecret renamed or moved after sealing (copied from another app and edited, or
    /// put under a kustomization that sets another namespace) can no longer be decrypted:
    /// `no key could decrypt secret`, no credentials Secret, and the CNPG role and the app
    /// that need it fail.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: wikijs-db-creds         # renamed after sealing
    ///   namespace: postgres
    /// spec:
    ///   template:
    ///     metadata:
    ///       name: gitea-db-creds
    ///       namespace: postgres
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: wikijs-db-creds
    ///   namespace: postgres
    /// spec:
    ///   template:
    ///     metadata:
    ///       name: wikijs-db-creds
    ///       namespace: postgres
    /// ```
    ///
    /// ## How to fix
    /// Seal the Secret again under its final name and namespace
    /// (`kubeseal --cert infra/sealed-secrets/pub-cert.pem --format yaml`), or give the
    /// SealedSecret back the name and namespace it was sealed for. Editing the template to
    /// match does not help: the ciphertext stays bound to the old ones.
    pub struct SealedTemplateMismatch {
        id: "sealed-template-mismatch",
        group: "secrets",
        level: Error,
        summary: "a SealedSecret's template name or namespace differs from its own: it was renamed or moved after sealing",
        fix: (DisplayOnly, "prints the command that seals new values for this Secret"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.objects() {
        let Spec::SealedSecret(sealed) = &obj.spec else {
            continue;
        };
        let Some(template) = sealed.secret_meta() else {
            continue;
        };
        let scope = sealed.scope(&obj.meta);
        // kubeseal writes a scope annotation to the SealedSecret's own metadata (and, when the
        // input Secret had it, to the template): one only in the template, or another one
        // there, means the values were sealed for a scope the controller does not use.
        let sealed_scope = sealed.scope(template);
        if sealed_scope != Scope::Strict
            && sealed_scope != scope
            && let Some(annotation) = sealed_scope.annotation(template)
        {
            let name = |s: Scope| match s {
                Scope::Strict => "strict",
                Scope::NamespaceWide => "namespace-wide",
                Scope::ClusterWide => "cluster-wide",
            };
            let mut finding = Finding::new(
                annotation.key.loc,
                format!(
                    "{} was sealed {} (its template says so), but the controller reads the scope from its own metadata: {}, so the values cannot be decrypted",
                    obj.display_name(),
                    name(sealed_scope),
                    name(scope)
                ),
            )
            .field(cx.project, format!("spec.template.metadata.annotations.{}", annotation.key.value))
            .label("scope only in the template")
            .help(format!(
                "add `{}: \"true\"` to the SealedSecret's own `metadata.annotations`, where kubeseal puts it",
                annotation.key.value
            ));
            if let Some(own) = scope.annotation(&obj.meta) {
                finding = finding.related(own.key.loc, "the scope the controller uses");
            }
            out.push(finding.fix(cx.reseal(obj)));
        }
        if scope == Scope::ClusterWide {
            continue;
        }
        if scope == Scope::Strict
            && let Some(finding) = compare(
                cx,
                obj,
                "name",
                obj.meta.name.as_ref(),
                template.name.as_ref(),
            )
        {
            out.push(finding);
        }
        if let Some(finding) = compare(
            cx,
            obj,
            "namespace",
            obj.meta.namespace.as_ref(),
            template.namespace.as_ref(),
        ) {
            out.push(finding);
        }
    }
}

fn compare(
    cx: &Context<'_>,
    obj: &Object,
    field: &str,
    own: Option<&Spanned<String>>,
    sealed_for: Option<&Spanned<String>>,
) -> Option<Finding> {
    let (own, sealed_for) = (own?, sealed_for?);
    if own.value == sealed_for.value
        || is_unknowable(own.as_str())
        || is_unknowable(sealed_for.as_str())
    {
        return None;
    }
    let related = format!("its own {field} is `{}`", own.value);
    let message = if field == "name" {
        format!(
            "SealedSecret `{}` was sealed under the name `{}`: renamed after sealing, it cannot be decrypted",
            own.value, sealed_for.value
        )
    } else {
        format!(
            "{} lands in namespace `{}` but was sealed for namespace `{}`: it cannot be decrypted there",
            obj.display_name(),
            own.value,
            sealed_for.value
        )
    };
    Some(
        Finding::new(sealed_for.loc, message)
        .field(cx.project, format!("spec.template.metadata.{field}"))
        .label(format!("sealed for this {field}"))
        .help(format!(
            "seal the Secret again under the {field} `{}` (`kubeseal --cert {} --format yaml`), or give the \
             SealedSecret back the {field} `{}`; editing the template does not help",
            own.value, cx.config.certificate, sealed_for.value
        ))
        .related(own.loc, related)
        .fix(cx.reseal(obj)),
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{findings, sealed_secret as sealed};

    #[test]
    fn scope_decides_what_must_match() {
        let template = "      name: old\n      namespace: a\n";
        let strict = sealed("  name: new\n  namespace: b\n", template);
        assert_eq!(
            findings("sealed-template-mismatch", &[("s.yaml", &strict)]),
            [
                "s.yaml:10 SealedSecret `new` was sealed under the name `old`: renamed after sealing, it cannot be decrypted",
                "s.yaml:11 SealedSecret `new` lands in namespace `b` but was sealed for namespace `a`: it cannot be decrypted there",
            ]
        );
        let namespace_wide = sealed(
            "  name: new\n  namespace: b\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
            template,
        );
        assert_eq!(
            findings("sealed-template-mismatch", &[("s.yaml", &namespace_wide)]).len(),
            1
        );
        let cluster_wide = sealed(
            "  name: new\n  namespace: b\n  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n",
            template,
        );
        assert!(findings("sealed-template-mismatch", &[("s.yaml", &cluster_wide)]).is_empty());
    }

    #[test]
    fn a_scope_annotation_only_in_the_template() {
        let wide = "        sealedsecrets.bitnami.com/cluster-wide: \"true\"\n";
        let only_template = sealed(
            "  name: s\n  namespace: a\n",
            &format!("      name: s\n      namespace: a\n      annotations:\n{wide}"),
        );
        assert_eq!(
            findings("sealed-template-mismatch", &[("s.yaml", &only_template)]),
            [
                "s.yaml:13 SealedSecret `s` was sealed cluster-wide (its template says so), but the controller reads the scope from its own metadata: strict, so the values cannot be decrypted"
            ]
        );
        // `kubeseal --scope cluster-wide` annotates only the SealedSecret itself: fine.
        let own_only = sealed(
            "  name: s\n  namespace: a\n  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n",
            "      name: s\n      namespace: a\n",
        );
        assert!(findings("sealed-template-mismatch", &[("s.yaml", &own_only)]).is_empty());
    }

    #[test]
    fn unset_or_templated_values_are_not_compared() {
        let text = sealed("  name: s\n", "      name: ${NAME}\n      namespace: a\n");
        assert!(findings("sealed-template-mismatch", &[("s.yaml", &text)]).is_empty());
    }
}
