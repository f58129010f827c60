use crate::diagnostic::Finding;
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// With `check --base REF`: notes each value of a SealedSecret that this change seals
    /// anew (its ciphertext differs from REF's). Values are compared by digest; neither is
    /// shown.
    ///
    /// ## Why is this bad?
    /// It is not bad: it is a credential rotation, and a reviewer should see it. kubeseal
    /// seals every value with a fresh session key (sealed-secrets `pkg/crypto/crypto.go`
    /// `HybridEncrypt`), so a changed ciphertext is either a new value or the same value
    /// sealed again; the diff cannot tell. Once synced, the controller updates the Secret,
    /// CloudNativePG updates the role's password (the `cnpg.io/reload` label makes it
    /// reconcile at once), Reflector copies the Secret to the app, and the app must pick the
    /// new password up (most read it at start: restart them).
    ///
    /// ## Example
    /// A pull request that changes `spec.encryptedData.password`:
    /// ```yaml
    /// spec:
    ///   encryptedData:
    ///     password: AgB4…   # was: AgC9…
    /// ```
    ///
    /// ## Use instead
    /// Nothing to change; turn the rule off if rotations need no review in your repository:
    /// ```yaml
    /// # pglint.toml (TOML): [rules] sealed-value-rotated = "off"
    /// ```
    ///
    /// ## How to fix
    /// Confirm the rotation is intended, and that the app restarts to read the new value.
    pub struct SealedValueRotated {
        id: "sealed-value-rotated",
        group: "change",
        level: Warning,
        summary: "a change seals a new value into a SealedSecret (a credential rotation)",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = &cx.base else {
        return;
    };
    for (_, obj) in cx.objects() {
        let Spec::SealedSecret(sealed) = &obj.spec else {
            continue;
        };
        let Some(old) = base.before(obj) else {
            continue;
        };
        let Spec::SealedSecret(was) = &old.spec else {
            continue;
        };
        for entry in &sealed.encrypted {
            let Some(previous) = was.encrypted.iter().find(|e| e.key.value == entry.key.value)
            else {
                continue;
            };
            if entry.fingerprint.is_none() || entry.fingerprint == previous.fingerprint {
                continue;
            }
            out.push(
                Finding::new(
                    entry.value_loc,
                    format!(
                        "`{}` of {} is sealed anew in this change: a credential rotation",
                        entry.key.value,
                        obj.display_name()
                    ),
                )
                .field(cx.project, format!("spec.encryptedData.{}", entry.key.value))
                .label("new ciphertext")
                .help("make sure the rotation is intended and that the app restarts to read the new value")
                .related(
                    cx.base_loc(previous.value_loc),
                    format!("the value at {}", base.reference),
                ),
            );
        }
    }
}
