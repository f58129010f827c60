//! What Reflector makes of a source Secret's annotations: emberstack/kubernetes-reflector
//! `src/ES.Kubernetes.Reflector/Mirroring/Core/MirroringPropertiesExtensions.cs`
//! (`GetMirroringProperties`, `CanBeReflectedToNamespace`, `CanBeAutoReflectedToNamespace`,
//! `PatternListMatch`).
//!
//! Every answer is three-valued: `Some(true)`, `Some(false)`, or `None` when the repository
//! cannot tell (a templated or SOPS value, a label selector, a pattern the matcher does not
//! evaluate). No finding may rest on a `None`.

use super::{
    ALLOWED, ALLOWED_NAMESPACES, ALLOWED_SELECTOR, AUTO_ENABLED, AUTO_NAMESPACES, AUTO_SELECTOR,
    Pattern, dotnet_bool, opaque, reflector,
};
use crate::model::{Annotation, Metadata};

/// `a && b` over "unknown" (`None`): false wins, then unknown.
fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// `a || b` over "unknown" (`None`): true wins, then unknown.
fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// An annotation value pglint can read as Reflector does: a string, not substituted later.
pub fn readable(annotation: &Annotation) -> Option<&str> {
    let value = annotation.value.as_str();
    (annotation.is_string() && !opaque(value)).then_some(value)
}

/// A switch (`reflection-allowed`, `reflection-auto-enabled`) as `GetMirroringProperties` reads
/// it: `TryGetAnnotationValue<bool>` (.NET's bool converter: trimmed, any case) `&& value`, so
/// an absent or unparsable value is false.
pub fn switch(meta: &Metadata, name: &str) -> Option<bool> {
    match reflector(meta, name) {
        None => Some(false),
        Some(annotation) => readable(annotation).map(|v| dotnet_bool(v) == Some(true)),
    }
}

/// A namespace list (`reflection-allowed-namespaces`, `reflection-auto-namespaces`) with its
/// label selector, as `MatchNamespace` and `PatternListMatch` read them.
#[derive(Debug, Clone)]
pub struct NamespaceList {
    /// The list's non-empty entries, trimmed (`PatternListMatch` splits on `,` with
    /// `RemoveEmptyEntries` and skips blank entries), each with its parse.
    pub entries: Vec<(String, Result<Pattern, String>)>,
    /// The list annotation is absent or its value empty.
    pub empty: bool,
    /// The list or its selector cannot be read (templated, not a string).
    unknown: bool,
    /// A label selector is set: namespaces it matches cannot be known from the repository.
    selector: bool,
}

impl NamespaceList {
    fn read(meta: &Metadata, list: &str, selector: &str) -> NamespaceList {
        let mut unknown = false;
        let value = match reflector(meta, list) {
            None => "",
            Some(annotation) => readable(annotation).unwrap_or_else(|| {
                unknown = true;
                ""
            }),
        };
        let selector = match reflector(meta, selector) {
            None => false,
            Some(annotation) => match readable(annotation) {
                Some(text) => !text.is_empty(),
                None => true,
            },
        };
        NamespaceList {
            entries: value
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(|e| (e.to_string(), Pattern::parse(e)))
                .collect(),
            empty: value.is_empty(),
            unknown,
            selector,
        }
    }

    /// Does the list (or its selector) take in `namespace`?
    pub fn matches(&self, namespace: &str) -> Option<bool> {
        if self.unknown {
            return None;
        }
        // `MatchNamespace`: with neither a list nor a selector, every namespace.
        if self.empty && !self.selector {
            return Some(true);
        }
        let listed = if self.empty {
            Some(false)
        } else {
            // `PatternListMatch`: the first entry matching the whole namespace (`Any`, in
            // order). An invalid pattern throws inside Reflector: nothing can be said then.
            let mut verdict = Some(false);
            for (_, pattern) in &self.entries {
                match pattern.as_ref().map(|p| p.matches(namespace)) {
                    Ok(Some(true)) => {
                        verdict = Some(true);
                        break;
                    }
                    Ok(Some(false)) => {}
                    Ok(None) => verdict = None,
                    Err(_) => {
                        verdict = None;
                        break;
                    }
                }
            }
            verdict
        };
        if self.selector {
            // OR with a selector pglint cannot evaluate.
            or(listed, None)
        } else {
            listed
        }
    }

    /// The namespaces the list names one by one (plain-name entries), in order.
    pub fn literals(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|(_, p)| p.as_ref().ok()?.literal())
            .collect()
    }
}

/// Reflector's `MirroringProperties` of a source Secret (or of the SealedSecret template the
/// controller turns into one).
#[derive(Debug, Clone)]
pub struct Mirroring {
    pub allowed: Option<bool>,
    pub auto_enabled: Option<bool>,
    pub allowed_namespaces: NamespaceList,
    pub auto_namespaces: NamespaceList,
}

impl Mirroring {
    pub fn of(meta: &Metadata) -> Mirroring {
        Mirroring {
            allowed: switch(meta, ALLOWED),
            auto_enabled: switch(meta, AUTO_ENABLED),
            allowed_namespaces: NamespaceList::read(meta, ALLOWED_NAMESPACES, ALLOWED_SELECTOR),
            auto_namespaces: NamespaceList::read(meta, AUTO_NAMESPACES, AUTO_SELECTOR),
        }
    }

    /// `CanBeReflectedToNamespace`: may a manual mirror (`reflects`) in `namespace` get the
    /// data?
    pub fn reflects_to(&self, namespace: &str) -> Option<bool> {
        and(self.allowed, self.allowed_namespaces.matches(namespace))
    }

    /// `CanBeAutoReflectedToNamespace`: does Reflector create a mirror in `namespace` by itself?
    pub fn auto_reflects_to(&self, namespace: &str) -> Option<bool> {
        and(
            and(self.reflects_to(namespace), self.auto_enabled),
            self.auto_namespaces.matches(namespace),
        )
    }
}

/// A `reflects` value as `NamespacedName.TryParse` reads it: `namespace/name` (a bare name has
/// an empty namespace); `None` for more than one `/` or a value pglint cannot read.
pub fn reflects(meta: &Metadata) -> Option<(String, String)> {
    let value = readable(reflector(meta, "reflects")?)?.trim();
    let mut parts = value.split('/');
    let (first, second, rest) = (parts.next()?, parts.next(), parts.next());
    match (second, rest) {
        (None, _) => Some((String::new(), first.to_string())),
        (Some(name), None) => Some((first.to_string(), name.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::REFLECTOR_PREFIX;

    fn meta(annotations: &[(&str, &str)]) -> Metadata {
        crate::model::annotated_secret_meta(REFLECTOR_PREFIX, annotations)
    }

    #[test]
    fn switches_are_dotnet_booleans() {
        for (value, expected) in [
            ("\"true\"", Some(true)),
            ("\"True\"", Some(true)),
            ("\" TRUE \"", Some(true)),
            ("\"yes\"", Some(false)),
            ("\"false\"", Some(false)),
            ("\"${ON}\"", None),
            ("true", None),
        ] {
            assert_eq!(
                switch(&meta(&[(ALLOWED, value)]), ALLOWED),
                expected,
                "{value}"
            );
        }
        assert_eq!(switch(&meta(&[]), ALLOWED), Some(false));
    }

    #[test]
    fn lists_drop_empty_entries_and_match_whole_namespaces() {
        let on = [(ALLOWED, "\"true\""), (AUTO_ENABLED, "\"True\"")];
        let with = |extra: &[(&str, &str)]| {
            let mut all = on.to_vec();
            all.extend_from_slice(extra);
            Mirroring::of(&meta(&all))
        };
        let m = with(&[(ALLOWED_NAMESPACES, "\"nextcloud,\"")]);
        assert_eq!(m.auto_reflects_to("nextcloud"), Some(true));
        assert_eq!(m.auto_reflects_to("gitea"), Some(false));
        assert_eq!(m.allowed_namespaces.literals(), ["nextcloud"]);
        // No list: every namespace.
        assert_eq!(with(&[]).auto_reflects_to("anything"), Some(true));
        // Only commas: no entry at all, so no namespace.
        assert_eq!(
            with(&[(ALLOWED_NAMESPACES, "\",\"")]).reflects_to("a"),
            Some(false)
        );
        // The auto list narrows the allowed one.
        let m = with(&[(ALLOWED_NAMESPACES, "a,b"), (AUTO_NAMESPACES, "b")]);
        assert_eq!(m.reflects_to("a"), Some(true));
        assert_eq!(m.auto_reflects_to("a"), Some(false));
        assert_eq!(m.auto_reflects_to("b"), Some(true));
        // A selector may take in any namespace.
        let m = with(&[(ALLOWED_NAMESPACES, "a"), (ALLOWED_SELECTOR, "team=x")]);
        assert_eq!(m.reflects_to("a"), Some(true));
        assert_eq!(m.reflects_to("b"), None);
        // Unknowable values decide nothing.
        assert_eq!(
            with(&[(ALLOWED_NAMESPACES, "\"${NS}\"")]).reflects_to("a"),
            None
        );
        // Without `reflection-auto-enabled`, no auto mirror anywhere.
        let m = Mirroring::of(&meta(&[(ALLOWED, "\"true\""), (ALLOWED_NAMESPACES, "a")]));
        assert_eq!(m.reflects_to("a"), Some(true));
        assert_eq!(m.auto_reflects_to("a"), Some(false));
    }

    #[test]
    fn reflects_parses_namespaced_names() {
        assert_eq!(
            reflects(&meta(&[("reflects", "postgres/gitea-db-creds")])),
            Some(("postgres".into(), "gitea-db-creds".into()))
        );
        assert_eq!(
            reflects(&meta(&[("reflects", "gitea-db-creds")])),
            Some((String::new(), "gitea-db-creds".into()))
        );
        assert_eq!(reflects(&meta(&[("reflects", "a/b/c")])), None);
        assert_eq!(reflects(&meta(&[])), None);
    }
}
