use crate::diagnostic::Finding;
use crate::model::{Object, Role, Spec};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// With `check --base REF`: reports a managed role that this change removes (or renames)
    /// from a Cluster while a Database of the base revision is owned by it.
    ///
    /// ## Why is this bad?
    /// CloudNativePG only manages the roles listed in `spec.managed.roles`; one that
    /// disappears from the list is not dropped: the role reconciler marks roles found in the
    /// database but not in the spec `not-managed` and leaves them alone; only `ensure:
    /// absent` drops one (CNPG `internal/management/controller/roles/roles.go`
    /// `evaluateNextRoleActions`, summarised in
    /// `shared/spec/domain/cnpg.md` §2; `docs/src/declarative_role_management.md`). The old
    /// role stays in PostgreSQL, unmanaged, with its password and its login, still owning the
    /// database and its objects. A renamed role is a new role: the Database's owner moves to it
    /// (`ALTER DATABASE … OWNER TO`), but tables and schemas the app created stay the old
    /// role's.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_app      # was: gitea_user, owner of the database gitea
    /// ```
    ///
    /// ## Use instead
    /// Keep the role, or drop it explicitly: reassign its objects (`REASSIGN OWNED BY … TO
    /// …`), then set `ensure: absent` on it.
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user     # kept; or `ensure: absent` once it owns nothing
    /// ```
    ///
    /// ## How to fix
    /// Restore the role entry, or plan its removal with `ensure: absent` after reassigning
    /// what it owns.
    pub struct RoleOrphaned {
        id: "role-orphaned",
        group: "change",
        level: Error,
        summary: "a change removes a managed role that owns a database, leaving it unmanaged in PostgreSQL",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = &cx.base else {
        return;
    };
    for (_, obj) in cx.objects() {
        let Spec::Cluster(cluster) = &obj.spec else {
            continue;
        };
        let Some(old) = base.before(obj) else {
            continue;
        };
        let Spec::Cluster(was) = &old.spec else {
            continue;
        };
        for role in &was.roles {
            let Some(name) = role.name.as_ref() else {
                continue;
            };
            if role.is_absent() || cluster.roles.iter().any(|r| same_name(r, &name.value)) {
                continue;
            }
            let owned: Vec<&str> = cx
                .base_objects()
                .filter(|db| owned_by(db, old, &name.value))
                .filter_map(|db| match &db.spec {
                    Spec::Database(d) => d.name.as_ref().map(|n| n.as_str()),
                    _ => None,
                })
                .collect();
            if owned.is_empty() {
                continue;
            }
            let renamed = cluster.roles.iter().find(|r| {
                r.password_secret.as_ref().map(|s| &s.value)
                    == role.password_secret.as_ref().map(|s| &s.value)
                    && r.password_secret.is_some()
            });
            let what = match renamed.and_then(|r| r.name.as_ref()) {
                Some(new) => format!("is renamed to `{}`", new.value),
                None => "is removed".to_string(),
            };
            let databases = owned
                .iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let (loc, field) = match (renamed, cluster.roles_loc) {
                (Some(new), _) if new.name.is_some() => (
                    new.name.as_ref().map_or(new.loc, |n| n.loc),
                    new.field("name"),
                ),
                (_, Some(roles)) => (roles, "spec.managed.roles".to_string()),
                _ => (obj.anchor(), obj.anchor_path().to_string()),
            };
            out.push(
                Finding::new(
                    loc,
                    format!(
                        "role `{}` of {} {what} while it owns database {databases}: CNPG leaves the old role in PostgreSQL, unmanaged, still owning the data",
                        name.value,
                        obj.display_name()
                    ),
                )
                .field(cx.project, field)
                .label("role left behind")
                .help(format!(
                    "keep `{}`, or reassign what it owns (`REASSIGN OWNED BY`) and then set `ensure: absent` on it",
                    name.value
                ))
                .related(
                    cx.base_loc(name.loc),
                    format!("`{}` at {}", name.value, base.reference),
                ),
            );
        }
    }
}

fn same_name(role: &Role, name: &str) -> bool {
    role.name.as_ref().is_some_and(|n| n.value == name)
}

/// A base Database of the base Cluster `cluster`, owned by `role`.
fn owned_by(db: &Object, cluster: &Object, role: &str) -> bool {
    let Spec::Database(database) = &db.spec else {
        return false;
    };
    !database.is_absent()
        && database.owner.as_ref().is_some_and(|o| o.value == role)
        && database.cluster.as_ref().map(|c| c.as_str()) == cluster.name()
        && db.namespace_str() == cluster.namespace_str()
}
