use crate::diagnostic::Finding;
use crate::rules::Context;

declare_rule! {
    /// ## What it does
    /// Under `check --base REF`, evaluates the transition rules of the embedded CRDs
    /// (`x-kubernetes-validations` that read `oldSelf`, such as `self == oldSelf` with "encoding
    /// is immutable") on each object the change modifies, against its version at `REF`, with
    /// the Kubernetes CEL libraries (`kube-cel`), as the API server does on an update. The
    /// finding names the field and quotes the rule's message. A Database's `spec.name` is left
    /// to `database-renamed`, which also explains what CNPG does with the old database.
    /// Without `--base` there is no previous version and nothing is reported.
    ///
    /// ## Why is this bad?
    /// The API server refuses the update: the Argo CD sync fails on this object and every wave
    /// after it waits, until the change is reverted. Deleting and recreating the object to get
    /// around it drops what CNPG manages (a Database's data, with reclaim policy `delete`).
    ///
    /// ## Example
    /// ```yaml
    /// # at the base: encoding: UTF8
    /// apiVersion: postgresql.cnpg.io/v1
    /// kind: Database
    /// metadata:
    ///   name: gitea-db
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user
    ///   encoding: SQL_ASCII
    ///   cluster:
    ///     name: postgres-shared
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
    ///   encoding: UTF8
    ///   cluster:
    ///     name: postgres-shared
    /// ```
    ///
    /// ## How to fix
    /// Keep the value the object has at the base. To really change it, create a new object
    /// (a new database) and move the data.
    pub struct FieldImmutable {
        id: "field-immutable",
        group: "change",
        level: Error,
        summary: "a change modifies a field a CRD transition rule makes immutable, so the API server refuses the update",
        check: check,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = &cx.base else {
        return;
    };
    for (_, obj) in cx.objects() {
        let (Some(api_version), Some(kind)) = (&obj.api_version, &obj.kind_name) else {
            continue;
        };
        if !cx.project.schemas.has_transition_rules(api_version.as_str(), kind.as_str()) {
            continue;
        }
        let Some(old) = base.before(obj) else {
            continue;
        };
        let Some((_, new_root)) = cx.object_yaml(obj) else {
            continue;
        };
        let old_text = base.project.text(old.file).as_str();
        let old_parsed = crate::yaml::parse(old_text, &cx.config.limits);
        let Some(old_root) = old_parsed
            .documents
            .get(old.document)
            .and_then(|doc| doc.root())
        else {
            continue;
        };
        for violation in cx.project.schemas.transition_violations(
            api_version.as_str(),
            kind.as_str(),
            new_root,
            old_root,
            obj.file,
        ) {
            if kind.as_str() == "Database" && violation.path == "spec.name" {
                continue;
            }
            let old_node = crate::schema::json::node_at(old_root, &violation.path);
            let field = violation.path.rsplit('.').next().unwrap_or(&violation.path);
            let help = match old_node.as_str() {
                Some(value) => format!("keep `{field}: {value}`, as at {}", base.reference),
                None => format!("keep `{field}` as it is at {}", base.reference),
            };
            out.push(
                Finding::new(
                    violation.loc,
                    format!("{}: {}", obj.display_name(), violation.message),
                )
                .field(cx.project, obj.subject_path(&violation.path))
                .label("immutable")
                .help(help)
                .related(
                    cx.base_loc(crate::source::Loc {
                        file: old.file,
                        span: old_node.span(),
                    }),
                    format!("the value at {}", base.reference),
                ),
            );
        }
    }
}
