use crate::diagnostic::Finding;
use crate::model::NameKind;
use crate::model::names::{MAX_BYTES, invalid};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that role names (`spec.managed.roles[].name`, a `DatabaseRole`'s `spec.name`)
    /// and database names (`Database.spec.name`) are not empty and at most 63 bytes long
    /// (bytes, not characters: `ü` counts two).
    ///
    /// ## Why is this bad?
    /// PostgreSQL keeps at most 63 bytes of an identifier (NAMEDATALEN − 1) and silently
    /// truncates longer ones. CNPG compares the full name from the manifest with the stored,
    /// truncated one, so it never finds the role or database it created: it tries again on
    /// every reconciliation, and a Database owned by the role fails. An empty name is no
    /// identifier at all: the role or database cannot be created.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: home_assistant_recorder_long_term_statistics_and_history_database
    ///   owner: home_assistant_user
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: home_assistant
    ///   owner: home_assistant_user
    /// ```
    ///
    /// ## How to fix
    /// Use a short name: `<app>` for a database, `<app>_user` for a role, at most 63 bytes.
    pub struct NameInvalid {
        id: "name-invalid",
        group: "names",
        level: Error,
        summary: "a role or database name is empty or longer than 63 bytes",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (kind, name) in cx.index.declared_names() {
        let Some(why) = invalid(name.as_str()) else {
            continue;
        };
        let (message, help) = if name.value.is_empty() {
            (
                format!("{} name is empty", kind.noun()),
                format!(
                    "name the {} (`<app>{}`)",
                    kind.noun(),
                    if kind == NameKind::Database {
                        ""
                    } else {
                        "_user"
                    }
                ),
            )
        } else {
            (
                format!("{} name `{}` {why}", kind.noun(), name.value),
                format!("shorten it to at most {MAX_BYTES} bytes"),
            )
        };
        out.push(
            Finding::new(name.loc, message)
                .field(cx.project, kind.field_path(name.as_str()))
                .label("invalid name")
                .help(help),
        );
    }
}
