//! The opt-in rules (off by default) on their fixtures and on the conformant repository,
//! turned on with a warning level: exactly the findings each fixture was made for.

#[path = "common/fixture.rs"]
mod fixture;

use pglint::config::{Config, Level};
use pglint::diagnostic::Severity;
use pglint::engine::lint::lint;
use pglint::project::Project;

/// `path:line:column message` of `rule`'s findings, the rule turned on, in a rule fixture
/// (`None`: the conformant base itself).
fn lint_with(rule: &str, fixture_name: Option<&str>) -> Vec<String> {
    let mut config = Config::default();
    config.levels.insert(
        pglint::rules::RuleId::parse(rule).expect("a rule"),
        Level::On(Severity::Warning),
    );
    let files = match fixture_name {
        Some(name) => fixture::materialize(name),
        None => fixture::files(&fixture::base()).into_iter().collect(),
    };
    let project = Project::from_files(files, &config).expect("fixture loads");
    lint(&project, &config)
        .into_iter()
        .filter(|d| d.rule.as_str() == rule)
        .map(|d| {
            let file = d.finding.loc.file;
            let at = project.text(file).line_col(d.finding.loc.span.start());
            let path = project.path(file);
            format!("{path}:{}:{} {}", at.line, at.column, d.finding.message)
        })
        .collect()
}

#[test]
fn secret_type_with_opaque_type() {
    assert_eq!(
        lint_with("secret-type", Some("secret-type")),
        [
            "infra/databases/postgres/nextcloud-secrets-sealed.yaml:22:11 credentials secret `nextcloud-db-creds` has type `Opaque`, not `kubernetes.io/basic-auth`"
        ]
    );
}

#[test]
fn secret_type_without_type() {
    assert_eq!(
        lint_with("secret-type", Some("secret-type--missing")),
        [
            "infra/databases/postgres/vaultwarden-secrets-sealed.yaml:20:13 credentials secret `vaultwarden-db-creds` has no `spec.template.type`: the Secret is `Opaque`, not `kubernetes.io/basic-auth`"
        ]
    );
}

#[test]
fn reload_label_missing() {
    assert_eq!(
        lint_with("reload-label", Some("reload-label")),
        [
            "infra/databases/postgres/gitea-secrets-sealed.yaml:18:13 credentials secret `gitea-db-creds` lacks the `cnpg.io/reload` label: CNPG applies a new password late"
        ]
    );
}

#[test]
fn reload_label_on_the_sealed_secret() {
    assert_eq!(
        lint_with("reload-label", Some("reload-label--own-metadata")),
        [
            "infra/databases/postgres/home-assistant-secrets-sealed.yaml:8:5 `cnpg.io/reload` is on the SealedSecret `home-assistant-db-creds` itself, but the Secret gets only the template's labels: CNPG applies a new password late"
        ]
    );
}

#[test]
fn conformant_is_clean() {
    assert!(lint_with("secret-type", None).is_empty());
    assert!(lint_with("reload-label", None).is_empty());
}
