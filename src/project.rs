//! Loading: discover files, parse them in parallel, and build the typed model.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::cert;
use crate::config::Config;
use crate::discover::{Discovered, discover};
use crate::model::{KustomizeGraph, Kustomization, Object, PathRole, apply_kustomizations, is_kustomization_file};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::yaml::{YamlProblem, YamlProblemKind, parse};

/// What reading one file produced besides its objects.
#[derive(Debug, Default)]
pub struct FileInfo {
    pub documents: usize,
    /// Syntax errors, duplicate keys, limits, unreadable content.
    pub problems: Vec<YamlProblem>,
    /// Spans that hold secret values (masked by reporters).
    pub sensitive: Vec<Span>,
    /// Not a manifest (a kustomize generator input): no finding is made about it.
    pub skipped: bool,
}

/// The sealed-secrets certificate, as far as pglint needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certificate {
    /// No certificate at the configured path: sealed values are checked against RSA-4096.
    Absent,
    Found { modulus_bytes: usize },
    Invalid { reason: String },
}

impl Certificate {
    pub fn modulus_bytes(&self) -> usize {
        match self {
            Certificate::Found { modulus_bytes } => *modulus_bytes,
            _ => cert::DEFAULT_MODULUS_BYTES,
        }
    }
}

/// The whole repository, parsed and modelled.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub sources: SourceMap,
    /// Indexed by [`FileId`], like `sources`.
    pub files: Vec<FileInfo>,
    pub objects: Vec<Object>,
    pub kustomize: KustomizeGraph,
    /// Every file and folder in the repository.
    pub paths: HashSet<String>,
    pub certificate: Certificate,
    /// Paths that could not be walked or read, with the reason.
    pub unreadable: Vec<(String, String)>,
}

struct LoadedFile {
    source: SourceFile,
    info: FileInfo,
    objects: Vec<Object>,
    kustomization: Option<Kustomization>,
}

impl Project {
    pub fn load(root: &Path, config: &Config) -> Result<Project, String> {
        let Discovered {
            yaml_files,
            paths,
            skipped,
        } = discover(root, config)?;
        let loaded: Vec<LoadedFile> = yaml_files
            .par_iter()
            .enumerate()
            .map(|(i, path)| load_file(root, path, FileId(i as u32), config))
            .collect();

        let mut sources = SourceMap::default();
        let mut files = Vec::with_capacity(loaded.len());
        let mut objects = Vec::new();
        let mut kustomizations = Vec::new();
        for file in loaded {
            sources.add(file.source);
            files.push(file.info);
            objects.extend(file.objects);
            kustomizations.extend(file.kustomization);
        }
        let kustomize = KustomizeGraph::new(kustomizations);
        skip_generator_inputs(&kustomize, &sources, &mut files, &mut objects);
        apply_kustomizations(&kustomize, &mut objects, |id| sources.get(id).path.clone());

        Ok(Project {
            certificate: read_certificate(root, &config.certificate),
            root: root.to_path_buf(),
            sources,
            files,
            objects,
            kustomize,
            paths,
            unreadable: skipped,
        })
    }

    pub fn path(&self, file: FileId) -> &str {
        &self.sources.get(file).path
    }

    pub fn document_count(&self) -> usize {
        self.files.iter().map(|f| f.documents).sum()
    }
}

fn load_file(root: &Path, path: &str, id: FileId, config: &Config) -> LoadedFile {
    let (text, problem) = match read_text(&root.join(path), config.max_file_bytes) {
        Ok(text) => (text, None),
        Err(problem) => (String::new(), Some(problem)),
    };
    let mut info = FileInfo::default();
    let mut objects = Vec::new();
    let mut kustomization = None;
    if let Some(problem) = problem {
        info.problems.push(problem);
    } else {
        let parsed = parse(&text, &config.limits);
        info.documents = parsed.documents.len();
        info.problems = parsed.problems;
        let is_kustomization = is_kustomization_file(path);
        for (index, doc) in parsed.documents.iter().enumerate() {
            if is_kustomization {
                kustomization = kustomization.or_else(|| Kustomization::read(id, path, doc));
            } else if let Some(object) = Object::from_document(id, index, doc) {
                info.sensitive.extend(&object.sensitive);
                objects.push(object);
            }
        }
    }
    LoadedFile {
        source: SourceFile::new(path.to_string(), text),
        info,
        objects,
        kustomization,
    }
}

/// Reads a file as UTF-8 (or UTF-16 with a byte-order mark, which YAML allows), refusing
/// special files, oversized files and binary content.
fn read_text(path: &Path, max_bytes: u64) -> Result<String, YamlProblem> {
    let unreadable = |message: String| YamlProblem {
        kind: YamlProblemKind::Syntax { message },
        span: Span::new(0, 0),
    };
    let metadata = std::fs::symlink_metadata(path).map_err(|e| unreadable(format!("cannot read file: {e}")))?;
    if !metadata.is_file() {
        return Err(unreadable("not a regular file; it was not read".into()));
    }
    if metadata.len() > max_bytes {
        return Err(YamlProblem {
            kind: YamlProblemKind::Limit {
                message: format!(
                    "file is {} bytes, over the {max_bytes}-byte limit; it was not read",
                    metadata.len()
                ),
            },
            span: Span::new(0, 0),
        });
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
        .map_err(|e| unreadable(format!("cannot read file: {e}")))?;
    decode(bytes).map_err(unreadable)
}

fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes);
    }
    if bytes.contains(&0) {
        return Err("binary file (contains NUL bytes); it was not read".into());
    }
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "file is not valid UTF-8 (invalid byte at offset {}); it was not read",
            e.utf8_error().valid_up_to()
        )
    })
}

fn decode_utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, String> {
    if bytes.len() % 2 != 0 {
        return Err("UTF-16 file with an odd number of bytes; it was not read".into());
    }
    let words = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    char::decode_utf16(words)
        .collect::<Result<String, _>>()
        .map_err(|_| "file is not valid UTF-16; it was not read".into())
}

/// Files a kustomization feeds to a generator are data, not manifests.
fn skip_generator_inputs(
    kustomize: &KustomizeGraph,
    sources: &SourceMap,
    files: &mut [FileInfo],
    objects: &mut Vec<Object>,
) {
    let inputs: HashSet<&str> = kustomize
        .kustomizations
        .iter()
        .flat_map(|k| &k.paths)
        .filter(|p| p.role == PathRole::GeneratorInput)
        .filter_map(|p| p.resolved.as_deref())
        .collect();
    if inputs.is_empty() {
        return;
    }
    let skipped: HashSet<FileId> = sources
        .iter()
        .filter(|(_, f)| inputs.contains(f.path.as_str()))
        .map(|(id, _)| id)
        .collect();
    for &id in &skipped {
        let info = &mut files[id.0 as usize];
        info.skipped = true;
        info.problems.clear();
    }
    objects.retain(|o| !skipped.contains(&o.file));
}

fn read_certificate(root: &Path, relative: &str) -> Certificate {
    let path = root.join(relative);
    match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Certificate::Absent,
        Err(e) => Certificate::Invalid {
            reason: e.to_string(),
        },
        Ok(pem) => match cert::rsa_modulus_bytes(&pem) {
            Ok(modulus_bytes) => Certificate::Found { modulus_bytes },
            Err(reason) => Certificate::Invalid { reason },
        },
    }
}
