//! Fixes as data: what a rule proposes to change, as byte-range edits of the source text it
//! read (never a re-serialisation, so comments, key order, quoting and line endings outside
//! the edited range stay as they are). [`yaml`] builds edits of YAML files; applying them is
//! the `fix` stage's job, after the rules.

pub mod yaml;

use serde::Serialize;

use crate::source::{FileId, Loc, Span};

/// How sure a fix is to keep what the user meant (as in ruff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown only: the change needs a person (re-sealing a value, say how).
    DisplayOnly,
    /// Changes what is deployed or picks a name for the user: applied with `--unsafe-fixes`.
    Unsafe,
    /// Mechanical, keeps the intent: applied with `--fix`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// Replace the bytes `span` of `file` with `content` (an insertion when the span is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub file: FileId,
    pub span: Span,
    pub content: String,
    /// Set on an insertion that adds an item to a list or an entry to a mapping: several such
    /// insertions at one offset go in together, joined by this separator (`x` and `y` into
    /// `[]` give `[x, y]`; block lines need none). One `--fix` round then adds every missing
    /// item or entry. Two that start with the same key (both creating `annotations:`, say)
    /// still go in one per round: the second is computed again from the file with the first.
    pub appends_with: Option<&'static str>,
    /// Items of a list go in sorted by their text (a sorted list stays sorted); entries of a
    /// mapping in the order the fixes came, as one round after another would put them.
    pub sorted: bool,
}

impl Edit {
    pub fn replace(loc: Loc, content: impl Into<String>) -> Edit {
        Edit {
            file: loc.file,
            span: loc.span,
            content: content.into(),
            appends_with: None,
            sorted: false,
        }
    }

    pub fn insert(file: FileId, at: usize, content: impl Into<String>) -> Edit {
        Edit {
            file,
            span: Span::new(at, at),
            content: content.into(),
            appends_with: None,
            sorted: false,
        }
    }

    pub fn delete(file: FileId, span: Span) -> Edit {
        Edit {
            file,
            span,
            content: String::new(),
            appends_with: None,
            sorted: false,
        }
    }

    /// An insertion that appends an item to a list (see [`Edit::appends_with`]).
    pub fn append(
        file: FileId,
        at: usize,
        content: impl Into<String>,
        separator: &'static str,
    ) -> Edit {
        Edit {
            sorted: true,
            ..Edit::add(file, at, content, separator)
        }
    }

    /// An insertion that adds an entry to a mapping (or a block to a list), in the order given
    /// beside others at the same place (see [`Edit::appends_with`]).
    pub fn add(
        file: FileId,
        at: usize,
        content: impl Into<String>,
        separator: &'static str,
    ) -> Edit {
        Edit {
            appends_with: Some(separator),
            ..Edit::insert(file, at, content)
        }
    }

    /// Do the two edits add different items (or entries) to the same list (or mapping) at the
    /// same place?
    pub fn appends_beside(&self, other: &Edit) -> bool {
        self.file == other.file
            && self.span.is_empty()
            && self.span == other.span
            && self.appends_with.is_some()
            && self.appends_with == other.appends_with
            && self.sorted == other.sorted
            && self.first_key() != other.first_key()
    }

    /// What an appended item or entry starts with, to tell two apart and to sort them: an
    /// item's first line, an entry's key (without the separator, list dash and quotes).
    fn first_key(&self) -> &str {
        let separator = self.appends_with.unwrap_or_default();
        let content = self
            .content
            .trim_start_matches(['\r', '\n'])
            .strip_prefix(separator)
            .filter(|_| !separator.is_empty())
            .unwrap_or(self.content.trim_start_matches(['\r', '\n']));
        let line = content.lines().next().unwrap_or_default().trim();
        // A list item is told by its whole first line (`- name: a`), an entry by its key.
        let key = match line.strip_prefix("- ") {
            Some(item) => item,
            None => line
                .split(": ")
                .next()
                .unwrap_or(line)
                .trim_end_matches(':'),
        };
        key.trim_matches(['"', '\''])
    }

    /// The content of insertions that [`Edit::appends_beside`] one another, in one: list items
    /// sorted by their text, entries in the order given, joined by their separator, led by it
    /// when the first given was (the collection already had items).
    pub fn joined(group: &[&Edit]) -> String {
        let Some(first) = group.first() else {
            return String::new();
        };
        let separator = first.appends_with.unwrap_or_default();
        let mut sorted = group.to_vec();
        if first.sorted {
            sorted.sort_by_key(|e| e.first_key());
        }
        if separator.is_empty() {
            return sorted.iter().map(|e| e.content.as_str()).collect();
        }
        let bare = |e: &&Edit| -> String {
            e.content
                .strip_prefix(separator)
                .unwrap_or(&e.content)
                .to_string()
        };
        let items: Vec<String> = sorted.iter().map(bare).collect();
        let lead = if first.content.starts_with(separator) {
            separator
        } else {
            ""
        };
        format!("{lead}{}", items.join(separator))
    }

    /// Do the two edits touch the same bytes of the same file? Two insertions at one offset
    /// conflict too (their order would be arbitrary), unless both add to the same list or
    /// mapping ([`Edit::appends_beside`]).
    pub fn overlaps(&self, other: &Edit) -> bool {
        // Touching ends are fine when the earlier edit replaces something: the insertion or
        // replacement after it starts where it ends.
        let follows = |a: &Edit, b: &Edit| !a.span.is_empty() && a.span.end() == b.span.start();
        self.file == other.file
            && self.span.start() <= other.span.end()
            && other.span.start() <= self.span.end()
            && !follows(self, other)
            && !follows(other, self)
            && !self.appends_beside(other)
    }
}

/// A fix: one message, the edits that make it (all or none), and how safe it is. A display-only
/// fix has no edits: its message says what a person must do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fix {
    pub applicability: Applicability,
    /// What the fix does, in the imperative ("quote the value").
    pub message: String,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Safe, message, edits)
    }

    pub fn unsafe_edits(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Unsafe, message, edits)
    }

    pub fn display_only(message: impl Into<String>) -> Fix {
        Fix::new(Applicability::DisplayOnly, message, Vec::new())
    }

    fn new(applicability: Applicability, message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability,
            message: message.into(),
            edits,
        }
    }

    /// Can a fix run apply it (it has edits, and `applicability` is allowed)?
    pub fn applies(&self, unsafe_fixes: bool) -> bool {
        !self.edits.is_empty()
            && match self.applicability {
                Applicability::Safe => true,
                Applicability::Unsafe => unsafe_fixes,
                Applicability::DisplayOnly => false,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize) -> Edit {
        Edit::replace(
            Loc {
                file: FileId(0),
                span: Span::new(start, end),
            },
            "x",
        )
    }

    fn append(at: usize, content: &str, separator: &'static str) -> Edit {
        Edit::append(FileId(0), at, content, separator)
    }

    #[test]
    fn appends_at_one_place_go_in_together_sorted() {
        // A sorted block list: both items before `- d.yaml`, in order whatever the fixes' order.
        let c = append(9, "  - c.yaml\n", "");
        let b = append(9, "  - b.yaml\n", "");
        assert!(c.appends_beside(&b) && !c.overlaps(&b));
        assert_eq!(Edit::joined(&[&c, &b]), "  - b.yaml\n  - c.yaml\n");
        // A flow list with items, and an empty one.
        let y = append(9, ", y", ", ");
        let x = append(9, ", x", ", ");
        assert_eq!(Edit::joined(&[&y, &x]), ", x, y");
        let (y, x) = (append(9, "y", ", "), append(9, ", x", ", "));
        assert_eq!(Edit::joined(&[&y, &x]), "x, y");
        // Entries of a mapping, in the order given; two creating the same parent wait for
        // each other.
        let add = |content: &str| Edit::add(FileId(0), 9, content, "");
        let wave = add("\n  annotations:\n    wave: \"1\"");
        let namespace = add("\n  namespace: postgres");
        let reflect = add("\n  annotations:\n    reflect: \"true\"");
        assert!(!wave.overlaps(&namespace));
        assert!(wave.overlaps(&reflect));
        assert_eq!(
            Edit::joined(&[&namespace, &wave]),
            "\n  namespace: postgres\n  annotations:\n    wave: \"1\""
        );
    }

    #[test]
    fn overlapping_edits() {
        assert!(edit(0, 4).overlaps(&edit(3, 5)));
        assert!(edit(2, 2).overlaps(&edit(2, 2)));
        assert!(edit(2, 2).overlaps(&edit(1, 3)));
        // Adjacent replacements, and an insertion at the end of a replacement, are fine.
        assert!(!edit(0, 2).overlaps(&edit(2, 4)));
        assert!(!edit(0, 2).overlaps(&edit(2, 2)));
        assert!(!edit(0, 2).overlaps(&edit(5, 6)));
    }
}
