use crate::diagnostic::Finding;
use crate::edit::Fix;
use crate::hash::HashSet;
use crate::model::{SYNC_WAVE, Spec, WaveValue, parse_wave};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that every `argocd.argoproj.io/sync-wave` annotation on a Secret, SealedSecret,
    /// Cluster or Database (and in a SealedSecret's `spec.template.metadata`) is an integer
    /// string as Go's `strconv.Atoi` reads it: an optional `+`/`-` sign and ASCII digits,
    /// nothing else. A wave that is not a string at all (unquoted `1`) is reported by
    /// `annotation-not-string` instead.
    ///
    /// ## Why is this bad?
    /// Argo CD parses the wave with `strconv.Atoi` and, when that fails, silently uses wave 0:
    /// no error, no event. A Database annotated `"2.0"` or `" 2"` is applied in wave 0,
    /// together with the credentials secrets and before its Cluster exists, which is exactly
    /// the ordering the annotation was written to prevent.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    ///   annotations:
    ///     argocd.argoproj.io/sync-wave: "2.0"
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
    /// Write the wave as a quoted whole number: `"0"` for secrets, `"1"` for the Cluster, `"2"`
    /// for Databases (or the waves your configuration sets). No spaces, decimals or words.
    pub struct SyncWaveInvalid {
        id: "sync-wave-invalid",
        group: "waves",
        level: Error,
        summary: "a sync-wave annotation is not an integer string, so Argo CD silently uses wave 0",
        fix: (Safe, "writes the integer meant, quoted (`2.0` or `\" 2\"` become `\"2\"`); a guess from a letter typed for a digit (`O` for `0`) is unsafe"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // A `commonAnnotations` wave is merged into every object of its kustomization: report it once.
    let mut reported = HashSet::default();
    for (id, obj) in cx.objects() {
        if !obj.is_sop_kind() {
            continue;
        }
        let mut waves = vec![(obj.wave(), false)];
        if let Spec::SealedSecret(sealed) = &obj.spec {
            let template = sealed
                .secret_meta()
                .and_then(|m| m.annotations.get(SYNC_WAVE));
            waves.push((template, true));
        }
        for (annotation, in_template) in waves {
            let Some(annotation) = annotation else {
                continue;
            };
            if WaveValue::of(annotation) != WaveValue::Invalid
                || !cx.deploy().has_sync_waves(id)
                || !reported.insert(annotation.value.loc)
            {
                continue;
            }
            let shown = shorten(annotation.value.as_str());
            let message = if in_template {
                format!(
                    "sync wave `{shown}` in the template of {} is not an integer",
                    obj.display_name()
                )
            } else if annotation.value.loc.file == obj.file {
                format!(
                    "sync wave `{shown}` is not an integer: Argo CD silently syncs {} in wave 0",
                    obj.display_name()
                )
            } else {
                format!(
                    "sync wave `{shown}` is not an integer: Argo CD silently syncs these objects in wave 0"
                )
            };
            let suggested = suggestion(annotation.value.as_str());
            out.push(
                Finding::new(annotation.value.loc, message)
                .field(cx.project, obj.metadata_entry_path(annotation.value.loc).unwrap_or_default())
                .label("not an integer")
                .help(match suggested {
                    Some((wave, _)) => format!("did you mean `\"{wave}\"`?"),
                    None => "write a whole number in quotes, e.g. `\"2\"` (an optional sign and digits only)".into(),
                })
                .fix_opt(suggested.and_then(|(wave, exact)| {
                    let yaml = cx.yaml(annotation.value.loc.file);
                    let edit = yaml.set_string(yaml.node_at(annotation.value.loc)?, &wave.to_string())?;
                    let message = format!("write `\"{wave}\"`");
                    Some(if exact {
                        Fix::safe(message, vec![edit])
                    } else {
                        Fix::unsafe_edits(message, vec![edit])
                    })
                })),
            );
        }
    }
}

/// The integer a user most likely meant, and whether it is exactly what they wrote:
/// surrounding blanks or quotes removed or a whole decimal (`2.0`) are; a letter typed for a
/// digit (`O`, `l`) is a guess.
fn suggestion(text: &str) -> Option<(i64, bool)> {
    let trimmed = text.trim().trim_matches(['"', '\'']).trim();
    if let Some(wave) = parse_wave(trimmed) {
        return Some((wave, true));
    }
    let digits: String = trimmed
        .chars()
        .map(|c| match c {
            'O' | 'o' => '0',
            'l' | 'I' => '1',
            c => c,
        })
        .collect();
    if let Some(wave) = parse_wave(&digits) {
        return Some((wave, false));
    }
    let (whole, fraction) = trimmed.split_once('.')?;
    let wave = parse_wave(whole)?;
    (!fraction.is_empty() && fraction.bytes().all(|b| b == b'0')).then_some((wave, true))
}

/// Long values are cut in messages.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::{shorten, suggestion};

    #[test]
    fn suggests_the_integer_meant() {
        assert_eq!(suggestion(" 2"), Some((2, true)));
        assert_eq!(suggestion("2 "), Some((2, true)));
        assert_eq!(suggestion("'1'"), Some((1, true)));
        assert_eq!(suggestion("\"-1\""), Some((-1, true)));
        assert_eq!(suggestion("2.0"), Some((2, true)));
        assert_eq!(suggestion("-1.00"), Some((-1, true)));
        assert_eq!(suggestion("2.5"), None);
        assert_eq!(suggestion("2."), None);
        assert_eq!(suggestion("two"), None);
        assert_eq!(suggestion("O"), Some((0, false)));
        assert_eq!(suggestion("-l"), Some((-1, false)));
        assert_eq!(suggestion("1O"), Some((10, false)));
        assert_eq!(suggestion("0x10"), None);
        assert_eq!(suggestion(""), None);
    }

    #[test]
    fn shortens_long_values() {
        assert_eq!(shorten("1.0"), "1.0");
        assert_eq!(shorten(&"9".repeat(50)).chars().count(), 41);
    }
}

#[cfg(test)]
mod rule_tests {
    use super::check;
    use crate::rules::testing::run;

    fn db(name: &str, wave: &str) -> String {
        format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: {name}\n  annotations:\n    argocd.argoproj.io/sync-wave: {wave}\nspec:\n  name: x\n"
        )
    }

    #[test]
    fn only_string_values_atoi_rejects() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1.5\"\n";
        let files = [
            ("apps/a.yaml", db("a", "\" 2\"")),
            ("apps/b.yaml", db("b", "2")),
            ("apps/c.yaml", db("c", "\"${WAVE}\"")),
            ("apps/d.yaml", db("d", "\"+2\"")),
            ("apps/e.yaml", db("e", "yes")),
            ("apps/web.yaml", deployment.to_string()),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert_eq!(
            run(&files, check),
            [
                "apps/a.yaml:6:35 sync wave ` 2` is not an integer: Argo CD silently syncs Database `a` in wave 0"
            ]
        );
    }

    #[test]
    fn a_common_annotation_is_reported_once() {
        let kustomization = "resources:\n  - a.yaml\n  - b.yaml\ncommonAnnotations:\n  argocd.argoproj.io/sync-wave: \"first\"\n";
        let plain = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: NAME\nspec:\n  name: x\n";
        let files = [
            ("apps/kustomization.yaml", kustomization.to_string()),
            ("apps/a.yaml", plain.replace("NAME", "a")),
            ("apps/b.yaml", plain.replace("NAME", "b")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert_eq!(
            run(&files, check),
            [
                "apps/kustomization.yaml:5:33 sync wave `first` is not an integer: Argo CD silently syncs these objects in wave 0"
            ]
        );
    }
}
