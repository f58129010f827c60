use crate::diagnostic::Finding;
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// With `check --base REF`: reports a Database that this change sets to `ensure: absent`
    /// (it was present at REF).
    ///
    /// ## Why is this bad?
    /// CloudNativePG drops the PostgreSQL database of a Database with `ensure: absent`
    /// (`DROP DATABASE IF EXISTS`), whatever its `databaseReclaimPolicy`: the reclaim policy
    /// applies when the object is deleted, `ensure` while it exists (CloudNativePG
    /// `docs/src/declarative_database_management.md`, "Database Deletion"; the Database
    /// controller's SQL in `internal/management/controller/database_controller_sql.go`;
    /// summarised in `shared/spec/domain/cnpg.md` §1). The data is gone once Argo CD syncs.
    /// It may be what you want (an app is decommissioned); a reviewer should know.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   name: gitea
    ///   ensure: absent     # was: present
    /// ```
    ///
    /// ## Use instead
    /// Keep `ensure: present` until the data is backed up or no longer needed; to stop
    /// managing the database without dropping it, delete the Database object with
    /// `databaseReclaimPolicy: retain` (the default) instead.
    /// ```yaml
    /// spec:
    ///   name: gitea
    ///   ensure: present
    ///   databaseReclaimPolicy: retain
    /// ```
    ///
    /// ## How to fix
    /// Confirm the database may be dropped (a backup exists), or revert `ensure`.
    pub struct DatabaseDropped {
        id: "database-dropped",
        group: "change",
        level: Error,
        summary: "a change sets a Database to ensure: absent, so CNPG drops its database",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = &cx.base else {
        return;
    };
    for (_, obj) in cx.objects() {
        let Spec::Database(database) = &obj.spec else {
            continue;
        };
        let Some(ensure) = database.ensure.as_ref().filter(|_| database.is_absent()) else {
            continue;
        };
        let Some(old) = base.before(obj) else {
            continue;
        };
        let Spec::Database(was) = &old.spec else {
            continue;
        };
        if was.is_absent() {
            continue;
        }
        let name = database.name.as_ref().map_or("?", |n| n.as_str());
        let (old_loc, old_value) = match &was.ensure {
            Some(e) => (e.loc, e.value.as_str()),
            None => (old.anchor(), "present (the default)"),
        };
        out.push(
            Finding::new(
                ensure.loc,
                format!(
                    "this change sets {} to `ensure: absent`: CNPG drops database `{name}` and its data, whatever the reclaim policy",
                    obj.display_name()
                ),
            )
            .field(cx.project, "spec.ensure")
            .label("drops the database")
            .help("make sure the data is backed up or no longer needed; to stop managing it without dropping it, delete the Database with `databaseReclaimPolicy: retain` instead")
            .related(
                cx.base_loc(old_loc),
                format!("`ensure` was {old_value} at {}", base.reference),
            ),
        );
    }
}
