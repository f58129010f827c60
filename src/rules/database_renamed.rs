use crate::diagnostic::Finding;
use crate::model::{Database, Object, Spec};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// With `check --base REF`: reports a Database whose `spec.name` (the PostgreSQL
    /// database) this change renames, on the same object or together with its
    /// `metadata.name`.
    ///
    /// ## Why is this bad?
    /// PostgreSQL databases are never renamed by CloudNativePG. `spec.name` is immutable:
    /// the CRD's validation rule (`self == oldSelf`, "name is immutable"; CloudNativePG
    /// `docs/src/declarative_database_management.md`: "Changing the `spec.name` in a Database
    /// object will be rejected at the Kubernetes level") makes the API server reject the
    /// update, and the sync fails. Renaming the object as well gets past the API server, but
    /// it is a new object: CNPG creates a new, empty database, and the old one stays in
    /// PostgreSQL with the data, orphaned (or is dropped on pruning with
    /// `databaseReclaimPolicy: delete`).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   name: gitea_prod   # was: gitea
    /// ```
    ///
    /// ## Use instead
    /// Keep `spec.name`. To move data to a new name, rename the database in PostgreSQL
    /// (`ALTER DATABASE … RENAME TO …`) first, then point a new Database object at it.
    /// ```yaml
    /// spec:
    ///   name: gitea
    /// ```
    ///
    /// ## How to fix
    /// Revert `spec.name`, or plan the data move explicitly.
    pub struct DatabaseRenamed {
        id: "database-renamed",
        group: "change",
        level: Error,
        summary: "a change renames a Database's PostgreSQL database, which CNPG cannot do",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = &cx.base else {
        return;
    };
    for (_, obj) in cx.objects() {
        let Some((database, name)) = database_name(obj) else {
            continue;
        };
        match base.before(obj) {
            // Same object, new spec.name: rejected by the API server.
            Some(old) => {
                let Some((_, old_name)) = database_name(old) else {
                    continue;
                };
                if old_name.value == name.value {
                    continue;
                }
                out.push(
                    Finding::new(
                        name.loc,
                        format!(
                            "`spec.name` of {} changes from `{}` to `{}`: it is immutable, so the API server rejects the update and the sync fails",
                            obj.display_name(),
                            old_name.value,
                            name.value
                        ),
                    )
                    .field(cx.project, "spec.name")
                    .label("immutable")
                    .help(format!("keep `spec.name: {}`", old_name.value))
                    .related(
                        cx.base_loc(old_name.loc),
                        format!("`{}` at {}", old_name.value, base.reference),
                    ),
                );
            }
            // A new object in the place of one this change removes, with another database.
            None => {
                let path = cx.path(obj);
                let replaced = cx.base_objects().find(|old| {
                    !base.kept(old)
                        && base.project.path(old.file) == path
                        && database_name(old).is_some_and(|(was, old_name)| {
                            old_name.value != name.value && same_cluster(was, database)
                        })
                });
                let Some(old) = replaced else {
                    continue;
                };
                let Some((_, old_name)) = database_name(old) else {
                    continue;
                };
                out.push(
                    Finding::new(
                        name.loc,
                        format!(
                            "{} replaces {}: CNPG creates a new, empty database `{}`, and `{}` stays in PostgreSQL with its data, orphaned",
                            obj.display_name(),
                            old.display_name(),
                            name.value,
                            old_name.value
                        ),
                    )
                    .field(cx.project, "spec.name")
                    .label("a new, empty database")
                    .help("CNPG never renames a database: move the data yourself, or keep the old names")
                    .at_most(crate::diagnostic::Severity::Warning)
                    .related(
                        cx.base_loc(old_name.loc),
                        format!("database `{}` at {}", old_name.value, base.reference),
                    ),
                );
            }
        }
    }
}

fn database_name(obj: &Object) -> Option<(&Database, &crate::source::Spanned<String>)> {
    match &obj.spec {
        Spec::Database(database) => Some((database.as_ref(), database.name.as_ref()?)),
        _ => None,
    }
}

fn same_cluster(a: &Database, b: &Database) -> bool {
    a.cluster.as_ref().map(|c| &c.value) == b.cluster.as_ref().map(|c| &c.value)
}
