//! Where secret values are in a document, independently of the typed model.
//!
//! The typed readers record the spans of the values they read, but a value they do not read
//! still reaches a snippet: the second of two duplicate `stringData` keys, `data` written as a
//! list (reported by `manifest-invalid`, whose snippet shows it), a Secret inside a `List`, a
//! kind with a typo. This walk looks at every node instead, so masking never depends on the
//! document being well-formed.

use super::LAST_APPLIED;
use crate::source::Span;
use crate::yaml::{Document, NodeId, NodeKind, NodeRef};

/// Keys whose values are secret in a Secret-like object, at any depth below it.
const SECRET_FIELDS: &[&str] = &["data", "stringData", "encryptedData"];

/// Where a document's secret values are.
#[derive(Debug, Default)]
pub struct SecretSpans {
    /// Every value reporters mask (see [`secret_spans`]).
    pub values: Vec<Span>,
    /// Those of them that are sealed-secrets ciphertext: only the controller's private key
    /// opens one, so it is no secret in clear. Snippets mask it all the same (a line of
    /// ciphertext says nothing to a reader); `--diff` shows it, so that its hunks apply.
    pub ciphertext: Vec<Span>,
}

/// Spans of every secret value in `doc`:
/// - in any mapping whose `kind` mentions "secret" (Secret, SealedSecret, a typo of them…),
///   the values of `data`, `stringData` and `encryptedData` keys at any depth below it,
///   whatever their type, every duplicate included;
/// - anywhere, `kubectl.kubernetes.io/last-applied-configuration` values;
/// - anywhere, the `literals` of a kustomize `secretGenerator`.
///
/// Aliases inside a secret value mark their anchored nodes too.
pub fn secret_spans(doc: &Document) -> SecretSpans {
    let mut walk = Walk {
        doc,
        spans: SecretSpans::default(),
        marked: vec![false; doc.node_count()],
    };
    let Some(root) = doc.root() else {
        return walk.spans;
    };
    // (node, inside a Secret-like mapping, inside a `secretGenerator`)
    let mut stack = vec![(root.id(), false, false)];
    // One bit per (in_secret, in_generator) context a node was visited in: a dense bitmap,
    // since every manifest goes through here.
    let mut visited = vec![0u8; doc.node_count()];
    while let Some((id, in_secret, in_generator)) = stack.pop() {
        let bit = 1u8 << (u8::from(in_secret) * 2 + u8::from(in_generator));
        let seen = &mut visited[id as usize];
        if *seen & bit != 0 {
            continue;
        }
        *seen |= bit;
        match &doc.node(id).kind {
            NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
            NodeKind::Sequence(items) => {
                stack.extend(items.iter().map(|&item| (item, in_secret, in_generator)));
            }
            NodeKind::Mapping(pairs) => {
                let in_secret = in_secret || is_secret_like(doc, id, pairs);
                for &(key, value) in pairs {
                    let key_text = doc.resolve(key).scalar().map(|s| s.text.as_str());
                    match key_text {
                        Some(LAST_APPLIED) => walk.mark(value),
                        Some("encryptedData") if in_secret => walk.mark_encrypted(value),
                        Some(field) if in_secret && is_secret_field(field) => walk.mark(value),
                        Some("literals") if in_generator => walk.mark(value),
                        Some("secretGenerator") => stack.push((value, in_secret, true)),
                        _ => stack.push((value, in_secret, in_generator)),
                    }
                }
            }
        }
    }
    walk.spans
}

/// Is `key` one of [`SECRET_FIELDS`] under any spelling: another case (`stringdata`, `Data`),
/// `_` or `-` inside, or a typo of a letter or two. The API server (or Argo CD's apply, which
/// drops the unknown field) does not read such a key, but its value is still the secret
/// committed in clear: masking too much is harmless, too little is not.
pub(crate) fn is_secret_field(key: &str) -> bool {
    if SECRET_FIELDS.contains(&key) {
        return true;
    }
    const FOLDED_FIELDS: [&str; 3] = ["data", "stringdata", "encrypteddata"];
    let typos = |field: &str| if field.len() <= 4 { 1 } else { 2 };
    let is_separator = |c: char| matches!(c, '_' | '-' | ' ');
    // Every key of every Secret-like object comes here: for an ASCII key, its folded length
    // (an edit distance is at least the difference in length) and its letters (each edit
    // changes at most two letter counts, a transposition none) spare the distance, and the
    // folded copy, for almost all of them.
    if key.is_ascii() {
        let mut letters = [0i32; 128];
        let mut len = 0usize;
        for byte in key.bytes().filter(|&b| !is_separator(char::from(b))) {
            letters[usize::from(byte.to_ascii_lowercase())] += 1;
            len += 1;
        }
        let close = |field: &str| {
            let mut diff = letters;
            for byte in field.bytes() {
                diff[usize::from(byte)] -= 1;
            }
            let changed: u32 = diff.iter().map(|d| d.unsigned_abs()).sum();
            len.abs_diff(field.len()) <= typos(field) && changed as usize <= 2 * typos(field)
        };
        if !FOLDED_FIELDS.iter().any(|field| close(field)) {
            return false;
        }
    }
    let folded: String = key
        .chars()
        .filter(|&c| !is_separator(c))
        .flat_map(char::to_lowercase)
        .collect();
    FOLDED_FIELDS.iter().any(|field| {
        folded.chars().count().abs_diff(field.len()) <= typos(field)
            && strsim::damerau_levenshtein(&folded, field) <= typos(field)
    })
}

/// Does a `kind` of this mapping (any of them if repeated, or a merged one) name a Secret-like
/// kind?
fn is_secret_like(doc: &Document, id: NodeId, pairs: &[(NodeId, NodeId)]) -> bool {
    let secret = |kind: NodeRef<'_>| {
        kind.scalar().is_some_and(|v| {
            v.text
                .as_bytes()
                .windows(6)
                .any(|w| w.eq_ignore_ascii_case(b"secret"))
        })
    };
    pairs.iter().any(|&(key, value)| {
        doc.resolve(key).scalar().is_some_and(|k| k.text == "kind") && secret(doc.resolve(value))
    }) || doc.resolve(id).get("kind").is_some_and(secret)
}

struct Walk<'d> {
    doc: &'d Document,
    spans: SecretSpans,
    marked: Vec<bool>,
}

impl Walk<'_> {
    /// Marks the values of an `encryptedData` mapping, and notes those shaped as
    /// sealed-secrets ciphertext as such (a pasted plaintext, or base64 of one, is not).
    fn mark_encrypted(&mut self, id: NodeId) {
        if let NodeKind::Mapping(pairs) = &self.doc.node(id).kind {
            for &(_, value) in pairs {
                let node = self.doc.node(value);
                if let NodeKind::Scalar(scalar) = &node.kind
                    && super::SealedValue::of(&scalar.text).looks_sealed()
                {
                    self.spans.ciphertext.push(node.span);
                }
            }
        }
        self.mark(id);
    }

    /// Marks the scalars of a value (keys of mappings inside it stay readable) and, through
    /// any alias inside it, the nodes it borrows.
    fn mark(&mut self, id: NodeId) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut self.marked[id as usize], true) {
                continue;
            }
            let node = self.doc.node(id);
            match &node.kind {
                NodeKind::Scalar(_) => self.spans.values.push(node.span),
                NodeKind::Alias(target) => stack.push(*target),
                NodeKind::Sequence(items) => stack.extend(items),
                NodeKind::Mapping(pairs) => stack.extend(pairs.iter().map(|&(_, v)| v)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse};

    fn masked(text: &str) -> Vec<&str> {
        let parsed = parse(text, &Limits::default());
        let mut spans: Vec<Span> = parsed
            .documents
            .iter()
            .flat_map(|doc| secret_spans(doc).values)
            .collect();
        spans.sort();
        spans.dedup();
        spans
            .into_iter()
            .map(|s| &text[s.range()])
            .filter(|t| t.contains("SECRET"))
            .collect()
    }

    #[test]
    fn values_the_typed_model_does_not_read_are_found() {
        let text = "kind: Secret\nstringData:\n  password: SECRET1\n  password: SECRET2\n\
                    stringData: [SECRET3]\ndata: SECRET4\n";
        assert_eq!(masked(text), ["SECRET1", "SECRET2", "SECRET3", "SECRET4"]);
    }

    #[test]
    fn nested_lists_aliases_and_generators() {
        let text = "kind: List\nx: &x {password: SECRET1}\nitems:\n- kind: secret\n  stringData: {<<: *x}\n\
                    metadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: SECRET2\n\
                    secretGenerator:\n- name: a\n  literals: [password=SECRET3]\n";
        let found = masked(text);
        for secret in ["SECRET1", "SECRET2", "password=SECRET3"] {
            assert!(found.contains(&secret), "{secret}: {found:?}");
        }
    }

    #[test]
    fn misspelt_fields_are_secret_too() {
        let text = "kind: Secret\nstringdata:\n  password: SECRET1\nData:\n  k: SECRET2\n\
                    string_data: {a: SECRET3}\nstrngData: SECRET4\nencrypted-data: SECRET5\n\
                    metadata: {name: x}\ntype: Opaque\n";
        assert_eq!(
            masked(text),
            ["SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5"]
        );
        assert!(!is_secret_field("metadata") && !is_secret_field("type"));
    }

    #[test]
    fn the_letter_count_shortcut_agrees_with_the_edit_distance() {
        let by_distance = |key: &str| {
            let folded: String = key
                .chars()
                .filter(|c| !matches!(c, '_' | '-' | ' '))
                .flat_map(char::to_lowercase)
                .collect();
            SECRET_FIELDS.contains(&key)
                || ["data", "stringdata", "encrypteddata"].iter().any(|field| {
                    let typos = if field.len() <= 4 { 1 } else { 2 };
                    strsim::damerau_levenshtein(&folded, field) <= typos
                })
        };
        // Every key one or two edits (deletion, substitution, insertion, swap) away from a
        // field, and keys a Secret-like object usually holds.
        let edits = |key: &str| -> Vec<String> {
            let chars: Vec<char> = key.chars().collect();
            let mut out = Vec::new();
            for i in 0..=chars.len() {
                for c in ['a', 't', 'x', '_', 'D'] {
                    let mut inserted = chars.clone();
                    inserted.insert(i, c);
                    out.push(inserted.iter().collect());
                    if i < chars.len() {
                        let mut replaced = chars.clone();
                        replaced[i] = c;
                        out.push(replaced.iter().collect());
                    }
                }
                if i < chars.len() {
                    let mut deleted = chars.clone();
                    deleted.remove(i);
                    out.push(deleted.iter().collect());
                }
                if i + 1 < chars.len() {
                    let mut swapped = chars.clone();
                    swapped.swap(i, i + 1);
                    out.push(swapped.iter().collect());
                }
            }
            out
        };
        let mut keys: Vec<String> = ["metadata", "password", "username", "template", "type"]
            .iter()
            .chain(&[
                "annotations",
                "tls.crt",
                "Data",
                "string-data",
                "ENCRYPTED_DATA",
            ])
            .map(|k| k.to_string())
            .collect();
        for field in ["data", "stringData", "encryptedData"] {
            for once in edits(field) {
                keys.extend(edits(&once));
                keys.push(once);
            }
        }
        let mut secret = 0;
        for key in &keys {
            assert_eq!(is_secret_field(key), by_distance(key), "{key}");
            secret += usize::from(is_secret_field(key));
        }
        assert!(
            secret > 1_000 && secret < keys.len(),
            "{secret} of {}",
            keys.len()
        );
    }

    #[test]
    fn sealed_ciphertext_is_told_from_plaintext_pasted_beside_it() {
        use base64::Engine as _;
        let mut sealed = vec![0x02, 0x00];
        sealed.extend((0..530u32).map(|i| (i * 37 % 251) as u8 | 0x80));
        let ciphertext = base64::engine::general_purpose::STANDARD.encode(&sealed);
        let text = format!(
            "kind: SealedSecret\nspec:\n  template:\n    data:\n      e: &x SECRET3\n  encryptedData:\n    a: {ciphertext}\n    b: SECRET1\n    c: U0VDUkVUMg==\n    d: *x\n"
        );
        let parsed = parse(&text, &Limits::default());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let spans = secret_spans(&parsed.documents[0]);
        let texts = |spans: &[Span]| -> Vec<String> {
            spans.iter().map(|s| text[s.range()].to_string()).collect()
        };
        assert_eq!(texts(&spans.ciphertext), std::slice::from_ref(&ciphertext));
        let masked = texts(&spans.values);
        for value in [ciphertext.as_str(), "SECRET1", "U0VDUkVUMg==", "SECRET3"] {
            assert!(
                masked.iter().any(|m| m.ends_with(value)),
                "{value}: {masked:?}"
            );
        }
    }

    #[test]
    fn config_maps_keep_their_data() {
        assert!(masked("kind: ConfigMap\ndata:\n  a: SECRET\n").is_empty());
    }
}
