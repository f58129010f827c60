use crate::config::Naming;
use crate::diagnostic::Finding;
use crate::hash::{HashMap, HashSet};
use crate::index::{Assessment, Chain, SecretSource, InstanceId};
use crate::model::apps::{Verdict, app_of, file_app, normalize, same_app, starts_with_app};
use crate::model::names::{invalid, reserved};
use crate::model::{NameKind, Object, Spec, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// In the SOP folder, checks that the names along each app's chain tell the same app:
    /// the credentials secret `<app>-db-creds` in `<app>-secrets-sealed.yaml`, the role that
    /// uses it (`<app>_user`), and each Database that role owns, named `<app>-db` in
    /// `<app>-db.yaml` and creating database `<app>` (`-` becomes `_` in role and database
    /// names: `home-assistant` → `home_assistant_user`). It only speaks up when the evidence
    /// is clear: the other names of the chain agree on an app, and one part names another
    /// one (or none). The message says which parts disagree. A Secret that roles of different
    /// names share is left to `role-username-mismatch`: that is an error, whatever the names.
    ///
    /// ## Why is this bad?
    /// One shared cluster holds every app's credentials, role and database. The names are
    /// the only thing that tells which belongs to which: a role that uses another app's
    /// secret logs in with that app's password (and its username check fails), a Database
    /// owned by another app's role hands one app's data to the other, and a file named after
    /// one app but holding another's object gets edited or deleted together with the wrong
    /// app. Such mix-ups come from copy-paste and survive review because each file looks fine
    /// on its own.
    ///
    /// ## Example
    /// ```yaml
    /// # postgres-cluster.yaml
    /// managed:
    ///   roles:
    ///     - name: nextcloud_user
    ///       login: true
    ///       passwordSecret:
    ///         name: gitea-db-creds      # gitea's credentials
    /// ---
    /// # nextcloud-db.yaml
    /// kind: Database
    /// metadata:
    ///   name: nextcloud-db
    /// spec:
    ///   name: nextcloud
    ///   owner: nextcloud_user
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # postgres-cluster.yaml
    /// managed:
    ///   roles:
    ///     - name: nextcloud_user
    ///       login: true
    ///       passwordSecret:
    ///         name: nextcloud-db-creds
    /// ---
    /// # nextcloud-db.yaml
    /// kind: Database
    /// metadata:
    ///   name: nextcloud-db
    /// spec:
    ///   name: nextcloud
    ///   owner: nextcloud_user
    /// ```
    ///
    /// ## How to fix
    /// Point the odd part at the app's own object (`passwordSecret: {name: <app>-db-creds}`,
    /// `spec.owner: <app>_user`), or rename it after the app. Renaming a SealedSecret means
    /// sealing it again: its name is part of the encryption.
    pub struct NamingConvention {
        id: "naming-convention",
        group: "names",
        level: Warning,
        summary: "SOP names along a secret → role → database chain disagree on the app",
        // A Secret that several roles use: its one username matches one role at most, an
        // error that names the same reference.
        yields_to: [RoleUsernameMismatch, DatabaseDuplicate],
        check: check,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // The app each SOP object was found to belong to by its chain; `None`: its chain already
    // reported it as belonging to another app.
    let mut decided: HashMap<InstanceId, Option<String>> = HashMap::default();
    for chain in cx.index.chains() {
        check_chain(cx, chain, &mut decided, out);
    }
    check_objects(cx, &decided, out);
}

fn check_chain(
    cx: &Context<'_>,
    chain: &Chain<'_>,
    decided: &mut HashMap<InstanceId, Option<String>>,
    out: &mut Vec<Finding>,
) {
    let Naming {
        secret_suffix,
        sealed_file_suffix,
        ..
    } = &cx.config.naming;
    let Some(Assessment {
        role,
        secret_name,
        role_name,
        sop_secrets,
        databases,
        names,
        secret_app,
        verdict,
    }) = cx.index.assess(cx.config, chain)
    else {
        return;
    };
    let describe_databases = |only: &[usize]| -> String {
        only.iter()
            .map(|&i| {
                format!(
                    "Database `{}`",
                    databases[i].1.name().unwrap_or("<unnamed>")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match verdict {
        Verdict::Agrees(app) => {
            for &id in &sop_secrets {
                decided.insert(id, Some(app.clone()));
            }
            for (id, _) in &databases {
                decided.insert(*id, Some(app.clone()));
            }
        }
        Verdict::SecretDiffers(app) => {
            let all: Vec<usize> = (0..databases.len()).collect();
            let expected = format!("{app}{secret_suffix}");
            let own_secret = cx
                .index
                .secret_sources(&expected, cx.index.object(chain.cluster).namespace_str())
                .into_iter()
                .map(SecretSource::object)
                .min();
            let exists = own_secret.is_some();
            let parts = format!("role `{role_name}`, {}", describe_databases(&all));
            let mut finding = match secret_app {
                // Another app's credentials.
                Some(other) => Finding::new(
                    chain.secret_name.loc,
                    format!(
                        "role `{role_name}` uses secret `{secret_name}` of app `{other}`, but the role and {} belong to app `{app}`",
                        describe_databases(&all)
                    ),
                )
                .help(if exists {
                    format!("did you mean `{expected}`?")
                } else {
                    format!(
                        "seal app `{app}`'s own credentials as `{expected}` (in `{app}{sealed_file_suffix}.yaml`) and use them here"
                    )
                }),
                // The app's credentials under a name that tells no app.
                None => Finding::new(
                    chain.secret_name.loc,
                    format!("secret `{secret_name}` of app `{app}` ({parts}) is not named `{expected}`"),
                )
                .help(if exists {
                    format!("did you mean `{expected}`?")
                } else {
                    format!(
                        "rename it `{expected}` (seal it again: the name is part of the sealed value) and update this `passwordSecret`"
                    )
                }),
            }
            .field(cx.project, role.field("passwordSecret.name"))
            .label(format!("expected `{expected}`"));
            if let Some(&first) = sop_secrets.first() {
                let secret = cx.index.object(first);
                finding = finding.related(
                    secret.anchor(),
                    format!("{} `{secret_name}` is declared here", secret.kind_str()),
                );
            }
            // The app's own secret, which no role uses then: this finding says why.
            if let Some(own) = own_secret.map(|id| cx.index.object(id)) {
                finding = finding.related(
                    own.anchor(),
                    format!("{} `{expected}` is app `{app}`'s own", own.kind_str()),
                );
            }
            out.push(finding);
            for &id in &sop_secrets {
                decided.entry(id).or_insert(None);
            }
            for (id, _) in &databases {
                decided.insert(*id, Some(app.clone()));
            }
        }
        Verdict::RoleDiffers(app) => {
            let all: Vec<usize> = (0..databases.len()).collect();
            let (at, field) = role.name.as_ref().map_or(
                (chain.secret_name.loc, "passwordSecret.name"),
                |n| (n.loc, "name"),
            );
            out.push(
                Finding::new(
                    at,
                    format!(
                        "role `{role_name}` does not name app `{app}`, whose secret `{secret_name}` it uses and whose {} it owns",
                        describe_databases(&all)
                    ),
                )
                .field(cx.project, role.field(field))
                .label(format!("expected `{}_user`", normalize(&app)))
                .help(format!(
                    "name it `{}_user` (and change `spec.owner` and the Secret's `username` with it), \
                     or use the role's own app's secret and databases",
                    normalize(&app)
                )),
            );
            for &id in &sop_secrets {
                decided.insert(id, Some(app.clone()));
            }
            for (id, _) in &databases {
                decided.insert(*id, Some(app.clone()));
            }
        }
        Verdict::DatabasesDiffer(app, others) => {
            for &id in &sop_secrets {
                decided.insert(id, Some(app.clone()));
            }
            for (i, (id, obj)) in databases.iter().enumerate() {
                if !others.contains(&i) {
                    decided.insert(*id, Some(app.clone()));
                    continue;
                }
                decided.insert(*id, None);
                let Spec::Database(database) = &obj.spec else {
                    continue;
                };
                let Some(owner) = &database.owner else {
                    continue;
                };
                let other = names[i].app().unwrap_or("?");
                let expected_role = format!("{}_user", normalize(other));
                let mut finding = Finding::new(
                    owner.loc,
                    format!(
                        "Database `{}` of app `{other}` is owned by role `{role_name}` of app `{app}` (secret `{secret_name}`)",
                        obj.name().unwrap_or("<unnamed>")
                    ),
                )
                .field(cx.project, "spec.owner")
                .label("another app's role");
                let cluster = cx.index.object(chain.cluster);
                finding = match cx.index.find_role(chain.cluster, &expected_role) {
                    Some(_) => finding.help(format!("did you mean `{expected_role}`?")),
                    None => finding.help(format!(
                        "give app `{other}` its own role `{expected_role}` in cluster `{}`",
                        cluster.name().unwrap_or("<unnamed>")
                    )),
                };
                if let Some(name) = &role.name {
                    finding = finding
                        .related(name.loc, format!("role `{role_name}` uses `{secret_name}`"));
                }
                out.push(finding);
            }
        }
        // Each object is still checked on its own.
        Verdict::Unclear => {}
    }
}

/// Within one object: its name, its file and (for a Database) `spec.name` against the app
/// its chain settled on, else against the app its name tells.
fn check_objects(
    cx: &Context<'_>,
    decided: &HashMap<InstanceId, Option<String>>,
    out: &mut Vec<Finding>,
) {
    let Naming {
        secret_suffix,
        database_suffix,
        ..
    } = &cx.config.naming;
    let credentials: HashSet<InstanceId> = cx.index.credentials().iter().copied().collect();
    for (id, obj) in cx.objects() {
        if !cx.in_sop_folder(obj) {
            continue;
        }
        let Some(name) = obj.name().filter(|n| !is_unknowable(n)) else {
            continue;
        };
        // What the chains decided about any instance of this object.
        let instances: Vec<InstanceId> = cx.index.instances_of(id).collect();
        let from_chain = instances.iter().find_map(|i| decided.get(i));
        if from_chain.is_some_and(Option::is_none) {
            continue;
        }
        let path = cx.path(obj);
        match &obj.spec {
            Spec::SealedSecret(_) | Spec::Secret(_) => {
                if !instances.iter().any(|i| credentials.contains(i)) {
                    continue;
                }
                let own = app_of(name, &cx.config.naming.secret_suffix);
                let app = from_chain.cloned().flatten().or(own.map(str::to_string));
                let Some(app) = app else { continue };
                if own.is_none_or(|own| !same_app(own, &app)) {
                    out.push(
                        Finding::new(
                            obj.anchor(),
                            format!(
                                "{} `{name}` of app `{app}` is not named `{app}{secret_suffix}`",
                                obj.kind_str()
                            ),
                        )
                        .field(cx.project, obj.anchor_path())
                        .label(format!("expected `{app}{secret_suffix}`"))
                        .help(rename_secret_help(obj)),
                    );
                    continue;
                }
                if !matches!(obj.spec, Spec::SealedSecret(_)) {
                    continue;
                }
                if let Some(file) =
                    file_app(path, &cx.config.naming.sealed_file_suffix).filter(|f| !same_app(f, &app))
                {
                    let suffix = &cx.config.naming.sealed_file_suffix;
                    out.push(file_finding(obj, path, file, &app, suffix).field(cx.project, obj.anchor_path()));
                }
            }
            Spec::Database(database) => {
                // A second object of one name, or a second definition of one database, is a
                // mistake of its own: a finding of a rule this one yields to at the same node
                // (the object's name, its `spec.name`) explains what is said there, even when
                // that finding is moved to its cause (a kustomization's list entry).
                let mut found = Vec::new();
                let names = cx.index.database_names(cx.config, obj);
                let chain_app = from_chain.cloned().flatten();
                // Its own names agree on another app than its chain's: which side is wrong is
                // not clear.
                if let (Some(chain_app), Some(own)) = (&chain_app, names.app())
                    && !same_app(chain_app, own)
                {
                    continue;
                }
                // `spec.name` is free-form: judge it only against an app that two names tell
                // (the chain, or the object's name and its file).
                let corroborated = chain_app.is_some()
                    || matches!((names.name_app, names.file_app), (Some(a), Some(b)) if same_app(a, b));
                let app = chain_app.or_else(|| names.name_app.map(str::to_string));
                let Some(app) = app else { continue };
                if names.name_app.is_none_or(|own| !same_app(own, &app)) {
                    found.push(
                        Finding::new(
                            obj.anchor(),
                            format!("Database `{name}` of app `{app}` is not named `{app}{database_suffix}`"),
                        )
                        .field(cx.project, obj.anchor_path())
                        .label(format!("expected `{app}{database_suffix}`"))
                        .help(format!(
                            "rename it `{app}{database_suffix}` (a new object: CNPG adopts the existing database)"
                        )),
                    );
                } else if let Some(file) = names.file_app.filter(|f| !same_app(f, &app)) {
                    let suffix = &cx.config.naming.database_file_suffix;
                    found.push(file_finding(obj, path, file, &app, suffix).field(cx.project, obj.anchor_path()));
                }
                if let Some(spec_name) = &database.name
                    && corroborated
                    && !is_unknowable(spec_name.as_str())
                    && reserved(NameKind::Database, spec_name.as_str()).is_none()
                    && invalid(spec_name.as_str()).is_none()
                    && !starts_with_app(spec_name.as_str(), &app)
                {
                    found.push(
                        Finding::new(
                            spec_name.loc,
                            format!(
                                "Database `{name}` of app `{app}` creates database `{}`, which does not name the app",
                                spec_name.value
                            ),
                        )
                        .field(cx.project, "spec.name")
                        .label(format!("expected `{}`", normalize(&app)))
                        .help(format!(
                            "use `{}`; `spec.name` cannot be changed once applied: a new name creates a new, empty database",
                            normalize(&app)
                        )),
                    );
                }
                out.extend(found.into_iter().map(|f| {
                    let at = f.loc;
                    f.explained_within(at)
                }));
            }
            _ => {}
        }
    }
}

fn rename_secret_help(obj: &Object) -> String {
    match obj.spec {
        Spec::SealedSecret(_) => {
            "rename it and seal it again (the name is part of the sealed value), then update the role's `passwordSecret`"
                .to_string()
        }
        _ => "rename it and update the role's `passwordSecret`".to_string(),
    }
}

fn file_finding(obj: &Object, path: &str, file: &str, app: &str, suffix: &str) -> Finding {
    let expected = format!("{app}{suffix}.yaml");
    Finding::new(
        obj.anchor(),
        format!(
            "{} of app `{app}` is in `{}`, the file of app `{file}`",
            obj.display_name(),
            file_name(path)
        ),
    )
    .label(format!("expected in `{expected}`"))
    .help(format!(
        "move it to `{expected}` (and update the kustomization's `resources`)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::messages as run;

    const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
  namespace: postgres
spec:
  managed:
    roles:
      - name: gitea_user
        login: true
        passwordSecret:
          name: gitea-db-creds
";

    const SECRET: &str = "apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: gitea-db-creds
  namespace: postgres
spec:
  encryptedData:
    username: AgB
    password: AgC
";

    const DATABASE: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: gitea-db
  namespace: postgres
spec:
  name: gitea
  owner: gitea_user
  cluster:
    name: pg
";

    fn lint(files: &[(&str, &str)]) -> Vec<String> {
        let files: Vec<(String, &str)> = files
            .iter()
            .map(|(p, t)| (format!("infra/databases/postgres/{p}"), *t))
            .collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        run(&files, check)
    }

    #[test]
    fn sop_chain_is_quiet() {
        let files = [
            ("postgres-cluster.yaml", CLUSTER),
            ("gitea-secrets-sealed.yaml", SECRET),
            ("gitea-db.yaml", DATABASE),
        ];
        assert!(lint(&files).is_empty());
    }

    #[test]
    fn secret_without_the_app_name() {
        let cluster = CLUSTER.replace("gitea-db-creds", "database-credentials");
        let secret = SECRET.replace("gitea-db-creds", "database-credentials");
        let files = [
            ("postgres-cluster.yaml", cluster.as_str()),
            ("credentials.yaml", secret.as_str()),
            ("gitea-db.yaml", DATABASE),
        ];
        assert_eq!(
            lint(&files),
            [
                "secret `database-credentials` of app `gitea` (role `gitea_user`, Database `gitea-db`) is not named `gitea-db-creds`"
            ]
        );
        // Without a Database, role and secret alone are no clear evidence.
        assert!(lint(&files[..2]).is_empty());
    }

    #[test]
    fn free_form_names_outside_a_chain() {
        // `<cluster>-<app>-db` creating `<app>`: name and `spec.name` alone do not tell.
        let database = DATABASE
            .replace("name: gitea-db", "name: pg-main-gitea-db")
            .replace("owner: gitea_user", "owner: someone");
        assert!(lint(&[("databases.yaml", database.as_str())]).is_empty());
    }



    #[test]
    fn a_second_database_of_one_name_is_the_duplicate_s_mistake() {
        let database = |name: &str, spec_name: &str| {
            format!(
                "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: {name}\n  namespace: postgres\nspec:\n  name: {spec_name}\n  owner: {spec_name}_user\n  cluster:\n    name: postgres-shared\n"
            )
        };
        let (gitea, copy) = (database("gitea-db", "gitea"), database("gitea-db", "wiki"));
        let files = [
            ("infra/databases/postgres/gitea-db.yaml", gitea.as_str()),
            ("infra/databases/postgres/wiki-db.yaml", copy.as_str()),
        ];
        // The check alone judges the copy's names.
        let judged = ["Database `gitea-db` of app `gitea` is in `wiki-db.yaml`, the file of app `wiki`"];
        assert_eq!(run(&files, check), judged);
        // After the whole lint, the duplicate object is the one mistake in it.
        assert!(crate::rules::testing::findings("naming-convention", &files).is_empty());
        assert_eq!(
            crate::rules::testing::findings("database-duplicate", &files).len(),
            1
        );
        // A second definition of one database: its `spec.name` is the one edit.
        let (wiki, gitea) = (database("wiki-db", "gitea"), database("gitea-db", "gitea"));
        let files = [
            ("infra/databases/postgres/gitea-db.yaml", gitea.as_str()),
            ("infra/databases/postgres/wiki-db.yaml", wiki.as_str()),
        ];
        assert_eq!(
            run(&files, check),
            ["Database `wiki-db` of app `wiki` creates database `gitea`, which does not name the app"]
        );
        assert!(crate::rules::testing::findings("naming-convention", &files).is_empty());
        assert_eq!(
            crate::rules::testing::findings("database-duplicate", &files).len(),
            1
        );
        // Alone, the copy is judged (and reported) as before.
        let alone = [("infra/databases/postgres/wiki-db.yaml", copy.as_str())];
        assert_eq!(
            crate::rules::testing::findings("naming-convention", &alone),
            [format!("infra/databases/postgres/wiki-db.yaml:4 {}", judged[0])]
        );
    }
}
