use crate::diagnostic::{Finding, Subject};
use crate::hash::HashMap;
use crate::index::{operator_generated, same_namespace};
use crate::model::{Object, REFLECTOR_PREFIX, Spec, is_unknowable, similar};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns about a credentials secret in the SOP folder (a Secret or SealedSecret named
    /// `*-db-creds`, or carrying Reflector annotations and a `password` key) that no role
    /// names: no `passwordSecret` of a Cluster's managed role or of a `DatabaseRole`, and no
    /// `bootstrap.initdb.secret` in its namespace. It yields to a finding that already says
    /// why the secret is unused and names it: see also `owner-role-missing` (the app's
    /// Database names the missing role as its owner), `role-secret-missing` (a role names a
    /// typo of it), `naming-convention` and `role-username-mismatch` (a role of its app uses
    /// another app's secret), `patch-list-replaced` (a patch replaced the Cluster's roles
    /// list whole, losing the role that named it).
    ///
    /// ## Why is this bad?
    /// A credentials secret nobody uses means one of two things. Either the role that should
    /// use it is missing from the Cluster, so the app's role and database are never created
    /// although its password is already distributed; or it is a leftover of a removed app,
    /// and Reflector keeps copying a live-looking password into the app's namespace.
    ///
    /// ## Example
    /// ```yaml
    /// # wikijs-secrets-sealed.yaml: sealed and committed…
    /// kind: SealedSecret
    /// metadata:
    ///   name: wikijs-db-creds
    ///   namespace: postgres
    /// ---
    /// # …but the Cluster has no role using it
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       passwordSecret:
    ///         name: gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///       passwordSecret:
    ///         name: gitea-db-creds
    ///     - name: wikijs_user
    ///       login: true
    ///       passwordSecret:
    ///         name: wikijs-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Add the app's role to `spec.managed.roles` of the Cluster with
    /// `passwordSecret: {name: <app>-db-creds}`, or delete the secret (and its file and
    /// kustomization entry) if the app is gone.
    pub struct SecretUnreferenced {
        id: "secret-unreferenced",
        group: "references",
        level: Warning,
        summary: "a credentials secret in the SOP folder is named by no role",
        // Their findings name this secret when they explain why no role uses it: the
        // Database's owner is the missing role (with this secret for its passwordSecret), a
        // role names a typo of it, or a role of its app uses another app's secret (also one
        // that another role uses: a username that cannot match both).
        // A patch that replaced the roles list whole (`patch-list-replaced` names the
        // secrets only the lost roles used).
        yields_to: [OwnerRoleMissing, RoleSecretMissing, NamingConvention, RoleUsernameMismatch, SchemaUnknownField, PatchListReplaced],
        check: check,
    }
}

/// Named `<app>-db-creds` (the configured pattern), or reflected with a `password` key (or
/// keys that cannot be known).
fn looks_like_credentials(obj: &Object, name: &str, secret_suffix: &str) -> bool {
    if name.ends_with(secret_suffix) {
        return true;
    }
    let (secret_meta, keys): (_, Option<Vec<&str>>) = match &obj.spec {
        Spec::Secret(secret) => (
            &obj.meta,
            Some(secret.data.iter().map(|d| d.key.as_str()).collect()),
        ),
        Spec::SealedSecret(sealed) => (
            sealed.secret_meta().unwrap_or(&obj.meta),
            sealed
                .encrypted_loc
                .map(|_| sealed.encrypted.iter().map(|e| e.key.as_str()).collect()),
        ),
        _ => return false,
    };
    let reflected = secret_meta
        .annotations
        .entries
        .iter()
        .chain(&obj.meta.annotations.entries)
        .any(|a| a.key.value.starts_with(REFLECTOR_PREFIX));
    reflected && keys.is_none_or(|k| k.is_empty() || k.contains(&"password"))
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let uses = cx.index.secret_uses();
    let misspelt = cx.index.misspelt_secret_uses();
    let templated_use = uses.iter().any(|u| is_unknowable(u.name.as_str()));
    let mut uses_by_name: HashMap<&str, Vec<Option<&str>>> = HashMap::default();
    for u in &uses {
        uses_by_name
            .entry(u.name.as_str())
            .or_default()
            .push(u.namespace);
    }
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        let Some(name) = obj.name() else { continue };
        let namespace = obj.namespace_str();
        if !cx.in_sop_folder(obj) || is_unknowable(name) || namespace.is_some_and(is_unknowable) {
            continue;
        }
        if !looks_like_credentials(obj, name, &cx.config.naming.secret_suffix) {
            continue;
        }
        // Fast path: a role in reach names it.
        let named = uses_by_name
            .get(name)
            .is_some_and(|namespaces| namespaces.iter().any(|&ns| same_namespace(ns, namespace)));
        if named {
            continue;
        }
        let nearby: Vec<_> = uses
            .iter()
            .filter(|u| same_namespace(u.namespace, namespace))
            .collect();
        if templated_use && nearby.iter().any(|u| is_unknowable(u.name.as_str())) {
            continue;
        }
        // The secrets CNPG generates are used without being named.
        let generated = cx.index.clusters().any(|(cid, _)| {
            let cluster = cx.index.object(cid);
            same_namespace(cluster.namespace_str(), namespace)
                && operator_generated(cluster.name(), name)
        });
        // A Cluster that a Helm chart or remote base deploys may name it.
        if generated || cx.deploy().may_hide_objects(namespace) {
            continue;
        }
        let mut finding = Finding::new(
            obj.anchor(),
            format!(
                "{} `{name}` is named by no role's `passwordSecret`",
                obj.kind_str()
            ),
        )
        .field(cx.project, obj.anchor_path())
        .label("unused credentials")
        .rests_on_absence(&["Cluster", "DatabaseRole"]);
        // A role names it under a misspelt `passwordSecret`: that key is the one mistake
        // (`schema-unknown-field`).
        if let Some((key, ..)) = misspelt
            .iter()
            .find(|(_, used, ns)| *used == name && same_namespace(*ns, namespace))
        {
            finding = finding.caused_by(
                *key,
                Subject::at(cx.project, *key, misspelt_path(cx, *key)),
                format!("a role names {} `{name}` under a misspelt `passwordSecret`, which the API server drops", obj.kind_str()),
            );
        }
        let alike = similar(name, nearby.iter().map(|u| u.name.as_str()));
        finding = match alike.and_then(|s| nearby.iter().find(|u| u.name.value == s)) {
            Some(used) => finding.help(format!(
                "{} uses the similar `{}`: reference this secret there if it was meant, or \
                 delete this one if it is a leftover",
                used.describe(),
                used.name.value
            )),
            None => finding.help(format!(
                "add the app's role to `spec.managed.roles` of the cluster with \
                 `passwordSecret: {{name: {name}}}`, or delete the secret if the app is gone"
            )),
        };
        out.push(finding);
    }
}

/// The subject path of a misspelt `passwordSecret` key: the schema's unknown field there.
fn misspelt_path(cx: &Context<'_>, key: crate::source::Loc) -> String {
    let Some(obj) = cx.project.object_at(key) else {
        return String::new();
    };
    obj.schema
        .iter()
        .find(|v| v.loc == key)
        .map(|v| obj.subject_path(&v.path))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{CLUSTER, DATABASE_ROLE, SECRET, lint_texts, messages as run};

    const DIR: &str = "infra/databases/postgres";

    fn at(file: &str) -> String {
        format!("{DIR}/{file}")
    }

    #[test]
    fn unused_credentials() {
        let (c, s) = (at("c.yaml"), at("s.yaml"));
        assert!(run(&[(&c, CLUSTER), (&s, SECRET)], check).is_empty());
        let wiki = SECRET.replace("gitea-db-creds", "wiki-db-creds");
        assert_eq!(
            run(
                &[(&c, CLUSTER), (&s, SECRET), (&at("w.yaml"), &wiki)],
                check
            ),
            ["SealedSecret `wiki-db-creds` is named by no role's `passwordSecret`"]
        );
        // Outside the SOP folder, nothing is a credentials secret by its name.
        assert!(
            run(
                &[(&c, CLUSTER), (&s, SECRET), ("apps/w.yaml", &wiki)],
                check
            )
            .is_empty()
        );
    }

    #[test]
    fn used_in_other_ways() {
        let (c, s) = (at("c.yaml"), at("s.yaml"));
        let wiki = SECRET.replace("gitea-db-creds", "wiki-db-creds");
        let role = format!("{DATABASE_ROLE}  passwordSecret:\n    name: wiki-db-creds\n");
        assert!(run(&[(&c, CLUSTER), (&s, &wiki), ("apps/r.yaml", &role)], check).is_empty());
        // The role names a typo of it: the rule sees an unused secret, and the engine reports
        // the one mistake as `role-secret-missing`'s, which names this secret.
        let typo = CLUSTER.replace("gitea-db-creds", "wiki-db-cred");
        assert_eq!(run(&[(&c, &typo), (&s, &wiki)], check).len(), 1);
        let rules: Vec<&str> = lint_texts(&[(&c, &typo), (&s, &wiki)])
            .iter()
            .map(|d| d.rule.as_str())
            .filter(|r| r.starts_with("role-secret") || *r == "secret-unreferenced")
            .collect();
        assert_eq!(rules, ["role-secret-missing"]);
        // Templated references may name it.
        let templated = CLUSTER.replace("gitea-db-creds", "${APP}-db-creds");
        assert!(run(&[(&c, &templated), (&s, &wiki)], check).is_empty());
    }

    #[test]
    fn reflected_secrets_need_a_password_key() {
        let c = at("c.yaml");
        let reflected = "apiVersion: v1
kind: Secret
metadata:
  name: postgres-ca
  namespace: db
  annotations:
    reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"
data:
  ca.crt: LS0t
";
        assert!(run(&[(&c, CLUSTER), (&at("ca.yaml"), reflected)], check).is_empty());
        let creds = reflected.replace("ca.crt", "password");
        assert_eq!(
            run(&[(&c, CLUSTER), (&at("ca.yaml"), &creds)], check).len(),
            1
        );
    }
}
