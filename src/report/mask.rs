//! Secret values never reach a snippet: their bytes are replaced before rendering.

use crate::project::Project;
use crate::source::FileId;

const MASK: u8 = b'*';

/// The file's text with every secret value masked. Parsed files mask the spans the model
/// marked as sensitive; a file that failed to parse masks, line by line, every value under a
/// `data:`, `stringData:` or `encryptedData:` key, since its structure is unknown.
pub fn masked_text(project: &Project, file: FileId) -> String {
    let source = project.sources.get(file);
    let info = &project.files[file.0 as usize];
    let mut bytes = source.text.clone().into_bytes();
    for span in &info.sensitive {
        mask_range(&mut bytes, span.start, span.end);
    }
    if !info.problems.is_empty() {
        mask_unparsed(&mut bytes);
    }
    // Only ASCII bytes inside whole characters were replaced, so this stays UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

fn mask_range(bytes: &mut [u8], start: usize, end: usize) {
    let end = end.min(bytes.len());
    let start = start.min(end);
    let mut i = start;
    while i < end {
        let width = utf8_width(bytes[i]);
        if bytes[i] != b'\n' && bytes[i] != b'\r' && i + width <= end {
            // Replace a whole character by as many `*` as it has bytes: offsets stay valid.
            bytes[i..i + width].fill(MASK);
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

const SECRET_KEYS: &[&str] = &["data:", "stringData:", "encryptedData:"];

fn mask_unparsed(bytes: &mut [u8]) {
    let mut secret_indent: Option<usize> = None;
    let mut offset = 0;
    let text = bytes.to_vec();
    for line in text.split_inclusive(|&b| b == b'\n') {
        let content = String::from_utf8_lossy(line);
        let trimmed = content.trim_start();
        let indent = content.len() - trimmed.len();
        let blank = trimmed.trim().is_empty() || trimmed.starts_with('#');
        if !blank {
            if secret_indent.is_some_and(|i| indent <= i) {
                secret_indent = None;
            }
            if let Some(colon) = trimmed.find(':').filter(|_| secret_indent.is_some()) {
                mask_range(bytes, offset + indent + colon + 1, offset + line.len());
            } else if secret_indent.is_some() {
                mask_range(bytes, offset + indent, offset + line.len());
            }
            let key = trimmed.trim_end();
            if SECRET_KEYS.iter().any(|k| {
                key == *k || key.ends_with(&format!(" {k}")) || key.starts_with(&format!("- {k}"))
            }) {
                secret_indent = Some(indent);
            } else if let Some(k) = SECRET_KEYS.iter().find(|k| trimmed.starts_with(**k)) {
                // `data: {password: …}` on one line.
                mask_range(bytes, offset + indent + k.len(), offset + line.len());
            }
        }
        offset += line.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparsed_files_mask_values_under_secret_keys() {
        let mut bytes =
            b"kind: Secret\ndata:\n  password: aHVudGVyMg==\n  user: x\nmetadata:\n  name: a\n"
                .to_vec();
        mask_unparsed(&mut bytes);
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("aHVudGVyMg"));
        assert!(text.contains("password:"));
        assert!(text.contains("name: a"));
    }

    #[test]
    fn masking_keeps_offsets_and_line_breaks() {
        let mut bytes = "a: sé\ncret\n".as_bytes().to_vec();
        let len = bytes.len();
        mask_range(&mut bytes, 3, len);
        assert_eq!(bytes.len(), len);
        assert_eq!(String::from_utf8(bytes).unwrap(), "a: ***\n****\n");
    }
}
