use crate::diagnostic::Finding;
use crate::edit::Fix;
use crate::model::{Object, SYNC_WAVE, Spec, metadata_key};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that every CNPG `Cluster` and `Database` in the SOP folder carries an
    /// `argocd.argoproj.io/sync-wave` annotation in its own metadata (an annotation added by
    /// the folder's kustomization `commonAnnotations` counts). Secrets and SealedSecrets need
    /// none: their wave is 0, Argo CD's default.
    ///
    /// ## Why is this bad?
    /// Without the annotation Argo CD puts the object in wave 0, together with the credentials
    /// secrets. A Cluster then starts before the SealedSecret controller has produced the
    /// `passwordSecret`s its managed roles read, and a Database is applied before its Cluster
    /// exists: CNPG reports the role or database as not reconciled and the app's first start
    /// fails. Argo CD only waits for a wave to become healthy when the sync has several waves,
    /// so the order must be written down.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   namespace: postgres
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   namespace: postgres
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2"
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Add `argocd.argoproj.io/sync-wave: "1"` to the Cluster's `metadata.annotations` and
    /// `argocd.argoproj.io/sync-wave: "2"` to each Database's (or the waves your configuration
    /// sets). Quote the number: an unquoted `2` is not a string and hides every annotation.
    pub struct SyncWaveMissing {
        id: "sync-wave-missing",
        group: "waves",
        level: Error,
        summary: "a Cluster or Database in the SOP folder has no sync-wave annotation",
        fix: (Safe, "adds the SOP wave to the object's `metadata.annotations`"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (id, obj) in cx.objects() {
        let expected = match obj.spec {
            Spec::Cluster(_) => cx.config.waves.cluster,
            Spec::Database(_) => cx.config.waves.database,
            _ => continue,
        };
        if !cx.in_sop_folder(obj)
            || obj.wave().is_some()
            || obj.meta.loc.is_none()
            || !cx.deploy().has_sync_waves(id)
        {
            continue;
        }
        // Every deployment that applies it gives it a wave (a patch, `commonAnnotations`).
        let mut instances = cx.deploy().instances_of(id).peekable();
        if instances.peek().is_some() && instances.all(|(_, r)| r.object.wave().is_some()) {
            continue;
        }
        let (loc, field) = match obj.meta.annotations.key_loc {
            Some(key) => (key, "metadata.annotations"),
            None if obj.meta.key_loc.is_some() => (metadata_key(obj), "metadata"),
            None => (metadata_key(obj), obj.anchor_path()),
        };
        let with_secrets = if cx.config.waves.secret == 0 {
            ", together with the credentials secrets"
        } else {
            ""
        };
        out.push(
            Finding::new(
                loc,
                format!(
                    "{} has no sync wave: Argo CD applies it in wave 0{with_secrets}",
                    obj.display_name()
                ),
            )
            .field(cx.project, field)
            .label("no `argocd.argoproj.io/sync-wave`")
            .help(format!(
                "add `{SYNC_WAVE}: \"{expected}\"` to `metadata.annotations`"
            ))
            .fix_opt(add_wave(cx, obj, expected)),
        );
    }
}

/// Adds the annotation to the object's own metadata.
fn add_wave(cx: &Context<'_>, obj: &Object, wave: i64) -> Option<Fix> {
    let (yaml, root) = cx.object_yaml(obj)?;
    let edit = yaml.insert_path(
        root,
        &["metadata", "annotations"],
        SYNC_WAVE,
        &format!("\"{wave}\""),
    )?;
    Some(Fix::safe(
        format!("add `{SYNC_WAVE}: \"{wave}\"`"),
        vec![edit],
    ))
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    const DB: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: gitea-db\n  namespace: postgres\nspec:\n  name: gitea\n  owner: app\n  cluster:\n    name: pg\n";

    #[test]
    fn common_annotations_give_a_wave() {
        let kustomization = "resources:\n  - gitea-db.yaml\ncommonAnnotations:\n  argocd.argoproj.io/sync-wave: \"2\"\n";
        let findings = run(
            &[
                ("infra/databases/postgres/kustomization.yaml", kustomization),
                ("infra/databases/postgres/gitea-db.yaml", DB),
            ],
            check,
        );
        assert_eq!(findings, Vec::<String>::new());
    }

    #[test]
    fn points_at_metadata_or_annotations() {
        let flow = "{apiVersion: postgresql.cnpg.io/v1, kind: Database, \"metadata\": {name: a}, spec: {}}\n";
        let annotated = DB.replace(
            "  namespace: postgres\n",
            "  namespace: postgres\n  annotations:\n    team: db\n",
        );
        let findings = run(
            &[
                ("infra/databases/postgres/a.yaml", flow),
                ("infra/databases/postgres/b.yaml", &annotated),
                (
                    "infra/databases/postgres/c.yaml",
                    &format!("# metadata: not this one\n---\n{DB}"),
                ),
                ("apps/outside.yaml", DB),
            ],
            check,
        );
        assert_eq!(
            findings,
            [
                "infra/databases/postgres/a.yaml:1:53 Database `a` has no sync wave: Argo CD applies it in wave 0, together with the credentials secrets",
                "infra/databases/postgres/b.yaml:6:3 Database `gitea-db` has no sync wave: Argo CD applies it in wave 0, together with the credentials secrets",
                "infra/databases/postgres/c.yaml:5:1 Database `gitea-db` has no sync wave: Argo CD applies it in wave 0, together with the credentials secrets",
            ]
        );
    }

    #[test]
    fn a_non_string_wave_is_not_missing() {
        let db = DB.replace(
            "  namespace: postgres\n",
            "  namespace: postgres\n  annotations:\n    argocd.argoproj.io/sync-wave: 2\n",
        );
        assert_eq!(
            run(&[("infra/databases/postgres/db.yaml", &db)], check),
            Vec::<String>::new()
        );
    }
}

#[cfg(test)]
mod patch_tests {
    use crate::rules::testing::findings;

    /// A patch file is no object of its own: only the Database it patches is judged.
    #[test]
    fn a_patch_file_is_not_judged_as_an_object() {
        let db = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\n  namespace: postgres\n  annotations:\n    argocd.argoproj.io/sync-wave: \"2\"\nspec:\n  name: app\n  owner: app_user\n  cluster:\n    name: postgres-shared\n";
        let patch = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\nspec:\n  owner: other_user\n";
        let files = [
            (
                "infra/databases/postgres/kustomization.yaml",
                "resources: [app-db.yaml]\npatches:\n  - path: owner-patch.yaml\n",
            ),
            ("infra/databases/postgres/app-db.yaml", db),
            ("infra/databases/postgres/owner-patch.yaml", patch),
        ];
        assert!(findings("sync-wave-missing", &files).is_empty());
        assert!(findings("namespace-missing", &files).is_empty());
    }

    /// A JSON 6902 patch that gives every Database its wave: not missing.
    #[test]
    fn a_wave_set_by_a_patch_counts() {
        let db = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: app-db\n  namespace: postgres\nspec:\n  name: app\n  owner: app_user\n  cluster:\n    name: postgres-shared\n";
        let kustomization = "resources: [app-db.yaml]\npatches:\n  - target:\n      kind: Database\n    patch: |-\n      - op: add\n        path: /metadata/annotations\n        value:\n          argocd.argoproj.io/sync-wave: \"2\"\n";
        let with_patch = [
            ("infra/databases/postgres/kustomization.yaml", kustomization),
            ("infra/databases/postgres/app-db.yaml", db),
        ];
        assert!(findings("sync-wave-missing", &with_patch).is_empty());
        let without = [
            (
                "infra/databases/postgres/kustomization.yaml",
                "resources: [app-db.yaml]\n",
            ),
            ("infra/databases/postgres/app-db.yaml", db),
        ];
        assert_eq!(findings("sync-wave-missing", &without).len(), 1);
    }
}
