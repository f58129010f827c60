use crate::diagnostic::{Finding, Subject};
use crate::model::Spec;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// With `check --base REF`: reports a Database with `databaseReclaimPolicy: delete` that
    /// this change removes (its file deleted, or the object taken out of it).
    ///
    /// ## Why is this bad?
    /// When Argo CD (or Flux) prunes the removed object, CloudNativePG's finalizer drops the
    /// PostgreSQL database: with `delete` it runs `DROP DATABASE IF EXISTS` (once the object
    /// has reconciled at least once); with `retain`, the default, the database is kept
    /// (CloudNativePG `docs/src/declarative_database_management.md`, "Database Deletion";
    /// `shared/spec/domain/cnpg.md` §4). Removing a manifest reads like a clean-up in
    /// review; here it destroys the data.
    ///
    /// ## Example
    /// A pull request deleting `gitea-db.yaml`, whose Database has
    /// `databaseReclaimPolicy: delete`:
    /// ```yaml
    /// spec:
    ///   name: gitea
    ///   databaseReclaimPolicy: delete   # the whole file is deleted
    /// ```
    ///
    /// ## Use instead
    /// Set `databaseReclaimPolicy: retain` in one change, let it sync, then remove the
    /// Database: the object goes, the database stays.
    /// ```yaml
    /// spec:
    ///   name: gitea
    ///   databaseReclaimPolicy: retain   # first change; remove the file in the next
    /// ```
    ///
    /// ## How to fix
    /// Confirm the data may go, or keep the Database (or switch it to `retain` first).
    pub struct DatabasePruned {
        id: "database-pruned",
        group: "change",
        level: Error,
        summary: "a change removes a Database whose reclaim policy is delete, so pruning drops its database",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = &cx.base else {
        return;
    };
    for old in cx.base_objects() {
        let Spec::Database(database) = &old.spec else {
            continue;
        };
        let Some(policy) = database
            .reclaim_policy
            .as_ref()
            .filter(|p| p.value == "delete")
        else {
            continue;
        };
        if base.kept(old) || database.is_absent() {
            continue;
        }
        let path = base.project.path(old.file);
        let how = if cx.project.paths.contains(path) {
            format!("removed from {path}")
        } else {
            format!("{path} is deleted in this change")
        };
        let name = database.name.as_ref().map_or("?", |n| n.as_str());
        out.push(
            Finding::new(
                cx.base_loc(old.anchor()),
                format!(
                    "{} is removed ({how}) with `databaseReclaimPolicy: delete`: once it is pruned, CNPG drops database `{name}` and its data",
                    old.display_name()
                ),
            )
            .subject(Subject::in_file(cx.base_path(old), old.anchor_path()))
            .label("removed")
            .help("to keep the data, set `databaseReclaimPolicy: retain` and let it sync before removing the Database")
            .related(cx.base_loc(policy.loc), "the reclaim policy that drops it"),
        );
    }
}
