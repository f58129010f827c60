//! Secret values never reach a snippet: their bytes are replaced before rendering.

use std::ops::Range;

use crate::project::Project;
use crate::source::FileId;

/// What every masked line of a value becomes, whatever its length: a mask of the value's own
/// length would tell how long a password is.
pub const MASK: &str = "********";

/// A file's text with every secret value masked, and where each masked piece was, so that a
/// span of the original text can be shown on the masked one.
#[derive(Debug, Clone, Default)]
pub struct MaskedText {
    pub text: String,
    /// Original `start..end` of each piece replaced by [`MASK`], and where that mask starts in
    /// `text`; in order, never overlapping.
    pieces: Vec<(Range<usize>, usize)>,
}

impl MaskedText {
    /// Where a byte offset of the original text falls in the masked text (inside a masked
    /// piece: at most the mask's end).
    pub fn offset(&self, original: usize) -> usize {
        let after = self
            .pieces
            .partition_point(|(range, _)| range.start <= original);
        let Some((range, at)) = after.checked_sub(1).map(|i| &self.pieces[i]) else {
            return original;
        };
        if original < range.end {
            at + (original - range.start).min(MASK.len())
        } else {
            at + MASK.len() + (original - range.end)
        }
    }

    /// An original range on the masked text.
    pub fn range(&self, original: Range<usize>) -> Range<usize> {
        let start = self.offset(original.start);
        start..self.offset(original.end).max(start)
    }
}

/// The file's text with every secret value masked, each line of a value by the same [`MASK`]:
/// - the spans the loader marked as secret (see `model::secret_spans`);
/// - when a syntax error or a limit stopped the parse, the text from the end of the last
///   complete document on is not understood: if it may hold a secret, every value in it is
///   masked, keys and indentation kept;
/// - a file a kustomize generator reads (`secretGenerator` `files`/`envs`) is data, all masked.
pub fn masked_text(project: &Project, file: FileId) -> MaskedText {
    masked_text_but(project, file, &[])
}

/// [`masked_text`] with sealed-secrets ciphertext shown as it is (no secret in clear), for a
/// diff whose hunks beside it must apply.
pub fn masked_text_but_ciphertext(project: &Project, file: FileId) -> MaskedText {
    masked_text_but(project, file, &project.files[file.0 as usize].ciphertext)
}

fn masked_text_but(project: &Project, file: FileId, shown: &[crate::source::Span]) -> MaskedText {
    let info = &project.files[file.0 as usize];
    let mut bytes = project.text(file).as_str().as_bytes().to_vec();
    neutralise_controls(&mut bytes);
    // Only ASCII bytes inside whole characters were replaced, so this stays UTF-8.
    let text = String::from_utf8(bytes).unwrap_or_default();
    let mut ranges: Vec<Range<usize>> = info
        .sensitive
        .iter()
        .filter(|s| shown.binary_search(s).is_err())
        .map(|s| s.range())
        .collect();
    if info.skipped {
        ranges.push(0..text.len());
    }
    if let Some(from) = info.unparsed_from {
        ranges.extend(unparsed_values(text.as_bytes(), from));
    }
    mask(&text, ranges)
}

/// `text` with each line of each range replaced by [`MASK`], line breaks kept.
fn mask(text: &str, mut ranges: Vec<Range<usize>>) -> MaskedText {
    ranges.sort_by_key(|r| r.start);
    let mut masked = MaskedText {
        text: String::with_capacity(text.len()),
        pieces: Vec::new(),
    };
    let mut copied = 0;
    for range in ranges {
        let mut start = range.start.clamp(copied, text.len());
        let end = range.end.clamp(start, text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = end;
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let mut at = start.max(copied);
        for line in text[at..end].split_inclusive(['\n', '\r']) {
            let body = line.trim_end_matches(['\n', '\r']);
            if !body.is_empty() {
                masked.text.push_str(&text[copied..at]);
                masked.pieces.push((at..at + body.len(), masked.text.len()));
                masked.text.push_str(MASK);
                copied = at + body.len();
            }
            at += line.len();
        }
    }
    masked.text.push_str(&text[copied..]);
    masked
}

/// Control characters in a file (an escape sequence, a bell) would act on the terminal that
/// shows the snippet: each becomes `?`, one per byte, so offsets stay valid.
fn neutralise_controls(bytes: &mut [u8]) {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\t' | b'\n' | b'\r' => {}
            0x00..=0x1F | 0x7F => bytes[i] = b'?',
            // C1 controls, U+0080..U+009F, are `C2 80`..`C2 9F` in UTF-8.
            0xC2 if bytes.get(i + 1).is_some_and(|b| (0x80..=0x9F).contains(b)) => {
                bytes[i..i + 2].fill(b'?');
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
}

/// Words that say a text may hold a secret (compared in lower case).
const SECRET_WORDS: &[&str] = &[
    "secret",
    "stringdata",
    "encrypteddata",
    "last-applied",
    "literals",
];

/// The values of the text from `from` on, whose structure is unknown, to mask: none when
/// nothing in it suggests a secret. Keys stay readable so a syntax error can still be located.
fn unparsed_values(bytes: &[u8], from: usize) -> Vec<Range<usize>> {
    let from = from.min(bytes.len());
    let region = &bytes[from..];
    let lower = region.to_ascii_lowercase();
    let may_hold_secrets = SECRET_WORDS
        .iter()
        .any(|word| contains(&lower, word.as_bytes()))
        || lines(region).any(|(start, end)| line_key(&region[start..end]) == Some(b"data"));
    if !may_hold_secrets {
        return Vec::new();
    }
    lines(region)
        .map(|(start, end)| {
            let value = line_value_start(&region[start..end]);
            from + start + value..from + end
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `(start, end)` of each line of `text`, line break excluded.
fn lines(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let end = text[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| start + i);
        let line = (start, end);
        start = end + 1;
        Some(line)
    })
}

/// Where the part of a line to mask starts: after the indentation, `- ` markers, a document
/// marker and a `key:`; at the line's end when nothing follows them.
fn line_value_start(line: &[u8]) -> usize {
    let structure = structure_len(line);
    let rest = &line[structure..];
    let key = key_len(rest).map_or(0, |k| k + 1);
    let space = rest[key..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    structure + key + space
}

/// The key of a `key: value` line, without quotes.
fn line_key(line: &[u8]) -> Option<&[u8]> {
    let rest = &line[structure_len(line)..];
    let len = key_len(rest)?;
    let key = rest[..len].trim_ascii_end();
    Some(match key {
        [b'"' | b'\'', inner @ .., b'"' | b'\''] => inner,
        key => key,
    })
}

/// Length of the leading indentation, sequence markers (`- `) and document marker (`--- `).
fn structure_len(line: &[u8]) -> usize {
    let mut i = 0;
    if line.starts_with(b"---") || line.starts_with(b"...") {
        i = 3;
    }
    loop {
        while i < line.len() && matches!(line[i], b' ' | b'\t') {
            i += 1;
        }
        let dash = line.get(i) == Some(&b'-')
            && line
                .get(i + 1)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r'));
        if !dash {
            return i;
        }
        i += 1;
    }
}

/// Length of a mapping key at the start of `text`, up to (not including) its `:`, when `text`
/// is `key: …`, `key:` or a quoted key.
fn key_len(text: &[u8]) -> Option<usize> {
    let end = match text.first()? {
        quote @ (b'"' | b'\'') => {
            let mut i = 1;
            loop {
                match text.get(i)? {
                    b'\\' if *quote == b'"' => i += 2,
                    b if b == quote => break i + 1,
                    _ => i += 1,
                }
            }
        }
        b'[' | b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'#' | b'%' | b'@' | b'`' => {
            return None;
        }
        _ => {
            let mut i = 0;
            loop {
                match text.get(i)? {
                    b':' if text
                        .get(i + 1)
                        .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r')) =>
                    {
                        break i;
                    }
                    b'#' if i > 0 && matches!(text[i - 1], b' ' | b'\t') => return None,
                    _ => i += 1,
                }
            }
        }
    };
    let colon = end + text[end..].iter().take_while(|&&b| b == b' ').count();
    (text.get(colon) == Some(&b':')
        && text
            .get(colon + 1)
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r')))
    .then_some(colon)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unparsed(text: &str) -> String {
        mask(text, unparsed_values(text.as_bytes(), 0)).text
    }

    #[test]
    fn unparsed_text_keeps_keys_and_masks_values() {
        let text = "kind: Secret\nstringData:\n  password: hunter2\n  - x: [a, \"b\": c\n\
                    \"quoted key\": v\n  {\"password\":\"json\"}\n  block text\n";
        assert_eq!(
            unparsed(text),
            "kind: ********\nstringData:\n  password: ********\n  - x: ********\n\
             \"quoted key\": ********\n  ********\n  ********\n"
        );
    }

    #[test]
    fn unparsed_text_without_secrets_is_left_alone() {
        let text = "kind: Database\nmetadata:\n  name: [x\n";
        assert_eq!(unparsed(text), text);
        let data = "kind: Whatever\n\"data\":\n  key: aHVudGVyMg==\n";
        assert!(!unparsed(data).contains("aHVudGVyMg=="));
    }

    #[test]
    fn every_line_of_a_value_gets_the_same_mask_whatever_its_length() {
        let text = "a: sé\ncret\r\nb: x\rc: 1\n";
        let masked = mask(text, vec![3..13, 16..17]);
        assert_eq!(masked.text, "a: ********\n********\r\nb: ********\rc: 1\n");
        let long = format!("password: {}\n", "A".repeat(700));
        let short = "password: A\n";
        assert_eq!(
            mask(&long, std::iter::once(10..long.len() - 1).collect()).text,
            mask(short, std::iter::once(10..short.len() - 1).collect()).text
        );
    }

    #[test]
    fn original_offsets_map_onto_the_masked_text() {
        let text = "a: xy\nb: 0123456789\nc: z\n";
        let masked = mask(text, vec![3..5, 9..19]);
        assert_eq!(masked.text, "a: ********\nb: ********\nc: z\n");
        assert_eq!(masked.offset(0), 0);
        assert_eq!(masked.offset(3), 3);
        assert_eq!(masked.offset(5), 11);
        let c = text.find("c: z").unwrap();
        assert_eq!(&masked.text[masked.range(c..c + 4)], "c: z");
        assert_eq!(&masked.text[masked.range(6..19)], "b: ********");
        assert_eq!(&masked.text[masked.range(12..15)], "***");
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let mut bytes = "a: \u{1b}[31mred\u{7}\tb\u{85}\n".as_bytes().to_vec();
        let len = bytes.len();
        neutralise_controls(&mut bytes);
        assert_eq!(bytes.len(), len);
        assert_eq!(String::from_utf8(bytes).unwrap(), "a: ?[31mred?\tb??\n");
    }
}
