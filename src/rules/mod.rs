//! Stage 6: the rules. One file per rule: its id, default severity, summary and documentation
//! are declared with `declare_rule!` next to its check. Registering a rule is one line in
//! the `registry!` below.

use crate::config::Config;
use crate::deploy::Deploy;
use crate::diagnostic::{Finding, Severity};
use crate::index::Index;
use crate::model::Object;
use crate::project::Project;

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
    pub id: &'static str,
    pub group: &'static str,
    pub default_level: DefaultLevel,
    /// One line, lowercase, no trailing period.
    pub summary: &'static str,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`, `## Example`,
    /// `## Use instead` and `## How to fix`.
    pub docs: &'static str,
}

/// Everything a rule may read. Rules never touch the file system and never print.
pub struct Context<'p> {
    pub project: &'p Project,
    pub index: &'p Index<'p>,
    pub config: &'p Config,
}

impl<'p> Context<'p> {
    pub fn new(project: &'p Project, index: &'p Index<'p>, config: &'p Config) -> Context<'p> {
        Context {
            project,
            index,
            config,
        }
    }

    /// The deployment of an index instance, when its object is applied by several: a finding
    /// about it then names the one it is about ([`Finding::in_deployment`]).
    ///
    /// [`Finding::in_deployment`]: crate::diagnostic::Finding::in_deployment
    pub fn deployment_of(&self, instance: crate::model::ObjectId) -> Option<&'p str> {
        let found = self.index.instance(instance);
        let deployment = found.deployment?;
        let several = found
            .source
            .is_some_and(|source| self.index.instances_of(source).nth(1).is_some());
        several.then(|| self.deploy().deployments[deployment].name.as_str())
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
    pub fn objects(&self) -> impl Iterator<Item = (usize, &'p Object)> + '_ {
        self.all_objects()
            .filter(|&(id, _)| !self.index.is_patch(id))
    }

    /// Every object of the repository's files, patches included: for what a file holds
    /// whatever it is used for (a plaintext secret is committed either way).
    pub fn all_objects(&self) -> impl Iterator<Item = (usize, &'p Object)> {
        self.project.objects.iter().enumerate()
    }
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Declares a rule: a unit struct, its [`RuleMeta`] (the doc comment becomes `docs`) and its
/// [`Rule`] impl calling `check`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            id: $id:literal,
            group: $group:literal,
            level: $level:ident,
            summary: $summary:literal,
            check: $check:path $(,)?
        }
    ) => {
        pub struct $name;

        impl $name {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                id: $id,
                group: $group,
                default_level: $crate::rules::DefaultLevel::$level,
                summary: $summary,
                docs: concat!($($doc, "\n"),*),
            };
        }

        impl $crate::rules::Rule for $name {
            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                &Self::META
            }

            fn check(&self, cx: &$crate::rules::Context<'_>, out: &mut Vec<$crate::diagnostic::Finding>) {
                $check(cx, out)
            }
        }
    };
}

#[cfg(test)]
pub(crate) mod testing;

macro_rules! registry {
    ($($module:ident :: $rule:ident,)*) => {
        $(mod $module;)*

        /// Every rule, in catalogue order.
        pub static ALL: &[&dyn Rule] = &[$(&$module::$rule),*];
    };
}

registry! {
    yaml_syntax::YamlSyntax,
    yaml_limit::YamlLimit,
    yaml_duplicate_key::YamlDuplicateKey,
    annotation_not_string::AnnotationNotString,
    manifest_invalid::ManifestInvalid,
    plaintext_secret::PlaintextSecret,
    sealed_template_data::SealedTemplateData,
    sealed_value_invalid::SealedValueInvalid,
    sealed_template_mismatch::SealedTemplateMismatch,
    sealed_scope_broad::SealedScopeBroad,
    sealed_secret_moved::SealedSecretMoved,
    sealed_value_copied::SealedValueCopied,
    sealed_value_shared::SealedValueShared,
    kustomize_missing::KustomizeMissing,
    kustomize_unlisted::KustomizeUnlisted,
    not_deployed::NotDeployed,
    namespace_missing::NamespaceMissing,
    namespace_wrong::NamespaceWrong,
    cluster_missing::ClusterMissing,
    owner_role_missing::OwnerRoleMissing,
    owner_role_absent::OwnerRoleAbsent,
    role_secret_missing::RoleSecretMissing,
    role_secret_keys::RoleSecretKeys,
    role_duplicate::RoleDuplicate,
    database_duplicate::DatabaseDuplicate,
    role_password_conflict::RolePasswordConflict,
    role_no_password::RoleNoPassword,
    secret_unreferenced::SecretUnreferenced,
    name_reserved::NameReserved,
    name_invalid::NameInvalid,
    name_style::NameStyle,
    naming_convention::NamingConvention,
    role_privileged::RolePrivileged,
    role_login_disabled::RoleLoginDisabled,
    reflection_too_broad::ReflectionTooBroad,
    reflection_wrong_namespace::ReflectionWrongNamespace,
    reflection_blocked::ReflectionBlocked,
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
}

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    ALL.iter().copied().find(|r| r.meta().id == id)
}

/// The README's rule table: id, default level, summary.
pub fn markdown_table() -> String {
    let mut table = String::from("| rule | default | what it reports |\n|---|---|---|\n");
    for rule in ALL {
        let meta = rule.meta();
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            meta.id,
            meta.default_level.as_str(),
            meta.summary
        ));
    }
    table
}
