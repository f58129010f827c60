//! `pglint graph` (Mermaid checked structurally, DOT by Graphviz's `dot` when installed, JSON
//! parsed) and the Markdown summary `check` writes to `--summary FILE` and appends to
//! `$GITHUB_STEP_SUMMARY`.

#[path = "common/env.rs"]
mod env;

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example")
}

fn pglint() -> Command {
    let mut cmd = Command::cargo_bin("pglint").unwrap();
    env::plain_output(&mut cmd);
    cmd
}

fn graph(format: &str, app: Option<&str>) -> String {
    let mut cmd = pglint();
    cmd.args(["graph", "--format", format, "--root"])
        .arg(example());
    if let Some(app) = app {
        cmd.args(["--app", app]);
    }
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8(output.stdout).unwrap()
}

/// A link: from, label, to.
type Link = (String, String, String);

/// Checks a Mermaid flowchart's structure: header, node definitions, links between defined
/// nodes, and that `linkStyle` indexes name links. Returns (nodes, links, red link indexes).
fn parse_mermaid(text: &str) -> (BTreeSet<String>, Vec<Link>, Vec<usize>) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"), "{text}");
    let mut nodes = BTreeSet::new();
    let mut links = Vec::new();
    let mut red = Vec::new();
    for line in lines {
        let line = line.trim();
        if let Some((id, rest)) = line.split_once("[\"") {
            assert!(rest.ends_with("\"]"), "{line}");
            nodes.insert(id.to_string());
        } else if let Some((from, rest)) = line.split_once(" -->|\"") {
            let (label, to) = rest.split_once("\"| ").expect(line);
            links.push((from.to_string(), label.to_string(), to.to_string()));
        } else if let Some(rest) = line.strip_prefix("linkStyle ") {
            red.push(rest.split_whitespace().next().unwrap().parse().unwrap());
        } else {
            assert!(
                line.starts_with("classDef ") || line.starts_with("class "),
                "unexpected line `{line}`"
            );
        }
    }
    for (from, _, to) in &links {
        assert!(nodes.contains(from) && nodes.contains(to), "{from} -> {to}");
    }
    for &i in &red {
        assert!(i < links.len());
    }
    (nodes, links, red)
}

#[test]
fn mermaid_draws_the_chains_and_the_broken_link_in_red() {
    let text = graph("mermaid", None);
    let (nodes, links, red) = parse_mermaid(&text);
    assert!(nodes.len() >= 10, "{text}");
    assert_eq!(red.len(), 1, "{text}");
    let (_, label, _) = &links[red[0]];
    assert_eq!(label, "owner ✗ owner-role-missing");
    assert!(text.contains("role wikijs_usr<br/>missing"), "{text}");
    // One app: its chain only.
    let (nodes, links, _) = parse_mermaid(&graph("mermaid", Some("gitea")));
    assert_eq!(nodes.len(), 4, "secret, role, database, cluster");
    assert_eq!(
        links.iter().map(|(_, l, _)| l.as_str()).collect::<Vec<_>>(),
        ["cluster", "owner", "passwordSecret"]
    );
}

#[test]
fn json_and_dot_hold_the_same_graph() {
    let json: Value = serde_json::from_str(&graph("json", Some("wikijs"))).unwrap();
    assert_eq!(json["version"], 1);
    let broken: Vec<&Value> = json["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["broken"].is_null())
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0]["broken"], "owner-role-missing");
    let missing = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["missing"] == true)
        .unwrap();
    assert_eq!(missing["name"], "postgres/postgres-shared/wikijs_usr");
    let database = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "database")
        .unwrap();
    assert_eq!(database["file"], "infra/databases/postgres/wikijs-db.yaml");

    let dot = graph("dot", Some("wikijs"));
    assert!(dot.starts_with("digraph pglint {"), "{dot}");
    assert!(dot.contains("color=red"), "{dot}");
    let graphviz = std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !graphviz {
        eprintln!("Graphviz `dot` is not installed: DOT checked by structure only");
        return;
    }
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
}

#[path = "common/fs.rs"]
mod fs;

#[test]
fn the_step_summary_is_appended_with_links_and_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    // Its own git repository: links are relative to the git top level.
    let repo = dir.path().join("repo");
    fs::copy_dir(&example(), &repo);
    std::fs::create_dir(repo.join(".git")).unwrap();
    let step = dir.path().join("step-summary.md");
    std::fs::write(&step, "earlier step\n").unwrap();
    let file = dir.path().join("summary.md");
    let output = pglint()
        .env("GITHUB_STEP_SUMMARY", &step)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "example/gitops")
        .env("GITHUB_SHA", "0123abc")
        .args(["check", "--format", "json", "--root"])
        .arg(&repo)
        .arg("--summary")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    // stdout keeps the asked format.
    let _: Value = serde_json::from_slice(&output.stdout).unwrap();
    let appended = std::fs::read_to_string(&step).unwrap();
    let summary = appended.strip_prefix("earlier step\n").expect("appended");
    assert_eq!(summary, std::fs::read_to_string(&file).unwrap());
    assert!(summary.starts_with("## pglint\n"), "{summary}");
    assert!(summary.contains("| ❌ error | `owner-role-missing` | [`infra/databases/postgres/wikijs-db.yaml:8`](https://github.com/example/gitops/blob/0123abc/infra/databases/postgres/wikijs-db.yaml#L8) |"), "{summary}");
    let mermaid = summary
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a mermaid block");
    let (_, links, red) = parse_mermaid(mermaid);
    assert_eq!(red.len(), 1);
    assert!(links.iter().all(|(_, l, _)| !l.is_empty()));
}
