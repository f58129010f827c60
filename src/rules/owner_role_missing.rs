use crate::diagnostic::{Finding, Subject};
use crate::hash::HashMap;
use crate::index::{MissingOwner, OwnerRef, RoleOrigin, InstanceId};
use crate::model::apps::{app_of, same_app};
use crate::model::{Spec, Suggester};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that a `Database`'s `spec.owner` is a role of its cluster: an entry of the
    /// Cluster's `spec.managed.roles`, its bootstrap owner (`bootstrap.initdb.owner`, default
    /// `app`), or a `DatabaseRole` of that cluster. The match is exact and case-sensitive.
    ///
    /// The help follows the SOP chain: when the owner's app (the owner is `<app>` or
    /// `<app>_…`) has its credentials secret `<app>-db-creds` in the cluster's namespace and no
    /// role uses it, the role is simply missing: "add role `grafana_user` with passwordSecret
    /// `grafana-db-creds`" (and `secret-unreferenced` stays quiet about that secret). Otherwise
    /// it suggests the closest role name, never the role of another app than the one the
    /// Database's own names tell (`<app>-db`, `<app>-db.yaml`).
    ///
    /// ## Why is this bad?
    /// CNPG runs `CREATE DATABASE … OWNER "<owner>"` without checking the role first. With a
    /// missing role PostgreSQL answers `role "<owner>" does not exist`, the Database stays
    /// `applied: false` and retries every 30 seconds, and the app never gets its database.
    ///
    /// Source (cloudnative-pg, `internal/management/controller/database_controller_sql.go`):
    /// the database is created with `CREATE DATABASE … OWNER <owner>` (the `OWNER` clause
    /// written when `len(obj.Spec.Owner) > 0`) and no check of the role beforehand; the error
    /// (SQLSTATE 42704) goes to `markAsFailed` in `database_controller.go`.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: gitea
    ///   owner: gitea_usr        # the Cluster declares `gitea_user`
    ///   cluster:
    ///     name: postgres-shared
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
    /// ```
    ///
    /// ## How to fix
    /// Use the exact role name from `spec.managed.roles` of the cluster, or add the role
    /// there (wave 1) before the Database (wave 2).
    pub struct OwnerRoleMissing {
        id: "owner-role-missing",
        group: "references",
        level: Error,
        summary: "a Database's owner is not a role of its cluster",
        fix: (Unsafe, "writes the one similar role name in `spec.owner`"),
        yields_to: [PatchListReplaced],
        check: check,
    }
}

/// How many role names a help lists at most.
const LISTED: usize = 10;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // One suggester per cluster, built on its first miss: thousands of typos on a cluster of
    // thousands of roles must not compare every owner with every role.
    let mut suggesters: HashMap<InstanceId, Suggester<'_>> = HashMap::default();
    let suffix = &cx.config.naming.secret_suffix;
    for MissingOwner {
        owner:
            OwnerRef {
                database_id,
                owner,
                cluster_name,
                ..
            },
        cluster,
        unused_secret,
    } in cx.index.missing_owners(cx.config)
    {
        let cluster_obj = cx.index.object(cluster);
        let message = format!(
            "Database owner `{}` is not a role of cluster `{}`",
            owner.value, cluster_name.value
        );
        let mut finding = Finding::new(owner.loc, message)
            .field(cx.project, "spec.owner")
            .label("no such role")
            .rests_on_absence(&["Cluster", "DatabaseRole"])
            .in_deployment(cx.deployment_of(database_id));
        if let Some(replaced) = cx.index.list_replaced(cluster, "spec.managed.roles") {
            let (at, what) = replaced.cause();
            let subject = Subject::at(cx.project, at, replaced.list.field.clone());
            finding = finding.caused_by(at, subject, what);
        }
        let roles_loc = match &cluster_obj.spec {
            Spec::Cluster(spec) => spec.roles_loc,
            _ => None,
        }
        .unwrap_or_else(|| cluster_obj.anchor());
        let roles_label = format!("roles of {} are declared here", cluster_name.value);
        // The chain shows the role is simply missing: the owner's app has its credentials
        // secret, and no role uses it. No other app's role is the answer then.
        if let Some(secret_id) = unused_secret {
            let secret = cx.index.object(secret_id);
            let secret_name = secret.name().unwrap_or("<unnamed>");
            finding = finding
                .help(format!(
                    "add role `{}` with `login: true` and `passwordSecret: {{name: {secret_name}}}` to `spec.managed.roles` of `{}`",
                    owner.value, cluster_name.value
                ))
                .related(
                    secret.anchor(),
                    format!("`{secret_name}` holds the password of `{}`, but no role uses it", owner.value),
                )
                .related(roles_loc, roles_label);
            out.push(finding);
            continue;
        }
        let suggester = suggesters
            .entry(cluster)
            .or_insert_with(|| Suggester::new(cx.index.role_names(cluster)));
        // Never another app's role: the Database's own names tell its app.
        let database_names = cx
            .index
            .database_names(cx.config, cx.index.object(database_id));
        let database_app = database_names.app();
        let suggestion = suggester.closest(owner.as_str()).filter(|&role| {
            let role_app = match cx.index.find_role(cluster, role) {
                Some(RoleOrigin::Managed(r) | RoleOrigin::DatabaseRole(_, r)) => r
                    .password_secret
                    .as_ref()
                    .and_then(|s| app_of(s.as_str(), suffix)),
                _ => None,
            };
            match (database_app, role_app) {
                (Some(a), Some(b)) => same_app(a, b),
                _ => true,
            }
        });
        finding = match suggestion {
            Some(role) => finding
                .help(format!("did you mean `{role}`?"))
                .fix_opt(cx.rename_fix(owner.loc, role)),
            None => {
                let roles = cx.index.role_names(cluster);
                let mut listed: Vec<String> =
                    roles.iter().take(LISTED).map(|r| format!("`{r}`")).collect();
                if roles.len() > LISTED {
                    listed.push(format!("… ({} more)", roles.len() - LISTED));
                }
                finding.help(format!(
                    "add a role `{}` with `login: true` to `spec.managed.roles` of `{}`, or use one of: {}",
                    owner.value,
                    cluster_name.value,
                    listed.join(", ")
                ))
            }
        };
        let declared = suggestion
            .and_then(|role| match cx.index.find_role(cluster, role) {
                Some(RoleOrigin::Managed(r) | RoleOrigin::DatabaseRole(_, r)) => {
                    r.name.as_ref().map(|n| (n.loc, format!("`{role}` is declared here")))
                }
                _ => None,
            });
        let (loc, label) = declared.unwrap_or((roles_loc, roles_label));
        finding = finding.related(loc, label);
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE, SECRET, messages as run};

    #[test]
    fn a_missing_owner_is_reported_unless_the_database_is_being_dropped() {
        let typo = DATABASE.replace("owner: gitea_user", "owner: gone_user");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("d.yaml", &typo)], check),
            ["Database owner `gone_user` is not a role of cluster `pg`"]
        );
        let dropped = typo.replace("owner: gone_user", "owner: gone_user\n  ensure: absent");
        assert!(run(&[("c.yaml", CLUSTER), ("d.yaml", &dropped)], check).is_empty());
    }

    /// The help of the one `owner-role-missing` finding over `files`.
    fn help(files: &[(&str, &str)]) -> String {
        let config = crate::config::Config::default();
        let project = crate::project::Project::from_texts(files, &config);
        let found: Vec<_> = crate::engine::lint::lint(&project, &config)
            .into_iter()
            .filter(|d| d.rule == crate::rules::RuleId::OwnerRoleMissing)
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].finding.help.clone().unwrap_or_default()
    }

    #[test]
    fn typos_get_the_closest_role_of_the_same_app_only() {
        let typo = DATABASE.replace("owner: gitea_user", "owner: gitea_usr");
        assert_eq!(
            help(&[("c.yaml", CLUSTER), ("d.yaml", &typo)]),
            "did you mean `gitea_user`?"
        );
        // `giteax-db` is another app than gitea: its owner is not gitea's role mistyped.
        let other = DATABASE
            .replace("owner: gitea_user", "owner: giteax_user")
            .replace("name: gitea-db", "name: giteax-db");
        assert!(
            help(&[("c.yaml", CLUSTER), ("d.yaml", &other)]).starts_with(
                "add a role `giteax_user` with `login: true` to `spec.managed.roles` of `pg`, or use one of: `gitea_user`"
            )
        );
    }

    #[test]
    fn a_role_simply_missing_is_named_with_its_secret() {
        let grafana = DATABASE
            .replace("owner: gitea_user", "owner: grafana_user")
            .replace("name: gitea-db", "name: grafana-db");
        let secret = SECRET.replace("gitea-db-creds", "grafana-db-creds");
        assert_eq!(
            help(&[
                ("infra/databases/postgres/c.yaml", CLUSTER),
                ("infra/databases/postgres/d.yaml", &grafana),
                ("infra/databases/postgres/s.yaml", &secret),
            ]),
            "add role `grafana_user` with `login: true` and `passwordSecret: {name: grafana-db-creds}` to `spec.managed.roles` of `pg`"
        );
    }
}
