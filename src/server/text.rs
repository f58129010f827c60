//! Positions as LSP counts them (line, and UTF-8 bytes or UTF-16 code units as negotiated) ↔
//! byte offsets in a text, and the edits of `textDocument/didChange`.

use lsp_types::{
    ClientCapabilities, Position, PositionEncodingKind, Range, TextDocumentContentChangeEvent,
};

use crate::source::Span;

/// What a position's `character` counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes: pglint's own offsets, chosen whenever the client offers it.
    Utf8,
    /// The protocol's default, which every client supports.
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client lists it in `general.positionEncodings`, else UTF-16.
    pub fn negotiate(client: &ClientCapabilities) -> Encoding {
        let offered = client
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_ref());
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// A text's line starts, to turn byte offsets into positions quickly.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str, encoding: Encoding) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            text,
            starts,
            encoding,
        }
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
        let column = match self.encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => self.text[start..offset].encode_utf16().count(),
        };
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
            units += self.encoding.units(c);
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
pub fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent, encoding: Encoding) {
    match change.range {
        Some(range) => {
            let index = LineIndex::new(text, encoding);
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
        let index = LineIndex::new(text, Encoding::Utf16);
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
    fn positions_count_utf8_bytes_when_negotiated() {
        let text = "a: é😀x\nb: 1\n";
        let index = LineIndex::new(text, Encoding::Utf8);
        let x = text.find('x').unwrap();
        // `é` is two bytes, the emoji four.
        assert_eq!(index.position(x), Position::new(0, 9));
        assert_eq!(index.offset(Position::new(0, 9)), x);
        // Inside a character: moved back to its start, both ways.
        assert_eq!(index.position(x - 1), Position::new(0, 5));
        assert_eq!(index.offset(Position::new(0, 6)), x);
    }

    #[test]
    fn utf8_is_chosen_only_when_the_client_offers_it() {
        let offering = |kinds: Option<Vec<PositionEncodingKind>>| ClientCapabilities {
            general: Some(lsp_types::GeneralClientCapabilities {
                position_encodings: kinds,
                ..Default::default()
            }),
            ..Default::default()
        };
        let both = Some(vec![
            PositionEncodingKind::UTF16,
            PositionEncodingKind::UTF8,
        ]);
        assert_eq!(Encoding::negotiate(&offering(both)), Encoding::Utf8);
        let utf32 = Some(vec![PositionEncodingKind::UTF32]);
        assert_eq!(Encoding::negotiate(&offering(utf32)), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(&offering(None)), Encoding::Utf16);
        let silent = ClientCapabilities::default();
        assert_eq!(Encoding::negotiate(&silent), Encoding::Utf16);
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
            Encoding::Utf16,
        );
        assert_eq!(text, "owner: gitea_usr\ncluster: x\n");
        apply_change(
            &mut text,
            TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "new".into(),
            },
            Encoding::Utf16,
        );
        assert_eq!(text, "new");
    }
}
