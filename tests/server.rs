//! `pglint server` driven over standard input and output by a small JSON-RPC client
//! (`Content-Length` framing), as an editor drives it: diagnostics of open buffers and of the
//! files they affect, code actions applied, definition, references, hover, completion,
//! `pglint.toml` levels, workspace folders, malformed messages, shutdown and exit. Every wait
//! has a timeout, so a hung server fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "common/fs.rs"]
mod fs;

/// Longer than any check of the small repositories here takes, even on a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Received and not yet looked at.
    pending: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(folders: &[&Path]) -> Client {
        Client::start_offering(folders, None).0
    }

    /// Starts the server for `folders`, the client offering these position encodings; the
    /// client and the `initialize` result.
    fn start_offering(folders: &[&Path], encodings: Option<&[&str]>) -> (Client, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pglint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .env_remove("PGLINT_NOW")
            .spawn()
            .expect("pglint server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            pending: Vec::new(),
            next_id: 1,
        };
        let folders: Vec<Value> = folders
            .iter()
            .map(|f| json!({"uri": uri(f), "name": f.file_name().unwrap().to_string_lossy()}))
            .collect();
        let mut capabilities = json!({
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
            "textDocument": {"publishDiagnostics": {"relatedInformation": true}},
        });
        if let Some(encodings) = encodings {
            capabilities["general"] = json!({"positionEncodings": encodings});
        }
        let result = client.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities,
                   "workspaceFolders": folders}),
        );
        assert_eq!(result["result"]["serverInfo"]["name"], "pglint", "{result}");
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn send(&mut self, message: &Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(&format!("the response to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
    }

    /// The first message (already received or to come) that `matches`.
    fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&matches) {
            return self.pending.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) => {
                    // Requests from the server (the watcher registration) get an answer.
                    if message.get("method").is_some() && message.get("id").is_some() {
                        let id = message["id"].clone();
                        self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
                        continue;
                    }
                    if matches(&message) {
                        return message;
                    }
                    self.pending.push(message);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "timed out waiting for {what}; received: {:#?}",
                        self.pending
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server stopped while waiting for {what}")
                }
            }
        }
    }

    /// The next diagnostics published for `file` that satisfy `matches`; earlier ones are
    /// dropped.
    fn diagnostics(&mut self, file: &Path, matches: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let target = uri(file);
        loop {
            let message = self.wait_for(&format!("diagnostics of {target}"), |m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == target
            });
            let list = message["params"]["diagnostics"].as_array().unwrap().clone();
            if matches(&list) {
                return list;
            }
        }
    }

    fn open(&mut self, file: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(file), "languageId": "yaml", "version": 1,
                                    "text": text}}),
        );
    }

    fn change(&mut self, file: &Path, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(file), "version": version},
                   "contentChanges": changes}),
        );
    }

    fn at(&mut self, method: &str, file: &Path, (line, character): (u32, u32)) -> Value {
        let mut params = json!({"textDocument": {"uri": uri(file)},
                                "position": {"line": line, "character": character}});
        if method == "textDocument/references" {
            params["context"] = json!({"includeDeclaration": false});
        }
        self.request(method, params)
    }

    /// Waits for the process to end; its exit code.
    fn exit_code(mut self) -> i32 {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The shared base repository in a temporary git working tree.
fn repository() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    fs::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformant"),
        &root,
    );
    std::fs::create_dir(root.join(".git")).unwrap();
    (dir, root)
}

const SOP: &str = "infra/databases/postgres";

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

/// Applies LSP text edits (in one file, non-overlapping) to a text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        // The fixtures are ASCII: UTF-16 units are bytes.
        start + character
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut text = text.to_string();
    for (start, end, new) in edits {
        text.replace_range(start..end, new);
    }
    text
}

#[test]
fn diagnostics_follow_the_buffers_and_fixes_apply() {
    let (_dir, root) = repository();
    // A folder inside the repository: the project is its git top level.
    let mut client = Client::start(&[&root.join("infra")]);
    let nextcloud = root.join(SOP).join("nextcloud-db.yaml");
    let disk = std::fs::read_to_string(&nextcloud).unwrap();
    let typo = disk.replace("owner: nextcloud_user", "owner: Nextcloud_User");
    // Unsaved: only the buffer has the mistake.
    client.open(&nextcloud, &typo);
    let found = client.diagnostics(&nextcloud, |d| !d.is_empty());
    assert_eq!(codes(&found), ["owner-role-missing"], "{found:#?}");
    let finding = &found[0];
    assert_eq!(finding["severity"], 1);
    assert_eq!(finding["source"], "pglint");
    assert_eq!(
        finding["range"],
        json!({"start": {"line": 9, "character": 9}, "end": {"line": 9, "character": 23}})
    );
    let href = finding["codeDescription"]["href"].as_str().unwrap();
    assert!(
        href.starts_with("https://") && href.ends_with("/src/rules/owner_role_missing.rs"),
        "{finding}"
    );
    let related = &finding["relatedInformation"][0];
    assert_eq!(
        related["location"]["uri"],
        uri(&root.join(SOP).join("postgres-cluster.yaml"))
    );
    assert_eq!(related["location"]["range"]["start"]["line"], 76);
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("did you mean")
    );

    // The code actions at the finding: its fix (unsafe, as `check --fix` labels it) and a
    // suppression.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&nextcloud)}, "range": finding["range"],
               "context": {"diagnostics": [finding]}}),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Fix: write `nextcloud_user` (unsafe)",
            "Suppress `owner-role-missing` on this line (write the reason after `--`)"
        ]
    );
    let suppress = &actions[1]["edit"]["changes"][uri(&nextcloud)];
    assert_eq!(
        apply(&typo, suppress.as_array().unwrap()),
        typo.replace(
            "  owner: Nextcloud_User",
            "  # pglint-ignore: owner-role-missing -- \n  owner: Nextcloud_User"
        )
    );
    // Applying the fix, as the editor does, clears the finding.
    let edits = actions[0]["edit"]["changes"][uri(&nextcloud)]
        .as_array()
        .unwrap()
        .clone();
    let fixed = apply(&typo, &edits);
    assert_eq!(fixed, disk);
    client.change(&nextcloud, 2, json!([{"text": fixed}]));
    client.diagnostics(&nextcloud, <[Value]>::is_empty);

    // A role renamed in an open (unsaved) cluster buffer: the Database that names it, which
    // is not open, gets the finding; incremental edits are applied where they say.
    let cluster = root.join(SOP).join("postgres-cluster.yaml");
    let cluster_text = std::fs::read_to_string(&cluster).unwrap();
    client.open(&cluster, &cluster_text);
    let gitea = root.join(SOP).join("gitea-db.yaml");
    // `      - name: gitea_user` is line 63 (0-based 62): replace `user` by `usr`.
    client.change(
        &cluster,
        2,
        json!([{"range": {"start": {"line": 62, "character": 20},
                          "end": {"line": 62, "character": 24}}, "text": "usr"}]),
    );
    let found = client.diagnostics(&gitea, |d| !d.is_empty());
    assert!(codes(&found).contains(&"owner-role-missing"), "{found:#?}");
    // Closed without saving: the disk wins again, and the finding is cleared.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&cluster)}}),
    );
    client.diagnostics(&gitea, <[Value]>::is_empty);
}

#[test]
fn navigation_walks_the_chain() {
    let (_dir, root) = repository();
    let mut client = Client::start(&[&root]);
    let gitea = root.join(SOP).join("gitea-db.yaml");
    let cluster = root.join(SOP).join("postgres-cluster.yaml");
    let sealed = root.join(SOP).join("gitea-secrets-sealed.yaml");
    let text = std::fs::read_to_string(&gitea).unwrap();
    client.open(&gitea, &text);

    let location = |response: &Value| {
        let l = &response["result"][0];
        (
            l["uri"].as_str().unwrap().to_string(),
            l["range"]["start"]["line"].as_u64().unwrap(),
        )
    };
    // `  owner: gitea_user` (line 9): the role entry `- name: gitea_user` (line 62).
    let owner = client.at("textDocument/definition", &gitea, (9, 12));
    assert_eq!(location(&owner), (uri(&cluster), 62), "{owner}");
    // `    name: postgres-shared` under `cluster:` (line 11): the Cluster's name (line 6).
    let to_cluster = client.at("textDocument/definition", &gitea, (11, 12));
    assert_eq!(location(&to_cluster), (uri(&cluster), 6), "{to_cluster}");
    // The role's `passwordSecret.name` (line 74): the SealedSecret's name.
    let to_secret = client.at("textDocument/definition", &cluster, (74, 18));
    let (file, _) = location(&to_secret);
    assert_eq!(file, uri(&sealed), "{to_secret}");
    // The role → the Databases it owns.
    let references = client.at("textDocument/references", &cluster, (62, 16));
    let references = references["result"].as_array().unwrap().clone();
    assert_eq!(references.len(), 1, "{references:#?}");
    assert_eq!(references[0]["uri"], uri(&gitea));
    assert_eq!(references[0]["range"]["start"]["line"], 9);

    // Hover: the chain with its waves and the deployment.
    let hover = client.at("textDocument/hover", &gitea, (9, 12));
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap();
    for part in [
        "role `gitea_user` of Cluster `postgres/postgres-shared`",
        "credentials: SealedSecret `postgres/gitea-db-creds` · wave 0",
        "role: role `gitea_user` of Cluster `postgres/postgres-shared` · wave 1",
        "database: Database `postgres/gitea-db` · wave 2",
        "applied by",
    ] {
        assert!(markdown.contains(part), "{part:?} not in {markdown}");
    }

    // Completion of the owner: the cluster's roles.
    let edited = text.replace("owner: gitea_user", "owner: ");
    client.change(&gitea, 2, json!([{"text": edited}]));
    let completion = client.at("textDocument/completion", &gitea, (9, 9));
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{completion}"))
        .iter()
        .map(|item| item["label"].as_str().unwrap())
        .collect();
    for role in ["gitea_user", "nextcloud_user", "vaultwarden_user"] {
        assert!(labels.contains(&role), "{role} not in {labels:?}");
    }
    let completion = client.at("textDocument/completion", &gitea, (11, 10));
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["postgres-shared"]);
}

#[test]
fn configuration_and_workspace_folders() {
    let (_first_dir, first) = repository();
    let (_second_dir, second) = repository();
    let outside = tempfile::tempdir().unwrap();
    let outside = outside.path().canonicalize().unwrap();
    let mut client = Client::start(&[&first, &second]);

    // A file outside every project gets nothing, even with a mistake.
    let stray = outside.join("stray-db.yaml");
    let db = std::fs::read_to_string(first.join(SOP).join("gitea-db.yaml")).unwrap();
    let typo = db.replace("owner: gitea_user", "owner: gitea_usr");
    std::fs::write(&stray, &typo).unwrap();
    client.open(&stray, &typo);

    // Each folder is its own project.
    let second_gitea = second.join(SOP).join("gitea-db.yaml");
    client.open(&second_gitea, &typo);
    let found = client.diagnostics(&second_gitea, |d| !d.is_empty());
    assert_eq!(codes(&found), ["owner-role-missing"]);
    assert_eq!(found[0]["severity"], 1);

    // `pglint.toml` changes the level: read again when the editor reports the change.
    std::fs::write(
        second.join("pglint.toml"),
        "[rules]\nowner-role-missing = \"warning\"\n",
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&second.join("pglint.toml")), "type": 1}]}),
    );
    let found = client.diagnostics(&second_gitea, |d| {
        d.first().is_some_and(|d| d["severity"] == 2)
    });
    assert_eq!(codes(&found), ["owner-role-missing"]);

    // The first project is unaffected: its copy of the file is clean.
    let first_gitea = first.join(SOP).join("gitea-db.yaml");
    client.open(&first_gitea, &db);
    client.diagnostics(&first_gitea, <[Value]>::is_empty);
    assert!(
        client
            .pending
            .iter()
            .all(|m| m["params"]["uri"] != uri(&stray)),
        "{:#?}",
        client.pending
    );
}

#[test]
fn malformed_messages_get_errors_and_the_protocol_ends_cleanly() {
    let (_dir, root) = repository();
    let mut client = Client::start(&[&root]);
    client.send_raw(b"{this is not json");
    let error = client.wait_for("the parse error", |m| m.get("error").is_some());
    assert_eq!(error["id"], Value::Null);
    assert_eq!(error["error"]["code"], -32700);
    let unknown = client.request("pglint/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let invalid = client.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(invalid["error"]["code"], -32602, "{invalid}");
    // Still serving.
    let gitea = root.join(SOP).join("gitea-db.yaml");
    client.open(&gitea, &std::fs::read_to_string(&gitea).unwrap());
    let hover = client.at("textDocument/hover", &gitea, (9, 12));
    assert!(hover["result"]["contents"]["value"].is_string(), "{hover}");

    let shutdown = client.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null, "{shutdown}");
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), 0);

    // `exit` without `shutdown`: exit code 1, as the protocol says.
    let mut client = Client::start(&[&root]);
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), 1);
}

#[test]
fn positions_count_utf8_bytes_when_offered_else_utf16_units() {
    let (_dir, root) = repository();
    let nextcloud = root.join(SOP).join("nextcloud-db.yaml");
    // One line, with non-ASCII text (2 + 4 bytes; 1 + 2 UTF-16 units) before the owner.
    let typo = "{apiVersion: postgresql.cnpg.io/v1, kind: Database, metadata: {name: nextcloud-db, \
                namespace: postgres, annotations: {argocd.argoproj.io/sync-wave: \"2\", \
                note: \"é😀\"}}, spec: {name: nextcloud, owner: Nextcloud_User, \
                cluster: {name: postgres-shared}, ensure: present, databaseReclaimPolicy: retain}}\n";
    let byte = typo.find("Nextcloud_User").unwrap() as u64;
    let offers: [(Option<&[&str]>, &str, u64); 3] = [
        (Some(&["utf-16", "utf-8"]), "utf-8", byte),
        (Some(&["utf-32", "utf-16"]), "utf-16", byte - 3),
        (None, "utf-16", byte - 3),
    ];
    for (offer, negotiated, start) in offers {
        let (mut client, result) = Client::start_offering(&[&root], offer);
        assert_eq!(
            result["result"]["capabilities"]["positionEncoding"], negotiated,
            "{offer:?}"
        );
        client.open(&nextcloud, typo);
        let found = client.diagnostics(&nextcloud, |d| codes(d).contains(&"owner-role-missing"));
        let finding = found
            .iter()
            .find(|d| d["code"] == "owner-role-missing")
            .unwrap();
        let range = json!({"start": {"line": 0, "character": start},
                           "end": {"line": 0, "character": start + 14}});
        assert_eq!(finding["range"], range, "{negotiated}");
        // The client's edit, in the same units, fixes the owner in the server's buffer.
        client.change(
            &nextcloud,
            2,
            json!([{"range": range, "text": "nextcloud_user"}]),
        );
        client.diagnostics(&nextcloud, |d| !codes(d).contains(&"owner-role-missing"));
    }
}
