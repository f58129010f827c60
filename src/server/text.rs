//! Positions as LSP counts them (line, UTF-16 code unit) ↔ byte offsets in a text, and the
//! edits of `textDocument/didChange`.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

use crate::source::Span;

/// A text's line starts, to turn byte offsets into positions quickly.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The position of a byte offset (clamped to the text, moved back to a character
    /// boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let column = self.text[start..offset].encode_utf16().count();
        Position::new(line as u32, column as u32)
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start()), self.position(span.end()))
    }

    /// The byte offset of a position: past the end of its line (or of the text) is clamped
    /// there, as the protocol asks.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |next| next - 1);
        let mut units = 0;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }

    /// The line a byte offset is on: its start offset and its text (without the newline).
    pub fn line_at(&self, offset: usize) -> (usize, &'a str) {
        let line = self.position(offset).line as usize;
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        (start, &self.text[start..end])
    }
}

/// Applies one `didChange` event: a range replaced, or (no range) the whole text.
pub fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        Some(range) => {
            let index = LineIndex::new(text);
            let start = index.offset(range.start);
            let end = index.offset(range.end).max(start);
            text.replace_range(start..end, &change.text);
        }
        None => *text = change.text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_from_zero() {
        let text = "a: é😀x\nb: 1\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), Position::new(0, 0));
        let x = text.find('x').unwrap();
        // `é` is one unit, the emoji two.
        assert_eq!(index.position(x), Position::new(0, 6));
        assert_eq!(index.offset(Position::new(0, 6)), x);
        let b = text.find('b').unwrap();
        assert_eq!(index.position(b), Position::new(1, 0));
        assert_eq!(index.offset(Position::new(1, 99)), text.len() - 1);
        assert_eq!(index.offset(Position::new(9, 0)), text.len());
        // Inside a character: moved back to its start.
        assert_eq!(index.position(x - 1), Position::new(0, 4));
    }

    #[test]
    fn changes_replace_ranges_or_the_whole_text() {
        let mut text = "owner: gitea\ncluster: x\n".to_string();
        apply_change(
            &mut text,
            TextDocumentContentChangeEvent {
                range: Some(Range::new(Position::new(0, 7), Position::new(0, 12))),
                range_length: None,
                text: "gitea_usr".into(),
            },
        );
        assert_eq!(text, "owner: gitea_usr\ncluster: x\n");
        apply_change(
            &mut text,
            TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "new".into(),
            },
        );
        assert_eq!(text, "new");
    }
}
