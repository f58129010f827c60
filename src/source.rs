//! Source files and positions: every location pglint reports is a byte span in one file.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// Index of a file in [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` inside one file. Offsets are `u32` (files are at most
/// 4 GiB, see [`SourceText::new`]): spans are the bulk of the model, in every value it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        Span {
            start: offset(start),
            end: offset(end.max(start)),
        }
    }

    pub fn start(&self) -> usize {
        self.start as usize
    }

    pub fn end(&self) -> usize {
        self.end as usize
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn range(&self) -> Range<usize> {
        self.start()..self.end()
    }
}

/// A span in a specific file: where a diagnostic or a model value points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

impl Loc {
    /// Is `inner` within this location (same file, its span inside this one's)?
    pub fn holds(&self, inner: Loc) -> bool {
        self.file == inner.file
            && self.span.start() <= inner.span.start()
            && inner.span.end() <= self.span.end().max(self.span.start())
    }
}

/// A value together with the location of the YAML node it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Spanned { value, loc }
    }
}

impl Spanned<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// A file's text, kept from the one read at load for every later stage (deployments, rules,
/// fixes, reports), and where its lines start: what positions and snippets are computed from.
#[derive(Debug, Default)]
pub struct SourceText {
    /// Sized exactly: a repository's texts are a large part of pglint's memory.
    text: Box<str>,
    /// Byte offset of each line's start, computed on first use: only the few files a report
    /// or an editor points into need them. `u32`: a file is at most 4 GiB (the configured
    /// file size limit enforces it).
    line_starts: OnceLock<Box<[u32]>>,
}

impl SourceText {
    pub fn new(text: impl Into<Box<str>>) -> Self {
        let text = text.into();
        assert!(
            u32::try_from(text.len()).is_ok(),
            "files over 4 GiB are refused before this"
        );
        SourceText {
            text,
            line_starts: OnceLock::new(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr_newlines(&self.text).map(|i| i as u32 + 1))
                .collect()
        })
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line_starts = self.line_starts();
        let line_index = line_starts.partition_point(|&start| start as usize <= offset) - 1;
        let line_start = line_starts[line_index] as usize;
        let column = self.text[line_start..offset].chars().count() + 1;
        LineCol {
            line: line_index + 1,
            column,
        }
    }

    /// Position of the last character of a span (inclusive end), as the JSON contract wants.
    pub fn inclusive_end(&self, span: Span) -> LineCol {
        if span.is_empty() {
            return self.line_col(span.start());
        }
        let last = self.text[..span.end().min(self.text.len())]
            .char_indices()
            .next_back()
            .map_or(span.start(), |(i, _)| i.max(span.start()));
        self.line_col(last)
    }

    /// The 1-based line and byte column (UTF-8 bytes from the line's start, plus one) of a
    /// byte offset: reviewdog's positions.
    pub fn line_byte_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_col(offset).line;
        LineCol {
            line,
            column: offset - self.line_starts()[line - 1] as usize + 1,
        }
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts()
            .get(line.checked_sub(1)?)
            .map(|&start| start as usize)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self.line_start(line + 1).unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// The folder part of a repository-relative path ("" for a file at the root).
pub fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The folders above a repository-relative path, nearest first, down to the root ("").
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| (!p.is_empty()).then(|| parent_dir(p))).skip(1)
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A cheap fingerprint of some bytes: tells two contents apart (an editor's buffer from the
/// one a cached load was made of, two sealed values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest {
    len: usize,
    hash: u64,
}

impl Digest {
    /// The number of bytes.
    pub fn size(&self) -> usize {
        self.len
    }

    /// Folds 16 bytes at a time with a 128-bit multiply (the wyhash mixing step): several
    /// GB/s, so fingerprinting every file costs a fraction of reading it.
    pub fn of(bytes: &[u8]) -> Digest {
        const P0: u64 = 0xa076_1d64_78bd_642f;
        const P1: u64 = 0xe703_7ed1_a0b4_28db;
        let mix = |a: u64, b: u64| {
            let product = u128::from(a ^ P0).wrapping_mul(u128::from(b ^ P1));
            (product as u64) ^ ((product >> 64) as u64)
        };
        let word = |chunk: &[u8]| {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(buf)
        };
        let mut hash = bytes.len() as u64;
        let mut blocks = bytes.chunks_exact(16);
        for block in &mut blocks {
            hash = mix(hash ^ word(&block[..8]), word(&block[8..]));
        }
        let rest = blocks.remainder();
        let (a, b) = rest.split_at(rest.len().min(8));
        hash = mix(hash ^ word(a), word(b));
        Digest {
            len: bytes.len(),
            hash,
        }
    }
}

/// One file of the repository: its path and its text as read at load. The text is shared
/// (a server's next load of an unchanged file, a base revision's file shown in a report).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repository root, always with `/` separators.
    pub path: String,
    pub text: Arc<SourceText>,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> Self {
        SourceFile {
            path,
            text: Arc::new(SourceText::new(text)),
        }
    }
}

/// Every file pglint read, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// The files sorted by path (the first first, should a path repeat), for
    /// [`SourceMap::find`]: looked up once per listed resource of every kustomize build, so a
    /// search through `files` would be quadratic. Ids rather than a map from paths: no second
    /// copy of every path.
    by_path: Vec<FileId>,
}

impl From<Vec<SourceFile>> for SourceMap {
    /// The files in [`FileId`] order.
    fn from(files: Vec<SourceFile>) -> Self {
        let mut by_path: Vec<FileId> = (0..files.len() as u32).map(FileId).collect();
        by_path.sort_by(|a, b| files[a.0 as usize].path.cmp(&files[b.0 as usize].path));
        SourceMap { files, by_path }
    }
}

impl SourceMap {
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Adds a file after the others.
    pub fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        let at = self
            .by_path
            .partition_point(|&f| self.get(f).path <= file.path);
        self.files.push(file);
        self.by_path.insert(at, id);
        id
    }

    /// The file read at `path`.
    pub fn find(&self, path: &str) -> Option<FileId> {
        let at = self
            .by_path
            .partition_point(|&f| self.get(f).path.as_str() < path);
        let id = *self.by_path.get(at)?;
        (self.get(id).path == path).then_some(id)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let file = SourceText::new("ab: c\nné: x\n");
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(4), LineCol { line: 1, column: 5 });
        // "né: x": 'x' is the 5th character but the 6th byte of the line.
        let x = file.as_str().find('x').unwrap();
        assert_eq!(file.line_col(x), LineCol { line: 2, column: 5 });
    }

    #[test]
    fn inclusive_end_points_at_last_character() {
        let file = SourceText::new("key: value\n");
        let end = file.inclusive_end(Span::new(5, 10));
        assert_eq!(
            end,
            LineCol {
                line: 1,
                column: 10
            }
        );
    }

    #[test]
    fn digests_tell_contents_apart() {
        let text = b"apiVersion: v1\nkind: Secret\nstringData:\n  password: hunter2\n";
        assert_eq!(Digest::of(text), Digest::of(text));
        assert_eq!(Digest::of(text).size(), text.len());
        let mut other = *text;
        for i in 0..text.len() {
            other[i] ^= 1;
            assert_ne!(Digest::of(&other), Digest::of(text), "byte {i} flipped");
            other[i] ^= 1;
        }
        assert_ne!(Digest::of(b""), Digest::of(b"\0"));
        assert_ne!(Digest::of(b"ab"), Digest::of(b"ba"));
    }

    #[test]
    fn ancestors_end_at_the_root() {
        assert_eq!(
            ancestors("a/b/c.yaml").collect::<Vec<_>>(),
            ["a/b", "a", ""]
        );
        assert_eq!(ancestors("c.yaml").collect::<Vec<_>>(), [""]);
        assert_eq!(ancestors("").count(), 0);
    }

    #[test]
    fn line_starts_are_found_on_first_use_and_files_share_their_text() {
        let file = SourceFile::new("a.yaml".into(), "a: 1\nb: 2\n".into());
        assert!(file.text.line_starts.get().is_none());
        let copy = file.clone();
        assert!(Arc::ptr_eq(&file.text, &copy.text));
        assert_eq!(copy.text.line_col(5).line, 2);
        assert_eq!(file.text.line_starts.get().map(|s| s.len()), Some(3));
    }

    #[test]
    fn files_are_found_by_path_the_first_of_a_repeated_one() {
        let file = |path: &str| SourceFile::new(path.into(), String::new());
        let mut map = SourceMap::from(vec![file("b/c.yaml"), file("a.yaml"), file("b-c.yaml")]);
        map.push(file("a.yaml"));
        map.push(file("0.yaml"));
        assert_eq!(map.find("a.yaml"), Some(FileId(1)));
        assert_eq!(map.find("b/c.yaml"), Some(FileId(0)));
        assert_eq!(map.find("b-c.yaml"), Some(FileId(2)));
        assert_eq!(map.find("0.yaml"), Some(FileId(4)));
        assert_eq!(map.find("b"), None);
        assert_eq!(map.find("z.yaml"), None);
    }

    #[test]
    fn line_text_strips_crlf() {
        let file = SourceText::new("a: 1\r\nb: 2");
        assert_eq!(file.line_text(1), "a: 1");
        assert_eq!(file.line_text(2), "b: 2");
        assert_eq!(file.line_text(3), "");
    }
}
