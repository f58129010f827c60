use crate::diagnostic::Finding;
use crate::index::Copier;
use crate::model::apps::app_of;
use crate::model::reflector::secret_meta;
use crate::model::replicator::{
    self, ALLOWED, ALLOWED_NAMESPACES, REPLICATE_FROM, REPLICATE_TO, annotation,
};
use crate::model::{Metadata, Object, is_unknowable};
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Checks what mittwald kubernetes-replicator does with a credentials secret, at the
    /// annotation that decides it:
    ///
    /// - a copy annotated `replicator.v1.mittwald.de/replicate-from: <namespace>/<name>`
    ///   whose source (a Secret or SealedSecret of the repository) does not permit the copy's
    ///   namespace: the replicator fills a copy only when the source has
    ///   `replication-allowed: "true"` (Go's `strconv.ParseBool`) and a
    ///   `replication-allowed-namespaces` pattern matching the copy's whole namespace
    ///   (`replicate/common/generic-replicator.go` `IsReplicationPermitted`, patterns anchored
    ///   by `common/common.go` `BuildStrictRegex`; a missing list refuses, unlike Reflector's).
    ///   A controller started with `--allow-all` fills every copy (`IsReplicationPermitted`
    ///   returns true first; `main.go` flag `allow-all`): say so with `[deploy]
    ///   replicator-allow-all = true`, and no pull is reported;
    /// - a source of the SOP folder whose `replicate-to` patterns do not take in its app's
    ///   namespace (the one `pglint.toml`'s `[app-namespaces]` gives, else the app's name),
    ///   while no other copy (a Reflector mirror, a permitted pull) brings it there either
    ///   (`common/generic-replicator.go` `getNamespacesToReplicate`,
    ///   `common/strings.go` `StringToPatternList`), or take it in while the controller's
    ///   `--exclude-namespaces` patterns (Go regular expressions matching anywhere in the
    ///   name; `common/exclude.go` `ShouldExclude`, checked for pushes only in
    ///   `replicateResourceToNamespaces`) match it: say them in `[deploy]
    ///   replicator-exclude-namespaces` (the flag's default, and pglint's, excludes nothing).
    ///
    /// Values that only exist after substitution, and `replicate-to-matching` (a namespace
    /// label selector), are not judged. The controller's flags are not in the repository:
    /// pglint assumes its defaults unless `[deploy]` says otherwise.
    ///
    /// ## Why is this bad?
    /// The copy stays empty (a pull the source does not permit) or is never made (a push to
    /// other namespaces), so the app's pods cannot read the database credentials and fail to
    /// start, while everything in Git looks wired.
    ///
    /// ## Example
    /// ```yaml
    /// # gitea namespace: the copy the app mounts
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: gitea-db-creds
    ///   namespace: gitea
    ///   annotations:
    ///     replicator.v1.mittwald.de/replicate-from: postgres/gitea-db-creds
    /// # …while the source in `postgres` says only
    /// #   replicator.v1.mittwald.de/replication-allowed: "true"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// # on the source (in a SealedSecret: spec.template.metadata.annotations)
    /// replicator.v1.mittwald.de/replication-allowed: "true"
    /// replicator.v1.mittwald.de/replication-allowed-namespaces: gitea
    /// ```
    ///
    /// ## How to fix
    /// Permit the copy's namespace on the source (both annotations), or list the app's
    /// namespace in `replicate-to`. If the app really runs elsewhere, tell pglint under
    /// `[app-namespaces]`.
    pub struct ReplicationBlocked {
        id: "replication-blocked",
        group: "reflector",
        level: Error,
        summary: "kubernetes-replicator does not copy a credentials secret into the namespace that needs it",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for &id in cx.index.credentials() {
        let obj = cx.index.object(id);
        let Some(meta) = secret_meta(obj) else {
            continue;
        };
        let (Some(name), Some(namespace)) = (obj.name(), obj.namespace_str()) else {
            continue;
        };
        if is_unknowable(name) || is_unknowable(namespace) {
            continue;
        }
        for &copy in cx.index.mirrors_of(Copier::Replicator, namespace, name) {
            let copy = cx.index.object(copy);
            let before = out.len();
            out.extend(refused_pull(
                obj,
                meta,
                copy,
                cx.config.deploy.replicator_allow_all,
            ));
            crate::rules::metadata_entry_subjects(cx, copy, &mut out[before..]);
        }
        if cx.in_sop_folder(obj) {
            let before = out.len();
            out.extend(missed_push(cx, meta, name, namespace));
            crate::rules::metadata_entry_subjects(cx, obj, &mut out[before..]);
        }
    }
}

/// A `replicate-from` copy of `source` that the source does not permit.
fn refused_pull(
    source: &Object,
    source_meta: &Metadata,
    copy: &Object,
    allow_all: bool,
) -> Option<Finding> {
    let written = annotation(secret_meta(copy)?, REPLICATE_FROM)?;
    let (source_namespace, source_name) = (source.namespace_str()?, source.name()?);
    let namespace = copy.namespace_str()?;
    if is_unknowable(namespace) || replicator::permits(source_meta, namespace, allow_all) != Some(false) {
        return None;
    }
    let (why, at) = match (
        annotation(source_meta, ALLOWED),
        annotation(source_meta, ALLOWED_NAMESPACES),
    ) {
        (None, _) => (format!("it has no `{ALLOWED}: \"true\"`"), None),
        (Some(allowed), None) if replicator::permits_any(source_meta) => (
            format!("it has no `{ALLOWED_NAMESPACES}` list (the replicator then refuses every pull)"),
            Some(allowed.key.loc),
        ),
        (Some(allowed), None) => (
            format!("its `{ALLOWED}` is not true"),
            Some(allowed.value.loc),
        ),
        (Some(allowed), Some(_)) if !replicator::permits_any(source_meta) => (
            format!("its `{ALLOWED}` is not true"),
            Some(allowed.value.loc),
        ),
        (_, Some(list)) => (
            format!(
                "its `{ALLOWED_NAMESPACES}` patterns (`{}`) do not match `{namespace}`",
                list.value.value
            ),
            Some(list.value.loc),
        ),
    };
    Some(
        Finding::new(
            written.value.loc,
            format!(
                "kubernetes-replicator leaves this copy empty: Secret `{source_namespace}/{source_name}` does not permit namespace `{namespace}`, {why}"
            ),
        )
        .label("never filled")
        .related(
            at.unwrap_or_else(|| source.anchor()),
            format!("the source `{source_name}`"),
        )
        .help(format!(
            "on the source, set `{}{ALLOWED}: \"true\"` and add `{namespace}` to `{}{ALLOWED_NAMESPACES}`",
            replicator::PREFIX,
            replicator::PREFIX
        )),
    )
}

/// A source whose `replicate-to` leaves its app's namespace out, or names it while the
/// controller's `--exclude-namespaces` leaves it out, with no other copy there.
fn missed_push(cx: &Context<'_>, meta: &Metadata, name: &str, namespace: &str) -> Option<Finding> {
    let written = annotation(meta, REPLICATE_TO)?;
    let app = app_of(name, &cx.config.naming.secret_suffix)?;
    let own = cx.config.naming.app_namespace(app);
    let exclude = &cx.config.deploy.replicator_exclude_namespaces;
    if own == namespace
        || replicator::pushes_to(meta, namespace, &own, exclude) != Some(false)
        || cx.index.copied_into(meta, namespace, name, &own) != Some(false)
    {
        return None;
    }
    // A pull from the app's namespace is the other finding's, when refused.
    if cx.index.has_copy_in(Copier::Replicator, namespace, name, &own) {
        return None;
    }
    if replicator::pushes_to(meta, namespace, &own, &[]) == Some(true) {
        return Some(
            Finding::new(
                written.value.loc,
                format!(
                    "kubernetes-replicator skips namespace `{own}` of app `{app}`: `replicate-to` names it, but `[deploy] replicator-exclude-namespaces` (the controller's `--exclude-namespaces`) matches it, so `{name}` is never copied there"
                ),
            )
            .label("namespace excluded")
            .help(format!(
                "take `{own}` out of the replicator's `--exclude-namespaces` (and `[deploy] replicator-exclude-namespaces`), or pull the Secret with a `{}{REPLICATE_FROM}` copy in `{own}` (pulls are not filtered)",
                replicator::PREFIX
            )),
        );
    }
    Some(
        Finding::new(
            written.value.loc,
            format!(
                "kubernetes-replicator copies `{name}` into `{}`, not into namespace `{own}` of app `{app}`",
                written.value.value
            ),
        )
        .label("app namespace missing")
        .help(format!("add `{own}` to `{}{REPLICATE_TO}`", replicator::PREFIX)),
    )
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::run;

    const SOURCE: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gitea-db-creds\n  namespace: postgres\n  annotations:\nANNOTATIONS\ntype: kubernetes.io/basic-auth\nstringData:\n  username: gitea_user\n  password: x\n";
    const COPY: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gitea-db-creds\n  namespace: gitea\n  annotations:\n    replicator.v1.mittwald.de/replicate-from: postgres/gitea-db-creds\ntype: kubernetes.io/basic-auth\n";

    fn source(annotations: &[&str]) -> String {
        let lines: Vec<String> = annotations
            .iter()
            .map(|a| format!("    replicator.v1.mittwald.de/{a}"))
            .collect();
        SOURCE.replace("ANNOTATIONS", &lines.join("\n"))
    }

    fn found(source: &str, copy: Option<&str>) -> Vec<String> {
        let mut files = vec![("infra/databases/postgres/gitea-secret.yaml", source)];
        if let Some(copy) = copy {
            files.push(("apps/gitea/creds.yaml", copy));
        }
        run(&files, check)
    }

    #[test]
    fn pulls_the_source_does_not_permit() {
        let allowed_only = source(&["replication-allowed: \"true\""]);
        let found_ = found(&allowed_only, Some(COPY));
        assert_eq!(found_.len(), 1, "{found_:?}");
        assert!(found_[0].contains("no `replication-allowed-namespaces`"), "{found_:?}");
        let other = source(&[
            "replication-allowed: \"true\"",
            "replication-allowed-namespaces: \"gitea-.*\"",
        ]);
        let found_ = found(&other, Some(COPY));
        assert!(found_[0].contains("do not match `gitea`"), "{found_:?}");
        // A source with no replicator annotation at all: the pull is refused here (and
        // `reflector-missing` leaves the source alone).
        let bare = SOURCE.replace("  annotations:\nANNOTATIONS\n", "");
        let found_ = found(&bare, Some(COPY));
        assert!(found_[0].contains("no `replication-allowed: \"true\"`"), "{found_:?}");
        let permitted = source(&[
            "replication-allowed: \"true\"",
            "replication-allowed-namespaces: \"gitea\"",
        ]);
        assert!(found(&permitted, Some(COPY)).is_empty());
    }

    #[test]
    fn pushes_that_miss_the_app_namespace() {
        let elsewhere = source(&["replicate-to: \"gitea2,forgejo\""]);
        let found_ = found(&elsewhere, None);
        assert_eq!(found_.len(), 1, "{found_:?}");
        assert!(found_[0].contains("not into namespace `gitea`"), "{found_:?}");
        assert!(found(&source(&["replicate-to: \"gitea\""]), None).is_empty());
        assert!(found(&source(&["replicate-to: \"${NS}\""]), None).is_empty());
    }
}
