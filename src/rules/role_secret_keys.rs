use std::collections::BTreeMap;

use crate::diagnostic::Finding;
use crate::index::{SecretSource, SecretUse, InstanceId};
use crate::model::{Object, Spec};
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Checks that the Secret a role's `passwordSecret` (or the Cluster's
    /// `bootstrap.initdb.secret`) names has both a `username` and a `password` key: the keys
    /// of `data`/`stringData` for a Secret, of `spec.encryptedData` (and
    /// `spec.template.data`) for a SealedSecret. SOPS-encrypted Secrets keep their keys in
    /// clear and are checked too. An ExternalSecret's keys are those it writes: its
    /// `spec.target.template.data` keys, plus its `spec.data[].secretKey`s when the template
    /// has no data or merges (`ApplyTemplate` in external-secrets
    /// `pkg/controllers/externalsecret/externalsecret_controller_template.go`); with
    /// `dataFrom`, `templateFrom` or a merging `creationPolicy` they cannot be known, and it is
    /// skipped.
    ///
    /// ## Why is this bad?
    /// CNPG requires the `kubernetes.io/basic-auth` layout: without `username` it fails with
    /// "username key doesn't exist inside the secret", without `password` with "password key
    /// doesn't exist inside the secret". The role is then not reconciled
    /// (`status.managedRolesStatus.cannotReconcile`), and the app cannot log in
    /// (`GetUserPasswordFromSecret` in `internal/management/utils/secrets.go`, called by
    /// `getPassword` in `internal/management/controller/roles/runnable.go`). A SealedSecret
    /// sealed from a Secret with other key names (`user`, `pass`, `POSTGRES_PASSWORD`), or an
    /// ExternalSecret whose `secretKey`s copy the vault's names, is the usual cause.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: postgres
    /// spec:
    ///   encryptedData:
    ///     user: AgBg6ztEd3Oub…
    ///     password: AgCNeYWzHel…
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: postgres
    /// spec:
    ///   encryptedData:
    ///     username: AgBg6ztEd3Oub…
    ///     password: AgCNeYWzHel…
    /// ```
    ///
    /// ## How to fix
    /// Recreate the Secret with exactly the keys `username` (the role name) and `password`,
    /// type `kubernetes.io/basic-auth`, and seal it again with `kubeseal --format yaml`. An
    /// `encryptedData` key may also be renamed in place: the key name is not part of the
    /// sealed value.
    pub struct RoleSecretKeys {
        id: "role-secret-keys",
        group: "references",
        level: Error,
        summary: "a role's password Secret lacks a username or password key",
        check: check,
    }
}

const REQUIRED: [&str; 2] = ["username", "password"];

/// The keys a Secret or SealedSecret gives the Secret it makes, and where to point when some
/// are missing; `None` when they cannot be known.
fn known_keys(obj: &Object) -> Option<(Vec<&str>, Loc)> {
    match &obj.spec {
        Spec::Secret(secret) => {
            // A Secret without any data gets it from elsewhere (a replicator, a mirror, an
            // operator) when it says so in an annotation; its keys are not known.
            if secret.data.is_empty() && !obj.meta.annotations.is_empty() {
                return None;
            }
            let mut keys: Vec<&str> = secret.data.iter().map(|d| d.key.as_str()).collect();
            keys.extend(generated_keys(obj));
            Some((keys, obj.anchor()))
        }
        Spec::SealedSecret(sealed) => {
            // Deprecated `spec.data` (one blob) or no encryptedData: keys unknown.
            let loc = sealed.encrypted_loc?;
            let mut keys: Vec<&str> = sealed.encrypted.iter().map(|e| e.key.as_str()).collect();
            if let Some(template) = &sealed.template {
                keys.extend(template.data.iter().map(|d| d.key.as_str()));
            }
            Some((keys, loc))
        }
        Spec::ExternalSecret(external) => {
            let keys = external.keys()?;
            Some((keys, external.keys_loc.unwrap_or_else(|| obj.anchor())))
        }
        _ => None,
    }
}

/// Keys a secret generator adds to the Secret once applied: mittwald's
/// `secret-generator.v1.mittwald.de/autogenerate: password,other`.
fn generated_keys(obj: &Object) -> impl Iterator<Item = &str> {
    obj.meta
        .annotations
        .entries
        .iter()
        .filter(|a| a.key.value.ends_with("/autogenerate"))
        .flat_map(|a| a.value.value.split(','))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // Secret object → the references it serves.
    let mut users: BTreeMap<InstanceId, Vec<SecretUse<'_>>> = BTreeMap::new();
    for used in cx.index.checked_uses() {
        let sources = cx.index.resolve_secret(&used);
        // An ExternalSecret whose keys cannot be known may supply what another source lacks.
        if sources.iter().any(|s| {
            matches!(s, SecretSource::External(_)) && known_keys(cx.index.object(s.object())).is_none()
        }) {
            continue;
        }
        for source in sources {
            users.entry(source.object()).or_default().push(used);
        }
    }
    for (id, uses) in users {
        let obj = cx.index.object(id);
        let Some((keys, loc)) = known_keys(obj) else {
            continue;
        };
        let missing: Vec<&str> = REQUIRED.into_iter().filter(|k| !keys.contains(k)).collect();
        if missing.is_empty() {
            continue;
        }
        // An ExternalSecret's look-alike `secretKey` is the node to rename.
        let (loc, path) = match &obj.spec {
            Spec::ExternalSecret(external) => missing
                .iter()
                .find_map(|m| {
                    let i = external.secret_keys.iter().position(|k| look_alike(k.as_str(), m))?;
                    Some((external.secret_keys[i].loc, format!("spec.data[{i}].secretKey")))
                })
                .unwrap_or_else(|| (loc, "spec.data".to_string())),
            Spec::SealedSecret(_) => (loc, "spec.encryptedData".to_string()),
            _ => (loc, obj.anchor_path().to_string()),
        };
        let field = match obj.spec {
            Spec::SealedSecret(_) => "`spec.encryptedData`",
            Spec::ExternalSecret(ref external) if external.template.is_some() => {
                "`spec.target.template.data` or `spec.data[].secretKey`"
            }
            Spec::ExternalSecret(_) => "`spec.data[].secretKey`",
            _ => "`data`/`stringData`",
        };
        let missing_text = missing
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        let noun = if missing.len() == 1 { "key" } else { "keys" };
        let mut finding = Finding::new(
            loc,
            format!(
                "{} has no {missing_text} {noun}, which {} needs",
                obj.display_name(),
                uses[0].describe()
            ),
        )
        .field(cx.project, path)
        .label(format!("no {missing_text} in {field}"))
        .help(format!(
            "CNPG reads `username` and `password` (kubernetes.io/basic-auth); {}",
            hint(&keys, &missing, &obj.spec)
        ));
        for used in &uses {
            finding = finding.related(used.loc(), format!("{} uses this Secret", used.describe()));
        }
        out.push(finding);
    }
}

/// How to fix: rename a look-alike key, or add the key.
fn hint(keys: &[&str], missing: &[&str], spec: &Spec) -> String {
    let renames: Vec<String> = missing
        .iter()
        .filter_map(|m| {
            let alike = keys.iter().find(|k| look_alike(k, m))?;
            Some(format!("rename `{alike}` to `{m}`"))
        })
        .collect();
    if !renames.is_empty() {
        renames.join(" and ")
    } else if matches!(spec, Spec::SealedSecret(_)) {
        "seal the Secret again with both keys".to_string()
    } else if matches!(spec, Spec::ExternalSecret(_)) {
        format!(
            "add a `spec.data` entry with `secretKey: {}` for each",
            missing.join("`/`secretKey: ")
        )
    } else {
        "add the missing keys".to_string()
    }
}

/// `user`, `USERNAME`, `db_user`, `POSTGRES_PASSWORD`, `pass`… for `username`/`password`.
fn look_alike(key: &str, wanted: &str) -> bool {
    if REQUIRED.contains(&key) {
        return false;
    }
    let key = key.to_ascii_lowercase();
    match wanted {
        "username" => key.contains("user") || key == "login",
        "password" => key.contains("pass") || key == "pwd",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, SECRET, messages as run};

    #[test]
    fn complete_secrets_pass() {
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", SECRET)], check).is_empty());
        // A key the template adds, a key a generator adds.
        let templated = SECRET.replace("    username: AgB\n", "")
            + "  template:\n    data:\n      username: gitea_user\n";
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", &templated)], check).is_empty());
        let generated = "apiVersion: v1
kind: Secret
metadata:
  name: gitea-db-creds
  namespace: db
  annotations:
    secret-generator.v1.mittwald.de/autogenerate: password
stringData:
  username: gitea_user
";
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", generated)], check).is_empty());
    }

    #[test]
    fn unknowable_keys_are_not_judged() {
        let external = "apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: gitea-db-creds
  namespace: db
";
        assert!(run(&[("c.yaml", CLUSTER), ("e.yaml", external)], check).is_empty());
        let mirror = "apiVersion: v1
kind: Secret
metadata:
  name: gitea-db-creds
  namespace: db
  annotations:
    replicator.v1.mittwald.de/replicate-from: other/gitea
";
        assert!(run(&[("c.yaml", CLUSTER), ("s.yaml", mirror)], check).is_empty());
    }

    #[test]
    fn an_external_secret_must_write_both_keys() {
        let external = |spec: &str| {
            format!(
                "apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: gitea-db-creds
  namespace: db
spec:
{spec}"
            )
        };
        let vault_names = external(
            "  data:\n    - secretKey: user\n      remoteRef: {key: gitea}\n    - secretKey: password\n      remoteRef: {key: gitea}\n",
        );
        assert_eq!(
            run(&[("c.yaml", CLUSTER), ("e.yaml", &vault_names)], check),
            [
                "ExternalSecret `gitea-db-creds` has no `username` key, which role `gitea_user` of cluster `pg` needs"
            ]
        );
        // A template that writes the username; keys from `dataFrom` cannot be known.
        let templated = external(
            "  target:\n    template:\n      mergePolicy: Merge\n      data:\n        username: gitea_user\n  data:\n    - secretKey: password\n      remoteRef: {key: gitea}\n",
        );
        assert!(run(&[("c.yaml", CLUSTER), ("e.yaml", &templated)], check).is_empty());
        let extracted = external("  dataFrom:\n    - extract: {key: gitea}\n  data:\n    - secretKey: user\n      remoteRef: {key: gitea}\n");
        assert!(run(&[("c.yaml", CLUSTER), ("e.yaml", &extracted)], check).is_empty());
    }

    #[test]
    fn a_copy_elsewhere_is_not_the_secret_cnpg_reads() {
        // Both without a namespace: the one beside the Cluster is the one it uses.
        let external = |keys: &str| {
            format!(
                "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: gitea-db-creds\nspec:\n  data:\n{keys}"
            )
        };
        let complete = external(
            "    - secretKey: username\n      remoteRef: {key: k}\n    - secretKey: password\n      remoteRef: {key: k}\n",
        );
        let app_copy = external("    - secretKey: DB_PASSWORD\n      remoteRef: {key: k}\n");
        let cluster = CLUSTER.replace("  namespace: db\n", "");
        let files = [
            ("db/c.yaml", cluster.as_str()),
            ("db/e.yaml", complete.as_str()),
            ("apps/gitea/e.yaml", app_copy.as_str()),
        ];
        assert!(run(&files, check).is_empty());
    }

    #[test]
    fn missing_keys_are_reported_once_per_secret() {
        let sops = "apiVersion: v1
kind: Secret
metadata:
  name: gitea-db-creds
  namespace: db
stringData:
  password: ENC[AES256_GCM,data:def,type:str]
sops:
  version: 3.9.0
";
        let two_roles = CLUSTER.to_string()
            + "      - name: gitea_admin\n        login: true\n        passwordSecret:\n          name: gitea-db-creds\n";
        assert_eq!(
            run(&[("c.yaml", &two_roles), ("s.yaml", sops)], check),
            [
                "Secret `gitea-db-creds` has no `username` key, which role `gitea_user` of cluster `pg` needs"
            ]
        );
    }

    use super::{hint, look_alike};
    use crate::model::Spec;

    fn sealed() -> Spec {
        Spec::SealedSecret(Box::new(crate::model::SealedSecret {
            encrypted_loc: None,
            encrypted: Vec::new(),
            template: None,
        }))
    }

    #[test]
    fn look_alike_keys() {
        assert!(look_alike("user", "username"));
        assert!(look_alike("POSTGRES_USER", "username"));
        assert!(look_alike("pass", "password"));
        assert!(look_alike("db-password", "password"));
        assert!(!look_alike("password", "username"));
        assert!(!look_alike("host", "password"));
    }

    #[test]
    fn hints_rename_or_reseal() {
        assert_eq!(
            hint(&["user", "password"], &["username"], &sealed()),
            "rename `user` to `username`"
        );
        assert_eq!(
            hint(&["password"], &["username"], &sealed()),
            "seal the Secret again with both keys"
        );
        assert_eq!(
            hint(&[], &["username", "password"], &Spec::Other),
            "add the missing keys"
        );
    }
}
