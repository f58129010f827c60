use crate::diagnostic::Finding;
use crate::edit::Fix;
use crate::model::{Object, Spec};
use crate::model::reflector::{reflector, reflector_entries};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Reports Reflector annotations (`reflector.v1.k8s.emberstack.com/…`) on a SealedSecret's
    /// own `metadata` in the SOP folder, when they are not also in `spec.template.metadata`.
    ///
    /// ## Why is this bad?
    /// Reflector watches Secrets only, never SealedSecrets. The sealed-secrets controller builds
    /// the Secret from `spec.template`: the template's annotations and labels land on the
    /// Secret, and nothing from the SealedSecret's own metadata does. Annotations placed there
    /// by hand are therefore ignored, and the credentials are never copied into the app's
    /// namespace. (`kubeseal` itself always puts the input Secret's annotations in the
    /// template.)
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: wikijs-db-creds
    ///   namespace: postgres
    ///   annotations:
    ///     reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///     reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: wikijs
    ///     reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    /// spec:
    ///   template:
    ///     metadata:
    ///       name: wikijs-db-creds
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
    ///       annotations:
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: wikijs
    ///         reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    ///       name: wikijs-db-creds
    ///       namespace: postgres
    /// ```
    ///
    /// ## How to fix
    /// Move the annotations under `spec.template.metadata.annotations`. The template's
    /// metadata is not encrypted, so you can edit it by hand; or put the annotations on the
    /// plain Secret and re-seal it with `kubeseal --format yaml`.
    pub struct ReflectorPlacement {
        id: "reflector-placement",
        group: "reflector",
        level: Error,
        summary: "Reflector annotations sit on a SealedSecret's own metadata instead of spec.template.metadata",
        fix: (Safe, "moves the annotations, as written, to `spec.template.metadata.annotations`"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (_, obj) in cx.index.sop_secrets(cx.config) {
        let Spec::SealedSecret(sealed) = &obj.spec else {
            continue;
        };
        let template = sealed.secret_meta();
        let mut misplaced = Vec::new();
        for (name, annotation) in reflector_entries(&obj.meta) {
            match template.and_then(|t| reflector(t, name)) {
                // Same annotation in both places: the own copy is merely redundant.
                Some(t) if t.value.value == annotation.value.value => {}
                Some(t) => out.push(
                    Finding::new(
                        annotation.key.loc,
                        format!(
                            "Reflector annotation `{name}` on the SealedSecret's own metadata differs from the one in `spec.template.metadata`, which is the only one Reflector sees"
                        ),
                    )
                    .field(cx.project, obj.metadata_entry_path(annotation.key.loc).unwrap_or_default())
                    .label("ignored")
                    .help("remove it from the SealedSecret's own metadata, and set the value you want in `spec.template.metadata.annotations`")
                    .related(t.value.loc, "the Secret gets this value"),
                ),
                None => misplaced.push((name, annotation)),
            }
        }
        // Annotations moved together are one mistake: one finding, the others as labels.
        let Some(((first_name, first), rest)) = misplaced.split_first() else {
            continue;
        };
        let names = misplaced
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, verb) = if misplaced.len() == 1 {
            ("annotation", "is")
        } else {
            ("annotations", "are")
        };
        let mut finding = Finding::new(
            first.key.loc,
            format!(
                "Reflector {noun} {names} {verb} on the SealedSecret's own metadata, which never reaches the Secret: Reflector ignores {}",
                if misplaced.len() == 1 { "it" } else { "them" }
            ),
        )
        .field(cx.project, obj.metadata_entry_path(first.key.loc).unwrap_or_default())
        .label("not copied to the Secret")
        .help(format!(
            "move {} under `spec.template.metadata.annotations` (the template is not encrypted: edit it by hand, or re-seal the Secret with the annotations)",
            if misplaced.len() == 1 { format!("`{first_name}`") } else { "them".to_string() }
        ));
        for (name, annotation) in rest {
            finding = finding.related(annotation.key.loc, format!("`{name}` is misplaced too"));
        }
        let keys: Vec<&str> = misplaced.iter().map(|(_, a)| a.key.as_str()).collect();
        finding = finding.fix_opt(move_to_template(cx, obj, &keys));
        if let Some(t) = template {
            let loc = t
                .annotations
                .key_loc
                .or(t.name.as_ref().map(|n| n.loc))
                .or(sealed.template.as_ref().map(|t| t.loc));
            if let Some(loc) = loc {
                finding = finding.related(loc, "the Secret gets only the template's metadata");
            }
        }
        out.push(finding);
    }
}

/// Moves the annotations `keys` of the object's own metadata, as written, to the end of
/// `spec.template.metadata.annotations` (created when absent); an `annotations` mapping left
/// empty goes too.
fn move_to_template(cx: &Context<'_>, obj: &Object, keys: &[&str]) -> Option<Fix> {
    let (yaml, root) = cx.object_yaml(obj)?;
    let metadata = root.get("metadata")?;
    let annotations = metadata.get("annotations")?;
    let mut moved = Vec::new();
    for key in keys {
        moved.push((key.to_string(), yaml.value_text(annotations, key)?.to_string()));
    }
    let mut edits = Vec::new();
    if yaml.entry_count(annotations) == keys.len() {
        edits.push(yaml.remove_entry(metadata, "annotations")?);
    } else {
        for key in keys {
            edits.push(yaml.remove_entry(annotations, key)?);
        }
    }
    edits.push(yaml.insert_entries(
        root,
        &["spec", "template", "metadata", "annotations"],
        &moved,
    )?);
    Some(Fix::safe(
        "move them to `spec.template.metadata.annotations`",
        edits,
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::lint_sop;

    fn sealed(own: &str, template: &str) -> String {
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: a-db-creds\n  namespace: postgres\n  annotations:\n    reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: {own}\nspec:\n  encryptedData: {{}}\n  template:\n    metadata:\n      annotations:\n        reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: {template}\n      name: a-db-creds\n"
        )
    }

    #[test]
    fn copies_in_both_places() {
        // The same value twice is redundant, not wrong.
        assert!(lint_sop("reflector-placement", &[("a.yaml", &sealed("a", "a"))]).is_empty());
        assert_eq!(
            lint_sop("reflector-placement", &[("a.yaml", &sealed("a", "b"))]),
            [
                "a.yaml:7 Reflector annotation `reflection-allowed-namespaces` on the SealedSecret's own metadata differs from the one in `spec.template.metadata`, which is the only one Reflector sees"
            ]
        );
    }
}
