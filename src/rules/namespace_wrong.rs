use crate::diagnostic::Finding;
use crate::hash::HashSet;
use crate::model::{Spec, closest, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks that every Secret, SealedSecret, Cluster and Database in the SOP folder lands in
    /// the configured namespace (default `postgres`). The namespace that counts is the
    /// effective one: a kustomization's `namespace:` overrides the objects' own, so a wrong
    /// override is reported once, at the kustomization, and an object's own namespace only
    /// matters when no kustomization overrides it.
    ///
    /// ## Why is this bad?
    /// CNPG resolves everything inside one namespace: a Database's `spec.cluster` has no
    /// namespace field, a role's `passwordSecret` is read from the Cluster's namespace, and a
    /// strict-scope SealedSecret only decrypts in the namespace it was sealed for. A Database
    /// in `postgress` finds no Cluster and is silently ignored; a SealedSecret moved to another
    /// namespace fails with `no key could decrypt secret`.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: gitea        # the app's namespace, not the database's
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: postgres     # Reflector copies the Secret to `gitea`
    /// ```
    ///
    /// ## How to fix
    /// Use the configured namespace in `metadata.namespace` (or in the SOP folder's
    /// kustomization). Apps get the credentials in their own namespace through Reflector, not
    /// by moving the secret. A SealedSecret must be sealed again after a move.
    pub struct NamespaceWrong {
        id: "namespace-wrong",
        group: "references",
        level: Error,
        summary: "an SOP object in the SOP folder is not in the configured namespace",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let expected = cx.config.namespace.as_str();
    // A kustomization's override applies to all its objects: report it once.
    let mut reported = HashSet::default();
    for (_, obj) in cx.objects() {
        if !obj.is_sop_kind() || !cx.in_sop_folder(obj) {
            continue;
        }
        let Some(ns) = obj.namespace() else { continue };
        let value = ns.as_str();
        // An empty value sets no namespace at all (see `namespace-missing`), not a wrong one.
        if value == expected || value.trim().is_empty() || is_unknowable(value) {
            continue;
        }
        if !reported.insert(ns.loc) {
            continue;
        }
        let message = if obj.namespace_override.is_some() {
            format!(
                "the kustomization puts its SOP objects in namespace `{value}`, not in `{expected}`"
            )
        } else {
            format!(
                "{} is in namespace `{value}`, not in `{expected}`",
                obj.display_name()
            )
        };
        let mut help = match closest(value, [expected]) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!("use `namespace: {expected}`, the configured namespace"),
        };
        if obj.namespace_override.is_none() && matches!(obj.spec, Spec::SealedSecret(_)) {
            help.push_str(
                " (a strict-scope SealedSecret must be sealed again for its new namespace)",
            );
        }
        out.push(
            Finding::new(ns.loc, message)
                .field(cx.project, "metadata.namespace")
                .label(format!("expected `{expected}`"))
                .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    fn db(name: &str, namespace: &str) -> String {
        format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  name: x\n"
        )
    }

    #[test]
    fn the_effective_namespace_counts() {
        let findings = run(
            &[
                (
                    "infra/databases/postgres/kustomization.yaml",
                    "namespace: postgres\nresources:\n  - a.yaml\n",
                ),
                ("infra/databases/postgres/a.yaml", &db("a", "gitea")),
                (
                    "infra/databases/postgres/b/kustomization.yaml",
                    "namespace: database\nresources:\n  - b.yaml\n  - c.yaml\n",
                ),
                ("infra/databases/postgres/b/b.yaml", &db("b", "postgres")),
                ("infra/databases/postgres/b/c.yaml", &db("c", "postgres")),
            ],
            check,
        );
        assert_eq!(
            findings,
            [
                "infra/databases/postgres/b/kustomization.yaml:1:12 the kustomization puts its SOP objects in namespace `database`, not in `postgres`"
            ]
        );
    }

    #[test]
    fn own_namespaces_outside_the_sop_folder_and_templated_ones_are_fine() {
        let findings = run(
            &[
                (
                    "infra/databases/postgres/a.yaml",
                    &db("a", "\"${NAMESPACE}\""),
                ),
                ("infra/databases/postgres/b.yaml", &db("b", "Postgres")),
                ("apps/gitea/c.yaml", &db("c", "gitea")),
            ],
            check,
        );
        assert_eq!(
            findings,
            [
                "infra/databases/postgres/b.yaml:5:14 Database `b` is in namespace `Postgres`, not in `postgres`"
            ]
        );
    }
}
