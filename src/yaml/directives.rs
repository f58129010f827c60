//! pglint's own comments (`# pglint-ignore: …`), found in the text while it is at hand: the
//! text is not kept after loading, and YAML parsers drop comments.

use crate::source::Span;

/// What every pglint comment starts with, after the `#`.
pub const MARKER: &str = "pglint-ignore";

/// One `# pglint-ignore…` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Byte offset of its `#`.
    pub start: usize,
    /// From the `#` to the end of the line, line break excluded.
    pub text: String,
    /// The line it applies to: its own line when it follows YAML, else the next line holding
    /// YAML; `None` when no such line follows. As the byte range `start..end` of the line
    /// (it ends past any offset for the last line, so a position at the very end is on it).
    pub target_line: Option<Span>,
}

/// Every pglint comment of a file, in order.
pub fn directives(text: &str) -> Vec<Directive> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line));
        offset += line.len();
    }
    let line_span = |index: usize| {
        let (start, _) = lines[index];
        let end = lines.get(index + 1).map_or(usize::MAX, |&(next, _)| next);
        Span::new(start, end)
    };
    let mut found = Vec::new();
    for (index, &(offset, line)) in lines.iter().enumerate() {
        let Some(at) = find_comment(line) else {
            continue;
        };
        let follows_yaml = !line[..at].trim().is_empty();
        let target = if follows_yaml {
            Some(index)
        } else {
            next_code_line(&lines, index)
        };
        found.push(Directive {
            start: offset + at,
            text: line[at..].trim_end_matches(['\n', '\r']).to_string(),
            target_line: target.map(line_span),
        });
    }
    found
}

/// Byte offset of a `#` that starts a pglint comment on this line.
fn find_comment(line: &str) -> Option<usize> {
    let mut search = 0;
    while let Some(found) = line[search..].find('#') {
        let at = search + found;
        let starts_comment = at == 0 || line[..at].ends_with([' ', '\t']);
        if starts_comment
            && line[at..]
                .trim_start_matches('#')
                .trim_start()
                .starts_with(MARKER)
        {
            return Some(at);
        }
        search = at + 1;
    }
    None
}

/// The index of the next line holding YAML (not blank, not a comment).
fn next_code_line(lines: &[(usize, &str)], index: usize) -> Option<usize> {
    lines
        .iter()
        .enumerate()
        .skip(index + 1)
        .find(|(_, (_, l))| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_found_only_as_comments() {
        assert_eq!(find_comment("  # pglint-ignore: x -- y"), Some(2));
        assert_eq!(find_comment("owner: a # pglint-ignore: x -- y"), Some(9));
        assert_eq!(find_comment("url: http://a#pglint-ignore"), None);
        assert_eq!(find_comment("# just a comment"), None);
    }

    #[test]
    fn own_line_comments_apply_to_the_next_yaml_line() {
        let text = "a: 1\n# pglint-ignore: r -- why\n\n# other\nowner: x\n";
        let found = directives(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].start, 5);
        assert_eq!(found[0].text, "# pglint-ignore: r -- why");
        let owner = text.find("owner").unwrap();
        assert_eq!(found[0].target_line, Some(Span::new(owner, usize::MAX)));
    }

    #[test]
    fn end_of_line_comments_apply_to_their_line() {
        let text = "a: 1\nowner: x # pglint-ignore: r -- why\r\nb: 2\n";
        let found = directives(text);
        assert_eq!(found[0].text, "# pglint-ignore: r -- why");
        assert_eq!(found[0].target_line, Some(Span::new(5, 41)));
    }

    #[test]
    fn a_comment_at_the_end_applies_to_nothing() {
        let found = directives("a: 1\n# pglint-ignore: r -- why\n# more\n");
        assert_eq!(found[0].target_line, None);
        assert!(directives("a: 1 # pglint\n").is_empty());
    }
}
