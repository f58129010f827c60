use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns when a CloudNativePG object (`postgresql.cnpg.io/*`: `Cluster`, `Database`,
    /// `Pooler`, …) carries the annotation `cnpg.io/validation: disabled`.
    ///
    /// ## Why is this bad?
    /// The annotation turns off CNPG's validating webhook for the object. Mistakes the webhook
    /// would have rejected at `kubectl apply` time (duplicate extensions or schemas, an invalid
    /// Cluster spec, …) are then accepted, and only show up later as a failed reconciliation
    /// in the operator's status, or not at all. CNPG only logs the warning "validation webhook
    /// is disabled".
    ///
    /// ## Example
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   annotations:
    ///     cnpg.io/validation: disabled
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "1"
    /// ```
    ///
    /// ## How to fix
    /// Remove the annotation and fix whatever the webhook rejects. If it was added to work
    /// around a webhook bug, note the CNPG issue next to it and remove it after upgrading.
    pub struct ValidationDisabled {
        id: "validation-disabled",
        group: "hygiene",
        level: Warning,
        summary: "a CNPG object disables the operator's validating webhook",
        check: check,
    }
}

const ANNOTATION: &str = "cnpg.io/validation";

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.objects() {
        let group = obj
            .api_version
            .as_ref()
            .map(|v| v.value.split('/').next().unwrap_or(""));
        if group != Some("postgresql.cnpg.io") {
            continue;
        }
        let Some(annotation) = obj.meta.annotations.get(ANNOTATION) else {
            continue;
        };
        if annotation.value.value != "disabled" {
            continue;
        }
        out.push(
            Finding::new(
                annotation.value.loc,
                format!("{} disables CNPG's validating webhook", obj.display_name()),
            )
            .field(cx.project, format!("metadata.annotations.{ANNOTATION}"))
            .label("webhook disabled")
            .help(format!(
                "remove `{ANNOTATION}: disabled` and fix what the webhook rejects"
            )),
        );
    }
}
