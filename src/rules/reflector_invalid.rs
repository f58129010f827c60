use crate::diagnostic::Finding;
use crate::model::reflector::{
    ALLOWED, ALLOWED_NAMESPACES, AUTO_ENABLED, AUTO_NAMESPACES, KNOWN, Pattern, dotnet_bool,
    list_entries, looks_like_glob, misspelling_of, opaque, reflector_entries, secret_meta,
};
use crate::model::{Annotation, REFLECTOR_PREFIX};
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Checks the values of the Reflector annotations on a Secret (for a SealedSecret: on
    /// `spec.template.metadata`, which the controller copies onto the Secret) in the SOP folder:
    /// - `reflection-allowed` and `reflection-auto-enabled` must read as true: `"true"` in any
    ///   case (`"True"`, `"TRUE"` are fine, as Reflector reads them);
    /// - every comma-separated entry of `reflection-allowed-namespaces` and
    ///   `reflection-auto-namespaces` must be a valid regular expression (not a shell glob such
    ///   as `*` or `app-*`); an empty `reflection-allowed-namespaces`, or one holding only
    ///   commas, is reported too (empty entries next to real ones, as in `"nextcloud,"`, are
    ///   fine: Reflector drops them);
    /// - the annotation key must be one Reflector knows (a typo such as `reflection-alowed` is
    ///   silently ignored).
    ///
    /// Values are judged as Reflector receives them: for an object only kustomize builds
    /// (YAML 1.2), an unquoted `yes` or `on` arrives as the string `"yes"`, which Reflector's
    /// `bool.TryParse` reads as false; written so elsewhere, the API server refuses the
    /// unquoted value (`annotation-not-string`).
    ///
    /// ## Why is this bad?
    /// Reflector parses the two switches as .NET booleans and treats anything it cannot parse
    /// as false, without a warning: `"yes"`, `"1"` or `"on"` leave the credentials in the
    /// `postgres` namespace, and the app fails to start because its Secret never appears.
    /// Each namespace entry is a .NET regular expression that must match the whole namespace:
    /// a bare `*` is not a valid expression (Reflector's event handling fails on it), and
    /// `app-*` matches only `app`, `app-`, `app--`…, never `app-web`. An empty
    /// `reflection-allowed-namespaces` means *every* namespace; one of only commas, none.
    ///
    /// Source (emberstack/kubernetes-reflector,
    /// `src/ES.Kubernetes.Reflector/Mirroring/Core/MirroringPropertiesExtensions.cs`):
    /// `GetMirroringProperties` reads the switches with `TryGetAnnotationValue(…, out bool
    /// allowed) && allowed` (ES.FX's `TryGetAnnotationValue` converts with .NET's bool converter,
    /// which trims and ignores case, and returns false when it cannot convert);
    /// `PatternListMatch` returns true for an empty list, else splits on `,` with
    /// `StringSplitOptions.RemoveEmptyEntries`, skips blank entries, and requires
    /// `Regex.Match(value, pattern)` to match the whole namespace.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed: "yes"
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: "*"
    ///         reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "1"
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
    /// ```
    ///
    /// ## How to fix
    /// Write `"true"` (quoted) for the two switches, and the app's namespace for
    /// `reflection-allowed-namespaces`. In a SealedSecret the template's metadata is not
    /// encrypted: edit it by hand, or re-seal the Secret with the corrected annotations.
    pub struct ReflectorInvalid {
        id: "reflector-invalid",
        group: "reflector",
        level: Error,
        summary: "a Reflector annotation has a value Reflector silently misreads, or an unknown key",
        check: check,
    }
}

/// Where to point at an annotation's value.
fn value_loc(a: &Annotation) -> Loc {
    a.value.loc
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (id, obj) in cx.index.sop_secrets(cx.config) {
        let Some(meta) = secret_meta(obj) else {
            continue;
        };
        // Built by kustomize only, the object reaches Reflector as kustomize (YAML 1.2) writes
        // it: an unquoted `yes` becomes the string "yes", which Reflector reads as false.
        let as_kustomize_writes = cx.deploy().only_built_by_kustomize(id);
        let before = out.len();
        for (name, annotation) in reflector_entries(meta) {
            let reaches_reflector_as_text = annotation.is_string()
                || (as_kustomize_writes && annotation.is_string_in_yaml12());
            // Otherwise the API server refuses the unquoted value: not a string.
            if !reaches_reflector_as_text || opaque(&annotation.value.value) {
                continue;
            }
            match name {
                ALLOWED | AUTO_ENABLED => check_switch(name, annotation, out),
                ALLOWED_NAMESPACES | AUTO_NAMESPACES => check_list(name, annotation, out),
                known if KNOWN.contains(&known) => {}
                unknown => {
                    let suggestion = misspelling_of(unknown);
                    out.push(
                        Finding::new(
                            annotation.key.loc,
                            format!("`{unknown}` is not a Reflector annotation: Reflector ignores it"),
                        )
                        .label("unknown annotation")
                        .help(match suggestion {
                            Some(s) => format!("did you mean `{REFLECTOR_PREFIX}{s}`?"),
                            None => format!(
                                "Reflector reads `{ALLOWED}`, `{ALLOWED_NAMESPACES}`, `{AUTO_ENABLED}` and `{AUTO_NAMESPACES}`"
                            ),
                        }),
                    );
                }
            }
        }
        crate::rules::metadata_entry_subjects(cx, obj, &mut out[before..]);
    }
}

fn check_switch(name: &str, annotation: &Annotation, out: &mut Vec<Finding>) {
    let value = annotation.value.as_str();
    let (message, help) = match dotnet_bool(value) {
        // Reflector's bool converter trims and ignores case: `"True"` is true.
        Some(true) => return,
        Some(false) => (
            format!("`{name}` is `{value:?}`: Reflector never copies the credentials to the app's namespace"),
            "write `\"true\"`; to stop reflecting this secret, remove the Reflector annotations instead".to_string(),
        ),
        None => (
            format!("`{name}` is `{value:?}`, which Reflector silently reads as false"),
            "Reflector parses the value as a .NET boolean: only `true`/`false` are understood, and `yes`, `1` or `on` mean false; write `\"true\"`".to_string(),
        ),
    };
    out.push(
        Finding::new(value_loc(annotation), message)
            .label("not \"true\"")
            .help(help),
    );
}

fn check_list(name: &str, annotation: &Annotation, out: &mut Vec<Finding>) {
    let value = annotation.value.as_str();
    let loc = value_loc(annotation);
    if value.trim().is_empty() {
        // An empty auto list is the same as none: every allowed namespace.
        if name == ALLOWED_NAMESPACES {
            out.push(
                Finding::new(
                    loc,
                    format!("`{name}` is empty: Reflector allows every namespace"),
                )
                .label("empty")
                .help("name the app's namespace, e.g. `gitea`"),
            );
        }
        return;
    }
    let entries = list_entries(value);
    // Reflector drops empty entries (`"nextcloud,"` is `nextcloud`); with nothing else left the
    // list matches no namespace at all.
    if entries.iter().all(|e| e.is_empty()) {
        let reach = if name == ALLOWED_NAMESPACES {
            "Reflector allows no namespace"
        } else {
            "Reflector copies the secret into no namespace"
        };
        out.push(
            Finding::new(loc, format!("`{name}` holds only commas: {reach}"))
                .label("no entry")
                .help("name the app's namespace, e.g. `gitea`"),
        );
        return;
    }
    for entry in entries.into_iter().filter(|e| !e.is_empty()) {
        match Pattern::parse(entry) {
            Err(reason) => {
                let help = if looks_like_glob(entry) {
                    "each entry is a .NET regular expression, not a glob: write `.*` where you meant `*`, and better the app's namespace itself".to_string()
                } else {
                    "each entry is a .NET regular expression that must match the whole namespace; a plain namespace name is the safest entry".to_string()
                };
                out.push(
                    Finding::new(
                        loc,
                        format!("`{name}` entry `{entry}` is not a valid regular expression ({reason}): Reflector fails on it"),
                    )
                    .label("invalid pattern")
                    .help(help),
                );
            }
            Ok(_) if looks_like_glob(entry) => {
                let meant = entry.replace('*', ".*");
                out.push(
                    Finding::new(
                        loc,
                        format!("`{name}` entry `{entry}` is a glob, but Reflector reads a regular expression: `*` repeats the character before it"),
                    )
                    .label("glob, not a regular expression")
                    .help(format!("write `{meant}` if a pattern is really meant, or list the namespace itself")),
                );
            }
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_sop, secret};

    /// An unquoted `yes`: through kustomize it reaches Reflector as the string "yes", read as
    /// false; applied as written, the API server refuses it (`annotation-not-string`'s).
    #[test]
    fn yaml11_yes_through_kustomize_is_the_string_reflector_reads_as_false() {
        let text = secret("a-db-creds", &[(ALLOWED, "yes"), (ALLOWED_NAMESPACES, "a")]);
        let built = lint_sop(
            "reflector-invalid",
            &[
                ("kustomization.yaml", "resources:\n  - a.yaml\n"),
                ("a.yaml", &text),
            ],
        );
        assert_eq!(built.len(), 1, "{built:?}");
        assert!(
            built[0].ends_with("`reflection-allowed` is `\"yes\"`, which Reflector silently reads as false"),
            "{built:?}"
        );
        assert!(lint_sop("reflector-invalid", &[("a.yaml", &text)]).is_empty());
    }

    #[test]
    fn switches_and_lists() {
        let found = lint_sop(
            "reflector-invalid",
            &[
                (
                    "a.yaml",
                    &secret(
                        "a-db-creds",
                        &[
                            (ALLOWED, "\"True\""),
                            (AUTO_ENABLED, "\"1\""),
                            (ALLOWED_NAMESPACES, "a,,b,"),
                        ],
                    ),
                ),
                (
                    "b.yaml",
                    &secret(
                        "b-db-creds",
                        &[
                            (ALLOWED, "true"),
                            (AUTO_ENABLED, "\"false\""),
                            (ALLOWED_NAMESPACES, "\"\""),
                        ],
                    ),
                ),
                (
                    "c.yaml",
                    &secret(
                        "c-db-creds",
                        &[
                            (ALLOWED, "\"${ALLOWED}\""),
                            (ALLOWED_NAMESPACES, "\"[a-z\""),
                            (AUTO_NAMESPACES, "\"\""),
                        ],
                    ),
                ),
                (
                    "d.yaml",
                    &secret(
                        "d-db-creds",
                        &[
                            (ALLOWED, "\" TRUE \""),
                            (AUTO_ENABLED, "\"true\""),
                            (ALLOWED_NAMESPACES, "\",\""),
                        ],
                    ),
                ),
            ],
        );
        assert_eq!(
            found,
            [
                // `"True"` is true to Reflector, and it drops the empty entries of `a,,b,`.
                "a.yaml:8 `reflection-auto-enabled` is `\"1\"`, which Reflector silently reads as false",
                // An unquoted `true` is `annotation-not-string`'s.
                "b.yaml:8 `reflection-auto-enabled` is `\"false\"`: Reflector never copies the credentials to the app's namespace",
                "b.yaml:9 `reflection-allowed-namespaces` is empty: Reflector allows every namespace",
                "c.yaml:8 `reflection-allowed-namespaces` entry `[a-z` is not a valid regular expression (unterminated `[]` set): Reflector fails on it",
                "d.yaml:9 `reflection-allowed-namespaces` holds only commas: Reflector allows no namespace",
            ]
        );
    }
}
