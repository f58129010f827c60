//! The repository as it was at a git revision (`check --base REF`), read from git's object
//! database with plumbing commands: no checkout, nothing written to the working tree or the
//! index (`ls-tree` and `cat-file` never refresh the index, and `GIT_OPTIONAL_LOCKS=0` keeps
//! git from taking optional locks).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A git command in `dir` that takes no optional lock and never prompts.
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    command
}

fn output(command: &mut Command) -> Result<Vec<u8>, String> {
    let output = command
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

fn text(command: &mut Command) -> Result<String, String> {
    Ok(String::from_utf8_lossy(&output(command)?)
        .trim()
        .to_string())
}

/// The files under `root` (a folder of a git work tree) as they were at `reference`: their
/// paths relative to `root`, and their bytes. Files larger than `max_bytes` are left out
/// (never read into memory).
pub fn tree_at(
    root: &Path,
    reference: &str,
    max_bytes: u64,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let top = PathBuf::from(
        text(git(root).args(["rev-parse", "--show-toplevel"]))
            .map_err(|e| format!("--base needs a git repository: {e}"))?,
    );
    let top = top.canonicalize().unwrap_or(top);
    let prefix = root
        .strip_prefix(&top)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let commit = text(git(&top).args([
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        &format!("{reference}^{{commit}}"),
    ]))
    .map_err(|_| missing(&top, reference))?;
    if commit.is_empty() {
        return Err(missing(&top, reference));
    }
    let mut list = git(&top);
    list.args(["ls-tree", "-r", "-z", "--full-tree", "-l", &commit]);
    if !prefix.is_empty() {
        list.args(["--", &prefix]);
    }
    let listing = output(&mut list)?;
    // `<mode> <type> <object> <size>\t<path>`, NUL-terminated.
    let mut blobs: Vec<(String, String, u64)> = Vec::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        // Regular files only: no links (120000), no submodules (160000).
        if fields.len() != 4 || fields[1] != "blob" || fields[0] == "120000" {
            continue;
        }
        let relative = if prefix.is_empty() {
            path.to_string()
        } else {
            match path.strip_prefix(&format!("{prefix}/")) {
                Some(rest) => rest.to_string(),
                None => continue,
            }
        };
        let size = fields[3].parse().unwrap_or(u64::MAX);
        blobs.push((relative, fields[2].to_string(), size));
    }
    blobs.retain(|(_, _, size)| *size <= max_bytes);
    let objects: Vec<&str> = blobs.iter().map(|(_, object, _)| object.as_str()).collect();
    let contents = cat_files(&top, &objects)?;
    Ok(blobs
        .into_iter()
        .zip(contents)
        .map(|((path, _, _), bytes)| (path, bytes))
        .collect())
}

/// What to tell when `reference` is not in the repository.
fn missing(top: &Path, reference: &str) -> String {
    let shallow =
        text(git(top).args(["rev-parse", "--is-shallow-repository"])).is_ok_and(|s| s == "true");
    let hint = fetch_hint(reference, shallow);
    if shallow {
        format!("`{reference}` is not in this shallow clone; {hint}")
    } else {
        format!("`{reference}` names no commit in this repository; {hint}")
    }
}

/// How to get `reference` into the clone. A relative revision (`main~2`, `HEAD^`) cannot be
/// fetched by name: its base is fetched, with enough history for the suffix.
fn fetch_hint(reference: &str, shallow: bool) -> String {
    let base_end = reference.find(['~', '^']).unwrap_or(reference.len());
    let (base, suffix) = reference.split_at(base_end);
    let unshallow = if shallow {
        " (in GitHub Actions, `actions/checkout` with `fetch-depth: 0`)"
    } else {
        ""
    };
    let fetch_base = match base.split_once('/') {
        Some((remote, branch)) if !remote.is_empty() && !branch.is_empty() => Some(format!(
            "git fetch {} {}",
            shell_quote(remote),
            shell_quote(branch)
        )),
        _ if base.is_empty() || base == "HEAD" || base == "@" => None,
        _ => Some(format!("git fetch origin {}", shell_quote(base))),
    };
    match (suffix.is_empty(), fetch_base) {
        (true, Some(fetch)) => format!(
            "fetch it first: `{fetch}`{}",
            if shallow {
                format!(" (or `git fetch --unshallow`){unshallow}")
            } else {
                String::new()
            }
        ),
        (false, Some(fetch)) if shallow => format!(
            "`{suffix}` counts back through history this clone lacks: `{fetch} && git fetch --unshallow`{unshallow}"
        ),
        (false, Some(fetch)) => format!("fetch its base first: `{fetch}`"),
        (_, None) if shallow => format!(
            "`{suffix}` counts back through history this clone lacks: `git fetch --unshallow`{unshallow}"
        ),
        (_, None) => "the history is shorter than that".to_string(),
    }
}

/// `arg` as a POSIX shell reads it back: bare when it holds only safe characters, else in
/// single quotes.
fn shell_quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:@%+=,-".contains(&b));
    if safe {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// The contents of `objects`, in order, through one `git cat-file --batch`.
fn cat_files(top: &Path, objects: &[&str]) -> Result<Vec<Vec<u8>>, String> {
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = git(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let request: String = objects.iter().map(|o| format!("{o}\n")).collect();
    // Written from another thread: git answers while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let mut reader = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut contents = Vec::with_capacity(objects.len());
    for object in objects {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| format!("git cat-file: {e}"))?;
        // `<object> blob <size>`
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: no content for {object}: {}", header.trim()))?;
        let mut bytes = vec![0; size];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| format!("git cat-file: {e}"))?;
        let mut newline = [0u8; 1];
        reader
            .read_exact(&mut newline)
            .map_err(|e| format!("git cat-file: {e}"))?;
        contents.push(bytes);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(contents)
}

/// The path of `root` below the git top level around it, with a trailing `/` (empty at the
/// top level, or outside git): what makes a repository path a path of the git repository.
pub fn top_level_prefix(root: &Path) -> String {
    let top = crate::discover::git_top_level(root).unwrap_or(root);
    match root.strip_prefix(top) {
        Ok(rest) if !rest.as_os_str().is_empty() => {
            format!("{}/", rest.to_string_lossy().replace('\\', "/"))
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_hints_for_names_relative_revisions_and_odd_characters() {
        assert_eq!(
            fetch_hint("origin/main", false),
            "fetch it first: `git fetch origin main`"
        );
        assert_eq!(
            fetch_hint("main", true),
            "fetch it first: `git fetch origin main` (or `git fetch --unshallow`) (in GitHub Actions, `actions/checkout` with `fetch-depth: 0`)"
        );
        assert_eq!(
            fetch_hint("origin/main~2", true),
            "`~2` counts back through history this clone lacks: `git fetch origin main && git fetch --unshallow` (in GitHub Actions, `actions/checkout` with `fetch-depth: 0`)"
        );
        assert_eq!(
            fetch_hint("HEAD~3", true),
            "`~3` counts back through history this clone lacks: `git fetch --unshallow` (in GitHub Actions, `actions/checkout` with `fetch-depth: 0`)"
        );
        assert_eq!(
            fetch_hint("HEAD^", false),
            "the history is shorter than that"
        );
        assert_eq!(
            fetch_hint("origin/it's;rm -rf", false),
            "fetch it first: `git fetch origin 'it'\\''s;rm -rf'`"
        );
    }
}
