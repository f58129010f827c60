//! Sync waves: how Argo CD reads an `argocd.argoproj.io/sync-wave` annotation.

use super::meta::Annotation;
use super::{is_unknowable, parse_wave};

/// How Argo CD reads one `sync-wave` annotation, as far as pglint can know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaveValue {
    /// An integer string: the wave.
    Valid(i64),
    /// A string `strconv.Atoi` rejects: Argo CD silently uses 0 (`sync-wave-invalid`).
    Invalid,
    /// Not a YAML string: Argo CD sees no annotations at all (`annotation-not-string`).
    NotString,
    /// Only known after substitution (Flux `${VAR}`, Helm `{{ }}`).
    Unknowable,
}

impl WaveValue {
    pub fn of(annotation: &Annotation) -> WaveValue {
        if !annotation.is_string() {
            WaveValue::NotString
        } else if is_unknowable(annotation.value.as_str()) {
            WaveValue::Unknowable
        } else {
            parse_wave(annotation.value.as_str()).map_or(WaveValue::Invalid, WaveValue::Valid)
        }
    }

    pub fn valid(self) -> Option<i64> {
        match self {
            WaveValue::Valid(wave) => Some(wave),
            _ => None,
        }
    }
}
