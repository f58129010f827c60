//! Stage 6: the rules. One file per rule: its id, default severity, summary and documentation
//! are declared with `declare_rule!` next to its check. Registering a rule is one line in
//! the `registry!` below.

use std::sync::OnceLock;

use crate::config::Config;
use crate::deploy::Deploy;
use crate::diagnostic::{Finding, Severity};
use crate::edit::yaml::YamlFile;
use crate::index::{Index, InstanceId};
use crate::model::{Object, SourceId};
use crate::project::Project;
use crate::source::{FileId, Loc};
use crate::yaml::ParsedFile;

/// A rule's default level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultLevel {
    Error,
    Warning,
    /// Opt-in: runs only when the configuration turns it on.
    Off,
}

impl DefaultLevel {
    pub fn severity(self) -> Option<Severity> {
        match self {
            DefaultLevel::Error => Some(Severity::Error),
            DefaultLevel::Warning => Some(Severity::Warning),
            DefaultLevel::Off => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DefaultLevel::Error => "error",
            DefaultLevel::Warning => "warning",
            DefaultLevel::Off => "off",
        }
    }
}

/// What `pglint rules` and `pglint explain` show, and what SARIF describes.
#[derive(Debug)]
pub struct RuleMeta {
    /// As written; [`RuleId`] is the typed id.
    pub id: &'static str,
    pub group: RuleGroup,
    pub default_level: DefaultLevel,
    /// One line, lowercase, no trailing period.
    pub summary: &'static str,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`, `## Example`,
    /// `## Use instead` and `## How to fix`.
    pub docs: &'static str,
    /// What the rule's fix does, when it has one.
    pub fix: Option<FixMeta>,
    /// The rules whose finding at the same node already explains this rule's: the engine
    /// reports theirs, with this one's objects as related locations (see
    /// [`crate::engine::precedence`]).
    pub yields_to: &'static [RuleId],
}

/// A rule's fix, as `pglint explain` and the README describe it.
#[derive(Debug)]
pub struct FixMeta {
    /// The most a fix of the rule is applied with (a finding may offer a less safe one).
    pub applicability: crate::edit::Applicability,
    /// One line, lowercase, no trailing period.
    pub what: &'static str,
}

/// Everything a rule may read. Rules never touch the file system and never print.
pub struct Context<'p> {
    pub project: &'p Project,
    pub index: &'p Index<'p>,
    pub config: &'p Config,
    /// Files parsed again on demand, for the few findings that propose a fix (the project
    /// keeps the model, not the YAML trees).
    parsed: Box<[OnceLock<ParsedFile>]>,
    /// The repository before the change (`check --base REF`): what the change-safety rules
    /// compare with. `None` otherwise, and those rules report nothing.
    pub base: Option<Base<'p>>,
    /// Seconds since the Unix epoch, read once from the configured clock
    /// ([`crate::config::Clock`]): what a date such as a role's `validUntil` is compared with.
    pub now: i64,
}

/// The repository at the base revision of a change, and which of its objects are which
/// objects of the working tree (same [`Object::identity`]).
pub struct Base<'p> {
    pub project: &'p Project,
    /// The revision as the user named it (`origin/main`).
    pub reference: &'p str,
    before: crate::hash::HashMap<String, SourceId>,
    after: crate::hash::HashMap<String, SourceId>,
}

impl<'p> Base<'p> {
    pub fn new(project: &'p Project, reference: &'p str, current: &Project) -> Base<'p> {
        let by_identity = |project: &Project| {
            let mut map = crate::hash::HashMap::default();
            for (id, obj) in project.sources() {
                if obj.name().is_some() {
                    map.entry(obj.identity()).or_insert(id);
                }
            }
            map
        };
        Base {
            project,
            reference,
            before: by_identity(project),
            after: by_identity(current),
        }
    }

    /// The base's object with the identity of `current` (an object of the working tree).
    pub fn before(&self, current: &Object) -> Option<&'p Object> {
        self.before
            .get(&current.identity())
            .map(|&id| self.project.object(id))
    }

    /// Does the working tree still hold an object with the identity of `old` (a base object)?
    pub fn kept(&self, old: &Object) -> bool {
        self.after.contains_key(&old.identity())
    }

    /// Does the base hold an object with the identity of `current`?
    pub fn existed(&self, current: &Object) -> bool {
        self.before.contains_key(&current.identity())
    }
}

impl<'p> Context<'p> {
    /// The objects of the base revision (empty without one).
    pub fn base_objects(&self) -> impl Iterator<Item = &'p Object> {
        self.base
            .as_ref()
            .map(|b| b.project.objects.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|object| &**object)
    }

    /// `REF:path` of a base object's file, as git names it.
    pub fn base_path(&self, obj: &Object) -> String {
        match &self.base {
            Some(base) => format!("{}:{}", base.reference, base.project.path(obj.file)),
            None => String::new(),
        }
    }

    /// The same context, comparing with `base`.
    pub fn with_base(mut self, base: Base<'p>) -> Context<'p> {
        self.base = Some(base);
        self
    }

    /// A location in the base project, as a finding of this context carries it: file ids
    /// past the working tree's stand for the base's files, until the report adds them as
    /// files of their own ([`crate::project::Project::add_base_files`]).
    pub fn base_loc(&self, loc: Loc) -> Loc {
        Loc {
            file: FileId(self.project.sources.len() as u32 + loc.file.0),
            span: loc.span,
        }
    }

    pub fn new(project: &'p Project, index: &'p Index<'p>, config: &'p Config) -> Context<'p> {
        Context {
            project,
            index,
            config,
            parsed: (0..project.files.len()).map(|_| OnceLock::new()).collect(),
            base: None,
            now: config.clock.now(),
        }
    }

    /// A file's YAML, to build a fix's edits on (parsed on first use).
    pub fn yaml(&self, file: FileId) -> YamlFile<'_> {
        let text = self.project.text(file).as_str();
        let parsed = self.parsed[file.0 as usize]
            .get_or_init(|| crate::yaml::parse(text, &self.config.limits));
        YamlFile::new(file, text, parsed)
    }

    /// The deployment of an index instance, when its object is applied by several: a finding
    /// about it then names the one it is about ([`Finding::in_deployment`]).
    ///
    /// [`Finding::in_deployment`]: crate::diagnostic::Finding::in_deployment
    pub fn deployment_of(&self, instance: InstanceId) -> Option<&'p str> {
        let found = self.index.instance(instance);
        let deployment = found.deployment?;
        let several = found
            .source
            .is_some_and(|source| self.index.instances_of(source).nth(1).is_some());
        several.then(|| self.deploy().deployments[deployment].name.as_str())
    }

    /// The document an object was read from, as written in its file, to edit it: `None` for
    /// an object a kustomize generator made (its `kind` is not in its file).
    pub fn object_yaml(&self, obj: &Object) -> Option<(YamlFile<'_>, crate::yaml::NodeRef<'_>)> {
        let yaml = self.yaml(obj.file);
        let root = yaml.document(obj.document)?;
        let kind = root.get("kind")?;
        (Some(kind.span()) == obj.kind_name.as_ref().map(|k| k.loc.span)).then_some((yaml, root))
    }

    /// The fix of a reference with one likely target: write that name instead (unsafe: it is
    /// pglint's guess at what was meant).
    pub fn rename_fix(&self, reference: Loc, name: &str) -> Option<crate::edit::Fix> {
        let yaml = self.yaml(reference.file);
        let node = yaml.node_at(reference)?;
        node.scalar()?;
        let edit = yaml.set_string(node, name)?;
        Some(crate::edit::Fix::unsafe_edits(
            format!("write `{name}`"),
            vec![edit],
        ))
    }

    /// The fix of a SealedSecret whose values cannot stay: only a person can seal new ones
    /// (the command, for its name and namespace).
    pub fn reseal(&self, obj: &Object) -> crate::edit::Fix {
        crate::edit::Fix::display_only(format!(
            "seal new values: `{}`",
            crate::model::seal_command(
                obj.name().unwrap_or("NAME"),
                obj.namespace_str().unwrap_or(&self.config.namespace),
                &self.config.certificate
            )
        ))
    }

    /// What the repository's deployments apply, where (see [`crate::deploy`]).
    pub fn deploy(&self) -> &'p Deploy<'p> {
        self.index.deploy()
    }

    pub fn path(&self, obj: &Object) -> &'p str {
        self.project.path(obj.file)
    }

    /// Is the object in the SOP folder (where namespace, wave, naming and Reflector rules apply)?
    pub fn in_sop_folder(&self, obj: &Object) -> bool {
        self.config.in_sop_folder(self.path(obj))
    }

    /// Every object of the repository's files, kustomize patches and other build inputs
    /// excepted: those are not objects of their own (a patch's `metadata.name` selects what it
    /// patches; its values are judged where they land, on the rendered instances).
    pub fn objects(&self) -> impl Iterator<Item = (SourceId, &'p Object)> + '_ {
        self.all_objects()
            .filter(|&(id, _)| !self.index.is_patch(id))
    }

    /// Every object of the repository's files, patches included: for what a file holds
    /// whatever it is used for (a plaintext secret is committed either way).
    pub fn all_objects(&self) -> impl Iterator<Item = (SourceId, &'p Object)> {
        self.project.sources()
    }
}

/// Gives the findings about `obj`'s annotations and labels that have no subject yet theirs:
/// the entry their location is in (see [`Object::metadata_entry_path`]).
pub(crate) fn metadata_entry_subjects(cx: &Context<'_>, obj: &Object, findings: &mut [Finding]) {
    for finding in findings.iter_mut().filter(|f| f.subject.is_none()) {
        let path = obj.metadata_entry_path(finding.loc).unwrap_or_default();
        finding.subject = Some(crate::diagnostic::Subject::at(
            cx.project,
            finding.loc,
            path,
        ));
    }
}

pub trait Rule: Sync {
    fn id(&self) -> RuleId;
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Declares a rule: a unit struct, its [`RuleMeta`] (the doc comment becomes `docs`) and its
/// [`Rule`] impl calling `check`.
macro_rules! declare_rule {
    (@fix) => {
        None
    };
    (@fix ($applicability:ident, $what:literal)) => {
        Some($crate::rules::FixMeta {
            applicability: $crate::edit::Applicability::$applicability,
            what: $what,
        })
    };
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            id: $id:literal,
            group: $group:literal,
            level: $level:ident,
            summary: $summary:literal,
            $(fix: ($fix_applicability:ident, $fix_what:literal),)?
            $(yields_to: [$($yields:ident),* $(,)?],)?
            check: $check:path $(,)?
        }
    ) => {
        pub struct $name;

        impl $name {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                id: $id,
                group: $crate::rules::RuleGroup::named($group),
                default_level: $crate::rules::DefaultLevel::$level,
                summary: $summary,
                docs: concat!($($doc, "\n"),*),
                fix: declare_rule!(@fix $(($fix_applicability, $fix_what))?),
                yields_to: &[$($($crate::rules::RuleId::$yields),*)?],
            };
        }

        impl $crate::rules::Rule for $name {
            fn id(&self) -> $crate::rules::RuleId {
                $crate::rules::RuleId::$name
            }

            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                &Self::META
            }

            fn check(&self, cx: &$crate::rules::Context<'_>, out: &mut Vec<$crate::diagnostic::Finding>) {
                $check(cx, out)
            }
        }
    };
}

pub mod live;
#[cfg(test)]
pub(crate) mod testing;

/// Generates, from the list of rules and live checks: the rule modules, [`ALL`], and the typed
/// id of every catalogue entry, [`RuleId`] (a rule's variant is its struct's name, which
/// `declare_rule!` names as the rule's id: a rule missing here does not compile).
macro_rules! registry {
    (
        rules { $($module:ident :: $rule:ident,)* }
        live { $($live:ident => $live_variant:ident,)* }
    ) => {
        $(mod $module;)*

        /// Every rule, in catalogue order.
        pub static ALL: &[&dyn Rule] = &[$(&$module::$rule),*];

        /// The id of a catalogue entry: a rule `check` runs, or a live check `verify`
        /// reports. Written (`pglint.toml`, suppressions, reports, baselines) as its
        /// kebab-case [`RuleId::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RuleId {
            $($rule,)*
            $($live_variant,)*
        }

        impl RuleId {
            /// Every id, in catalogue order: the rules, then the live checks.
            pub const ALL: &[RuleId] = &[$(RuleId::$rule,)* $(RuleId::$live_variant,)*];

            /// The entry's metadata.
            pub fn meta(self) -> &'static RuleMeta {
                match self {
                    $(RuleId::$rule => &$module::$rule::META,)*
                    $(RuleId::$live_variant => &live::$live,)*
                }
            }

            /// The rule `check` runs under this id (`None` for a live check).
            pub fn rule(self) -> Option<&'static dyn Rule> {
                match self {
                    $(RuleId::$rule => Some(&$module::$rule),)*
                    _ => None,
                }
            }
        }
    };
}

registry! {
    rules {
    yaml_syntax::YamlSyntax,
    yaml_limit::YamlLimit,
    yaml_duplicate_key::YamlDuplicateKey,
    annotation_not_string::AnnotationNotString,
    manifest_invalid::ManifestInvalid,
    schema_invalid::SchemaInvalid,
    schema_unknown_field::SchemaUnknownField,
    cel_rule_failed::CelRuleFailed,
    plaintext_secret::PlaintextSecret,
    sealed_template_data::SealedTemplateData,
    sealed_value_invalid::SealedValueInvalid,
    sealed_template_mismatch::SealedTemplateMismatch,
    sealed_scope_broad::SealedScopeBroad,
    sealed_secret_moved::SealedSecretMoved,
    sealed_value_copied::SealedValueCopied,
    sealed_value_shared::SealedValueShared,
    kustomize_missing::KustomizeMissing,
    kustomize_build_refused::KustomizeBuildRefused,
    patch_list_replaced::PatchListReplaced,
    kustomize_unlisted::KustomizeUnlisted,
    not_deployed::NotDeployed,
    namespace_missing::NamespaceMissing,
    namespace_wrong::NamespaceWrong,
    cluster_missing::ClusterMissing,
    owner_role_missing::OwnerRoleMissing,
    owner_role_absent::OwnerRoleAbsent,
    role_secret_missing::RoleSecretMissing,
    role_secret_keys::RoleSecretKeys,
    role_username_mismatch::RoleUsernameMismatch,
    role_duplicate::RoleDuplicate,
    role_in_roles_missing::RoleInRolesMissing,
    database_duplicate::DatabaseDuplicate,
    role_password_conflict::RolePasswordConflict,
    role_no_password::RoleNoPassword,
    bootstrap_owner_password::BootstrapOwnerPassword,
    secret_unreferenced::SecretUnreferenced,
    name_reserved::NameReserved,
    name_invalid::NameInvalid,
    name_style::NameStyle,
    naming_convention::NamingConvention,
    role_privileged::RolePrivileged,
    role_login_disabled::RoleLoginDisabled,
    owner_role_locked::OwnerRoleLocked,
    reflection_too_broad::ReflectionTooBroad,
    reflection_wrong_namespace::ReflectionWrongNamespace,
    reflection_blocked::ReflectionBlocked,
    replication_blocked::ReplicationBlocked,
    sync_wave_missing::SyncWaveMissing,
    sync_wave_invalid::SyncWaveInvalid,
    sync_wave_wrong::SyncWaveWrong,
    sync_wave_order::SyncWaveOrder,
    sync_wave_placement::SyncWavePlacement,
    flux_depends_on_cluster::FluxDependsOnCluster,
    sync_hook::SyncHook,
    cluster_hook::ClusterHook,
    reflector_missing::ReflectorMissing,
    reflector_invalid::ReflectorInvalid,
    reflector_placement::ReflectorPlacement,
    database_reclaim_delete::DatabaseReclaimDelete,
    validation_disabled::ValidationDisabled,
    secret_type::SecretType,
    reload_label::ReloadLabel,
    suppression_invalid::SuppressionInvalid,
    suppression_unused::SuppressionUnused,
    database_dropped::DatabaseDropped,
    database_pruned::DatabasePruned,
    database_renamed::DatabaseRenamed,
    field_immutable::FieldImmutable,
    cluster_renamed::ClusterRenamed,
    role_orphaned::RoleOrphaned,
    sealed_value_rotated::SealedValueRotated,
    }
    live {
        ROLE_MISSING => LiveRoleMissing,
        ROLE_ATTRIBUTES => LiveRoleAttributes,
        ROLE_MEMBERSHIP => LiveRoleMembership,
        DATABASE_MISSING => LiveDatabaseMissing,
        DATABASE_OWNER => LiveDatabaseOwner,
        ABSENT_EXISTS => LiveAbsentExists,
        DRIFT => LiveDrift,
        SECRET_MISSING => LiveSecretMissing,
        SECRET_NOT_REFLECTED => LiveSecretNotReflected,
        SEALED_SECRET_FAILED => LiveSealedSecretFailed,
        NOT_RECONCILED => LiveNotReconciled,
        NOT_SYNCED => LiveNotSynced,
    }
}

impl RuleId {
    /// The id as written: `owner-role-missing`.
    pub fn as_str(self) -> &'static str {
        self.meta().id
    }

    /// The id written `id`, if there is one.
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.as_str() == id)
    }

    pub fn group(self) -> RuleGroup {
        self.meta().group
    }

    /// Is it a live check (`pglint verify`), not a rule of `check`?
    pub fn is_live(self) -> bool {
        self.group() == RuleGroup::Live
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Ordered as written, so output sorted by rule does not depend on the catalogue's order.
impl Ord for RuleId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl serde::Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What a rule is about: `pglint rules --format json`, SARIF tags, and what the engine treats
/// alike (the change-safety rules run only under `--base`; what is said about how a file is
/// written stays on a plaintext Secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleGroup {
    Parsing,
    Secrets,
    Kustomize,
    Deployment,
    References,
    Names,
    Privileges,
    Reflector,
    Waves,
    Ordering,
    Hygiene,
    Suppressions,
    /// What the API server accepts: the CRD schemas and their CEL rules.
    Schema,
    /// Compares the working tree with a base revision (`check --base`).
    Change,
    /// Compares the repository with the live cluster (`pglint verify`).
    Live,
}

impl RuleGroup {
    const ALL: [RuleGroup; 15] = [
        RuleGroup::Parsing,
        RuleGroup::Secrets,
        RuleGroup::Kustomize,
        RuleGroup::Deployment,
        RuleGroup::References,
        RuleGroup::Names,
        RuleGroup::Privileges,
        RuleGroup::Reflector,
        RuleGroup::Waves,
        RuleGroup::Ordering,
        RuleGroup::Hygiene,
        RuleGroup::Suppressions,
        RuleGroup::Schema,
        RuleGroup::Change,
        RuleGroup::Live,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RuleGroup::Parsing => "parsing",
            RuleGroup::Secrets => "secrets",
            RuleGroup::Kustomize => "kustomize",
            RuleGroup::Deployment => "deployment",
            RuleGroup::References => "references",
            RuleGroup::Names => "names",
            RuleGroup::Privileges => "privileges",
            RuleGroup::Reflector => "reflector",
            RuleGroup::Waves => "waves",
            RuleGroup::Ordering => "ordering",
            RuleGroup::Hygiene => "hygiene",
            RuleGroup::Suppressions => "suppressions",
            RuleGroup::Schema => "schema",
            RuleGroup::Change => "change",
            RuleGroup::Live => "live",
        }
    }

    /// The group written `name` in a `declare_rule!`; an unknown name fails the build.
    pub const fn named(name: &str) -> RuleGroup {
        let mut i = 0;
        while i < RuleGroup::ALL.len() {
            if const_str_eq(RuleGroup::ALL[i].as_str(), name) {
                return RuleGroup::ALL[i];
            }
            i += 1;
        }
        panic!("unknown rule group")
    }
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    RuleId::parse(id)?.rule()
}

/// Every catalogue entry: the rules `check` runs, then the live checks `verify` reports.
pub fn catalogue() -> impl Iterator<Item = &'static RuleMeta> {
    RuleId::ALL.iter().map(|id| id.meta())
}

/// A catalogue entry (a rule or a live check) by id.
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    RuleId::parse(id).map(RuleId::meta)
}

/// The README's rule table: id, default level, summary.
pub fn markdown_table() -> String {
    table(ALL.iter().map(|r| r.meta()))
}

/// The README's table of the live checks `pglint verify` reports.
pub fn live_markdown_table() -> String {
    table(live::all())
}

fn table(metas: impl Iterator<Item = &'static RuleMeta>) -> String {
    let mut table = String::from("| rule | default | fix | what it reports |\n|---|---|---|---|\n");
    for meta in metas {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            meta.id,
            meta.default_level.as_str(),
            meta.fix.as_ref().map_or("", |f| f.applicability.as_str()),
            meta.summary
        ));
    }
    table
}
