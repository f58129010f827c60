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
    /// Set on an insertion that appends an item to a list: several such insertions at one
    /// offset go in together, in order, with this separator before a later one that does not
    /// start with it (`x` and `y` into `[]` give `[x, y]`). One `--fix` round then adds every
    /// missing item.
    pub appends_with: Option<&'static str>,
}

impl Edit {
    pub fn replace(loc: Loc, content: impl Into<String>) -> Edit {
        Edit {
            file: loc.file,
            span: loc.span,
            content: content.into(),
            appends_with: None,
        }
    }

    pub fn insert(file: FileId, at: usize, content: impl Into<String>) -> Edit {
        Edit {
            file,
            span: Span::new(at, at),
            content: content.into(),
            appends_with: None,
        }
    }

    pub fn delete(file: FileId, span: Span) -> Edit {
        Edit {
            file,
            span,
            content: String::new(),
            appends_with: None,
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
            appends_with: Some(separator),
            ..Edit::insert(file, at, content)
        }
    }

    /// Do the two edits append items to the same list at the same place?
    pub fn appends_beside(&self, other: &Edit) -> bool {
        self.file == other.file
            && self.span.is_empty()
            && self.span == other.span
            && self.appends_with.is_some()
            && self.appends_with == other.appends_with
    }

    /// Do the two edits touch the same bytes of the same file? Two insertions at one offset
    /// conflict too (their order would be arbitrary), unless both append to the same list.
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
