//! Reflector (emberstack/kubernetes-reflector): the annotations it reads on a Secret and how
//! it reads their values.

pub mod mirroring;
pub mod pattern;

pub use mirroring::{Mirroring, NamespaceList, readable, reflects, switch};
pub use pattern::{Pattern, looks_like_glob};

use super::{Annotation, Metadata, Object, REFLECTOR_PREFIX, Spec, closest, is_unknowable};

pub const ALLOWED: &str = "reflection-allowed";
pub const AUTO_ENABLED: &str = "reflection-auto-enabled";
pub const ALLOWED_NAMESPACES: &str = "reflection-allowed-namespaces";
pub const ALLOWED_SELECTOR: &str = "reflection-allowed-namespaces-selector";
pub const AUTO_NAMESPACES: &str = "reflection-auto-namespaces";
pub const AUTO_SELECTOR: &str = "reflection-auto-namespaces-selector";
pub const REFLECTS: &str = "reflects";

/// Every annotation Reflector reads or writes (after the prefix).
pub const KNOWN: &[&str] = &[
    ALLOWED,
    ALLOWED_NAMESPACES,
    ALLOWED_SELECTOR,
    AUTO_ENABLED,
    AUTO_NAMESPACES,
    AUTO_SELECTOR,
    REFLECTS,
    "auto-reflects",
    "reflected-version",
    "reflected-at",
];

/// The known annotation that an unknown Reflector annotation name (without prefix) misspells
/// (`reflection-allowd`: `reflection-allowed`); `None` for a known name, or one close to none.
pub fn misspelling_of(name: &str) -> Option<&'static str> {
    if KNOWN.contains(&name) {
        return None;
    }
    closest(name, KNOWN.iter().copied())
}

/// The Reflector annotation `name` (without prefix) in a metadata block.
pub fn reflector<'m>(meta: &'m Metadata, name: &str) -> Option<&'m Annotation> {
    meta.annotations
        .entries
        .iter()
        .find(|a| a.key.value.strip_prefix(REFLECTOR_PREFIX) == Some(name))
}

/// Reflector annotations of a metadata block, with their short name.
pub fn reflector_entries(meta: &Metadata) -> impl Iterator<Item = (&str, &Annotation)> {
    meta.annotations.entries.iter().filter_map(|a| {
        a.key
            .value
            .strip_prefix(REFLECTOR_PREFIX)
            .map(|name| (name, a))
    })
}

/// The metadata Reflector reads: the Secret's own, or the SealedSecret template's (`None`
/// when a SealedSecret has no template). `None` for other kinds.
pub fn secret_meta(obj: &Object) -> Option<&Metadata> {
    match &obj.spec {
        Spec::Secret(_) => Some(&obj.meta),
        Spec::SealedSecret(sealed) => sealed.secret_meta(),
        _ => None,
    }
}

/// A value nobody can judge from the repository: substituted later, or SOPS ciphertext.
pub fn opaque(text: &str) -> bool {
    let text = text.trim();
    is_unknowable(text) || (text.starts_with("ENC[") && text.ends_with(']'))
}

/// A namespace list's entries as split on `,` and trimmed; empty entries are kept as `""`
/// (Reflector drops them: see [`NamespaceList`] for its reading).
pub fn list_entries(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).collect()
}

/// How .NET's `bool` converter reads a value (it trims, and ignores case).
pub fn dotnet_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotnet_booleans() {
        assert_eq!(dotnet_bool("true"), Some(true));
        assert_eq!(dotnet_bool(" TRUE "), Some(true));
        assert_eq!(dotnet_bool("False"), Some(false));
        assert_eq!(dotnet_bool("yes"), None);
        assert_eq!(dotnet_bool("1"), None);
        assert_eq!(dotnet_bool(""), None);
    }

    #[test]
    fn list_entries_are_trimmed_and_keep_empties() {
        assert_eq!(list_entries("gitea"), ["gitea"]);
        assert_eq!(list_entries(" a , b"), ["a", "b"]);
        assert_eq!(list_entries("a,,b,"), ["a", "", "b", ""]);
    }
}
