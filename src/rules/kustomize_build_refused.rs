use crate::deploy::{Deployment, DeploymentKind, LoadRestrictor, Refusal};
use crate::diagnostic::{Finding, Subject};
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Builds every kustomization a deployment applies as its deployer builds it (an Argo CD
    /// Application, a Flux Kustomization; where the repository declares none, or none whose
    /// source is known to be this repository, every root kustomization) and reports what
    /// kustomize v5 refuses, at the node that causes the refusal:
    ///
    /// - a cycle: a kustomization that includes itself, directly or through others, or a
    ///   folder above itself (`resources: [..]`): kustomize's loader refuses a root that
    ///   contains a root being built (`api/internal/loader/fileloader.go`,
    ///   `errIfArgEqualOrHigher`);
    /// - a file outside the kustomization's folder (`- ../shared.yaml`, a patch or generator
    ///   file) under kustomize's default load restrictor (`loadrestrictions.go`,
    ///   `RestrictionRootOnly`). Argo CD builds with it unless `kustomize.buildOptions` in an
    ///   `argocd-cm` ConfigMap of the repository says `--load-restrictor
    ///   LoadRestrictionsNone`; Flux's kustomize-controller builds with
    ///   `LoadRestrictionsNone` (fluxcd/pkg `kustomize/kustomize_generator.go`, `Build`);
    ///   with no deployer known, kustomize's default is assumed and
    ///   the message says so;
    /// - a `kind: Component` listed under `resources`, or a kustomization under `components`
    ///   (`api/internal/target/kusttarget.go`, `accumulateResources`/`accumulateComponents`);
    /// - two resources with the same id, such as one file listed twice
    ///   (`api/resmap/reswrangler.go`, `Append`);
    /// - a patch that cannot apply: a JSON 6902 `test` that does not hold, a `copy` or `move`
    ///   without `from`, a path that does not exist, a strategic-merge patch without
    ///   `target:` whose kind and name match no resource (`reswrangler.go`,
    ///   `GetMatchingResourcesByAnyId`), an unknown `$patch:` directive
    ///   (`kyaml/yaml/merge2/smpdirective.go`). A patch with an explicit `target:` that
    ///   selects nothing is not refused;
    /// - an alias to an anchor of another YAML document of the same file: kustomize reads a
    ///   file one document at a time (`MalformedYAMLError: unknown anchor`);
    /// - a document that is no Kubernetes object (neither `apiVersion` nor `kind`: Helm
    ///   values, a settings file; a plain value; a top-level YAML sequence that is not empty,
    ///   even one of whole objects) in a listed file, at its entry (`api/resource/factory.go`
    ///   `SliceFromBytes` → `dropBadNodes`: "missing Resource metadata"; only `[]`, `{}` and
    ///   null documents are dropped), or in any `.yaml` file below a folder Flux builds
    ///   without a kustomization, at the file: Flux's generated kustomization lists them all
    ///   and decodes each (fluxcd/pkg `kustomize/kustomize_generator.go` `scanManifests`),
    ///   leaving out only what source-controller leaves out of the artifact: its defaults
    ///   (`sourceignore/sourceignore.go`), or, when the repository has `.sourceignore` files
    ///   (`LoadIgnorePatterns`, each scoped to its folder) or the `flux-system` GitRepository
    ///   sets `spec.ignore`, the VCS defaults and those patterns only
    ///   (`artifact/storage/archive.go` `SourceIgnoreFilter`, go-git gitignore semantics);
    /// - in a folder Argo CD applies without a kustomization, a document that is not a
    ///   mapping with `kind` (a top-level sequence, even `[]`; `{}`; Helm values), at the
    ///   document, when objects come before it in its file or the file holds `apiVersion:`,
    ///   `kind:` and `metadata:` (argo-cd `reposerver/repository/repository.go`
    ///   `getObjsFromYAMLOrJSON`: "Failed to unmarshal"). Any other such file Argo CD skips
    ///   whole as "an unrelated YAML file", and pglint does too.
    ///
    /// A listed file or folder that does not exist is `kustomize-missing`'s; a listed file that
    /// is not valid YAML is `yaml-syntax`'s or `yaml-duplicate-key`'s; a label value that is
    /// not a string `annotation-not-string`'s, an object without a name `manifest-invalid`'s. What pglint does
    /// not model (Helm charts, remote bases, replacements, …) is not guessed at: `check`
    /// lists it as a notice.
    ///
    /// Objects of a deployment that cannot be built are still checked as written in their
    /// files; rules that need to know whether an object is applied stay quiet about them.
    ///
    /// ## Why is this bad?
    /// One refusal stops the whole build: Argo CD cannot generate the Application's manifests
    /// (`ComparisonError`) and syncs none of them, Flux marks the Kustomization not ready
    /// (`BuildFailed`) and applies nothing of it. Every later change to any object of the
    /// deployment waits for the fix.
    ///
    /// ## Example
    /// ```yaml
    /// # infra/databases/postgres/loop/kustomization.yaml, listed by the SOP kustomization
    /// resources:
    ///   - ..
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # list the files themselves; a kustomization never includes a folder above it
    /// resources:
    ///   - extra-role.yaml
    /// ```
    ///
    /// ## How to fix
    /// Follow the help of the finding: remove the entry that closes the cycle, move the file
    /// into the kustomization's folder (or give it a kustomization of its own and list that
    /// folder), list a Component under `components`, correct the patch or its `target:`, or
    /// write the aliased value out in each document.
    pub struct KustomizeBuildRefused {
        id: "kustomize-build-refused",
        group: "kustomize",
        level: Error,
        summary: "kustomize (and so Argo CD or Flux) refuses to build a kustomization a deployment applies",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    // One finding per cause: a base refused in every overlay is one finding listing them.
    let mut causes: Vec<(Loc, &str, Refusal, Vec<&Deployment<'_>>)> = Vec::new();
    for deployment in &cx.deploy().deployments {
        let Err(error) = &deployment.rendered else {
            continue;
        };
        // A refusal the deploy layer classes as a missing, unparsable or invalid input is a
        // mistake in that input, judged there (see `kustomize-missing`, `yaml-syntax`,
        // `yaml-duplicate-key`, `annotation-not-string`, `manifest-invalid`).
        if matches!(
            error.kind,
            Refusal::Missing | Refusal::Unparsed | Refusal::Invalid
        ) {
            continue;
        }
        let loc = error.loc.unwrap_or(deployment.origin);
        match causes
            .iter_mut()
            .find(|(l, message, ..)| *l == loc && *message == error.message)
        {
            Some((.., deployments)) => deployments.push(deployment),
            None => causes.push((loc, &error.message, error.kind, vec![deployment])),
        }
    }
    for (loc, message, kind, deployments) in causes {
        let mut finding = Finding::new(loc, format!("{message}; {}", consequence(&deployments)))
            // A kustomization's entry is named by its field; a node of an object or a patch
            // file by the field when the model reads it, else by its object.
            .subject(Subject::of_node(cx.project, loc))
            .label("kustomize refuses the build here")
            .help(help(kind, &deployments));
        for deployment in deployments {
            // A root kustomization built on its own is named in the message already.
            if deployment.declared_by.is_some() {
                finding = finding.related(deployment.origin, format!("built by {}", deployment.name));
            }
        }
        out.push(finding);
    }
}

/// What the deployers do with a build they cannot make.
fn consequence(deployments: &[&Deployment<'_>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for deployment in deployments {
        let part = match deployment.kind {
            DeploymentKind::Application => format!(
                "Argo CD cannot generate the manifests of {}, so the whole Application stops syncing",
                deployment.name
            ),
            DeploymentKind::Flux => format!(
                "Flux marks {} not ready (build failed) and applies nothing of it",
                deployment.name
            ),
            DeploymentKind::KustomizeRoot | DeploymentKind::Folder => format!(
                "nothing of {} can be applied (an Argo CD Application stops syncing, a Flux Kustomization is not ready)",
                deployment.name
            ),
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join("; ")
}

fn help(kind: Refusal, deployments: &[&Deployment<'_>]) -> String {
    match kind {
        Refusal::Cycle => {
            "remove the entry that closes the cycle: a kustomization never includes itself or a folder above it".into()
        }
        Refusal::OutsideRoot => {
            let assumed = deployments
                .iter()
                .any(|d| !matches!(d.kind, DeploymentKind::Application | DeploymentKind::Flux));
            let argo = deployments
                .iter()
                .any(|d| d.kind == DeploymentKind::Application && d.restrictor == LoadRestrictor::RootOnly);
            let mut help = String::from(
                "move the file into the kustomization's folder, or put it in a folder with its own kustomization.yaml and list that folder",
            );
            if argo {
                help.push_str("; Argo CD builds with kustomize's default load restrictor unless `kustomize.buildOptions` in `argocd-cm` says `--load-restrictor LoadRestrictionsNone`");
            }
            if assumed {
                help.push_str("; no deployer is known for it, so kustomize's default load restrictor (Argo CD's default) was assumed: Flux, which builds with `LoadRestrictionsNone`, would accept it");
            }
            help
        }
        Refusal::ComponentKind => {
            "list a `kind: Component` under `components:` and a kustomization under `resources:`".into()
        }
        Refusal::DuplicateId => {
            "list each file once, and give each object its own kind, name and namespace".into()
        }
        Refusal::Patch => {
            "correct the patch: a strategic-merge patch without `target:` must name an existing resource's kind and name; a JSON 6902 `test` must hold".into()
        }
        Refusal::Yaml => {
            "anchors only reach within their own document: write the value out, or anchor it again in this document".into()
        }
        Refusal::NotAnObject => {
            "list only Kubernetes manifests under `resources:` (a `configMapGenerator` reads a settings file as data; several objects are documents separated by `---`, or a `kind: List`, never a top-level YAML sequence), and keep files that are no objects (Helm values, configuration) out of a folder Flux or Argo CD applies without a kustomization.yaml, or give it one that lists only its manifests".into()
        }
        Refusal::Missing | Refusal::Unparsed | Refusal::Invalid | Refusal::Other => {
            "fix what kustomize refuses".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n";

    fn refused(files: &[(&str, &str)]) -> Vec<String> {
        run(files, check)
    }

    #[test]
    fn cycles_are_refused_at_the_entry_that_closes_them() {
        let found = refused(&[
            ("app/kustomization.yaml", "resources:\n  - cm.yaml\n  - loop\n"),
            ("app/cm.yaml", CM),
            ("app/loop/kustomization.yaml", "resources:\n  - ..\n"),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("cycle"), "{found:?}");
        let two = refused(&[
            ("x/kustomization.yaml", "resources:\n  - ../y\n"),
            ("y/kustomization.yaml", "resources:\n  - ../x\n"),
        ]);
        assert_eq!(two.len(), 1, "{two:?}");
        assert!(two[0].contains("includes itself"), "{two:?}");
    }

    #[test]
    fn files_outside_the_folder_components_and_duplicates() {
        let outside = refused(&[
            ("app/kustomization.yaml", "resources:\n  - ../shared.yaml\n"),
            ("shared.yaml", CM),
        ]);
        assert!(outside[0].starts_with("app/kustomization.yaml:2:5 `../shared.yaml` is outside"), "{outside:?}");
        let component = refused(&[
            ("app/kustomization.yaml", "resources:\n  - ../c\n"),
            ("c/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"),
        ]);
        assert!(component[0].contains("`kind: Component`"), "{component:?}");
        let twice = refused(&[
            ("app/kustomization.yaml", "resources:\n  - cm.yaml\n  - cm.yaml\n"),
            ("app/cm.yaml", CM),
        ]);
        assert!(twice[0].starts_with("app/kustomization.yaml:3:5 ConfigMap"), "{twice:?}");
    }

    #[test]
    fn patches_that_cannot_apply_and_foreign_aliases() {
        let patch = |body: &str| {
            refused(&[
                ("app/kustomization.yaml", &format!("resources:\n  - cm.yaml\npatches:\n{body}")),
                ("app/cm.yaml", CM),
                ("app/p.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  $patch: merge-ish\n"),
            ])
        };
        let test = patch("  - target: {kind: ConfigMap}\n    patch: |\n      - op: test\n        path: /data/a\n        value: \"2\"\n");
        assert!(test[0].starts_with("app/kustomization.yaml:6:9 the `test` operation"), "{test:?}");
        let copy = patch("  - target: {kind: ConfigMap}\n    patch: |\n      - op: copy\n        path: /data/b\n");
        assert!(copy[0].contains("`copy` has no `from`"), "{copy:?}");
        let directive = patch("  - path: p.yaml\n");
        assert!(directive[0].starts_with("app/p.yaml:6:11 unknown `$patch:` directive `merge-ish`"), "{directive:?}");
        // An explicit target that selects nothing is no refusal; a missing name without one is.
        assert!(patch("  - target: {kind: Secret}\n    patch: |\n      - op: add\n        path: /data/b\n        value: x\n").is_empty());
        let unmatched = patch("  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: other}\n");
        assert!(unmatched[0].contains("no resource matches"), "{unmatched:?}");
        let alias = refused(&[
            ("app/kustomization.yaml", "resources:\n  - two.yaml\n"),
            ("app/two.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: &d\n  a: \"1\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata: *d\n"),
        ]);
        assert!(alias[0].starts_with("app/two.yaml:12:7 an alias"), "{alias:?}");
    }

    #[test]
    fn a_missing_file_is_left_to_kustomize_missing() {
        assert!(refused(&[("app/kustomization.yaml", "resources:\n  - nope.yaml\n")]).is_empty());
    }
}
