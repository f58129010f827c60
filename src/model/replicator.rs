//! kubernetes-replicator (mittwald/kubernetes-replicator): the annotations it reads on a Secret
//! and how it reads their values, from its `replicate/` package.
//!
//! Two ways to copy a Secret, both three-valued like Reflector's (`None`: the repository
//! cannot tell, e.g. a templated value or a label selector):
//! - push: `replicate-to` on the source, a comma list of namespace patterns
//!   (`common/generic-replicator.go` `getNamespacesToReplicate`, `common/strings.go`
//!   `StringToPatternList`); `secret/secrets.go` `ReplicateObjectTo` copies without asking the
//!   source's permission;
//! - pull: `replicate-from: <namespace>/<name>` on the copy (`resourceAddedReplicateFrom`),
//!   filled only when the source permits it (`secret/secrets.go` `ReplicateDataFrom` →
//!   `common/generic-replicator.go` `IsReplicationPermitted`).

use regex::Regex;

use super::reflector::readable;
use super::{Annotation, Metadata};

pub const PREFIX: &str = "replicator.v1.mittwald.de/";
pub const REPLICATE_TO: &str = "replicate-to";
pub const REPLICATE_TO_MATCHING: &str = "replicate-to-matching";
pub const REPLICATE_FROM: &str = "replicate-from";
pub const ALLOWED: &str = "replication-allowed";
pub const ALLOWED_NAMESPACES: &str = "replication-allowed-namespaces";

/// The replicator annotation `name` (without prefix).
pub fn annotation<'m>(meta: &'m Metadata, name: &str) -> Option<&'m Annotation> {
    meta.annotations
        .entries
        .iter()
        .find(|a| a.key.value.strip_prefix(PREFIX) == Some(name))
}

/// The replicator annotation `name` (without prefix), `None` when absent; `Some(None)` when
/// present but unreadable (templated, SOPS, not a string).
fn value<'m>(meta: &'m Metadata, name: &str) -> Option<Option<&'m str>> {
    annotation(meta, name).map(readable)
}

/// Does any of the comma-separated patterns match the whole `namespace`? As
/// `BuildStrictRegex` builds them: each entry trimmed and anchored with `^…$` unless it
/// already is. Go's RE2 syntax is the `regex` crate's; an entry that does not compile is
/// skipped, as `StringToPatternList` logs and drops it.
fn pattern_list_matches(list: &str, namespace: &str) -> bool {
    list.split(',').any(|entry| {
        let entry = entry.trim();
        let mut strict = String::with_capacity(entry.len() + 2);
        if !entry.starts_with('^') {
            strict.push('^');
        }
        strict.push_str(entry);
        if !entry.ends_with('$') {
            strict.push('$');
        }
        Regex::new(&strict).is_ok_and(|re| re.is_match(namespace))
    })
}

/// Go's `strconv.ParseBool` (no trimming).
fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Does the replicator manage this Secret as a source, i.e. push it somewhere or allow pulls?
pub fn is_source(meta: &Metadata) -> bool {
    [REPLICATE_TO, REPLICATE_TO_MATCHING, ALLOWED]
        .iter()
        .any(|name| value(meta, name).is_some())
}

/// Is `namespace` one the controller's `--exclude-namespaces` patterns leave out of pushes?
/// `common/exclude.go` `NewNamespaceFilter` skips empty and invalid patterns and
/// `ShouldExclude` matches them unanchored (`regexp.MatchString`). Pulls are not filtered.
pub fn excluded(exclude_namespaces: &[String], namespace: &str) -> bool {
    exclude_namespaces
        .iter()
        .filter(|p| !p.is_empty())
        .any(|p| Regex::new(p).is_ok_and(|re| re.is_match(namespace)))
}

/// Does the replicator push the Secret in `own_namespace` into `namespace` (once that
/// namespace exists)? It never copies a Secret onto itself, nor into a namespace its
/// `--exclude-namespaces` patterns (`exclude_namespaces`) match.
pub fn pushes_to(
    meta: &Metadata,
    own_namespace: &str,
    namespace: &str,
    exclude_namespaces: &[String],
) -> Option<bool> {
    if namespace == own_namespace || excluded(exclude_namespaces, namespace) {
        return Some(false);
    }
    let listed = match value(meta, REPLICATE_TO) {
        None => Some(false),
        Some(text) => text.map(|list| pattern_list_matches(list, namespace)),
    };
    // A label selector on namespaces pglint cannot evaluate.
    match (listed, value(meta, REPLICATE_TO_MATCHING).is_some()) {
        (Some(true), _) => Some(true),
        (listed, false) => listed,
        (_, true) => None,
    }
}

/// `IsReplicationPermitted`: may a copy in `namespace` pull this source's data? With the
/// controller's `--allow-all` flag (`allow_all`) always; else both annotations are required.
pub fn permits(meta: &Metadata, namespace: &str, allow_all: bool) -> Option<bool> {
    if allow_all {
        return Some(true);
    }
    let allowed = match value(meta, ALLOWED) {
        None => return Some(false),
        Some(text) => go_bool(text?) == Some(true),
    };
    if !allowed {
        return Some(false);
    }
    match value(meta, ALLOWED_NAMESPACES) {
        None => Some(false),
        Some(text) => Some(pattern_list_matches(text?, namespace)),
    }
}

/// Is `replication-allowed` true (whatever the namespace list says)?
pub fn permits_any(meta: &Metadata) -> bool {
    value(meta, ALLOWED).flatten().and_then(go_bool) == Some(true)
}

/// The source a copy pulls from: `replicate-from` as `resourceAddedReplicateFrom` splits it
/// (`strings.SplitN(value, "/", 2)`: the first `/` separates namespace and name), `None`
/// without one or when the value has no `/` or cannot be read.
pub fn replicate_from(meta: &Metadata) -> Option<(&str, &str)> {
    value(meta, REPLICATE_FROM)??.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(annotations: &[(&str, &str)]) -> Metadata {
        crate::model::annotated_secret_meta(PREFIX, annotations)
    }

    #[test]
    fn excluded_namespaces_match_anywhere_and_stop_pushes_only() {
        let exclude = ["kube".to_string(), String::new(), "[bad".to_string()];
        assert!(excluded(&exclude, "kube-system"));
        assert!(excluded(&exclude, "my-kube-tools"));
        assert!(!excluded(&exclude, "gitea"));
        // The empty and the invalid pattern are dropped, not "match everything".
        assert!(!excluded(&["".to_string()], "gitea"));
        let m = meta(&[(REPLICATE_TO, "\"kube-system,gitea\"")]);
        assert_eq!(
            pushes_to(&m, "postgres", "kube-system", &exclude),
            Some(false)
        );
        assert_eq!(pushes_to(&m, "postgres", "gitea", &exclude), Some(true));
        assert_eq!(pushes_to(&m, "postgres", "kube-system", &[]), Some(true));
    }

    #[test]
    fn replicate_to_is_a_list_of_whole_name_patterns() {
        let m = meta(&[(REPLICATE_TO, "\"gitea, team-.*,^exact$,[bad\"")]);
        assert_eq!(pushes_to(&m, "postgres", "gitea", &[]), Some(true));
        assert_eq!(pushes_to(&m, "postgres", "team-a", &[]), Some(true));
        assert_eq!(pushes_to(&m, "postgres", "exact", &[]), Some(true));
        // Anchored: no partial matches.
        assert_eq!(pushes_to(&m, "postgres", "gitea2", &[]), Some(false));
        assert_eq!(pushes_to(&m, "postgres", "my-team-a", &[]), Some(false));
        // The invalid entry is dropped, not fatal.
        assert_eq!(pushes_to(&m, "postgres", "[bad", &[]), Some(false));
        // Never onto itself.
        let all = meta(&[(REPLICATE_TO, ".*")]);
        assert_eq!(pushes_to(&all, "postgres", "postgres", &[]), Some(false));
        assert_eq!(pushes_to(&meta(&[]), "postgres", "gitea", &[]), Some(false));
        // Unknowable: a templated list, a namespace selector.
        assert_eq!(
            pushes_to(&meta(&[(REPLICATE_TO, "\"${NS}\"")]), "p", "gitea", &[]),
            None
        );
        let selector = meta(&[(REPLICATE_TO_MATCHING, "team=a")]);
        assert_eq!(pushes_to(&selector, "p", "gitea", &[]), None);
        assert!(is_source(&selector));
        assert!(!is_source(&meta(&[(REPLICATE_FROM, "p/a")])));
    }

    #[test]
    fn pulls_need_both_permissions() {
        let ok = meta(&[
            (ALLOWED, "\"true\""),
            (ALLOWED_NAMESPACES, "\"gitea,app-.*\""),
        ]);
        assert_eq!(permits(&ok, "gitea", false), Some(true));
        assert_eq!(permits(&ok, "app-x", false), Some(true));
        assert_eq!(permits(&ok, "other", false), Some(false));
        // strconv.ParseBool: "T" and "1" are true; " true" and "yes" are not.
        for (value, expected) in [
            ("\"T\"", true),
            ("\"1\"", true),
            ("\" true\"", false),
            ("\"yes\"", false),
        ] {
            let m = meta(&[(ALLOWED, value), (ALLOWED_NAMESPACES, "gitea")]);
            assert_eq!(permits(&m, "gitea", false), Some(expected), "{value}");
        }
        // Not a string (YAML 1.1 `yes`): the API server refuses it; nothing to judge here.
        let unquoted = meta(&[(ALLOWED, "yes"), (ALLOWED_NAMESPACES, "gitea")]);
        assert_eq!(permits(&unquoted, "gitea", false), None);
        // `--allow-all`: every pull, whatever the annotations say.
        assert_eq!(permits(&meta(&[]), "gitea", true), Some(true));
        // No namespace list: refused (unlike Reflector, which then allows all).
        assert_eq!(
            permits(&meta(&[(ALLOWED, "\"true\"")]), "gitea", false),
            Some(false)
        );
        assert_eq!(
            permits(
                &meta(&[(ALLOWED, "\"${ON}\""), (ALLOWED_NAMESPACES, "gitea")]),
                "gitea",
                false
            ),
            None
        );
    }

    #[test]
    fn replicate_from_splits_at_the_first_slash() {
        assert_eq!(
            replicate_from(&meta(&[(REPLICATE_FROM, "postgres/gitea-db-creds")])),
            Some(("postgres", "gitea-db-creds"))
        );
        assert_eq!(
            replicate_from(&meta(&[(REPLICATE_FROM, "a/b/c")])),
            Some(("a", "b/c"))
        );
        assert_eq!(
            replicate_from(&meta(&[(REPLICATE_FROM, "gitea-db-creds")])),
            None
        );
        assert_eq!(replicate_from(&meta(&[])), None);
    }
}
