use crate::diagnostic::Finding;
use crate::edit::Fix;
use crate::edit::yaml::string;
use crate::index::Copier;
use crate::model::apps::app_of;
use crate::model::reflector::{
    ALLOWED, ALLOWED_NAMESPACES, ALLOWED_SELECTOR, AUTO_ENABLED, REFLECTS, misspelling_of,
    reflector, reflector_entries, secret_meta,
};
use crate::model::replicator::{self, replicate_from};
use crate::model::{Annotation, Object, REFLECTOR_PREFIX, Spec};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that every credentials secret in the SOP folder carries the three Reflector
    /// annotations the SOP requires: `reflection-allowed`, `reflection-auto-enabled` and
    /// `reflection-allowed-namespaces` (prefix `reflector.v1.k8s.emberstack.com/`). They are
    /// read from the Secret; for a SealedSecret, from `spec.template.metadata`, which the
    /// controller copies onto the Secret it creates.
    ///
    /// A mirror (a Secret annotated `reflects: <namespace>/<name>`) is not checked: its source
    /// carries the annotations. A source that the repository mirrors by hand (a Secret in the
    /// app's namespace annotated `reflects: postgres/<app>-db-creds`) needs no
    /// `reflection-auto-enabled`: the manual mirror is the alternative to auto-mirroring.
    /// An annotation written on a SealedSecret's own metadata, or under a misspelt key
    /// (`reflection-alowed-namespaces`), is reported at that key, the one to edit; there it
    /// yields to `reflector-placement` and `reflector-invalid`, whose findings say the same
    /// with a fix, so this rule's shows only when they are off or suppressed.
    ///
    /// A secret that mittwald kubernetes-replicator copies instead is not checked either: a
    /// source carrying `replicator.v1.mittwald.de/replicate-to` or `replicate-to-matching`
    /// (pushed), or `replication-allowed` (pulled by copies annotated `replicate-from`), and a
    /// `replicate-from` copy itself, or a source such a copy names (whether it may pull is
    /// `replication-blocked`'s) (mittwald/kubernetes-replicator
    /// `replicate/common/generic-replicator.go` `ResourceAdded`, `getNamespacesToReplicate`,
    /// `IsReplicationPermitted`, `resourceAddedReplicateFrom`).
    ///
    /// ## Why is this bad?
    /// Without `reflection-allowed` and `reflection-auto-enabled`, Reflector never copies the
    /// credentials into the app's namespace: the app's Deployment waits for a Secret that never
    /// appears. Without `reflection-allowed-namespaces`, Reflector allows *every* namespace,
    /// so with auto-reflection the database password is copied into all of them.
    ///
    /// Source (emberstack/kubernetes-reflector, `src/ES.Kubernetes.Reflector/Mirroring/Core/`):
    /// `ResourceMirror.cs` `HandleUpsert` makes a source an auto source only when
    /// `objProperties is { Allowed: true, AutoEnabled: true }`, and fills a manual mirror
    /// (`IsReflection: true, IsAutoReflection: false`) only when `CanBeReflectedToNamespace`
    /// holds; `MirroringPropertiesExtensions.cs` `CanBeReflectedToNamespace` is
    /// `properties.Allowed && PatternListMatch(properties.AllowedNamespaces, ns)`, and
    /// `PatternListMatch` returns true for an empty list.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///         reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    ///       name: gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: gitea
    ///         reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    ///       name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Add the missing annotations to the Secret before sealing it, or add them by hand to
    /// `spec.template.metadata.annotations` of the SealedSecret (the template's metadata is not
    /// encrypted). `reflection-allowed-namespaces` names the app's namespace.
    pub struct ReflectorMissing {
        id: "reflector-missing",
        group: "reflector",
        level: Error,
        summary: "a credentials secret in the SOP folder lacks a Reflector annotation",
        fix: (Unsafe, "adds the missing annotations where Reflector reads them, mirroring to the namespace named after the app (`<app>-db-creds`: `<app>`)"),
        yields_to: [ReflectorInvalid, ReflectorPlacement],
        check: check,
    }
}

const REQUIRED: &[&str] = &[ALLOWED, AUTO_ENABLED, ALLOWED_NAMESPACES];

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        if !cx.in_sop_folder(obj) {
            continue;
        }
        let sealed = matches!(obj.spec, Spec::SealedSecret(_));
        let meta = secret_meta(obj);
        // A mirror (Reflector's `reflects`, the replicator's `replicate-from`) gets its data from
        // a source elsewhere: the source carries the annotations.
        if meta.is_some_and(|m| reflector(m, REFLECTS).is_some() || replicate_from(m).is_some()) {
            continue;
        }
        // Copied by kubernetes-replicator instead (pushed, or pulled by a `replicate-from`
        // copy, which `replication-blocked` judges): not Reflector's to copy.
        let pulled = match (obj.namespace_str(), obj.name()) {
            (Some(namespace), Some(name)) => {
                !cx.index.mirrors_of(Copier::Replicator, namespace, name).is_empty()
            }
            _ => false,
        };
        if pulled || meta.is_some_and(replicator::is_source) {
            continue;
        }
        // Mirrored by hand: Reflector fills the mirrors without auto-reflection.
        let mirrored = || match (obj.namespace_str(), obj.name()) {
            (Some(namespace), Some(name)) => !cx.index.mirrors_of(Copier::Reflector, namespace, name).is_empty(),
            _ => false,
        };
        let absent: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|&name| {
                let present = meta.is_some_and(|m| {
                    reflector(m, name).is_some()
                        || (name == ALLOWED_NAMESPACES && reflector(m, ALLOWED_SELECTOR).is_some())
                });
                let by_hand = name == AUTO_ENABLED && mirrored();
                !(present || by_hand)
            })
            .collect();
        // An annotation written where Reflector does not read it, or under a misspelt key:
        // that key is the node to edit, so the finding points at it (where `yields_to` lets
        // the finding about that key, if reported, stand for it).
        let mut missing = Vec::new();
        let mut misplaced = Vec::new();
        for name in absent {
            let misspelt = || {
                meta.into_iter()
                    .flat_map(reflector_entries)
                    .find(|(written, _)| misspelling_of(written) == Some(name))
            };
            if let Some(annotation) = sealed.then(|| reflector(&obj.meta, name)).flatten() {
                misplaced.push((name, annotation));
            } else if let Some((written, annotation)) = misspelt() {
                out.push(misspelt_as(cx, obj, name, written, annotation));
            } else {
                missing.push(name);
            }
        }
        out.extend(not_read(cx, obj, misplaced));
        if missing.is_empty() {
            continue;
        }
        let template_meta = meta.filter(|_| sealed);
        let loc = meta
            .and_then(|m| m.annotations.key_loc)
            .or_else(|| template_meta.and_then(|m| m.name.as_ref().map(|n| n.loc)))
            .unwrap_or_else(|| obj.anchor());
        let field = match meta {
            Some(m) if m.annotations.key_loc == Some(loc) && sealed => {
                "spec.template.metadata.annotations"
            }
            Some(m) if m.annotations.key_loc == Some(loc) => "metadata.annotations",
            Some(m) if sealed && m.name.as_ref().is_some_and(|n| n.loc == loc) => {
                "spec.template.metadata.name"
            }
            _ => obj.anchor_path(),
        };
        let names = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let what = if missing.len() == 1 {
            "annotation"
        } else {
            "annotations"
        };
        let consequence = consequence(&missing);
        let secret_name = obj.name().unwrap_or("<unnamed>");
        let place = if sealed {
            "`spec.template.metadata.annotations` (the template is not encrypted: edit it by hand or re-seal)"
        } else {
            "`metadata.annotations`"
        };
        let lines = missing
            .iter()
            .map(|&m| {
                let value = if m == ALLOWED_NAMESPACES {
                    "<app namespace>"
                } else {
                    "\"true\""
                };
                format!("`{REFLECTOR_PREFIX}{m}: {value}`")
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Finding::new(
                loc,
                format!("credentials secret `{secret_name}` lacks the Reflector {what} {names}: {consequence}"),
            )
            .field(cx.project, field)
            .label(format!("missing {names}"))
            .help(format!("add {lines} to {place}"))
            .fix_opt(add_annotations(cx, obj, &missing)),
        );
    }
}

/// What Reflector does without the annotations `missing`.
fn consequence(missing: &[&str]) -> &'static str {
    if missing.contains(&ALLOWED) || missing.contains(&AUTO_ENABLED) {
        "Reflector never copies it to the app's namespace"
    } else {
        "Reflector allows every namespace"
    }
}

/// The annotations `misplaced` are written on the SealedSecret's own metadata, which never
/// reaches the Secret: moved there together, one mistake, reported at the first of them.
fn not_read(cx: &Context<'_>, obj: &Object, mut misplaced: Vec<(&str, &Annotation)>) -> Option<Finding> {
    misplaced.sort_by_key(|(_, a)| a.key.loc.span.start());
    let ((first_name, first), rest) = misplaced.split_first()?;
    let names: Vec<&str> = misplaced.iter().map(|(name, _)| *name).collect();
    let listed = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (what, these) = if names.len() == 1 {
        ("annotation", "this one")
    } else {
        ("annotations", "these")
    };
    let mut finding = Finding::new(
        first.key.loc,
        format!(
            "credentials secret `{}` lacks the Reflector {what} {listed} in `spec.template.metadata`: {these}, on the SealedSecret's own metadata, never reach{} the Secret, so {}",
            obj.name().unwrap_or("<unnamed>"),
            if names.len() == 1 { "es" } else { "" },
            consequence(&names)
        ),
    )
    .field(cx.project, format!("metadata.annotations.{}", first.key.value))
    .label("not where Reflector reads it")
    .help(format!("move {} under `spec.template.metadata.annotations` (the template is not encrypted: edit it by hand or re-seal)", if names.len() == 1 { format!("`{first_name}`") } else { "them".to_string() }));
    for (name, annotation) in rest {
        finding = finding.related(annotation.key.loc, format!("`{name}` is on the own metadata too"));
    }
    Some(finding)
}

/// `name` is written under the misspelt key `written`, which Reflector ignores.
fn misspelt_as(
    cx: &Context<'_>,
    obj: &Object,
    name: &str,
    written: &str,
    annotation: &Annotation,
) -> Finding {
    let annotations = match obj.spec {
        Spec::SealedSecret(_) => "spec.template.metadata.annotations",
        _ => "metadata.annotations",
    };
    Finding::new(
        annotation.key.loc,
        format!(
            "credentials secret `{}` lacks the Reflector annotation `{name}`: `{written}` is not one, so {}",
            obj.name().unwrap_or("<unnamed>"),
            consequence(&[name])
        ),
    )
    .field(cx.project, format!("{annotations}.{}", annotation.key.value))
    .label(format!("not `{name}`"))
    .help(format!("rename the key to `{REFLECTOR_PREFIX}{name}`"))
}

/// Adds the missing annotations where Reflector reads them, mirroring to the namespace of
/// the app the Secret's name tells (`<app>-db-creds`: namespace `<app>`).
fn add_annotations(cx: &Context<'_>, obj: &Object, missing: &[&str]) -> Option<Fix> {
    let app = app_of(obj.name()?, &cx.config.naming.secret_suffix)?;
    let mut entries: Vec<(String, String)> = missing
        .iter()
        .map(|&name| {
            let value = if name == ALLOWED_NAMESPACES {
                string(&cx.config.naming.app_namespace(app))
            } else {
                "\"true\"".to_string()
            };
            (format!("{REFLECTOR_PREFIX}{name}"), value)
        })
        .collect();
    // In key order, as kubeseal writes them.
    entries.sort();
    let path: &[&str] = match obj.spec {
        Spec::SealedSecret(_) => &["spec", "template", "metadata", "annotations"],
        _ => &["metadata", "annotations"],
    };
    let (yaml, root) = cx.object_yaml(obj)?;
    let edit = yaml.insert_entries(root, path, &entries)?;
    Some(Fix::unsafe_edits(
        format!(
            "add the Reflector annotations, mirroring to namespace `{}`",
            cx.config.naming.app_namespace(app)
        ),
        vec![edit],
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{lint_sop, secret};
    use super::*;

    #[test]
    fn what_is_missing_and_what_is_another_rules() {
        let sealed_with_own_annotations = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: c-db-creds\n  namespace: postgres\n  annotations:\n    reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"\n    reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: c\n    reflector.v1.k8s.emberstack.com/reflection-auto-enabled: \"true\"\nspec:\n  encryptedData: {}\n  template:\n    metadata:\n      name: c-db-creds\n      namespace: postgres\n";
        let found = lint_sop(
            "reflector-missing",
            &[
                // A typo is `reflector-invalid`'s finding.
                (
                    "a.yaml",
                    &secret(
                        "a-db-creds",
                        &[
                            (ALLOWED, "\"true\""),
                            (AUTO_ENABLED, "\"true\""),
                            ("reflection-alowed-namespaces", "a"),
                        ],
                    ),
                ),
                // A mirror gets its data from elsewhere.
                (
                    "b.yaml",
                    &secret("b-db-creds", &[("reflects", "apps/b-db-creds")]),
                ),
                // On the SealedSecret itself: `reflector-placement`'s finding.
                ("c.yaml", sealed_with_own_annotations),
                // A label selector instead of a namespace list.
                (
                    "d.yaml",
                    &secret(
                        "d-db-creds",
                        &[
                            (ALLOWED, "\"true\""),
                            (AUTO_ENABLED, "\"true\""),
                            (ALLOWED_SELECTOR, "app=d"),
                        ],
                    ),
                ),
                ("e.yaml", &secret("e-db-creds", &[])),
                (
                    "f.yaml",
                    &secret(
                        "f-db-creds",
                        &[(ALLOWED, "\"true\""), (ALLOWED_NAMESPACES, "f")],
                    ),
                ),
                // Mirrored by hand: no auto-reflection needed.
                (
                    "g.yaml",
                    &secret(
                        "g-db-creds",
                        &[(ALLOWED, "\"true\""), (ALLOWED_NAMESPACES, "g")],
                    ),
                ),
                (
                    "g-mirror.yaml",
                    &secret("g-db-creds", &[("reflects", "postgres/g-db-creds")])
                        .replace("namespace: postgres", "namespace: g"),
                ),
            ],
        );
        assert_eq!(
            found,
            [
                "e.yaml:4 credentials secret `e-db-creds` lacks the Reflector annotations `reflection-allowed`, `reflection-auto-enabled`, `reflection-allowed-namespaces`: Reflector never copies it to the app's namespace",
                "f.yaml:6 credentials secret `f-db-creds` lacks the Reflector annotation `reflection-auto-enabled`: Reflector never copies it to the app's namespace",
            ]
        );
    }

    #[test]
    fn a_misspelt_or_misplaced_annotation_is_reported_at_its_key() {
        let typo = secret(
            "a-db-creds",
            &[
                (ALLOWED, "\"true\""),
                (AUTO_ENABLED, "\"true\""),
                ("reflection-alowed-namespaces", "a"),
            ],
        );
        let misplaced = crate::rules::testing::sealed_secret(
            "  name: c-db-creds\n  namespace: postgres\n  annotations:\n    reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: c\n",
            "      name: c-db-creds\n      namespace: postgres\n      annotations:\n        reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"\n        reflector.v1.k8s.emberstack.com/reflection-auto-enabled: \"true\"\n",
        );
        let files = [
            ("infra/databases/postgres/a.yaml", typo.as_str()),
            ("infra/databases/postgres/c.yaml", misplaced.as_str()),
        ];
        // The check alone (the other rules off): the key to edit.
        assert_eq!(
            crate::rules::testing::run(&files, check),
            [
                "infra/databases/postgres/a.yaml:9:5 credentials secret `a-db-creds` lacks the Reflector annotation `reflection-allowed-namespaces`: `reflection-alowed-namespaces` is not one, so Reflector allows every namespace",
                "infra/databases/postgres/c.yaml:7:5 credentials secret `c-db-creds` lacks the Reflector annotation `reflection-allowed-namespaces` in `spec.template.metadata`: this one, on the SealedSecret's own metadata, never reaches the Secret, so Reflector allows every namespace",
            ]
        );
        // The whole lint: one finding per key, the other rule's.
        let reported = crate::rules::testing::rules_reported("reflector-", &files);
        assert_eq!(reported, ["reflector-invalid", "reflector-placement"]);
        // Annotations moved together: one finding, at the first, the others listed.
        let moved = crate::rules::testing::sealed_secret(
            "  name: m-db-creds\n  namespace: postgres\n  annotations:\n    reflector.v1.k8s.emberstack.com/reflection-auto-enabled: \"true\"\n    reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"\n    reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: m\n",
            "      name: m-db-creds\n",
        );
        let files = [("infra/databases/postgres/m.yaml", moved.as_str())];
        assert_eq!(
            crate::rules::testing::run(&files, check),
            [
                "infra/databases/postgres/m.yaml:7:5 credentials secret `m-db-creds` lacks the Reflector annotations `reflection-auto-enabled`, `reflection-allowed`, `reflection-allowed-namespaces` in `spec.template.metadata`: these, on the SealedSecret's own metadata, never reach the Secret, so Reflector never copies it to the app's namespace",
            ]
        );
        assert_eq!(
            crate::rules::testing::rules_reported("reflector-", &files),
            ["reflector-placement"]
        );
    }

    #[test]
    fn a_misspelt_key_and_a_missing_one_are_two_mistakes() {
        let text = secret(
            "a-db-creds",
            &[(ALLOWED, "\"true\""), ("reflection-alowed-namespaces", "a")],
        );
        let files = [("infra/databases/postgres/a.yaml", text.as_str())];
        assert_eq!(
            crate::rules::testing::rules_reported("reflector-", &files),
            ["reflector-invalid", "reflector-missing"]
        );
        assert_eq!(
            lint_sop("reflector-missing", &[("a.yaml", &text)]),
            ["a.yaml:6 credentials secret `a-db-creds` lacks the Reflector annotation `reflection-auto-enabled`: Reflector never copies it to the app's namespace"]
        );
    }
}
