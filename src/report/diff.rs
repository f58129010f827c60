//! `pglint check --diff`: the fixes as a unified diff, secret values masked on both sides
//! (a context line of a fixed file may hold a plaintext password).

use similar::TextDiff;

use super::masked_text;
use crate::project::Project;

/// A unified diff of every file `path` whose text differs between `before` and `after`.
pub fn render<'a>(
    before: &Project,
    after: &Project,
    paths: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut out = String::new();
    for path in paths {
        let old = before
            .file_id(path)
            .map(|file| masked_text(before, file))
            .unwrap_or_default();
        let new = after
            .file_id(path)
            .map(|file| masked_text(after, file))
            .unwrap_or_default();
        if old == new {
            continue;
        }
        // A masked value keeps its length in blanks: not in a diff's lines.
        let (old, new) = (trim_line_ends(&old), trim_line_ends(&new));
        let diff = TextDiff::from_lines(&old, &new);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
    }
    out
}

/// Each line without its trailing blanks (line breaks kept).
fn trim_line_ends(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let (body, end) = match line.strip_suffix("\r\n") {
                Some(body) => (body, "\r\n"),
                None => match line.strip_suffix('\n') {
                    Some(body) => (body, "\n"),
                    None => (line, ""),
                },
            };
            format!("{}{end}", body.trim_end_matches(' '))
        })
        .collect()
}
