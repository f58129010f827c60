//! The performance floor pglint is measured against.
//!
//! ```text
//! cargo run --release --example parse_floor -- DIR
//! ```
//!
//! Finds every `*.yaml` / `*.yml` under DIR with the `ignore` crate's standard walker
//! (`.gitignore`-aware), then reads and parses each file in parallel with rayon, pulling every
//! event out of `saphyr_parser` and doing nothing else with it. pglint uses the same parser,
//! thread pool and allocator (its own walker does more: ignore files, links, special files,
//! Helm charts), so no linter built on them can be faster than this; the distance to it is
//! what pglint's own work costs.
//!
//! Prints `files=N bytes=B events=E errors=X`, where an error is a file that
//! could not be read as UTF-8 or that failed to parse.

use std::path::{Path, PathBuf};

use clap::Parser as _;
use ignore::WalkBuilder;
use rayon::prelude::*;
use saphyr_parser::Parser;

#[derive(clap::Parser)]
#[command(about = "Walk and parse every YAML file under DIR, nothing more")]
struct Args {
    /// Repository root to scan.
    dir: PathBuf,
}

/// What one file (or, summed, the whole tree) amounted to.
#[derive(Default, Clone, Copy)]
struct Tally {
    files: u64,
    bytes: u64,
    events: u64,
    errors: u64,
}

impl std::ops::Add for Tally {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            files: self.files + o.files,
            bytes: self.bytes + o.bytes,
            events: self.events + o.events,
            errors: self.errors + o.errors,
        }
    }
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn parse_file(path: &Path) -> Tally {
    let mut tally = Tally {
        files: 1,
        ..Tally::default()
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        tally.errors = 1;
        return tally;
    };
    tally.bytes = text.len() as u64;
    for event in Parser::new_from_str(&text) {
        if event.is_err() {
            // The parser does not recover: stop at the first error.
            tally.errors = 1;
            break;
        }
        tally.events += 1;
    }
    tally
}

fn main() {
    let args = Args::parse();

    // Standard filters (hidden files, .gitignore, .ignore); .gitignore is
    // honoured even when DIR is not inside a git work tree.
    let files: Vec<PathBuf> = WalkBuilder::new(&args.dir)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()) && is_yaml(entry.path()))
        .map(ignore::DirEntry::into_path)
        .collect();

    let total = files
        .par_iter()
        .map(|path| parse_file(path))
        .reduce(Tally::default, |a, b| a + b);

    println!(
        "files={} bytes={} events={} errors={}",
        total.files, total.bytes, total.events, total.errors
    );
}

// The same allocator as pglint, so the floor measures reading and parsing, not allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
