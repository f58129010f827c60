//! The machine formats against the real binary: SARIF (structure, Microsoft's SARIF Multitool,
//! the JSON schema), GitHub annotations, GitLab Code Quality, line-independent fingerprints and
//! `--output`.

#[path = "common/env.rs"]
mod env;

#[path = "common/fs.rs"]
mod fs_util;

#[path = "common/python.rs"]
mod python;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};

use assert_cmd::Command;
use serde_json::Value;

const MULTITOOL: &str = "@microsoft/sarif-multitool@5.7.0";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("fixtures").join(name)
}

fn pglint() -> Command {
    let mut cmd = Command::cargo_bin("pglint").expect("binary built");
    env::plain_output(&mut cmd);
    cmd
}

fn check(root: &Path, args: &[&str]) -> Output {
    pglint()
        .arg("check")
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn parse(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn report(root: &Path, format: &str) -> Value {
    let output = check(root, &["--format", format]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&output)
}

fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
}

fn int(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not an integer: {value}"))
}

fn on_path(program: &str) -> bool {
    Process::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

use python::run;

/// The repository root's path below the git top level around it, with a trailing `/`
/// (`fixtures/example/` in a checkout of pglint; empty outside git): what the CI formats'
/// paths start with.
fn top_prefix(root: &Path) -> String {
    let root = root.canonicalize().unwrap();
    match root.ancestors().find(|dir| dir.join(".git").exists()) {
        Some(top) if top != root => {
            format!("{}/", root.strip_prefix(top).unwrap().to_str().unwrap())
        }
        _ => String::new(),
    }
}

fn is_fingerprint(text: &str) -> bool {
    text.split_once(':').is_some_and(|(hash, occurrence)| {
        hash.len() == 16
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
            && occurrence.parse::<u32>().is_ok_and(|n| n >= 1)
    })
}

#[test]
fn sarif_describes_every_rule_and_matches_the_json_report() {
    let example = fixture("example");
    let output = check(&example, &["--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1), "exit code as for any format");
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(!text.contains("snippet"), "no source text in SARIF");
    let log = parse(&output);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = array(&log["runs"]);
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let prefix = top_prefix(&example);
    assert!(
        root.starts_with("file:///")
            && format!("{root}{prefix}").ends_with("/example/")
            && (prefix.is_empty() || !root.ends_with("/example/")),
        "{root} is the git top level"
    );

    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "pglint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = array(&driver["rules"]);
    assert_eq!(rules.len(), pglint::rules::ALL.len());
    for (descriptor, rule) in rules.iter().zip(pglint::rules::ALL) {
        let meta = rule.meta();
        assert_eq!(descriptor["id"], meta.id);
        let name = descriptor["name"].as_str().unwrap();
        assert!(name.starts_with(|c: char| c.is_ascii_uppercase()) && !name.contains('-'));
        assert_eq!(name.to_lowercase(), meta.id.replace('-', ""));
        assert_eq!(descriptor["shortDescription"]["text"], meta.summary);
        let full = descriptor["fullDescription"]["text"].as_str().unwrap();
        assert!(
            !full.is_empty() && !full.contains("## ") && !full.contains('\n'),
            "{full}"
        );
        // The full documentation, as `pglint explain` prints it (tests/catalog.rs checks
        // its sections).
        let docs = pglint::report::rule_docs(meta);
        assert!(!docs.is_empty() && !docs.starts_with(' '));
        assert_eq!(descriptor["help"]["text"], docs.as_str());
        assert_eq!(descriptor["help"]["markdown"], docs.as_str());
        if docs.starts_with("## What it does\n") {
            let flowing = docs.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flowing.contains(full), "{}: {full}", meta.id);
        }
        let level = &descriptor["defaultConfiguration"]["level"];
        assert!(level == "error" || level == "warning", "{level}");
        assert_eq!(
            descriptor["properties"]["tags"],
            serde_json::json!([meta.group.as_str()])
        );
    }

    let json = report(&example, "json");
    let diagnostics = array(&json["diagnostics"]);
    let results = array(&run["results"]);
    assert_eq!(results.len(), diagnostics.len());
    let mut fingerprints = BTreeSet::new();
    for (result, diagnostic) in results.iter().zip(diagnostics) {
        assert_eq!(result["ruleId"], diagnostic["rule"]);
        assert_eq!(
            rules[int(&result["ruleIndex"]) as usize]["id"],
            result["ruleId"]
        );
        assert_eq!(result["level"], diagnostic["severity"]);
        let message = result["message"]["text"].as_str().unwrap();
        assert!(message.starts_with(diagnostic["message"].as_str().unwrap()));
        if let Some(help) = diagnostic["help"].as_str() {
            assert!(message.ends_with(help), "{message}");
        }
        let locations = array(&result["locations"]);
        assert_eq!(locations.len(), 1);
        assert_location(&locations[0]["physicalLocation"], diagnostic, &prefix);
        let related = array(&diagnostic["related"]);
        let related_locations = result["relatedLocations"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        assert_eq!(related_locations.len(), related.len());
        for (i, (location, related)) in related_locations.iter().zip(related).enumerate() {
            assert_eq!(int(&location["id"]), i as u64);
            assert_eq!(location["message"]["text"], related["message"]);
            assert_location(&location["physicalLocation"], related, &prefix);
        }
        let fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert!(is_fingerprint(fingerprint), "{fingerprint}");
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "duplicate {fingerprint}"
        );
    }

    let owner = results
        .iter()
        .find(|r| r["ruleId"] == "owner-role-missing")
        .expect("owner-role-missing reported");
    let location = &owner["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        format!("{prefix}infra/databases/postgres/wikijs-db.yaml")
    );
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 8, "startColumn": 10, "endLine": 8, "endColumn": 20})
    );
    assert!(
        owner["message"]["text"]
            .as_str()
            .unwrap()
            .contains("did you mean `wikijs_user`?")
    );
}

/// A SARIF physical location against a JSON-report location: the same place (below `prefix`,
/// the root's path from the git top level), with SARIF's exclusive end column.
fn assert_location(sarif: &Value, json: &Value, prefix: &str) {
    let artifact = &sarif["artifactLocation"];
    assert_eq!(
        artifact["uri"],
        format!("{prefix}{}", json["file"].as_str().unwrap())
    );
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    let region = &sarif["region"];
    assert_eq!(region["startLine"], json["line"]);
    assert_eq!(region["startColumn"], json["column"]);
    assert_eq!(region["endLine"], json["end_line"]);
    assert_eq!(int(&region["endColumn"]), int(&json["end_column"]) + 1);
}

/// The SARIF logs the validators check: findings with related locations, an empty run, and
/// the example checked in a subfolder of a monorepo.
fn sarif_samples(dir: &Path) -> Vec<PathBuf> {
    let monorepo = monorepo(&dir.join("monorepo"), GitDir::Folder);
    [
        ("example", fixture("example"), 1),
        ("conformant", fixture("conformant"), 0),
        ("monorepo", monorepo.join(MONOREPO_ROOT), 1),
    ]
    .into_iter()
    .map(|(name, root, code)| {
        let output = check(&root, &["--format", "sarif"]);
        assert_eq!(output.status.code(), Some(code), "{name}");
        // The example's fixes (`artifactChanges`) are validated too.
        let fixes = String::from_utf8_lossy(&output.stdout).contains("\"artifactChanges\"");
        assert_eq!(fixes, code == 1, "{name}");
        let path = dir.join(format!("{name}.sarif"));
        std::fs::write(&path, &output.stdout).unwrap();
        path
    })
    .collect()
}

/// Where the monorepo keeps the example, below its git top level.
const MONOREPO_ROOT: &str = "sub/dir";

/// How a monorepo's `.git` looks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GitDir {
    /// `git init` (a folder; made by hand when git is not installed).
    Folder,
    /// A file naming the git folder, as in a worktree.
    File,
}

/// A git repository at `top` holding the example in [`MONOREPO_ROOT`]; returns `top`.
fn monorepo(top: &Path, git: GitDir) -> PathBuf {
    fs_util::copy_dir(&fixture("example"), &top.join(MONOREPO_ROOT));
    match git {
        GitDir::Folder if on_path("git") => {
            run(Process::new("git")
                .args(["init", "--quiet"])
                .arg(top)
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE"));
        }
        GitDir::Folder => std::fs::create_dir(top.join(".git")).unwrap(),
        GitDir::File => std::fs::write(top.join(".git"), "gitdir: /elsewhere/.git\n").unwrap(),
    }
    top.canonicalize().unwrap()
}

/// Installs the SARIF Multitool into `target/sarif-multitool` (once) and returns its binary.
fn sarif_multitool() -> PathBuf {
    let prefix = manifest_dir().join("target").join("sarif-multitool");
    let package = prefix.join("node_modules/@microsoft/sarif-multitool");
    if !package.join("package.json").exists() {
        run(Process::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(MULTITOOL));
    }
    // The package's own `bin.js` runs the tool through a shell, which splits `Gh;Sarif` at the
    // `;`: call the platform binary it resolves to directly.
    let output = run(Process::new("node")
        .args(["-p", "require(process.argv[1])"])
        .arg(&package));
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

#[test]
fn sarif_passes_the_sarif_multitool() {
    if !on_path("npm") {
        eprintln!("skipped: npm is not on PATH, so the SARIF Multitool cannot be installed");
        return;
    }
    let multitool = sarif_multitool();
    let dir = tempfile::tempdir().unwrap();
    for sample in sarif_samples(dir.path()) {
        let log_path = sample.with_extension("validation.sarif");
        let output = run(Process::new(&multitool)
            .args([
                "validate",
                "--rule-kind",
                "Gh;Sarif",
                "--log",
                "ForceOverwrite",
                "-o",
            ])
            .arg(&log_path)
            .arg(&sample));
        let console = String::from_utf8_lossy(&output.stdout);
        // The exit code stays 0 on rule violations: the validation log tells.
        let log: Value = serde_json::from_slice(&std::fs::read(&log_path).unwrap()).unwrap();
        let run = &log["runs"][0];
        let invocation = &run["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], true, "{console}");
        let failures: Vec<String> = array(&run["results"])
            .iter()
            .chain(
                invocation["toolExecutionNotifications"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            )
            .filter(|r| r["level"] == "error")
            .map(|r| format!("{} {}", r["ruleId"], r["message"]))
            .collect();
        assert!(
            failures.is_empty(),
            "{}: {failures:#?}\n{console}",
            sample.display()
        );
        eprintln!(
            "{}: SARIF Multitool (Gh;Sarif) found no errors\n{console}",
            sample.display()
        );
    }
}

const SCHEMA_CHECK: &str = r#"
import json, sys
from jsonschema import Draft202012Validator
validator = Draft202012Validator(json.load(open(sys.argv[1])))
errors = [f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
          for path in sys.argv[2:] for e in validator.iter_errors(json.load(open(path)))]
print("\n".join(errors))
sys.exit(1 if errors else 0)
"#;

#[test]
fn sarif_matches_the_json_schema() {
    let schema = manifest_dir().join("../shared/schemas/sarif-2.1.0.json");
    if !schema.exists() {
        eprintln!("skipped: {} is absent", schema.display());
        return;
    }
    let Some(python) = python::python_with("jsonschema", "jsonschema", "jsonschema-venv") else {
        eprintln!("skipped: python3 is not on PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let samples = sarif_samples(dir.path());
    run(Process::new(python)
        .args(["-c", SCHEMA_CHECK])
        .arg(&schema)
        .args(&samples));
}

/// The SARIF fingerprints, start lines and GitLab fingerprints of a run, in report order.
fn identities(root: &Path) -> Vec<(String, u64, String)> {
    let sarif = report(root, "sarif");
    let gitlab = report(root, "gitlab");
    let results = array(&sarif["runs"][0]["results"]);
    let issues = array(&gitlab);
    assert_eq!(results.len(), issues.len());
    results
        .iter()
        .zip(issues)
        .map(|(result, issue)| {
            let start = int(&result["locations"][0]["physicalLocation"]["region"]["startLine"]);
            assert_eq!(int(&issue["location"]["lines"]["begin"]), start);
            (
                result["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                start,
                issue["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn fingerprints_survive_unrelated_lines_moving() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    fs_util::copy_dir(&fixture("example"), &root);
    let before = identities(&root);
    assert!(!before.is_empty());
    assert_eq!(
        before,
        identities(&fixture("example")),
        "the root path is not hashed"
    );

    let sarif = report(&root, "sarif");
    let files: BTreeSet<&str> = array(&sarif["runs"][0]["results"])
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    let prefix = top_prefix(&root);
    for file in files {
        let path = root.join(file.strip_prefix(prefix.as_str()).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("# an unrelated comment\n{text}")).unwrap();
    }
    let after = identities(&root);
    assert_eq!(after.len(), before.len());
    for ((fingerprint, line, gitlab), (fingerprint_after, line_after, gitlab_after)) in
        before.iter().zip(&after)
    {
        assert_eq!(*line_after, line + 1, "the finding moved down");
        assert_eq!(fingerprint, fingerprint_after);
        assert_eq!(gitlab, gitlab_after);
    }
}

#[test]
fn github_annotations_then_the_human_report() {
    let output = check(
        &fixture("example"),
        &["--format", "github", "--color", "always"],
    );
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "no color in the GitHub format");
    let json = report(&fixture("example"), "json");
    let diagnostics = array(&json["diagnostics"]);
    let lines: Vec<&str> = text.lines().collect();
    let (annotations, human) = lines.split_at(diagnostics.len());
    for (annotation, diagnostic) in annotations.iter().zip(diagnostics) {
        let command = format!("::{} ", diagnostic["severity"].as_str().unwrap());
        assert!(annotation.starts_with(&command), "{annotation}");
        assert!(!annotation.contains('\n'));
        let title = format!(",title=pglint ({})::", diagnostic["rule"].as_str().unwrap());
        assert!(annotation.contains(&title), "{annotation}");
    }
    let prefix = top_prefix(&fixture("example"));
    assert!(
        annotations.contains(
            &format!(
                "::error file={prefix}infra/databases/postgres/wikijs-db.yaml,line=8,endLine=8,\
                 col=10,endColumn=20,title=pglint (owner-role-missing)::Database owner \
                 `wikijs_usr` is not a role of cluster `postgres-shared`%0Ahelp: did you mean \
                 `wikijs_user`?"
            )
            .as_str()
        ),
        "{text}"
    );
    assert!(!human[0].starts_with("::"), "one annotation per diagnostic");
    assert!(text.contains("8 │   owner: wikijs_usr"), "{text}");
    assert!(lines.last().unwrap().ends_with(" files"), "{text}");
}

#[test]
fn github_format_is_chosen_on_github_actions_unless_a_format_is_given() {
    let example = fixture("example");
    let auto = pglint()
        .env("GITHUB_ACTIONS", "true")
        .args(["check", "--root"])
        .arg(&example)
        .output()
        .unwrap();
    assert_eq!(auto.status.code(), Some(1));
    assert!(
        String::from_utf8(auto.stdout)
            .unwrap()
            .starts_with("::error file=")
    );
    let explicit = pglint()
        .env("GITHUB_ACTIONS", "true")
        .args(["check", "--format", "json", "--root"])
        .arg(&example)
        .output()
        .unwrap();
    assert_eq!(parse(&explicit)["version"], 1);
    let elsewhere = check(&example, &[]);
    assert!(
        !String::from_utf8(elsewhere.stdout)
            .unwrap()
            .contains("::error")
    );
}

#[test]
fn gitlab_code_quality_report() {
    let example = fixture("example");
    let output = check(&example, &["--format", "gitlab"]);
    assert_eq!(output.status.code(), Some(1));
    let issues = parse(&output);
    let json = report(&example, "json");
    let diagnostics = array(&json["diagnostics"]);
    assert_eq!(array(&issues).len(), diagnostics.len());
    let mut fingerprints = BTreeSet::new();
    for (issue, diagnostic) in array(&issues).iter().zip(diagnostics) {
        let keys: BTreeSet<&str> = issue
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "check_name",
                "description",
                "fingerprint",
                "location",
                "severity"
            ])
        );
        assert_eq!(issue["check_name"], diagnostic["rule"]);
        let severity = if diagnostic["severity"] == "error" {
            "major"
        } else {
            "minor"
        };
        assert_eq!(issue["severity"], severity);
        assert!(
            issue["description"]
                .as_str()
                .unwrap()
                .starts_with(diagnostic["message"].as_str().unwrap())
        );
        assert_eq!(
            issue["location"]["path"],
            format!(
                "{}{}",
                top_prefix(&example),
                diagnostic["file"].as_str().unwrap()
            )
        );
        assert_eq!(issue["location"]["lines"]["begin"], diagnostic["line"]);
        assert_eq!(issue["location"]["lines"]["end"], diagnostic["end_line"]);
        let fingerprint = issue["fingerprint"].as_str().unwrap();
        assert!(is_fingerprint(fingerprint), "{fingerprint}");
        assert!(fingerprints.insert(fingerprint.to_string()));
    }
    let clean = check(&fixture("conformant"), &["--format", "gitlab"]);
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(parse(&clean), serde_json::json!([]));
}

#[test]
fn output_writes_the_format_to_a_file_and_the_human_report_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pglint.sarif");
    let output = pglint()
        .args(["check", "--format", "sarif", "--root"])
        .arg(fixture("example"))
        .arg("--output")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "exit code unchanged");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("owner-role-missing"), "{stdout}");
    assert!(stdout.contains("8 │   owner: wikijs_usr"), "{stdout}");
    assert!(
        stdout.lines().last().unwrap().ends_with(" files"),
        "{stdout}"
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(!array(&log["runs"][0]["results"]).is_empty());

    let clean = pglint()
        .args(["check", "--format", "gitlab", "--root"])
        .arg(fixture("conformant"))
        .arg("--output")
        .arg(dir.path().join("codequality.json"))
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0));
    assert!(
        String::from_utf8(clean.stdout)
            .unwrap()
            .starts_with("0 errors, 0 warnings")
    );

    let unwritable = pglint()
        .args(["check", "--format", "sarif", "--root"])
        .arg(fixture("conformant"))
        .arg("--output")
        .arg(dir.path().join("no/such/dir/pglint.sarif"))
        .output()
        .unwrap();
    assert_eq!(unwritable.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unwritable.stderr).contains("cannot write"));
}

#[test]
fn ci_formats_give_paths_from_the_git_top_level_in_a_monorepo() {
    for git in [GitDir::Folder, GitDir::File] {
        let dir = tempfile::tempdir().unwrap();
        let top = monorepo(&dir.path().join("mono"), git);
        let under = |path: &str| path.starts_with(&format!("{MONOREPO_ROOT}/infra/"));
        let in_monorepo = |args: &[&str]| {
            let output = pglint()
                .current_dir(&top)
                .args(["check", "--root", MONOREPO_ROOT])
                .args(args)
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(1), "{args:?}");
            output
        };

        let sarif = parse(&in_monorepo(&["--format", "sarif"]));
        let run = &sarif["runs"][0];
        let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
            .as_str()
            .unwrap();
        assert_eq!(base, format!("file://{}/", top.display()), "the top level");
        let mut uris = Vec::new();
        for result in array(&run["results"]) {
            let locations = array(&result["locations"])
                .iter()
                .chain(result["relatedLocations"].as_array().into_iter().flatten());
            for location in locations {
                let artifact = &location["physicalLocation"]["artifactLocation"];
                assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
                uris.push(artifact["uri"].as_str().unwrap().to_string());
            }
        }
        assert!(uris.len() > 3 && uris.iter().all(|u| under(u)), "{uris:?}");
        assert!(
            uris.iter().all(|u| top.join(u).is_file()),
            "the URIs resolve against %SRCROOT%: {uris:?}"
        );

        let github = String::from_utf8(in_monorepo(&["--format", "github"]).stdout).unwrap();
        let files: Vec<&str> = github
            .lines()
            .filter_map(|l| l.strip_prefix("::error file="))
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(files.len(), 3, "{github}");
        assert!(files.iter().all(|f| under(f)), "{files:?}");
        // The human report after the annotations keeps repository-relative paths.
        assert!(github.contains("─[infra/databases/postgres/wikijs-db.yaml:8:10]"));

        let gitlab = parse(&in_monorepo(&["--format", "gitlab"]));
        let paths: Vec<&str> = array(&gitlab)
            .iter()
            .map(|issue| issue["location"]["path"].as_str().unwrap())
            .collect();
        assert!(
            !paths.is_empty() && paths.iter().all(|p| under(p)),
            "{paths:?}"
        );

        // JSON and concise stay relative to the repository root.
        let json = parse(&in_monorepo(&["--format", "json"]));
        let json_files: Vec<&str> = array(&json["diagnostics"])
            .iter()
            .map(|d| d["file"].as_str().unwrap())
            .collect();
        assert!(
            json_files.iter().all(|f| f.starts_with("infra/")),
            "{json_files:?}"
        );
        let concise = String::from_utf8(in_monorepo(&["--format", "concise"]).stdout).unwrap();
        assert!(concise.starts_with("infra/"), "{concise}");

        // Fingerprints do not depend on where the repository sits.
        let fingerprints = |log: &Value| -> Vec<Value> {
            array(&log["runs"][0]["results"])
                .iter()
                .map(|r| r["partialFingerprints"].clone())
                .collect()
        };
        let alone = report(&fixture("example"), "sarif");
        assert_eq!(fingerprints(&sarif), fingerprints(&alone));
    }
}
