//! The rule catalogue stays complete: every rule is documented, has a fixture, follows the
//! message conventions, and every id of the public catalogue (`spec/rules.md`) exists.

use std::path::Path;

use pglint::rules::ALL;

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## How to fix",
];

#[test]
fn every_rule_has_full_documentation() {
    let mut missing = Vec::new();
    // The live checks of `pglint verify` are documented like the rules.
    for meta in pglint::rules::catalogue() {
        for section in SECTIONS {
            if !meta.docs.contains(section) {
                missing.push(format!("{}: no `{section}`", meta.id));
            }
        }
        if meta.docs.contains("TODO") {
            missing.push(format!("{}: docs still say TODO", meta.id));
        }
        let examples = meta.docs.matches("```yaml").count();
        if examples < 2 {
            missing.push(format!("{}: needs a bad and a good YAML example", meta.id));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn summaries_follow_the_message_convention() {
    for meta in pglint::rules::catalogue() {
        let summary = meta.summary;
        assert!(!summary.is_empty(), "{}", meta.id);
        assert!(
            !summary.ends_with('.'),
            "{}: summary ends with a period",
            meta.id
        );
        assert!(
            !summary.starts_with(|c: char| c.is_ascii_uppercase())
                || summary
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .is_some_and(|w| w.chars().skip(1).any(|c| c.is_ascii_uppercase())
                        || ["SOP", "Database", "Cluster", "Reflector"].contains(&w)),
            "{}: summary starts upper-case",
            meta.id
        );
    }
}

#[test]
fn rule_ids_are_unique_kebab_case() {
    let mut ids: Vec<&str> = pglint::rules::catalogue().map(|m| m.id).collect();
    for id in &ids {
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}"
        );
    }
    ids.sort();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate rule ids");
}

#[test]
fn live_checks_are_no_rules_of_check() {
    for meta in pglint::rules::live::all() {
        assert!(meta.id.starts_with("live-"), "{}", meta.id);
        assert_eq!(meta.group, pglint::rules::RuleGroup::Live);
        assert!(pglint::rules::find(meta.id).is_none(), "{}", meta.id);
        let id = pglint::rules::RuleId::parse(meta.id).expect("a typed id");
        assert!(id.is_live() && id.rule().is_none() && id.meta().id == meta.id);
    }
    assert!(
        ALL.iter()
            .all(|r| r.meta().group != pglint::rules::RuleGroup::Live)
    );
}

#[test]
fn every_rule_has_a_fixture() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let dirs: Vec<String> = std::fs::read_dir(&fixtures)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&str> = ALL
        .iter()
        .map(|r| r.meta().id)
        .filter(|id| {
            !dirs
                .iter()
                .any(|d| d == id || d.starts_with(&format!("{id}--")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a fixtures/rules/<id> folder: {missing:?}"
    );
}

#[test]
fn every_catalogue_id_is_implemented() {
    let catalogue = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/rules.md");
    let Ok(text) = std::fs::read_to_string(&catalogue) else {
        eprintln!(
            "skipped: {} is absent (fresh clone without ../shared)",
            catalogue.display()
        );
        return;
    };
    let missing: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .filter(|id| pglint::rules::find(id).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "catalogue ids without a rule: {missing:?}"
    );
}

#[test]
fn readme_rule_table_is_current() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("<!-- rules-table")
        .expect("README has the rules-table marker");
    let body_start = readme[start..].find("-->").unwrap() + start + 4;
    let end = readme
        .find("<!-- /rules-table -->")
        .expect("README has the end marker");
    let expected = pglint::rules::markdown_table();
    assert_eq!(
        readme[body_start..end].trim(),
        expected.trim(),
        "README rule table is stale; replace it with:\n{expected}"
    );
}

#[test]
fn readme_live_checks_table_is_current() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("<!-- live-checks-table")
        .expect("README has the live-checks-table marker");
    let body_start = readme[start..].find("-->").unwrap() + start + 4;
    let end = readme
        .find("<!-- /live-checks-table -->")
        .expect("README has the end marker");
    let expected = pglint::rules::live_markdown_table();
    assert_eq!(
        readme[body_start..end].trim(),
        expected.trim(),
        "README live checks table is stale; replace it with:\n{expected}"
    );
}

/// A rule's code never names another rule, nor reaches into another rule's module:
/// precedence is declared (`yields_to`, typed ids) and decided by the engine, not by a rule
/// matching ids or calling another rule's helpers to re-check its condition (a fact two rules
/// need is one query of the model, deploy layer or index). Documentation and comments may
/// name other rules (to tell a reader whose finding a case is), and so may the rule's tests.
#[test]
fn rule_code_names_no_other_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let rules: Vec<(&str, String)> = ALL
        .iter()
        .map(|r| (r.meta().id, format!("{:?}", r.id())))
        .collect();
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if matches!(name.as_str(), "mod" | "testing" | "live") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for offence in other_rules_named(&name, &text, &rules) {
            offenders.push(format!("{name}.rs {offence}"));
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// What the code of the rule file `module` (its tests, comments and `yields_to` list left
/// out) names of the other `rules` (id, typed variant).
fn other_rules_named(module: &str, text: &str, rules: &[(&str, String)]) -> Vec<String> {
    let own = module.replace('_', "-");
    let mut code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(start) = code.find("yields_to: [") {
        let end = code[start..]
            .find(']')
            .map_or(code.len(), |e| start + e + 1);
        code.replace_range(start..end, "");
    }
    let called = called_names(&code);
    let mut named = Vec::new();
    for (id, variant) in rules.iter().filter(|(id, _)| *id != own) {
        let other_module = id.replace('-', "_");
        let patterns = [
            (format!("\"{id}\""), "names"),
            (format!("RuleId::{variant}"), "names the id of"),
            (format!("{other_module}::"), "uses the module of"),
        ];
        for (pattern, what) in patterns {
            if code.contains(&pattern) {
                named.push(format!("{what} `{id}` (`{pattern}`)"));
            }
        }
        // A query named after a rule (`sealed_values_copied()`, `owner_role_missing()`)
        // hides that rule's condition behind a helper: a query is named after its fact.
        let words = word_set(id.split('-'));
        for name in called
            .iter()
            .filter(|name| word_set(name.split('_')) == words)
        {
            named.push(format!("calls `{name}`, named after `{id}`"));
        }
    }
    named
}

/// Every identifier that `code` calls (an identifier followed by `(`).
fn called_names(code: &str) -> Vec<&str> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut names = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices() {
        match (is_ident(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if c == '(' {
                    names.push(&code[s..i]);
                }
                start = None;
            }
            _ => {}
        }
    }
    names
}

/// The words of a name, in any order and number: `copied_sealed_values` and
/// `sealed-value-copied` have the same.
fn word_set<'a>(words: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut set: Vec<String> = words
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .map(|w| match w.strip_suffix('s') {
            Some(one) if one.len() > 2 && !one.ends_with('s') => one.to_string(),
            _ => w,
        })
        .collect();
    set.sort();
    set.dedup();
    set
}

#[test]
fn the_meta_test_sees_another_rules_helper_and_typed_id() {
    let rules = vec![
        ("owner-role-missing", "OwnerRoleMissing".to_string()),
        ("secret-unreferenced", "SecretUnreferenced".to_string()),
    ];
    let clean = "declare_rule! {\n    yields_to: [OwnerRoleMissing],\n}\n// `owner-role-missing` says\nfn check() { cx.index.missing_owners(); }\n#[cfg(test)]\nmod tests { \"owner-role-missing\" }\n";
    assert!(other_rules_named("secret_unreferenced", clean, &rules).is_empty());
    for code in [
        "fn check() { super::owner_role_missing::awaited(); }",
        "fn check() { if rule == RuleId::OwnerRoleMissing {} }",
        "fn check() { let id = \"owner-role-missing\"; }",
        "fn check() { for owner in cx.index.missing_owner_roles() {} }",
    ] {
        assert_eq!(
            other_rules_named("secret_unreferenced", code, &rules).len(),
            1,
            "{code}"
        );
    }
}
