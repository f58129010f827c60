use crate::diagnostic::Finding;
use crate::hash::HashMap;
use crate::index::{SecretSource, SecretUse, UserKind, operator_generated};
use crate::model::apps::Verdict;
use crate::model::{Object, Spec, is_unknowable};
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Checks that the `username` in a role's password Secret is the role's name, wherever
    /// the repository tells it: a `username` in clear in a Secret (`stringData`, or base64
    /// under `data`, as next to an argocd-vault-plugin `<path:…>` password), a literal
    /// `username` in a SealedSecret's or an ExternalSecret's template, and the Secret the
    /// operator generates for the bootstrap owner, `<cluster>-app`, whose username is that
    /// owner (`bootstrap.initdb.owner`, default `app`). Two roles of different names whose
    /// `passwordSecret` names the same Secret are reported too, even when the username cannot
    /// be read: at most one of them can match it.
    ///
    /// ## Why is this bad?
    /// CNPG compares the two before it touches the role: `getPassword` in
    /// `internal/management/controller/roles/runnable.go` fails with "the username in secret
    /// … does not match role …" when `strings.TrimSpace(config.Name) !=
    /// strings.TrimSpace(usernameFromSecret)`, for managed roles and `DatabaseRole`s alike
    /// (`ApplyPassword` in `roles/contract.go`). The role is then neither created nor updated
    /// (`status.managedRolesStatus.cannotReconcile`), and every Database it owns fails with
    /// `role … does not exist`. For the bootstrap owner, `reconcileUser` in
    /// `internal/management/controller/instance_controller.go` compares without trimming
    /// ("wrong username '…' in secret, expected '…'"). A Secret copied from another app with
    /// its `username` left unchanged, or one Secret named by two roles, is the usual cause.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Secret
    /// metadata:
    ///   name: nextcloud-db-creds
    ///   namespace: postgres
    /// type: kubernetes.io/basic-auth
    /// stringData:
    ///   username: gitea_user        # copied from gitea's Secret
    ///   password: <path:kv/data/nextcloud#password>
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Secret
    /// metadata:
    ///   name: nextcloud-db-creds
    ///   namespace: postgres
    /// type: kubernetes.io/basic-auth
    /// stringData:
    ///   username: nextcloud_user    # the role whose passwordSecret this is
    ///   password: <path:kv/data/nextcloud#password>
    /// ```
    ///
    /// ## How to fix
    /// Set `username` to the role's name (in a SealedSecret whose username is sealed, seal
    /// the Secret again). Give every role its own password Secret; a role that must use the
    /// operator's `<cluster>-app` Secret has to be the bootstrap owner.
    pub struct RoleUsernameMismatch {
        id: "role-username-mismatch",
        group: "references",
        level: Error,
        summary: "a role's password Secret holds another username than the role's name, or serves two roles",
        check: check,
    }
}

/// A username the Secret is known to hold, and where it comes from.
struct Known<'p> {
    value: &'p str,
    /// The node that writes it; `None` for a Secret the operator generates.
    loc: Option<Loc>,
    /// The object that makes the Secret, or the Cluster that generates it.
    object: &'p Object,
}

/// How a username reads in a message: quoted, with whitespace made visible; left out when it
/// is not a plausible role name.
fn username_text(username: &str) -> String {
    if username.len() > crate::model::names::MAX_BYTES
        || username
            .chars()
            .any(|c| c.is_control() && !c.is_whitespace())
    {
        format!("a username of {} bytes", username.len())
    } else {
        format!("username `{}`", username.escape_debug())
    }
}

/// Does CNPG accept `username` for the role of `used`?
fn accepts(used: &SecretUse<'_>, username: &str) -> bool {
    let role = used.role_name.unwrap_or("");
    match used.kind {
        // `reconcileUser` compares as it is.
        UserKind::Bootstrap => role == username,
        UserKind::Managed(_) | UserKind::DatabaseRole(_) => role.trim() == username.trim(),
    }
}

/// The field path of the `username` value at `loc` in the object that makes the Secret.
fn username_path(object: &Object, loc: Loc) -> String {
    let entry_of = |data: &[crate::model::DataEntry]| {
        data.iter()
            .find(|d| d.value_loc == loc || d.key.loc == loc)
            .map(|d| format!("{}.{}", d.field, d.key.value))
    };
    match &object.spec {
        Spec::Secret(secret) => entry_of(&secret.data),
        Spec::SealedSecret(sealed) => sealed
            .template
            .as_ref()
            .and_then(|t| entry_of(&t.data))
            .map(|path| format!("spec.template.{path}")),
        Spec::ExternalSecret(_) => Some("spec.target.template.data.username".to_string()),
        _ => None,
    }
    .unwrap_or_else(|| "username".to_string())
}

/// The usernames the Secret a reference names is known to hold.
fn known_usernames<'p>(cx: &Context<'p>, used: &SecretUse<'p>) -> Vec<Known<'p>> {
    let sources = cx.index.resolve_secret(used);
    if sources.is_empty() {
        return generated(cx, used).into_iter().collect();
    }
    sources
        .into_iter()
        .filter_map(|source| {
            let object = cx.index.object(source.object());
            let username = match (&object.spec, source) {
                (Spec::Secret(secret), SecretSource::Secret(_)) => secret.username(),
                (Spec::SealedSecret(sealed), SecretSource::Sealed(_)) => sealed.username(),
                (Spec::ExternalSecret(external), SecretSource::External(_)) => external.username(),
                _ => None,
            }?;
            (!is_unknowable(username.value)).then_some(Known {
                value: username.value,
                loc: Some(username.loc),
                object,
            })
        })
        .collect()
}

/// The operator's `<cluster>-app` Secret, when a reference names it and the cluster generates
/// it (no `bootstrap.initdb.secret`): its username is the bootstrap owner
/// (`reconcileAppUserSecret` in `internal/controller/cluster_create.go`).
fn generated<'p>(cx: &Context<'p>, used: &SecretUse<'p>) -> Option<Known<'p>> {
    let name = used.name.as_str();
    if !operator_generated(used.cluster_name, name) || !name.ends_with("-app") {
        return None;
    }
    let cluster_name = used.cluster_name?;
    let clusters = match used.kind {
        UserKind::DatabaseRole(_) => cx.index.cluster_of(used.instance, cluster_name),
        UserKind::Managed(_) | UserKind::Bootstrap => vec![used.instance],
    };
    let &cluster = clusters.first()?;
    let object = cx.index.object(cluster);
    let Spec::Cluster(spec) = &object.spec else {
        return None;
    };
    let bootstrap = &spec.bootstrap;
    if !bootstrap.creates_owner || bootstrap.secret.is_some() || is_unknowable(&bootstrap.owner) {
        return None;
    }
    Some(Known {
        value: bootstrap.owner.as_str(),
        loc: None,
        object,
    })
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // The references, grouped by the Secret they name, groups in the order they are first
    // met: one vector sorted (stably) by group, not a vector per Secret.
    let mut uses = cx.index.checked_uses();
    uses.retain(|used| !used.role_name.is_none_or(is_unknowable));
    let mut by_secret: HashMap<(Option<&str>, &str), usize> = HashMap::default();
    for used in &uses {
        let next = by_secret.len();
        by_secret
            .entry((used.namespace, used.name.as_str()))
            .or_insert(next);
    }
    uses.sort_by_key(|used| by_secret[&(used.namespace, used.name.as_str())]);
    for group in uses.chunk_by(|a, b| a.namespace == b.namespace && a.name.value == b.name.value) {
        let known = known_usernames(cx, &group[0]);
        if known.is_empty() {
            shared(cx, group, out);
        }
        for username in &known {
            mismatched(cx, group, username, out);
        }
    }
}

/// The Secret's username is known: the references whose role it does not match.
fn mismatched(
    cx: &Context<'_>,
    group: &[SecretUse<'_>],
    username: &Known<'_>,
    out: &mut Vec<Finding>,
) {
    let (matching, wrong): (Vec<&SecretUse<'_>>, Vec<&SecretUse<'_>>) =
        group.iter().partition(|u| accepts(u, username.value));
    if wrong.is_empty() {
        return;
    }
    let name = group[0].name.as_str();
    let shown = username_text(username.value);
    let Some(username_loc) = username.loc else {
        // The operator's Secret: the reference is what to change.
        let cluster = username.object.name().unwrap_or("<unnamed>");
        for used in wrong {
            let role = used.role_name.unwrap_or_default();
            let mut finding = Finding::new(
                used.loc(),
                format!(
                    "passwordSecret `{name}` of {} is the Secret the operator generates for the bootstrap owner of `{cluster}`: its username is `{}`",
                    used.describe(),
                    username.value
                ),
            )
            .field(cx.project, used.field_path())
            .label(format!("username `{}`, not `{role}`", username.value))
            .help(format!(
                "give role `{role}` its own password Secret with `username: {role}`; `{name}` \
                 belongs to `{}`",
                username.value
            ))
            .in_deployment(cx.deployment_of(used.instance));
            if let Spec::Cluster(spec) = &username.object.spec {
                let at = spec.bootstrap.owner_loc.unwrap_or_else(|| username.object.anchor());
                finding = finding.related(
                    at,
                    format!("the bootstrap owner is `{}`", username.value),
                );
            }
            out.push(finding);
        }
        return;
    };
    if let Some(owner) = matching.first() {
        // The Secret is another role's: each other reference is what to change.
        let owner_role = owner.role_name.unwrap_or_default();
        for used in wrong {
            let role = used.role_name.unwrap_or_default();
            let own = did_you_mean(cx, used);
            let finding = Finding::new(
                    used.loc(),
                    format!(
                        "passwordSecret `{name}` of {} holds {shown}: it is role `{owner_role}`'s",
                        used.describe()
                    ),
                )
                .field(cx.project, used.field_path())
                .label(format!("the username is not `{role}`"))
                .help(format!(
                    "give role `{role}` its own password Secret with `username: {role}` (one \
                     Secret's username matches one role only){}",
                    own.as_ref()
                        .map(|(s, _)| format!("; did you mean `{s}`?"))
                        .unwrap_or_default()
                ))
                .related(username_loc, format!("the Secret's {shown}"))
                .related(owner.loc(), format!("role `{owner_role}` uses it too"))
                .in_deployment(cx.deployment_of(used.instance));
            out.push(with_own_secret(finding, own.as_ref()));
        }
        return;
    }
    // No reference matches: the username is what to change (for a single role).
    let roles: Vec<&str> = wrong.iter().filter_map(|u| u.role_name).collect();
    let users = wrong
        .iter()
        .map(|u| u.describe())
        .collect::<Vec<_>>()
        .join(" and ");
    let own = match roles.as_slice() {
        [_] => did_you_mean(cx, wrong[0]),
        _ => None,
    };
    let help = match roles.as_slice() {
        [role] => format!(
            "set `username` to `{role}`: CNPG requires the role's name{}",
            match &username.object.spec {
                Spec::SealedSecret(_) => " (the template is not encrypted: edit it by hand)",
                Spec::Secret(_) => "",
                _ => "",
            }
        ) + &own
            .as_ref()
            .map(|(s, _)| format!(", or use `{s}` if this Secret is another app's"))
            .unwrap_or_default(),
        _ => format!(
            "one Secret's username matches one role only: set `username` to one of {} and give \
             the others their own Secret",
            roles
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut finding = Finding::new(
        username_loc,
        format!(
            "{} holds {shown}, but it is the password Secret of {users}",
            username.object.display_name()
        ),
    )
    .field(cx.project, username_path(username.object, username_loc))
    .label(match roles.as_slice() {
        [role] => format!("not `{role}`"),
        _ => "matches none of its roles".to_string(),
    })
    .help(help);
    for used in &wrong {
        finding = finding.related(used.loc(), format!("{} uses this Secret", used.describe()));
    }
    out.push(with_own_secret(finding, own.as_ref()));
}

/// The Secret's username is not known: roles of different names that share it.
fn shared(cx: &Context<'_>, group: &[SecretUse<'_>], out: &mut Vec<Finding>) {
    let first = &group[0];
    let roles = cx
        .index
        .roles_sharing_secret(first.namespace, first.name.as_str());
    if roles.len() < 2 {
        return;
    }
    // A Secret that is nowhere has no username to compare (see `role-secret-missing`).
    if cx.index.resolve_secret(first).is_empty() && generated(cx, first).is_none() {
        return;
    }
    // The naming convention may tell which reference strays; else all but the first role.
    let strays: Vec<&SecretUse<'_>> = group
        .iter()
        .filter(|u| did_you_mean(cx, u).is_some())
        .collect();
    let reported: Vec<&SecretUse<'_>> = if strays.is_empty() || strays.len() == group.len() {
        group
            .iter()
            .filter(|u| u.role_name != first.role_name)
            .collect()
    } else {
        strays
    };
    let name = first.name.as_str();
    for used in reported {
        let role = used.role_name.unwrap_or_default();
        let other = group
            .iter()
            .find(|u| u.role_name != used.role_name)
            .unwrap_or(first);
        let other_role = other.role_name.unwrap_or_default();
        let own = did_you_mean(cx, used);
        let finding = Finding::new(
                used.loc(),
                format!(
                    "Secret `{name}` is the password Secret of role `{other_role}` and of {}: its one `username` can match only one of them",
                    used.describe()
                ),
            )
            .field(cx.project, used.field_path())
            .label(format!("shared with role `{other_role}`"))
            .help(match &own {
                Some((secret, _)) => format!("did you mean `{secret}`?"),
                None => format!(
                    "give role `{role}` its own password Secret with `username: {role}`"
                ),
            })
            .related(other.loc(), format!("role `{other_role}` uses `{name}` too"))
            .in_deployment(cx.deployment_of(used.instance));
        out.push(with_own_secret(finding, own.as_ref()));
    }
}

/// The credentials secret of the reference's own app and where it is declared, when the
/// naming convention says the Secret it names is another app's and the app's own exists.
fn did_you_mean(cx: &Context<'_>, used: &SecretUse<'_>) -> Option<(String, Loc)> {
    let chain = cx
        .index
        .chains()
        .iter()
        .find(|c| c.cluster == used.instance && c.secret_name.loc == used.name.loc)?;
    let Verdict::SecretDiffers(app) = cx.index.assess(cx.config, chain)?.verdict else {
        return None;
    };
    let expected = format!("{app}{}", cx.config.naming.secret_suffix);
    let own = cx
        .index
        .secret_sources(&expected, used.namespace)
        .into_iter()
        .map(SecretSource::object)
        .min()?;
    Some((expected, cx.index.object(own).anchor()))
}

/// The finding with the app's own secret (see [`did_you_mean`]) as a related location: the
/// finding says why no role uses it.
fn with_own_secret(finding: Finding, own: Option<&(String, Loc)>) -> Finding {
    match own {
        Some((name, at)) => finding.related(*at, format!("`{name}` is this app's own secret")),
        None => finding,
    }
}

#[cfg(test)]
mod tests {
    use super::{check, username_text};
    use crate::rules::testing::{CLUSTER, DATABASE_ROLE, messages as run};

    fn secret(body: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gitea-db-creds\n  namespace: db\ntype: kubernetes.io/basic-auth\n{body}"
        )
    }

    #[test]
    fn the_role_name_passes() {
        let plain = secret("stringData:\n  username: gitea_user\n  password: <path:kv#pw>\n");
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", &plain)], check).is_empty());
        // Trailing whitespace is trimmed for managed roles.
        let newline = secret("data:\n  username: Z2l0ZWFfdXNlcgo=\n  password: cHc=\n");
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", &newline)], check).is_empty());
        let unknown = secret("stringData:\n  username: <path:kv#user>\n");
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", &unknown)], check).is_empty());
    }

    #[test]
    fn another_username_is_reported_at_the_username() {
        let copied = secret("stringData:\n  username: nextcloud_user\n  password: <path:kv#pw>\n");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("s.yaml", &copied)], check),
            [
                "Secret `gitea-db-creds` holds username `nextcloud_user`, but it is the password Secret of role `gitea_user` of cluster `pg`"
            ]
        );
        let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: gitea-db-creds\n  namespace: db\nspec:\n  encryptedData:\n    password: AgA=\n  template:\n    data:\n      username: gitea\n";
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("s.yaml", sealed)], check),
            [
                "SealedSecret `gitea-db-creds` holds username `gitea`, but it is the password Secret of role `gitea_user` of cluster `pg`"
            ]
        );
        let external = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: gitea-db-creds\n  namespace: db\nspec:\n  target:\n    template:\n      data:\n        username: app\n        password: \"{{ .pw }}\"\n";
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("s.yaml", external)], check),
            [
                "ExternalSecret `gitea-db-creds` holds username `app`, but it is the password Secret of role `gitea_user` of cluster `pg`"
            ]
        );
    }

    #[test]
    fn a_secret_shared_by_two_roles_is_reported() {
        let two = CLUSTER.to_string()
            + "      - name: wiki_user\n        login: true\n        passwordSecret:\n          name: gitea-db-creds\n";
        let sealed = crate::rules::testing::SECRET;
        assert_eq!(
            run(&[("c.yaml", &two), ("s.yaml", sealed)], check),
            [
                "Secret `gitea-db-creds` is the password Secret of role `gitea_user` and of role `wiki_user` of cluster `pg`: its one `username` can match only one of them"
            ]
        );
        // Known to be gitea_user's: the other reference is the one to change.
        let plain = secret("stringData:\n  username: gitea_user\n");
        assert_eq!(
            run(&[("c.yaml", &two), ("s.yaml", &plain)], check),
            [
                "passwordSecret `gitea-db-creds` of role `wiki_user` of cluster `pg` holds username `gitea_user`: it is role `gitea_user`'s"
            ]
        );
        // A DatabaseRole sharing it.
        let db_role = DATABASE_ROLE.to_string() + "  passwordSecret:\n    name: gitea-db-creds\n";
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("r.yaml", &db_role), ("s.yaml", sealed)], check),
            [
                "Secret `gitea-db-creds` is the password Secret of role `gitea_user` and of DatabaseRole `wiki_user` of cluster `pg`: its one `username` can match only one of them"
            ]
        );
    }

    #[test]
    fn the_operators_app_secret_belongs_to_the_bootstrap_owner() {
        let app = CLUSTER.replace("name: gitea-db-creds", "name: pg-app");
        assert_eq!(
            run(&[("c.yaml", &app)], check),
            [
                "passwordSecret `pg-app` of role `gitea_user` of cluster `pg` is the Secret the operator generates for the bootstrap owner of `pg`: its username is `app`"
            ]
        );
        let owner = app.replace(
            "spec:\n",
            "spec:\n  bootstrap:\n    initdb:\n      database: gitea\n      owner: gitea_user\n",
        );
        assert!(run(&[("c.yaml", &owner)], check).is_empty());
    }

    #[test]
    fn the_bootstrap_owner_is_compared_as_it_is() {
        let cluster = CLUSTER.replace(
            "spec:\n",
            "spec:\n  bootstrap:\n    initdb:\n      owner: app\n      secret:\n        name: app-creds\n",
        );
        let app = secret("data:\n  username: YXBwCg==\n  password: cHc=\n")
            .replace("gitea-db-creds", "app-creds");
        assert_eq!(
            run(&[("c.yaml", &cluster), ("s.yaml", &app)], check),
            [
                "Secret `app-creds` holds username `app\\n`, but it is the password Secret of the bootstrap owner `app` of cluster `pg`"
            ]
        );
    }

    #[test]
    fn odd_usernames_are_not_printed() {
        assert_eq!(username_text("app"), "username `app`");
        assert_eq!(username_text("a\u{1}b"), "a username of 3 bytes");
        assert_eq!(username_text(&"x".repeat(64)), "a username of 64 bytes");
    }
}
