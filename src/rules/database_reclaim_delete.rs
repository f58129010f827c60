use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns when a CNPG `Database` has `databaseReclaimPolicy: delete` or `ensure: absent`.
    ///
    /// ## Why is this bad?
    /// Both settings drop a PostgreSQL database with all its data:
    /// - `databaseReclaimPolicy: delete` runs `DROP DATABASE` when the `Database` object is
    ///   deleted. In GitOps that happens when someone removes or renames the file, or when Argo
    ///   CD prunes the application: an innocent refactoring destroys the app's data. The
    ///   default, `retain`, leaves the database in place.
    /// - `ensure: absent` runs `DROP DATABASE IF EXISTS` on the next reconciliation, while the
    ///   object still exists.
    ///
    /// Both can be deliberate, which is why this is a warning: make sure they are.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    ///   databaseReclaimPolicy: delete
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    ///   ensure: present
    ///   databaseReclaimPolicy: retain
    /// ```
    ///
    /// ## How to fix
    /// Use `databaseReclaimPolicy: retain` (or leave it out) and `ensure: present`. To drop a
    /// database on purpose, take a backup first and remove the setting again once it is gone.
    pub struct DatabaseReclaimDelete {
        id: "database-reclaim-delete",
        group: "hygiene",
        level: Warning,
        summary: "a Database drops its PostgreSQL database: databaseReclaimPolicy delete or ensure absent",
        // Under `--base`, setting `ensure: absent` is the change that drops the data: one finding.
        yields_to: [DatabaseDropped],
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (id, database) in cx.index.databases() {
        let obj = cx.index.object(id);
        let db_name = database.name.as_ref().map_or_else(
            || obj.name().unwrap_or("<unnamed>").to_string(),
            |n| n.value.clone(),
        );
        if let Some(policy) = &database.reclaim_policy
            && policy.value == "delete"
        {
            out.push(
                Finding::new(
                    policy.loc,
                    format!(
                        "`databaseReclaimPolicy: delete` drops database `{db_name}` and all its data when the Database object is deleted"
                    ),
                )
                .field(cx.project, "spec.databaseReclaimPolicy")
                .label("drops the database")
                .help("use `retain` (the default): deleting, renaming or pruning the manifest then leaves the data in place"),
            );
        }
        if let Some(ensure) = &database.ensure
            && ensure.value == "absent"
        {
            out.push(
                Finding::new(
                    ensure.loc,
                    format!("`ensure: absent` drops database `{db_name}` and all its data on the next reconciliation"),
                )
                .field(cx.project, "spec.ensure")
                .label("drops the database")
                .help("use `ensure: present`; if the database is really meant to go, back it up first and remove this Database once it is dropped"),
            );
        }
    }
}
