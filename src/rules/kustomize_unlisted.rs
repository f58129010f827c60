use std::collections::BTreeMap;

use crate::diagnostic::{Finding, Severity};
use crate::edit::Fix;
use crate::edit::yaml::string;
use crate::hash::{HashMap, HashSet};
use crate::model::{Kustomization, Object, PathRef, PathRole, Spec};
use crate::rules::Context;
use crate::source::{Loc, Span, ancestors, parent_dir};

declare_rule! {
    /// ## What it does
    /// Reports a manifest (a file holding at least one Kubernetes object) that is never
    /// applied because a kustomization owns its folder but does not reach it: no kustomization
    /// in the repository names it as a resource, patch, component or generator input, directly
    /// or through a folder it references.
    ///
    /// A kustomization owns its own folder, and also every sub-folder from which it picks
    /// individual files (`- ./databases/forgejo.yaml` owns `databases/`). A folder that no
    /// kustomization owns may be applied directly (a Flux `Kustomization` path, an Argo CD
    /// directory source), so its files are never reported.
    ///
    /// An entry commented out in the kustomization (`# - restore.yaml`) is a decision, not an
    /// omission: that file is not reported (nor re-added by the fix). Files a build reads
    /// without applying them (patches, components, generator and replacement inputs, a Helm
    /// chart's `valuesFile`, the encrypted `files:` and `secretFrom[].files`/`envs` of a
    /// KSOPS generator, resolved against the kustomization's folder as
    /// viaduct-ai/kustomize-sops `ksops.go` reads them) are reached. A file holding only kinds outside the SOP (a
    /// dashboard ConfigMap, a backup job) is a warning; Secrets, SealedSecrets, Clusters,
    /// Databases and roles stay errors. A SOPS-encrypted document, whose kind and name are
    /// ciphertext, is named by its file.
    ///
    /// ## Why is this bad?
    /// When a folder has a `kustomization.yaml`, Argo CD and Flux apply exactly what it lists.
    /// A new manifest that nobody added to the list is silently ignored: the pull request
    /// looks complete, the sync is green, and the Database, role secret or Cluster change
    /// never reaches the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// # infra/databases/postgres/kustomization.yaml
    /// resources:
    ///   - postgres-cluster.yaml
    ///   - gitea-secrets-sealed.yaml
    ///   - gitea-db.yaml
    ///   # forgejo-secrets-sealed.yaml and forgejo-db.yaml were added, but not listed
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// resources:
    ///   - postgres-cluster.yaml
    ///   - gitea-secrets-sealed.yaml
    ///   - gitea-db.yaml
    ///   - forgejo-secrets-sealed.yaml
    ///   - forgejo-db.yaml
    /// ```
    ///
    /// ## How to fix
    /// Add the file to `resources:` of the kustomization that owns its folder, or delete the
    /// file if it is no longer wanted.
    pub struct KustomizeUnlisted {
        id: "kustomize-unlisted",
        group: "kustomize",
        level: Error,
        summary: "a manifest is never applied because a kustomization owns its folder but does not list it",
        fix: (Unsafe, "adds the file to the kustomization's `resources` (in order when the list is sorted); never a file holding a Secret"),
        // An entry with a typo of this file's name: that finding names this file.
        yields_to: [KustomizeMissing],
        check: check,
    }
}

/// Why a kustomization owns a folder.
#[derive(Clone, Copy)]
enum Ownership<'p> {
    /// The kustomization sits in the folder.
    Own(&'p Kustomization),
    /// It picks this file from the folder (the first such entry).
    Picks(&'p Kustomization, &'p PathRef),
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let kustomizations = &cx.project.kustomize.kustomizations;
    if kustomizations.is_empty() {
        return;
    }
    // Everything any kustomization names. A file reached by any kustomization is applied (or
    // used as an input): kustomizations reached through folders name their own files.
    let mut reached: HashSet<&str> = HashSet::default();
    // Folders named as resources: everything below counts as reached (if they lack a
    // kustomization, that is `kustomize-missing`'s finding).
    let mut reached_dirs: HashSet<&str> = HashSet::default();
    let mut owners: HashMap<&str, Ownership<'_>> = HashMap::default();
    let dirs = cx.index.folders();
    for k in kustomizations {
        owners.insert(k.dir.as_str(), Ownership::Own(k));
    }
    for k in kustomizations {
        for path in &k.paths {
            let Some(resolved) = path.resolved.as_deref() else {
                continue;
            };
            reached.insert(resolved);
            if cx.project.kustomize.in_dir(resolved).is_some() {
                continue;
            }
            if !cx.project.paths.contains(resolved) && !dirs.contains(resolved) {
                continue;
            }
            if dirs.contains(resolved) {
                reached_dirs.insert(resolved);
                continue;
            }
            // A file picked from a sub-folder: the kustomization owns that sub-folder.
            let folder = parent_dir(resolved);
            if path.role == PathRole::Resource && folder != k.dir && is_below(folder, &k.dir) {
                owners.entry(folder).or_insert(Ownership::Picks(k, path));
            }
        }
    }

    // A KSOPS generator decrypts its files into the build: inputs, not forgotten resources.
    let ksops_inputs = cx.index.ksops_inputs();
    reached.extend(ksops_inputs.iter().map(String::as_str));

    // An entry commented out is a decision: its file (or folder) is not forgotten.
    for k in kustomizations {
        for path in &k.commented_out {
            let path = path.trim_end_matches('/');
            if dirs.contains(path) {
                reached_dirs.insert(path);
            } else {
                reached.insert(path);
            }
        }
    }
    // A folder named as a resource reaches everything below it.
    let below_reached_dir = |path: &str| ancestors(path).any(|dir| reached_dirs.contains(dir));
    // Files with objects nothing reaches, in path order.
    let mut files: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
    for (_, obj) in cx.objects() {
        let Some(api_version) = &obj.api_version else {
            continue;
        };
        // Kustomize's own configuration (a transformer or generator config) is not applied.
        let kustomize_config = api_version.value.starts_with("kustomize.config.k8s.io/")
            || api_version.value == "builtin";
        if obj.kind_name.is_none()
            || kustomize_config
            || cx.project.files[obj.file.0 as usize].skipped
        {
            continue;
        }
        let path = cx.path(obj);
        if reached.contains(path) || below_reached_dir(path) {
            continue;
        }
        files.entry(path).or_default().push(obj);
    }
    for (path, objects) in files {
        let Some(&owner) = owners.get(parent_dir(path)) else {
            continue;
        };
        out.push(finding(cx, path, &objects, owner));
    }
}

/// Is `path` strictly inside `dir` ("" is the repository root)?
fn is_below(path: &str, dir: &str) -> bool {
    if dir.is_empty() {
        !path.is_empty()
    } else {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

fn finding(cx: &Context<'_>, path: &str, objects: &[&Object], owner: Ownership<'_>) -> Finding {
    let first = objects[0];
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let what = if objects.iter().any(|o| sops_encrypted(o)) {
        // Its kind and name are ciphertext: the file is the name a reader knows.
        match objects.len() {
            1 => format!("the SOPS-encrypted document of `{file_name}` is"),
            n => format!("the {n} documents of `{file_name}` (SOPS-encrypted) are"),
        }
    } else {
        match objects.len() {
            1 => format!("{} is", first.display_name()),
            2 => format!("{} and 1 more object are", first.display_name()),
            n => format!("{} and {} more objects are", first.display_name(), n - 1),
        }
    };
    let (k, related) = match owner {
        Ownership::Own(k) => {
            let entry = k
                .paths
                .iter()
                .rev()
                .find(|p| p.role == PathRole::Resource)
                .or(k.paths.last());
            let loc = entry.map_or(
                Loc {
                    file: k.file,
                    span: Span::new(0, 0),
                },
                |p| p.written.loc,
            );
            (
                k,
                (
                    loc,
                    "the kustomization of this folder lists its files here".to_string(),
                ),
            )
        }
        Ownership::Picks(k, picked) => (
            k,
            (
                picked.written.loc,
                format!(
                    "`{}` is listed, so this kustomization owns its folder",
                    picked.written.value
                ),
            ),
        ),
    };
    let kustomization_path = cx.project.path(k.file);
    let entry = if k.dir == parent_dir(path) {
        file_name.to_string()
    } else {
        let rest = if k.dir.is_empty() {
            path
        } else {
            &path[k.dir.len() + 1..]
        };
        format!("./{rest}")
    };
    let finding = Finding::new(
        first.anchor(),
        format!("{what} never applied: `{kustomization_path}` owns this folder but does not list `{file_name}`"),
    )
    .field(cx.project, first.anchor_path())
    .label("not in any kustomization")
    .help(format!(
        "add `- {entry}` to `resources:` in `{kustomization_path}`, or delete the file if it is no longer needed"
    ))
    .related(related.0, related.1)
    .fix_opt(list_file(cx, k, &entry, objects));
    // What the SOP is about stays an error; a forgotten dashboard or backup job is advice.
    if objects.iter().any(|o| of_the_sop(o)) {
        finding
    } else {
        finding.at_most(Severity::Warning)
    }
}

/// An object of the kinds the SOP's three waves are made of: credentials, the Cluster and its
/// roles, the Databases.
fn of_the_sop(obj: &Object) -> bool {
    matches!(
        obj.spec,
        Spec::Secret(_)
            | Spec::SealedSecret(_)
            | Spec::Cluster(_)
            | Spec::Database(_)
            | Spec::DatabaseRole(_)
            | Spec::ClusterUser(_)
    ) || obj.kind_str() == "ExternalSecret"
}

/// A document SOPS encrypted whole: its kind or name is ciphertext (`ENC[AES256_GCM,…]`).
fn sops_encrypted(obj: &Object) -> bool {
    obj.kind_str().starts_with("ENC[") || obj.name().is_some_and(|n| n.starts_with("ENC["))
}

/// Adds the file to the kustomization's `resources` (in order, when the list is sorted). Never
/// for a file holding a Secret: deploying a plaintext credential is not a fix.
fn list_file(cx: &Context<'_>, k: &Kustomization, entry: &str, objects: &[&Object]) -> Option<Fix> {
    if objects.iter().any(|o| matches!(o.spec, Spec::Secret(_))) {
        return None;
    }
    let yaml = cx.yaml(k.file);
    let resources = yaml.document(0)?.get("resources")?;
    let edit = yaml.append_item(resources, &string(entry))?;
    Some(Fix::unsafe_edits(
        format!("add `{entry}` to `resources`"),
        vec![edit],
    ))
}

#[cfg(test)]
mod tests {
    use super::is_below;
    use crate::diagnostic::Severity;
    use crate::rules::testing::{DATABASE, lint_texts, rules_reported};

    const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dash\n";

    /// `(severity, message)` of the rule's findings.
    fn unlisted(files: &[(&str, &str)]) -> Vec<(Severity, String)> {
        lint_texts(files)
            .into_iter()
            .filter(|d| d.rule.as_str() == "kustomize-unlisted")
            .map(|d| (d.severity, d.finding.message))
            .collect()
    }

    #[test]
    fn a_commented_out_entry_is_a_decision() {
        let listed = |resources: &str| {
            unlisted(&[
                ("k/kustomization.yaml", resources),
                ("k/a.yaml", CONFIGMAP),
                ("k/db.yaml", DATABASE),
            ])
        };
        assert_eq!(
            listed("resources:\n  - a.yaml\n"),
            [(
                Severity::Error,
                "Database `gitea-db` is never applied: `k/kustomization.yaml` owns this folder but does not list `db.yaml`".to_string()
            )]
        );
        assert!(listed("resources:\n  - a.yaml\n  # - db.yaml\n").is_empty());
        assert!(listed("resources:\n  - a.yaml\n#  - ./db.yaml # restore later\n").is_empty());
    }

    #[test]
    fn kinds_outside_the_sop_are_a_warning() {
        let found = unlisted(&[
            ("k/kustomization.yaml", "resources:\n  - db.yaml\n"),
            ("k/db.yaml", DATABASE),
            ("k/dashboard.yaml", CONFIGMAP),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Severity::Warning);
    }

    #[test]
    fn an_encrypted_document_is_named_by_its_file() {
        let encrypted = "apiVersion: ENC[AES256_GCM,data:abc,type:str]\nkind: ENC[AES256_GCM,data:def,type:str]\nmetadata:\n  name: ENC[AES256_GCM,data:ghi,type:str]\nsops:\n  version: 3.8.1\n";
        let found = unlisted(&[
            ("k/kustomization.yaml", "resources:\n  - db.yaml\n"),
            ("k/db.yaml", DATABASE),
            ("k/creds.sops.yaml", encrypted),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.starts_with("the SOPS-encrypted document of `creds.sops.yaml` is never applied"),
            "{found:?}"
        );
        assert!(!found[0].1.contains("AES256"), "{found:?}");
    }

    #[test]
    fn files_a_ksops_generator_decrypts_are_build_inputs() {
        let encrypted = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: ENC[AES256_GCM,data:abc,type:str]\nsops:\n  version: 3.8.1\n";
        let generator = |files: &str| {
            format!(
                "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: gen\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ksops\n{files}"
            )
        };
        let found = |generator: &str| {
            unlisted(&[
                (
                    "k/kustomization.yaml",
                    "resources:\n  - db.yaml\ngenerators:\n  - ./secret-generator.yaml\n",
                ),
                ("k/db.yaml", DATABASE),
                ("k/secret-generator.yaml", generator),
                ("k/creds.enc.yaml", encrypted),
                ("k/env/app.enc.yaml", encrypted),
            ])
        };
        // `files:` and `secretFrom[].files`/`envs`, relative to the kustomization's folder.
        let both = generator(
            "files:\n  - ./creds.enc.yaml\nsecretFrom:\n  - metadata:\n      name: app\n    envs:\n      - env/app.enc.yaml\n",
        );
        assert_eq!(found(&both), []);
        // A file the generator does not name is still unlisted.
        let one = generator("secretFrom:\n  - envs:\n      - env/app.enc.yaml\n");
        assert_eq!(found(&one).len(), 1, "{:?}", found(&one));
    }

    #[test]
    fn an_entry_with_a_typo_of_the_file_is_one_mistake() {
        let files = [
            ("k/kustomization.yaml", "resources:\n  - gitea-dbb.yaml\n"),
            ("k/gitea-db.yaml", DATABASE),
        ];
        // kustomize-missing names the file meant; the unlisted file is that finding's.
        assert_eq!(rules_reported("kustomize", &files), ["kustomize-missing"]);
        let elsewhere = [
            ("k/kustomization.yaml", "resources:\n  - other.yaml\n"),
            ("k/gitea-db.yaml", DATABASE),
        ];
        assert_eq!(
            rules_reported("kustomize", &elsewhere),
            ["kustomize-missing", "kustomize-unlisted"]
        );
    }

    #[test]
    fn below() {
        assert!(is_below("a/b", "a"));
        assert!(is_below("a/b/c", "a"));
        assert!(!is_below("ab/c", "a"));
        assert!(!is_below("a", "a"));
        assert!(is_below("a", ""));
    }
}
