use crate::diagnostic::Finding;
use crate::model::{Annotation, Metadata};
use crate::model::reflector::{
    ALLOWED_NAMESPACES, AUTO_NAMESPACES, Pattern, list_entries, looks_like_glob, opaque,
    reflector, secret_meta,
};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns when a credentials secret in the SOP folder lets Reflector copy it into more
    /// namespaces than the one app that uses the database: `reflection-allowed-namespaces` or
    /// `reflection-auto-namespaces` holds a catch-all pattern (`.*`, `.+`, `^.*$`,
    /// `[a-z0-9-]*`…), another pattern that matches several namespaces (`app-.*`), or lists
    /// more than one namespace. It also reports `reflection-auto-namespaces` entries that
    /// `reflection-allowed-namespaces` does not allow.
    ///
    /// ## Why is this bad?
    /// Every namespace Reflector copies the Secret into holds the database password in clear
    /// (base64): anyone who can read Secrets there can log in as the app's role. With
    /// `reflection-auto-enabled: "true"`, a catch-all creates the copy in *every* namespace,
    /// including namespaces created later. An auto namespace outside the allowed ones is never
    /// served, which usually means the two lists were meant to agree and do not.
    ///
    /// ## Example
    /// ```yaml
    /// annotations:
    ///   reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///   reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: ".*"
    ///   reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// annotations:
    ///   reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///   reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: gitea
    ///   reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    /// ```
    ///
    /// ## How to fix
    /// Name exactly the namespace of the app that owns the database. If two apps really share
    /// a database, give each its own role and credentials secret instead. Drop
    /// `reflection-auto-namespaces` unless it narrows the allowed list.
    pub struct ReflectionTooBroad {
        id: "reflection-too-broad",
        group: "privileges",
        level: Warning,
        summary: "Reflector may copy a credentials secret into more than one namespace",
        check: check,
    }
}

/// The entries pglint can judge: valid patterns, not globs (those are `reflector-invalid`'s).
fn judged(annotation: &Annotation) -> Option<Vec<(&str, Pattern)>> {
    let value = annotation.value.as_str();
    if !annotation.is_string() || opaque(value) || value.trim().is_empty() {
        return None;
    }
    Some(
        list_entries(value)
            .into_iter()
            .filter(|e| !e.is_empty() && !looks_like_glob(e))
            .filter_map(|e| Pattern::parse(e).ok().map(|p| (e, p)))
            .collect(),
    )
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        if !cx.in_sop_folder(obj) {
            continue;
        }
        let Some(meta) = secret_meta(obj) else {
            continue;
        };
        let before = out.len();
        judge(meta, out);
        crate::rules::metadata_entry_subjects(cx, obj, &mut out[before..]);
    }
}

/// The findings of one credentials secret's metadata.
fn judge(meta: &Metadata, out: &mut Vec<Finding>) {
    let allowed = reflector(meta, ALLOWED_NAMESPACES);
    let auto = reflector(meta, AUTO_NAMESPACES);
    let mut allowed_broad = false;
    if let Some(annotation) = allowed
        && let Some(entries) = judged(annotation)
        && let Some(finding) = breadth(ALLOWED_NAMESPACES, annotation, &entries)
    {
        out.push(finding);
        allowed_broad = true;
    }
    let Some(auto) = auto else { return };
    let outside = allowed.map_or(0, |allowed| outside_allowed(allowed, auto, out));
    // Reflector copies only into namespaces both lists allow: a broad auto list adds
    // nothing to a broad allowed list, and an auto namespace outside it is reported above.
    if !allowed_broad
        && outside == 0
        && let Some(entries) = judged(auto)
        && let Some(finding) = breadth(AUTO_NAMESPACES, auto, &entries)
    {
        out.push(finding);
    }
}

fn breadth(name: &str, annotation: &Annotation, entries: &[(&str, Pattern)]) -> Option<Finding> {
    let loc = annotation.value.loc;
    let help = "name only the namespace of the app that owns the database; apps that share a database should get their own role and credentials secret";
    if let Some((entry, _)) = entries.iter().find(|(_, p)| p.is_catch_all() == Some(true)) {
        let reach = if name == AUTO_NAMESPACES {
            "asks Reflector for a copy in every allowed namespace"
        } else {
            "lets Reflector copy the database password into every namespace"
        };
        return Some(
            Finding::new(
                loc,
                format!("`{name}` entry `{entry}` matches every namespace: it {reach}"),
            )
            .label("catch-all")
            .help(help),
        );
    }
    if let Some((entry, _)) = entries.iter().find(|(_, p)| p.literal().is_none()) {
        return Some(
            Finding::new(
                loc,
                format!(
                    "`{name}` entry `{entry}` is a pattern that matches more than one namespace"
                ),
            )
            .label("pattern")
            .help(help),
        );
    }
    let mut names: Vec<String> = entries.iter().filter_map(|(_, p)| p.literal()).collect();
    names.sort();
    names.dedup();
    if names.len() > 1 {
        let list = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(
            Finding::new(
                loc,
                format!(
                    "`{name}` lists {} namespaces ({list}): each of them can receive a copy of the database password",
                    names.len()
                ),
            )
            .label("more than one namespace")
            .help(help),
        );
    }
    None
}

/// Auto namespaces that the allowed list does not allow are never served. Returns how many
/// findings were made.
fn outside_allowed(allowed: &Annotation, auto: &Annotation, out: &mut Vec<Finding>) -> usize {
    let (Some(allowed_entries), Some(auto_entries)) = (judged(allowed), judged(auto)) else {
        return 0;
    };
    if allowed_entries.is_empty() {
        return 0;
    }
    let before = out.len();
    for (_, pattern) in &auto_entries {
        let Some(namespace) = pattern.literal() else {
            continue;
        };
        let verdicts: Vec<Option<bool>> = allowed_entries
            .iter()
            .map(|(_, p)| p.matches(&namespace))
            .collect();
        if verdicts.iter().any(|v| *v != Some(false)) {
            continue;
        }
        out.push(
            Finding::new(
                auto.value.loc,
                format!(
                    "`{AUTO_NAMESPACES}` names `{namespace}`, which `{ALLOWED_NAMESPACES}` does not allow: Reflector never copies the secret there"
                ),
            )
            .label("outside the allowed namespaces")
            .help(format!("make the two lists agree: add `{namespace}` to `{ALLOWED_NAMESPACES}` if the app there needs the credentials, or remove it from `{AUTO_NAMESPACES}`"))
            .related(allowed.value.loc, "allowed namespaces"),
        );
    }
    out.len() - before
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{lint_sop, secret};
    use super::*;

    fn broad(allowed: &str, auto: Option<&str>) -> Vec<String> {
        let mut annotations = vec![(ALLOWED_NAMESPACES, allowed)];
        annotations.extend(auto.map(|a| (AUTO_NAMESPACES, a)));
        lint_sop(
            "reflection-too-broad",
            &[("a.yaml", &secret("a-db-creds", &annotations))],
        )
        .into_iter()
        .map(|f| f.split_once(' ').unwrap().1.to_string())
        .collect()
    }

    #[test]
    fn breadth() {
        assert!(broad("gitea", None).is_empty());
        assert!(broad("^gitea$", Some("gitea")).is_empty());
        assert_eq!(
            broad("\"^.+$\"", None),
            [
                "`reflection-allowed-namespaces` entry `^.+$` matches every namespace: it lets Reflector copy the database password into every namespace"
            ]
        );
        assert_eq!(
            broad("\"gitea-.*\"", None),
            [
                "`reflection-allowed-namespaces` entry `gitea-.*` is a pattern that matches more than one namespace"
            ]
        );
        // Only the allowed list is reported when both are broad.
        assert_eq!(broad("\".*\"", Some("\".*\"")).len(), 1);
        assert_eq!(
            broad("gitea", Some("\".*\"")),
            [
                "`reflection-auto-namespaces` entry `.*` matches every namespace: it asks Reflector for a copy in every allowed namespace"
            ]
        );
        // Globs and invalid entries are `reflector-invalid`'s; unknowable values are skipped.
        assert!(broad("\"*\"", None).is_empty());
        assert!(broad("\"gitea-*\"", None).is_empty());
        assert!(broad("\"${NAMESPACES}\"", None).is_empty());
    }
}
