use crate::diagnostic::Finding;
use crate::hash::HashSet;
use crate::index::configured_wave;
use crate::edit::Fix;
use crate::model::{Annotation, Object, SYNC_WAVE, WaveValue};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that the sync wave of each Secret, SealedSecret, Cluster and Database in the SOP
    /// folder is the one configured for its kind: `"0"` for secrets, `"1"` for the Cluster and
    /// `"2"` for Databases by default. Only a wave that is written and valid is compared (a
    /// missing one is `sync-wave-missing`'s, an unparsable one `sync-wave-invalid`'s). For a
    /// SealedSecret the wave is the one in its own metadata, never its template's.
    ///
    /// ## Why is this bad?
    /// The three waves make Argo CD create the credentials first, then the Cluster whose
    /// managed roles read them, then the Databases those roles own, waiting for each wave to
    /// be healthy. A Database moved into wave 1 is applied while the Cluster is still being
    /// created; a Cluster moved into wave 0 starts before its `passwordSecret`s exist, and
    /// CNPG leaves the roles without a password until the next reconciliation.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "1"   # the Cluster's wave
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2"
    /// ```
    ///
    /// ## How to fix
    /// Set the annotation to the configured wave of the kind (`"0"` secrets, `"1"` Cluster,
    /// `"2"` Databases unless your configuration says otherwise).
    pub struct SyncWaveWrong {
        id: "sync-wave-wrong",
        group: "waves",
        level: Error,
        summary: "an SOP object's sync wave is not the one configured for its kind",
        fix: (Safe, "sets the SOP wave where the object writes it (not in a kustomization shared by other kinds)"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // A `commonAnnotations` wave is merged into every object of its kustomization: report it
    // once per kind.
    let mut reported = HashSet::default();
    for (id, obj) in cx.objects() {
        let Some(expected) = configured_wave(cx.config, obj) else {
            continue;
        };
        if !cx.in_sop_folder(obj) {
            continue;
        }
        let Some(annotation) = obj.wave() else {
            continue;
        };
        let Some(wave) = WaveValue::of(annotation).valid() else {
            continue;
        };
        if wave == expected
            || !cx.deploy().has_sync_waves(id)
            || !reported.insert((annotation.value.loc, obj.kind_str().to_string()))
        {
            continue;
        }
        let kind = obj.kind_str();
        let message = if annotation.value.loc.file == obj.file {
            format!(
                "{} is in sync wave {wave}, but {kind}s belong in wave {expected}",
                obj.display_name()
            )
        } else {
            format!(
                "this sync wave puts {kind}s in wave {wave}, but they belong in wave {expected}"
            )
        };
        out.push(
            Finding::new(annotation.value.loc, message)
                .field(cx.project, obj.metadata_entry_path(annotation.value.loc).unwrap_or_default())
                .label(format!("expected \"{expected}\""))
                .help(format!("set `{SYNC_WAVE}: \"{expected}\"`"))
                .fix_opt(set_wave(cx, obj, annotation, expected)),
        );
    }
}

/// Sets the wave where the object itself writes it (a kustomization's common wave is shared
/// with other kinds: no fix there).
fn set_wave(cx: &Context<'_>, obj: &Object, annotation: &Annotation, wave: i64) -> Option<Fix> {
    if annotation.value.loc.file != obj.file {
        return None;
    }
    let yaml = cx.yaml(obj.file);
    let edit = yaml.set_string(yaml.node_at(annotation.value.loc)?, &wave.to_string())?;
    Some(Fix::safe(format!("set the wave to \"{wave}\""), vec![edit]))
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    const SEALED: &str = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  template:\n    metadata:\n      annotations:\n        argocd.argoproj.io/sync-wave: \"5\"\n";

    fn db(name: &str, wave: &str) -> String {
        format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: {name}\n  annotations:\n    argocd.argoproj.io/sync-wave: {wave}\nspec:\n  name: x\n"
        )
    }

    #[test]
    fn present_valid_waves_in_the_sop_folder() {
        let files = [
            ("infra/databases/postgres/a.yaml", db("a", "\"1\"")),
            ("infra/databases/postgres/b.yaml", db("b", "\"02\"")),
            ("infra/databases/postgres/c.yaml", db("c", "\"two\"")),
            ("infra/databases/postgres/d.yaml", db("d", "1")),
            ("infra/databases/postgres/s.yaml", SEALED.to_string()),
            ("apps/e.yaml", db("e", "\"5\"")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert_eq!(
            run(&files, check),
            [
                "infra/databases/postgres/a.yaml:6:35 Database `a` is in sync wave 1, but Databases belong in wave 2"
            ]
        );
    }

    #[test]
    fn a_common_annotation_is_reported_once_per_kind() {
        let kustomization = "resources:\n  - a.yaml\n  - b.yaml\n  - s.yaml\ncommonAnnotations:\n  argocd.argoproj.io/sync-wave: \"1\"\n";
        let plain = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: NAME\nspec:\n  name: x\n";
        let files = [
            (
                "infra/databases/postgres/kustomization.yaml",
                kustomization.to_string(),
            ),
            (
                "infra/databases/postgres/a.yaml",
                plain.replace("NAME", "a"),
            ),
            (
                "infra/databases/postgres/b.yaml",
                plain.replace("NAME", "b"),
            ),
            ("infra/databases/postgres/s.yaml", SEALED.to_string()),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert_eq!(
            run(&files, check),
            [
                "infra/databases/postgres/kustomization.yaml:6:33 this sync wave puts Databases in wave 1, but they belong in wave 2",
                "infra/databases/postgres/kustomization.yaml:6:33 this sync wave puts SealedSecrets in wave 1, but they belong in wave 0",
            ]
        );
    }
}
