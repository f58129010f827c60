use crate::diagnostic::Finding;
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Off by default. Checks that every credentials secret (a Secret or SealedSecret named by
    /// a role's `passwordSecret` or a Cluster's `bootstrap.initdb.secret`, or one in the SOP
    /// folder named `*-db-creds` or carrying Reflector annotations) has the label
    /// `cnpg.io/reload`. For a SealedSecret the label belongs in
    /// `spec.template.metadata.labels`, which the controller copies onto the Secret.
    ///
    /// ## Why is this bad?
    /// The CNPG operator watches only Secrets it owns or that carry the `cnpg.io/reload` label
    /// (only the key is checked). Without it, a rotated password is applied to the role only
    /// at some later, unrelated reconciliation: the app, which reads the new password from the
    /// Secret, cannot log in until then.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
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
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         cnpg.io/reload: "true"
    ///       name: gitea-db-creds
    ///       namespace: postgres
    /// ```
    ///
    /// ## How to fix
    /// Add `cnpg.io/reload: "true"` to the Secret's labels before sealing it, or by hand to
    /// `spec.template.metadata.labels` of the SealedSecret (the template is not encrypted).
    pub struct ReloadLabel {
        id: "reload-label",
        group: "hygiene",
        level: Off,
        summary: "a credentials secret lacks the cnpg.io/reload label",
        check: check,
    }
}

const LABEL: &str = "cnpg.io/reload";

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        let name = obj.name().unwrap_or("<unnamed>");
        match &obj.spec {
            Spec::Secret(_) => {
                if obj.meta.labels.contains(LABEL) {
                    continue;
                }
                out.push(
                    Finding::new(
                        obj.meta.labels.key_loc.unwrap_or_else(|| obj.anchor()),
                        format!("credentials secret `{name}` lacks the `{LABEL}` label: CNPG applies a new password late"),
                    )
                    .field(
                        cx.project,
                        if obj.meta.labels.key_loc.is_some() { "metadata.labels" } else { obj.anchor_path() },
                    )
                    .label("no reload label")
                    .help(format!("add `{LABEL}: \"true\"` to `metadata.labels`")),
                );
            }
            Spec::SealedSecret(sealed) => {
                let template = sealed.secret_meta();
                if template.is_some_and(|t| t.labels.contains(LABEL)) {
                    continue;
                }
                let help = format!(
                    "add `{LABEL}: \"true\"` to `spec.template.metadata.labels` (the template is not encrypted: edit it by hand or re-seal)"
                );
                if let Some(own) = obj.meta.labels.get(LABEL) {
                    out.push(
                        Finding::new(
                            own.key.loc,
                            format!(
                                "`{LABEL}` is on the SealedSecret `{name}` itself, but the Secret gets only the template's labels: CNPG applies a new password late"
                            ),
                        )
                        .field(cx.project, obj.metadata_entry_path(own.key.loc).unwrap_or_default())
                        .label("not copied to the Secret")
                        .help(help),
                    );
                    continue;
                }
                let labels_key = template.and_then(|t| t.labels.key_loc);
                let template_name = template.and_then(|t| t.name.as_ref()).map(|n| n.loc);
                let (loc, field) = match (labels_key, template_name) {
                    (Some(key), _) => (key, "spec.template.metadata.labels"),
                    (None, Some(name)) => (name, "spec.template.metadata.name"),
                    (None, None) => (obj.anchor(), obj.anchor_path()),
                };
                out.push(
                    Finding::new(
                        loc,
                        format!("credentials secret `{name}` lacks the `{LABEL}` label: CNPG applies a new password late"),
                    )
                    .field(cx.project, field)
                    .label("no reload label")
                    .help(help),
                );
            }
            _ => {}
        }
    }
}
