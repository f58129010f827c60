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
            .map(|file| masked_text(before, file).text)
            .unwrap_or_default();
        let new = after
            .file_id(path)
            .map(|file| masked_text(after, file).text)
            .unwrap_or_default();
        if old == new {
            continue;
        }
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
