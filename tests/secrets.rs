//! Secret hygiene: a canary planted in every place a secret value can hide never appears in
//! any output format (stdout, stderr, `--output` file), neither in clear nor base64-encoded,
//! while the findings about those places are reported.

#[path = "common/env.rs"]
mod env;

#[path = "common/fs.rs"]
mod fs_util;

use std::fs;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Every canary: a distinct value per hiding place, so a failure says which one leaked.
const CANARIES: &[&str] = &[
    "Canary-Secret-Data-7f3a",
    "Canary-Secret-StringData-91c2",
    "Canary-Sealed-Template-Data-5d8e",
    "Canary-Sealed-Template-StringData-0b4f",
    "Canary-LastApplied-Secret-c6e1",
    "Canary-LastApplied-Sealed-2a9d",
    "Canary-EncryptedData-Plaintext-e37b",
    "Canary-Broken-After-StringData-48d0",
    "Canary-Broken-Flow-Json-19aa",
    "Canary-Duplicate-Key-6b21",
    "Canary-Data-As-List-f0c3",
    "Canary-Secret-In-List-33e8",
    "Canary-Generator-Literal-8c5b",
    "Canary-Limit-Unread-d2f6",
    "Canary-Misspelt-stringdata-5e1f",
    "Canary-Misspelt-Data-a7c9",
];

fn b64(text: &str) -> String {
    BASE64.encode(text)
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The conformant repository plus a file per hiding place.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let conformant = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant");
    fs_util::copy_dir(&conformant, root);
    let [
        data,
        string_data,
        template_data,
        template_string_data,
        last_applied_secret,
        last_applied_sealed,
        encrypted,
        broken,
        broken_json,
        duplicate,
        data_list,
        in_list,
        literal,
        unread,
        misspelt_string_data,
        misspelt_data,
    ] = CANARIES
    else {
        unreachable!()
    };
    let (data, template_data) = (b64(data), b64(template_data));
    write(
        root,
        "apps/web/secret.yaml",
        &format!(
            r#"apiVersion: v1
kind: Secret
metadata:
  name: web-creds
  namespace: web
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {{"apiVersion":"v1","kind":"Secret","stringData":{{"password":"{last_applied_secret}"}}}}
type: Opaque
data:
  password: {data}
stringData:
  token: {string_data}
"#
        ),
    );
    write(
        root,
        "apps/web/sealed.yaml",
        &format!(
            r#"apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: web-sealed
  namespace: web
spec:
  encryptedData:
    password: {encrypted}
  template:
    metadata:
      name: web-sealed
      namespace: web
      annotations:
        kubectl.kubernetes.io/last-applied-configuration: '{{"stringData":{{"password":"{last_applied_sealed}"}}}}'
    data:
      username: {template_data}
    stringData:
      host: {template_string_data}
"#
        ),
    );
    write(
        root,
        "apps/web/broken.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: broken\nstringData:\n  password: {broken}\n  other: [unclosed\n"
        ),
    );
    write(
        root,
        "apps/web/broken.json.yaml",
        &format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"stringData\": {{\"password\": \"{broken_json}\"}}, \"data\": [\n"
        ),
    );
    write(
        root,
        "apps/web/duplicate.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: dup\nstringData:\n  password: \"\"\n  password: {duplicate}\n"
        ),
    );
    write(
        root,
        "apps/web/data-list.yaml",
        &format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: listed\ndata: [{data_list}]\n"),
    );
    write(
        root,
        "apps/web/list.yaml",
        &format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {{name: item, name: again}}\n  stringData: {{password: {in_list}}}\n"
        ),
    );
    write(
        root,
        "apps/web/kustomization.yaml",
        &format!(
            "resources: [secret.yaml, sealed.yaml, missing.yaml]\nsecretGenerator:\n- name: gen\n  literals:\n  - password={literal}\n  literals: [again]\n"
        ),
    );
    // Under a key the API server does not read (`stringdata`, `Data`): still in Git in clear.
    write(
        root,
        "apps/web/misspelt.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: misspelt\n  namespace: web\nstringdata:\n  password: {misspelt_string_data}\nData:\n  token: {}\n",
            b64(misspelt_data)
        ),
    );
    // Past a limit, the rest of the file is not parsed: what it holds must stay masked.
    let deep = "[".repeat(300);
    write(
        root,
        "apps/web/limit.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nstringData:\n  password: {unread}\n  deep: {deep}\n"
        ),
    );
    dir
}

fn pglint() -> Command {
    let mut cmd = Command::cargo_bin("pglint").unwrap();
    env::plain_output(&mut cmd).timeout(Duration::from_secs(20));
    cmd
}

/// The output formats this build offers, from `pglint check --help`.
fn formats() -> Vec<String> {
    let help = pglint().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let formats: Vec<String> = ["human", "json", "sarif", "github", "gitlab"]
        .into_iter()
        .filter(|f| help.contains(&format!("- {f}")))
        .map(String::from)
        .collect();
    assert!(formats.len() >= 2, "{help}");
    formats
}

fn assert_clean(what: &str, text: &str) {
    for canary in CANARIES {
        assert!(!text.contains(canary), "{canary} leaked in {what}:\n{text}");
        let encoded = b64(canary);
        assert!(
            !text.contains(&encoded),
            "base64 of {canary} leaked in {what}:\n{text}"
        );
    }
}

#[test]
fn canaries_never_reach_any_output() {
    let repo = repository();
    let root = repo.path();
    let out = tempfile::tempdir().unwrap();
    for format in formats() {
        let report = out.path().join(format!("report.{format}"));
        let output = pglint()
            .args(["check", "--root"])
            .arg(root)
            .args(["--format", &format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_clean(&format!("{format} stdout"), &stdout);
        assert_clean(
            &format!("{format} stderr"),
            &String::from_utf8_lossy(&output.stderr),
        );
        for rule in [
            "plaintext-secret",
            "sealed-template-data",
            "sealed-value-invalid",
            "yaml-syntax",
            "yaml-duplicate-key",
            "schema-invalid",
            "schema-unknown-field",
            "yaml-limit",
        ] {
            if format != "gitlab" || stdout.contains("check_name") {
                assert!(stdout.contains(rule), "{format}: no {rule} in\n{stdout}");
            }
        }
        if format == "json" {
            for field in ["stringdata", "Data"] {
                let reported = format!(
                    "unknown field \\\"{field}\\\": `kubectl apply` prunes it with a warning; server-side apply refuses it, and its values are committed in clear"
                );
                assert!(stdout.contains(&reported), "{reported} in\n{stdout}");
            }
        }
        // The report file of `--output`, and the human report printed beside it.
        let output = pglint()
            .args(["check", "--root"])
            .arg(root)
            .args(["--format", &format, "--output"])
            .arg(&report)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format} --output");
        assert_clean(
            &format!("{format} --output stdout"),
            &String::from_utf8_lossy(&output.stdout),
        );
        if let Ok(written) = fs::read_to_string(&report) {
            assert_clean(&format!("{format} --output file"), &written);
        }
    }
}

/// The same through the library: every diagnostic of every file, rendered with its snippet.
#[test]
fn masked_sources_hold_no_canary() {
    let repo = repository();
    let config = pglint::config::Config::default();
    let project = pglint::project::Project::load(repo.path(), &config).unwrap();
    for (id, file) in project.sources.iter() {
        if file.path.starts_with("apps/web/") {
            let masked = pglint::report::masked_text(&project, id).text;
            assert_clean(&file.path, &masked);
            // A mask has one length whatever the value's: it does not tell a password's length.
            for run in masked.split(|c| c != '*').filter(|run| !run.is_empty()) {
                assert_eq!(run, "********", "{}:\n{masked}", file.path);
            }
        }
    }
}
