use crate::diagnostic::Finding;
use crate::index::RepeatedCiphertext;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Reports an `encryptedData` value copied from another SealedSecret (the same ciphertext)
    /// that cannot be decrypted where it was copied to: the two differ in what their values
    /// are bound to (their namespace and name under the default strict scope, their namespace
    /// under namespace-wide scope).
    ///
    /// ## Why is this bad?
    /// kubeseal encrypts every value with a fresh random session key, so two equal ciphertexts
    /// are never two sealings: one is a copy. The value is bound to the OAEP label
    /// `namespace/name` (strict) or `namespace` (namespace-wide), and the controller decrypts
    /// with the label of the SealedSecret that holds it (sealed-secrets
    /// `pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go`, `EncryptionLabel`). A copy
    /// under another name reports `no key could decrypt secret`: the Secret is never created,
    /// and the app's role never gets its password. This is what copying another app's three
    /// files and renaming them does.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: wiki-db-creds
    ///   namespace: postgres
    /// spec:
    ///   encryptedData:
    ///     password: AgBy3i4OJSWK...   # copied from gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: wiki-db-creds
    ///   namespace: postgres
    /// spec:
    ///   encryptedData:
    ///     password: AgCNeYWz...       # sealed for postgres/wiki-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Seal a new password for this SealedSecret: `kubeseal --cert <cert> --format yaml
    /// < secret.yaml`, with the Secret's own name and namespace.
    pub struct SealedValueCopied {
        id: "sealed-value-copied",
        group: "secrets",
        level: Error,
        summary: "an encryptedData value copied from another SealedSecret cannot be decrypted where it was copied to",
        fix: (DisplayOnly, "prints the command that seals new values for this Secret"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for copied in cx.index.repeated_ciphertexts() {
        if copied.decrypts() {
            continue;
        }
        let RepeatedCiphertext {
            original,
            copy,
            labels,
        } = copied;
        let (from, to) = (
            cx.project.object(original.0).display_name(),
            cx.project.object(copy.0).display_name(),
        );
        out.push(
            Finding::new(
                copy.1.value_loc,
                format!(
                    "`{}` of {to} is a copy of `{}` of {from}, sealed for another {}: the controller can never decrypt it here",
                    copy.1.key.value,
                    original.1.key.value,
                    // A strict label holds the name: `namespace/name`.
                    if labels.0.contains('/') || labels.1.contains('/') {
                        "name or namespace"
                    } else {
                        "namespace"
                    }
                ),
            )
            .field(cx.project, format!("spec.encryptedData.{}", copy.1.key.value))
            .label("copied ciphertext")
            .related(original.1.value_loc, format!("the original, in {from}"))
            .help(format!(
                "seal a new value for this SealedSecret (`kubeseal --cert {} --format yaml`)",
                cx.config.certificate
            ))
            .fix(cx.reseal(cx.project.object(copy.0))),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    /// Sealed-secrets ciphertext of the right length (2 + 512 + 16 + 8 bytes).
    fn ciphertext(seed: u8) -> String {
        use base64::Engine;
        let mut bytes = vec![seed; 538];
        bytes[0] = 2;
        bytes[1] = 0;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn sealed(name: &str, annotation: &str, password: &str) -> String {
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: postgres\n{annotation}spec:\n  encryptedData:\n    password: {password}\n"
        )
    }

    #[test]
    fn a_copy_under_another_name_cannot_be_decrypted() {
        let value = ciphertext(7);
        let files = [
            ("a.yaml", sealed("gitea-db-creds", "", &value)),
            ("b.yaml", sealed("wiki-db-creds", "", &value)),
            ("c.yaml", sealed("notes-db-creds", "", &ciphertext(8))),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert_eq!(
            findings("sealed-value-copied", &files),
            [
                "b.yaml:8 `password` of SealedSecret `wiki-db-creds` is a copy of `password` of SealedSecret `gitea-db-creds`, sealed for another name or namespace: the controller can never decrypt it here"
            ]
        );
        // Where the label still matches, it is `sealed-value-shared`'s.
        let wide = "  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n";
        let files = [
            ("a.yaml", sealed("gitea-db-creds", wide, &value)),
            ("b.yaml", sealed("wiki-db-creds", wide, &value)),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert!(findings("sealed-value-copied", &files).is_empty());
        assert_eq!(findings("sealed-value-shared", &files).len(), 1);
    }
}
