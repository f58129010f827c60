//! Hostile input against the real binary: whatever is committed, pglint exits 0 or 1 in
//! bounded time, reports each bad file under `yaml-syntax`/`yaml-limit` (or `manifest-invalid`
//! for a wrong shape), and still checks the healthy files beside it.
//!
//! Every test lays out `fixtures/conformant` in a temporary folder with one mistake in a
//! healthy SOP file (a Database whose owner role is missing) and adds its hostile files under
//! `hostile/`.

#[path = "common/env.rs"]
mod env;

#[path = "common/fs.rs"]
mod fs_util;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

const HEALTHY_DB: &str = "infra/databases/postgres/gitea-db.yaml";

fn conformant() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant")
}

/// The conformant repository with one healthy finding: `owner-role-missing` in [`HEALTHY_DB`].
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs_util::copy_dir(&conformant(), dir.path());
    let db = dir.path().join(HEALTHY_DB);
    let text = fs::read_to_string(&db).unwrap();
    fs::write(&db, text.replace("owner: gitea_user", "owner: ghost_user")).unwrap();
    fs::create_dir_all(dir.path().join("hostile")).unwrap();
    dir
}

fn write(root: &Path, path: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

struct Run {
    code: i32,
    report: Value,
    stdout: String,
    stderr: String,
}

fn pglint(root: &Path, format: &str) -> Run {
    let output = env::plain_output(&mut Command::cargo_bin("pglint").unwrap())
        .args(["check", "--root"])
        .arg(root)
        .args(["--format", format])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed (timeout or signal): {stderr}"));
    assert!(code == 0 || code == 1, "exit code {code}: {stderr}");
    let report = if format == "json" {
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    } else {
        Value::Null
    };
    Run {
        code,
        report,
        stdout,
        stderr,
    }
}

fn check(root: &Path) -> Run {
    pglint(root, "json")
}

impl Run {
    fn diagnostics(&self) -> &[Value] {
        self.report["diagnostics"].as_array().unwrap()
    }

    /// The diagnostics of `rule` in `file`.
    fn findings(&self, rule: &str, file: &str) -> Vec<&Value> {
        self.diagnostics()
            .iter()
            .filter(|d| d["rule"] == rule && d["file"] == file)
            .collect()
    }

    /// The one diagnostic of `rule` in `file`.
    fn finding(&self, rule: &str, file: &str) -> &Value {
        let found = self.findings(rule, file);
        assert_eq!(
            found.len(),
            1,
            "one `{rule}` in {file:?}: {:#?}",
            self.diagnostics()
        );
        found[0]
    }

    fn none_in(&self, file: &str) {
        let found: Vec<&Value> = self
            .diagnostics()
            .iter()
            .filter(|d| d["file"] == file)
            .collect();
        assert!(found.is_empty(), "nothing expected in {file:?}: {found:#?}");
    }

    /// The healthy SOP file was checked: its one mistake is reported.
    fn healthy_checked(&self) {
        let owner = self.finding("owner-role-missing", HEALTHY_DB);
        assert_eq!(owner["line"], 10);
        assert_eq!(self.code, 1);
    }
}

fn position(d: &Value) -> (u64, u64) {
    (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())
}

fn message(d: &Value) -> &str {
    d["message"].as_str().unwrap()
}

#[test]
fn alias_bombs_cost_nothing() {
    let repo = repository();
    // Billion laughs: 10^9 strings once expanded. Aliases are never expanded.
    let mut laughs = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n");
    laughs.push_str("x0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    laughs.push_str("data: *a9\n");
    write(repo.path(), "hostile/laughs.yaml", &laughs);
    // The same through merge keys, where a lookup would have to visit every merged mapping.
    let mut merges = String::from("a0: &a0 {x: 1, kind: Secret}\n");
    for i in 1..40 {
        let refs = vec![format!("*a{}", i - 1); 8].join(", ");
        merges.push_str(&format!("a{i}: &a{i} {{<<: [{refs}]}}\n"));
    }
    merges.push_str(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: merged\n  <<: *a39\n  \
         annotations: *a39\n  labels: {<<: *a39}\nstringData: *a39\ndata: {<<: [*a39, *a38]}\n",
    );
    write(repo.path(), "hostile/merges.yaml", &merges);
    // Past the alias limit.
    let mut many = String::from("a: &a x\nlist:\n");
    for _ in 0..10_001 {
        many.push_str("- *a\n");
    }
    write(repo.path(), "hostile/many-aliases.yaml", &many);

    let run = check(repo.path());
    // The ConfigMap's only findings are its schema's, read without expanding an alias: ten
    // unknown top-level fields and a `data` that is a list.
    let laughs: Vec<&str> = run
        .diagnostics()
        .iter()
        .filter(|d| d["file"] == "hostile/laughs.yaml")
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        laughs
            .iter()
            .filter(|r| **r == "schema-unknown-field")
            .count(),
        10,
        "{laughs:?}"
    );
    assert_eq!(laughs.len(), 11, "{laughs:?}");
    assert_eq!(
        run.finding("schema-invalid", "hostile/laughs.yaml")["line"],
        14
    );
    assert!(
        run.findings("yaml-syntax", "hostile/merges.yaml")
            .is_empty()
    );
    let limit = run.finding("yaml-limit", "hostile/many-aliases.yaml");
    assert!(
        message(limit).contains("more than 10000 aliases"),
        "{limit}"
    );
    assert_eq!(position(limit), (10_003, 3));
    run.healthy_checked();
}

#[test]
fn deep_nesting_is_a_limit() {
    let repo = repository();
    let flow = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    write(repo.path(), "hostile/flow.yaml", &flow);
    let flow_maps = format!("a: {}", "{a: ".repeat(100_000));
    write(repo.path(), "hostile/flow-maps.yaml", &flow_maps);
    let block: String = (0..5_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    write(repo.path(), "hostile/block.yaml", &block);
    let dashes = format!("{}x\n", "- ".repeat(100_000));
    write(repo.path(), "hostile/dashes.yaml", &dashes);

    let run = check(repo.path());
    for file in [
        "hostile/flow.yaml",
        "hostile/flow-maps.yaml",
        "hostile/block.yaml",
        "hostile/dashes.yaml",
    ] {
        let limit = run.finding("yaml-limit", file);
        assert!(
            message(limit).contains("nesting deeper than 200 levels"),
            "{limit}"
        );
        assert!(run.findings("yaml-syntax", file).is_empty());
    }
    // The 201st level: line 201, indented 200 columns.
    assert_eq!(
        position(run.finding("yaml-limit", "hostile/block.yaml")),
        (201, 201)
    );
    run.healthy_checked();
}

/// Lookups in a mapping used to compare every key with every other (quadratic): 100 000
/// annotations took minutes.
#[test]
fn huge_mappings_stay_linear() {
    let repo = repository();
    let keys: String = (0..100_000).map(|i| format!("    k{i}: \"v\"\n")).collect();
    write(
        repo.path(),
        "hostile/annotations.yaml",
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  annotations:\n{keys}"),
    );
    write(
        repo.path(),
        "hostile/secret.yaml",
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\nstringData:\n{keys}"),
    );
    let run = check(repo.path());
    run.none_in("hostile/annotations.yaml");
    run.finding("plaintext-secret", "hostile/secret.yaml");
    run.healthy_checked();
}

/// A ConfigMap whose `name` key is repeated on `line` (1-based) at column 3.
const DUPLICATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n";

#[test]
fn encodings_and_line_endings() {
    let repo = repository();
    let root = repo.path();
    let utf16 = |bom_text: &str, little: bool| -> Vec<u8> {
        bom_text
            .encode_utf16()
            .flat_map(|w| {
                if little {
                    w.to_le_bytes()
                } else {
                    w.to_be_bytes()
                }
            })
            .collect()
    };
    let with_bom = format!("\u{feff}{DUPLICATE}");
    write(root, "hostile/utf16le.yaml", utf16(&with_bom, true));
    write(root, "hostile/utf16be.yaml", utf16(&with_bom, false));
    write(root, "hostile/utf8bom.yaml", &with_bom);
    write(
        root,
        "hostile/crlf.yaml",
        "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: x\r\n  labels: {a: \"1\", a: \"2\"}\r\n",
    );
    write(root, "hostile/cr.yaml", DUPLICATE.replace('\n', "\r"));
    write(
        root,
        "hostile/non-ascii.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ü\n  labels: {é: \"1\", é: \"2\"}\n",
    );
    write(
        root,
        "hostile/tabs.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n",
    );
    write(
        root,
        "hostile/binary.yaml",
        [0x7F, b'E', b'L', b'F', 2, 1, 0, 0],
    );
    write(root, "hostile/latin1.yaml", b"name: caf\xe9\n");
    write(root, "hostile/utf16-odd.yaml", [0xFF, 0xFE, b'a']);
    write(
        root,
        "hostile/utf16-surrogate.yaml",
        [0xFF, 0xFE, 0x00, 0xD8],
    );
    write(root, "hostile/empty.yaml", "");

    let run = check(root);
    for file in [
        "hostile/utf16le.yaml",
        "hostile/utf16be.yaml",
        "hostile/utf8bom.yaml",
        "hostile/cr.yaml",
    ] {
        let duplicate = run.finding("yaml-duplicate-key", file);
        assert_eq!(position(duplicate), (5, 3), "{file}");
        assert_eq!(duplicate["end_column"], 6, "{file}");
    }
    // CRLF: the second `a` of line 5 is at column 20.
    let crlf = run.finding("yaml-duplicate-key", "hostile/crlf.yaml");
    assert_eq!(position(crlf), (5, 20));
    assert_eq!(
        (crlf["end_line"].as_u64(), crlf["end_column"].as_u64()),
        (Some(5), Some(20))
    );
    // Columns count characters: `é` is one (and two bytes).
    let accent = run.finding("yaml-duplicate-key", "hostile/non-ascii.yaml");
    assert_eq!(position(accent), (5, 20));
    let tabs = run.finding("yaml-syntax", "hostile/tabs.yaml");
    assert_eq!(position(tabs), (4, 1));
    assert!(message(tabs).contains("tabs"), "{tabs}");
    for (file, says) in [
        (
            "hostile/binary.yaml",
            "not a text file: it holds a NUL byte",
        ),
        ("hostile/latin1.yaml", "not valid UTF-8"),
        ("hostile/utf16-odd.yaml", "odd number of bytes"),
        ("hostile/utf16-surrogate.yaml", "not valid UTF-16"),
    ] {
        let syntax = run.finding("yaml-syntax", file);
        assert!(message(syntax).contains(says), "{syntax}");
        assert_eq!(position(syntax), (1, 1));
    }
    run.none_in("hostile/empty.yaml");
    run.healthy_checked();
}

#[test]
fn one_huge_line_and_many_documents() {
    let repo = repository();
    let root = repo.path();
    let value = "x".repeat(8 * 1024 * 1024);
    write(
        root,
        "hostile/long-line.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: long, labels: {{a: \"{value}\", a: b}}}}\n"
        ),
    );
    let mut documents =
        String::from("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, name: b}\n");
    for i in 1..50_000 {
        documents.push_str(&format!("---\nk{i}: v\n"));
    }
    write(root, "hostile/documents.yaml", &documents);

    let run = check(root);
    let long = run.finding("yaml-duplicate-key", "hostile/long-line.yaml");
    assert_eq!(position(long), (3, 8 * 1024 * 1024 + 40));
    let limit = run.finding("yaml-limit", "hostile/documents.yaml");
    assert!(
        message(limit).contains("more than 10000 documents"),
        "{limit}"
    );
    // The 10 001st document: the first one has 4 lines, the next ones 2.
    assert_eq!(position(limit), (4 + 2 * 9_999 + 1, 1));
    // The first documents were still checked.
    let first = run.finding("yaml-duplicate-key", "hostile/documents.yaml");
    assert_eq!(position(first), (4, 21));
    run.healthy_checked();
}

/// miette pads underlines with `{:width$}`, which panics past column 65 535: a finding on a
/// long line (a JSON blob, a generated value) must not crash the human report.
#[test]
fn human_report_of_a_finding_past_column_65535() {
    let repo = repository();
    let value = "x".repeat(70_000);
    write(
        repo.path(),
        "hostile/long-line.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: long, labels: {{a: \"{value}\", a: b}}}}\n"
        ),
    );
    for format in ["human", "github"] {
        let run = pglint(repo.path(), format);
        assert!(run.stdout.contains("hostile/long-line.yaml"), "{format}");
        assert!(run.stdout.contains("owner-role-missing"), "{format}");
    }
}

#[test]
fn wrong_shapes_are_manifest_invalid() {
    let repo = repository();
    let root = repo.path();
    write(
        root,
        "hostile/scalars.yaml",
        "--- 1\n--- [a, b]\n--- null\n--- ~\n---\n--- \"text\"\n--- !!binary aGVsbG8=\n--- [[[]]]\n",
    );
    write(
        root,
        "hostile/nulls.yaml",
        "apiVersion: ~\nkind: ~\nmetadata: ~\nspec: ~\n\
         ---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: ~, namespace: ~, annotations: ~, labels: ~}\nspec: {managed: ~, instances: ~, bootstrap: ~}\n\
         ---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: c1}\nspec: {managed: {roles: ~}}\n\
         ---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: c2}\nspec: {managed: {roles: [~, {name: ~, passwordSecret: ~, login: ~}]}}\n\
         ---\napiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata: {name: d1}\nspec: {owner: ~, cluster: ~, name: ~}\n\
         ---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s1}\nspec: {encryptedData: ~, template: ~}\n\
         ---\napiVersion: v1\nkind: Secret\nmetadata: {name: s2}\ndata: ~\nstringData: {a: ~}\n",
    );
    write(
        root,
        "hostile/types.yaml",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: c3\n  annotations: [1, 2]\n  labels: 7\nspec:\n  managed:\n    roles: {a: b}\n\
         ---\napiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata: {name: d2}\nspec:\n  owner: [x]\n  cluster: 7\n\
         ---\napiVersion: v1\nkind: Secret\nmetadata: {name: s3}\ndata: [1, 2]\n\
         ---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s4}\nspec: {encryptedData: {a: [1]}, template: 5}\n",
    );
    write(
        root,
        "hostile/tags.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tagged\n  annotations:\n    a: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n\
         data:\n  cmd: !!python/object/apply:os.system [\"touch /tmp/pwned\"]\n  obj: !!python/object:os.system x\n  e: !Ref Thing\n",
    );
    write(
        root,
        "hostile/kustomization.yaml",
        "resources: 7\nnamespace: [1]\npatches: {a: 1}\nsecretGenerator: x\n",
    );

    let run = check(root);
    // The schema judges the fields of the kinds pglint embeds one for (a v1 Secret too);
    // manifest-invalid the metadata.
    let invalid = |file: &str| -> Vec<((u64, u64), String)> {
        let mut found = run.findings("manifest-invalid", file);
        found.extend(run.findings("schema-invalid", file));
        found
            .into_iter()
            .map(|d| (position(d), message(d).to_string()))
            .collect()
    };
    run.none_in("hostile/scalars.yaml");
    let types = invalid("hostile/types.yaml");
    for (at, says) in [
        ((5, 16), "`annotations` must be a mapping, found a list"),
        ((6, 11), "`labels` must be a mapping, found an integer"),
        (
            (9, 12),
            "Cluster `c3`: `spec.managed.roles` in body must be of type array: \"object\"",
        ),
        (
            (15, 10),
            "Database `d2`: `spec.owner` in body must be of type string: \"array\"",
        ),
        (
            (16, 12),
            "Database `d2`: `spec.cluster` in body must be of type object: \"integer\"",
        ),
        (
            (21, 7),
            "Secret `s3`: `data` in body must be of type object: \"array\"",
        ),
        (
            (26, 43),
            "SealedSecret `s4`: `spec.template` in body must be of type object: \"integer\"",
        ),
    ] {
        assert!(
            types.iter().any(|(p, m)| *p == at && m == says),
            "{says} at {at:?} in {types:#?}"
        );
    }
    assert!(
        invalid("hostile/nulls.yaml")
            .iter()
            .any(|(_, m)| m.contains("no `metadata.name`")),
        "{:#?}",
        invalid("hostile/nulls.yaml")
    );
    // Unknown tags are inert data: nothing is reported about them.
    assert!(
        run.findings("yaml-syntax", "hostile/tags.yaml").is_empty(),
        "{:#?}",
        run.diagnostics()
    );
    run.healthy_checked();
}

#[cfg(unix)]
#[test]
fn special_files_links_and_odd_names() {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;

    let repo = repository();
    let root = repo.path();
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: outside}\nstringData: {password: OUTSIDE-CANARY}\n",
    );
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(root.join("hostile/fifo.yaml"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    // A FIFO as an ignore file must not block the walk either.
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(root.join("hostile/.gitignore"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    let _socket = std::os::unix::net::UnixListener::bind(root.join("hostile/socket.yaml")).unwrap();
    write(root, "hostile/folder.yaml/inner.yaml", DUPLICATE);
    symlink("loop-b.yaml", root.join("hostile/loop-a.yaml")).unwrap();
    symlink("loop-a.yaml", root.join("hostile/loop-b.yaml")).unwrap();
    symlink("nowhere.yaml", root.join("hostile/dangling.yaml")).unwrap();
    symlink(
        outside.path().join("secret.yaml"),
        root.join("hostile/outside.yaml"),
    )
    .unwrap();
    symlink(outside.path(), root.join("hostile/outside-folder")).unwrap();
    symlink("..", root.join("hostile/parent")).unwrap();
    symlink(root.join(HEALTHY_DB), root.join("hostile/inside.yaml")).unwrap();
    for name in [
        "with space.yaml",
        "nön-äscii.yaml",
        "new\nline.yaml",
        "escape-\u{1b}[31m.yaml",
    ] {
        write(root, &format!("hostile/{name}"), DUPLICATE);
    }
    let non_utf8 = std::ffi::OsStr::from_bytes(b"hostile/bad-\xff-name.yaml");
    fs::write(root.join(non_utf8), DUPLICATE).unwrap();

    let run = check(root);
    for (file, says) in [
        ("hostile/fifo.yaml", "not a regular file (a FIFO)"),
        ("hostile/socket.yaml", "not a regular file (a socket)"),
    ] {
        let syntax = run.finding("yaml-syntax", file);
        assert!(message(syntax).contains(says), "{syntax}");
    }
    for file in [
        "hostile/folder.yaml/inner.yaml",
        "hostile/with space.yaml",
        "hostile/nön-äscii.yaml",
        "hostile/new\\nline.yaml",
        "hostile/escape-\\u{1b}[31m.yaml",
        "hostile/bad-\u{fffd}-name.yaml",
    ] {
        assert_eq!(position(run.finding("yaml-duplicate-key", file)), (5, 3));
    }
    // Links are never read: not findings (they are not YAML), notes on stderr at most.
    for file in [
        "hostile/loop-a.yaml",
        "hostile/loop-b.yaml",
        "hostile/dangling.yaml",
        "hostile/outside.yaml",
        "hostile/inside.yaml",
        "hostile/folder.yaml",
    ] {
        run.none_in(file);
    }
    assert!(!run.stdout.contains("OUTSIDE-CANARY") && !run.stderr.contains("OUTSIDE-CANARY"));
    assert!(!run.stdout.contains("outside-folder/"));
    // File names cannot send escape sequences to a terminal.
    let human = pglint(root, "human");
    assert!(!human.stdout.contains('\u{1b}'));
    assert!(human.stdout.contains("hostile/escape-\\u{1b}[31m.yaml"));
    // The healthy file is reported once, not again through `hostile/parent` or `inside.yaml`.
    run.healthy_checked();

    // What was skipped, and why, is on the project for the command line to print.
    let project = pglint::project::Project::load(root, &pglint::config::Config::default()).unwrap();
    let skipped: Vec<&str> = project.unreadable.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "hostile/dangling.yaml",
            "hostile/loop-a.yaml",
            "hostile/loop-b.yaml",
            "hostile/outside-folder",
            "hostile/outside.yaml",
            "hostile/.gitignore",
        ]
    );
    for (path, reason) in &project.unreadable {
        let expected = match path.as_str() {
            "hostile/.gitignore" => "ignore file not read: not a regular file (a FIFO)",
            "hostile/outside-folder" | "hostile/outside.yaml" => {
                "symbolic link to a path outside the repository; not read"
            }
            _ => "symbolic link that cannot be followed",
        };
        assert!(reason.starts_with(expected), "{path}: {reason}");
    }
}

#[cfg(unix)]
#[test]
fn unreadable_files() {
    use std::os::unix::fs::PermissionsExt;

    let repo = repository();
    let root = repo.path();
    write(root, "hostile/locked.yaml", DUPLICATE);
    fs::set_permissions(
        root.join("hostile/locked.yaml"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    write(root, "hostile/locked-folder/a.yaml", DUPLICATE);
    fs::set_permissions(
        root.join("hostile/locked-folder"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();

    let run = check(root);
    // SAFETY: geteuid has no preconditions.
    #[allow(unsafe_code)]
    let is_root = unsafe { libc::geteuid() } == 0;
    if is_root {
        eprintln!(
            "running as root: chmod 000 does not stop reading, the unreadable cases are skipped"
        );
        run.finding("yaml-duplicate-key", "hostile/locked.yaml");
    } else {
        let syntax = run.finding("yaml-syntax", "hostile/locked.yaml");
        assert!(message(syntax).contains("ermission denied"), "{syntax}");
        run.none_in("hostile/locked-folder/a.yaml");
    }
    run.healthy_checked();
    for path in ["hostile/locked.yaml", "hostile/locked-folder"] {
        fs::set_permissions(root.join(path), fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn limits_are_configurable() {
    let repo = repository();
    let root = repo.path();
    // Lowered far below the defaults, still above what the SOP files need.
    write(
        root,
        "pglint.toml",
        "[limits]\nmax-file-bytes = 20000\nmax-depth = 10\nmax-documents = 2\nmax-aliases = 1\nmax-nodes = 1000\n",
    );
    write(
        root,
        "hostile/size.yaml",
        format!("a: {}\n", "x".repeat(20_000)),
    );
    let deep: String = (0..12).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
    write(root, "hostile/depth.yaml", &deep);
    write(root, "hostile/documents.yaml", "--- 1\n--- 2\n--- 3\n");
    write(root, "hostile/aliases.yaml", "a: &a 1\nb: *a\nc: *a\n");
    let nodes: String = (0..600).map(|i| format!("k{i}: v\n")).collect();
    write(root, "hostile/nodes.yaml", &nodes);

    let run = check(root);
    for (file, says, at) in [
        (
            "hostile/size.yaml",
            "file is 20004 bytes, over the 20000-byte limit",
            (1, 1),
        ),
        (
            "hostile/depth.yaml",
            "nesting deeper than 10 levels",
            (11, 21),
        ),
        ("hostile/documents.yaml", "more than 2 documents", (3, 1)),
        ("hostile/aliases.yaml", "more than 1 aliases", (3, 4)),
        // The 1001st node: the mapping, then 500 keys and values.
        ("hostile/nodes.yaml", "more than 1000 YAML nodes", (500, 7)),
    ] {
        let limit = run.finding("yaml-limit", file);
        assert!(message(limit).contains(says), "{file}: {limit}");
        assert_eq!(position(limit), at, "{file}");
    }
    // Nothing else reached a limit, and the rest is still checked.
    assert_eq!(
        run.diagnostics()
            .iter()
            .filter(|d| d["rule"] == "yaml-limit")
            .count(),
        5
    );
    run.healthy_checked();
}

#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    let config = pglint::config::Config::default();
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let files = vec![("infra/databases/postgres/input.yaml".to_string(), bytes)];
        let project = pglint::project::Project::from_files(files, &config).unwrap();
        let diagnostics = pglint::engine::lint::lint(&project, &config);
        let summary = pglint::report::Summary::new(&project, &diagnostics);
        let json = pglint::report::json::render(&project, &diagnostics, summary);
        serde_json::from_str::<Value>(&json)
            .unwrap_or_else(|e| panic!("{}: invalid JSON: {e}", path.display()));
        pglint::report::human::render(
            &project,
            &diagnostics,
            Some(summary),
            pglint::report::human::Style::plain(),
        );
    }
}

/// Half the repository is hostile; the healthy half gets exactly the findings it gets alone.
#[test]
fn hostile_half_does_not_change_the_healthy_half() {
    let repo = repository();
    let root = repo.path();
    // More healthy findings: a plaintext Secret and a duplicate key in SOP files.
    write(
        root,
        "apps/web/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\n  namespace: web\nstringData:\n  password: hunter2\n",
    );
    let cluster = root.join("infra/databases/postgres/postgres-cluster.yaml");
    let text = fs::read_to_string(&cluster).unwrap();
    fs::write(
        &cluster,
        text.replacen("metadata:\n", "metadata:\n  labels: {a: b, a: c}\n", 1),
    )
    .unwrap();
    let alone = check(root);
    assert!(alone.diagnostics().len() >= 3, "{:#?}", alone.diagnostics());

    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("bomb.yaml", {
            let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x]\n");
            for i in 1..12 {
                s.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 8].join(",")));
            }
            s.into_bytes()
        }),
        ("flow.yaml", "[".repeat(100_000).into_bytes()),
        ("block.yaml", (0..1_000).map(|i| format!("{}k:\n", " ".repeat(i))).collect::<String>().into_bytes()),
        ("binary.yaml", (0..=255u8).cycle().take(10_000).collect()),
        ("latin1.yaml", b"kind: Secret\nstringData: {p: \xe9}\n".to_vec()),
        ("broken.yaml", b"apiVersion: v1\nkind: Secret\nstringData:\n  p: [x\n".to_vec()),
        ("tabs.yaml", b"a:\n\tb: 1\n".to_vec()),
        ("scalar.yaml", b"--- 42\n--- [1]\n--- null\n".to_vec()),
        (
            "types.yaml",
            b"apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata: [x]\nspec: {owner: {a: 1}, cluster: [postgres-shared]}\n"
                .to_vec(),
        ),
        ("docs.yaml", "--- 1\n".repeat(20_000).into_bytes()),
        ("duplicate-cluster.yaml", b"apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: ~\nspec: 7\n".to_vec()),
        ("utf16.yaml", vec![0xFF, 0xFE, 0x00, 0xDC]),
        ("crlf.yaml", b"a: 1\r\nb: [\r\n".to_vec()),
    ];
    for (name, bytes) in &hostile {
        write(root, &format!("hostile/{name}"), bytes);
    }
    let mixed = check(root);
    let healthy = |run: &Run| -> Vec<Value> {
        run.diagnostics()
            .iter()
            .filter(|d| !d["file"].as_str().unwrap().starts_with("hostile/"))
            .cloned()
            .collect()
    };
    assert_eq!(healthy(&mixed), healthy(&alone));
    // And every hostile file got its finding.
    for (name, _) in &hostile {
        let file = format!("hostile/{name}");
        if !["bomb.yaml", "scalar.yaml"].contains(name) {
            assert!(
                mixed
                    .diagnostics()
                    .iter()
                    .any(|d| d["file"] == file.as_str()),
                "{file}: {:#?}",
                mixed.diagnostics()
            );
        }
    }
}
