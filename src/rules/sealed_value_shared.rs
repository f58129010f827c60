use crate::diagnostic::Finding;
use crate::index::RepeatedCiphertext;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns when two SealedSecrets for different Secrets hold the same `encryptedData` value
    /// (the same ciphertext) and both can decrypt it: cluster-wide scope, or namespace-wide
    /// scope in one namespace.
    ///
    /// ## Why is this bad?
    /// kubeseal encrypts every value with a fresh random session key, so equal ciphertexts
    /// are a copy. Where the sealing label still matches (`EncryptionLabel` in sealed-secrets
    /// `pkg/apis/sealedsecrets/v1alpha1/sealedsecret_expansion.go`: empty when cluster-wide,
    /// the namespace when namespace-wide), the copy decrypts, so two apps share one database
    /// password: a leak in one app exposes the other, and rotating one breaks the other.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: wiki-db-creds
    ///   annotations:
    ///     sealedsecrets.bitnami.com/cluster-wide: "true"
    /// spec:
    ///   encryptedData:
    ///     password: AgBy3i4OJSWK...   # the same value as gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: wiki-db-creds
    /// spec:
    ///   encryptedData:
    ///     password: AgCNeYWz...       # its own password, sealed for this Secret
    /// ```
    ///
    /// ## How to fix
    /// Generate a password of its own for this app and seal it for this Secret (strict scope).
    pub struct SealedValueShared {
        id: "sealed-value-shared",
        group: "secrets",
        level: Warning,
        summary: "two SealedSecrets hold the same ciphertext: two apps share one password",
        fix: (DisplayOnly, "prints the command that seals new values for this Secret"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for copied in cx.index.repeated_ciphertexts() {
        let decrypts = copied.decrypts();
        let RepeatedCiphertext { original, copy, .. } = copied;
        let (from, to) = (cx.project.object(original.0), cx.project.object(copy.0));
        // A copy that does not decrypt gives its Secret no value, so shares none; the same
        // Secret in two files (an overlay copy) shares nothing either.
        if !decrypts || (from.name() == to.name() && from.namespace_str() == to.namespace_str())
        {
            continue;
        }
        out.push(
            Finding::new(
                copy.1.value_loc,
                format!(
                    "`{}` of {} is the same ciphertext as `{}` of {}: both Secrets get the same value",
                    copy.1.key.value,
                    to.display_name(),
                    original.1.key.value,
                    from.display_name()
                ),
            )
            .field(cx.project, format!("spec.encryptedData.{}", copy.1.key.value))
            .label("shared ciphertext")
            .related(original.1.value_loc, format!("also in {}", from.display_name()))
            .help("seal a value of its own for this Secret")
            .fix(cx.reseal(to)),
        );
    }
}

