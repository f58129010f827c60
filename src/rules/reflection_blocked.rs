use crate::diagnostic::Finding;
use crate::index::SecretSource;
use crate::model::reflector::{
    ALLOWED_NAMESPACES, AUTO_NAMESPACES, Mirroring, REFLECTS, reflector, reflects, secret_meta,
};
use crate::model::is_unknowable;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Reports a Secret (or a SealedSecret or ExternalSecret that makes one) in a namespace
    /// into which Reflector auto-reflects a credentials secret of the SOP folder under the
    /// same name, when it is not a mirror of that source (it lacks
    /// `reflector.v1.k8s.emberstack.com/reflects: <source namespace>/<name>`).
    ///
    /// ## Why is this bad?
    /// When the source changes, Reflector skips a namespace that already holds a Secret of the
    /// source's name that is not its mirror: it creates mirrors only where no such Secret
    /// exists and updates only its own. The app there keeps reading that Secret, not the
    /// credentials of its role, and logs in with a wrong or stale password (or not at all).
    /// (Only an event on the namespace itself, such as Reflector restarting, makes it try to
    /// create the mirror there, and it then patches the existing Secret over: which values the
    /// app reads depends on the order of events.)
    ///
    /// Source (emberstack/kubernetes-reflector,
    /// `src/ES.Kubernetes.Reflector/Mirroring/Core/ResourceMirror.cs`,
    /// `AutoReflectionForSource`): mirrors are created only in namespaces where
    /// `matches.All(m => m.Namespace() != s.Name())` (no Secret of that name exists), and
    /// updated only where `m.GetMirroringProperties().Reflects == sourceNsName`; the README
    /// says "Reflector will skip any conflicting resource when creating auto-mirrors". The
    /// namespace branch of `Handle(WatcherEvent)` calls `ResourceReflect(…, null, null, true, …)`,
    /// whose create falls back to a patch on `HttpStatusCode.Conflict`.
    ///
    /// ## Example
    /// ```yaml
    /// # apps/gitea/db-secret.yaml: written by hand before Reflector was set up
    /// apiVersion: bitnami.com/v1alpha1
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: gitea
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # nothing in the gitea namespace: Reflector creates gitea/gitea-db-creds from
    /// # postgres/gitea-db-creds; or, to declare the copy, a manual mirror:
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: gitea
    ///   annotations:
    ///     reflector.v1.k8s.emberstack.com/reflects: postgres/gitea-db-creds
    /// ```
    ///
    /// ## How to fix
    /// Delete the Secret in the app's namespace (Reflector then creates the mirror), or make it
    /// a manual mirror annotated `reflects: <source namespace>/<name>`, or give it another
    /// name if it holds something else.
    pub struct ReflectionBlocked {
        id: "reflection-blocked",
        group: "reflector",
        level: Error,
        summary: "a Secret of the same name in a target namespace keeps Reflector from mirroring a credentials secret there",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        let (Some(name), Some(namespace)) = (obj.name(), obj.namespace_str()) else {
            continue;
        };
        if !cx.in_sop_folder(obj) || is_unknowable(name) || is_unknowable(namespace) {
            continue;
        }
        let Some(meta) = secret_meta(obj) else {
            continue;
        };
        if reflector(meta, REFLECTS).is_some() {
            continue;
        }
        let m = Mirroring::of(meta);
        if m.allowed != Some(true) || m.auto_enabled != Some(true) {
            continue;
        }
        let source = cx.index.instance(id).source;
        for other in cx.index.secret_sources(name, None) {
            let blocker_id = other.object();
            let blocker = cx.index.object(blocker_id);
            let Some(target) = blocker.namespace_str() else {
                continue;
            };
            if target == namespace
                || is_unknowable(target)
                || (source.is_some() && cx.index.instance(blocker_id).source == source)
                || m.auto_reflects_to(target) != Some(true)
            {
                continue;
            }
            // A mirror of this source is updated, not skipped.
            let mirrors = secret_meta(blocker).and_then(reflects);
            if mirrors
                .as_ref()
                .is_some_and(|(ns, n)| ns == namespace && n == name)
            {
                continue;
            }
            let kind = match other {
                SecretSource::Secret(_) => "Secret",
                SecretSource::Sealed(_) => "SealedSecret",
                SecretSource::External(_) => "ExternalSecret",
            };
            let makes = if kind == "Secret" {
                format!("Secret `{name}`")
            } else {
                format!("{kind} `{}`, which makes Secret `{name}`,", blocker.name().unwrap_or(name))
            };
            let instead = match &mirrors {
                Some((ns, n)) => format!(" (it mirrors `{ns}/{n}` instead)"),
                None => String::new(),
            };
            let list = [AUTO_NAMESPACES, ALLOWED_NAMESPACES]
                .into_iter()
                .find_map(|list| reflector(meta, list))
                .map_or_else(|| obj.anchor(), |a| a.value.loc);
            out.push(
                Finding::new(
                    blocker.anchor(),
                    format!(
                        "{makes} already exists in namespace `{target}`{instead}: Reflector skips it when mirroring, so the credentials of `{namespace}/{name}` do not reliably reach `{target}`"
                    ),
                )
                .field(cx.project, blocker.anchor_path())
                .label("keeps Reflector's mirror out")
                .help(format!(
                    "delete it and let Reflector create the mirror, or make it a manual mirror: a Secret annotated `reflector.v1.k8s.emberstack.com/reflects: {namespace}/{name}`; if it holds something else, give it another name"
                ))
                .related(list, format!("`{namespace}/{name}` is auto-reflected into `{target}`"))
                .in_deployment(cx.deployment_of(blocker_id)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::reflector::{ALLOWED, ALLOWED_NAMESPACES, AUTO_ENABLED};
    use crate::rules::testing::{findings, secret};

    const SOP: &str = "infra/databases/postgres";

    fn source(annotations: &[(&str, &str)]) -> String {
        let mut all = vec![
            (ALLOWED, "\"true\""),
            (AUTO_ENABLED, "\"true\""),
            (ALLOWED_NAMESPACES, "gitea"),
        ];
        all.extend_from_slice(annotations);
        secret("gitea-db-creds", &all)
    }

    fn in_gitea(annotations: &[(&str, &str)]) -> String {
        secret("gitea-db-creds", annotations).replace("namespace: postgres", "namespace: gitea")
    }

    fn run(app: &str) -> Vec<String> {
        findings(
            "reflection-blocked",
            &[
                (&format!("{SOP}/g.yaml"), &source(&[])),
                ("apps/gitea/s.yaml", app),
            ],
        )
    }

    #[test]
    fn a_secret_of_the_same_name_blocks_the_mirror() {
        assert_eq!(
            run(&in_gitea(&[])),
            [
                "apps/gitea/s.yaml:4 Secret `gitea-db-creds` already exists in namespace `gitea`: Reflector skips it when mirroring, so the credentials of `postgres/gitea-db-creds` do not reliably reach `gitea`"
            ]
        );
        // A mirror of another source is skipped too.
        assert_eq!(
            run(&in_gitea(&[("reflects", "other/gitea-db-creds")])).len(),
            1
        );
        // A manual mirror of this source is what Reflector updates.
        assert!(run(&in_gitea(&[("reflects", "postgres/gitea-db-creds")])).is_empty());
        // A namespace Reflector does not auto-reflect into is not blocked.
        let elsewhere =
            secret("gitea-db-creds", &[]).replace("namespace: postgres", "namespace: other");
        assert!(run(&elsewhere).is_empty());
    }
}
