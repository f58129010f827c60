//! The comparisons of `pglint verify`: the intent the index holds for one cluster against the
//! live catalogue rows and Kubernetes objects, as [`Diagnostic`]s located at the Git node that
//! declared the intent, the live value in the message.

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Finding, Severity, Subject};
use crate::hash::HashSet;
use crate::index::{Index, InstanceId, SecretSource};
use crate::model::reflector::{
    ALLOWED, ALLOWED_NAMESPACES, AUTO_ENABLED, AUTO_NAMESPACES, Pattern, dotnet_bool, list_entries,
    opaque, reflector, secret_meta,
};
use crate::model::{Cluster, Database, Object, Role, is_unknowable};
use crate::rules::RuleId;
use crate::source::{Loc, Spanned};

use super::kube::KubeObjects;
use super::live::{Catalogue, LiveRole};

/// The cluster verify compares with: an instance of the index.
#[derive(Debug, Clone, Copy)]
pub struct Target<'p> {
    pub id: InstanceId,
    pub object: &'p Object,
    pub cluster: &'p Cluster,
}

impl Target<'_> {
    pub fn name(&self) -> &str {
        self.object.name().unwrap_or("<unnamed>")
    }

    /// The namespace it lands in (the SOP namespace when the repository leaves it unset).
    pub fn namespace<'c>(&'c self, config: &'c Config) -> &'c str {
        self.object
            .namespace_str()
            .unwrap_or(config.namespace.as_str())
    }
}

/// What is live: the catalogues, the Kubernetes objects, or both.
#[derive(Debug, Clone, Copy, Default)]
pub struct Live<'a> {
    pub catalogue: Option<&'a Catalogue>,
    pub kube: Option<&'a KubeObjects>,
}

/// Roles PostgreSQL and CloudNativePG make themselves: never drift.
pub fn builtin_role(name: &str) -> bool {
    name.starts_with("pg_")
        || name.starts_with("cnpg_")
        || name == "postgres"
        || name == "streaming_replica"
}

/// Databases every cluster has: never drift.
pub fn builtin_database(name: &str) -> bool {
    matches!(name, "postgres" | "template0" | "template1")
}

struct Out<'c> {
    config: &'c Config,
    project: &'c crate::project::Project,
    diagnostics: Vec<Diagnostic>,
}

impl Out<'_> {
    /// Adds the finding at its rule's severity, its subject the field it points at.
    fn push(&mut self, rule: RuleId, finding: Finding) {
        let Some(severity) = crate::engine::lint::severity_of(rule, self.config) else {
            return;
        };
        let subject = Subject::of_node(self.project, finding.loc);
        let finding = finding.subject(subject);
        self.diagnostics.push(Diagnostic {
            rule,
            severity: finding.at_most.map_or(severity, |cap| severity.min(cap)),
            finding,
        });
    }
}

/// The roles the repository declares on the cluster: its managed roles, then its
/// DatabaseRoles (the Cluster wins a name both declare); templated names left out.
fn declared_roles<'p>(index: &Index<'p>, target: &Target<'p>) -> Vec<&'p Role> {
    let mut seen: HashSet<&str> = HashSet::default();
    let mut roles = Vec::new();
    let database_roles = index
        .database_roles_of(target.id)
        .filter(|(id, _)| applied_together(index, target.id, *id))
        .map(|(_, r)| &r.role);
    for role in target.cluster.roles.iter().chain(database_roles) {
        if let Some(name) = role.name_str().filter(|n| !is_unknowable(n))
            && seen.insert(name)
        {
            roles.push(role);
        }
    }
    roles
}

/// The Databases of the cluster (one per PostgreSQL database: the first), templated names
/// left out.
fn declared_databases<'p>(
    index: &Index<'p>,
    target: &Target<'p>,
) -> Vec<(InstanceId, &'p Object, &'p Database)> {
    let mut seen: HashSet<&str> = HashSet::default();
    let mut databases = Vec::new();
    for (id, database) in index.databases_on(target.id) {
        if !applied_together(index, target.id, id) {
            continue;
        }
        if let Some(name) = database
            .name
            .as_ref()
            .map(|n| n.as_str())
            .filter(|n| !is_unknowable(n))
            && seen.insert(name)
        {
            databases.push((id, index.object(id), database));
        }
    }
    databases
}

/// Two instances of different deployments land in different clusters; one that no
/// deployment applies may land anywhere.
fn applied_together(index: &Index<'_>, a: InstanceId, b: InstanceId) -> bool {
    match (index.instance(a).deployment, index.instance(b).deployment) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Every finding of the comparison, unsorted.
pub fn compare(
    index: &Index<'_>,
    config: &Config,
    target: &Target<'_>,
    live: Live<'_>,
) -> Vec<Diagnostic> {
    let mut out = Out {
        config,
        project: index.project(),
        diagnostics: Vec::new(),
    };
    let roles = declared_roles(index, target);
    let databases = declared_databases(index, target);
    if let Some(catalogue) = live.catalogue {
        compare_roles(&mut out, target, &roles, catalogue, config);
        compare_databases(&mut out, &databases, catalogue);
        drift(&mut out, target, &roles, &databases, catalogue, config);
    }
    if let Some(kube) = live.kube {
        compare_cluster_status(&mut out, target, &roles, kube, config);
        compare_database_status(&mut out, &databases, kube, config);
        compare_secrets(&mut out, index, target, &roles, kube, config);
    }
    out.diagnostics
}

fn role_name(role: &Role) -> &str {
    role.name_str().unwrap_or("<unnamed>")
}

fn compare_roles(
    out: &mut Out<'_>,
    target: &Target<'_>,
    roles: &[&Role],
    catalogue: &Catalogue,
    config: &Config,
) {
    for role in roles {
        let Some(name) = &role.name else { continue };
        let live = catalogue.role(name.as_str());
        if role.is_absent() {
            if live.is_some() {
                let at = role.ensure.as_ref().map_or(name.loc, |e| e.loc);
                out.push(
                    RuleId::LiveAbsentExists,
                    Finding::new(
                        at,
                        format!(
                            "role `{}` is declared `ensure: absent` but exists in PostgreSQL",
                            name.as_str()
                        ),
                    )
                    .label("still exists live")
                    .help("CNPG cannot drop a role that owns objects: read `status.managedRolesStatus.cannotReconcile`, reassign or drop what it owns"),
                );
            }
            continue;
        }
        let Some(live) = live else {
            out.push(
                RuleId::LiveRoleMissing,
                Finding::new(
                    name.loc,
                    format!("role `{}` does not exist in PostgreSQL", name.as_str()),
                )
                .label("no such role live")
                .help(format!(
                    "CNPG creates it when cluster `{}` reconciles: read its `status.managedRolesStatus` (`pglint verify --kube-objects`, `kubectl cnpg status {} -v`)",
                    target.name(),
                    target.name()
                )),
            );
            continue;
        };
        compare_attributes(out, role, live, config);
        compare_membership(out, role, live);
    }
}

/// A boolean role attribute: its field, SQL keyword and CNPG default.
struct Flag<'r> {
    field: &'static str,
    keyword: &'static str,
    declared: &'r Option<Spanned<bool>>,
    default: bool,
    live: bool,
}

fn compare_attributes(out: &mut Out<'_>, role: &Role, live: &LiveRole, config: &Config) {
    let name = role_name(role);
    let name_loc = role.name.as_ref().map_or(role.loc, |n| n.loc);
    let flags = [
        Flag {
            field: "login",
            keyword: "LOGIN",
            declared: &role.login,
            default: false,
            live: live.login,
        },
        Flag {
            field: "superuser",
            keyword: "SUPERUSER",
            declared: &role.superuser,
            default: false,
            live: live.superuser,
        },
        Flag {
            field: "createdb",
            keyword: "CREATEDB",
            declared: &role.createdb,
            default: false,
            live: live.createdb,
        },
        Flag {
            field: "createrole",
            keyword: "CREATEROLE",
            declared: &role.createrole,
            default: false,
            live: live.createrole,
        },
        Flag {
            field: "replication",
            keyword: "REPLICATION",
            declared: &role.replication,
            default: false,
            live: live.replication,
        },
        Flag {
            field: "bypassrls",
            keyword: "BYPASSRLS",
            declared: &role.bypassrls,
            default: false,
            live: live.bypassrls,
        },
        Flag {
            field: "inherit",
            keyword: "INHERIT",
            declared: &role.inherit,
            default: true,
            live: live.inherit,
        },
    ];
    for flag in flags {
        let (want, at, declared) = match flag.declared {
            Some(value) => (
                value.value,
                value.loc,
                format!("`{}: {}`", flag.field, value.value),
            ),
            None => (
                flag.default,
                name_loc,
                format!("no `{}` (CNPG's default: {})", flag.field, flag.default),
            ),
        };
        if want == flag.live {
            continue;
        }
        let keyword = if flag.live {
            flag.keyword.to_string()
        } else {
            format!("NO{}", flag.keyword)
        };
        let message = match (flag.field, flag.live) {
            ("login", false) => format!(
                "role `{name}` exists but cannot log in (NOLOGIN in PostgreSQL), while the repository declares {declared}"
            ),
            _ => format!(
                "role `{name}` is {keyword} in PostgreSQL, while the repository declares {declared}"
            ),
        };
        out.push(
            RuleId::LiveRoleAttributes,
            Finding::new(at, message)
                .label(format!("live: {keyword}"))
                .help(format!(
                    "make them agree: `ALTER ROLE \"{name}\" {}` (or any change to the Cluster's spec, which makes CNPG reconcile the role), or change the YAML",
                    if want { flag.keyword.to_string() } else { format!("NO{}", flag.keyword) }
                )),
        );
    }
    let (limit, at, declared) = match &role.connection_limit {
        Some(limit) => (
            limit.value,
            limit.loc,
            format!("`connectionLimit: {}`", limit.value),
        ),
        None => (-1, name_loc, "no `connectionLimit` (no limit)".to_string()),
    };
    if limit != live.connection_limit {
        let live_text = if live.connection_limit == -1 {
            "no connection limit".to_string()
        } else {
            format!("CONNECTION LIMIT {}", live.connection_limit)
        };
        out.push(
            RuleId::LiveRoleAttributes,
            Finding::new(
                at,
                format!(
                    "role `{name}` has {live_text} in PostgreSQL, while the repository declares {declared}"
                ),
            )
            .label(format!("live: {live_text}"))
            .help(format!(
                "make them agree: `ALTER ROLE \"{name}\" CONNECTION LIMIT {limit}`, or change the YAML"
            )),
        );
    }
    // A `validUntil` pglint cannot read (templated, malformed) is not compared.
    let declared_expiry = match &role.valid_until {
        None => Some(None),
        Some(value) if is_unknowable(value.as_str()) => None,
        Some(_) => role.valid_until_epoch().map(Some),
    };
    if let Some(expiry) = declared_expiry
        && expiry != live.valid_until
    {
        let show = |at: Option<i64>| match at {
            None => "no expiry".to_string(),
            Some(i64::MIN..=-9_000_000_000_000_000_000) => "VALID UNTIL '-infinity'".to_string(),
            Some(seconds) => format!(
                "VALID UNTIL {}",
                crate::model::time::format_rfc3339(seconds)
            ),
        };
        let (at, declared) = match &role.valid_until {
            Some(value) => (value.loc, format!("`validUntil: {}`", value.as_str())),
            None => (name_loc, "no `validUntil` (no expiry)".to_string()),
        };
        let expired = live.valid_until.is_some_and(|t| t <= config.clock.now());
        out.push(
            RuleId::LiveRoleAttributes,
            Finding::new(
                at,
                format!(
                    "role `{name}` is {}{} in PostgreSQL, while the repository declares {declared}",
                    show(live.valid_until),
                    if expired { " (expired)" } else { "" }
                ),
            )
            .label(format!("live: {}", show(live.valid_until)))
            .help(format!(
                "make them agree: `ALTER ROLE \"{name}\" VALID UNTIL '{}'`, or change the YAML",
                expiry.map_or_else(
                    || "infinity".to_string(),
                    crate::model::time::format_rfc3339
                )
            )),
        );
    }
}

fn compare_membership(out: &mut Out<'_>, role: &Role, live: &LiveRole) {
    let name = role_name(role);
    if role.in_roles.iter().any(|r| is_unknowable(r.as_str())) {
        return;
    }
    for wanted in &role.in_roles {
        if !live.member_of.iter().any(|m| m == wanted.as_str()) {
            out.push(
                RuleId::LiveRoleMembership,
                Finding::new(
                    wanted.loc,
                    format!(
                        "role `{name}` is not a member of `{}` in PostgreSQL, while its `inRoles` lists it",
                        wanted.as_str()
                    ),
                )
                .label("not granted live")
                .help(format!(
                    "read `status.managedRolesStatus.cannotReconcile` for `{name}` (a role that does not exist cannot be granted), or `GRANT \"{}\" TO \"{name}\"`",
                    wanted.as_str()
                )),
            );
        }
    }
    let at = role
        .in_roles
        .first()
        .map(|r| r.loc)
        .or(role.name.as_ref().map(|n| n.loc))
        .unwrap_or(role.loc);
    for member_of in &live.member_of {
        if !role.is_member_of(member_of) {
            out.push(
                RuleId::LiveRoleMembership,
                Finding::new(
                    at,
                    format!(
                        "role `{name}` is a member of `{member_of}` in PostgreSQL, which its `inRoles` does not list"
                    ),
                )
                .label(format!("live: also a member of `{member_of}`"))
                .help(format!(
                    "CNPG revokes memberships `inRoles` does not list when it reconciles the role: add `{member_of}` to `inRoles`, or `REVOKE \"{member_of}\" FROM \"{name}\"`"
                )),
            );
        }
    }
}

fn compare_databases(
    out: &mut Out<'_>,
    databases: &[(InstanceId, &Object, &Database)],
    catalogue: &Catalogue,
) {
    for (_, obj, database) in databases {
        let Some(name) = &database.name else { continue };
        let live = catalogue.database(name.as_str());
        if database.is_absent() {
            if live.is_some() {
                let at = database.ensure.as_ref().map_or(name.loc, |e| e.loc);
                out.push(
                    RuleId::LiveAbsentExists,
                    Finding::new(
                        at,
                        format!(
                            "{} declares database `{}` `ensure: absent`, but it exists in PostgreSQL",
                            obj.display_name(),
                            name.as_str()
                        ),
                    )
                    .label("still exists live")
                    .help("read the Database's `status.message` (`pglint verify --kube-objects`): CNPG drops it when the object reconciles"),
                );
            }
            continue;
        }
        let Some(live) = live else {
            out.push(
                RuleId::LiveDatabaseMissing,
                Finding::new(
                    name.loc,
                    format!("database `{}` does not exist in PostgreSQL", name.as_str()),
                )
                .label("no such database live")
                .help(format!(
                    "read the Database's status: `kubectl get databases.postgresql.cnpg.io {} -n NAMESPACE` (`pglint verify --kube-objects`)",
                    obj.name().unwrap_or("NAME")
                )),
            );
            continue;
        };
        let Some(owner) = database
            .owner
            .as_ref()
            .filter(|o| !is_unknowable(o.as_str()) && !o.as_str().is_empty())
        else {
            continue;
        };
        if live.owner != owner.as_str() {
            out.push(
                RuleId::LiveDatabaseOwner,
                Finding::new(
                    owner.loc,
                    format!(
                        "database `{}` is owned by `{}` in PostgreSQL, not by `{}`",
                        name.as_str(),
                        live.owner,
                        owner.as_str()
                    ),
                )
                .label(format!("live owner: `{}`", live.owner))
                .help(format!(
                    "`ALTER DATABASE \"{}\" OWNER TO \"{}\"`, or change any field of {} so that CNPG reconciles it",
                    name.as_str(),
                    owner.as_str(),
                    obj.display_name()
                )),
            );
        }
    }
}

/// Matches a name against the configured unmanaged names (globs: `*`, `?`, `[…]`).
fn unmanaged(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|pattern| {
        pattern == name
            || globset::Glob::new(pattern)
                .map(|g| g.compile_matcher().is_match(name))
                .unwrap_or(false)
    })
}

fn drift(
    out: &mut Out<'_>,
    target: &Target<'_>,
    roles: &[&Role],
    databases: &[(InstanceId, &Object, &Database)],
    catalogue: &Catalogue,
    config: &Config,
) {
    let at = target
        .cluster
        .roles_loc
        .unwrap_or_else(|| target.object.anchor());
    let bootstrap = &target.cluster.bootstrap;
    let declared_role =
        |name: &str| roles.iter().any(|r| r.name_str() == Some(name)) || bootstrap.owner == name;
    for live in &catalogue.roles {
        let name = live.name.as_str();
        if builtin_role(name)
            || declared_role(name)
            || unmanaged(&config.verify.unmanaged_roles, name)
        {
            continue;
        }
        let mut attributes: Vec<&str> = Vec::new();
        for (set, keyword) in [
            (live.login, "LOGIN"),
            (live.superuser, "SUPERUSER"),
            (live.createdb, "CREATEDB"),
            (live.createrole, "CREATEROLE"),
            (live.replication, "REPLICATION"),
            (live.bypassrls, "BYPASSRLS"),
        ] {
            if set {
                attributes.push(keyword);
            }
        }
        let attributes = if attributes.is_empty() {
            String::new()
        } else {
            format!(" ({})", attributes.join(", "))
        };
        out.push(
            RuleId::LiveDrift,
            Finding::new(
                at,
                format!(
                    "role `{name}`{attributes} exists in PostgreSQL, but cluster `{}` does not declare it",
                    target.name()
                ),
            )
            .label("not declared here")
            .help("declare it in `spec.managed.roles`, drop it, or list it in `[verify] unmanaged-roles` of pglint.toml when something else manages it"),
        );
    }
    let declared_database = |name: &str| {
        databases
            .iter()
            .any(|(_, _, d)| d.name.as_ref().is_some_and(|n| n.as_str() == name))
            || bootstrap.database == name
    };
    for live in &catalogue.databases {
        let name = live.name.as_str();
        if builtin_database(name)
            || declared_database(name)
            || unmanaged(&config.verify.unmanaged_databases, name)
        {
            continue;
        }
        out.push(
            RuleId::LiveDrift,
            Finding::new(
                at,
                format!(
                    "database `{name}` (owner `{}`) exists in PostgreSQL, but no Database of cluster `{}` declares it",
                    live.owner,
                    target.name()
                ),
            )
            .label("not declared here")
            .help("declare it with a Database object, drop it, or list it in `[verify] unmanaged-databases` of pglint.toml"),
        );
    }
}

fn compare_cluster_status(
    out: &mut Out<'_>,
    target: &Target<'_>,
    roles: &[&Role],
    kube: &KubeObjects,
    config: &Config,
) {
    let namespace = target.namespace(config);
    let Some(live) = kube.cluster(namespace, target.name()) else {
        if !kube.clusters.is_empty() {
            out.push(
                RuleId::LiveNotSynced,
                Finding::new(
                    target.object.anchor(),
                    format!(
                        "Cluster `{namespace}/{}` is not among the Kubernetes objects given",
                        target.name()
                    ),
                )
                .label("not in the cluster")
                .help("sync the Application that applies it; `pglint deployments` shows what applies this file"),
            );
        }
        return;
    };
    let pending = live
        .roles
        .by_status
        .get("pending-reconciliation")
        .map(Vec::as_slice)
        .unwrap_or_default();
    for role in roles {
        let Some(name) = &role.name else { continue };
        let at = if role.is_absent() {
            role.ensure.as_ref().map_or(name.loc, |e| e.loc)
        } else {
            name.loc
        };
        if let Some(causes) = live.roles.cannot_reconcile.get(name.as_str()) {
            out.push(
                RuleId::LiveNotReconciled,
                Finding::new(
                    at,
                    format!(
                        "CNPG cannot reconcile role `{}`: {}",
                        name.as_str(),
                        if causes.is_empty() {
                            "no cause given".to_string()
                        } else {
                            causes.join("; ")
                        }
                    ),
                )
                .label("cannot be reconciled")
                .help("fix the cause; CNPG retries on every reconciliation of the Cluster"),
            );
        } else if pending.iter().any(|p| p == name.as_str()) {
            out.push(
                RuleId::LiveNotReconciled,
                Finding::new(
                    at,
                    format!(
                        "role `{}` is pending reconciliation in cluster `{}`",
                        name.as_str(),
                        target.name()
                    ),
                )
                .label("pending reconciliation")
                .help("wait for the next reconciliation; a role that stays pending usually waits for its password Secret")
                .at_most(Severity::Warning),
            );
        }
    }
}

fn compare_database_status(
    out: &mut Out<'_>,
    databases: &[(InstanceId, &Object, &Database)],
    kube: &KubeObjects,
    config: &Config,
) {
    for (_, obj, _) in databases {
        let Some(name) = obj.name() else { continue };
        let namespace = obj.namespace_str().unwrap_or(config.namespace.as_str());
        let Some(live) = kube.database(namespace, name) else {
            if !kube.databases.is_empty() {
                out.push(
                    RuleId::LiveNotSynced,
                    Finding::new(
                        obj.anchor(),
                        format!(
                            "Database `{namespace}/{name}` is not among the Kubernetes objects given"
                        ),
                    )
                    .label("not in the cluster")
                    .help("sync the Application that applies it; `pglint deployments` shows what applies this file"),
                );
            }
            continue;
        };
        let message = live
            .message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(|m| format!(": {}", m.trim()));
        match live.applied {
            Some(true) => {
                if let (Some(generation), Some(observed)) =
                    (live.generation, live.observed_generation)
                    && observed < generation
                {
                    out.push(
                        RuleId::LiveNotReconciled,
                        Finding::new(
                            obj.anchor(),
                            format!(
                                "Database `{namespace}/{name}` has not reconciled its latest change yet (generation {generation}, observed {observed})"
                            ),
                        )
                        .label("not reconciled yet")
                        .help("wait for CNPG; a Database that stays behind means its operator is not running")
                        .at_most(Severity::Warning),
                    );
                }
            }
            Some(false) => out.push(
                RuleId::LiveNotReconciled,
                Finding::new(
                    obj.anchor(),
                    format!(
                        "Database `{namespace}/{name}` is not applied{}",
                        message.as_deref().unwrap_or(" (no message)")
                    ),
                )
                .label("applied: false")
                .help("fix what the message names; CNPG retries every 30 seconds"),
            ),
            None => out.push(
                RuleId::LiveNotReconciled,
                Finding::new(
                    obj.anchor(),
                    format!(
                        "Database `{namespace}/{name}` has not been reconciled yet{}",
                        message.as_deref().unwrap_or_default()
                    ),
                )
                .label("no status.applied")
                .help("a Database with no status names a cluster that does not exist in its namespace, or its cluster is a replica")
                .at_most(Severity::Warning),
            ),
        }
    }
}

/// The namespaces Reflector copies a Secret into that its annotations name outright (auto
/// reflection to plain names), each with the annotation value naming it.
fn reflection_targets(meta: &crate::model::Metadata) -> Vec<(String, Loc)> {
    let enabled = |key: &str| {
        reflector(meta, key)
            .and_then(|a| dotnet_bool(&a.value.value))
            .unwrap_or(false)
    };
    if !enabled(ALLOWED) || !enabled(AUTO_ENABLED) {
        return Vec::new();
    }
    let list = |key: &str| {
        reflector(meta, key).filter(|a| !a.value.value.trim().is_empty() && !opaque(&a.value.value))
    };
    let allowed = list(ALLOWED_NAMESPACES);
    let Some(naming) = list(AUTO_NAMESPACES).or(allowed) else {
        return Vec::new();
    };
    let admitted = |namespace: &str| {
        allowed.is_none_or(|a| {
            list_entries(&a.value.value)
                .into_iter()
                .filter(|e| !e.is_empty())
                .any(|e| Pattern::parse(e).ok().and_then(|p| p.matches(namespace)) == Some(true))
        })
    };
    list_entries(&naming.value.value)
        .into_iter()
        .filter(|e| !e.is_empty())
        .filter_map(|e| Pattern::parse(e).ok()?.literal())
        .filter(|namespace| admitted(namespace))
        .map(|namespace| (namespace, naming.value.loc))
        .collect()
}

fn compare_secrets(
    out: &mut Out<'_>,
    index: &Index<'_>,
    target: &Target<'_>,
    roles: &[&Role],
    kube: &KubeObjects,
    config: &Config,
) {
    let namespace = target.namespace(config);
    let mut seen: HashSet<&str> = HashSet::default();
    for used in index.checked_uses() {
        let Some(role) = (match used.kind {
            crate::index::UserKind::Managed(role) | crate::index::UserKind::DatabaseRole(role) => {
                Some(role)
            }
            crate::index::UserKind::Bootstrap => None,
        }) else {
            continue;
        };
        // Only the roles of this cluster (the first declaration of each name).
        if !roles.iter().any(|r| std::ptr::eq(*r, role)) {
            continue;
        }
        let secret = used.name.as_str();
        if !seen.insert(secret) {
            continue;
        }
        let sources = index.resolve_secret(&used);
        let git_object = |source: SecretSource| index.object(source.object());
        // The SealedSecret that makes it, when one does.
        let mut sealed_failed = false;
        for source in &sources {
            let SecretSource::Sealed(_) = *source else {
                continue;
            };
            let obj = git_object(*source);
            match kube.sealed_secret(namespace, secret) {
                None if !kube.sealed_secrets.is_empty() => out.push(
                    RuleId::LiveNotSynced,
                    Finding::new(
                        obj.anchor(),
                        format!(
                            "SealedSecret `{namespace}/{secret}` is not among the Kubernetes objects given"
                        ),
                    )
                    .label("not in the cluster")
                    .help("sync the Application that applies it; `pglint deployments` shows what applies this file"),
                ),
                None => {}
                Some(live) => {
                    if let Some(failed) = live
                        .conditions
                        .iter()
                        .find(|c| c.kind == "Synced" && c.status == "False")
                    {
                        sealed_failed = true;
                        out.push(
                            RuleId::LiveSealedSecretFailed,
                            Finding::new(
                                obj.anchor(),
                                format!(
                                    "the sealed-secrets controller cannot unseal SealedSecret `{namespace}/{secret}`: {}",
                                    failed
                                        .message
                                        .as_deref()
                                        .or(failed.reason.as_deref())
                                        .unwrap_or("no message")
                                        .trim()
                                ),
                            )
                            .label("Synced: False")
                            .help(format!(
                                "seal the values again for `{namespace}/{secret}` with the cluster's certificate (`pglint seal --name {secret} --key password`)"
                            )),
                        );
                    }
                }
            }
        }
        let anchor = sources
            .first()
            .map_or(used.loc(), |s| git_object(*s).anchor());
        let Some(live) = kube.secret(namespace, secret) else {
            if !kube.secrets.is_empty() && !sealed_failed {
                let made_by = sources
                    .first()
                    .map(|s| format!(" ({} in the repository)", git_object(*s).display_name()))
                    .unwrap_or_default();
                out.push(
                    RuleId::LiveSecretMissing,
                    Finding::new(
                        anchor,
                        format!(
                            "Secret `{namespace}/{secret}`, the password of role `{}`, does not exist in the cluster{made_by}",
                            role_name(role)
                        ),
                    )
                    .label("no such Secret live")
                    .related(used.loc(), format!("role `{}` reads its password from it", role_name(role)))
                    .help("sync the object that makes it (a SealedSecret: read its `status.conditions`)"),
                );
            }
            continue;
        };
        let missing: Vec<&str> = ["username", "password"]
            .into_iter()
            .filter(|key| !live.keys.iter().any(|k| k == key))
            .collect();
        if !missing.is_empty() {
            out.push(
                RuleId::LiveSecretMissing,
                Finding::new(
                    anchor,
                    format!(
                        "Secret `{namespace}/{secret}` has no `{}` key in the cluster (it has {})",
                        missing.join("` or `"),
                        if live.keys.is_empty() {
                            "none".to_string()
                        } else {
                            live.keys
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                )
                .label("key missing live")
                .related(
                    used.loc(),
                    format!("role `{}` reads its password from it", role_name(role)),
                )
                .help("seal it again with both `username` and `password`"),
            );
        }
        // Reflector's copies, for what the repository's object says.
        for source in &sources {
            let obj = git_object(*source);
            let Some(meta) = secret_meta(obj) else {
                continue;
            };
            for (copy_namespace, at) in reflection_targets(meta) {
                if copy_namespace == namespace {
                    continue;
                }
                let expected = format!("{namespace}/{secret}");
                let message = match kube.secret(&copy_namespace, secret) {
                    None => format!(
                        "Secret `{expected}` is not reflected into namespace `{copy_namespace}`: there is no `{copy_namespace}/{secret}`"
                    ),
                    Some(copy) if copy.reflects.as_deref() != Some(expected.as_str()) => format!(
                        "`{copy_namespace}/{secret}` exists but is not Reflector's copy of `{expected}`{}, and Reflector does not overwrite it",
                        copy.reflects
                            .as_deref()
                            .map(|r| format!(" (it reflects `{r}`)"))
                            .unwrap_or_default()
                    ),
                    Some(_) => continue,
                };
                out.push(
                    RuleId::LiveSecretNotReflected,
                    Finding::new(at, message)
                        .label(format!("names `{copy_namespace}`"))
                        .help("check that Reflector runs and reads these annotations on the Secret; delete a hand-made Secret of the same name in that namespace"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Level;
    use crate::deploy::Deploy;
    use crate::project::Project;
    use crate::verify::kube::KubeObjects;
    use crate::verify::live::LiveDatabase;

    const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
  namespace: postgres
spec:
  bootstrap:
    initdb:
      database: app
  managed:
    roles:
      - name: grafana_user
        login: true
        inherit: false
        connectionLimit: 5
        validUntil: \"2030-01-01T00:00:00Z\"
        inRoles: [pg_monitor, readers]
        passwordSecret:
          name: grafana-db-creds
      - name: readers
      - name: old_user
        ensure: absent
";

    const DATABASES: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: grafana-db
  namespace: postgres
spec:
  name: grafana
  owner: grafana_user
  cluster:
    name: pg
---
apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: old-db
  namespace: postgres
spec:
  name: old
  owner: readers
  ensure: absent
  cluster:
    name: pg
";

    const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: grafana-db-creds
  namespace: postgres
  annotations:
    reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"
    reflector.v1.k8s.emberstack.com/reflection-auto-enabled: \"true\"
    reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: \"grafana,monitoring-.*\"
type: kubernetes.io/basic-auth
stringData:
  username: grafana_user
  password: not-a-real-one
";

    fn role(name: &str) -> LiveRole {
        LiveRole {
            name: name.into(),
            superuser: false,
            inherit: true,
            createrole: false,
            createdb: false,
            login: false,
            replication: false,
            bypassrls: false,
            connection_limit: -1,
            valid_until: None,
            member_of: Vec::new(),
        }
    }

    fn role_named<'c>(live: &'c mut Catalogue, name: &str) -> &'c mut LiveRole {
        live.roles.iter_mut().find(|r| r.name == name).unwrap()
    }

    fn matching() -> Catalogue {
        let grafana = LiveRole {
            login: true,
            inherit: false,
            connection_limit: 5,
            valid_until: crate::model::time::parse_rfc3339("2030-01-01T00:00:00Z"),
            member_of: vec!["pg_monitor".into(), "readers".into()],
            ..role("grafana_user")
        };
        Catalogue {
            server_version: "17".into(),
            roles: vec![
                role("postgres"),
                role("streaming_replica"),
                role("cnpg_pooler_pgbouncer"),
                role("pg_monitor"),
                role("app"),
                grafana,
                role("readers"),
            ],
            databases: ["postgres", "template0", "template1", "app", "grafana"]
                .into_iter()
                .map(|name| LiveDatabase {
                    name: name.into(),
                    owner: if name == "grafana" {
                        "grafana_user"
                    } else {
                        "postgres"
                    }
                    .into(),
                })
                .collect(),
        }
    }

    /// The repository of these tests compared with `catalogue` and `kube`, sorted.
    fn compared(
        config: &Config,
        catalogue: Option<&Catalogue>,
        kube: Option<&KubeObjects>,
    ) -> (Project, Vec<Diagnostic>) {
        let files = [
            ("infra/pg.yaml", CLUSTER),
            ("infra/dbs.yaml", DATABASES),
            ("infra/secret.yaml", SECRET),
        ];
        let project = Project::from_texts(&files, config);
        let deploy = Deploy::build(&project, config);
        let index = Index::build(&project, config, &deploy);
        let target = crate::verify::choose_cluster(&index, config, None, None).unwrap();
        let mut diagnostics = compare(&index, config, &target, Live { catalogue, kube });
        crate::engine::lint::sort(&project, &mut diagnostics);
        (project, diagnostics)
    }

    /// `rule path:line message` of each finding.
    fn run(
        config: &Config,
        catalogue: Option<&Catalogue>,
        kube: Option<&KubeObjects>,
    ) -> Vec<String> {
        let (project, diagnostics) = compared(config, catalogue, kube);
        diagnostics
            .iter()
            .map(|d| {
                let at = project
                    .text(d.finding.loc.file)
                    .line_col(d.finding.loc.span.start());
                format!(
                    "{} {}:{} {}",
                    d.rule,
                    project.path(d.finding.loc.file),
                    at.line,
                    d.finding.message
                )
            })
            .collect()
    }

    #[test]
    fn a_matching_catalogue_is_clean() {
        assert_eq!(
            run(&Config::default(), Some(&matching()), None),
            Vec::<String>::new()
        );
    }

    #[test]
    fn attributes_memberships_expiry_and_absent_objects() {
        let mut live = matching();
        let grafana = role_named(&mut live, "grafana_user");
        grafana.inherit = true;
        grafana.connection_limit = -1;
        grafana.valid_until = Some(0);
        grafana.member_of = vec!["pg_monitor".into(), "pg_write_all_data".into()];
        live.roles.push(role("old_user"));
        live.databases.push(LiveDatabase {
            name: "old".into(),
            owner: "readers".into(),
        });
        live.roles.push(role("temp_1"));
        live.databases.push(LiveDatabase {
            name: "scratch".into(),
            owner: "postgres".into(),
        });
        assert_eq!(
            run(&Config::default(), Some(&live), None),
            [
                "live-absent-exists infra/dbs.yaml:20 Database `old-db` declares database `old` `ensure: absent`, but it exists in PostgreSQL",
                "live-drift infra/pg.yaml:11 database `scratch` (owner `postgres`) exists in PostgreSQL, but no Database of cluster `pg` declares it",
                "live-drift infra/pg.yaml:11 role `temp_1` exists in PostgreSQL, but cluster `pg` does not declare it",
                "live-role-attributes infra/pg.yaml:14 role `grafana_user` is INHERIT in PostgreSQL, while the repository declares `inherit: false`",
                "live-role-attributes infra/pg.yaml:15 role `grafana_user` has no connection limit in PostgreSQL, while the repository declares `connectionLimit: 5`",
                "live-role-attributes infra/pg.yaml:16 role `grafana_user` is VALID UNTIL 1970-01-01T00:00:00Z (expired) in PostgreSQL, while the repository declares `validUntil: 2030-01-01T00:00:00Z`",
                "live-role-membership infra/pg.yaml:17 role `grafana_user` is a member of `pg_write_all_data` in PostgreSQL, which its `inRoles` does not list",
                "live-role-membership infra/pg.yaml:17 role `grafana_user` is not a member of `readers` in PostgreSQL, while its `inRoles` lists it",
                "live-absent-exists infra/pg.yaml:22 role `old_user` is declared `ensure: absent` but exists in PostgreSQL",
            ]
        );
    }

    /// Live findings name their subject like `check`'s: the object and the field declared.
    #[test]
    fn live_findings_name_their_subject() {
        let mut live = matching();
        let grafana = role_named(&mut live, "grafana_user");
        grafana.connection_limit = -1;
        let (_, diagnostics) = compared(&Config::default(), Some(&live), None);
        let subjects: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                let subject = d
                    .finding
                    .subject
                    .as_ref()
                    .expect("every finding has a subject");
                format!("{} {}", subject.object, subject.path)
            })
            .collect();
        assert!(
            subjects
                .iter()
                .any(|s| s.ends_with("/pg spec.managed.roles[grafana_user].connectionLimit")),
            "{subjects:?}"
        );
    }

    #[test]
    fn unmanaged_names_and_levels_come_from_the_configuration() {
        let mut live = matching();
        live.roles.push(role("tmp_42"));
        live.roles.retain(|r| r.name != "readers");
        let mut config = Config::default();
        config.verify.unmanaged_roles = vec!["tmp_*".into()];
        config
            .levels
            .insert(RuleId::LiveRoleMissing, Level::On(Severity::Warning));
        config.levels.insert(RuleId::LiveRoleMembership, Level::Off);
        let project = Project::from_texts(&[("infra/pg.yaml", CLUSTER)], &config);
        let deploy = Deploy::build(&project, &config);
        let index = Index::build(&project, &config, &deploy);
        let target =
            crate::verify::choose_cluster(&index, &config, Some("postgres/pg"), None).unwrap();
        let diagnostics = compare(
            &index,
            &config,
            &target,
            Live {
                catalogue: Some(&live),
                kube: None,
            },
        );
        let found: Vec<(RuleId, Severity)> =
            diagnostics.iter().map(|d| (d.rule, d.severity)).collect();
        // `readers` is missing (a warning now), `tmp_42` is unmanaged, and `grafana` is drift:
        // only the Cluster file was given, so no Database declares it.
        assert_eq!(
            found,
            [
                (RuleId::LiveRoleMissing, Severity::Warning),
                (RuleId::LiveDrift, Severity::Warning),
            ]
        );
    }

    #[test]
    fn kube_objects_secrets_reflection_and_status() {
        let json = r#"{"kind":"List","apiVersion":"v1","items":[
          {"apiVersion":"v1","kind":"Secret","metadata":{"name":"grafana-db-creds","namespace":"postgres"},
           "data":{"username":"Z3JhZmFuYV91c2Vy"}},
          {"apiVersion":"v1","kind":"Secret","metadata":{"name":"grafana-db-creds","namespace":"grafana"},
           "data":{"username":"x","password":"y"}},
          {"apiVersion":"postgresql.cnpg.io/v1","kind":"Cluster","metadata":{"name":"pg","namespace":"postgres"},
           "status":{"managedRolesStatus":{"byStatus":{"reconciled":["grafana_user"],"pending-reconciliation":["readers"]},
             "cannotReconcile":{"old_user":["could not perform DELETE on role old_user: role \"old_user\" cannot be dropped because some objects depend on it"]}}}},
          {"apiVersion":"postgresql.cnpg.io/v1","kind":"Database","metadata":{"name":"grafana-db","namespace":"postgres","generation":1},
           "status":{"applied":false,"message":"while creating database \"grafana\": ERROR: role \"grafana_user\" does not exist (SQLSTATE 42704)","observedGeneration":1}}
        ]}"#;
        let kube = KubeObjects::parse(json).unwrap();
        assert_eq!(
            run(&Config::default(), None, Some(&kube)),
            [
                "live-not-reconciled infra/dbs.yaml:4 Database `postgres/grafana-db` is not applied: while creating database \"grafana\": ERROR: role \"grafana_user\" does not exist (SQLSTATE 42704)",
                "live-not-synced infra/dbs.yaml:15 Database `postgres/old-db` is not among the Kubernetes objects given",
                "live-not-reconciled infra/pg.yaml:20 role `readers` is pending reconciliation in cluster `pg`",
                "live-not-reconciled infra/pg.yaml:22 CNPG cannot reconcile role `old_user`: could not perform DELETE on role old_user: role \"old_user\" cannot be dropped because some objects depend on it",
                "live-secret-missing infra/secret.yaml:4 Secret `postgres/grafana-db-creds` has no `password` key in the cluster (it has `username`)",
                "live-secret-not-reflected infra/secret.yaml:9 `grafana/grafana-db-creds` exists but is not Reflector's copy of `postgres/grafana-db-creds`, and Reflector does not overwrite it",
            ]
        );
    }
}
