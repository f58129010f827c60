use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns about role and database names that need quoting in SQL: anything but a lower-case
    /// letter or `_` followed by lower-case letters, digits and `_` (`[a-z_][a-z0-9_]*`).
    /// Hyphens, capitals, dots and a leading digit are the usual cases. Checked on declared
    /// names (`spec.managed.roles[].name`, a `DatabaseRole`'s `spec.name`,
    /// `Database.spec.name`), not on references such as `spec.owner`.
    ///
    /// ## Why is this bad?
    /// CNPG quotes every identifier, so such a role or database is created as written, with
    /// its case. But every human and tool that writes SQL by hand must quote it too:
    /// `GRANT … TO gitea-user` is a syntax error, and `\c Gitea` connects to `gitea`, which
    /// does not exist, because unquoted names are folded to lower case. Migrations, backup
    /// scripts and `psql` sessions then fail in ways that are hard to trace back to the name.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: home-assistant
    ///       login: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: home_assistant_user
    ///       login: true
    /// ```
    ///
    /// ## How to fix
    /// Use lower case and `_` instead of `-`. Renaming an existing role or database is a
    /// change in PostgreSQL too (`ALTER ROLE … RENAME TO …`): update `spec.owner`, the
    /// Secret's `username` and the app's connection settings together.
    pub struct NameStyle {
        id: "name-style",
        group: "names",
        level: Warning,
        summary: "a role or database name needs quoting in SQL: not [a-z_][a-z0-9_]*",
        // An empty or over-long name is one mistake, reported as invalid.
        yields_to: [NameInvalid],
        check: check,
    }
}

/// Is `name` usable in SQL without quotes: `[a-z_][a-z0-9_]*`?
pub(super) fn plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The plain spelling closest to `name`.
fn suggestion(name: &str) -> String {
    let mut plain: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect();
    if plain.starts_with(|c: char| c.is_ascii_digit()) {
        plain.insert(0, '_');
    }
    plain
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (kind, name) in cx.index.declared_names() {
        if plain_identifier(name.as_str()) {
            continue;
        }
        let plain = suggestion(name.as_str());
        out.push(
            Finding::new(
                name.loc,
                format!("{} name `{}` needs quoting in SQL", kind.noun(), name.value),
            )
            .field(cx.project, kind.field_path(name.as_str()))
            .label("not [a-z_][a-z0-9_]*")
            .help(format!(
                "use lower case, digits and `_`, e.g. `{plain}`; otherwise every hand-written \
                 SQL statement must write it as `\"{}\"`",
                name.value
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{plain_identifier, suggestion};

    #[test]
    fn plain_identifiers() {
        for ok in ["gitea", "gitea_user", "_x", "app2"] {
            assert!(plain_identifier(ok), "{ok}");
        }
        for bad in ["", "home-assistant", "Gitea", "2fa", "a.b", "naïve", "x y"] {
            assert!(!plain_identifier(bad), "{bad}");
        }
    }

    /// An over-long name that also needs quoting is one mistake: `name-invalid`'s, to which
    /// this rule yields at the same node.
    #[test]
    fn an_invalid_name_is_reported_once() {
        let long = "Gitea-".repeat(11);
        let cluster = format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  managed:\n    roles:\n      - name: {long}\n        login: true\n"
        );
        let rules: Vec<&str> = crate::rules::testing::lint_texts(&[("c.yaml", &cluster)])
            .iter()
            .map(|d| d.rule.as_str())
            .filter(|r| r.starts_with("name-"))
            .collect();
        assert_eq!(rules, ["name-invalid"]);
    }

    #[test]
    fn suggests_a_plain_spelling() {
        assert_eq!(suggestion("home-assistant"), "home_assistant");
        assert_eq!(suggestion("Gitea"), "gitea");
        assert_eq!(suggestion("2fa"), "_2fa");
    }
}
