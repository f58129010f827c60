//! The command-line conventions other linters have: shell completions, the manual page,
//! `--exit-zero`, `--exit-non-zero-on-fix`, `--config KEY=VALUE`; the JUnit and rdjson reports
//! validated against their schemas (`fixtures/schemas/`, vendored with provenance); SARIF's
//! `informationUri`; `pglint.schema.json` (the JSON Schema of `pglint.toml`) equal to the
//! generated one, accepting every documented example and refusing an unknown key.
//!
//! The schema checks run python's `jsonschema` and `xmlschema` (the system's, else a
//! virtualenv under `target/` installed from PyPI); they skip with a message only when there
//! is no `python3` at all.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

#[path = "common/env.rs"]
mod env;
#[path = "common/fs.rs"]
mod fs_util;
#[path = "common/python.rs"]
mod python;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> PathBuf {
    manifest_dir().join("fixtures/example")
}

fn pglint() -> Command {
    let mut cmd = Command::cargo_bin("pglint").expect("binary built");
    env::plain_output(&mut cmd);
    cmd
}

/// Exit code and standard output of `pglint ARGS` in `dir`.
fn pglint_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = pglint().current_dir(dir).args(args).output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, script) = pglint_in(&manifest_dir(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for word in ["check", "verify", "exit-zero"] {
            assert!(script.contains(word), "{shell} completion lacks `{word}`");
        }
    }
    let (code, _) = pglint_in(&manifest_dir(), &["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
}

#[test]
fn man_page_is_roff_and_one_page_per_command() {
    let (code, page) = pglint_in(&manifest_dir(), &["man"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH pglint 1"), "{page}");
    assert!(
        page.contains("pglint\\-check(1)"),
        "the page lists the commands: {page}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let (code, _) = pglint_in(&manifest_dir(), &["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    let check = std::fs::read_to_string(out.join("pglint-check.1")).unwrap();
    assert!(
        check.contains("\\-\\-exit\\-non\\-zero\\-on\\-fix"),
        "{check}"
    );
}

#[test]
fn exit_zero_and_exit_non_zero_on_fix() {
    let (code, _) = pglint_in(&example(), &["check", "--root", ".", "-q"]);
    assert_eq!(code, 1, "the example has errors");
    let (code, _) = pglint_in(&example(), &["check", "--root", ".", "-q", "--exit-zero"]);
    assert_eq!(code, 0);
    let (code, _) = pglint_in(&example(), &["check", "--root", "missing", "--exit-zero"]);
    assert_eq!(code, 2, "--exit-zero never hides a failure to check");

    // sync-wave-missing has a safe fix: fixing it leaves no finding of the rule.
    let fix = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        fs_util::copy_dir(&example(), dir.path());
        let mut args = vec![
            "check",
            "--root",
            ".",
            "-q",
            "--fix",
            "--select",
            "sync-wave-missing",
        ];
        args.extend_from_slice(extra);
        let (code, _) = pglint_in(dir.path(), &args);
        let (after, _) = pglint_in(
            dir.path(),
            &[
                "check",
                "--root",
                ".",
                "-q",
                "--select",
                "sync-wave-missing",
            ],
        );
        assert_eq!(after, 0, "the fix was written");
        code
    };
    assert_eq!(fix(&[]), 0, "nothing remains");
    assert_eq!(
        fix(&["--exit-non-zero-on-fix"]),
        1,
        "but something was fixed"
    );
    let output = pglint()
        .current_dir(example())
        .args(["check", "--exit-non-zero-on-fix"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "it needs --fix");
}

#[test]
fn config_overrides_lay_over_the_file() {
    let report = |args: &[&str]| {
        let mut all = vec!["check", "--root", ".", "--format", "json"];
        all.extend_from_slice(args);
        let (code, text) = pglint_in(&example(), &all);
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let rules: Vec<String> = value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["rule"].as_str().unwrap().to_string())
            .collect();
        (code, rules)
    };
    let (_, all) = report(&[]);
    assert!(all.iter().any(|r| r == "owner-role-missing"), "{all:?}");
    let (_, without) = report(&["--config", "rules.owner-role-missing = \"off\""]);
    assert!(!without.iter().any(|r| r == "owner-role-missing"));
    assert_eq!(without.len(), all.len() - 1);
    // With an explicit file too, and several overrides.
    let layered = |rules: &str| {
        report(&[
            "--config",
            "pglint.toml",
            "--config",
            "rules.owner-role-missing = \"off\"",
            "--config",
            rules,
        ])
    };
    let (code, none) =
        layered("rules = { sync-wave-missing = \"off\", reflector-placement = \"off\" }");
    // The annotation on the SealedSecret's own metadata is still a mistake with
    // reflector-placement off: reflector-missing, which yielded to it, reports it at that key.
    assert_eq!(
        (code, none.as_slice()),
        (1, ["reflector-missing".to_string()].as_slice())
    );
    let (code, none) = layered(
        "rules = { sync-wave-missing = \"off\", reflector-placement = \"off\", reflector-missing = \"off\" }",
    );
    assert_eq!((code, none.len()), (0, 0), "{none:?}");
    // A mistake in an override points into it.
    let output = pglint()
        .current_dir(example())
        .args([
            "check",
            "--root",
            ".",
            "--config",
            "rules.owner-role-mising = \"off\"",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("unknown rule `owner-role-mising`"),
        "{stderr}"
    );
    assert!(stderr.contains("--config"), "{stderr}");
    // The other commands that read pglint.toml take overrides too.
    let (code, rules) = pglint_in(
        &example(),
        &[
            "rules",
            "--format",
            "json",
            "--config",
            "rules.secret-type = \"off\"",
        ],
    );
    assert_eq!(code, 0);
    let rules: Value = serde_json::from_str(&rules).unwrap();
    let secret_type = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "secret-type")
        .unwrap();
    assert_eq!(secret_type["level"], "off");
}

#[test]
fn sarif_names_the_project_home() {
    let (_, text) = pglint_in(&example(), &["check", "--root", ".", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["informationUri"],
        env!("CARGO_PKG_REPOSITORY")
    );
}

/// The example's report in `format`, and the report of the conformant repository.
fn reports(format: &str) -> [String; 2] {
    let clean = manifest_dir().join("fixtures/conformant");
    [example(), clean].map(|dir| pglint_in(&dir, &["check", "--root", ".", "--format", format]).1)
}

#[test]
fn junit_names_every_finding_uniquely_and_validates() {
    let [report, clean] = reports("junit");
    let names: Vec<&str> = report
        .match_indices("<testcase ")
        .map(|(at, _)| {
            let rest = &report[at..];
            let start = rest.find(" name=\"").unwrap() + 7;
            &rest[start..start + rest[start..].find('"').unwrap()]
        })
        .collect();
    assert_eq!(names.len(), 3, "{report}");
    let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "GitLab keeps one test per name: {names:?}"
    );
    assert!(report.contains("failures=\"3\""), "{report}");
    assert!(clean.contains("tests=\"1\" failures=\"0\""), "{clean}");

    let Some(python) = python::python_with("xmlschema", "xmlschema", "xmlschema-venv") else {
        eprintln!("skipped the XSD validation: python3 is not on PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, text) in [("example.xml", &report), ("clean.xml", &clean)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    // A report that breaks the schema fails, so the check is real.
    let broken = dir.path().join("broken.xml");
    std::fs::write(
        &broken,
        report.replace("<testsuite name=\"pglint\"", "<testsuite"),
    )
    .unwrap();
    let check = |paths: &[PathBuf]| {
        Process::new(&python)
            .args(["-c", XSD_CHECK])
            .arg(manifest_dir().join("fixtures/schemas/junit-10.xsd"))
            .args(paths)
            .output()
            .unwrap()
    };
    let output = check(&files);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!check(&[broken]).status.success());
}

const XSD_CHECK: &str = r#"
import sys, xmlschema
schema = xmlschema.XMLSchema(sys.argv[1])
errors = [f"{path}: {e.reason} at {e.path}" for path in sys.argv[2:] for e in schema.iter_errors(path)]
print("\n".join(errors))
sys.exit(1 if errors else 0)
"#;

/// Validates each JSON document of the array on standard input against the schema file
/// `argv[1]` (with the validator its `$schema` names); prints one list of errors per document.
const JSON_CHECK: &str = r#"
import json, sys
from jsonschema.validators import validator_for
schema = json.load(open(sys.argv[1]))
validator = validator_for(schema)(schema)
print(json.dumps([sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)) for doc in json.load(sys.stdin)]))
"#;

/// The schema errors of each document, or `None` without python.
fn json_schema_errors(schema: &Path, documents: &[Value]) -> Option<Vec<Vec<String>>> {
    let Some(python) = python::python_with("jsonschema", "jsonschema", "jsonschema-venv") else {
        eprintln!("skipped the JSON Schema validation: python3 is not on PATH");
        return None;
    };
    let mut child = Process::new(python)
        .args(["-c", JSON_CHECK])
        .arg(schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), documents).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

#[test]
fn rdjson_validates_and_carries_fixes_as_suggestions() {
    let [report, clean] = reports("rdjson");
    let report: Value = serde_json::from_str(&report).unwrap();
    let clean: Value = serde_json::from_str(&clean).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 3);
    let owner = diagnostics
        .iter()
        .find(|d| d["code"]["value"] == "owner-role-missing")
        .unwrap();
    // `owner: wikijs_usr` on line 8: the value starts at byte column 10, ends before 20.
    assert_eq!(
        owner["location"]["range"]["start"],
        serde_json::json!({"line": 8, "column": 10})
    );
    assert_eq!(
        owner["location"]["range"]["end"],
        serde_json::json!({"line": 8, "column": 20})
    );
    assert_eq!(owner["suggestions"][0]["text"], "wikijs_user");
    assert_eq!(owner["suggestions"][0]["range"], owner["location"]["range"]);
    assert_eq!(clean["diagnostics"], serde_json::json!([]));

    let schema = manifest_dir().join("fixtures/schemas/DiagnosticResult.jsonschema");
    let broken = serde_json::json!({"diagnostics": [{"message": 1}]});
    if let Some(errors) = json_schema_errors(&schema, &[report, clean, broken]) {
        assert_eq!(
            errors[..2],
            [Vec::<String>::new(), Vec::new()],
            "{errors:?}"
        );
        assert!(!errors[2].is_empty(), "the schema check is real");
    }
}

/// `pglint.schema.json` is the generated schema; `PGLINT_UPDATE_SCHEMA=1` rewrites it.
#[test]
fn shipped_config_schema_is_the_generated_one() {
    let path = manifest_dir().join("pglint.schema.json");
    let mut generated = serde_json::to_string_pretty(&pglint::config::json_schema()).unwrap();
    generated.push('\n');
    if std::env::var_os("PGLINT_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == generated,
        "pglint.schema.json is stale: run `PGLINT_UPDATE_SCHEMA=1 cargo test --test conventions shipped_config_schema`"
    );
}

/// The ```toml blocks of a Markdown text: the pglint.toml examples (an editor's file is fenced
/// with its name after the language, ```toml languages.toml, and is not one).
fn toml_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest[..rest.find("```").unwrap()].to_string())
        .collect()
}

#[test]
fn documented_configurations_validate_and_unknown_keys_do_not() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let mut examples = toml_blocks(&readme);
    assert!(!examples.is_empty(), "the README shows pglint.toml");
    examples.push(pglint::config::DEFAULT_TOML.to_string());
    for dir in ["fixtures/example", "fixtures/conformant"] {
        if let Ok(text) = std::fs::read_to_string(manifest_dir().join(dir).join("pglint.toml")) {
            examples.push(text);
        }
    }
    let as_json = |text: &str| -> Value {
        let table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        serde_json::to_value(table).unwrap()
    };
    let mut documents: Vec<Value> = examples.iter().map(|t| as_json(t)).collect();
    let refused = [
        "namespce = \"db\"",
        "[rules]\nsecret-typ = \"off\"",
        "[rules]\nsecret-type = \"loud\"",
        "[waves]\nsecrets = 1",
        "[naming]\ndatabase = \"db-{app}\"",
        "[limits]\nmax-file-bytes = 2147483648",
    ];
    documents.extend(refused.iter().map(|t| as_json(t)));
    // pglint itself agrees with the schema on each of them.
    for (text, expected_ok) in examples
        .iter()
        .map(|t| (t.as_str(), true))
        .chain(refused.iter().map(|t| (*t, false)))
    {
        let read = pglint::config::Config::from_toml("pglint.toml", text);
        assert_eq!(read.is_ok(), expected_ok, "{text}: {:?}", read.err());
    }
    let schema = manifest_dir().join("pglint.schema.json");
    let Some(errors) = json_schema_errors(&schema, &documents) else {
        return;
    };
    let (accepted, refused_errors) = errors.split_at(examples.len());
    for (example, errors) in examples.iter().zip(accepted) {
        assert!(errors.is_empty(), "{example}\n{errors:?}");
    }
    for (text, errors) in refused.iter().zip(refused_errors) {
        assert!(!errors.is_empty(), "the schema accepts {text:?}");
    }
}
