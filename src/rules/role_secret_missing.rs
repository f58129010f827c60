use crate::diagnostic::{Finding, Subject};
use crate::index::{InstanceId, SecretSource, UserKind, operator_generated, same_namespace};
use crate::model::{Spec, is_unknowable, similar};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that the Secret a role's `passwordSecret.name` names exists in the Cluster's
    /// namespace: a `Secret`, a `SealedSecret`, or an `ExternalSecret` that creates it. The
    /// same holds for a `DatabaseRole`'s `passwordSecret` (in its own namespace) and for the
    /// Cluster's `bootstrap.initdb.secret.name`. The Secrets the operator generates,
    /// `<cluster>-app` and `<cluster>-superuser`, count as existing. A kustomize
    /// `secretGenerator` Secret counts under the name kustomize gives it: with its hash suffix
    /// unless `disableNameSuffixHash` is set, since kustomize rewrites references to it only
    /// in fields it knows (Pod volumes, `envFrom`, …), never in CNPG's `passwordSecret`
    /// (kustomize `api/internal/konfig/builtinpluginconsts/namereference.go`).
    ///
    /// ## Why is this bad?
    /// CNPG reads the password Secret from the Cluster's own namespace only; `passwordSecret`
    /// has no namespace field. When it is missing, the role is neither created nor updated
    /// (`status.managedRolesStatus.cannotReconcile`: "failed to get password secret …: not
    /// found"), so every Database it owns fails with `role … does not exist`. Operators older
    /// than 1.28.4 / 1.29.2 instead cleared the role's password, locking the app out.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   namespace: postgres
    /// spec:
    ///   managed:
    ///     roles:
    ///       - name: gitea_user
    ///         login: true
    ///         passwordSecret:
    ///           name: gitea-db-cred     # the SealedSecret is `gitea-db-creds`
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Cluster
    /// metadata:
    ///   name: postgres-shared
    ///   namespace: postgres
    /// spec:
    ///   managed:
    ///     roles:
    ///       - name: gitea_user
    ///         login: true
    ///         passwordSecret:
    ///           name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Correct the name, or commit the credentials: a `kubernetes.io/basic-auth` Secret with
    /// `username` (the role name) and `password`, sealed with `kubeseal --format yaml` into a
    /// SealedSecret in the Cluster's namespace (wave 0).
    pub struct RoleSecretMissing {
        id: "role-secret-missing",
        group: "references",
        level: Error,
        summary: "a role's passwordSecret names no Secret, SealedSecret or ExternalSecret in the Cluster's namespace",
        fix: (Unsafe, "writes the one similar Secret name in `passwordSecret.name`"),
        // A deployment that renames the SealedSecret (and the Cluster) is one mistake there.
        yields_to: [SealedSecretMoved, ClusterMissing],
        check: check,
    }
}

/// Controllers that write a Secret named like their own object.
const SAME_NAME_WRITERS: &[(&str, &str)] = &[
    ("onepassword.com", "OnePasswordItem"),
    ("secretgen.k14s.io", "Password"),
];

/// Controllers that write a Secret named in their spec (which pglint does not read): with
/// one of them in the namespace, any name may exist.
const SPEC_NAMED_WRITERS: &[(&str, &str)] = &[
    ("secrets.hashicorp.com", "VaultStaticSecret"),
    ("secrets.hashicorp.com", "VaultDynamicSecret"),
    ("secrets.infisical.com", "InfisicalSecret"),
    ("k8s.bitwarden.com", "BitwardenSecret"),
    ("secrets.doppler.com", "DopplerSecret"),
    ("external-secrets.io", "ClusterExternalSecret"),
    ("isindir.github.com", "SopsSecret"),
];

/// Does something besides a Secret, SealedSecret or ExternalSecret make the Secret `name`
/// exist in `namespace`: another secret controller? (A kustomize `secretGenerator`'s Secret
/// is an instance of its deployment: the index finds it under its generated name.)
fn made_elsewhere(cx: &Context<'_>, name: &str, namespace: Option<&str>) -> bool {
    cx.objects().any(|(_, obj)| {
        if !matches!(obj.spec, Spec::Other) || !same_namespace(obj.namespace_str(), namespace) {
            return false;
        }
        let group = obj
            .api_version
            .as_ref()
            .map_or("", |v| v.value.split('/').next().unwrap_or(""));
        let kind = (group, obj.kind_str());
        SPEC_NAMED_WRITERS.contains(&kind)
            || (SAME_NAME_WRITERS.contains(&kind) && obj.name() == Some(name))
    })
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for used in cx.index.checked_uses() {
        let name = used.name.as_str();
        if operator_generated(used.cluster_name, name)
            || !cx.index.resolve_secret(&used).is_empty()
            || made_elsewhere(cx, name, used.namespace)
        {
            continue;
        }
        let namespace = used.namespace;
        // A templated Secret name in that namespace may be this one.
        // …and so may a Secret a Helm chart or remote base deploys there.
        let visible = cx.index.secret_names(namespace);
        if visible.iter().any(|n| is_unknowable(n)) || cx.deploy().may_hide_objects(namespace) {
            continue;
        }
        let where_ = namespace.map_or_else(
            || "the repository".to_string(),
            |ns| format!("namespace `{ns}`"),
        );
        let mut finding = Finding::new(
            used.loc(),
            format!(
                "passwordSecret `{name}` of {} names no Secret in {where_}",
                used.describe()
            ),
        )
        .field(cx.project, used.field_path())
        .label("no such Secret")
        .rests_on_absence(&["Secret", "SealedSecret", "ExternalSecret", "Kustomization"])
        .in_deployment(cx.deployment_of(used.instance));
        if matches!(used.kind, UserKind::Bootstrap) {
            finding.message = format!(
                "bootstrap secret `{name}` of cluster `{}` names no Secret in {where_}",
                used.cluster_name.unwrap_or("<unnamed>")
            );
        }
        // The Secret exists, but in another namespace.
        let mut elsewhere: Vec<InstanceId> = cx
            .index
            .secret_sources(name, None)
            .into_iter()
            .map(SecretSource::object)
            .filter(|&id| !same_namespace(cx.index.object(id).namespace_str(), namespace))
            .collect();
        elsewhere.sort_unstable();
        if let Some(other) = elsewhere.first().map(|&id| cx.index.object(id)) {
            let other_ns = other.namespace_str().unwrap_or("?");
            finding = finding
                .help(format!(
                    "{} `{name}` is in namespace `{other_ns}`, but CNPG reads the password Secret \
                     from the cluster's namespace: move it to {where_}",
                    other.kind_str()
                ))
                .related(
                    other.anchor(),
                    format!("{} `{name}` is in namespace `{other_ns}`", other.kind_str()),
                );
        } else if let Some(suggestion) = similar(name, visible.iter().copied()) {
            finding = finding
                .help(format!("did you mean `{suggestion}`?"))
                .fix_opt(cx.rename_fix(used.loc(), suggestion));
            let mut ids: Vec<InstanceId> = cx
                .index
                .secret_sources(suggestion, namespace)
                .into_iter()
                .map(SecretSource::object)
                .collect();
            ids.sort_unstable();
            if let Some(&id) = ids.first() {
                let obj = cx.index.object(id);
                finding = finding.related(
                    obj.anchor(),
                    format!("{} `{suggestion}` is declared here", obj.kind_str()),
                );
            }
        } else {
            finding = finding.help(format!(
                "commit a SealedSecret `{name}` in {where_} holding `username` and `password` \
                 (kubeseal --format yaml of a kubernetes.io/basic-auth Secret)"
            ));
        }
        if let Some(renamed) =
            cx.index
                .renamed_from(&["Secret", "SealedSecret"], name, namespace)
        {
            let what = format!(
                "this renames {} `{name}` to `{}`, so the role's passwordSecret finds none",
                cx.index.object(renamed.instance).kind_str(),
                renamed.name
            );
            let subject = Subject::at(cx.project, renamed.at, "metadata.name");
            finding = finding.caused_by(renamed.at, subject, what);
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{CLUSTER, DATABASE_ROLE, SECRET, messages as run};
    use super::check;

    #[test]
    fn resolved_by_every_kind_of_source() {
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", SECRET)], check).is_empty());
        let external = "apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: gitea
  namespace: db
spec:
  target:
    name: gitea-db-creds
";
        assert!(run(&[("c.yaml", CLUSTER), ("e.yaml", external)], check).is_empty());
        let sops = "apiVersion: v1
kind: Secret
metadata:
  name: gitea-db-creds
  namespace: db
stringData:
  username: ENC[AES256_GCM,data:abc,type:str]
  password: ENC[AES256_GCM,data:def,type:str]
sops:
  version: 3.9.0
";
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", sops)], check).is_empty());
    }

    #[test]
    fn missing_and_misplaced_secrets() {
        assert_eq!(
            run(&[("c.yaml", CLUSTER)], check),
            [
                "passwordSecret `gitea-db-creds` of role `gitea_user` of cluster `pg` names no Secret in namespace `db`"
            ]
        );
        let elsewhere = SECRET.replace("namespace: db", "namespace: gitea");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("s.yaml", &elsewhere)], check).len(),
            1
        );
    }

    #[test]
    fn skips_what_cannot_or_need_not_resolve() {
        // Operator-generated, templated, disabled and absent.
        for (from, to) in [
            ("name: gitea-db-creds", "name: pg-app"),
            ("name: gitea-db-creds", "name: ${APP}-db-creds"),
            ("login: true", "login: true\n        disablePassword: true"),
            ("login: true", "login: true\n        ensure: absent"),
        ] {
            let cluster = CLUSTER.replace(from, to);
            assert!(run(&[("c.yaml", &cluster)], check).is_empty(), "{to}");
        }
    }

    #[test]
    fn other_secret_writers() {
        // A secretGenerator's Secret resolves when its name is kept exactly…
        let generator = "namespace: db\nresources:\n  - c.yaml\nsecretGenerator:\n  - name: gitea-db-creds\n    literals: [username=gitea_user]\n    options:\n      disableNameSuffixHash: true\n";
        assert!(
            run(
                &[("c.yaml", CLUSTER), ("kustomization.yaml", generator)],
                check
            )
            .is_empty()
        );
        // …but kustomize's name hash is not written into CNPG's passwordSecret: the Secret
        // `gitea-db-creds-<hash>` is not the one the role names.
        let hashed = generator.replace("    options:\n      disableNameSuffixHash: true\n", "");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("kustomization.yaml", &hashed)], check).len(),
            1
        );
        let item = "apiVersion: onepassword.com/v1\nkind: OnePasswordItem\nmetadata:\n  name: gitea-db-creds\n  namespace: db\n";
        assert!(run(&[("c.yaml", CLUSTER), ("i.yaml", item)], check).is_empty());
        let vault = "apiVersion: secrets.hashicorp.com/v1beta1\nkind: VaultStaticSecret\nmetadata:\n  name: x\n  namespace: db\n";
        assert!(run(&[("c.yaml", CLUSTER), ("v.yaml", vault)], check).is_empty());
        let elsewhere = vault.replace("namespace: db", "namespace: apps");
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("v.yaml", &elsewhere)], check).len(),
            1
        );
    }

    #[test]
    fn bootstrap_and_database_role_secrets() {
        let cluster = CLUSTER.replace(
            "spec:\n",
            "spec:\n  bootstrap:\n    initdb:\n      secret:\n        name: app-creds\n",
        );
        assert_eq!(
            run(&[("c.yaml", &cluster), ("s.yaml", SECRET)], check),
            ["bootstrap secret `app-creds` of cluster `pg` names no Secret in namespace `db`"]
        );
        let role = format!("{DATABASE_ROLE}  login: true\n  passwordSecret:\n    name: wiki-db-creds\n");
        assert_eq!(
            run(
                &[("c.yaml", CLUSTER), ("s.yaml", SECRET), ("r.yaml", &role)],
                check
            )
            .len(),
            1
        );
    }
}
