use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// TODO(docs)
    pub struct SealedValueInvalid {
        id: "sealed-value-invalid",
        group: "secrets",
        level: Error,
        summary: "an encryptedData value is not sealed-secrets ciphertext: not standard base64, too short, or its 2-byte length prefix is not the RSA size of the repository's certificate",
        check: check,
    }
}

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
