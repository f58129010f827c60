//! Everything a team can tune, in one type. `pglint.toml` fills it (see the config issue);
//! until then [`Config::default`] holds the SOP's values.

use std::collections::HashMap;

use crate::diagnostic::Severity;
use crate::yaml::Limits;

/// The sync wave each SOP kind belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waves {
    pub secret: i64,
    pub cluster: i64,
    pub database: i64,
}

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Repository-relative folder holding the SOP objects.
    pub sop_folder: String,
    pub namespace: String,
    pub cluster: String,
    pub waves: Waves,
    /// Repository-relative path of the sealed-secrets certificate.
    pub certificate: String,
    /// Roles allowed to hold privileges (`superuser`, `createdb`, …).
    pub privileged_roles: Vec<String>,
    /// Globs of repository-relative paths never read.
    pub exclude: Vec<String>,
    /// Per-rule levels overriding the defaults.
    pub levels: HashMap<String, Level>,
    pub limits: Limits,
    /// Files larger than this are not read (`yaml-limit`).
    pub max_file_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sop_folder: "infra/databases/postgres".into(),
            namespace: "postgres".into(),
            cluster: "postgres-shared".into(),
            waves: Waves {
                secret: 0,
                cluster: 1,
                database: 2,
            },
            certificate: "infra/sealed-secrets/pub-cert.pem".into(),
            privileged_roles: Vec::new(),
            exclude: Vec::new(),
            levels: HashMap::new(),
            limits: Limits::default(),
            max_file_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Config {
    /// Is a repository-relative path inside the SOP folder?
    pub fn in_sop_folder(&self, path: &str) -> bool {
        let folder = self.sop_folder.trim_matches('/');
        folder.is_empty()
            || path
                .strip_prefix(folder)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}
