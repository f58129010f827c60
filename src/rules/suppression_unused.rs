use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Reports a suppression (`# pglint-ignore: RULE -- reason`, `# pglint-ignore-file:`, or
    /// the `pglint.dev/ignore` annotation) that silenced nothing in this run, like ruff's
    /// RUF100. Only rules that ran are considered, so `--select` does not make others stale.
    ///
    /// ## Why is this bad?
    /// Stale suppressions pile up: once the problem is fixed, the comment stays and will
    /// silently hide the next, real, problem on that line.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   owner: gitea_user  # pglint-ignore: owner-role-missing -- role added later
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   owner: gitea_user
    /// ```
    ///
    /// ## How to fix
    /// Delete the suppression, or the rule id in it that no longer matches anything.
    pub struct SuppressionUnused {
        id: "suppression-unused",
        group: "suppressions",
        level: Warning,
        summary: "a suppression silences nothing",
        check: check,
    }
}

/// Whether a suppression was used is only known once every other rule has run, so
/// `lint::lint` reports these findings itself after applying the suppressions.
fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
