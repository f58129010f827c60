use crate::diagnostic::{Finding, Subject};
use crate::edit::Fix;
use crate::model::{Annotation, LAST_APPLIED, ShapeKind, Spec, StringMap};
use crate::rules::Context;
use crate::source::FileId;
use crate::yaml::yaml11::{YamlType, is_true};

declare_rule! {
    /// ## What it does
    /// Checks that every annotation and label value is a string as Kubernetes reads YAML. Its
    /// decoder follows YAML 1.1, so unquoted `0`, `-1`, `010`, `1.5`, `true`, `yes`, `on`, `y`,
    /// `off`, `~`, `null`, an empty value or `2024-01-01` are numbers, booleans, nulls or
    /// timestamps there, even where a YAML 1.2 tool reads several of them as strings. Checked
    /// on every object's `metadata`, on a SealedSecret's `spec.template.metadata` (which
    /// becomes the Secret's), and on a kustomization's `commonAnnotations`/`commonLabels`
    /// (reported once, where they are written).
    ///
    /// An object every deployment applies through `kustomize build` is judged as kustomize
    /// writes it: its own annotations become strings whatever their type (kustomize
    /// `RemoveBuildAnnotations` sets them from a string map), and labels and nested metadata
    /// keep the type kustomize's YAML 1.2 reader gives them, where `yes`, `on` or a date are
    /// strings but numbers, `true`/`false` and null are not (checked with `kubectl kustomize`,
    /// kustomize v5.5.0). A kustomization's own string maps are read the same way.
    ///
    /// ## Why is this bad?
    /// Annotations and labels are `map[string]string`. Argo CD reads the manifest untyped and
    /// its `GetAnnotations()` returns nothing at all when one value is not a string: the
    /// object loses its sync wave, hooks and sync options, so it is applied in wave 0 with the
    /// secrets. The apply itself then fails with `cannot unmarshal number into Go struct
    /// field ObjectMeta.metadata.annotations of type string` (older `kubectl` silently dropped
    /// all annotations instead), and `kubeseal` refuses such a Secret.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: 2
    ///   labels:
    ///     cnpg.io/reload: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2"
    ///   labels:
    ///     cnpg.io/reload: "true"
    /// ```
    ///
    /// ## How to fix
    /// Quote the value (`"2"`, `"true"`, `"0"`); write `""` for an empty value. `kubeseal`
    /// and `kubectl` always write quoted values, so this only happens in hand-edited files.
    pub struct AnnotationNotString {
        id: "annotation-not-string",
        group: "parsing",
        level: Error,
        summary: "an annotation or label value is not a string as Kubernetes reads YAML (1.1)",
        fix: (Safe, "quotes the value; a YAML 1.1 boolean word where a component reads a boolean (Reflector's `yes`) becomes `\"true\"`/`\"false\"`, a written null becomes `\"\"`"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (id, obj) in cx.all_objects() {
        // Applied only through kustomize: it reads YAML 1.2 (`yes` is a string there) and
        // writes an object's own annotations as strings, whatever their YAML type.
        let yaml12 = cx.deploy().only_built_by_kustomize(id);
        // Entries a kustomization merged in are reported once, at the kustomization below.
        if !yaml12 {
            let map = &obj.meta.annotations;
            own(cx, out, map, "annotation", "metadata.annotations", obj.file, false);
        }
        own(cx, out, &obj.meta.labels, "label", "metadata.labels", obj.file, yaml12);
        if let Spec::SealedSecret(sealed) = &obj.spec
            && let Some(meta) = sealed.secret_meta()
        {
            let (annotations, labels) = (&meta.annotations, &meta.labels);
            let path = "spec.template.metadata.annotations";
            own(cx, out, annotations, "template annotation", path, obj.file, yaml12);
            let path = "spec.template.metadata.labels";
            own(cx, out, labels, "template label", path, obj.file, yaml12);
        }
        // Mappings and lists under `annotations:`/`labels:` are not entries: the model records
        // them as shape problems, reported here for every object (not only SOP ones).
        for problem in &obj.shape_problems {
            if problem.kind == ShapeKind::StringMapValue {
                out.push(
                    Finding::new(problem.loc, problem.message.clone())
                        .field(cx.project, obj.problem_path(problem))
                        .label("not a string")
                        .help("write the value as one quoted string"),
                );
            }
        }
    }
    for kustomization in &cx.project.kustomize.kustomizations {
        let file = kustomization.file;
        // kustomize reads its kustomization with YAML 1.2 into string maps: `yes` is a string
        // there, a number or `true` fails the build.
        own(
            cx,
            out,
            &kustomization.common_annotations,
            "common annotation",
            "commonAnnotations",
            file,
            true,
        );
        own(
            cx,
            out,
            &kustomization.common_labels,
            "common label",
            "commonLabels",
            file,
            true,
        );
    }
}

fn own(
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
    map: &StringMap,
    what: &str,
    path: &str,
    file: FileId,
    yaml12: bool,
) {
    for entry in &map.entries {
        if entry.is_string()
            || entry.value.loc.file != file
            || (yaml12 && entry.is_string_in_yaml12())
        {
            continue;
        }
        let subject = Subject::at(cx.project, entry.value.loc, format!("{path}.{}", entry.key.value));
        out.push(
            finding(entry, what)
                .subject(subject)
                .fix_opt(quote(cx, entry)),
        );
    }
}

/// Quotes the value as written; a YAML 1.1 boolean word where a component parses a boolean
/// becomes `"true"`/`"false"` (Reflector's `bool.TryParse` refuses `"yes"`); a written null
/// becomes `""`.
fn quote(cx: &Context<'_>, entry: &Annotation) -> Option<Fix> {
    if entry.key.value == LAST_APPLIED {
        return None;
    }
    let value = match entry.yaml_type {
        YamlType::Bool if entry.holds_boolean() => {
            if is_true(entry.value.as_str()) {
                "true"
            } else {
                "false"
            }
        }
        YamlType::Null => "",
        _ => entry.value.as_str(),
    };
    let yaml = cx.yaml(entry.value.loc.file);
    let edit = yaml.quote(yaml.node_at(entry.value.loc)?, value)?;
    Some(Fix::safe(
        format!("write `{}`", edit.content),
        vec![edit],
    ))
}

fn finding(entry: &Annotation, what: &str) -> Finding {
    let key = &entry.key.value;
    let finding = |found: String, help: String| {
        Finding::new(
            entry.value.loc,
            format!("{what} `{key}` is {found} in YAML 1.1, not a string"),
        )
        .label("not a string")
        .help(help)
    };
    match entry.yaml_type {
        YamlType::Null => finding(
            "null".into(),
            format!("write `{key}: \"\"` for an empty value, or quote the value you meant"),
        ),
        // The last-applied annotation may hold a Secret's values: never echo it.
        kind if key == LAST_APPLIED => finding(kind.describe().into(), "quote the value".into()),
        kind => {
            let text = entry.value.as_str();
            // Where a boolean is read, the quoted word must be one it accepts.
            let quoted = match kind {
                YamlType::Bool if entry.holds_boolean() => {
                    if is_true(text) { "true" } else { "false" }.to_string()
                }
                _ => text.replace('"', "\\\""),
            };
            finding(
                format!("{} (`{text}`)", kind.describe()),
                format!(
                    "quote it: `{key}: \"{quoted}\"`; one non-string value hides all of the object's {}s from Argo CD",
                    if what.ends_with("label") {
                        "label"
                    } else {
                        "annotation"
                    }
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    a: \"0\"\n    b: 0\n    c: yes\n    d: ~\n    e: !!str 1\n    f: 2024-01-01\n    g: on-call\n  labels:\n    tier: [a]\n";

    #[test]
    fn yaml11_values_on_any_object() {
        assert_eq!(
            findings("annotation-not-string", &[("apps/web.yaml", DEPLOYMENT)]),
            [
                "apps/web.yaml:7 annotation `b` is an integer (`0`) in YAML 1.1, not a string",
                "apps/web.yaml:8 annotation `c` is a boolean (`yes`) in YAML 1.1, not a string",
                "apps/web.yaml:9 annotation `d` is null in YAML 1.1, not a string",
                "apps/web.yaml:11 annotation `f` is a timestamp (`2024-01-01`) in YAML 1.1, not a string",
                "apps/web.yaml:14 `labels` values must be strings, found a list",
            ]
        );
    }

    #[test]
    fn kustomize_common_values_are_reported_once() {
        let kustomization = "resources:\n  - a.yaml\n  - b.yaml\ncommonAnnotations:\n  team: 7\n";
        let object =
            |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
        let found = findings(
            "annotation-not-string",
            &[
                ("k/kustomization.yaml", kustomization),
                ("k/a.yaml", &object("a")),
                ("k/b.yaml", &object("b")),
            ],
        );
        assert_eq!(
            found,
            [
                "k/kustomization.yaml:5 common annotation `team` is an integer (`7`) in YAML 1.1, not a string"
            ]
        );
    }

    #[test]
    fn sealed_template_metadata_is_checked() {
        let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData: {}\n  template:\n    metadata:\n      annotations:\n        argocd.argoproj.io/sync-wave: -1\n";
        assert_eq!(
            findings("annotation-not-string", &[("s.yaml", sealed)]),
            [
                "s.yaml:10 template annotation `argocd.argoproj.io/sync-wave` is an integer (`-1`) in YAML 1.1, not a string"
            ]
        );
    }
}

#[cfg(test)]
mod kustomize_tests {
    use crate::rules::testing::findings;

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    wave: 2\n  labels:\n    on-call: yes\n    replicas: 5\n";

    /// kustomize writes an object's own annotations as strings and reads YAML 1.2, where
    /// `yes` is a string; a number stays a number.
    #[test]
    fn through_kustomize_only_yaml12_non_strings_count() {
        let plain = findings("annotation-not-string", &[("web/web.yaml", WEB)]);
        assert_eq!(plain.len(), 3, "{plain:?}");
        let built = findings(
            "annotation-not-string",
            &[
                ("web/kustomization.yaml", "resources: [web.yaml]\n"),
                ("web/web.yaml", WEB),
            ],
        );
        assert_eq!(
            built,
            ["web/web.yaml:9 label `replicas` is an integer (`5`) in YAML 1.1, not a string"]
        );
    }
}
