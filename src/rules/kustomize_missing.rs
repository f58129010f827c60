use crate::diagnostic::Finding;
use crate::discover::build_globs;
use crate::model::{PathRef, PathRole, is_unknowable};
use crate::rules::Context;
use crate::source::parent_dir;

declare_rule! {
    /// ## What it does
    /// Checks that every local path a `kustomization.yaml` names exists in the repository:
    /// `resources`, `bases` and `components` entries, patch files (`patches[].path`,
    /// `patchesStrategicMerge`, `patchesJson6902[].path`), `crds`, `configurations`,
    /// `transformers`, `generators`, `replacements[].path`, and the `files`/`envs` of
    /// `configMapGenerator`/`secretGenerator`. A folder named under `resources`, `bases` or
    /// `components` must contain a kustomization file. Remote references (URLs, `github.com/…`)
    /// and paths that leave the repository are not checked.
    ///
    /// ## Why is this bad?
    /// `kustomize build` stops at the first missing path, so Argo CD (or Flux) cannot render the
    /// folder at all: *nothing* in it is synced any more, not just the missing file. Typical
    /// causes are a renamed or deleted manifest and a typo in the file name.
    ///
    /// ## Example
    /// ```yaml
    /// # infra/databases/postgres/kustomization.yaml
    /// resources:
    ///   - postgres-cluster.yaml
    ///   - gitea-secret-sealed.yaml   # the file is gitea-secrets-sealed.yaml
    ///   - gitea-db.yaml
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// resources:
    ///   - postgres-cluster.yaml
    ///   - gitea-secrets-sealed.yaml
    ///   - gitea-db.yaml
    /// ```
    ///
    /// ## How to fix
    /// Correct the entry to the file's real name (pglint suggests a close one in the same
    /// folder), add the missing file, or remove the entry.
    pub struct KustomizeMissing {
        id: "kustomize-missing",
        group: "kustomize",
        level: Error,
        summary: "a kustomization lists a file or folder that does not exist",
        check: check,
    }
}

const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let paths = &cx.project.paths;
    let excluded = build_globs(&cx.config.exclude).ok();
    let dirs = cx.index.folders();
    for kustomization in &cx.project.kustomize.kustomizations {
        for path in &kustomization.paths {
            // Leaving the repository: pglint may be linting a sub-folder of a larger one.
            let Some(resolved) = &path.resolved else {
                continue;
            };
            if is_unknowable(&path.written.value)
                || excluded.as_ref().is_some_and(|g| g.is_match(resolved))
                || *resolved == kustomization.dir
            {
                continue;
            }
            let is_dir = dirs.contains(resolved.as_str());
            if is_dir || paths.contains(resolved) {
                if is_dir && path.role == PathRole::Resource && !has_kustomization(cx, resolved) {
                    out.push(
                        Finding::new(
                            path.written.loc,
                            format!(
                                "folder `{}` has no kustomization file: `kustomize build` fails, so nothing here is applied",
                                path.written.value
                            ),
                        )
                        .field(cx.project, "")
                        .label("no kustomization.yaml in this folder")
                        .help("add a `kustomization.yaml` listing the folder's manifests, or list the files themselves"),
                    );
                }
                continue;
            }
            out.push(missing(cx, path, resolved));
        }
    }
}

fn has_kustomization(cx: &Context<'_>, dir: &str) -> bool {
    KUSTOMIZATION_FILES.iter().any(|name| {
        let path = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        cx.project.paths.contains(&path)
    })
}

fn missing(cx: &Context<'_>, path: &PathRef, resolved: &str) -> Finding {
    let written = path.written.value.as_str();
    let what = match path.role {
        PathRole::Resource => "resource",
        PathRole::Input => "input",
        PathRole::GeneratorInput => "generator input",
    };
    let message = format!(
        "{what} `{written}` does not exist: `kustomize build` fails, so nothing here is applied"
    );
    let folder = parent_dir(resolved);
    let sibling = cx.index.closest_sibling(resolved);
    let help = match sibling {
        Some(suggestion) => {
            let suggestion = suggestion.rsplit('/').next().unwrap_or(suggestion);
            let trimmed = written.trim_end_matches('/');
            let prefix = &trimmed[..trimmed.len() - trimmed.rsplit('/').next().unwrap_or("").len()];
            format!("did you mean `{prefix}{suggestion}`?")
        }
        None if !folder.is_empty() && !cx.project.paths.contains(folder) => {
            format!("folder `{folder}` does not exist either: fix the path, or remove the entry")
        }
        None => "fix the path, add the missing file, or remove the entry".to_string(),
    };
    let finding = Finding::new(path.written.loc, message)
        .field(cx.project, "")
        .label("no such file or folder")
        .help(help);
    // The file meant, at its first object: what this entry, once corrected, applies.
    let meant = sibling
        .and_then(|p| cx.project.file_id(p))
        .and_then(|file| cx.objects().find(|(_, obj)| obj.file == file));
    match meant {
        Some((_, obj)) => finding.related(
            obj.anchor(),
            format!("`{}` is the file meant", cx.path(obj)),
        ),
        None => finding,
    }
}
