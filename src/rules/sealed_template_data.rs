use crate::diagnostic::Finding;
use crate::model::{DataEntry, LAST_APPLIED, Spec, key_list, is_identity_key};
use crate::rules::Context;

/// Older kubecfg wrote its own copy of the applied object.
const KUBECFG_LAST_APPLIED: &str = "kubecfg.ksonnet.io/last-applied-configuration";

declare_rule! {
    /// ## What it does
    /// Reports a SealedSecret whose `spec.template.data` or `spec.template.stringData` holds
    /// values, or whose template carries a `kubectl.kubernetes.io/last-applied-configuration`
    /// (or kubecfg's) annotation. Template entries that only render sealed values with Go
    /// template syntax (`{{ index . "password" }}`) and placeholders are not reported, nor
    /// are values that name rather than authenticate (`username`, `host`, `port`,
    /// `database`…: the role name is public in the Cluster anyway). The message names keys,
    /// never values.
    ///
    /// ## Why is this bad?
    /// Only `spec.encryptedData` is encrypted. The template is copied to the generated Secret
    /// as it is written, so a value there sits in git in clear, next to the ciphertext that
    /// was meant to protect it. A `last-applied-configuration` annotation holds the whole
    /// object as it was last applied, `stringData` of the original Secret included (sealed
    /// secrets issue #227, why kubeseal now strips it).
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// spec:
    ///   encryptedData:
    ///     username: AgBg6ztE…
    ///   template:
    ///     stringData:
    ///       password: hunter2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// spec:
    ///   encryptedData:
    ///     username: AgBg6ztE…
    ///     password: AgCNeYWz…
    ///   template:
    ///     type: kubernetes.io/basic-auth
    /// ```
    ///
    /// ## How to fix
    /// Seal the value (`kubeseal --cert infra/sealed-secrets/pub-cert.pem --format yaml`, or
    /// `--merge-into` an existing file) so it lands in `encryptedData`, delete it from the
    /// template, and remove any `last-applied-configuration` annotation. Rotate the
    /// credential: git history keeps the value.
    pub struct SealedTemplateData {
        id: "sealed-template-data",
        group: "secrets",
        level: Error,
        summary: "a SealedSecret's template holds values in clear (template data/stringData or a last-applied-configuration annotation)",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.objects() {
        let Spec::SealedSecret(sealed) = &obj.spec else {
            continue;
        };
        let Some(template) = &sealed.template else {
            continue;
        };
        let in_clear: Vec<&DataEntry> = template
            .data
            .iter()
            // `username` and the like name who, not a credential: the role name is public in
            // the Cluster anyway.
            .filter(|d| !d.placeholder && !d.templated && !is_identity_key(&d.key.value))
            .collect();
        if let Some(first) = in_clear.first() {
            let keys = key_list(in_clear.iter().copied());
            out.push(
                Finding::new(
                    first.key.loc,
                    format!(
                        "{} stores values in clear in `spec.template` ({})",
                        obj.display_name(),
                        keys
                    ),
                )
                .field(cx.project, format!("spec.template.{}.{}", first.field, first.key.value))
                .label("not encrypted")
                .help(format!(
                    "seal these values into `encryptedData` (`kubeseal --cert {} --format yaml`) and delete them \
                     from the template; rotate them, since git history keeps them",
                    cx.config.certificate
                )),
            );
        }
        for key in [LAST_APPLIED, KUBECFG_LAST_APPLIED] {
            if let Some(annotation) = template.meta.annotations.get(key) {
                out.push(
                    Finding::new(
                        annotation.key.loc,
                        format!(
                            "{} keeps a `{key}` annotation in its template: it holds the applied Secret in clear",
                            obj.display_name()
                        ),
                    )
                    .field(cx.project, format!("spec.template.metadata.annotations.{key}"))
                    .label("plaintext copy of the Secret")
                    .help(
                        "delete the annotation (kubeseal strips it; it came from sealing a live Secret by hand) \
                         and rotate the credentials it contained",
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    fn sealed(template: &str) -> String {
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData:\n    password: AgA=\n  template:\n{template}"
        )
    }

    #[test]
    fn values_in_clear_are_reported_templates_are_not() {
        let text = sealed(
            "    data:\n      dsn: \"postgres://app:{{ index . \\\"password\\\" }}@db/app\"\n      api-key: c2VjcmV0\n    stringData:\n      empty: \"\"\n",
        );
        assert_eq!(
            findings("sealed-template-data", &[("s.yaml", &text)]),
            [
                "s.yaml:11 SealedSecret `s` stores values in clear in `spec.template` (`data.api-key`)"
            ]
        );
    }

    #[test]
    fn a_username_in_the_template_is_no_secret() {
        let username = sealed("    stringData:\n      username: gitea_user\n");
        assert!(findings("sealed-template-data", &[("s.yaml", &username)]).is_empty());
        let password = sealed("    stringData:\n      username: gitea_user\n      password: hunter2\n");
        assert_eq!(findings("sealed-template-data", &[("s.yaml", &password)]).len(), 1);
    }

    #[test]
    fn last_applied_in_the_template() {
        let text = sealed(
            "    metadata:\n      annotations:\n        kubectl.kubernetes.io/last-applied-configuration: '{\"stringData\":{}}'\n",
        );
        let found = findings("sealed-template-data", &[("s.yaml", &text)]);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with(
            "s.yaml:11 SealedSecret `s` keeps a `kubectl.kubernetes.io/last-applied-configuration`"
        ));
    }
}
