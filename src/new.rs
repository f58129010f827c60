//! `pglint new APP` (the SOP as one command) and `pglint seal` (one value re-sealed into an
//! existing SealedSecret): writers beside `fix`, on the same edit engine.
//!
//! `new` computes everything in memory: the SealedSecret (sealed in process for the namespace
//! and name it has once deployed), the role appended to the shared Cluster, the Database, the
//! kustomization entries. It then lints the repository as it would be and refuses (writing
//! nothing) when that adds a finding the repository did not have. The password exists only in
//! memory, zeroised when dropped; it is never written in clear nor printed.

use std::path::Path;

use zeroize::Zeroizing;

use crate::config::Config;
use crate::deploy::Deploy;
use crate::edit::Edit;
use crate::edit::yaml::{YamlFile, string};
use crate::engine::lint::lint;
use crate::model::names::{NameKind, invalid, reserved};
use crate::model::{Object, REFLECTOR_PREFIX, SYNC_WAVE, Scope, Spec};
use crate::project::Project;
use crate::seal::SealingKey;
use crate::write::Changed;
use crate::yaml::parse;

/// What `pglint new` is asked for; `None` takes the SOP's default.
#[derive(Debug, Clone, Default)]
pub struct NewApp {
    pub app: String,
    /// The app's namespace, where Reflector mirrors the Secret (default: `[naming]`'s, the
    /// app's name unless configured).
    pub namespace: Option<String>,
    /// The login role (default: `<app>_user`, `-` written `_`).
    pub role: Option<String>,
    /// The database (default: the app's name, `-` written `_`).
    pub database: Option<String>,
    /// Where `--namespace` is recorded when the configuration does not give it already.
    pub config_file: ConfigFile,
}

/// The configuration file in use, as far as `new` may write to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ConfigFile {
    /// None: `pglint.toml` is created at the root.
    #[default]
    Absent,
    /// This repository path.
    InRepository(String),
    /// Outside the repository (`--config`): not written.
    Elsewhere,
}

/// The names of everything `new` writes.
#[derive(Debug, Clone)]
struct Names {
    app: String,
    app_namespace: String,
    role: String,
    database: String,
    secret: String,
    database_object: String,
    sealed_file: String,
    database_file: String,
}

/// Files to write, and what they do (for the report).
#[derive(Debug)]
pub struct Plan {
    pub changes: Vec<Changed>,
    /// The repository as it will be, for a diff.
    pub after: Project,
    pub summary: Vec<String>,
}

/// A key of a Secret's data, as the API server accepts it (`IsConfigMapKey` in Kubernetes'
/// `apimachinery/pkg/util/validation`): at most 253 of `-._a-zA-Z0-9`, not `.` or `..`.
pub fn check_secret_key(key: &str) -> Result<(), String> {
    let valid = !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && key != "."
        && key != ".."
        && !key.starts_with("..");
    if valid {
        Ok(())
    } else {
        Err(format!(
            "--key `{}`: a Secret key is at most 253 letters, digits, `-`, `_` and `.` (not `.` or `..`); the API server refuses others",
            key.escape_debug()
        ))
    }
}

/// A DNS-1123 label: what a namespace (and so an app) may be called.
fn dns_label(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid name: use at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit (it becomes a namespace)"
        ))
    }
}

impl Names {
    fn new(config: &Config, request: &NewApp) -> Result<Names, String> {
        let app = request.app.clone();
        dns_label(&app)?;
        let app_namespace = request
            .namespace
            .clone()
            .unwrap_or_else(|| config.naming.app_namespace(&app));
        dns_label(&app_namespace)?;
        let underscored = app.replace('-', "_");
        let role = request
            .role
            .clone()
            .unwrap_or_else(|| format!("{underscored}_user"));
        let database = request.database.clone().unwrap_or(underscored);
        for (name, kind) in [
            (&role, NameKind::ManagedRole),
            (&database, NameKind::Database),
        ] {
            if let Some(why) = invalid(name) {
                return Err(format!("{} `{name}` {why}", kind.noun()));
            }
            if let Some(why) = reserved(kind, name) {
                return Err(format!("{} `{name}` is reserved: {why}", kind.noun()));
            }
        }
        let naming = &config.naming;
        let folder = config.sop_folder.trim_matches('/');
        let in_folder = |file: String| {
            if folder.is_empty() {
                file
            } else {
                format!("{folder}/{file}")
            }
        };
        Ok(Names {
            secret: format!("{app}{}", naming.secret_suffix),
            database_object: format!("{app}{}", naming.database_suffix),
            sealed_file: in_folder(format!("{app}{}.yaml", naming.sealed_file_suffix)),
            database_file: in_folder(format!("{app}{}.yaml", naming.database_file_suffix)),
            app,
            app_namespace,
            role,
            database,
        })
    }
}

/// Where an object is: `path:line`.
fn at(project: &Project, obj: &Object) -> String {
    let line = project
        .text(obj.file)
        .line_col(obj.anchor().span.start())
        .line;
    format!("{}:{line}", project.path(obj.file))
}

/// Refuses an app whose files, Secret, role or database already exist.
fn refuse_existing(project: &Project, config: &Config, names: &Names) -> Result<(), String> {
    let exists = |what: String| Err(format!("app `{}` already exists: {what}", names.app));
    for path in [&names.sealed_file, &names.database_file] {
        if project.paths.contains(path.as_str()) {
            return exists(format!("{path} is there"));
        }
    }
    for obj in &project.objects {
        let in_namespace = obj.namespace_str().is_none_or(|ns| ns == config.namespace);
        match &obj.spec {
            Spec::Secret(_) | Spec::SealedSecret(_) | Spec::ExternalSecret(_)
                if in_namespace && obj.name() == Some(names.secret.as_str()) =>
            {
                return exists(format!(
                    "{} `{}` ({})",
                    obj.kind_str(),
                    names.secret,
                    at(project, obj)
                ));
            }
            Spec::Cluster(cluster) => {
                if let Some(role) = cluster
                    .roles
                    .iter()
                    .find(|r| r.name.as_ref().is_some_and(|n| n.value == names.role))
                {
                    let line = project
                        .text(role.loc.file)
                        .line_col(role.loc.span.start())
                        .line;
                    return exists(format!(
                        "role `{}` ({}:{line})",
                        names.role,
                        project.path(role.loc.file)
                    ));
                }
            }
            Spec::Database(database)
                if obj.name() == Some(names.database_object.as_str())
                    || database
                        .name
                        .as_ref()
                        .is_some_and(|n| n.value == names.database) =>
            {
                return exists(format!(
                    "Database {} ({})",
                    obj.display_name(),
                    at(project, obj)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The shared Cluster in the SOP folder.
fn shared_cluster<'p>(project: &'p Project, config: &Config) -> Result<&'p Object, String> {
    project
        .sources()
        .map(|(_, obj)| obj)
        .find(|obj| {
            matches!(obj.spec, Spec::Cluster(_))
                && obj.name() == Some(config.cluster.as_str())
                && config.in_sop_folder(project.path(obj.file))
        })
        .ok_or_else(|| {
            format!(
                "no Cluster `{}` in `{}`: the shared cluster the SOP adds roles to (see `[sop]` in pglint.toml)",
                config.cluster, config.sop_folder
            )
        })
}

/// The edit that adds the role to the Cluster's `spec.managed.roles`.
fn add_role(
    project: &Project,
    config: &Config,
    cluster: &Object,
    names: &Names,
) -> Result<Edit, String> {
    let path = project.path(cluster.file);
    let text = project.text(cluster.file).as_str();
    let parsed = parse(text, &config.limits);
    let yaml = YamlFile::new(cluster.file, text, &parsed);
    let cannot = |why: &str| format!("cannot add the role to {path} safely: {why}; add it by hand");
    let root = yaml
        .document(cluster.document)
        .ok_or_else(|| cannot("the file no longer parses"))?;
    if yaml.uses_aliases(root) {
        return Err(cannot("it uses YAML anchors and aliases"));
    }
    let role = vec![
        format!("name: {}", string(&names.role)),
        "ensure: present".to_string(),
        "login: true".to_string(),
        "passwordSecret:".to_string(),
        format!("  name: {}", string(&names.secret)),
    ];
    let managed = root.path(&["spec", "managed"]);
    let edit = match root.path(&["spec", "managed", "roles"]) {
        Some(roles) if roles.is_sequence() && roles.items().next().is_some() => yaml
            .append_block_item(roles, &role)
            .ok_or_else(|| cannot("`spec.managed.roles` is written in flow style")),
        // The first role: `roles: []`, or `roles:` holding nothing but comments.
        Some(_) => managed
            .and_then(|managed| yaml.fill_empty_list(managed, "roles", &role))
            .ok_or_else(|| cannot("`spec.managed.roles` is not a list pglint can add to")),
        None => {
            let mut lines = vec![format!("- {}", role[0])];
            lines.extend(role[1..].iter().map(|line| format!("  {line}")));
            yaml.insert_block(root, &["spec", "managed"], "roles", &lines)
                .ok_or_else(|| cannot("`spec` or `spec.managed` is written in flow style"))
        }
    }?;
    Ok(edit)
}

/// The edit that lists the new files in the SOP folder's kustomization, if it has one.
fn list_files(project: &Project, config: &Config, names: &Names) -> Result<Vec<Edit>, String> {
    let folder = config.sop_folder.trim_matches('/');
    let Some(kustomization) = project.kustomize.in_dir(folder) else {
        return Ok(Vec::new());
    };
    let path = project.path(kustomization.file);
    let text = project.text(kustomization.file).as_str();
    let parsed = parse(text, &config.limits);
    let yaml = YamlFile::new(kustomization.file, text, &parsed);
    let resources = yaml
        .document(0)
        .and_then(|root| root.get("resources"))
        .filter(|r| r.is_sequence() && r.items().next().is_some())
        .ok_or_else(|| format!("{path} has no `resources` list to add the new files to"))?;
    let file_name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let edits = yaml.append_items(
        resources,
        &[
            string(&file_name(&names.sealed_file)),
            string(&file_name(&names.database_file)),
        ],
    );
    if edits.is_empty() {
        return Err(format!(
            "cannot add the new files to {path} safely (flow style?); add them by hand"
        ));
    }
    Ok(edits)
}

/// The SealedSecret, in the shape `kubeseal --format yaml` prints, the values sealed already.
fn sealed_secret_yaml(config: &Config, names: &Names, username: &str, password: &str) -> String {
    let reflector = |name: &str| format!("{REFLECTOR_PREFIX}{name}");
    format!(
        "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {secret}\n  namespace: {namespace}\nspec:\n  encryptedData:\n    password: {password}\n    username: {username}\n  template:\n    metadata:\n      annotations:\n        {SYNC_WAVE}: \"{wave}\"\n        {allowed}: \"true\"\n        {allowed_namespaces}: {app_namespace}\n        {auto}: \"true\"\n      labels:\n        cnpg.io/reload: \"true\"\n      name: {secret}\n      namespace: {namespace}\n    type: kubernetes.io/basic-auth\n",
        secret = string(&names.secret),
        namespace = string(&config.namespace),
        wave = config.waves.secret,
        allowed = reflector("reflection-allowed"),
        allowed_namespaces = reflector("reflection-allowed-namespaces"),
        auto = reflector("reflection-auto-enabled"),
        app_namespace = string(&names.app_namespace),
    )
}

fn database_yaml(config: &Config, names: &Names) -> String {
    format!(
        "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: {object}\n  namespace: {namespace}\n  annotations:\n    {SYNC_WAVE}: \"{wave}\"\nspec:\n  name: {database}\n  owner: {role}\n  cluster:\n    name: {cluster}\n  ensure: present\n  databaseReclaimPolicy: retain\n",
        object = string(&names.database_object),
        namespace = string(&config.namespace),
        wave = config.waves.database,
        database = string(&names.database),
        role = string(&names.role),
        cluster = string(&config.cluster),
    )
}

/// The namespace and name the object at `path` has in every deployment that applies it (one
/// answer, or the refusal); its own when nothing applies it.
fn deployed_identity(
    project: &Project,
    config: &Config,
    path: &str,
    own: (&str, &str),
) -> Result<(String, String), String> {
    let deploy = Deploy::build(project, config);
    let Some((id, _)) = project
        .sources()
        .find(|(_, obj)| project.path(obj.file) == path)
    else {
        return Ok((own.0.to_string(), own.1.to_string()));
    };
    let mut seen: Vec<(String, String, String)> = deploy
        .instances_of(id)
        .map(|(deployment, resource)| {
            (
                resource.object.namespace_str().unwrap_or(own.0).to_string(),
                resource.object.name().unwrap_or(own.1).to_string(),
                deployment.name.clone(),
            )
        })
        .collect();
    seen.sort();
    seen.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    match seen.as_slice() {
        [] => Ok((own.0.to_string(), own.1.to_string())),
        [(namespace, name, _)] => Ok((namespace.clone(), name.clone())),
        several => Err(format!(
            "the deployments applying {path} give the Secret different names or namespaces ({}): a sealed value decrypts under one only; seal per overlay by hand",
            several
                .iter()
                .map(|(ns, name, d)| format!("{ns}/{name} in {d}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The Cluster's bootstrap database and owner are the Cluster's own: a Database or role of
/// the same name would take them over (CNPG's `initdb` creates `app` owned by `app` unless
/// told otherwise), and `check` cannot tell the two apart afterwards.
fn refuse_bootstrap_names(
    project: &Project,
    cluster: &Object,
    names: &Names,
) -> Result<(), String> {
    let Spec::Cluster(spec) = &cluster.spec else {
        return Ok(());
    };
    let bootstrap = &spec.bootstrap;
    let clash = if names.database == bootstrap.database {
        Some(("database", &names.database, "--database"))
    } else if names.role == bootstrap.owner {
        Some(("owner", &names.role, "--role"))
    } else {
        None
    };
    match clash {
        None => Ok(()),
        Some((what, name, option)) => Err(format!(
            "`{name}` is the bootstrap {what} of Cluster `{}` ({}): CNPG created it with the cluster, and a second object claiming it would take it over; choose another name ({option} NAME)",
            cluster.name().unwrap_or_default(),
            at(project, cluster)
        )),
    }
}

/// `--namespace` that the configuration does not give the app already: recorded under
/// `[app-namespaces]` (the configuration file edited, or created), so that `check` knows the
/// app's namespace too. A new namespace is the normal case: no manifest has to use it yet.
fn record_namespace(
    root: &Path,
    project: &Project,
    config: &Config,
    request: &NewApp,
    names: &Names,
) -> Result<Option<(Config, Changed)>, String> {
    let Some(namespace) = &request.namespace else {
        return Ok(None);
    };
    if config.naming.app_namespace(&names.app) == *namespace {
        return Ok(None);
    }
    // Another app's namespace: its pods could read this app's credentials.
    let other = project.objects.iter().find_map(|obj| {
        let app = obj
            .name()?
            .strip_suffix(config.naming.secret_suffix.as_str())?;
        (matches!(obj.spec, Spec::Secret(_) | Spec::SealedSecret(_))
            && app != names.app
            && config.naming.app_namespace(app) == *namespace)
            .then(|| (app.to_string(), at(project, obj)))
    });
    if let Some((app, location)) = other {
        return Err(format!(
            "--namespace {namespace}: that is app `{app}`'s namespace (its credentials, {location}, are mirrored there), so its pods could read `{}`'s; give each app its own namespace",
            names.app
        ));
    }
    // Both are DNS labels (checked): a bare TOML key and a plain basic string.
    let entry = format!("{} = \"{namespace}\"", names.app);
    let by_hand = |why: String| {
        format!(
            "--namespace {namespace}: {why}; add `{entry}` under `[app-namespaces]` of the configuration by hand"
        )
    };
    let path = match &request.config_file {
        ConfigFile::InRepository(path) => path.clone(),
        ConfigFile::Absent => crate::config::FILE_NAME.to_string(),
        ConfigFile::Elsewhere => {
            return Err(by_hand(
                "the configuration file is outside the repository".into(),
            ));
        }
    };
    let before = match std::fs::read(root.join(&path)) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(by_hand(format!("cannot read {path}: {e}"))),
    };
    let text = match &before {
        Some(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| by_hand(format!("{path} is not UTF-8")))?
            .to_string(),
        None => String::new(),
    };
    let after = with_table_entry(&text, "app-namespaces", &entry);
    let edited = Config::from_toml(&path, &after)
        .map_err(|_| by_hand(format!("{path} would not load afterwards")))?;
    if edited.naming.app_namespace(&names.app) != *namespace {
        return Err(by_hand(format!(
            "{path} gives the table in a form pglint does not edit"
        )));
    }
    let mut config = config.clone();
    config
        .naming
        .app_namespaces
        .insert(names.app.clone(), namespace.clone());
    Ok(Some((
        config,
        Changed {
            path,
            before,
            after: after.into_bytes(),
        },
    )))
}

/// `text` (TOML) with the line `entry` added at the end of its `[table]`, or a new table
/// appended; every other byte kept.
fn with_table_entry(text: &str, table: &str, entry: &str) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let header = format!("[{table}]");
    let is_header = |line: &str| line.split('#').next().unwrap_or("").trim() == header;
    let mut offset = 0;
    let mut in_table = false;
    let mut insert_at = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if in_table && trimmed.starts_with('[') {
            break;
        }
        if is_header(content) {
            in_table = true;
            insert_at = Some(offset + content.len());
        } else if in_table && !trimmed.is_empty() && !trimmed.starts_with('#') {
            insert_at = Some(offset + content.len());
        }
        offset += line.len();
    }
    match insert_at {
        Some(at) => format!("{}{newline}{entry}{}", &text[..at], &text[at..]),
        None => {
            let mut out = text.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(newline);
            }
            if !out.is_empty() {
                out.push_str(newline);
            }
            out.push_str(&format!("{header}{newline}{entry}{newline}"));
            out
        }
    }
}

/// The certificate to seal with, or how to fetch it.
fn sealing_key(root: &Path, config: &Config) -> Result<SealingKey, String> {
    let path = &config.certificate;
    let bytes = std::fs::read(root.join(path)).map_err(|e| {
        format!("cannot read the sealing certificate {path} ({e}); fetch it with `kubeseal --fetch-cert > {path}`")
    })?;
    SealingKey::from_pem(&bytes, config.clock.now())
        .map_err(|e| format!("cannot seal with {path}: {e}"))
}

/// Everything `pglint new` would write, checked. `Err` is the reason to refuse (exit 2).
pub fn plan_new(
    root: &Path,
    config: &Config,
    project: &Project,
    request: &NewApp,
    password: &Zeroizing<String>,
) -> Result<Plan, String> {
    let names = Names::new(config, request)?;
    refuse_existing(project, config, &names)?;
    let recorded = record_namespace(root, project, config, request, &names)?;
    let before_config = config;
    let config = recorded.as_ref().map_or(config, |(config, _)| config);
    let cluster = shared_cluster(project, config)?;
    refuse_bootstrap_names(project, cluster, &names)?;
    let key = sealing_key(root, config)?;
    let mut edits = vec![add_role(project, config, cluster, &names)?];
    edits.extend(list_files(project, config, &names)?);
    let mut changes = crate::fix::apply_edits(root, project, &edits)?;
    let overrides = |sealed: &str, changes: &[Changed]| {
        let mut map: crate::hash::HashMap<String, Vec<u8>> = changes
            .iter()
            .map(|c| (c.path.clone(), c.after.clone()))
            .collect();
        map.insert(names.sealed_file.clone(), sealed.as_bytes().to_vec());
        map.insert(
            names.database_file.clone(),
            database_yaml(config, &names).into_bytes(),
        );
        map
    };
    // Where the Secret lands once deployed: what its values are sealed for.
    let unsealed = sealed_secret_yaml(config, &names, "", "");
    let draft = Project::load_with(root, config, &overrides(&unsealed, &changes))?;
    let (namespace, name) = deployed_identity(
        &draft,
        config,
        &names.sealed_file,
        (&config.namespace, &names.secret),
    )?;
    drop(draft);
    let username = key.seal(names.role.as_bytes(), Scope::Strict, &namespace, &name)?;
    let sealed_password = key.seal(password.as_bytes(), Scope::Strict, &namespace, &name)?;
    let sealed = sealed_secret_yaml(config, &names, &username, &sealed_password);

    let after = Project::load_with(root, config, &overrides(&sealed, &changes))?;
    // What the repository already had is matched by identity (rule, object, field path), as a
    // baseline matches it: only what adding the app introduces blocks it.
    let already = crate::baseline::Baseline::record(&lint(project, before_config));
    let options = crate::engine::Options {
        baseline: Some(&already),
        ..crate::engine::Options::default()
    };
    let checked = crate::engine::check(after, config, &options).map_err(|e| e.to_string())?;
    let (after, introduced) = (checked.project, checked.diagnostics);
    let introduced: Vec<String> = introduced
        .iter()
        .map(|diagnostic| {
            let loc = diagnostic.finding.loc;
            let line = after.text(loc.file).line_col(loc.span.start()).line;
            format!(
                "  {}:{line}: {}: {}",
                after.path(loc.file),
                diagnostic.rule,
                diagnostic.finding.message
            )
        })
        .collect();
    if !introduced.is_empty() {
        return Err(format!(
            "adding `{}` would introduce findings; nothing was written:\n{}",
            names.app,
            introduced.join("\n")
        ));
    }
    changes.push(Changed {
        path: names.sealed_file.clone(),
        before: None,
        after: sealed.into_bytes(),
    });
    changes.push(Changed {
        path: names.database_file.clone(),
        before: None,
        after: database_yaml(config, &names).into_bytes(),
    });
    let mut summary = Vec::new();
    if let Some((_, change)) = &recorded {
        summary.push(format!(
            "namespace `{}` recorded as app `{}`'s in `[app-namespaces]` of {}",
            names.app_namespace, names.app, change.path
        ));
        changes.push(change.clone());
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    summary.extend([
        format!(
            "SealedSecret `{}` ({}), sealed for {namespace}/{name}, mirrored by Reflector to namespace `{}`",
            names.secret, names.sealed_file, names.app_namespace
        ),
        format!(
            "role `{}` (login, password from `{}`) in Cluster `{}` ({})",
            names.role,
            names.secret,
            config.cluster,
            project.path(cluster.file)
        ),
        format!(
            "Database `{}` owned by `{}` ({})",
            names.database, names.role, names.database_file
        ),
    ]);
    Ok(Plan {
        changes,
        after,
        summary,
    })
}

/// What `pglint seal` is asked for.
#[derive(Debug, Clone)]
pub struct SealRequest {
    pub name: String,
    pub namespace: Option<String>,
    pub key: String,
}

/// The change that re-seals one value of an existing SealedSecret, under its own scope, for
/// the namespace and name it has once deployed.
pub fn plan_seal(
    root: &Path,
    config: &Config,
    project: &Project,
    request: &SealRequest,
    value: &Zeroizing<Vec<u8>>,
) -> Result<(Changed, String), String> {
    check_secret_key(&request.key)?;
    let namespace = request.namespace.as_deref().unwrap_or(&config.namespace);
    let found: Vec<&Object> = project
        .sources()
        .map(|(_, obj)| obj)
        .filter(|obj| {
            matches!(obj.spec, Spec::SealedSecret(_))
                && obj.name() == Some(request.name.as_str())
                && obj.namespace_str().is_none_or(|ns| ns == namespace)
        })
        .collect();
    let obj = match found.as_slice() {
        [obj] => *obj,
        [] => {
            return Err(format!(
                "no SealedSecret `{}` in namespace `{namespace}` in the repository",
                request.name
            ));
        }
        several => {
            return Err(format!(
                "several SealedSecrets `{}` in namespace `{namespace}`: {}",
                request.name,
                several
                    .iter()
                    .map(|o| at(project, o))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    };
    let Spec::SealedSecret(sealed) = &obj.spec else {
        unreachable!("filtered above");
    };
    let path = project.path(obj.file);
    let scope = sealed.scope(&obj.meta);
    let (namespace, name) = deployed_identity(project, config, path, (namespace, &request.name))?;
    let key = sealing_key(root, config)?;
    let ciphertext = key.seal(value, scope, &namespace, &name)?;
    let text = project.text(obj.file).as_str();
    let parsed = parse(text, &config.limits);
    let yaml = YamlFile::new(obj.file, text, &parsed);
    let cannot = |why: &str| format!("cannot edit {path} safely: {why}");
    let encrypted = yaml
        .document(obj.document)
        .and_then(|root| root.path(&["spec", "encryptedData"]))
        .filter(|node| node.is_mapping())
        .ok_or_else(|| cannot("it has no `spec.encryptedData` mapping"))?;
    let edit = match encrypted.get(&request.key) {
        Some(node) if node.scalar().is_some() => yaml.replace(node, ciphertext),
        Some(_) => return Err(cannot(&format!("`{}` is not a single value", request.key))),
        None => yaml
            .insert_entry(encrypted, &request.key, &ciphertext)
            .ok_or_else(|| {
                cannot("`spec.encryptedData` is written in a style pglint cannot extend")
            })?,
    };
    let change = crate::fix::apply_edits(root, project, &[edit])?
        .pop()
        .ok_or_else(|| cannot("nothing to change"))?;
    let scope_name = match scope {
        Scope::Strict => "strict scope",
        Scope::NamespaceWide => "namespace-wide",
        Scope::ClusterWide => "cluster-wide",
    };
    Ok((
        change,
        format!(
            "sealed `{}` of SealedSecret {namespace}/{name} ({scope_name}) into {path}",
            request.key
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_are_dns_labels() {
        for good in ["gitea", "home-assistant", "a1", "x"] {
            assert!(dns_label(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Gitea",
            "home_assistant",
            "-x",
            "x-",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(dns_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_follow_the_sop() {
        let names = Names::new(
            &Config::default(),
            &NewApp {
                app: "home-assistant".into(),
                ..NewApp::default()
            },
        )
        .unwrap();
        assert_eq!(names.role, "home_assistant_user");
        assert_eq!(names.database, "home_assistant");
        assert_eq!(names.secret, "home-assistant-db-creds");
        assert_eq!(names.app_namespace, "home-assistant");
        assert_eq!(
            names.sealed_file,
            "infra/databases/postgres/home-assistant-secrets-sealed.yaml"
        );
        assert_eq!(
            names.database_file,
            "infra/databases/postgres/home-assistant-db.yaml"
        );
        let reserved = Names::new(
            &Config::default(),
            &NewApp {
                app: "x".into(),
                role: Some("postgres".into()),
                ..NewApp::default()
            },
        );
        assert!(reserved.unwrap_err().contains("reserved"));
    }

    #[test]
    fn secret_keys_as_kubernetes_accepts_them() {
        for good in ["password", "tls.crt", "A_b-1", ".env"] {
            assert!(check_secret_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "..x",
            "a b",
            "pass/word",
            "ключ",
            &"k".repeat(254),
        ] {
            assert!(check_secret_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_table_entry_keeps_every_other_byte() {
        let entry = "home-assistant = \"home\"";
        assert_eq!(
            with_table_entry("", "app-namespaces", entry),
            "[app-namespaces]\nhome-assistant = \"home\"\n"
        );
        assert_eq!(
            with_table_entry("[sop]\r\ncluster = \"pg\"", "app-namespaces", entry),
            "[sop]\r\ncluster = \"pg\"\r\n\r\n[app-namespaces]\r\nhome-assistant = \"home\"\r\n"
        );
        let text =
            "[app-namespaces]  # odd ones\ngitea = \"git\" # why\n\n# next\n[rules]\nx = 1\n";
        assert_eq!(
            with_table_entry(text, "app-namespaces", entry),
            "[app-namespaces]  # odd ones\ngitea = \"git\" # why\nhome-assistant = \"home\"\n\n# next\n[rules]\nx = 1\n"
        );
    }
}
