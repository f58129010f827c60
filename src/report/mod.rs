//! Stage 6: rendering diagnostics. Every format reads the same [`Diagnostic`] list.

pub mod human;
pub mod json;
mod mask;

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Project;
use crate::source::{LineCol, Loc};

pub use mask::masked_text;

/// Counts for the summary line and the JSON `summary` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn new(project: &Project, diagnostics: &[Diagnostic]) -> Summary {
        let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
        Summary {
            files: project.sources.len(),
            documents: project.document_count(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        }
    }

    /// `2 errors, 1 warning in 41 files`
    pub fn line(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {} in {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.files, "file")
        )
    }
}

/// A location resolved to a path and 1-based, inclusive line/column range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position<'p> {
    pub file: &'p str,
    pub start: LineCol,
    pub end: LineCol,
}

pub fn position<'p>(project: &'p Project, loc: Loc) -> Position<'p> {
    let source = project.sources.get(loc.file);
    Position {
        file: &source.path,
        start: source.line_col(loc.span.start),
        end: source.inclusive_end(loc.span),
    }
}
