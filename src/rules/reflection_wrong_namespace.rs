use crate::diagnostic::{Finding, Severity};
use crate::hash::HashMap;
use crate::index::{Copier, InstanceId};
use crate::model::apps::app_of;
use crate::model::reflector::{
    ALLOWED_NAMESPACES, AUTO_NAMESPACES, Mirroring, NamespaceList, REFLECTS, reflector,
    secret_meta,
};
use crate::model::{Metadata, Object, is_unknowable};
use crate::rules::Context;
use crate::source::Loc;

declare_rule! {
    /// ## What it does
    /// Follows the SOP chain's app name: the credentials secret `<app>-db-creds` belongs to
    /// app `<app>`, whose namespace is `<app>` (configurable: `naming.namespace` and
    /// `[app-namespaces]` in `pglint.toml`). Reports a credentials secret in the SOP folder
    /// that Reflector does not copy into its app's namespace because
    /// `reflection-allowed-namespaces` or `reflection-auto-namespaces` leaves it out, when
    /// - the list names the namespace of *another* app of the repository instead (an error
    ///   naming both apps: typically a secret copied from that app and renamed, with its
    ///   annotations left as they were); or
    /// - every namespace the list names is used by no manifest of the repository (a warning
    ///   with "did you mean `<app namespace>`?": typically a typo).
    ///
    /// A list naming a namespace that manifests of the repository do use is left alone: the
    /// app may well run there (say so in `[app-namespaces]`). The app is the one the secret's
    /// name tells as written (a kustomize `namePrefix` renames the Secret, not the app).
    /// Credentials that mittwald kubernetes-replicator copies into the app's namespace
    /// (`replicator.v1.mittwald.de/replicate-to` on the source, or a `replicate-from` copy
    /// there that the source permits) reach the app: nothing is reported.
    ///
    /// ## Why is this bad?
    /// Reflector creates the copy only in namespaces both lists take in, and fills a manual
    /// mirror (`reflects`) only where `reflection-allowed-namespaces` takes it in. The app's
    /// Deployment then waits forever for a Secret that never appears in its namespace, while
    /// the database password of one app lands in another app's namespace, readable by
    /// everything that can read Secrets there.
    ///
    /// Source (emberstack/kubernetes-reflector,
    /// `src/ES.Kubernetes.Reflector/Mirroring/Core/MirroringPropertiesExtensions.cs`):
    /// `CanBeReflectedToNamespace` is `properties.Allowed && PatternListMatch(
    /// properties.AllowedNamespaces, ns)`; `CanBeAutoReflectedToNamespace` adds
    /// `properties.AutoEnabled && PatternListMatch(properties.AutoNamespaces, ns)`;
    /// `ResourceMirror.cs` `AutoReflectionForSource` creates mirrors only in namespaces for
    /// which `CanBeAutoReflectedToNamespace` holds.
    ///
    /// ## Example
    /// ```yaml
    /// # gitea-secrets-sealed.yaml, copied from nextcloud's
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: nextcloud
    ///         reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    ///       name: gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   template:
    ///     metadata:
    ///       annotations:
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed: "true"
    ///         reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: gitea
    ///         reflector.v1.k8s.emberstack.com/reflection-auto-enabled: "true"
    ///       name: gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Name the app's own namespace in the list (the SealedSecret's template is not
    /// encrypted: edit it by hand). If the app really runs in another namespace, tell pglint
    /// under `[app-namespaces]` in `pglint.toml`.
    pub struct ReflectionWrongNamespace {
        id: "reflection-wrong-namespace",
        group: "reflector",
        level: Error,
        summary: "Reflector does not copy a credentials secret into its app's namespace, but into another app's or an unused one",
        check: check,
    }
}

/// A credentials secret of the SOP folder and the app its name tells.
struct Source<'p> {
    id: InstanceId,
    obj: &'p Object,
    name: &'p str,
    namespace: &'p str,
    app: &'p str,
}

fn sources<'p>(cx: &Context<'p>) -> Vec<Source<'p>> {
    let suffix = &cx.config.naming.secret_suffix;
    let mut sources = Vec::new();
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        let (Some(name), Some(namespace)) = (obj.name(), obj.namespace_str()) else {
            continue;
        };
        // The app its name tells as written: a kustomize `namePrefix` renames the Secret in
        // every overlay, not the app.
        let written = cx.index.instance(id).source.map(|source| {
            let obj = cx.project.object(source);
            obj.written_meta.as_deref().unwrap_or(&obj.meta)
        });
        let written_name = written
            .and_then(|meta| meta.name.as_ref())
            .map_or(name, |n| n.as_str());
        let Some(app) = app_of(written_name, suffix) else {
            continue;
        };
        let mirror = secret_meta(obj).is_some_and(|m| reflector(m, REFLECTS).is_some());
        if !cx.in_sop_folder(obj) || mirror || is_unknowable(name) || is_unknowable(namespace) {
            continue;
        }
        sources.push(Source {
            id,
            obj,
            name,
            namespace,
            app,
        });
    }
    sources
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let sources = sources(cx);
    let naming = &cx.config.naming;
    // The namespace of each app of the SOP folder.
    let mut app_in: HashMap<String, usize> = HashMap::default();
    for (i, source) in sources.iter().enumerate() {
        app_in.entry(naming.app_namespace(source.app)).or_insert(i);
    }
    for source in &sources {
        let Some(meta) = secret_meta(source.obj) else {
            continue;
        };
        // Whether reflection is switched on is judged apart: a list that leaves the app's
        // namespace out is a second edit the app needs either way.
        let m = Mirroring::of(meta);
        let own = naming.app_namespace(source.app);
        if own == source.namespace || cx.index.copied_into(meta, source.namespace, source.name, &own) != Some(false) {
            continue;
        }
        // The list that leaves the app's namespace out (with auto-reflection off, the auto
        // list copies nothing, so it is not the one to blame).
        let mirrored =
            cx.index
                .has_copy_in(Copier::Reflector, source.namespace, source.name, &own);
        let (list_name, list) = if m.allowed_namespaces.matches(&own) == Some(false) {
            (ALLOWED_NAMESPACES, &m.allowed_namespaces)
        } else if !mirrored
            && m.auto_enabled == Some(true)
            && m.auto_namespaces.matches(&own) == Some(false)
        {
            (AUTO_NAMESPACES, &m.auto_namespaces)
        } else {
            continue;
        };
        let Some(annotation) = reflector(meta, list_name) else {
            continue;
        };
        let at = annotation.value.loc;
        let other = list
            .literals()
            .into_iter()
            .find_map(|ns| app_in.get(&ns).map(|&i| (ns, &sources[i])))
            .filter(|(_, other)| other.app != source.app);
        let before = out.len();
        if let Some((other_ns, other)) = other {
            out.push(another_apps(
                cx, source, meta, list_name, at, &own, &other_ns, other,
            ));
        } else if let Some(finding) = unused(cx, source, list_name, list, at, &own) {
            out.push(finding);
        }
        crate::rules::metadata_entry_subjects(cx, source.obj, &mut out[before..]);
    }
}

/// The list names another app's namespace.
#[allow(clippy::too_many_arguments)]
fn another_apps(
    cx: &Context<'_>,
    source: &Source<'_>,
    meta: &Metadata,
    list_name: &str,
    at: Loc,
    own: &str,
    other_ns: &str,
    other: &Source<'_>,
) -> Finding {
    let gets = cx.index.copied_into(meta, source.namespace, source.name, other_ns) == Some(true);
    let tail = if gets {
        format!(", and app `{}` gets them", other.app)
    } else {
        String::new()
    };
    let other_meta = secret_meta(other.obj);
    let other_loc = other_meta
        .and_then(|meta| reflector(meta, list_name).or(reflector(meta, ALLOWED_NAMESPACES)))
        .filter(|a| a.value.as_str().contains(other_ns))
        .map(|a| a.value.loc)
        .unwrap_or_else(|| other.obj.anchor());
    Finding::new(
        at,
        format!(
            "`{list_name}` of `{}` names `{other_ns}`, the namespace of app `{}`, not `{own}`: app `{}` never gets its database credentials{tail}",
            source.name, other.app, source.app
        ),
    )
    .label(format!("app `{}`'s namespace", other.app))
    .help(format!(
        "replace `{other_ns}` with `{own}`; if app `{}` really runs in another namespace, set it under `[app-namespaces]` in pglint.toml",
        source.app
    ))
    .related(
        other_loc,
        format!("`{other_ns}` is app `{}`'s namespace (`{}`)", other.app, other.name),
    )
    .in_deployment(cx.deployment_of(source.id))
}

/// Every namespace the list names is used by no manifest: probably a typo.
fn unused(
    cx: &Context<'_>,
    source: &Source<'_>,
    list_name: &str,
    list: &NamespaceList,
    at: Loc,
    own: &str,
) -> Option<Finding> {
    let literals = list.literals();
    // Patterns may take in namespaces in use.
    if literals.is_empty() || literals.len() != list.entries.len() {
        return None;
    }
    let in_use = |ns: &str| cx.index.namespace_used(ns) || cx.deploy().may_hide_objects(Some(ns));
    if literals.iter().any(|ns| in_use(ns)) {
        return None;
    }
    let named = literals
        .iter()
        .map(|ns| format!("`{ns}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (which, what) = if literals.len() == 1 {
        ("which", "namespace")
    } else {
        ("which", "namespaces")
    };
    let mut finding = Finding::new(
            at,
            format!(
                "`{list_name}` of `{}` names the {what} {named}, {which} no manifest of the repository uses, and not `{own}`, the namespace of app `{}`: the app never gets its database credentials",
                source.name, source.app
            ),
        )
        .label("used by no manifest")
        .rests_on_absence(&[])
        .help(format!(
            "did you mean `{own}`? (if app `{}` runs in {named}, set it under `[app-namespaces]` in pglint.toml)",
            source.app
        ))
        .at_most(Severity::Warning)
        .in_deployment(cx.deployment_of(source.id));
    // The other end of the chain: the app's role that logs in with these credentials.
    let role = cx
        .index
        .roles_using_secret(source.name, Some(source.namespace))
        .into_iter()
        .find_map(|(_, role)| role.name.as_ref());
    if let Some(role) = role {
        finding = finding.related(
            role.loc,
            format!("app `{}`'s role `{}` logs in with `{}`", source.app, role.value, source.name),
        );
    }
    Some(finding)
}

#[cfg(test)]
mod tests {
    use crate::model::reflector::{ALLOWED, ALLOWED_NAMESPACES, AUTO_ENABLED, AUTO_NAMESPACES};
    use crate::rules::testing::{lint_sop, secret};

    fn creds(app: &str, annotations: &[(&str, &str)]) -> String {
        let mut all = vec![(ALLOWED, "\"true\""), (AUTO_ENABLED, "\"true\"")];
        all.extend_from_slice(annotations);
        secret(&format!("{app}-db-creds"), &all)
    }

    fn run(files: &[(&str, &str)]) -> Vec<String> {
        lint_sop("reflection-wrong-namespace", files)
    }

    #[test]
    fn another_apps_namespace() {
        let gitea = creds("gitea", &[(ALLOWED_NAMESPACES, "nextcloud")]);
        let nextcloud = creds("nextcloud", &[(ALLOWED_NAMESPACES, "nextcloud")]);
        assert_eq!(
            run(&[("g.yaml", &gitea), ("n.yaml", &nextcloud)]),
            [
                "g.yaml:9 `reflection-allowed-namespaces` of `gitea-db-creds` names `nextcloud`, the namespace of app `nextcloud`, not `gitea`: app `gitea` never gets its database credentials, and app `nextcloud` gets them"
            ]
        );
        // The auto list narrows a right allowed list to the other app's namespace.
        let gitea = creds(
            "gitea",
            &[
                (ALLOWED_NAMESPACES, "\"gitea,nextcloud\""),
                (AUTO_NAMESPACES, "nextcloud"),
            ],
        );
        assert_eq!(run(&[("g.yaml", &gitea), ("n.yaml", &nextcloud)]).len(), 1);
        // Both apps listed: the app gets its credentials (too broad is another rule's).
        let gitea = creds("gitea", &[(ALLOWED_NAMESPACES, "\"gitea,nextcloud\"")]);
        assert!(run(&[("g.yaml", &gitea), ("n.yaml", &nextcloud)]).is_empty());
    }

    #[test]
    fn unused_namespaces_and_namespaces_in_use() {
        let typo = creds("gitea", &[(ALLOWED_NAMESPACES, "gittea")]);
        assert_eq!(
            run(&[("g.yaml", &typo)]),
            [
                "g.yaml:9 `reflection-allowed-namespaces` of `gitea-db-creds` names the namespace `gittea`, which no manifest of the repository uses, and not `gitea`, the namespace of app `gitea`: the app never gets its database credentials"
            ]
        );
        // A namespace in use: the app may run there.
        let used = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: gittea\n";
        assert!(run(&[("g.yaml", &typo), ("c.yaml", used)]).is_empty());
        // Patterns and unknowable lists are not judged.
        let pattern = creds("gitea", &[(ALLOWED_NAMESPACES, "\"git.*a\"")]);
        assert!(run(&[("g.yaml", &pattern)]).is_empty());
        let templated = creds("gitea", &[(ALLOWED_NAMESPACES, "\"${NS}\"")]);
        assert!(run(&[("g.yaml", &templated)]).is_empty());
    }

    #[test]
    fn manual_mirrors_and_disabled_reflection() {
        // Auto-reflection off but a manual mirror in the app's namespace: fine.
        let gitea = secret(
            "gitea-db-creds",
            &[(ALLOWED, "\"true\""), (ALLOWED_NAMESPACES, "gitea")],
        );
        let mirror = secret("gitea-db-creds", &[("reflects", "postgres/gitea-db-creds")])
            .replace("namespace: postgres", "namespace: gitea");
        assert!(run(&[("g.yaml", &gitea), ("m.yaml", &mirror)]).is_empty());
        // A manual mirror the allowed list leaves out is never filled.
        let wrong = gitea.replace("allowed-namespaces: gitea", "allowed-namespaces: gittea");
        assert_eq!(run(&[("g.yaml", &wrong), ("m.yaml", &mirror)]).len(), 1);
        // Not allowed at all, and the list names an unused namespace: two edits, two
        // findings (the missing switches are `reflector-missing`'s).
        let off = secret("gitea-db-creds", &[(ALLOWED_NAMESPACES, "gittea")]);
        assert_eq!(run(&[("g.yaml", &off)]).len(), 1);
        let files = [("infra/databases/postgres/g.yaml", off.as_str())];
        assert_eq!(
            crate::rules::testing::rules_reported("reflect", &files),
            ["reflection-wrong-namespace", "reflector-missing"]
        );
    }
}
