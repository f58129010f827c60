use crate::diagnostic::Finding;
use crate::index::configured_wave;
use crate::model::{SYNC_WAVE, Spec, WaveValue};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks the `argocd.argoproj.io/sync-wave` annotation in a SealedSecret's
    /// `spec.template.metadata.annotations`: it must be the same as the SealedSecret's own
    /// effective wave (the one in its own `metadata`, 0 when it has none). kubeseal copies the
    /// input Secret's annotations into the template, so a template wave of `"0"` with no wave
    /// of its own is the normal, harmless output.
    ///
    /// ## Why is this bad?
    /// Argo CD syncs the SealedSecret, not the Secret the controller generates from it: the
    /// Secret is a child with an owner reference, never one of the application's resources.
    /// A wave in the template only lands on that Secret, where nothing reads it, so a
    /// SealedSecret meant for wave `-1` is still applied in wave 0, alongside whatever the
    /// author wanted to come after it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         argocd.argoproj.io/sync-wave: "-1"   # ignored by Argo CD
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "-1"
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         argocd.argoproj.io/sync-wave: "-1"
    /// ```
    ///
    /// ## How to fix
    /// Put the wave on the SealedSecret's own `metadata.annotations` (kubeseal does not do it
    /// for you), or drop it from the template if wave 0 is what you want.
    pub struct SyncWavePlacement {
        id: "sync-wave-placement",
        group: "waves",
        level: Warning,
        summary: "a SealedSecret's template carries a sync wave other than its own, which orders nothing",
        // A template with the SOP's wave, under an own wave of another: setting the own wave
        // settles both.
        yields_to: [SyncWaveWrong],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (id, obj) in cx.objects() {
        let Spec::SealedSecret(sealed) = &obj.spec else {
            continue;
        };
        let Some(template) = sealed
            .secret_meta()
            .and_then(|m| m.annotations.get(SYNC_WAVE))
        else {
            continue;
        };
        let Some(template_wave) = WaveValue::of(template).valid() else {
            continue;
        };
        let own = obj.wave();
        let own_wave = match own {
            None => 0,
            Some(annotation) => match WaveValue::of(annotation).valid() {
                Some(wave) => wave,
                // Invalid, non-string or templated: other rules report it, or it is unknowable.
                None => continue,
            },
        };
        if template_wave == own_wave || !cx.deploy().has_sync_waves(id) {
            continue;
        }
        let mut finding = Finding::new(
            template.value.loc,
            format!(
                "the template's sync wave {template_wave} orders nothing: Argo CD syncs {} in wave {own_wave}",
                obj.display_name()
            ),
        )
        .field(cx.project, format!("spec.template.metadata.annotations.{SYNC_WAVE}"))
        .label("only lands on the generated Secret");
        finding = match own {
            None => finding.help(format!(
                "add `{SYNC_WAVE}: \"{template_wave}\"` to the SealedSecret's own `metadata.annotations`, or remove it from the template"
            )),
            Some(annotation) => finding
                .help(format!(
                    "use one wave in both places: `{SYNC_WAVE}: \"{own_wave}\"` in the template, or `\"{template_wave}\"` in the SealedSecret's own metadata"
                ))
                .related(annotation.value.loc, format!("the SealedSecret's own wave is {own_wave}")),
        };
        // The template has the SOP's wave for the SealedSecret: a finding that its own wave
        // is another says all there is (setting it settles both).
        if configured_wave(cx.config, obj) == Some(template_wave) {
            finding = finding.explained_within(obj.loc);
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{rules_reported, run};

    fn sealed(name: &str, own: Option<&str>, template: &str) -> String {
        let own = own.map_or_else(String::new, |w| {
            format!("  annotations:\n    argocd.argoproj.io/sync-wave: {w}\n")
        });
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n{own}spec:\n  template:\n    metadata:\n      annotations:\n        argocd.argoproj.io/sync-wave: {template}\n"
        )
    }

    #[test]
    fn template_waves_that_differ_from_the_own_wave() {
        let files = [
            ("apps/a.yaml", sealed("a", None, "\"0\"")),
            ("apps/b.yaml", sealed("b", Some("\"-1\""), "\"-1\"")),
            ("apps/c.yaml", sealed("c", None, "\"-1\"")),
            ("apps/d.yaml", sealed("d", Some("\"-2\""), "\"-1\"")),
            ("apps/e.yaml", sealed("e", Some("\"x\""), "\"-1\"")),
            ("apps/f.yaml", sealed("f", None, "\"x\"")),
            ("apps/g.yaml", sealed("g", None, "-1")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert_eq!(
            run(&files, check),
            [
                "apps/c.yaml:9:39 the template's sync wave -1 orders nothing: Argo CD syncs SealedSecret `c` in wave 0",
                "apps/d.yaml:11:39 the template's sync wave -1 orders nothing: Argo CD syncs SealedSecret `d` in wave -2",
            ]
        );
    }

    #[test]
    fn a_wrong_own_wave_under_the_sop_template_wave_is_one_mistake() {
        // sync-wave-wrong asks for wave 0, which the template has: setting it settles both.
        let sop = |own: &str, template: &str| {
            let text = sealed("h", Some(own), template);
            rules_reported("sync-wave", &[("infra/databases/postgres/h.yaml", &text)])
        };
        assert_eq!(sop("\"1\"", "\"0\""), ["sync-wave-wrong"]);
        // A template wave that is not the SOP's own is a mistake of its own.
        assert_eq!(
            sop("\"1\"", "\"3\""),
            ["sync-wave-placement", "sync-wave-wrong"]
        );
    }
}
