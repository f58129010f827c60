//! Secret values never reach a snippet: their bytes are replaced before rendering.

use crate::project::Project;
use crate::source::FileId;

const MASK: u8 = b'*';

/// The file's text with every secret value masked, at the same byte offsets:
/// - the spans the loader marked as secret (see `model::secret_spans`);
/// - when a syntax error or a limit stopped the parse, the text from the end of the last
///   complete document on is not understood: if it may hold a secret, every value in it is
///   masked, keys and indentation kept;
/// - a file a kustomize generator reads (`secretGenerator` `files`/`envs`) is data, all masked.
pub fn masked_text(project: &Project, file: FileId) -> String {
    let info = &project.files[file.0 as usize];
    let mut bytes = project.text(file).text.clone().into_bytes();
    if info.skipped {
        mask_range(&mut bytes, 0, usize::MAX);
    }
    for span in &info.sensitive {
        mask_range(&mut bytes, span.start(), span.end());
    }
    if let Some(from) = info.unparsed_from {
        mask_unparsed(&mut bytes, from);
    }
    neutralise_controls(&mut bytes);
    // Only ASCII bytes inside whole characters were replaced, so this stays UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
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

/// How many `*` show that a value is there; the rest of it becomes blank, so a 700-character
/// sealed value does not fill the terminal while every byte offset stays where it was.
const SHOWN_MASK: usize = 8;

fn mask_range(bytes: &mut [u8], start: usize, end: usize) {
    let end = end.min(bytes.len());
    let start = start.min(end);
    let mut i = start;
    let mut on_line = 0;
    while i < end {
        let width = utf8_width(bytes[i]);
        if matches!(bytes[i], b'\n' | b'\r') {
            on_line = 0;
        } else if i + width <= end {
            // Replace a whole character by as many bytes as it has: offsets stay valid.
            let fill = if on_line < SHOWN_MASK { MASK } else { b' ' };
            bytes[i..i + width].fill(fill);
            on_line += width;
        }
        i += width;
    }
}

fn utf8_width(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
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

/// Masks the values of the text from `from` on, whose structure is unknown, unless nothing in
/// it suggests a secret. Keys stay readable so a syntax error can still be located.
fn mask_unparsed(bytes: &mut [u8], from: usize) {
    let from = from.min(bytes.len());
    let region = &bytes[from..];
    let lower = region.to_ascii_lowercase();
    let may_hold_secrets = SECRET_WORDS
        .iter()
        .any(|word| contains(&lower, word.as_bytes()))
        || lines(region).any(|(start, end)| line_key(&region[start..end]) == Some(b"data"));
    if !may_hold_secrets {
        return;
    }
    let spans: Vec<(usize, usize)> = lines(region)
        .map(|(start, end)| {
            let value = line_value_start(&region[start..end]);
            (from + start + value, from + end)
        })
        .collect();
    for (start, end) in spans {
        mask_range(bytes, start, end);
    }
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
        let mut bytes = text.as_bytes().to_vec();
        mask_unparsed(&mut bytes, 0);
        assert_eq!(bytes.len(), text.len());
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn unparsed_text_keeps_keys_and_masks_values() {
        let text = "kind: Secret\nstringData:\n  password: hunter2\n  - x: [a, \"b\": c\n\
                    \"quoted key\": v\n  {\"password\":\"json\"}\n  block text\n";
        assert_eq!(
            unparsed(text),
            "kind: ******\nstringData:\n  password: *******\n  - x: ********  \n\
             \"quoted key\": *\n  ********           \n  ********  \n"
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
    fn masking_keeps_offsets_and_line_breaks() {
        let mut bytes = "a: sé\ncret\r\n".as_bytes().to_vec();
        let len = bytes.len();
        mask_range(&mut bytes, 3, len);
        assert_eq!(bytes.len(), len);
        assert_eq!(String::from_utf8(bytes).unwrap(), "a: ***\n****\r\n");
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let mut bytes = "a: \u{1b}[31mred\u{7}\tb\u{85}\n".as_bytes().to_vec();
        let len = bytes.len();
        neutralise_controls(&mut bytes);
        assert_eq!(bytes.len(), len);
        assert_eq!(String::from_utf8(bytes).unwrap(), "a: ?[31mred?\tb??\n");
    }

    #[test]
    fn long_values_show_a_short_mask() {
        let text = format!("password: {}\n", "A".repeat(700));
        let mut bytes = text.clone().into_bytes();
        mask_range(&mut bytes, 10, text.len() - 1);
        let masked = String::from_utf8(bytes).unwrap();
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.trim_end(), "password: ********");
    }
}
