//! `pglint check --diff`: the fixes as a unified diff that `git apply` accepts. A line that
//! holds a secret value (a context line of a fixed file may hold a plaintext password) is shown
//! masked; every other line, sealed-secrets ciphertext included, shows its real bytes. Each file
//! has git's `diff --git` header, so `git apply` and `patch -p1` take it. A hunk with a masked line cannot be applied,
//! and the diff says so before the file's header, where `git apply` reads nothing.

use std::fmt::Write;

use similar::{DiffOp, TextDiff};

use super::MaskedText;
use super::mask::masked_text_but_ciphertext;
use crate::project::Project;

/// Lines of context around each change, as `diff -u` and `git diff`.
const CONTEXT: usize = 3;

/// A unified diff of every file `path` whose text differs between `before` and `after`.
pub fn render<'a>(
    before: &Project,
    after: &Project,
    paths: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut out = String::new();
    for path in paths {
        let old = Side::of(before, path);
        let new = Side::of(after, path);
        if old.real == new.real {
            continue;
        }
        let (old_lines, new_lines) = (old.real_lines(), new.real_lines());
        let diff = TextDiff::from_slices(&old_lines, &new_lines);
        let mut hunks = String::new();
        let mut masked_hunks = Vec::new();
        for ops in diff.grouped_ops(CONTEXT) {
            let (Some(first), Some(last)) = (ops.first(), ops.last()) else {
                continue;
            };
            let olds = first.old_range().start..last.old_range().end;
            let news = first.new_range().start..last.new_range().end;
            let _ = writeln!(hunks, "@@ -{} +{} @@", hunk_range(&olds), hunk_range(&news));
            let mut masked = false;
            for op in &ops {
                let lines: Vec<(char, &Side, usize)> = match op {
                    DiffOp::Equal { .. } => op.old_range().map(|i| (' ', &old, i)).collect(),
                    _ => op
                        .old_range()
                        .map(|i| ('-', &old, i))
                        .chain(op.new_range().map(|i| ('+', &new, i)))
                        .collect(),
                };
                for (sign, side, i) in lines {
                    let (line, is_masked) = side.line(i);
                    masked |= is_masked;
                    hunks.push(sign);
                    hunks.push_str(line);
                    if !line.ends_with('\n') {
                        hunks.push_str("\n\\ No newline at end of file\n");
                    }
                }
            }
            if masked {
                masked_hunks.push(olds.start + 1);
            }
        }
        if !masked_hunks.is_empty() {
            let lines: Vec<String> = masked_hunks.iter().map(usize::to_string).collect();
            let (hunks_at, show) = if lines.len() == 1 {
                ("its hunk at line", "shows a line")
            } else {
                ("its hunks at lines", "show lines")
            };
            let _ = writeln!(
                out,
                "pglint: this diff of {path} cannot be applied with `git apply`: {hunks_at} {} {show} that holds a secret value, masked here; `pglint check --fix` applies it",
                lines.join(", ")
            );
        }
        // Git's header, so that `git apply` and `patch -p1` both take it; a file that one side
        // lacks is created or deleted, as git writes it.
        let _ = writeln!(out, "diff --git a/{path} b/{path}");
        let (from, to) = match (old.exists, new.exists) {
            (false, _) => {
                let _ = writeln!(out, "new file mode 100644");
                ("/dev/null".to_string(), format!("b/{path}"))
            }
            (_, false) => {
                let _ = writeln!(out, "deleted file mode 100644");
                (format!("a/{path}"), "/dev/null".to_string())
            }
            _ => (format!("a/{path}"), format!("b/{path}")),
        };
        let _ = write!(out, "--- {from}\n+++ {to}\n{hunks}");
    }
    out
}

/// `start,len` of a unified diff's hunk header (`start` is the line before an empty range).
fn hunk_range(lines: &std::ops::Range<usize>) -> String {
    let start = if lines.is_empty() {
        lines.start
    } else {
        lines.start + 1
    };
    format!("{start},{}", lines.len())
}

/// One side of a file's diff: its real text, and its masked text line by line.
struct Side {
    exists: bool,
    real: String,
    real_lines: Vec<(usize, usize)>,
    masked: MaskedText,
    masked_lines: Vec<(usize, usize)>,
}

impl Side {
    fn of(project: &Project, path: &str) -> Side {
        let file = project.file_id(path);
        let (real, masked) = file.map_or_else(Default::default, |file| {
            (
                project.text(file).as_str().to_string(),
                masked_text_but_ciphertext(project, file),
            )
        });
        Side {
            exists: file.is_some(),
            real_lines: line_ranges(&real),
            masked_lines: line_ranges(&masked.text),
            real,
            masked,
        }
    }

    fn real_lines(&self) -> Vec<&str> {
        self.real_lines
            .iter()
            .map(|&(start, end)| &self.real[start..end])
            .collect()
    }

    /// Line `i` (with its line break) as the diff may show it, and whether it is masked.
    fn line(&self, i: usize) -> (&str, bool) {
        let (start, end) = self.real_lines[i];
        let real = &self.real[start..end];
        match self.masked_lines.get(i) {
            Some(&(start, end)) if &self.masked.text[start..end] != real => {
                (&self.masked.text[start..end], true)
            }
            _ => (real, false),
        }
    }
}

/// `start..end` of each line of `text`, its `\n` included: lines as `git apply` reads them
/// (a `\r` stays part of its line).
fn line_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        lines.push((start, start + line.len()));
        start += line.len();
    }
    lines
}
