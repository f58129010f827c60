//! The CustomResourceDefinitions compiled into the binary, verbatim (`schemas/crds/`, whose
//! `PROVENANCE` gives each file's repository, tag, commit and sha256; `tests/schemas.rs` checks
//! them).

/// One embedded CRD file: the kind it defines, and its bytes as upstream publishes them.
#[derive(Debug)]
pub struct EmbeddedCrd {
    pub file: &'static str,
    pub group: &'static str,
    pub kind: &'static str,
    /// Where it comes from, for `pglint rules` and the JSON summary.
    pub release: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! crds {
    ($($file:literal => $group:literal, $kind:literal, $release:literal;)*) => {
        pub const EMBEDDED: &[EmbeddedCrd] = &[$(EmbeddedCrd {
            file: $file,
            group: $group,
            kind: $kind,
            release: $release,
            bytes: include_bytes!(concat!("../../schemas/crds/", $file)),
        }),*];
    };
}

crds! {
    "postgresql.cnpg.io_clusters.yaml" => "postgresql.cnpg.io", "Cluster", "CloudNativePG v1.30.0";
    "postgresql.cnpg.io_databases.yaml" => "postgresql.cnpg.io", "Database", "CloudNativePG v1.30.0";
    "postgresql.cnpg.io_databaseroles.yaml" => "postgresql.cnpg.io", "DatabaseRole", "CloudNativePG v1.30.0";
    "postgresql.cnpg.io_poolers.yaml" => "postgresql.cnpg.io", "Pooler", "CloudNativePG v1.30.0";
    "postgresql.cnpg.io_backups.yaml" => "postgresql.cnpg.io", "Backup", "CloudNativePG v1.30.0";
    "postgresql.cnpg.io_scheduledbackups.yaml" => "postgresql.cnpg.io", "ScheduledBackup", "CloudNativePG v1.30.0";
    "bitnami.com_sealedsecrets.yaml" => "bitnami.com", "SealedSecret", "sealed-secrets 86671a8";
    "argoproj.io_application-crd.yaml" => "argoproj.io", "Application", "Argo CD v3.5.1";
    "argoproj.io_applicationset-crd.yaml" => "argoproj.io", "ApplicationSet", "Argo CD v3.5.1";
    "argoproj.io_appproject-crd.yaml" => "argoproj.io", "AppProject", "Argo CD v3.5.1";
    "kustomize.toolkit.fluxcd.io_kustomizations.yaml" => "kustomize.toolkit.fluxcd.io", "Kustomization", "Flux kustomize-controller v1.9.4";
    "source.toolkit.fluxcd.io_gitrepositories.yaml" => "source.toolkit.fluxcd.io", "GitRepository", "Flux source-controller v1.9.1";
}

/// What `pglint rules` and `pglint explain` say about the CRDs the schema rules validate
/// against: the embedded ones, one line each, and that a repository's own CRD of a kind wins.
pub fn listing() -> String {
    let mut out = String::from(
        "CRDs the schema rules validate against (embedded; a CustomResourceDefinition the repository holds for a kind replaces its one: `check` names it in a notice and in the JSON summary's `schemas`):\n",
    );
    for crd in EMBEDDED {
        out.push_str(&format!("  {} {}: {}\n", crd.group, crd.kind, crd.release));
    }
    out
}
