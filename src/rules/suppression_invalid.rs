use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::suppress::Suppressions;

declare_rule! {
    /// ## What it does
    /// Reports a suppression that cannot work as written: a `# pglint-ignore:` comment
    /// without a reason after ` -- `, one naming an unknown rule, one at the end of a file
    /// with no node after it, or one trying to silence `plaintext-secret`.
    ///
    /// ## Why is this bad?
    /// A suppression is a reviewed exception. Without a reason the next reviewer cannot tell
    /// whether it still applies; with a misspelt rule id it silences nothing while looking as
    /// if it did. A committed plaintext credential is never an acceptable exception.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   owner: LegacyOwner  # pglint-ignore: name-styl
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   owner: LegacyOwner  # pglint-ignore: name-style -- role created by the vendor's installer
    /// ```
    ///
    /// ## How to fix
    /// Name existing rules (`pglint rules` lists them) and give a reason after ` -- `. To skip
    /// a path entirely, add it to `exclude` in `pglint.toml`.
    pub struct SuppressionInvalid {
        id: "suppression-invalid",
        group: "suppressions",
        level: Warning,
        summary: "a suppression comment lacks a reason, names an unknown rule or cannot apply",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for invalid in Suppressions::collect(cx.project).invalid {
        let subject = Suppressions::subject_of(cx.project, invalid.loc);
        out.push(
            Finding::new(invalid.loc, invalid.message)
                .help_opt(invalid.help)
                .subject(subject),
        );
    }
}
