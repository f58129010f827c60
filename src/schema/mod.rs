//! What the API server accepts: the CRD schemas of the kinds pglint reads, embedded verbatim
//! (`schemas/crds/`, see `PROVENANCE`), compiled once per run and only for the kinds a
//! repository holds, and the structural validation of an object against them.
//!
//! Validation runs where an object's YAML tree is at hand: when a file is loaded, and again
//! when the deploy layer re-reads an object a kustomize patch changed, so that a value a patch
//! introduced is reported at the patch's node. The violations are kept on the object
//! (`Object::schema`); the `schema-invalid` and `schema-unknown-field` rules report them for
//! every applied instance.

mod check;
pub mod compiled;
pub mod embedded;
pub mod json;

use std::sync::{LazyLock, OnceLock};

pub use compiled::Schema;
pub use embedded::{Artefact, EMBEDDED, EmbeddedCrd};

use crate::source::{FileId, Loc};
use crate::yaml::{Limits, NodeRef, parse};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// A type, `enum`, `format`, `pattern`, bound or length the API server refuses.
    Invalid,
    /// A `required` field is missing.
    Required,
    /// A field the schema does not declare.
    UnknownField,
    /// A CEL rule (`x-kubernetes-validations`) evaluated to false.
    Cel,
    /// A CEL rule pglint cannot evaluate (an unsupported function, an evaluation error), or a
    /// `pattern` the `regex` crate cannot compile: a notice, never a pass in silence.
    Unevaluated,
    /// The CRD of the object's kind does not serve its `apiVersion` (`served: false`, or not
    /// listed): the API server has no such resource and refuses the object.
    Unserved,
}

/// One thing the schema refuses, at the node to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub loc: Loc,
    pub kind: ViolationKind,
    /// The field path as the API server prints it (`spec.managed.roles[0].login`); for a CEL
    /// rule located at the field it reads (`self.icuRules` of a rule on `spec`), that
    /// field's (`spec.icuRules`).
    pub path: String,
    /// The API server's message (kube-openapi's wording).
    pub message: String,
    /// A close name: a declared property for an unknown field, an allowed value for an enum.
    pub suggestion: Option<String>,
    /// What an unknown field's value names (a string, or a mapping's `name`): a reference the
    /// API server drops with the field (`passwordSecrets: {name: app-db-creds}`).
    pub reference: Option<String>,
}

/// One CRD's served versions, each with its compiled schema.
#[derive(Default)]
pub struct Crd {
    pub versions: Vec<(String, Schema)>,
    /// Per version (same order), its CEL rules but the transition rules, compiled by
    /// kube-cel, when it has any: what a new object is checked with. Transition rules are left
    /// out rather than skipped, so that kube-cel does not convert every field they guard; and
    /// only the ways to a rule are kept (see [`keep_ways_to_rules`]).
    cel: Vec<Option<kube_cel::CompiledSchema>>,
    /// Per version, all its CEL rules, when it has transition rules: what an update is
    /// checked with (`check --base`).
    cel_update: Vec<Option<kube_cel::CompiledSchema>>,
}

impl std::fmt::Debug for Crd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crd")
            .field("versions", &self.versions)
            .finish()
    }
}

impl Crd {
    /// Reads a CustomResourceDefinition's `spec.versions[].schema.openAPIV3Schema`.
    pub fn compile(root: NodeRef<'_>) -> Crd {
        let mut crd = Crd::default();
        for version in root
            .path(&["spec", "versions"])
            .into_iter()
            .flat_map(|v| v.items())
        {
            let (Some(name), Some(schema)) = (
                version.get("name").and_then(|n| n.as_str()),
                version.path(&["schema", "openAPIV3Schema"]),
            ) else {
                continue;
            };
            // An unserved version is no resource of the API server: objects of it are refused.
            if version.get("served").and_then(|s| s.as_str()) == Some("false") {
                continue;
            }
            let compiled = Schema::compile(schema);
            let mut cel = None;
            let mut cel_update = None;
            if compiled.has_rules() {
                let json = json::to_json(schema, &|_| false).unwrap_or_default();
                if compiled.has_transition_rules() {
                    cel_update = Some(kube_cel::compile_schema(&json));
                }
                let mut creation = json;
                if json::strip_transition_rules(&mut creation) {
                    let mut rules = kube_cel::compile_schema(&creation);
                    keep_ways_to_rules(&mut rules);
                    cel = Some(rules);
                }
            }
            crd.versions.push((name.to_string(), compiled));
            crd.cel.push(cel);
            crd.cel_update.push(cel_update);
        }
        crd
    }

    /// The CEL rules of a version, compiled, when it has any.
    fn cel(&self, name: &str) -> Option<&kube_cel::CompiledSchema> {
        let at = self
            .versions
            .iter()
            .position(|(version, _)| version == name)?;
        self.cel[at].as_ref()
    }

    /// All the CEL rules of a version, transition rules included, when it has those.
    fn cel_update(&self, name: &str) -> Option<&kube_cel::CompiledSchema> {
        let at = self
            .versions
            .iter()
            .position(|(version, _)| version == name)?;
        self.cel_update[at].as_ref()
    }

    pub fn version(&self, name: &str) -> Option<&Schema> {
        self.versions
            .iter()
            .find(|(version, _)| version == name)
            .map(|(_, schema)| schema)
    }
}

/// The embedded CRDs, each compiled the first time an object of its kind is validated.
static COMPILED: LazyLock<Vec<OnceLock<Crd>>> =
    LazyLock::new(|| EMBEDDED.iter().map(|_| OnceLock::new()).collect());

/// The embedded CRD of a kind, if pglint embeds one.
pub fn embedded(group: &str, kind: &str) -> Option<(&'static EmbeddedCrd, &'static Crd)> {
    let at = EMBEDDED
        .iter()
        .position(|crd| crd.group == group && crd.kind == kind)?;
    let crd = COMPILED[at].get_or_init(|| compile_embedded(&EMBEDDED[at]));
    Some((&EMBEDDED[at], crd))
}

fn compile_embedded(crd: &EmbeddedCrd) -> Crd {
    // A built-in kind's schema `$ref`s the embedded definitions: inlined first.
    let inlined;
    let text = match crd.artefact {
        Artefact::KindSchema { .. } => {
            inlined = embedded::inline_refs(crd.bytes);
            inlined.as_str()
        }
        Artefact::Crd => std::str::from_utf8(crd.bytes).expect("embedded CRDs are UTF-8"),
    };
    // Trusted data, larger than a repository file may be.
    let limits = Limits {
        max_nodes: usize::MAX,
        ..Limits::default()
    };
    let parsed = parse(text, &limits);
    let mut roots = parsed.documents.iter().filter_map(|doc| doc.root());
    match crd.artefact {
        Artefact::Crd => roots
            .find(|root| {
                root.get("kind").and_then(|k| k.as_str()) == Some("CustomResourceDefinition")
            })
            .map(Crd::compile)
            .unwrap_or_default(),
        // A built-in kind's schema has no CEL rules.
        Artefact::KindSchema { version } => Crd {
            versions: roots
                .next()
                .map(|root| (version.to_string(), Schema::compile(root)))
                .into_iter()
                .collect(),
            cel: vec![None],
            cel_update: vec![None],
        },
    }
}

/// The group and version of an `apiVersion`: `v1` is the core group's (empty).
pub fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// Where the schema a kind is validated against comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Embedded(&'static EmbeddedCrd),
    /// The repository's own CustomResourceDefinition, at this document.
    Repository(Loc),
}

/// A CustomResourceDefinition the repository holds for a group pglint embeds CRDs of (a pinned
/// CNPG version): the kind it defines is validated against it rather than the embedded one,
/// as the API server validates against the CRD the repository installs.
#[derive(Debug)]
pub struct RepositoryCrd {
    /// `metadata.name` (`<plural>.<group>`).
    pub name: String,
    pub group: String,
    pub kind: String,
    pub loc: Loc,
    pub crd: Crd,
}

impl RepositoryCrd {
    /// Reads a document that is an `apiextensions.k8s.io/v1` CustomResourceDefinition of a
    /// group pglint embeds; `None` for any other document.
    pub fn read(root: NodeRef<'_>, file: FileId) -> Option<RepositoryCrd> {
        let text = |path: &[&str]| root.path(path).and_then(|n| n.as_str());
        if text(&["kind"]) != Some("CustomResourceDefinition")
            || text(&["apiVersion"]) != Some("apiextensions.k8s.io/v1")
        {
            return None;
        }
        let group = text(&["spec", "group"])?;
        if !EMBEDDED.iter().any(|crd| crd.group == group) {
            return None;
        }
        Some(RepositoryCrd {
            name: text(&["metadata", "name"]).unwrap_or_default().to_string(),
            group: group.to_string(),
            kind: text(&["spec", "names", "kind"])?.to_string(),
            loc: Loc {
                file: root.file().unwrap_or(file),
                span: root.span(),
            },
            crd: Crd::compile(root),
        })
    }
}

/// The schemas of a run: the embedded CRDs, and the repository's own CRDs, which win for the
/// kinds they define (the first one in file order, when two define the same kind).
#[derive(Debug, Default)]
pub struct Schemas {
    pub repository: Vec<RepositoryCrd>,
}

impl Schemas {
    /// The embedded CRDs alone.
    pub const EMBEDDED: Schemas = Schemas {
        repository: Vec::new(),
    };

    /// The CRD a kind is validated against, and where it comes from.
    pub fn lookup(&self, group: &str, kind: &str) -> Option<(Source, &Crd)> {
        match self
            .repository
            .iter()
            .find(|own| own.group == group && own.kind == kind)
        {
            Some(own) => Some((Source::Repository(own.loc), &own.crd)),
            None => embedded(group, kind).map(|(from, crd)| (Source::Embedded(from), crd)),
        }
    }

    /// The CRD version of an `apiVersion` (`group/version`) and kind, with its CRD.
    fn version<'v>(&self, api_version: &'v str, kind: &str) -> Option<(&Crd, &'v str)> {
        let (group, version) = group_version(api_version);
        let (_, crd) = self.lookup(group, kind)?;
        Some((crd, version))
    }

    /// Does a schema define the kind of this `apiVersion`'s group (served at that version or
    /// not: an unserved version is the schema's finding)?
    pub fn defines(&self, api_version: &str, kind: &str) -> bool {
        self.version(api_version, kind).is_some()
    }

    /// Is the object validated against a schema (its group, kind and version have one)?
    pub fn covers(&self, object: &crate::model::Object) -> bool {
        let (Some(api_version), Some(kind)) = (&object.api_version, &object.kind_name) else {
            return false;
        };
        self.version(api_version.as_str(), kind.as_str())
            .is_some_and(|(crd, version)| crd.version(version).is_some())
    }

    /// The schema each kind among `objects` is validated against, each kind once, sorted by
    /// group and kind: what the JSON summary and the notices name.
    pub fn used<'o>(
        &self,
        objects: impl Iterator<Item = &'o crate::model::Object>,
    ) -> Vec<(String, String, Source)> {
        let mut used: Vec<(String, String, Source)> = Vec::new();
        for object in objects {
            let (Some(api_version), Some(kind)) = (&object.api_version, &object.kind_name) else {
                continue;
            };
            let (group, _) = group_version(api_version.as_str());
            if used
                .iter()
                .any(|(g, k, _)| g == group && k == kind.as_str())
            {
                continue;
            }
            if let Some((source, _)) = self.lookup(group, kind.as_str()) {
                used.push((group.to_string(), kind.as_str().to_string(), source));
            }
        }
        used.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        used
    }

    /// Validates an object (`root`, read from `file`) against the schema of its `apiVersion`
    /// and `kind`; `None` when there is none. `templated` tells values that only exist after
    /// Flux or Helm substitution, which are not judged.
    pub fn validate(
        &self,
        api_version: &str,
        kind: &str,
        root: NodeRef<'_>,
        file: FileId,
        templated: &dyn Fn(NodeRef<'_>) -> bool,
    ) -> Option<Vec<Violation>> {
        let (crd, version) = self.version(api_version, kind)?;
        let Some(schema) = crd.version(version) else {
            let at = root.get("apiVersion").unwrap_or(root);
            let served: Vec<String> = crd
                .versions
                .iter()
                .map(|(name, _)| format!("`{name}`"))
                .collect();
            return Some(vec![Violation {
                loc: Loc {
                    file: at.file().unwrap_or(file),
                    span: at.span(),
                },
                kind: ViolationKind::Unserved,
                path: "apiVersion".to_string(),
                message: format!(
                    "no matches for kind \"{kind}\" in version \"{api_version}\": its schema serves {}",
                    served.join(", ")
                ),
                reference: None,
                suggestion: crd.versions.last().map(|(name, _)| {
                    let (group, _) = group_version(api_version);
                    if group.is_empty() {
                        name.clone()
                    } else {
                        format!("{group}/{name}")
                    }
                }),
            }]);
        };
        let mut violations = validate_with(schema, root, file, templated);
        if let Some(cel) = crd.cel(version) {
            evaluate_rules(cel, schema, root, file, templated, &mut violations);
        }
        Some(violations)
    }

    /// The CRD version of an object's kind whose CEL rules include transition rules
    /// (`oldSelf`), with its compiled rules; `None` for any other object.
    fn with_transition_rules(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Option<(&Schema, &kube_cel::CompiledSchema)> {
        let (crd, version) = self.version(api_version, kind)?;
        let schema = crd.version(version)?;
        schema
            .has_transition_rules()
            .then_some((schema, crd.cel_update(version)?))
    }

    /// Does the object's kind have transition rules (`oldSelf`) to check a change against?
    pub fn has_transition_rules(&self, api_version: &str, kind: &str) -> bool {
        self.with_transition_rules(api_version, kind).is_some()
    }

    /// The transition rules (`self == oldSelf`: an immutable field) that an update from `old` to
    /// `new` breaks, as the API server evaluates them on an update; located in `new` (read from
    /// `file`). Rules that do not read `oldSelf` are not repeated here.
    pub fn transition_violations(
        &self,
        api_version: &str,
        kind: &str,
        new: NodeRef<'_>,
        old: NodeRef<'_>,
        file: FileId,
    ) -> Vec<Violation> {
        let Some((schema, cel)) = self.with_transition_rules(api_version, kind) else {
            return Vec::new();
        };
        let templated = |node: NodeRef<'_>| {
            node.scalar()
                .is_some_and(|s| crate::model::is_unknowable(&s.text))
        };
        let (Some(new_json), Some(old_json)) = (
            json::to_json(new, &templated),
            json::to_json(old, &templated),
        ) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Err(errors) = kube_cel::validate_compiled(cel, &new_json, Some(&old_json)) {
            report_rule_errors(
                errors
                    .into_iter()
                    .filter(|e| e.rule.contains("oldSelf"))
                    .collect(),
                schema,
                new,
                file,
                &mut out,
            );
        }
        out
    }
}

/// Evaluates the CEL rules of `x-kubernetes-validations` on an object (transition rules need
/// the object's previous version: they do not run here). An object holding a value that only
/// exists after substitution is not evaluated.
fn evaluate_rules(
    cel: &kube_cel::CompiledSchema,
    schema: &Schema,
    root: NodeRef<'_>,
    file: FileId,
    templated: &dyn Fn(NodeRef<'_>) -> bool,
    out: &mut Vec<Violation>,
) {
    let Some(object) = json::to_json_for_rules(root, cel, templated) else {
        return;
    };
    let Err(errors) = kube_cel::validate_compiled(cel, &object, None) else {
        return;
    };
    report_rule_errors(errors.into_vec(), schema, root, file, out);
}

/// Prunes compiled CEL rules to the schema nodes that hold rules, everything under them, and
/// the nodes on the way to them; returns whether a rule is left. kube-cel's walk
/// (`Validator::walk_compiled`) converts the value at every schema node it reaches and binds it
/// as `self`, rules or not: a Cluster's 10,000 `managed.roles` were converted once per level
/// above them, and every object's `metadata` at each of its fields. A rule sees only its own
/// node's value, whole (kept with its full schema, so that defaults and formats are as the API
/// server has them), so a node with no rule at or under it and none above changes no result.
/// A node whose `additionalProperties` leads to a rule keeps all its properties (the walk
/// gives the others' keys to `additionalProperties`); `allOf`/`oneOf`/`anyOf` branches are
/// pruned alike.
///
/// Under a node with rules that read only some fields of `self` ([`fields_read`]), the other
/// fields are kept only when they lead to a rule: a shared Cluster's 10,000 `managed.roles`
/// are no `self` of `spec`'s rule on `imageName` and `imageCatalogRef`.
fn keep_ways_to_rules(schema: &mut kube_cel::CompiledSchema) -> bool {
    if !schema.validations.is_empty() {
        if let Some(fields) = fields_read(schema) {
            schema
                .properties
                .retain(|name, child| fields.contains(name) || keep_ways_to_rules(child));
        }
        return true;
    }
    let mut kept = false;
    let keep = |child: &mut kube_cel::CompiledSchema, kept: &mut bool| {
        let has = keep_ways_to_rules(child);
        *kept |= has;
        has
    };
    if schema
        .items
        .as_deref_mut()
        .is_some_and(|items| !keep(items, &mut kept))
    {
        schema.items = None;
    }
    if schema
        .additional_properties
        .as_deref_mut()
        .is_some_and(|additional| !keep(additional, &mut kept))
    {
        schema.additional_properties = None;
    }
    if schema.additional_properties.is_some() {
        for child in schema.properties.values_mut() {
            keep(child, &mut kept);
        }
    } else {
        schema.properties.retain(|_, child| keep(child, &mut kept));
    }
    for branches in [&mut schema.all_of, &mut schema.one_of, &mut schema.any_of] {
        branches.retain_mut(|branch| keep(branch, &mut kept));
    }
    kept
}

/// The fields of `self` that the rules and `messageExpression`s of a node read, when they read
/// nothing else of it: `self.a`, `has(self.a)`, `self.a.b` (all `a`). `None`, the whole value,
/// when one uses `self` otherwise (bare, indexed, as a macro's range, `oldSelf`), does not
/// compile, or the node is no plain object (items, a map, unknown or embedded fields,
/// `allOf`/`oneOf`/`anyOf`), whose walk hands its value on to other schemas.
pub(crate) fn fields_read(
    schema: &kube_cel::CompiledSchema,
) -> Option<std::collections::BTreeSet<String>> {
    if schema.items.is_some()
        || schema.additional_properties.is_some()
        || schema.is_map
        || schema.preserve_unknown_fields
        || schema.embedded_resource
        || !(schema.all_of.is_empty() && schema.one_of.is_empty() && schema.any_of.is_empty())
    {
        return None;
    }
    let mut fields = std::collections::BTreeSet::new();
    for validation in &schema.validations {
        let compiled = validation.as_ref().ok()?;
        let programs = std::iter::once(&compiled.program).chain(&compiled.message_program);
        for program in programs {
            if !reads_only_fields(program.expression(), &mut fields) {
                return None;
            }
        }
    }
    Some(fields)
}

/// Adds to `fields` the fields of `self` that `expr` selects; false when it uses `self` (or
/// `oldSelf`) in any other way.
fn reads_only_fields(
    expr: &kube_cel::cel::IdedExpr,
    fields: &mut std::collections::BTreeSet<String>,
) -> bool {
    use kube_cel::cel::common::ast::{EntryExpr, Expr};
    let mut all = |exprs: &mut dyn Iterator<Item = &kube_cel::cel::IdedExpr>| {
        let mut all = true;
        for expr in exprs {
            all = all && reads_only_fields(expr, fields);
        }
        all
    };
    match &expr.expr {
        Expr::Ident(name) => name != "self" && name != "oldSelf",
        Expr::Select(select) => match &select.operand.expr {
            Expr::Ident(name) if name == "self" => {
                fields.insert(select.field.clone());
                true
            }
            _ => reads_only_fields(&select.operand, fields),
        },
        Expr::Call(call) => all(&mut call.target.as_deref().into_iter().chain(&call.args)),
        Expr::Comprehension(c) => {
            let shadows = [Some(&c.iter_var), c.iter_var2.as_ref(), Some(&c.accu_var)]
                .into_iter()
                .flatten()
                .any(|name| name == "self" || name == "oldSelf");
            !shadows
                && all(&mut [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ]
                .into_iter())
        }
        Expr::List(list) => all(&mut list.elements.iter()),
        Expr::Map(kube_cel::cel::common::ast::MapExpr { entries })
        | Expr::Struct(kube_cel::cel::common::ast::StructExpr { entries, .. }) => {
            all(&mut entries.iter().flat_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(entry) => vec![&entry.key, &entry.value],
                EntryExpr::StructField(field) => vec![&field.value],
            }))
        }
        Expr::Literal(_) => true,
        Expr::Unspecified => false,
    }
}

/// kube-cel's errors as violations at their nodes, with the API server's messages.
fn report_rule_errors(
    errors: Vec<kube_cel::ValidationError>,
    schema: &Schema,
    root: NodeRef<'_>,
    file: FileId,
    out: &mut Vec<Violation>,
) {
    for error in errors {
        let node = json::node_at(root, &error.field_path);
        let path = error.field_path.trim_start_matches('.').to_string();
        let found = check::found_type(node);
        // A rule reading a field the object does not set fails with "no such key", and the API
        // server refuses the object with that error (apiextensions-apiserver,
        // `pkg/apiserver/schema/cel/validation.go`, `validateExpressions`: "%v evaluating
        // rule: %v").
        let missing_key = std::error::Error::source(&error)
            .and_then(|cause| cause.downcast_ref::<kube_cel::cel::ExecutionError>())
            .and_then(|cause| match cause {
                kube_cel::cel::ExecutionError::NoSuchKey(key) => Some(key.to_string()),
                _ => None,
            });
        let (kind, message) = match (&error.kind, missing_key) {
            (kube_cel::ErrorKind::ValidationFailure, _) => (
                ViolationKind::Cel,
                format!("`{path}`: Invalid value: \"{found}\": {}", error.message),
            ),
            (kube_cel::ErrorKind::EvaluationError, Some(key)) => {
                let rule = schema
                    .rule_message(&error.rule)
                    .map_or_else(|| format!("failed rule: {}", error.rule), str::to_string);
                (
                    ViolationKind::Cel,
                    format!(
                        "`{path}`: Invalid value: \"{found}\": no such key: {key} evaluating rule: {rule}"
                    ),
                )
            }
            _ => (
                ViolationKind::Unevaluated,
                format!("the rule `{}` at `{path}`: {}", error.rule, error.message),
            ),
        };
        let field = field_named_by(node, &error.rule);
        let at = field.unwrap_or(node);
        let path = match field.and_then(|key| key.as_str()) {
            Some(key) if path.is_empty() => key.to_string(),
            Some(key) => format!("{path}.{key}"),
            None => path,
        };
        out.push(Violation {
            loc: Loc {
                file: at.file().unwrap_or(file),
                span: at.span(),
            },
            kind,
            path,
            message,
            suggestion: None,
            reference: None,
        });
    }
}

/// The key of the first field a rule reads (`self.imageName`) that the mapping sets: the line
/// to edit, rather than the whole mapping the rule is declared on.
fn field_named_by<'d>(node: NodeRef<'d>, rule: &str) -> Option<NodeRef<'d>> {
    rule.match_indices("self.").find_map(|(at, prefix)| {
        let rest = &rule[at + prefix.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        node.get_entry(&rest[..end]).map(|(key, _)| key)
    })
}

/// Validates an object against a compiled schema.
pub fn validate_with(
    schema: &Schema,
    root: NodeRef<'_>,
    file: FileId,
    templated: &dyn Fn(NodeRef<'_>) -> bool,
) -> Vec<Violation> {
    let mut walk = check::Walk {
        file,
        templated,
        out: Vec::new(),
    };
    walk.root(schema, root);
    walk.out
}

/// Violations another rule reports better, at the same node: the schema stays quiet there.
/// A label or annotation value that is not a string (`annotation-not-string` gives the YAML
/// quoting fix), and a SealedSecret template's `stringData` (`sealed-template-data`: values
/// in clear are a leak first).
fn owned_elsewhere(object: &crate::model::Object, violation: &Violation) -> bool {
    let in_meta_map = violation.path.contains("metadata.labels.")
        || violation.path.contains("metadata.annotations.");
    let sealed_string_data = object.kind_str() == "SealedSecret"
        && (violation.path == "spec.template.stringData"
            || violation.path.starts_with("spec.template.stringData."));
    in_meta_map || sealed_string_data
}

/// A violation of an object as a deployment applies it.
#[derive(Debug, Clone, Copy)]
pub struct Applied<'p> {
    pub violation: &'p Violation,
    /// The object as rendered (a patched one, when a patch changed it).
    pub object: &'p crate::model::Object,
    /// How it is applied; `None` when no deployment applies it (as written).
    pub deployment: Option<crate::deploy::DeploymentKind>,
}

/// The schema violations of every applied instance of `objects` (each object as each
/// deployment renders it), each once: the same node refused in two deployments is one
/// violation. An object no deployment applies is judged as written (once it is applied, the
/// API server will), except for missing required fields: what applies it may complete it
/// where pglint cannot see (a parent Flux Kustomization's `patches` commonly set `interval`
/// and `prune` on every child; an unlisted file may be a patch).
pub fn applied<'p>(
    objects: impl Iterator<Item = (crate::model::SourceId, &'p crate::model::Object)>,
    deploy: &'p crate::deploy::Deploy<'p>,
) -> Vec<Applied<'p>> {
    let mut seen = crate::hash::HashSet::default();
    let mut out = Vec::new();
    let mut keep = |object: &'p crate::model::Object,
                    deployment: Option<crate::deploy::DeploymentKind>,
                    out: &mut Vec<Applied<'p>>| {
        for violation in &object.schema {
            // Unapplied: a required field may come from what pglint cannot see.
            let unseen_required = deployment.is_none() && violation.kind == ViolationKind::Required;
            if !unseen_required
                && !owned_elsewhere(object, violation)
                && seen.insert((violation.loc, violation.message.as_str()))
            {
                out.push(Applied {
                    violation,
                    object,
                    deployment,
                });
            }
        }
    };
    for (id, written) in objects {
        let mut placed = false;
        for (deployment, resource) in deploy.instances_of(id) {
            placed = true;
            keep(&resource.object, Some(deployment.kind), &mut out);
        }
        if !placed {
            keep(written, None, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violations(text: &str) -> Vec<String> {
        let parsed = parse(text, &Limits::default());
        let root = parsed.documents[0].root().unwrap();
        let api_version = root.get("apiVersion").and_then(|n| n.as_str()).unwrap();
        let kind = root.get("kind").and_then(|n| n.as_str()).unwrap();
        Schemas::EMBEDDED
            .validate(api_version, kind, root, FileId(0), &|_| false)
            .expect("an embedded kind")
            .into_iter()
            .map(|v| {
                let line = text[..v.loc.span.start()].matches('\n').count() + 1;
                format!("{line} {}", v.message)
            })
            .collect()
    }

    /// A rule kube-cel cannot evaluate is an `Unevaluated` violation (a notice), never a pass.
    #[test]
    fn rules_that_cannot_be_evaluated_are_said() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  versions:\n    - name: v1\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                items:\n                  type: array\n                  items:\n                    type: string\n              x-kubernetes-validations:\n                - rule: self.items.sortBy(i, i) == self.items\n                  message: sorted\n";
        let parsed = parse(crd, &Limits::default());
        let crd = Crd::compile(parsed.documents[0].root().unwrap());
        let object = "apiVersion: example.com/v1\nkind: Thing\nspec:\n  items: [b, a]\n";
        let parsed = parse(object, &Limits::default());
        let root = parsed.documents[0].root().unwrap();
        let mut out = Vec::new();
        evaluate_rules(
            crd.cel("v1").expect("rules compiled"),
            crd.version("v1").unwrap(),
            root,
            FileId(0),
            &|_| false,
            &mut out,
        );
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].kind, ViolationKind::Unevaluated, "{out:?}");
        assert!(out[0].message.contains("sortBy"), "{out:?}");
    }

    /// A CRD of the test's own whose rules read `self` whole (bare, a macro over it, indexed,
    /// in a messageExpression) or only some of its fields.
    const SELF_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: example.com\n  names: {kind: Self}\n  versions:\n    - name: v1\n      served: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              x-kubernetes-validations:\n                - rule: has(self.a) || self.b.c > 0\n                  messageExpression: \"'a or b: ' + self.name\"\n              properties:\n                a: {type: string}\n                b: {type: object, properties: {c: {type: integer}}}\n                name: {type: string}\n                list: {type: array, items: {type: string}}\n                bare:\n                  type: object\n                  x-kubernetes-validations:\n                    - rule: self.size() <= 2\n                  properties: {x: {type: string}, y: {type: string}, z: {type: string}}\n                macro:\n                  type: object\n                  x-kubernetes-validations:\n                    - rule: self.all(k, k != 'bad')\n                  properties: {x: {type: string}, bad: {type: string}}\n                indexed:\n                  type: object\n                  x-kubernetes-validations:\n                    - rule: self['x'] == 'x'\n                  properties: {x: {type: string}, y: {type: string}}\n                message:\n                  type: object\n                  x-kubernetes-validations:\n                    - rule: self.x == 'x'\n                      messageExpression: \"'not x: ' + string(self.size())\"\n                  properties: {x: {type: string}, y: {type: string}}\n                deep:\n                  type: object\n                  x-kubernetes-validations:\n                    - rule: self.x.y != 'no' && self.x.size() == 1\n                  properties:\n                    x: {type: object, properties: {y: {type: string}, w: {type: string}}}\n                    ignored: {type: array, items: {type: string}}\n                    ruled:\n                      type: object\n                      x-kubernetes-validations:\n                        - rule: self == self && !has(self.z)\n                      properties: {z: {type: string}}\n";

    /// The fields of `self` that rules read are found; any other use of `self` reads it whole.
    #[test]
    fn rules_read_fields_of_self_or_self_whole() {
        let crd = EMBEDDED
            .iter()
            .find(|crd| crd.group == "postgresql.cnpg.io" && crd.kind == "Cluster")
            .unwrap();
        let mut cluster = compile_rules(std::str::from_utf8(crd.bytes).unwrap());
        let spec = cluster.properties.get("spec").unwrap();
        let read = fields_read(spec).unwrap();
        assert!(
            read.contains("imageName") && read.contains("imageCatalogRef"),
            "{read:?}"
        );
        assert!(!read.contains("managed"), "{read:?}");
        assert!(keep_ways_to_rules(&mut cluster));
        let spec = cluster.properties.get("spec").unwrap();
        assert!(
            !spec.properties.contains_key("managed"),
            "the roles are no rule's self"
        );
        let own = compile_rules(SELF_CRD);
        let spec = own.properties.get("spec").unwrap();
        let names = |set: std::collections::BTreeSet<String>| set.into_iter().collect::<Vec<_>>();
        assert_eq!(
            fields_read(spec).map(names),
            Some(vec!["a".into(), "b".into(), "name".into()])
        );
        for whole in ["bare", "macro", "indexed", "message"] {
            assert_eq!(fields_read(&spec.properties[whole]), None, "{whole}");
        }
        let deep = &spec.properties["deep"];
        assert_eq!(fields_read(deep).map(names), Some(vec!["x".into()]));
        assert_eq!(fields_read(&deep.properties["ruled"]), None);
        assert_eq!(fields_read(&spec.properties["list"]), None, "items");
    }

    /// The first served version's rules of a CRD but the transition rules, compiled.
    fn compile_rules(text: &str) -> kube_cel::CompiledSchema {
        let limits = Limits {
            max_nodes: usize::MAX,
            ..Limits::default()
        };
        let parsed = parse(text, &limits);
        let root = parsed.documents[0].root().unwrap();
        let version = root.path(&["spec", "versions"]).unwrap().items().next();
        let schema = version.unwrap().path(&["schema", "openAPIV3Schema"]);
        let mut json = json::to_json(schema.unwrap(), &|_| false).unwrap();
        assert!(json::strip_transition_rules(&mut json));
        kube_cel::compile_schema(&json)
    }

    /// The rules pruned to the ways to them, and under a rule to the fields it reads, find
    /// exactly what kube-cel finds over the whole object with every schema node, failing or
    /// passing, templated or not, rules reading `self` whole or not.
    #[test]
    fn pruned_rules_find_what_the_whole_object_finds() {
        let whole_rules = |group: &str, kind: &str| {
            if group == "example.com" {
                return compile_rules(SELF_CRD);
            }
            let crd = EMBEDDED
                .iter()
                .find(|crd| crd.group == group && crd.kind == kind)
                .unwrap();
            compile_rules(std::str::from_utf8(crd.bytes).unwrap())
        };
        let errors = |result: Result<(), kube_cel::ValidationErrors>| -> Vec<String> {
            let errors = result.err().map(|e| e.into_vec()).unwrap_or_default();
            let mut errors: Vec<String> = errors
                .iter()
                .map(|e| format!("{} {}", e.field_path, e.message))
                .collect();
            // kube-cel walks properties in hash order.
            errors.sort();
            errors
        };
        let templated = |node: NodeRef<'_>| {
            node.scalar()
                .is_some_and(|s| crate::model::is_unknowable(&s.text))
        };
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\n  labels: {team: db}\nspec:\n  instances: 3\n  imageName: ghcr.io/cloudnative-pg/postgresql:17\n  imageCatalogRef: {apiGroup: example.com, kind: Other, name: c, major: 17}\n  bootstrap:\n    initdb: {database: app, owner: app, icuRules: '&a < b'}\n  postgresql:\n    synchronous: {method: any, number: 0}\n  managed:\n    roles:\n      - {name: app, login: true}\n";
        let database = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  name: postgres\n  owner: app\n  icuRules: '&a < b'\n  cluster: {name: pg}\n  servers:\n    - {name: s, fdw: '', ensure: present}\n";
        let templated_meta = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: ${APP}-db\nspec:\n  name: postgres\n  owner: app\n  cluster: {name: pg}\n";
        let fine = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  name: app\n  owner: app\n  cluster: {name: pg}\n";
        let roles: String = (0..50)
            .map(|i| {
                format!("      - {{name: app{i}, login: true, passwordSecret: {{name: s{i}}}}}\n")
            })
            .collect();
        let many_roles = format!(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  instances: 1\n  imageName: ghcr.io/cloudnative-pg/postgresql:17\n  imageCatalogRef: {{apiGroup: example.com, kind: Other, name: c, major: 17}}\n  managed:\n    roles:\n{roles}"
        );
        let templated_role = many_roles.replace("name: app7,", "name: '${APP}',");
        let own_failing = "apiVersion: example.com/v1\nkind: Self\nmetadata:\n  name: s\nspec:\n  b: {c: 0}\n  name: n\n  list: [p, q]\n  bare: {x: a, y: b, z: c}\n  macro: {x: a, bad: b}\n  indexed: {x: y, y: x}\n  message: {x: y, y: x}\n  deep:\n    x: {y: no, w: w}\n    ignored: [i]\n    ruled: {z: z}\n";
        let own_passing = "apiVersion: example.com/v1\nkind: Self\nmetadata:\n  name: s\nspec:\n  a: a\n  bare: {x: a}\n  macro: {x: a}\n  indexed: {x: x, y: y}\n  message: {x: x, y: y}\n  deep:\n    x: {y: yes}\n    ruled: {}\n";
        let own_missing = "apiVersion: example.com/v1\nkind: Self\nmetadata:\n  name: s\nspec:\n  a: a\n  extra: e\n  deep: {ignored: [i]}\n";
        let own_templated = own_passing.replace("x: a}", "x: a, y: '${Y}'}");
        for (group, kind, text, failing) in [
            ("postgresql.cnpg.io", "Cluster", cluster, 5),
            ("postgresql.cnpg.io", "Cluster", many_roles.as_str(), 3),
            ("postgresql.cnpg.io", "Cluster", templated_role.as_str(), 0),
            ("postgresql.cnpg.io", "Database", database, 3),
            ("postgresql.cnpg.io", "Database", templated_meta, 0),
            ("postgresql.cnpg.io", "Database", fine, 0),
            ("example.com", "Self", own_failing, 7),
            ("example.com", "Self", own_passing, 0),
            ("example.com", "Self", own_missing, 1),
            ("example.com", "Self", own_templated.as_str(), 0),
        ] {
            let whole = whole_rules(group, kind);
            let mut pruned = whole_rules(group, kind);
            assert!(keep_ways_to_rules(&mut pruned));
            assert!(!pruned.properties.contains_key("metadata"), "{kind}");
            let parsed = parse(text, &Limits::default());
            let root = parsed.documents[0].root().unwrap();
            let before = json::to_json(root, &templated)
                .map(|object| errors(kube_cel::validate_compiled(&whole, &object, None)));
            let after = json::to_json_for_rules(root, &pruned, &templated)
                .map(|object| errors(kube_cel::validate_compiled(&pruned, &object, None)));
            assert_eq!(before, after, "{kind}");
            assert_eq!(
                after.clone().unwrap_or_default().len(),
                failing,
                "{after:?} {text}"
            );
        }
    }

    /// A CRD of the test's own: `anyOf`/`oneOf`/`allOf`/`not` as value validations, a pattern
    /// the `regex` crate cannot compile (a look-ahead), an unserved version.
    const COMBINING_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: example.com\n  names: {kind: Thing}\n  versions:\n    - name: v1alpha1\n      served: false\n      schema:\n        openAPIV3Schema: {type: object}\n    - name: v1\n      served: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              anyOf:\n                - required: [a]\n                - required: [b]\n              not:\n                required: [c]\n              properties:\n                a: {type: string}\n                b: {type: string}\n                c: {type: string}\n                size:\n                  type: string\n                  oneOf:\n                    - pattern: '^[0-9]+$'\n                    - enum: [small, large]\n                  allOf:\n                    - maxLength: 5\n                odd:\n                  type: string\n                  pattern: '^(?!x)'\n";

    fn thing(object: &str) -> Vec<(ViolationKind, String)> {
        let parsed = parse(COMBINING_CRD, &Limits::default());
        let crd = RepositoryCrd::read(parsed.documents[0].root().unwrap(), FileId(0));
        assert!(crd.is_none(), "example.com is no embedded group");
        let schemas = Schemas {
            repository: vec![RepositoryCrd {
                name: "things.example.com".into(),
                group: "example.com".into(),
                kind: "Thing".into(),
                loc: Loc {
                    file: FileId(0),
                    span: parsed.documents[0].root().unwrap().span(),
                },
                crd: Crd::compile(parsed.documents[0].root().unwrap()),
            }],
        };
        let parsed = parse(object, &Limits::default());
        let root = parsed.documents[0].root().unwrap();
        let api_version = root.get("apiVersion").and_then(|n| n.as_str()).unwrap();
        schemas
            .validate(api_version, "Thing", root, FileId(0), &|_| false)
            .expect("a Thing")
            .into_iter()
            .map(|v| (v.kind, v.message))
            .collect()
    }

    #[test]
    fn combinators_are_value_validations() {
        let ok = "apiVersion: example.com/v1\nkind: Thing\nspec:\n  a: x\n  size: large\n";
        assert_eq!(thing(ok), []);
        let ok = "apiVersion: example.com/v1\nkind: Thing\nspec:\n  b: x\n  size: '42'\n";
        assert_eq!(thing(ok), []);
        let bad = "apiVersion: example.com/v1\nkind: Thing\nspec:\n  c: x\n  size: medium\n";
        assert_eq!(
            thing(bad),
            [
                (
                    ViolationKind::Invalid,
                    "`spec.size` in body must validate all the schemas (allOf)".into()
                ),
                (
                    ViolationKind::Invalid,
                    "`spec.size` in body must validate one and only one schema (oneOf)".into()
                ),
                (
                    ViolationKind::Invalid,
                    "`spec` in body must validate at least one schema (anyOf)".into()
                ),
                (
                    ViolationKind::Invalid,
                    "`spec` in body must not validate the schema (not)".into()
                ),
            ]
        );
    }

    #[test]
    fn a_pattern_beyond_the_regex_crate_is_said() {
        let object = "apiVersion: example.com/v1\nkind: Thing\nspec:\n  a: x\n  odd: z\n";
        let found = thing(object);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, ViolationKind::Unevaluated, "{found:?}");
        assert!(found[0].1.contains("'^(?!x)'"), "{found:?}");
    }

    #[test]
    fn an_unserved_version_is_refused() {
        for version in ["v1alpha1", "v2"] {
            let object =
                format!("apiVersion: example.com/{version}\nkind: Thing\nspec: {{a: x}}\n");
            assert_eq!(
                thing(&object),
                [(
                    ViolationKind::Unserved,
                    format!(
                        "no matches for kind \"Thing\" in version \"example.com/{version}\": its schema serves `v1`"
                    )
                )]
            );
        }
        let secret = "apiVersion: v2\nkind: Secret\nmetadata: {name: s}\n";
        let parsed = parse(secret, &Limits::default());
        let found = Schemas::EMBEDDED
            .validate(
                "v2",
                "Secret",
                parsed.documents[0].root().unwrap(),
                FileId(0),
                &|_| false,
            )
            .unwrap();
        assert_eq!(found[0].kind, ViolationKind::Unserved);
        assert_eq!(found[0].suggestion.as_deref(), Some("v1"));
    }

    /// SOPS decrypts a file before it is applied: its `ENC[…]` values and its `sops` key are
    /// not what the API server sees.
    #[test]
    fn sops_files_are_judged_as_decrypted() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]\nimmutable: ENC[AES256_GCM,data:dHJ1ZQ==,type:bool]\nsops:\n  version: 3.9.0\n";
        let config = crate::config::Config::default();
        let project = crate::project::Project::from_texts(&[("s.yaml", text)], &config);
        assert_eq!(project.objects[0].schema, []);
        let plain = text.replace("sops:\n  version: 3.9.0\n", "");
        let project = crate::project::Project::from_texts(&[("s.yaml", &plain)], &config);
        assert_eq!(
            project.objects[0].schema.len(),
            2,
            "{:?}",
            project.objects[0].schema
        );
    }

    #[test]
    fn the_listing_names_each_served_api_version() {
        let listing = embedded::listing();
        for line in [
            "  postgresql.cnpg.io/v1 Database: CloudNativePG v1.30.0\n",
            "  bitnami.com/v1alpha1 SealedSecret: sealed-secrets 86671a8\n",
            "  v1 Secret: Kubernetes v1.37.0 (kubernetes-validate 1.37.0)\n",
        ] {
            assert!(listing.contains(line), "{line} in {listing}");
        }
    }

    #[test]
    fn every_embedded_crd_compiles_with_a_version() {
        for crd in EMBEDDED {
            let (_, compiled) = embedded(crd.group, crd.kind).unwrap();
            assert!(!compiled.versions.is_empty(), "{}", crd.file);
        }
    }

    #[test]
    fn types_enums_formats_required_and_unknown_fields() {
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  instances: three\n  instancess: 3\n  primaryUpdateStrategy: sometimes\n  storage:\n    size: 1Gi\n  managed:\n    roles:\n      - name: app\n        login: true\n        validUntil: next spring\n        passwordSecret:\n          name: app\n          nmae: x\n";
        assert_eq!(
            violations(cluster),
            [
                "6 `spec.instances` in body must be of type integer: \"string\"",
                "7 unknown field \"spec.instancess\"",
                "8 `spec.primaryUpdateStrategy`: Unsupported value: \"sometimes\": supported values: \"unsupervised\", \"supervised\"",
                "15 `spec.managed.roles[0].validUntil` in body must be of type date-time: \"next spring\"",
                "18 unknown field \"spec.managed.roles[0].passwordSecret.nmae\"",
            ]
        );
        let database = "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  owner: app\n  cluster:\n    name: pg\n  connectionLimit: lots\n";
        assert_eq!(
            violations(database),
            [
                "9 `spec.connectionLimit` in body must be of type integer: \"string\"",
                "6 `spec.name`: Required value",
            ]
        );
    }

    /// The built-in kinds pglint reads, from the Kubernetes OpenAPI: a Secret's `data` is
    /// base64 (as Go decodes it; the value is never printed), `stringData` a map of strings;
    /// an unknown field gets the closest declared name.
    #[test]
    fn built_in_kinds() {
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque\ndata:\n  ok: aHVudGVyMg==\n  folded: |\n    aHVu\n    dGVyMg==\n  bad: hunter2!\nstringData:\n  port: 5432\n  host: db\nData:\n  k: dg==\n";
        assert_eq!(
            violations(secret),
            [
                "11 `data.bad` in body must be of type byte (standard base64, `=`-padded): the value (not shown) is not",
                "13 `stringData.port` in body must be of type string: \"integer\"",
                "15 unknown field \"Data\"",
            ]
        );
        let parsed = parse(secret, &Limits::default());
        let root = parsed.documents[0].root().unwrap();
        let unknown = Schemas::EMBEDDED
            .validate("v1", "Secret", root, FileId(0), &|_| false)
            .unwrap();
        assert_eq!(unknown[2].suggestion.as_deref(), Some("data"));
        let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  url: https://x\n  replicas: 3\nbinaryData:\n  blob: AAEC\nimmutable: yes\n";
        assert_eq!(
            violations(config_map),
            ["7 `data.replicas` in body must be of type string: \"integer\""]
        );
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labels: {a: b}\nspec:\n  finalizers: [kubernetes]\nstatuss: {}\n";
        assert_eq!(violations(namespace), ["8 unknown field \"statuss\""]);
    }

    /// The built-in kinds' `$ref`s (metadata, a Namespace's spec and status) are followed into
    /// the embedded `_definitions.json`: none is left unresolved, and what they define is checked.
    #[test]
    fn built_in_refs_are_followed() {
        for crd in EMBEDDED {
            if let Artefact::KindSchema { .. } = crd.artefact {
                assert_eq!(
                    embedded::unresolved_refs(crd.bytes),
                    Vec::<String>::new(),
                    "{}",
                    crd.file
                );
                assert!(
                    !embedded::inline_refs(crd.bytes).contains("$ref"),
                    "{}",
                    crd.file
                );
            }
        }
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  labells: {a: b}\nspec:\n  finalizers: x\nstatus:\n  phase: 3\n  conditions:\n  - type: T\n    status: \"True\"\n    lastTransitionTime: 2024-01-01T00:00:00Z\n";
        assert_eq!(
            violations(namespace),
            // `metadata` stays the API server's own (and manifest-invalid's), as for a CRD.
            [
                "7 `spec.finalizers` in body must be of type array: \"string\"",
                "9 `status.phase` in body must be of type string: \"integer\"",
            ]
        );
    }

    #[test]
    fn open_maps_quantities_and_int_or_string_pass() {
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  instances: 3\n  postgresql:\n    parameters:\n      max_connections: \"200\"\n  resources:\n    requests:\n      memory: 512Mi\n      cpu: 1\n  storage:\n    size: 10Gi\n  inheritedMetadata:\n    labels:\n      team: db\n";
        assert_eq!(violations(cluster), Vec::<String>::new());
        let bad = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  instances: 1\n  resources:\n    requests:\n      memory: lots\n";
        assert_eq!(violations(bad).len(), 1, "{:?}", violations(bad));
    }
}
