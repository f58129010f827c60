//! Everything a team can tune, in one type. `pglint.toml` fills it (see the config issue);
//! until then [`Config::default`] holds the SOP's values.

use crate::diagnostic::Severity;
use crate::hash::HashMap;
use crate::rules::RuleId;
use crate::yaml::Limits;

/// The sync wave each SOP kind belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waves {
    pub secret: i64,
    pub cluster: i64,
    pub database: i64,
}

/// SOP names, each `<app>` followed by a fixed suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    /// Credentials secret: `<app>-db-creds`.
    pub secret_suffix: String,
    /// Database `metadata.name`: `<app>-db`.
    pub database_suffix: String,
    /// SealedSecret file name without `.yaml`: `<app>-secrets-sealed`.
    pub sealed_file_suffix: String,
    /// Database file name without `.yaml`: `<app>-db`.
    pub database_file_suffix: String,
    /// The app's namespace, where Reflector must copy its credentials: `<prefix><app><suffix>`
    /// (default: the app's name).
    pub namespace_prefix: String,
    pub namespace_suffix: String,
    /// Apps whose namespace does not follow the pattern (`[app-namespaces]`).
    pub app_namespaces: std::collections::BTreeMap<String, String>,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            secret_suffix: "-db-creds".into(),
            database_suffix: "-db".into(),
            sealed_file_suffix: "-secrets-sealed".into(),
            database_file_suffix: "-db".into(),
            namespace_prefix: String::new(),
            namespace_suffix: String::new(),
            app_namespaces: std::collections::BTreeMap::new(),
        }
    }
}

impl Naming {
    /// The namespace of `app` (the `<app>` of `<app>-db-creds`): its `[app-namespaces]` entry,
    /// else the `namespace` pattern filled in.
    pub fn app_namespace(&self, app: &str) -> String {
        match self.app_namespaces.get(app) {
            Some(namespace) => namespace.clone(),
            None => format!("{}{app}{}", self.namespace_prefix, self.namespace_suffix),
        }
    }
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
    pub naming: Naming,
    /// Repository-relative path of the sealed-secrets certificate.
    pub certificate: String,
    /// Roles allowed to hold privileges (`superuser`, `createdb`, …).
    pub privileged_roles: Vec<String>,
    /// Globs of repository-relative paths never read.
    pub exclude: Vec<String>,
    /// Per-rule levels overriding the defaults.
    pub levels: HashMap<RuleId, Level>,
    pub limits: Limits,
    /// Files larger than this are not read (`yaml-limit`).
    pub max_file_bytes: u64,
    pub deploy: DeployConfig,
    /// The time rules compare dates with (a role's `validUntil`).
    pub clock: Clock,
    pub verify: VerifyConfig,
}

/// `[verify]`: what `pglint verify` leaves alone in the live database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyConfig {
    /// Live roles the repository is not expected to declare (names or globs): never
    /// `live-drift`, besides PostgreSQL's and CloudNativePG's own and the bootstrap owner.
    pub unmanaged_roles: Vec<String>,
    /// Live databases the repository is not expected to declare (names or globs).
    pub unmanaged_databases: Vec<String>,
}

/// The environment variable that fixes the clock (an RFC 3339 date-time).
pub const NOW_VAR: &str = "PGLINT_NOW";

/// Where "now" comes from: the system clock, or a fixed time (the CLI reads `PGLINT_NOW`;
/// tests set one), so a finding about a date never depends on the day the tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    System,
    /// Seconds since the Unix epoch.
    Fixed(i64),
}

impl Clock {
    /// A fixed clock at an RFC 3339 date-time (`2026-01-31T12:00:00Z`).
    pub fn at(text: &str) -> Result<Clock, String> {
        crate::model::time::parse_rfc3339(text.trim())
            .map(Clock::Fixed)
            .ok_or_else(|| {
                format!("`{text}` is no RFC 3339 date-time (such as `2026-01-31T12:00:00Z`)")
            })
    }

    /// Seconds since the Unix epoch.
    pub fn now(self) -> i64 {
        match self {
            Clock::Fixed(now) => now,
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        }
    }
}

/// `[deploy]`: what pglint cannot read from the repository about how it is deployed.
#[derive(Debug, Clone, Default)]
pub struct DeployConfig {
    /// URLs that name this repository in Argo CD sources, besides its git remotes.
    pub repo_urls: Vec<String>,
    /// The Argo CD Application health check is restored in `argocd-cm`
    /// (`resource.customizations.health.argoproj.io_Application`): a parent Application's
    /// sync waves then also wait for its child Applications, so waves order objects across
    /// Applications of one app-of-apps.
    pub application_health: bool,
    /// kubernetes-replicator runs with `--allow-all`: every `replicate-from` copy is filled,
    /// whatever its source permits (mittwald/kubernetes-replicator `main.go`, flag
    /// `allow-all`; `replicate/common/generic-replicator.go` `IsReplicationPermitted` returns
    /// true first).
    pub replicator_allow_all: bool,
    /// kubernetes-replicator's `--exclude-namespaces` patterns (Go regular expressions that
    /// match anywhere in the name): it pushes no copy into a namespace one matches
    /// (`replicate/common/exclude.go` `ShouldExclude`, checked in `generic-replicator.go`
    /// `replicateResourceToNamespaces`). The flag's default is empty: nothing is excluded.
    pub replicator_exclude_namespaces: Vec<String>,
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
            naming: Naming::default(),
            certificate: "infra/sealed-secrets/pub-cert.pem".into(),
            privileged_roles: Vec::new(),
            exclude: Vec::new(),
            levels: HashMap::default(),
            limits: Limits::default(),
            max_file_bytes: 16 * 1024 * 1024,
            deploy: DeployConfig::default(),
            clock: Clock::default(),
            verify: VerifyConfig::default(),
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

/// A mistake in `pglint.toml`, with the byte range it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub text: String,
    pub span: Option<std::ops::Range<usize>>,
    pub message: String,
    pub help: Option<String>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The largest `max-file-bytes` accepted: positions are stored as 32-bit offsets, and a
/// UTF-16 file grows when decoded.
pub const MAX_FILE_BYTES_CEILING: u64 = 1 << 30;

/// The file name looked up at the repository root.
pub const FILE_NAME: &str = "pglint.toml";

/// What `pglint init` writes: every setting at its default, commented.
pub const DEFAULT_TOML: &str = r#"# pglint configuration. Every value below is the default; delete what you do not change.

# Folder (relative to the repository root) holding the SOP objects: the credentials
# SealedSecrets, the shared Cluster and the Databases.
sop-folder = "infra/databases/postgres"
# Namespace every SOP object lives in.
namespace = "postgres"
# Name of the shared CNPG Cluster.
cluster = "postgres-shared"
# The sealed-secrets controller's certificate (`kubeseal --fetch-cert`).
certificate = "infra/sealed-secrets/pub-cert.pem"
# Roles allowed to hold superuser, createdb, createrole, replication or bypassrls.
privileged-roles = []
# Paths never read (globs relative to the repository root), e.g. ["legacy/**"].
exclude = []

# Argo CD sync wave of each SOP kind.
[waves]
secret = 0
cluster = 1
database = 2

# SOP names (`naming-convention`): `{app}` followed by a fixed suffix.
[naming]
secret = "{app}-db-creds"
database = "{app}-db"
sealed-file = "{app}-secrets-sealed.yaml"
database-file = "{app}-db.yaml"
# The app's namespace, into which Reflector copies its credentials: `{app}` with an optional
# fixed prefix and suffix, e.g. "apps-{app}".
namespace = "{app}"

# Apps whose namespace does not follow `naming.namespace`: app = "namespace".
[app-namespaces]
# gitea = "git"

# Per-rule level: "error", "warning" or "off". `pglint rules` lists every rule.
[rules]
# secret-type = "warning"
# reload-label = "warning"

# How the repository is deployed, where pglint cannot read it from the repository.
[deploy]
# URLs that name this repository in Argo CD `repoURL`s, besides its git remotes.
repo-urls = []
# true when `argocd-cm` restores the Application health check: a parent Application's sync
# waves then wait for its child Applications (without it, since Argo CD 1.8, they do not).
application-health = false
# true when kubernetes-replicator runs with `--allow-all`: a `replicate-from` copy is filled
# whatever its source's `replication-allowed` annotations say.
replicator-allow-all = false
# kubernetes-replicator's `--exclude-namespaces` patterns (regular expressions matching anywhere
# in a namespace's name): it pushes no `replicate-to` copy there. Its default excludes nothing.
replicator-exclude-namespaces = []

# `pglint verify`: live roles and databases the repository is not expected to declare (names
# or globs such as "tmp_*"), never reported as drift. PostgreSQL's and CloudNativePG's own
# (`pg_*`, `postgres`, `streaming_replica`, `cnpg_*`, `template0`, `template1`) and the
# bootstrap owner and its database never are.
[verify]
unmanaged-roles = []
unmanaged-databases = []

# Bounds on what one file may cost; reaching one is a `yaml-limit` finding.
[limits]
max-file-bytes = 16777216
max-depth = 200
max-documents = 10000
max-aliases = 10000
max-nodes = 2000000
"#;

/// `pglint.toml` as written. The doc comments are the descriptions of `pglint.schema.json`
/// (see [`json_schema`]).
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(
    title = "pglint.toml",
    description = "pglint's configuration (https://github.com/pglint/pglint#configuration)"
)]
struct FileConfig {
    /// Folder (relative to the repository root) holding the SOP objects: the credentials
    /// SealedSecrets, the shared Cluster and the Databases.
    sop_folder: Option<String>,
    /// Namespace every SOP object lives in.
    namespace: Option<String>,
    /// Name of the shared CNPG Cluster.
    cluster: Option<String>,
    /// The sealed-secrets controller's certificate (`kubeseal --fetch-cert`).
    certificate: Option<String>,
    /// Roles allowed to hold superuser, createdb, createrole, replication or bypassrls.
    privileged_roles: Option<Vec<String>>,
    /// Paths never read (globs relative to the repository root), e.g. ["legacy/**"].
    exclude: Option<Vec<String>>,
    /// Argo CD sync wave of each SOP kind.
    waves: Option<FileWaves>,
    /// SOP names (`naming-convention`): `{app}` followed by a fixed suffix.
    naming: Option<FileNaming>,
    /// Per-rule level. `pglint rules` lists every rule.
    #[schemars(with = "Option<std::collections::BTreeMap<String, FileLevel>>")]
    rules: Option<std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<String>>>,
    /// Bounds on what one file may cost; reaching one is a `yaml-limit` finding.
    limits: Option<FileLimits>,
    /// How the repository is deployed, where pglint cannot read it from the repository.
    deploy: Option<FileDeploy>,
    /// Apps whose namespace does not follow `naming.namespace`: app = "namespace".
    #[schemars(with = "Option<std::collections::BTreeMap<String, NamespaceName>>")]
    app_namespaces: Option<std::collections::BTreeMap<String, toml::Spanned<String>>>,
    /// `pglint verify`: live roles and databases the repository is not expected to declare.
    verify: Option<FileVerify>,
}

/// A rule's level: "error", "warning" or "off".
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // Only its schema is used: `[rules]` is read with spans, then matched.
enum FileLevel {
    Error,
    Warning,
    Off,
}

/// A namespace name: a DNS label.
#[derive(schemars::JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)] // Only its schema is used.
struct NamespaceName(
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z0-9-]+$"))] String,
);

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileVerify {
    /// Live roles never reported as drift (names or globs such as "tmp_*").
    unmanaged_roles: Option<Vec<String>>,
    /// Live databases never reported as drift (names or globs).
    unmanaged_databases: Option<Vec<String>>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileDeploy {
    /// URLs that name this repository in Argo CD `repoURL`s, besides its git remotes.
    repo_urls: Option<Vec<String>>,
    /// true when `argocd-cm` restores the Application health check: a parent Application's
    /// sync waves then wait for its child Applications.
    application_health: Option<bool>,
    /// true when kubernetes-replicator runs with `--allow-all`: a `replicate-from` copy is
    /// filled whatever its source's `replication-allowed` annotations say.
    replicator_allow_all: Option<bool>,
    /// kubernetes-replicator's `--exclude-namespaces` patterns (regular expressions matching
    /// anywhere in a namespace's name): no `replicate-to` copy is pushed there.
    replicator_exclude_namespaces: Option<Vec<String>>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct FileWaves {
    /// Wave of the credentials SealedSecrets (default 0).
    secret: Option<i64>,
    /// Wave of the shared Cluster (default 1).
    cluster: Option<i64>,
    /// Wave of the Databases (default 2).
    database: Option<i64>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileNaming {
    /// The credentials Secret: `{app}` then a fixed suffix (default "{app}-db-creds").
    #[schemars(with = "Option<String>", regex(pattern = r"^\{app\}[^{/]+$"))]
    secret: Option<toml::Spanned<String>>,
    /// The Database's name: `{app}` then a fixed suffix (default "{app}-db").
    #[schemars(with = "Option<String>", regex(pattern = r"^\{app\}[^{/]+$"))]
    database: Option<toml::Spanned<String>>,
    /// The SealedSecret's file (default "{app}-secrets-sealed.yaml").
    #[schemars(with = "Option<String>", regex(pattern = r"^\{app\}[^{/]+\.ya?ml$"))]
    sealed_file: Option<toml::Spanned<String>>,
    /// The Database's file (default "{app}-db.yaml").
    #[schemars(with = "Option<String>", regex(pattern = r"^\{app\}[^{/]+\.ya?ml$"))]
    database_file: Option<toml::Spanned<String>>,
    /// The app's namespace: `{app}` with an optional fixed prefix and suffix (default "{app}").
    #[schemars(
        with = "Option<String>",
        regex(pattern = r"^[a-z0-9-]*\{app\}[a-z0-9-]*$")
    )]
    namespace: Option<toml::Spanned<String>>,
}

/// Is `text` made of what a namespace (a DNS label) may hold?
fn namespace_chars(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `<prefix>{app}<suffix>` → (prefix, suffix).
fn namespace_pattern(pattern: &str) -> Option<(String, String)> {
    let (prefix, suffix) = pattern.split_once("{app}")?;
    (namespace_chars(prefix) && namespace_chars(suffix))
        .then(|| (prefix.to_string(), suffix.to_string()))
}

/// `{app}<suffix>` → `<suffix>`; file patterns also lose their `.yaml`/`.yml`.
fn pattern_suffix(pattern: &str, file: bool) -> Option<String> {
    let suffix = pattern.strip_prefix("{app}")?;
    let suffix = if file {
        suffix
            .strip_suffix(".yaml")
            .or_else(|| suffix.strip_suffix(".yml"))?
    } else {
        suffix
    };
    (!suffix.is_empty() && !suffix.contains('{') && !suffix.contains('/'))
        .then(|| suffix.to_string())
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileLimits {
    /// Files larger than this are not read (at most 1 GiB).
    #[schemars(range(max = MAX_FILE_BYTES_CEILING))]
    max_file_bytes: Option<u64>,
    /// Deepest nesting of YAML collections.
    max_depth: Option<usize>,
    /// Most YAML documents in one file.
    max_documents: Option<usize>,
    /// Most alias expansions in one file.
    max_aliases: Option<usize>,
    /// Most YAML nodes in one file.
    max_nodes: Option<usize>,
}

/// Removes `null` from the schema's types: TOML has none, an optional key is one left out.
fn without_null(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = &types[..] {
                    let only = only.clone();
                    map.insert("type".into(), only);
                }
            }
            map.values_mut().for_each(without_null);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// The JSON Schema of `pglint.toml` (`pglint.schema.json` at the repository root, for
/// editors: taplo, SchemaStore), generated from the types that read it; `[rules]` keys are
/// the ids of the rules and live checks.
pub fn json_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<FileConfig>().to_value();
    without_null(&mut schema);
    schema["$id"] = "https://github.com/pglint/pglint/raw/main/pglint.schema.json".into();
    let ids: Vec<&str> = RuleId::ALL.iter().map(|id| id.as_str()).collect();
    schema["properties"]["rules"]["propertyNames"] = serde_json::json!({ "enum": ids });
    schema
}

impl Config {
    /// Reads `pglint.toml` text over the defaults. One `[rules]` table sets the levels of
    /// the rules and of the live checks.
    pub fn from_toml(path: &str, text: &str) -> Result<Config, ConfigError> {
        let error = |span: Option<std::ops::Range<usize>>,
                     message: String,
                     help: Option<String>| ConfigError {
            path: path.to_string(),
            text: text.to_string(),
            span,
            message,
            help,
        };
        let file: FileConfig = toml::from_str(text)
            .map_err(|e| error(e.span(), e.message().trim().to_string(), None))?;
        let mut config = Config::default();
        let set = |target: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *target = value;
            }
        };
        set(&mut config.sop_folder, file.sop_folder);
        set(&mut config.namespace, file.namespace);
        set(&mut config.cluster, file.cluster);
        set(&mut config.certificate, file.certificate);
        config.privileged_roles = file.privileged_roles.unwrap_or_default();
        config.exclude = file.exclude.unwrap_or_default();
        if let Some(deploy) = file.deploy {
            config.deploy.repo_urls = deploy.repo_urls.unwrap_or_default();
            config.deploy.application_health = deploy.application_health.unwrap_or_default();
            config.deploy.replicator_allow_all = deploy.replicator_allow_all.unwrap_or_default();
            config.deploy.replicator_exclude_namespaces =
                deploy.replicator_exclude_namespaces.unwrap_or_default();
            for pattern in &config.deploy.replicator_exclude_namespaces {
                if let Err(e) = regex::Regex::new(pattern) {
                    let span = text.find(pattern.as_str()).map(|s| s..s + pattern.len());
                    return Err(error(
                        span,
                        format!(
                            "invalid namespace pattern `{pattern}` (the replicator would drop it): {e}"
                        ),
                        None,
                    ));
                }
            }
        }
        if let Some(verify) = file.verify {
            config.verify.unmanaged_roles = verify.unmanaged_roles.unwrap_or_default();
            config.verify.unmanaged_databases = verify.unmanaged_databases.unwrap_or_default();
            for pattern in config
                .verify
                .unmanaged_roles
                .iter()
                .chain(&config.verify.unmanaged_databases)
            {
                if let Err(e) = globset::Glob::new(pattern) {
                    let span = text.find(pattern.as_str()).map(|s| s..s + pattern.len());
                    return Err(error(
                        span,
                        format!("invalid name pattern `{pattern}`: {e}"),
                        None,
                    ));
                }
            }
        }
        if let Some(waves) = file.waves {
            config.waves.secret = waves.secret.unwrap_or(config.waves.secret);
            config.waves.cluster = waves.cluster.unwrap_or(config.waves.cluster);
            config.waves.database = waves.database.unwrap_or(config.waves.database);
        }
        for (app, namespace) in file.app_namespaces.unwrap_or_default() {
            let valid = !namespace.get_ref().is_empty()
                && namespace.get_ref().len() <= 63
                && namespace_chars(namespace.get_ref());
            if !valid {
                return Err(error(
                    Some(namespace.span()),
                    format!("`{}` is not a namespace name", namespace.get_ref()),
                    Some("a namespace is 1 to 63 lowercase letters, digits or `-`".into()),
                ));
            }
            config
                .naming
                .app_namespaces
                .insert(app, namespace.into_inner());
        }
        if let Some(naming) = file.naming {
            if let Some(pattern) = &naming.namespace {
                let (prefix, suffix) = namespace_pattern(pattern.get_ref()).ok_or_else(|| {
                    error(
                        Some(pattern.span()),
                        format!("invalid namespace pattern `{}`", pattern.get_ref()),
                        Some("write `{app}` with an optional fixed prefix and suffix of lowercase letters, digits or `-`, e.g. \"apps-{app}\"".into()),
                    )
                })?;
                config.naming.namespace_prefix = prefix;
                config.naming.namespace_suffix = suffix;
            }
            let fields = [
                (naming.secret, false, &mut config.naming.secret_suffix),
                (naming.database, false, &mut config.naming.database_suffix),
                (
                    naming.sealed_file,
                    true,
                    &mut config.naming.sealed_file_suffix,
                ),
                (
                    naming.database_file,
                    true,
                    &mut config.naming.database_file_suffix,
                ),
            ];
            for (pattern, is_file, target) in fields {
                let Some(pattern) = pattern else { continue };
                match pattern_suffix(pattern.get_ref(), is_file) {
                    Some(suffix) => *target = suffix,
                    None => {
                        return Err(error(
                            Some(pattern.span()),
                            format!("invalid naming pattern `{}`", pattern.get_ref()),
                            Some(if is_file {
                                "write `{app}` then a fixed suffix ending in `.yaml`, e.g. \"{app}-db.yaml\"".into()
                            } else {
                                "write `{app}` then a fixed suffix, e.g. \"{app}-db-creds\"".into()
                            }),
                        ));
                    }
                }
            }
        }
        if let Some(limits) = file.limits {
            config.max_file_bytes = limits.max_file_bytes.unwrap_or(config.max_file_bytes);
            if config.max_file_bytes > MAX_FILE_BYTES_CEILING {
                let span = text
                    .find("max-file-bytes")
                    .map(|s| s..s + "max-file-bytes".len());
                return Err(error(
                    span,
                    format!("`max-file-bytes` may be at most {MAX_FILE_BYTES_CEILING} (1 GiB)"),
                    None,
                ));
            }
            config.limits.max_depth = limits.max_depth.unwrap_or(config.limits.max_depth);
            config.limits.max_documents =
                limits.max_documents.unwrap_or(config.limits.max_documents);
            config.limits.max_aliases = limits.max_aliases.unwrap_or(config.limits.max_aliases);
            config.limits.max_nodes = limits.max_nodes.unwrap_or(config.limits.max_nodes);
        }
        for (rule, level) in file.rules.unwrap_or_default() {
            let Some(id) = RuleId::parse(rule.get_ref()) else {
                let known = crate::rules::catalogue().map(|meta| meta.id);
                let suggestion = crate::model::closest(rule.get_ref(), known);
                return Err(error(
                    Some(rule.span()),
                    format!("unknown rule `{}`", rule.get_ref()),
                    Some(suggestion.map_or_else(
                        || "`pglint rules` lists every rule".to_string(),
                        |s| format!("did you mean `{s}`?"),
                    )),
                ));
            };
            let parsed = match level.get_ref().as_str() {
                "off" => Level::Off,
                "warning" => Level::On(Severity::Warning),
                "error" => Level::On(Severity::Error),
                other => {
                    return Err(error(
                        Some(level.span()),
                        format!("unknown level `{other}`"),
                        Some("use \"error\", \"warning\" or \"off\"".into()),
                    ));
                }
            };
            config.levels.insert(id, parsed);
        }
        if let Err(message) = crate::discover::build_globs(&config.exclude) {
            let span = text.find("exclude").map(|s| s..s + "exclude".len());
            return Err(error(span, message, None));
        }
        Ok(config)
    }
}

/// One `--config` argument: a configuration file, or a TOML `key = value` that overrides
/// the file's setting (as in ruff: `--config 'rules.secret-type = "off"'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigArg {
    File(std::path::PathBuf),
    Override(String),
}

impl ConfigArg {
    /// An existing file is a file; else text that parses as TOML is an override; else a
    /// file (whose absence is reported when it is read).
    pub fn parse(text: &str) -> Result<ConfigArg, String> {
        let path = std::path::Path::new(text);
        if path.is_file() || !text.contains('=') {
            return Ok(ConfigArg::File(path.to_path_buf()));
        }
        match text.parse::<toml::Table>() {
            Ok(_) => Ok(ConfigArg::Override(text.to_string())),
            Err(e) => Err(format!(
                "neither a file nor a TOML `key = value` ({}); quote strings, e.g. 'namespace = \"db\"' or 'rules.secret-type = \"off\"'",
                e.message().trim()
            )),
        }
    }

    /// The file among `args`, if any (at most one).
    pub fn file(args: &[ConfigArg]) -> Result<Option<&std::path::Path>, String> {
        let mut files = args.iter().filter_map(|arg| match arg {
            ConfigArg::File(path) => Some(path.as_path()),
            ConfigArg::Override(_) => None,
        });
        let first = files.next();
        match files.next() {
            Some(_) => Err("--config names one configuration file at most (and any number of `key = value` overrides)".into()),
            None => Ok(first),
        }
    }

    /// The overrides among `args`, in order.
    pub fn overrides(args: &[ConfigArg]) -> impl Iterator<Item = &str> {
        args.iter().filter_map(|arg| match arg {
            ConfigArg::Override(text) => Some(text.as_str()),
            ConfigArg::File(_) => None,
        })
    }
}

impl Config {
    /// [`Config::from_toml`] of `text` (the file, `""` without one) with each override laid
    /// over it, later ones winning. A mistake points into the file or into the override that
    /// makes it.
    pub fn from_toml_with_overrides<'a>(
        path: &str,
        text: &str,
        overrides: impl IntoIterator<Item = &'a str>,
    ) -> Result<Config, ConfigError> {
        let base = Config::from_toml(path, text)?;
        let mut overrides = overrides.into_iter().peekable();
        if overrides.peek().is_none() {
            return Ok(base);
        }
        let mut merged: toml::Table = text.parse().unwrap_or_default();
        for text in overrides {
            Config::from_toml("--config", text)?;
            let table: toml::Table = text.parse().unwrap_or_default();
            merge_tables(&mut merged, table);
        }
        let merged_text = toml::to_string(&merged).unwrap_or_default();
        Config::from_toml(&format!("{path} with the --config overrides"), &merged_text)
    }
}

/// Lays `over` on `base`: tables merge key by key, any other value replaces.
fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => {
                merge_tables(inner, value)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_is_the_default_config() {
        let config = Config::from_toml("pglint.toml", DEFAULT_TOML).unwrap();
        let default = Config::default();
        assert_eq!(config.sop_folder, default.sop_folder);
        assert_eq!(config.waves, default.waves);
        assert_eq!(config.naming, default.naming);
        assert_eq!(config.limits, default.limits);
        assert_eq!(config.max_file_bytes, default.max_file_bytes);
        assert_eq!(config.verify, default.verify);
        assert!(config.levels.is_empty());
    }

    #[test]
    fn rule_levels_and_overrides() {
        let text = "namespace = \"db\"\n[waves]\ndatabase = 5\n[rules]\nsecret-type = \"error\"\nowner-role-missing = \"off\"\n";
        let config = Config::from_toml("pglint.toml", text).unwrap();
        assert_eq!(config.namespace, "db");
        assert_eq!(config.waves.database, 5);
        let naming = "[naming]\nsecret = \"{app}-pg-creds\"\nsealed-file = \"{app}-sealed.yml\"\n";
        let named = Config::from_toml("pglint.toml", naming).unwrap();
        assert_eq!(named.naming.secret_suffix, "-pg-creds");
        assert_eq!(named.naming.sealed_file_suffix, "-sealed");
        assert_eq!(named.naming.database_suffix, "-db");
        let bad =
            Config::from_toml("pglint.toml", "[naming]\ndatabase = \"db-{app}\"\n").unwrap_err();
        assert_eq!(bad.message, "invalid naming pattern `db-{app}`");
        assert_eq!(config.naming.app_namespace("gitea"), "gitea");
        let namespaces =
            "[naming]\nnamespace = \"apps-{app}\"\n[app-namespaces]\ngitea = \"git\"\n";
        let namespaced = Config::from_toml("pglint.toml", namespaces).unwrap();
        assert_eq!(namespaced.naming.app_namespace("wiki"), "apps-wiki");
        assert_eq!(namespaced.naming.app_namespace("gitea"), "git");
        let bad =
            Config::from_toml("pglint.toml", "[naming]\nnamespace = \"Apps_{app}\"\n").unwrap_err();
        assert_eq!(bad.message, "invalid namespace pattern `Apps_{app}`");
        let bad =
            Config::from_toml("pglint.toml", "[app-namespaces]\ngitea = \"Git\"\n").unwrap_err();
        assert_eq!(bad.message, "`Git` is not a namespace name");
        assert_eq!(
            config.levels[&RuleId::SecretType],
            Level::On(Severity::Error)
        );
        assert_eq!(config.levels[&RuleId::OwnerRoleMissing], Level::Off);
    }

    #[test]
    fn overrides_lay_over_the_file() {
        let file = "namespace = \"db\"\n[rules]\nsecret-type = \"error\"\n[waves]\nsecret = 3\n";
        let overrides = [
            "rules.owner-role-missing = \"off\"",
            "waves.database = 7",
            "namespace = \"pg\"",
        ];
        let config = Config::from_toml_with_overrides("pglint.toml", file, overrides).unwrap();
        assert_eq!(config.namespace, "pg");
        assert_eq!((config.waves.secret, config.waves.database), (3, 7));
        assert_eq!(
            config.levels[&RuleId::SecretType],
            Level::On(Severity::Error)
        );
        assert_eq!(config.levels[&RuleId::OwnerRoleMissing], Level::Off);
        let bad = Config::from_toml_with_overrides("pglint.toml", file, ["namespce = \"x\""])
            .unwrap_err();
        assert_eq!((bad.path.as_str(), bad.span), ("--config", Some(0..8)));
        assert_eq!(
            ConfigArg::parse("rules.secret-type = \"off\"").unwrap(),
            ConfigArg::Override("rules.secret-type = \"off\"".into())
        );
        assert_eq!(
            ConfigArg::parse("custom.toml").unwrap(),
            ConfigArg::File("custom.toml".into())
        );
        assert!(ConfigArg::parse("namespace = db").is_err());
        let two = [ConfigArg::File("a".into()), ConfigArg::File("b".into())];
        assert!(ConfigArg::file(&two).is_err());
    }

    #[test]
    fn mistakes_point_into_the_file() {
        let unknown_key = Config::from_toml("pglint.toml", "namespce = \"x\"\n").unwrap_err();
        assert_eq!(unknown_key.span, Some(0..8));
        let unknown_rule =
            Config::from_toml("pglint.toml", "[rules]\nsecret-typ = \"off\"\n").unwrap_err();
        assert_eq!(unknown_rule.message, "unknown rule `secret-typ`");
        assert_eq!(
            unknown_rule.help.as_deref(),
            Some("did you mean `secret-type`?")
        );
        assert_eq!(
            &"[rules]\nsecret-typ = \"off\"\n"[unknown_rule.span.unwrap()],
            "secret-typ"
        );
        let bad_level =
            Config::from_toml("pglint.toml", "[rules]\nsecret-type = \"loud\"\n").unwrap_err();
        assert_eq!(bad_level.message, "unknown level `loud`");
        let text = "[deploy]\nreplicator-exclude-namespaces = [\"kube-\", \"(open\"]\n";
        let bad_pattern = Config::from_toml("pglint.toml", text).unwrap_err();
        assert!(
            bad_pattern.message.contains("`(open`"),
            "{}",
            bad_pattern.message
        );
        assert_eq!(&text[bad_pattern.span.unwrap()], "(open");
    }
}
