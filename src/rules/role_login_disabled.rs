use crate::diagnostic::{Finding, Subject};
use crate::edit::Fix;
use crate::index::{OwnerRef, RoleOrigin};
use crate::model::Role;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that the role owning a `Database` can log in: its `spec.managed.roles` entry
    /// (or `DatabaseRole`) sets `login: true`. The cluster's bootstrap owner
    /// (`bootstrap.initdb.owner`, default `app`) is fine: CNPG creates it with `LOGIN`. So is
    /// the least-privilege pattern: a `NOLOGIN` group role owns the Database, and the app's
    /// login role (with a `passwordSecret`) is a member of it through `inRoles`. CNPG grants
    /// that membership with `CREATE ROLE … IN ROLE` / `GRANT` (`appendInRoleOptions` and
    /// `UpdateMembership` in `internal/management/controller/roles/postgres.go`), so the app
    /// logs in as itself and acts as the owner.
    ///
    /// ## Why is this bad?
    /// CNPG's default for `login` is `false`: a role declared without it is created
    /// `NOLOGIN`. The database and the password Secret are all there, but every connection of
    /// the app fails with `role "gitea_user" is not permitted to log in`.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user      # login defaults to false
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
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Add `login: true` to the owner role's entry in the Cluster's `spec.managed.roles` (or
    /// to the `DatabaseRole`'s `spec`).
    pub struct RoleLoginDisabled {
        id: "role-login-disabled",
        group: "privileges",
        level: Error,
        summary: "a Database's owner role cannot log in (it lacks login: true)",
        fix: (Unsafe, "sets `login: true` on the owner role (it lets the role connect)"),
        yields_to: [PatchListReplaced],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for OwnerRef {
        database,
        owner,
        cluster_name,
        clusters,
        ..
    } in cx.index.owner_refs()
    {
        // A database being dropped needs no owner that logs in.
        if database.is_absent() {
            continue;
        }
        let origins: Vec<RoleOrigin<'_>> = clusters
            .iter()
            .filter_map(|&c| cx.index.find_role(c, owner.as_str()))
            .collect();
        // The bootstrap owner is created with LOGIN.
        if origins.iter().any(|o| matches!(o, RoleOrigin::Bootstrap)) {
            continue;
        }
        let roles: Vec<&Role> = origins
            .iter()
            .filter_map(|o| match o {
                RoleOrigin::Managed(role) | RoleOrigin::DatabaseRole(_, role) => Some(*role),
                RoleOrigin::Bootstrap => None,
            })
            .collect();
        // Only a role that is declared and kept can be given `login: true` (no role, or one
        // being dropped, is a different edit); one candidate cluster whose role can log in is
        // enough.
        if roles.is_empty() || roles.iter().any(|r| r.can_login() || r.is_absent()) {
            continue;
        }
        // A group role that the app's login role is a member of: least privilege.
        if clusters
            .iter()
            .any(|&c| !cx.index.login_members(c, owner.as_str()).is_empty())
        {
            continue;
        }
        let role: &Role = roles[0];
        let (related_loc, related) = match &role.login {
            Some(login) => (
                login.loc,
                format!("role `{}` sets `login: false` here", owner.value),
            ),
            None => (
                role.name.as_ref().map_or(role.loc, |n| n.loc),
                format!(
                    "role `{}` is declared here without `login: true`",
                    owner.value
                ),
            ),
        };
        let place = match origins.first() {
            Some(RoleOrigin::DatabaseRole(..)) => "its DatabaseRole's `spec`".to_string(),
            _ => format!(
                "its entry in `spec.managed.roles` of `{}`",
                cluster_name.value
            ),
        };
        let mut finding = Finding::new(
            owner.loc,
            format!(
                "Database owner `{}` cannot log in: the role lacks `login: true`",
                owner.value
            ),
        )
        .field(cx.project, "spec.owner")
        .label("NOLOGIN role")
        .help(format!("add `login: true` to {place}"))
        .related(related_loc, related)
        .fix_opt(allow_login(cx, role));
        if let Some(replaced) = clusters
            .iter()
            .find_map(|&c| cx.index.list_replaced(c, "spec.managed.roles"))
        {
            let (at, what) = replaced.cause();
            let subject = Subject::at(cx.project, at, replaced.list.field.clone());
            finding = finding.caused_by(at, subject, what);
        }
        out.push(finding);
    }
}

/// `login: true` in the role's entry (replacing `login: false`).
fn allow_login(cx: &Context<'_>, role: &Role) -> Option<Fix> {
    let yaml = cx.yaml(role.loc.file);
    let edit = match &role.login {
        Some(login) => yaml.replace(yaml.node_at(login.loc)?, "true"),
        None => yaml.insert_entry(yaml.node_at(role.loc)?, "login", "true")?,
    };
    Some(Fix::unsafe_edits("set `login: true`", vec![edit]))
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  bootstrap:\n    initdb:\n      owner: immich\n  managed:\n    roles:\n      - name: gitea_user\n        login: true\n      - name: group_owner\n";
    const DB_ROLE: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: DatabaseRole\nmetadata:\n  name: wiki\nspec:\n  name: wiki\n  cluster:\n    name: pg\n";

    fn db(name: &str, owner: &str) -> String {
        format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: {name}\nspec:\n  name: {name}\n  owner: {owner}\n  cluster:\n    name: pg\n"
        )
    }

    #[test]
    fn owners_that_cannot_log_in() {
        let files = [
            ("db/cluster.yaml", CLUSTER.to_string()),
            ("db/role.yaml", DB_ROLE.to_string()),
            ("db/a.yaml", db("a", "gitea_user")),
            ("db/b.yaml", db("b", "immich")),
            ("db/c.yaml", db("c", "group_owner")),
            ("db/d.yaml", db("d", "wiki")),
            ("db/e.yaml", db("e", "missing")),
            ("db/f.yaml", db("f", "\"${OWNER}\"")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        assert_eq!(
            run(&files, check),
            [
                "db/c.yaml:7:10 Database owner `group_owner` cannot log in: the role lacks `login: true`",
                "db/d.yaml:7:10 Database owner `wiki` cannot log in: the role lacks `login: true`",
            ]
        );
    }

    #[test]
    fn a_group_role_owner_with_a_login_member_is_least_privilege() {
        let member = |login: &str, secret: &str| {
            CLUSTER.replace(
                "      - name: group_owner\n",
                &format!(
                    "      - name: group_owner\n      - name: gitea_app\n        login: {login}\n        inRoles:\n          - group_owner\n{secret}"
                ),
            )
        };
        let with_secret = "        passwordSecret:\n          name: gitea-app-creds\n";
        let files = |cluster: String| {
            vec![
                ("db/cluster.yaml", cluster),
                ("db/c.yaml", db("c", "group_owner")),
            ]
        };
        let lint = |cluster: String| {
            let files = files(cluster);
            let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
            run(&files, check)
        };
        assert!(lint(member("true", with_secret)).is_empty());
        // A member that cannot log in, or has no password, does not make the owner usable.
        let reported =
            ["db/c.yaml:7:10 Database owner `group_owner` cannot log in: the role lacks `login: true`"];
        assert_eq!(lint(member("false", with_secret)), reported);
        assert_eq!(lint(member("true", "")), reported);
    }
}
