use crate::diagnostic::Finding;
use crate::model::{Spec, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Off by default. Checks that every credentials secret (a Secret or SealedSecret named by
    /// a role's `passwordSecret` or a Cluster's `bootstrap.initdb.secret`, or one in the SOP
    /// folder named `*-db-creds` or carrying Reflector annotations) has
    /// `type: kubernetes.io/basic-auth`. For a SealedSecret the type is `spec.template.type`,
    /// which the controller gives the Secret it creates.
    ///
    /// ## Why is this bad?
    /// CNPG documents that a role's password secret "must follow the `kubernetes.io/basic-auth`
    /// format". The operator does not check the type today, so an `Opaque` secret with
    /// `username` and `password` works; but the `basic-auth` type makes the API server reject a
    /// secret without a `username`/`password` key at apply time instead of leaving the role
    /// without a password, and it tells readers what the secret is for.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// spec:
    ///   template:
    ///     metadata:
    ///       name: gitea-db-creds
    ///     type: Opaque
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// spec:
    ///   template:
    ///     metadata:
    ///       name: gitea-db-creds
    ///     type: kubernetes.io/basic-auth
    /// ```
    ///
    /// ## How to fix
    /// Set `type: kubernetes.io/basic-auth` on the Secret before sealing it, or edit
    /// `spec.template.type` of the SealedSecret by hand (the template is not encrypted). A
    /// Secret's type is immutable: the controller recreates it, and Argo CD may need
    /// `Replace=true` for a plain Secret.
    pub struct SecretType {
        id: "secret-type",
        group: "hygiene",
        level: Off,
        summary: "a credentials secret's type is not kubernetes.io/basic-auth",
        check: check,
    }
}

const BASIC_AUTH: &str = "kubernetes.io/basic-auth";

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        let (type_, where_, fallback, fallback_path) = match &obj.spec {
            Spec::Secret(secret) => (secret.type_.as_ref(), "`type`", obj.anchor(), obj.anchor_path()),
            Spec::SealedSecret(sealed) => {
                let template = sealed.template.as_ref();
                let (fallback, fallback_path) = template
                    .and_then(|t| t.meta.name.as_ref().map(|n| n.loc))
                    .map_or_else(
                        || (obj.anchor(), obj.anchor_path()),
                        |name| (name, "spec.template.metadata.name"),
                    );
                (
                    template.and_then(|t| t.type_.as_ref()),
                    "`spec.template.type`",
                    fallback,
                    fallback_path,
                )
            }
            _ => continue,
        };
        let name = obj.name().unwrap_or("<unnamed>");
        let help =
            format!("set {where_} to `{BASIC_AUTH}`, the format CNPG documents for role passwords");
        match type_ {
            Some(t) if t.value == BASIC_AUTH || is_unknowable(&t.value) => {}
            Some(t) => out.push(
                Finding::new(
                    t.loc,
                    format!("credentials secret `{name}` has type `{}`, not `{BASIC_AUTH}`", t.value),
                )
                .field(cx.project, where_.trim_matches('`'))
                .label("not basic-auth")
                .help(help),
            ),
            None => out.push(
                Finding::new(
                    fallback,
                    format!("credentials secret `{name}` has no {where_}: the Secret is `Opaque`, not `{BASIC_AUTH}`"),
                )
                .field(cx.project, fallback_path)
                .label("no type")
                .help(help),
            ),
        }
    }
}
