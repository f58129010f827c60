use crate::diagnostic::Finding;
use crate::model::{Scope, Spec};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Warns when a credentials secret (one a CNPG role's `passwordSecret` or a Cluster's
    /// `bootstrap.initdb.secret` names, or one in the SOP folder named `*-db-creds` or
    /// carrying Reflector annotations) is a SealedSecret sealed with a broad scope: its own
    /// `metadata.annotations` set `sealedsecrets.bitnami.com/cluster-wide: "true"` or
    /// `sealedsecrets.bitnami.com/namespace-wide: "true"` (the controller reads the scope
    /// from there, and `cluster-wide` wins).
    ///
    /// ## Why is this bad?
    /// The default strict scope binds the ciphertext to `<namespace>/<name>`. A cluster-wide
    /// value decrypts under any name in any namespace, a namespace-wide one under any name
    /// in its namespace. The sealed values are in git, readable by everyone who can read
    /// the repository: anyone allowed to create a SealedSecret in some namespace can copy
    /// them there and have the controller hand them the database password in clear.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: postgres
    ///   annotations:
    ///     sealedsecrets.bitnami.com/cluster-wide: "true"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: postgres
    /// ```
    ///
    /// ## How to fix
    /// Seal the Secret again with the default scope
    /// (`kubeseal --scope strict --cert infra/sealed-secrets/pub-cert.pem --format yaml`);
    /// the output has no scope annotation. To use the credentials in the app's namespace,
    /// let Reflector copy the decrypted Secret instead of widening the seal.
    pub struct SealedScopeBroad {
        id: "sealed-scope-broad",
        group: "secrets",
        level: Warning,
        summary: "a credentials secret is sealed cluster-wide or namespace-wide",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        let Spec::SealedSecret(sealed) = &obj.spec else {
            continue;
        };
        let scope = sealed.scope(&obj.meta);
        let Some(annotation) = scope.annotation(&obj.meta) else {
            continue;
        };
        let scope = match scope {
            Scope::Strict => continue,
            Scope::ClusterWide => "cluster-wide",
            Scope::NamespaceWide => "namespace-wide",
        };
        let reach = if scope == "cluster-wide" {
            "under any name in any namespace"
        } else {
            "under any name in its namespace"
        };
        out.push(
            Finding::new(
                annotation.key.loc,
                format!("credentials secret {} is sealed {scope}", obj.display_name()),
            )
            .field(cx.project, format!("metadata.annotations.{}", annotation.key.value))
            .label(format!("decryptable {reach}"))
            .help(format!(
                "seal it again with the default strict scope (`kubeseal --scope strict --cert {} --format yaml`); \
                 as it is, anyone who can create a SealedSecret can copy these values and get them decrypted {reach}",
                cx.config.certificate
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    fn sealed(name: &str, annotations: &str) -> String {
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: postgres\n  annotations:\n{annotations}spec:\n  encryptedData: {{}}\n"
        )
    }

    const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n  namespace: postgres\nspec:\n  managed:\n    roles:\n      - name: app_user\n        login: true\n        passwordSecret:\n          name: app-creds\n";

    #[test]
    fn only_credentials_secrets() {
        let wide = "    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n";
        let files = [
            ("pg/cluster.yaml", CLUSTER),
            ("pg/creds.yaml", &sealed("app-creds", wide) as &str),
            ("apps/tls.yaml", &sealed("wildcard-tls", wide) as &str),
        ];
        assert_eq!(
            findings("sealed-scope-broad", &files),
            ["pg/creds.yaml:7 credentials secret SealedSecret `app-creds` is sealed cluster-wide"]
        );
    }

    #[test]
    fn the_value_must_be_true() {
        let off = sealed(
            "app-creds",
            "    sealedsecrets.bitnami.com/cluster-wide: \"false\"\n",
        );
        assert!(
            findings(
                "sealed-scope-broad",
                &[("pg/cluster.yaml", CLUSTER), ("pg/creds.yaml", &off)]
            )
            .is_empty()
        );
    }
}
