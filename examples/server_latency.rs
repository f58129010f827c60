//! How long after a keystroke `pglint server` publishes diagnostics, in a generated
//! repository (`tests/common/synth.rs`, as `gen_repo` writes it), and its memory over many
//! edits.
//!
//! ```text
//! cargo run --release --example server_latency -- [--apps 10000] [--edits 20] [--sequential 2000]
//! cargo run --release --example server_latency -- --stages [--rule-times] [--apps 10000] [--edits 20]
//! ```
//!
//! The example starts itself as the server (`pglint::server::run` over its own standard input
//! and output, exactly as `pglint server` runs it) and acts as the editor: it opens one
//! Database, then makes `--edits` keystrokes one at a time (a typo in `spec.owner`, then its
//! correction), each timed from `didChange` sent to the `publishDiagnostics` that reflects it.
//! Then `--sequential` more keystrokes are made, each waiting for its diagnostics (so none is
//! coalesced by the debounce), and the server's resident memory is read from `/proc` after 100,
//! 1,000, 2,000 … of them.
//!
//! `--stages` runs no server: it times, in process, each stage of the check a keystroke causes
//! (the cached load, deploy, index, rules), of the whole engine run, as the server runs them,
//! and of freeing the checked project (the server frees the previous one on another thread
//! while it checks).

#[path = "../tests/common/synth.rs"]
mod synth;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    apps: usize,
    /// Keystrokes timed one at a time (an even number: they end on a correction).
    #[arg(long, default_value_t = 20)]
    edits: usize,
    /// Keystrokes made afterwards, each waited for, for the memory figures.
    #[arg(long, default_value_t = 2_000)]
    sequential: usize,
    /// Time each stage of a keystroke's check in process instead (no server).
    #[arg(long)]
    stages: bool,
    /// With `--stages`: each rule's time on the first keystroke, alone on one thread (the
    /// twelve slowest).
    #[arg(long)]
    rule_times: bool,
    /// Internal: run as the server.
    #[arg(long, hide = true)]
    serve: bool,
}

fn main() {
    let args = Args::parse();
    if args.serve {
        let clean = pglint::server::run().expect("the server runs");
        std::process::exit(if clean { 0 } else { 1 });
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().canonicalize().unwrap();
    let stats = synth::write_sop_repo(&root, args.apps, 42).expect("the repository is written");
    std::fs::create_dir(root.join(".git")).unwrap();
    println!("{} apps, {} files", args.apps, stats.files);
    if args.stages {
        stages(&root, &args);
        return;
    }

    let mut server = Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let pid = server.id();
    let mut editor = Editor {
        stdin: server.stdin.take().unwrap(),
        messages: reader(server.stdout.take().unwrap()),
        next_id: 1,
    };
    editor.request(
        "initialize",
        json!({"processId": null, "capabilities": {},
               "workspaceFolders": [{"uri": format!("file://{}", root.display()), "name": "repo"}]}),
    );
    editor.notify("initialized", json!({}));

    let app = &synth::app_names(args.apps, 42)[args.apps / 2];
    let path = root.join("infra/databases/postgres").join(app.db_file());
    let uri = format!("file://{}", path.display());
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("owner:"))
        .expect("an owner line");
    let column = text.lines().nth(line).unwrap().len();
    let started = Instant::now();
    editor.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let base = editor.diagnostics(&uri, |_| true);
    println!(
        "open: first diagnostics after {:.0} ms",
        ms(started.elapsed())
    );
    let rss_open = rss_kib(pid);

    // A keystroke: append `x` to the owner (a finding), or delete it (none). The timed edits
    // end on a correction when their number is even.
    let mut version = 1;
    let mut keystroke = |editor: &mut Editor, typo: bool| {
        version += 1;
        let change = if typo {
            json!({"range": {"start": {"line": line, "character": column},
                             "end": {"line": line, "character": column}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": column},
                             "end": {"line": line, "character": column + 1}}, "text": ""})
        };
        editor.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [change]}),
        );
    };
    let mut latencies = Vec::new();
    for i in 0..args.edits & !1 {
        let typo = i % 2 == 0;
        let sent = Instant::now();
        keystroke(&mut editor, typo);
        editor.diagnostics(&uri, |d| (d.len() > base) == typo);
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    if !latencies.is_empty() {
        let pick = |q: f64| ms(latencies[((latencies.len() - 1) as f64 * q).round() as usize]);
        println!(
            "keystroke → diagnostics over {} edits: median {:.0} ms, p90 {:.0} ms, max {:.0} ms",
            latencies.len(),
            pick(0.5),
            pick(0.9),
            pick(1.0)
        );
    }

    let rss_edits = rss_kib(pid);
    println!(
        "server RSS: {} MiB after opening, {} MiB after {} timed edits",
        rss_open / 1024,
        rss_edits / 1024,
        args.edits,
    );
    // Keystrokes one after the other, each waited for: every one is a check.
    let started = Instant::now();
    for i in 0..args.sequential {
        let typo = i % 2 == 0;
        keystroke(&mut editor, typo);
        editor.diagnostics(&uri, |d| (d.len() > base) == typo);
        let done = i + 1;
        if done == args.sequential || [100, 1_000, 2_000, 5_000].contains(&done) {
            println!(
                "server RSS after {done} sequential edits: {} MiB ({:.1} ms per edit)",
                rss_kib(pid) / 1024,
                ms(started.elapsed()) / done as f64
            );
        }
    }
    editor.request("shutdown", Value::Null);
    editor.notify("exit", Value::Null);
    server.wait().unwrap();
}

struct Editor {
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Editor {
    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == id && m.get("method").is_none())
    }

    fn wait(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(600))
                .expect("the server answers");
            if matches(&message) {
                return message;
            }
        }
    }

    /// Waits for diagnostics of `uri` that `matches`; how many there are.
    fn diagnostics(&mut self, uri: &str, matches: impl Fn(&[Value]) -> bool) -> usize {
        let message = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && matches(m["params"]["diagnostics"].as_array().unwrap())
        });
        message["params"]["diagnostics"].as_array().unwrap().len()
    }
}

fn reader(stdout: impl Read + Send + 'static) -> Receiver<Value> {
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.trim().is_empty() {
                    break;
                }
                if let Some(value) = line.strip_prefix("Content-Length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Each stage of the check a keystroke causes, timed in process: the median over `--edits`
/// keystrokes (alternately a typo in a Database's owner and its correction).
fn stages(root: &std::path::Path, args: &Args) {
    use pglint::config::Config;
    use pglint::engine::{self, Options};
    use pglint::hash::HashMap;
    use pglint::project::ProjectCache;

    let config = Config::default();
    let mut cache = ProjectCache::new(root.to_path_buf(), config.clone());
    let started = Instant::now();
    drop(
        cache
            .load(&HashMap::default())
            .expect("the repository loads"),
    );
    println!("first load: {:.0} ms", ms(started.elapsed()));
    let app = &synth::app_names(args.apps, 42)[args.apps / 2];
    let path = format!("infra/databases/postgres/{}", app.db_file());
    let text = std::fs::read_to_string(root.join(&path)).unwrap();
    let typo = text.replacen("owner: ", "owner: x", 1);
    let names = [
        "load (cached)",
        "deploy",
        "index",
        "rules",
        "engine (all)",
        "freeing the checked project",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    for i in 0..args.edits.max(1) {
        let buffer = if i % 2 == 0 { &typo } else { &text };
        let buffers: HashMap<String, Vec<u8>> = [(path.clone(), buffer.clone().into_bytes())]
            .into_iter()
            .collect();
        let mut clock = Instant::now();
        let mut lap = |stage: usize| {
            times[stage].push(clock.elapsed());
            clock = Instant::now();
        };
        let project = cache.load(&buffers).expect("the repository loads");
        lap(0);
        let deploy = pglint::deploy::Deploy::build(&project, &config);
        lap(1);
        let index = pglint::index::Index::build(&project, &config, &deploy);
        lap(2);
        let linted = engine::lint::lint_indexed(&project, &index, &config);
        lap(3);
        drop(linted);
        if i == 0 && args.rule_times {
            let cx = pglint::rules::Context::new(&project, &index, &config);
            let mut each: Vec<(Duration, &str)> = pglint::rules::ALL
                .iter()
                .map(|rule| {
                    let t = Instant::now();
                    let mut out = Vec::new();
                    rule.check(&cx, &mut out);
                    (t.elapsed(), rule.meta().id)
                })
                .collect();
            each.sort();
            for (t, id) in each.iter().rev().take(12) {
                println!("  rule {id}: {:.0} ms", ms(*t));
            }
        }
        drop(index);
        drop(deploy);
        let options = Options {
            long_running: true,
            ..Options::default()
        };
        let report = engine::check(project, &config, &options).expect("checked");
        lap(4);
        drop(report);
        lap(5);
    }
    for (name, mut laps) in names.iter().zip(times) {
        laps.sort();
        println!(
            "{name}: median {:.0} ms over {} keystrokes",
            ms(laps[laps.len() / 2]),
            laps.len()
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The resident memory of a process (Linux), in KiB; 0 where `/proc` cannot tell.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
