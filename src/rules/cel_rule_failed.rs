use crate::diagnostic::Finding;
use crate::rules::Context;
use crate::schema::ViolationKind;

declare_rule! {
    /// ## What it does
    /// Evaluates the CEL rules (`x-kubernetes-validations`) of the embedded CRD schemas on
    /// every applied object, with the Kubernetes CEL libraries (the `kube-cel` crate of the
    /// kube-rs project), and reports a rule that does not hold with the message the API server
    /// prints (`message`, or `messageExpression` evaluated). CNPG's CRDs carry such rules:
    /// `imageName` together with `imageCatalogRef`, `icuRules` without `localeProvider: icu`,
    /// `builtinLocale` without the builtin provider, a reserved role or database name. Rules
    /// pglint cannot evaluate (an unsupported function, an evaluation error) are listed as
    /// notices in every output format, never passed in silence. Transition rules (`oldSelf`)
    /// compare with the object's previous version and do not run here. Objects holding a
    /// value that only exists after Flux or Helm substitution are not evaluated.
    ///
    /// ## Why is this bad?
    /// The API server refuses the object whichever deployer applies it: the Argo CD sync wave
    /// fails and every wave after it waits; a Flux Kustomization stops at its dry run.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    ///   icuRules: "&a < b"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   cluster:
    ///     name: postgres-shared
    ///   localeProvider: icu
    ///   icuLocale: en
    ///   icuRules: "&a < b"
    /// ```
    ///
    /// ## How to fix
    /// Do what the rule's message asks; the rule itself is in the CRD (`kubectl get crd
    /// databases.postgresql.cnpg.io -o yaml`, under `x-kubernetes-validations`).
    pub struct CelRuleFailed {
        id: "cel-rule-failed",
        group: "schema",
        level: Error,
        summary: "an object breaks a CEL rule of its CRD (x-kubernetes-validations), so the API server refuses it",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for applied in crate::schema::applied(cx.objects(), cx.deploy()) {
        let violation = applied.violation;
        if violation.kind != ViolationKind::Cel {
            continue;
        }
        out.push(
            Finding::new(
                violation.loc,
                format!("{}: {}", applied.object.display_name(), violation.message),
            )
            .field(cx.project, applied.object.subject_path(&violation.path))
            .label("refused by a CEL rule")
            .help("change the object so that the CRD's rule holds, as the message says"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::findings;

    #[test]
    fn rules_of_the_database_crd() {
        let database = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  name: app\n  owner: app\n  cluster:\n    name: pg\n  icuRules: \"&a < b\"\n";
        let found = findings("cel-rule-failed", &[("d.yaml", database)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("d.yaml:"), "{found:?}");
        let fine = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  name: app\n  owner: app\n  cluster:\n    name: pg\n  localeProvider: icu\n  icuLocale: en\n  icuRules: \"&a < b\"\n";
        assert!(findings("cel-rule-failed", &[("d.yaml", fine)]).is_empty());
    }
}
