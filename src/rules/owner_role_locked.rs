use std::collections::BTreeMap;

use crate::diagnostic::Finding;
use crate::index::OwnerRef;
use crate::model::Role;
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Checks that the role an app logs in with can still connect: the owner of a `Database`
    /// (or, when the owner is a `NOLOGIN` group role, each login role with a `passwordSecret`
    /// that is a member of it through `inRoles`) must not set `connectionLimit: 0`, nor a
    /// `validUntil` that has passed while it logs in with a password. "Now" is the system
    /// clock, or the time in the environment variable `PGLINT_NOW` (RFC 3339), so a check
    /// can be repeated as of a given day.
    ///
    /// ## Why is this bad?
    /// CNPG writes both into the role as they are: `appendRoleOptions` adds
    /// `CONNECTION LIMIT <connectionLimit>` and `appendPasswordOption` adds
    /// `VALID UNTIL '<validUntil>'` to every `CREATE ROLE`/`ALTER ROLE`
    /// (`internal/management/controller/roles/postgres.go`). `RoleConfiguration` in
    /// `api/v1/cluster_types.go` documents them: "`-1` (the default) means no limit", and
    /// `validUntil` is the "date and time after which the role's password is no longer
    /// valid". PostgreSQL then refuses every connection of a role whose limit is 0 ("too many
    /// connections for role"), and every password login after `VALID UNTIL` ("password
    /// authentication failed"). The database, the Secret and the role are all there, and the
    /// app is locked out. A `validUntil` copied from another app, or set for a trial, expires
    /// silently.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       login: true
    ///       connectionLimit: 0                 # no connection at all
    ///       validUntil: "2025-01-01T00:00:00Z" # already past
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       login: true
    ///       connectionLimit: 20
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Remove `connectionLimit` (the default, -1, is no limit) or set the number of connections
    /// the app needs. Remove `validUntil` (the password then never expires: CNPG sets
    /// `VALID UNTIL 'infinity'`), or move it into the future and rotate the password before
    /// then.
    pub struct OwnerRoleLocked {
        id: "owner-role-locked",
        group: "privileges",
        level: Error,
        summary: "a Database's owner (or its login member) cannot connect: connectionLimit is 0 or validUntil has passed",
        check: check,
    }
}

/// Why a role cannot connect, and the node that says so.
enum Lock {
    NoConnection(Loc),
    Expired(Loc, String),
}

impl Lock {
    fn loc(&self) -> Loc {
        match self {
            Lock::NoConnection(loc) | Lock::Expired(loc, _) => *loc,
        }
    }
}

/// What locks `role` out, if anything.
fn locks(role: &Role, now: i64) -> Vec<Lock> {
    let mut found = Vec::new();
    if let Some(limit) = role.connection_limit.as_ref().filter(|l| l.value == 0) {
        found.push(Lock::NoConnection(limit.loc));
    }
    // Only password logins expire: without a password Secret the role authenticates
    // otherwise (or not at all, which `role-no-password` is about).
    if let (Some(until), Some(epoch), Some(_)) = (
        &role.valid_until,
        role.valid_until_epoch(),
        &role.password_secret,
    ) && epoch <= now
    {
        found.push(Lock::Expired(until.loc, until.value.clone()));
    }
    found
}

/// A locked role and the Databases whose app logs in with it.
struct Locked<'p> {
    role: &'p Role,
    lock: Lock,
    /// The group role it logs in through, when it is not the owner itself.
    via: Option<&'p str>,
    /// Database names with their `spec.owner` nodes.
    databases: Vec<(&'p str, Loc)>,
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut locked: BTreeMap<Loc, Locked<'_>> = BTreeMap::new();
    for OwnerRef {
        database_id,
        database,
        owner,
        clusters,
        ..
    } in cx.index.owner_refs()
    {
        if database.is_absent() {
            continue;
        }
        // The first cluster that declares the owner (the bootstrap owner has no settings).
        let Some((cluster, role)) = clusters.iter().find_map(|&c| {
            let role = cx.index.find_role(c, owner.as_str())?.role()?;
            Some((c, role))
        }) else {
            continue;
        };
        // A role being dropped keeps none of its settings: nothing of it locks the app out.
        if role.is_absent() {
            continue;
        }
        // PostgreSQL applies a connection limit and a password's expiry to the role that logs
        // in: for a NOLOGIN group owner, its login members. A NOLOGIN owner without any is
        // still the role its app would log in as once it may (`login: true` is a second,
        // independent edit), so its own settings are judged.
        let members = if role.can_login() {
            Vec::new()
        } else {
            cx.index.login_members(cluster, owner.as_str())
        };
        let logins: Vec<(&Role, Option<&str>)> = if members.is_empty() {
            vec![(role, None)]
        } else {
            members.into_iter().map(|m| (m, Some(owner.as_str()))).collect()
        };
        let name = cx.index.object(database_id).name().unwrap_or("<unnamed>");
        for (login, via) in logins {
            for lock in locks(login, cx.now) {
                let entry = locked.entry(lock.loc()).or_insert_with(|| Locked {
                    role: login,
                    lock,
                    via,
                    databases: Vec::new(),
                });
                if !entry.databases.iter().any(|(n, _)| *n == name) {
                    entry.databases.push((name, owner.loc));
                }
            }
        }
    }
    for (at, item) in locked {
        let field = match item.lock {
            Lock::NoConnection(_) => item.role.field("connectionLimit"),
            Lock::Expired(..) => item.role.field("validUntil"),
        };
        out.push(finding(at, item).field(cx.project, field));
    }
}

fn finding(at: Loc, item: Locked<'_>) -> Finding {
    let role = item.role.name_str().unwrap_or("<unnamed>");
    let databases = item
        .databases
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let plural = if item.databases.len() == 1 { "" } else { "s" };
    let who = match item.via {
        None => format!("role `{role}`, owner of Database{plural} {databases},"),
        Some(group) => format!(
            "role `{role}`, which the app of Database{plural} {databases} logs in as (a member of the owner `{group}`),"
        ),
    };
    let mut finding = match &item.lock {
        Lock::NoConnection(_) => Finding::new(
            at,
            format!("{who} cannot connect: `connectionLimit: 0` allows no connection"),
        )
        .label("no connection allowed")
        .help(
            "remove `connectionLimit` (the default, -1, is no limit) or set the number of \
             connections the app needs",
        ),
        Lock::Expired(_, until) => Finding::new(
            at,
            format!("{who} cannot log in: its password expired at `validUntil` {until}"),
        )
        .label("in the past")
        .help(
            "remove `validUntil` (the password then never expires) or move it into the future \
             and rotate the password before then",
        ),
    };
    for (name, owner) in &item.databases {
        finding = finding.related(*owner, format!("Database `{name}` is owned by this role"));
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::config::{Clock, Config};
    use crate::rules::testing::{CLUSTER, DATABASE, run_with};

    /// 2026-01-01T00:00:00Z.
    const NOW: i64 = 1_767_225_600;

    fn lint(cluster: &str) -> Vec<String> {
        let config = Config {
            clock: Clock::Fixed(NOW),
            ..Config::default()
        };
        run_with(&config, &[("c.yaml", cluster), ("d.yaml", DATABASE)], check)
    }

    fn with(settings: &str) -> String {
        CLUSTER.replace("        login: true\n", &format!("        login: true\n{settings}"))
    }

    #[test]
    fn usable_owners_pass() {
        assert!(lint(CLUSTER).is_empty());
        assert!(lint(&with("        connectionLimit: -1\n")).is_empty());
        assert!(lint(&with("        connectionLimit: 5\n")).is_empty());
        assert!(lint(&with("        validUntil: \"2026-01-01T00:00:01Z\"\n")).is_empty());
        assert!(lint(&with("        validUntil: ${EXPIRY}\n")).is_empty());
    }

    #[test]
    fn a_locked_owner_is_reported_where_it_is_set() {
        assert_eq!(
            lint(&with("        connectionLimit: 0\n")),
            [
                "c.yaml:11:26 role `gitea_user`, owner of Database `gitea-db`, cannot connect: `connectionLimit: 0` allows no connection"
            ]
        );
        // Unquoted, YAML reads it as a timestamp; the API server as a string.
        assert_eq!(
            lint(&with("        validUntil: 2025-12-31T23:59:59Z\n")),
            [
                "c.yaml:11:21 role `gitea_user`, owner of Database `gitea-db`, cannot log in: its password expired at `validUntil` 2025-12-31T23:59:59Z"
            ]
        );
    }

    #[test]
    fn a_group_owner_is_judged_by_its_login_members() {
        let cluster = CLUSTER.replace("- name: gitea_user", "- name: gitea_app")
            + "        connectionLimit: 0\n        inRoles:\n          - gitea_user\n      - name: gitea_user\n        connectionLimit: 0\n";
        assert_eq!(
            lint(&cluster),
            [
                "c.yaml:13:26 role `gitea_app`, which the app of Database `gitea-db` logs in as (a member of the owner `gitea_user`), cannot connect: `connectionLimit: 0` allows no connection"
            ]
        );
    }

    #[test]
    fn a_nologin_owner_without_login_members_is_judged_itself() {
        // Two edits: `login: true` (role-login-disabled) and the limit (this rule).
        let cluster = CLUSTER.replace("        login: true\n", "        connectionLimit: 0\n");
        assert_eq!(
            lint(&cluster),
            [
                "c.yaml:10:26 role `gitea_user`, owner of Database `gitea-db`, cannot connect: `connectionLimit: 0` allows no connection"
            ]
        );
        let files = [("c.yaml", cluster.as_str()), ("d.yaml", DATABASE)];
        let reported = crate::rules::testing::rules_reported("", &files);
        for rule in ["owner-role-locked", "role-login-disabled"] {
            assert!(reported.iter().any(|r| r == rule), "{rule}: {reported:?}");
        }
        // A role being dropped keeps none of its settings.
        let dropped = cluster.replace("connectionLimit: 0\n", "connectionLimit: 0\n        ensure: absent\n");
        assert!(lint(&dropped).is_empty());
    }
}
