//! Mutations of an in-memory repository: byte flips, line deletions and duplications,
//! indentation changes, value swaps, moved lines, insertions and new files.
//!
//! Shared by the `repository` fuzz target (which derives `Arbitrary` for them) and the property
//! test `tests/proptest_repo.rs` (which includes this file with `#[path]`), so both explore the
//! same neighbourhood of a real repository.

/// One edit. Indices wrap around the number of files, lines or bytes.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Mutation {
    FlipByte {
        file: u8,
        at: u16,
        bit: u8,
    },
    DeleteLine {
        file: u8,
        line: u16,
    },
    DuplicateLine {
        file: u8,
        line: u16,
    },
    /// Adds (positive) or removes (negative) leading spaces.
    Indent {
        file: u8,
        line: u16,
        by: i8,
    },
    /// Swaps what follows `: ` on two lines of a file (or whole lines when there is none).
    SwapValues {
        file: u8,
        a: u16,
        b: u16,
    },
    /// Copies a line of a file into another file.
    CopyLine {
        from: u8,
        line: u16,
        to: u8,
        at: u16,
    },
    Insert {
        file: u8,
        at: u16,
        text: String,
    },
    /// Writes a file at one of a few interesting paths (replacing it if present).
    NewFile {
        name: u8,
        bytes: Vec<u8>,
    },
}

/// Paths a [`Mutation::NewFile`] writes to.
pub const NEW_FILES: &[&str] = &[
    "infra/databases/postgres/new-db.yaml",
    "infra/databases/postgres/kustomization.yaml",
    "infra/sealed-secrets/pub-cert.pem",
    "apps/new/kustomization.yaml",
    "apps/new/secret.yml",
    "chart/Chart.yaml",
    "chart/templates/t.yaml",
    "odd name/ü.yaml",
];

pub type Files = Vec<(String, Vec<u8>)>;

pub fn apply_all(files: &mut Files, mutations: &[Mutation]) {
    for mutation in mutations {
        apply(files, mutation);
    }
}

pub fn apply(files: &mut Files, mutation: &Mutation) {
    if files.is_empty() {
        return;
    }
    let count = files.len();
    let pick = |i: u8| usize::from(i) % count;
    match mutation {
        Mutation::FlipByte { file, at, bit } => {
            let bytes = &mut files[pick(*file)].1;
            if !bytes.is_empty() {
                let at = usize::from(*at) % bytes.len();
                bytes[at] ^= 1 << (bit % 8);
            }
        }
        Mutation::DeleteLine { file, line } => edit_lines(&mut files[pick(*file)].1, |lines| {
            let i = usize::from(*line) % lines.len();
            lines.remove(i);
        }),
        Mutation::DuplicateLine { file, line } => edit_lines(&mut files[pick(*file)].1, |lines| {
            let i = usize::from(*line) % lines.len();
            lines.insert(i, lines[i].clone());
        }),
        Mutation::Indent { file, line, by } => edit_lines(&mut files[pick(*file)].1, |lines| {
            let i = usize::from(*line) % lines.len();
            let line = &mut lines[i];
            let count = usize::from(by.unsigned_abs());
            if *by < 0 {
                let spaces = line.iter().take_while(|&&b| b == b' ').count();
                line.drain(..count.min(spaces));
            } else {
                line.splice(0..0, std::iter::repeat_n(b' ', count));
            }
        }),
        Mutation::SwapValues { file, a, b } => edit_lines(&mut files[pick(*file)].1, |lines| {
            let (a, b) = (usize::from(*a) % lines.len(), usize::from(*b) % lines.len());
            let (value_a, value_b) = (value_start(&lines[a]), value_start(&lines[b]));
            let tail_a = lines[a].split_off(value_a);
            let tail_b = lines[b].split_off(value_b);
            lines[a].extend(tail_b);
            lines[b].extend(tail_a);
        }),
        Mutation::CopyLine { from, line, to, at } => {
            let source = split_lines(&files[pick(*from)].1);
            if source.is_empty() {
                return;
            }
            let copied = source[usize::from(*line) % source.len()].clone();
            edit_lines(&mut files[pick(*to)].1, |lines| {
                let at = usize::from(*at) % (lines.len() + 1);
                lines.insert(at, copied);
            });
        }
        Mutation::Insert { file, at, text } => {
            let bytes = &mut files[pick(*file)].1;
            let at = usize::from(*at) % (bytes.len() + 1);
            bytes.splice(at..at, text.bytes());
        }
        Mutation::NewFile { name, bytes } => {
            let path = NEW_FILES[usize::from(*name) % NEW_FILES.len()];
            match files.iter_mut().find(|(p, _)| p == path) {
                Some((_, existing)) => existing.clone_from(bytes),
                None => files.push((path.to_string(), bytes.clone())),
            }
        }
    }
}

/// Lines with their line break (the last one may have none).
fn split_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Runs `edit` on the lines of a file that has at least one.
fn edit_lines(bytes: &mut Vec<u8>, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let mut lines = split_lines(bytes);
    if lines.is_empty() {
        return;
    }
    edit(&mut lines);
    *bytes = lines.concat();
}

/// Where a line's value starts: after its first `: `, else at the start of its content.
fn value_start(line: &[u8]) -> usize {
    line.windows(2)
        .position(|w| w == b": ")
        .map(|i| i + 2)
        .unwrap_or_else(|| line.iter().take_while(|&&b| b == b' ' || b == b'-').count())
}
