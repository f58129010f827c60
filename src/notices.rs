//! What a run must not pass over in silence although it is no finding: a configuration that
//! points at nothing, or one that is never read; deployers pglint cannot place, and what a
//! build holds that pglint does not model. `check` prints each as a note on stderr and lists
//! it in the JSON summary (`notices`).

use crate::config::{Config, FILE_NAME};
use crate::deploy::{Assumption, Deploy, Unknown};
use crate::project::{Certificate, Project};
use crate::source::Loc;

/// The notices about `project` checked under `config`. `config_path` is the repository-relative
/// path of the `pglint.toml` in use (`None`: the defaults, or a file outside the repository).
pub fn notices(project: &Project, config: &Config, config_path: Option<&str>) -> Vec<String> {
    let mut notices = Vec::new();
    let folder = config.sop_folder.trim_matches('/');
    if !folder.is_empty() {
        if !project.paths.contains(folder) {
            notices.push(format!(
                "the SOP folder `{folder}` does not exist: the rules that check the SOP folder (namespaces, sync waves, naming, Reflector) had nothing to check; set `sop-folder` in {FILE_NAME}"
            ));
        } else if !project
            .objects
            .iter()
            .any(|obj| config.in_sop_folder(project.path(obj.file)))
        {
            notices.push(format!(
                "the SOP folder `{folder}` holds no Kubernetes object: the rules that check the SOP folder (namespaces, sync waves, naming, Reflector) had nothing to check; set `sop-folder` in {FILE_NAME}"
            ));
        }
    }
    // Sealed values' lengths are checked against the certificate's key: without it, only
    // against the controller's default size.
    let sealed = project
        .objects
        .iter()
        .any(|obj| matches!(obj.spec, crate::model::Spec::SealedSecret(_)));
    let path = &config.certificate;
    let unusable = match &project.certificate {
        Certificate::Found { .. } => None,
        Certificate::Absent => Some("it is missing".to_string()),
        Certificate::Invalid { reason } => Some(format!("it cannot be used: {reason}")),
    };
    if let Some(why) = unusable.filter(|_| sealed) {
        notices.push(format!(
            "the sealing certificate `{path}` was not read ({why}): sealed values were checked against the controller's default RSA-4096 key only, and `pglint new`/`seal` cannot seal; commit it with `kubeseal --fetch-cert > {path}` or set `certificate` in {FILE_NAME}"
        ));
    }
    notices.extend(unevaluated_rules(project));
    notices.extend(repository_crds(project));
    notices.extend(replicated_by_selector(project));
    for (loc, key) in crate::deploy::argocd_versioned_build_options(project) {
        let version = key.trim_start_matches("kustomize.buildOptions.");
        // Without an Application of the repository on that version, every Argo CD version
        // builds them alike.
        let users = crate::deploy::argocd_kustomize_version_users(project, version);
        let Some(first) = users.first() else {
            continue;
        };
        notices.push(format!(
            "`{}:{}` sets `{key}`: Argo CD 3.2 and later ignore it and build every kustomize version with `kustomize.buildOptions`, as pglint judges the builds; Argo CD 3.0 and 3.1 used it instead for the {} Application source{} with `kustomize.version: {version}` (`{}:{}`{})",
            project.path(loc.file),
            line_of(project, loc),
            users.len(),
            if users.len() == 1 { "" } else { "s" },
            project.path(first.file),
            line_of(project, *first),
            match users.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            }
        ));
    }
    let nested = format!("/{FILE_NAME}");
    let mut ignored: Vec<&str> = project
        .paths
        .iter()
        .map(String::as_str)
        .filter(|path| {
            (*path == FILE_NAME || path.ends_with(nested.as_str())) && Some(*path) != config_path
        })
        .collect();
    ignored.sort_unstable();
    for path in ignored {
        let used = match config_path {
            Some(used) => format!("`{used}` is the one in use"),
            None => "none is in use".to_string(),
        };
        notices.push(format!(
            "`{path}` is ignored: pglint reads the first {FILE_NAME} from the working directory up to the repository root ({used}); run pglint from its folder, or merge it into the one in use"
        ));
    }
    notices
}

/// What the deploy layer could not know, as notices.
#[derive(Debug, Default)]
pub struct DeployNotices {
    pub notices: Vec<String>,
    /// The repository declares Argo CD or Flux deployers, but none is known to apply this
    /// repository: what was judged are its kustomizations on their own (`--deny-warnings`
    /// fails the run).
    pub unidentified: bool,
}

/// The notices about what `deploy` did not know: deployers it could not place, assumptions
/// it made, and constructs it does not model (each with the deployments it concerns).
pub fn deploy_notices(project: &Project, deploy: &Deploy<'_>) -> DeployNotices {
    let mut out = DeployNotices::default();
    let at = |loc: Loc| {
        let line = project.text(loc.file).line_col(loc.span.start()).line;
        format!("{}:{line}", project.path(loc.file))
    };
    // One notice per cause: deployers whose reasons differ only in the deployer they name
    // ("Application a: whether `URL` is …") make one, with the count and the first few.
    let mut causes: Vec<(&str, Vec<(&str, Loc)>)> = Vec::new();
    for unknown in &deploy.unknown_deployers {
        let (subject, cause) = unknown
            .reason
            .split_once(": ")
            .unwrap_or(("", unknown.reason.as_str()));
        match causes.iter_mut().find(|(c, _)| *c == cause) {
            Some((_, subjects)) => subjects.push((subject, unknown.loc)),
            None => causes.push((cause, vec![(subject, unknown.loc)])),
        }
    }
    for (cause, subjects) in causes {
        let notice = match subjects.as_slice() {
            [("", loc)] => format!("not built: {cause} ({})", at(*loc)),
            [(subject, loc)] => format!("not built: {subject}: {cause} ({})", at(*loc)),
            many => {
                let shown: Vec<String> = many
                    .iter()
                    .take(EXAMPLES)
                    .map(|(subject, loc)| {
                        format!("{subject} ({})", at(*loc)).trim_start().to_string()
                    })
                    .collect();
                let more = and_more(many.len());
                format!(
                    "not built: {} deployers: {cause} (e.g. {}{more})",
                    many.len(),
                    shown.join(", ")
                )
            }
        };
        out.notices.push(notice);
    }
    if !deploy.declared && !deploy.unknown_deployers.is_empty() {
        out.unidentified = true;
        out.notices.push(
            "no Argo CD Application or Flux Kustomization is known to apply this repository: every root kustomization and folder was built and judged on its own instead, and whether an object is applied is not known".to_string(),
        );
    }
    // Child Applications an app of apps' filter leaves out, one notice per parent.
    let mut parents: Vec<(&str, Loc, Vec<String>)> = Vec::new();
    for unselected in &deploy.unselected {
        let object = project.object(unselected.application);
        let child = format!(
            "Application `{}` ({})",
            object.name().unwrap_or("<unnamed>"),
            at(object.anchor())
        );
        match parents
            .iter_mut()
            .find(|(parent, _, _)| *parent == unselected.parent)
        {
            Some((_, _, children)) => children.push(child),
            None => parents.push((&unselected.parent, unselected.parent_origin, vec![child])),
        }
    }
    for (parent, origin, children) in parents {
        let parent = format!("{parent} ({})", at(origin));
        out.notices.push(match children.as_slice() {
            [child] => format!(
                "not created: {child}: {parent} holds its file in its folder, but its `directory.include`/`exclude` leave it out, so Argo CD never creates it and nothing it deploys is applied"
            ),
            many => format!(
                "not created: {} Applications (e.g. {}{}): {parent} holds their files in its folder, but its `directory.include`/`exclude` leave them out, so Argo CD never creates them and nothing they deploy is applied",
                many.len(),
                many[..many.len().min(EXAMPLES)].join(", "),
                and_more(many.len())
            ),
        });
    }
    // Flux ignore rules: applied to what Flux's generated kustomizations list, not to what a
    // kustomization lists; none applied when a `.sourceignore` cannot be read.
    let flux: Vec<&str> = deploy
        .deployments
        .iter()
        .filter(|d| d.kind == crate::deploy::DeploymentKind::Flux)
        .map(|d| d.name.as_str())
        .collect();
    let files = crate::deploy::sourceignore_files(project);
    let unreadable = files.iter().any(|f| {
        project
            .read_input(f)
            .is_none_or(|bytes| std::str::from_utf8(&bytes).is_err())
    });
    let rules: Vec<String> =
        files
            .iter()
            .map(|f| format!("`{f}`"))
            .chain(crate::deploy::flux_spec_ignore(project).map(|(loc, _)| {
                format!("`{}` (GitRepository `flux-system` `spec.ignore`)", at(loc))
            }))
            .collect();
    if !flux.is_empty() && !rules.is_empty() {
        let deployments = format!(
            "{}{}",
            flux[..flux.len().min(EXAMPLES)].join(", "),
            and_more(flux.len())
        );
        out.notices.push(if unreadable {
            format!(
                "not read: Flux ignore rules {}: a `.sourceignore` file cannot be read, so the files source-controller leaves out are judged as applied and the files below a Flux folder without a kustomization are not checked for being Kubernetes objects, in {deployments}",
                rules.join(", ")
            )
        } else {
            format!(
                "partly read: Flux ignore rules {}: the files they leave out are not applied by Flux's generated kustomizations, but one that a kustomization lists is not reported as missing (kustomize-controller fails that build), in {deployments}",
                rules.join(", ")
            )
        });
    }
    // One notice per assumption, naming (some of) the Applications that rest on it.
    let mut assumed: Vec<(&Assumption, Vec<&str>)> = Vec::new();
    for deployment in &deploy.deployments {
        let Some(assumption) = &deployment.assumption else {
            continue;
        };
        let name = deployment.name.as_str();
        match assumed.iter_mut().find(|(a, _)| *a == assumption) {
            Some((_, names)) if names.contains(&name) => {}
            Some((_, names)) => names.push(name),
            None => assumed.push((assumption, vec![name])),
        }
    }
    for (assumption, names) in assumed {
        out.notices.push(assumption_notice(assumption, &names));
    }
    // One notice per construct, naming every deployment it is part of.
    let mut unknown: Vec<(&Unknown, Vec<&str>)> = Vec::new();
    for deployment in &deploy.deployments {
        let Ok(rendered) = &deployment.rendered else {
            continue;
        };
        for construct in &rendered.unknown {
            match unknown.iter_mut().find(|(u, _)| *u == construct) {
                Some((_, names)) => names.push(&deployment.name),
                None => unknown.push((construct, vec![&deployment.name])),
            }
        }
    }
    for (construct, deployments) in unknown {
        out.notices.push(format!(
            "partly known: {} ({}), in {}: pglint does not model it, so what it adds or changes is not checked",
            construct.reason,
            at(construct.loc),
            deployments.join(", ")
        ));
    }
    out
}

/// How many Applications a grouped notice names at most; the rest are counted.
const EXAMPLES: usize = 3;

/// " and N more" after the first [`EXAMPLES`] of `total` names, or nothing.
fn and_more(total: usize) -> String {
    match total.saturating_sub(EXAMPLES) {
        0 => String::new(),
        rest => format!(" and {rest} more"),
    }
}

/// The notice about `assumption`, made to find the deployments `names` (in order, distinct).
fn assumption_notice(assumption: &Assumption, names: &[&str]) -> String {
    match assumption {
        Assumption::ThisRepository { repo_url } => match names {
            [name] => format!(
                "{name}: `{repo_url}` is taken to be this repository because its path exists here and no git remote names it; list it in `[deploy] repo-urls` to say so"
            ),
            _ => {
                let shown: Vec<&str> = names
                    .iter()
                    .take(EXAMPLES)
                    .map(|n| n.strip_prefix("Application ").unwrap_or(n))
                    .collect();
                let more = and_more(names.len());
                format!(
                    "{} Applications name `{repo_url}`, taken to be this repository because their paths exist here and no git remote names it (e.g. {}{more}); list it in `[deploy] repo-urls` to say so",
                    names.len(),
                    shown.join(", ")
                )
            }
        },
    }
}

/// CustomResourceDefinitions the repository holds for a group pglint embeds CRDs of: the
/// kind each defines is validated against it instead of the embedded one; a second CRD of the
/// same kind is not used.
fn repository_crds(project: &Project) -> Vec<String> {
    let repository = &project.schemas.repository;
    repository
        .iter()
        .enumerate()
        .map(|(at, own)| {
            let place = format!("`{}:{}`", project.path(own.loc.file), line_of(project, own.loc));
            if let Some(first) = repository[..at]
                .iter()
                .find(|other| other.group == own.group && other.kind == own.kind)
            {
                return format!(
                    "{place} holds a second CustomResourceDefinition `{}` of {} {}: pglint validates against the first one, `{}:{}`",
                    own.name,
                    own.group,
                    own.kind,
                    project.path(first.loc.file),
                    line_of(project, first.loc)
                );
            }
            let instead = match crate::schema::embedded(&own.group, &own.kind) {
                Some((embedded, _)) => format!("instead of its embedded CRD ({})", embedded.release),
                None => "(pglint embeds no CRD of this kind)".to_string(),
            };
            format!(
                "{place} holds the CustomResourceDefinition `{}`: pglint validates {} {} objects against it {instead}",
                own.name, own.group, own.kind
            )
        })
        .collect()
}

/// Secrets kubernetes-replicator pushes to the namespaces a label selector matches
/// (`replicate-to-matching`, `replicate/common/generic-replicator.go` `NamespaceAdded` matches
/// it against each namespace's labels): pglint cannot see those labels, so where the copies
/// land is not judged. One notice, naming the first few Secrets.
fn replicated_by_selector(project: &Project) -> Option<String> {
    use crate::model::replicator;
    let secrets: Vec<String> = project
        .objects
        .iter()
        .filter_map(|object| {
            let meta = crate::model::reflector::secret_meta(object)?;
            let selector = replicator::annotation(meta, replicator::REPLICATE_TO_MATCHING)?;
            Some(format!(
                "`{}/{}` ({}:{}, `{}`)",
                object.namespace_str().unwrap_or("<no namespace>"),
                object.name().unwrap_or("<unnamed>"),
                project.path(object.file),
                line_of(project, selector.key.loc),
                selector.value.value
            ))
        })
        .collect();
    let more = and_more(secrets.len());
    let (what, verb) = match secrets.len() {
        0 => return None,
        1 => ("Secret".to_string(), "reaches"),
        n => (format!("{n} Secrets"), "reach"),
    };
    Some(format!(
        "kubernetes-replicator copies {what} {}{more} into the namespaces whose labels match its `{}{}` selector: pglint cannot see namespaces' labels, so which namespaces it {verb} is not checked",
        secrets[..secrets.len().min(EXAMPLES)].join(", "),
        replicator::PREFIX,
        replicator::REPLICATE_TO_MATCHING
    ))
}

/// The 1-based line a location starts on.
fn line_of(project: &Project, loc: crate::source::Loc) -> usize {
    crate::report::position(project, loc).start.line
}

/// CEL rules of a CRD that pglint could not evaluate on some object (an unsupported function,
/// an evaluation error), and patterns beyond the `regex` crate: each once, with the first object and how many there are.
fn unevaluated_rules(project: &Project) -> Vec<String> {
    let mut rules: Vec<(String, String, usize)> = Vec::new();
    for obj in &project.objects {
        for violation in &obj.schema {
            if violation.kind != crate::schema::ViolationKind::Unevaluated {
                continue;
            }
            match rules.iter_mut().find(|(m, ..)| *m == violation.message) {
                Some((_, _, count)) => *count += 1,
                None => rules.push((
                    violation.message.clone(),
                    format!("{} in `{}`", obj.display_name(), project.path(obj.file)),
                    1,
                )),
            }
        }
    }
    rules
        .into_iter()
        .map(|(message, first, count)| {
            let more = if count > 1 {
                format!(" and {} more objects", count - 1)
            } else {
                String::new()
            };
            format!("a schema validation was not checked on {first}{more}: {message}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::notices;
    use crate::config::Config;
    use crate::project::Project;

    /// `(path, text)` pairs as `Project::from_texts` takes them.
    fn borrowed(files: &[(String, String)]) -> Vec<(&str, &str)> {
        files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect()
    }

    /// The notices that mention `words`.
    fn mentioning<'n>(notices: &'n [String], words: &str) -> Vec<&'n String> {
        notices.iter().filter(|n| n.contains(words)).collect()
    }

    #[test]
    fn what_deploy_does_not_know_is_said_with_its_deployments() {
        let config = Config::default();
        let project = Project::from_texts(
            &[
                ("a/kustomization.yaml", "resources: [../base]\n"),
                ("b/kustomization.yaml", "resources: [../base]\n"),
                ("base/kustomization.yaml", "helmCharts:\n  - name: x\n"),
            ],
            &config,
        );
        let deploy = crate::deploy::Deploy::build(&project, &config);
        let known = super::deploy_notices(&project, &deploy);
        assert!(!known.unidentified);
        assert_eq!(
            known.notices,
            [
                "partly known: `helmCharts` is not modelled (base/kustomization.yaml:1), in kustomization a, kustomization b: pglint does not model it, so what it adds or changes is not checked"
            ]
        );
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: dbs\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: elsewhere\n";
        let project = Project::from_texts(&[("argocd/dbs.yaml", app)], &config);
        let deploy = crate::deploy::Deploy::build(&project, &config);
        let known = super::deploy_notices(&project, &deploy);
        assert!(known.unidentified);
        assert!(
            known.notices[0].starts_with("not built: Application dbs"),
            "{:?}",
            known.notices
        );
    }

    #[test]
    fn flux_ignore_rules_are_said_with_the_flux_deployments() {
        let config = Config::default();
        let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
        let source = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  url: https://example.com/repo.git\n  ignore: |\n    /apps/wiki/values.yaml\n";
        let said = |files: &[(&str, &str)]| {
            let project = Project::from_texts(files, &config);
            let deploy = crate::deploy::Deploy::build(&project, &config);
            super::deploy_notices(&project, &deploy)
                .notices
                .into_iter()
                .filter(|n| n.contains(": Flux ignore rules"))
                .collect::<Vec<_>>()
        };
        let files = [
            ("flux/apps.yaml", flux),
            ("flux/source.yaml", source),
            ("apps/.sourceignore", "*.txt\n"),
            ("apps/wiki/values.yaml", "image: x\n"),
        ];
        assert_eq!(
            said(&files),
            [
                "partly read: Flux ignore rules `apps/.sourceignore`, `flux/source.yaml:9` (GitRepository `flux-system` `spec.ignore`): the files they leave out are not applied by Flux's generated kustomizations, but one that a kustomization lists is not reported as missing (kustomize-controller fails that build), in Kustomization flux-system/apps"
            ]
        );
        // `spec.ignore` alone is applied, but not to what a kustomization lists.
        let spec_only = [files[0], files[1], files[3]];
        assert_eq!(
            said(&spec_only),
            [
                "partly read: Flux ignore rules `flux/source.yaml:9` (GitRepository `flux-system` `spec.ignore`): the files they leave out are not applied by Flux's generated kustomizations, but one that a kustomization lists is not reported as missing (kustomize-controller fails that build), in Kustomization flux-system/apps"
            ]
        );
        // No rules, or no Flux deployment: nothing to say.
        assert!(said(&files[..1]).is_empty());
        assert!(said(&files[1..]).is_empty());
    }

    #[test]
    fn versioned_kustomize_build_options_are_said() {
        let config = Config::default();
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n  kustomize.buildOptions: --enable-helm\n  kustomize.path.v5.4.3: /usr/local/bin/kustomize-5.4.3\n  kustomize.buildOptions.v5.4.3: --load-restrictor LoadRestrictionsNone\n";
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: dbs\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: db\n    kustomize:\n      version: VERSION\n";
        let said = |version: &str| -> Vec<String> {
            let app = app.replace("VERSION", version);
            let files = [
                ("argocd/argocd-cm.yaml", cm),
                ("argocd/dbs.yaml", app.as_str()),
            ];
            let project = Project::from_texts(&files, &config);
            notices(&project, &config, None)
                .into_iter()
                .filter(|n| n.contains("kustomize.buildOptions."))
                .collect()
        };
        assert_eq!(
            said("v5.4.3"),
            [
                "`argocd/argocd-cm.yaml:9` sets `kustomize.buildOptions.v5.4.3`: Argo CD 3.2 and later ignore it and build every kustomize version with `kustomize.buildOptions`, as pglint judges the builds; Argo CD 3.0 and 3.1 used it instead for the 1 Application source with `kustomize.version: v5.4.3` (`argocd/dbs.yaml:10`)"
            ]
        );
        // No Application on that version: every Argo CD version builds alike.
        assert!(said("v5.6.0").is_empty());
    }

    #[test]
    fn child_applications_an_app_of_apps_leaves_out_make_one_notice_per_parent() {
        let config = Config::default();
        let app = |name: &str, path: &str, directory: &str| {
            format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: {path}\n{directory}"
            )
        };
        let mut files = vec![(
            "argocd/root.yaml".to_string(),
            app(
                "root",
                "apps",
                "    directory:\n      include: 'kept.yaml'\n",
            ),
        )];
        files.push(("apps/kept.yaml".into(), app("kept", "db", "")));
        for i in 0..5 {
            files.push((
                format!("apps/old-{i}.yaml"),
                app(&format!("old-{i}"), "db", ""),
            ));
        }
        files.push((
            "db/c.yaml".into(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".into(),
        ));
        let texts = borrowed(&files);
        let project = Project::from_texts(&texts, &config);
        let deploy = crate::deploy::Deploy::build(&project, &config);
        assert_eq!(deploy.unselected.len(), 5);
        let known = super::deploy_notices(&project, &deploy);
        let about = mentioning(&known.notices, "not created");
        assert_eq!(
            about,
            [
                "not created: 5 Applications (e.g. Application `old-0` (apps/old-0.yaml:4), Application `old-1` (apps/old-1.yaml:4), Application `old-2` (apps/old-2.yaml:4) and 2 more): Application root (argocd/root.yaml:8) holds their files in its folder, but its `directory.include`/`exclude` leave them out, so Argo CD never creates them and nothing they deploy is applied"
            ],
            "{:#?}",
            known.notices
        );
    }

    #[test]
    fn applications_taken_to_be_this_repository_make_one_notice_per_url() {
        let config = Config::default();
        let app = |name: &str, url: &str| {
            format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\nspec:\n  source:\n    repoURL: {url}\n    path: db\n"
            )
        };
        let mut files: Vec<(String, String)> = (0..1000)
            .map(|i| {
                (
                    format!("argocd/app-{i:04}.yaml"),
                    app(&format!("app-{i:04}"), "https://example.com/repo.git"),
                )
            })
            .collect();
        files.push((
            "argocd/mirror.yaml".into(),
            app("mirror", "https://mirror.example.com/repo.git"),
        ));
        files.push((
            "db/app-db.yaml".into(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".into(),
        ));
        let texts = borrowed(&files);
        let mut project = Project::from_texts(&texts, &config);
        // A fork: no remote names either URL.
        project.repository_urls = vec!["git@example.com:fork/repo.git".into()];
        let deploy = crate::deploy::Deploy::build(&project, &config);
        assert_eq!(deploy.deployments.len(), 1001);
        let known = super::deploy_notices(&project, &deploy);
        let about = mentioning(&known.notices, "taken to be this repository");
        assert_eq!(
            about,
            [
                "1000 Applications name `https://example.com/repo.git`, taken to be this repository because their paths exist here and no git remote names it (e.g. app-0000, app-0001, app-0002 and 997 more); list it in `[deploy] repo-urls` to say so",
                "Application mirror: `https://mirror.example.com/repo.git` is taken to be this repository because its path exists here and no git remote names it; list it in `[deploy] repo-urls` to say so",
            ],
            "{:#?}",
            known.notices
        );
    }

    #[test]
    fn applications_of_an_unknown_repository_make_one_notice_per_url() {
        let config = Config::default();
        let texts: Vec<(String, String)> = (0..500)
            .map(|i| {
                (
                    format!("argocd/app-{i:03}.yaml"),
                    format!(
                        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-{i:03}\nspec:\n  source:\n    repoURL: https://example.com/repo.git\n    path: elsewhere\n"
                    ),
                )
            })
            .collect();
        let texts = borrowed(&texts);
        let project = Project::from_texts(&texts, &config);
        let deploy = crate::deploy::Deploy::build(&project, &config);
        assert_eq!(deploy.unknown_deployers.len(), 500);
        let known = super::deploy_notices(&project, &deploy);
        let built = mentioning(&known.notices, "not built");
        assert_eq!(
            built,
            [
                "not built: 500 deployers: whether `https://example.com/repo.git` is this repository cannot be known (no git remote); list it in `[deploy] repo-urls` (e.g. Application app-000 (argocd/app-000.yaml:7), Application app-001 (argocd/app-001.yaml:7), Application app-002 (argocd/app-002.yaml:7) and 497 more)"
            ],
            "{:#?}",
            known.notices
        );
    }

    #[test]
    fn a_repository_crd_of_an_embedded_group_is_said() {
        let config = Config::default();
        let crd = |name: &str, group: &str, kind: &str| {
            format!(
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {name}\nspec:\n  group: {group}\n  names:\n    kind: {kind}\n"
            )
        };
        let database = crd(
            "databases.postgresql.cnpg.io",
            "postgresql.cnpg.io",
            "Database",
        );
        let again = format!("---\n{database}");
        let other = crd("widgets.example.com", "example.com", "Widget");
        let project = Project::from_texts(
            &[
                ("crds/db.yaml", &database),
                ("crds/old/db.yaml", &again),
                ("crds/w.yaml", &other),
            ],
            &config,
        );
        let said = notices(&project, &config, None);
        let about: Vec<&String> = said
            .iter()
            .filter(|n| n.contains("CustomResourceDefinition"))
            .collect();
        assert_eq!(
            about,
            [
                "`crds/db.yaml:1` holds the CustomResourceDefinition `databases.postgresql.cnpg.io`: pglint validates postgresql.cnpg.io Database objects against it instead of its embedded CRD (CloudNativePG v1.30.0)",
                "`crds/old/db.yaml:2` holds a second CustomResourceDefinition `databases.postgresql.cnpg.io` of postgresql.cnpg.io Database: pglint validates against the first one, `crds/db.yaml:1`",
            ],
            "{said:#?}"
        );
    }

    #[test]
    fn an_sop_folder_with_nothing_and_ignored_configurations() {
        let config = Config::default();
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n";
        let in_sop = Project::from_texts(&[("infra/databases/postgres/s.yaml", secret)], &config);
        assert!(notices(&in_sop, &config, None).is_empty());
        let elsewhere = Project::from_texts(&[("apps/s.yaml", secret)], &config);
        assert_eq!(
            notices(&elsewhere, &config, None),
            [
                "the SOP folder `infra/databases/postgres` does not exist: the rules that check the SOP folder (namespaces, sync waves, naming, Reflector) had nothing to check; set `sop-folder` in pglint.toml"
            ]
        );
        let empty = Project::from_texts(
            &[
                ("infra/databases/postgres/notes.yaml", "just: data\n"),
                ("apps/s.yaml", secret),
            ],
            &config,
        );
        assert!(notices(&empty, &config, None)[0].contains("holds no Kubernetes object"));
        let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n";
        let no_certificate =
            Project::from_texts(&[("infra/databases/postgres/s.yaml", sealed)], &config);
        assert_eq!(
            notices(&no_certificate, &config, None),
            [
                "the sealing certificate `infra/sealed-secrets/pub-cert.pem` was not read (it is missing): sealed values were checked against the controller's default RSA-4096 key only, and `pglint new`/`seal` cannot seal; commit it with `kubeseal --fetch-cert > infra/sealed-secrets/pub-cert.pem` or set `certificate` in pglint.toml"
            ]
        );
        let nested = Project::from_texts(
            &[
                ("infra/databases/postgres/s.yaml", secret),
                ("pglint.toml", ""),
                ("apps/pglint.toml", ""),
            ],
            &config,
        );
        assert_eq!(
            notices(&nested, &config, Some("pglint.toml")),
            [
                "`apps/pglint.toml` is ignored: pglint reads the first pglint.toml from the working directory up to the repository root (`pglint.toml` is the one in use); run pglint from its folder, or merge it into the one in use"
            ]
        );
    }
}
