use crate::diagnostic::Finding;
use crate::edit::Fix;
use crate::model::{GeneratorKind, Spec, is_identity_key, key_list};
use crate::rules::Context;
use crate::source::{Loc, Spanned};

declare_rule! {
    /// ## What it does
    /// Reports a `v1 Secret` committed with values in `data` or `stringData`, anywhere in the
    /// repository, also when it is one document of a multi-document file. Placeholders are
    /// not values: empty strings, argocd-vault-plugin `<path:…>` references, Flux `${…}`
    /// substitutions and SOPS `ENC[…]` ciphertext; a SOPS-encrypted Secret (top-level
    /// `sops:` key) is not reported, nor are values that identify rather than authenticate
    /// (`username`, `user`, `host`, `hostname`, `port`, `database`, `dbname`: a Secret holding
    /// only a `username` whose password a generator fills in leaks nothing). One finding per
    /// Secret, at its first value's key; the message names the keys, never a value.
    ///
    /// Public material is no credential: a value that holds only PEM `CERTIFICATE` blocks (a
    /// CA bundle such as `ca.crt`) is not reported; one with a `PRIVATE KEY` block is.
    ///
    /// A kustomize `secretGenerator` is a Secret committed in clear too: its `literals`, and
    /// the `files`/`envs` it reads from the repository, become the Secret's values (kustomize
    /// `api/internal/generators/secret.go`); reported at the first such entry.
    ///
    /// A plaintext Secret gets this finding only: the lint engine drops every other rule's
    /// finding located in it (that it is not listed in a kustomization, lacks Reflector
    /// annotations, …), since the fix is to seal it, not to apply or annotate it. Findings
    /// about how the file is written (YAML, annotation types) and suppressions stay.
    ///
    /// ## Why is this bad?
    /// `data` is base64, not encryption: anyone who can read the repository, its forks, CI
    /// logs or any clone can read the database password. Deleting the file later does not
    /// help, because git history keeps every committed value until the history is rewritten
    /// everywhere; the credential must be considered leaked.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: postgres
    /// type: kubernetes.io/basic-auth
    /// stringData:
    ///   username: gitea_user
    ///   password: hunter2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: bitnami.com/v1alpha1
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: postgres
    /// spec:
    ///   encryptedData:
    ///     password: AgCNeYWz…   # kubeseal output
    ///     username: AgBg6ztE…
    /// ```
    ///
    /// ## How to fix
    /// Seal the Secret with `kubeseal --cert infra/sealed-secrets/pub-cert.pem --format yaml
    /// < secret.yaml > <app>-secrets-sealed.yaml`, commit only the SealedSecret and delete the
    /// plaintext file. Then rotate the credential (a new password, sealed again): the old one
    /// stays readable in git history.
    pub struct PlaintextSecret {
        id: "plaintext-secret",
        group: "secrets",
        level: Error,
        summary: "a v1 Secret or kustomize secretGenerator with plaintext values is committed",
        fix: (DisplayOnly, "says how to seal the file, and to rotate the credential"),
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    check_generators(cx, out);
    for (_, obj) in cx.all_objects() {
        let Spec::Secret(secret) = &obj.spec else {
            continue;
        };
        let values = secret.plaintext_values();
        let Some(first) = values.first() else {
            continue;
        };
        let keys = key_list(values.iter().copied());
        out.push(
            Finding::new(
                first.key.loc,
                format!(
                    "{} commits plaintext values to git: {}",
                    obj.display_name(),
                    keys
                ),
            )
            .field(cx.project, format!("{}.{}", first.field, first.key.value))
            .label("plaintext secret value")
            .help(format!(
                "seal it with `kubeseal --cert {} --format yaml` and commit only the SealedSecret; \
                 rotate the credential, since git history keeps the leaked value",
                cx.config.certificate
            ))
            .fix(Fix::display_only(format!(
                "seal it (`kubeseal --cert {} -o yaml < {} > {}-sealed.yaml`), delete the plaintext file, and rotate the credential",
                cx.config.certificate,
                cx.path(obj),
                obj.name().unwrap_or("secret")
            ))),
        );
    }
}

/// `secretGenerator`s with values written in the kustomization or in committed files.
fn check_generators(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for kustomization in &cx.project.kustomize.kustomizations {
        for generator in &kustomization.build.generators {
            if generator.kind != GeneratorKind::Secret {
                continue;
            }
            let literals = generator
                .literals
                .iter()
                .filter(|(key, value)| !value.0.is_empty() && !is_identity_key(&key.value))
                .map(|(key, _)| (key.loc, format!("literal `{}`", key.value)));
            // Only files the repository holds: one git ignores is not committed.
            let files = generator
                .files
                .iter()
                .chain(&generator.envs)
                .filter(|(_, path)| path.as_ref().is_some_and(|p| cx.project.paths.contains(p)))
                .map(|(written, _)| (written.loc, format!("file `{}`", written.value)));
            let entries: Vec<(crate::source::Loc, String)> = literals.chain(files).collect();
            let Some((loc, _)) = entries.first() else {
                continue;
            };
            let name = generator.name.as_ref().map_or("<unnamed>", |n| n.as_str());
            let what: Vec<&str> = entries.iter().map(|(_, w)| w.as_str()).collect();
            let field = [
                ("literals", position_of(&generator.literals, *loc)),
                ("files", position_of(&generator.files, *loc)),
                ("envs", position_of(&generator.envs, *loc)),
            ]
            .into_iter()
            .find_map(|(field, i)| Some(format!("secretGenerator[{name}].{field}[{}]", i?)))
            .unwrap_or_else(|| format!("secretGenerator[{name}]"));
            out.push(
                Finding::new(
                    *loc,
                    format!(
                        "secretGenerator `{name}` commits plaintext values to git: {}",
                        what.join(", ")
                    ),
                )
                .field(cx.project, field)
                .label("plaintext secret value")
                .help(format!(
                    "replace the generator by a SealedSecret (`kubeseal --cert {} --format yaml`), delete the values from the repository and rotate the credential",
                    cx.config.certificate
                ))
                .fix(Fix::display_only(
                    "replace the generator by a SealedSecret, delete the values from the repository, and rotate the credential",
                )),
            );
        }
    }
}

/// The index of the entry written at `loc`.
fn position_of<T>(list: &[(Spanned<String>, T)], loc: Loc) -> Option<usize> {
    list.iter().position(|(written, _)| written.loc == loc)
}

#[cfg(test)]
mod tests {
    #[test]
    fn certificates_are_public_private_keys_are_not() {
        use base64::Engine;
        let cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
        let key = format!("{cert}-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n");
        let secret = |data: &str| {
            format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: p\ndata:\n  ca.crt: {data}\n")
        };
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let public = secret(&b64(cert));
        let private = secret(&b64(&key));
        assert!(crate::rules::testing::findings("plaintext-secret", &[("s.yaml", &public)]).is_empty());
        assert_eq!(
            crate::rules::testing::findings("plaintext-secret", &[("s.yaml", &private)]).len(),
            1
        );
    }

    #[test]
    fn secret_generators_commit_plaintext() {
        let kustomization = "secretGenerator:\n  - name: app-db-creds\n    literals:\n      - username=app\n      - password=hunter2\n    envs: [creds.env, ignored.env]\n  - name: only-user\n    literals: [username=app]\nconfigMapGenerator:\n  - name: settings\n    literals: [password=not-a-secret-kind]\n";
        let found = crate::rules::testing::findings(
            "plaintext-secret",
            &[
                ("k/kustomization.yaml", kustomization),
                ("k/creds.env", "password=hunter2\n"),
            ],
        );
        assert_eq!(
            found,
            [
                "k/kustomization.yaml:5 secretGenerator `app-db-creds` commits plaintext values to git: literal `password`, file `creds.env`"
            ]
        );
        // The value never appears.
        assert!(!found[0].contains("hunter2"));
    }

    use crate::rules::testing::findings;

    fn secret(body: &str) -> String {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n{body}")
    }

    #[test]
    fn plaintext_values_anywhere_also_in_multi_document_files() {
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n{}",
            secret("stringData:\n  username: app\n  password: hunter2\ndata:\n  token: aGk=\n")
        );
        assert_eq!(
            findings("plaintext-secret", &[("deep/in/apps/x.yaml", &text)]),
            [
                "deep/in/apps/x.yaml:12 Secret `s` commits plaintext values to git: `stringData.password`, `data.token`"
            ]
        );
    }

    #[test]
    fn placeholders_sops_and_identity_keys_are_not_secrets() {
        let cases = [
            secret(
                "stringData:\n  password: <path:kv/data/db#password>\n  url: ${DB_URL}\n  empty: \"\"\n",
            ),
            secret(
                "data:\n  password: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\nsops:\n  version: 3.8.1\n",
            ),
            secret("stringData:\n  password: hunter2\nsops:\n  age: []\n"),
            secret("stringData:\n  username: app\n  database: app\n"),
            secret("data: {}\n"),
        ];
        for case in &cases {
            assert!(
                findings("plaintext-secret", &[("s.yaml", case)]).is_empty(),
                "{case}"
            );
        }
    }
}
