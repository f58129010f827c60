//! The catalogue entries of the checks `pglint verify` reports: metadata only.
//!
//! They compare the repository with what is live (PostgreSQL's catalogues, the objects
//! `kubectl get` prints), so they are not [`Rule`](super::Rule)s: `check` cannot run them and
//! `lint` never sees them. Their comparisons live in [`crate::verify`]. What they share with
//! the rules is the catalogue: one id namespace, the same [`RuleMeta`] (so `pglint rules`,
//! `pglint explain`, SARIF descriptors and `[rules]` levels in `pglint.toml` treat them alike),
//! the same documentation sections, and the same [`Diagnostic`](crate::diagnostic::Diagnostic)s.

use super::{DefaultLevel, RuleGroup, RuleMeta};

/// Declares a live check's [`RuleMeta`] as a constant; the doc comment becomes its docs.
macro_rules! live_check {
    (
        $(#[doc = $doc:literal])*
        pub const $name:ident {
            id: $id:literal,
            level: $level:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        pub const $name: RuleMeta = RuleMeta {
            id: $id,
            group: RuleGroup::Live,
            default_level: DefaultLevel::$level,
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
            fix: None,
            yields_to: &[],
        };
    };
}

live_check! {
    /// ## What it does
    /// Reports a role the repository declares (a `Cluster`'s `spec.managed.roles` entry or a
    /// `DatabaseRole`, `ensure: present`) that does not exist in PostgreSQL (`pg_roles`).
    ///
    /// ## Why is this bad?
    /// CloudNativePG creates managed roles on the primary once the Cluster is synced; a
    /// missing role means the sync or the reconciliation failed (`status.managedRolesStatus`
    /// says why), and every Database it owns keeps failing with `role "…" does not exist`.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user        # live: no such role
    ///       login: true
    /// ```
    ///
    /// ## Use instead
    /// The Cluster synced and reconciled, so that the role exists:
    /// ```yaml
    /// status:
    ///   managedRolesStatus:
    ///     byStatus:
    ///       reconciled: [gitea_user]
    /// ```
    ///
    /// ## How to fix
    /// Check that Argo CD synced the Cluster, then read `kubectl get cluster NAME -o
    /// jsonpath='{.status.managedRolesStatus}'` (`kubectl cnpg status NAME -v`): a role that
    /// cannot be reconciled is listed there with the cause (`pglint verify --kube-objects`
    /// reports it as `live-not-reconciled`).
    pub const ROLE_MISSING {
        id: "live-role-missing",
        level: Error,
        summary: "a role the repository declares does not exist in PostgreSQL",
    }
}

live_check! {
    /// ## What it does
    /// Compares each declared role's attributes with `pg_roles`: `login`, `superuser`,
    /// `createdb`, `createrole`, `replication`, `bypassrls`, `inherit`, `connectionLimit` and
    /// `validUntil` (a field the repository leaves out counts as CloudNativePG's default:
    /// false, `inherit: true`, `connectionLimit: -1`, no expiry).
    ///
    /// ## Why is this bad?
    /// A role that differs from its declaration was changed by hand (CloudNativePG reverts
    /// such changes only when the Cluster's spec changes) or was never reconciled: a
    /// `NOLOGIN` owner locks its app out, an extra `SUPERUSER` gives an app the whole cluster.
    ///
    /// ## Example
    /// ```yaml
    /// - name: gitea_user
    ///   login: true               # live: NOLOGIN
    ///   superuser: false          # live: SUPERUSER
    /// ```
    ///
    /// ## Use instead
    /// The live role has the declared attributes:
    /// ```yaml
    /// - name: gitea_user
    ///   login: true               # live: LOGIN
    ///   superuser: false          # live: NOSUPERUSER
    /// ```
    ///
    /// ## How to fix
    /// Decide which side is right. If the repository is, bump the Cluster (any change to its
    /// spec makes CloudNativePG reconcile the roles again) or `ALTER ROLE` it by hand; if the
    /// live value is, change the YAML.
    pub const ROLE_ATTRIBUTES {
        id: "live-role-attributes",
        level: Error,
        summary: "a live role's login, privileges, inherit, connection limit or expiry differ from its declaration",
    }
}

live_check! {
    /// ## What it does
    /// Compares each declared role's `inRoles` with its memberships in `pg_auth_members`:
    /// a listed role it is not a member of, and a membership the list does not name.
    ///
    /// ## Why is this bad?
    /// CloudNativePG grants the roles listed in `inRoles` and revokes the others; a
    /// difference means the grant failed (often a role in the list that does not exist) or
    /// someone granted a role by hand.
    ///
    /// ## Example
    /// ```yaml
    /// - name: grafana_user
    ///   inRoles: [pg_monitor]     # live: member of pg_read_all_data only
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - name: grafana_user
    ///   inRoles: [pg_monitor]     # live: member of pg_monitor
    /// ```
    ///
    /// ## How to fix
    /// Read `status.managedRolesStatus.cannotReconcile` for the role; grant or revoke by
    /// hand, or change `inRoles`.
    pub const ROLE_MEMBERSHIP {
        id: "live-role-membership",
        level: Error,
        summary: "a live role's memberships differ from its inRoles",
    }
}

live_check! {
    /// ## What it does
    /// Reports a Database (`ensure: present`) of the verified cluster whose `spec.name` is
    /// not in `pg_database`.
    ///
    /// ## Why is this bad?
    /// The app that uses it cannot connect. CloudNativePG creates the database when the
    /// Database object reconciles; it did not (its `status.message` says why, most often a
    /// missing owner role).
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   name: gitea               # live: no such database
    ///   owner: gitea_user
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// status:
    ///   applied: true
    /// ```
    ///
    /// ## How to fix
    /// `kubectl get databases.postgresql.cnpg.io -n NAMESPACE` shows `APPLIED` and `MESSAGE`;
    /// fix what the message names (`pglint verify --kube-objects` reports it as
    /// `live-not-reconciled`).
    pub const DATABASE_MISSING {
        id: "live-database-missing",
        level: Error,
        summary: "a Database the repository declares does not exist in PostgreSQL",
    }
}

live_check! {
    /// ## What it does
    /// Reports a database whose live owner (`pg_database.datdba`) is not the `spec.owner` of
    /// the Database that declares it.
    ///
    /// ## Why is this bad?
    /// The app's role cannot create or alter its own tables, or another role owns the app's
    /// data. CloudNativePG sets the owner when it reconciles the Database and does not
    /// revert a later `ALTER DATABASE … OWNER TO` until the object changes.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user         # live: owned by postgres
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// spec:
    ///   name: gitea
    ///   owner: gitea_user         # live: owned by gitea_user
    /// ```
    ///
    /// ## How to fix
    /// `ALTER DATABASE "gitea" OWNER TO "gitea_user"`, or change any field of the Database
    /// object so that CloudNativePG reconciles it again.
    pub const DATABASE_OWNER {
        id: "live-database-owner",
        level: Error,
        summary: "a live database is owned by another role than its Database's owner",
    }
}

live_check! {
    /// ## What it does
    /// Reports a role or a Database declared with `ensure: absent` that still exists in
    /// PostgreSQL.
    ///
    /// ## Why is this bad?
    /// The repository says it is gone; it is not. Dropping a role fails while it owns
    /// objects (SQLSTATE 2BP01), and the role then stays with its privileges and password.
    ///
    /// ## Example
    /// ```yaml
    /// - name: wiki_user
    ///   ensure: absent            # live: the role exists
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// - name: wiki_user
    ///   ensure: absent            # live: no such role
    /// ```
    ///
    /// ## How to fix
    /// Read `status.managedRolesStatus.cannotReconcile` (or the Database's `status.message`);
    /// reassign or drop what the role owns (`REASSIGN OWNED BY`, `DROP OWNED BY`), then let
    /// CloudNativePG drop it.
    pub const ABSENT_EXISTS {
        id: "live-absent-exists",
        level: Error,
        summary: "a role or database declared ensure: absent still exists in PostgreSQL",
    }
}

live_check! {
    /// ## What it does
    /// Reports live roles and databases that the repository does not declare for the
    /// verified cluster: no managed role, `DatabaseRole` or Database names them. Never
    /// reported: PostgreSQL's `pg_*` roles, `postgres`, CloudNativePG's `streaming_replica`
    /// and `cnpg_*` roles (`cnpg_pooler_pgbouncer`), the databases `postgres`, `template0` and
    /// `template1`, the bootstrap owner and its database, and the names listed in
    /// `[verify] unmanaged-roles` and `unmanaged-databases` of `pglint.toml`.
    ///
    /// ## Why is this bad?
    /// A role or database made by hand is invisible to review, is not recreated when the
    /// cluster is rebuilt from Git, and may keep a forgotten password alive. CloudNativePG
    /// leaves roles outside the spec alone (`not-managed`), so nothing else reports them.
    ///
    /// ## Example
    /// ```yaml
    /// managed:
    ///   roles:                    # live: also a role `legacy_app` and a database `scratch`
    ///     - name: gitea_user
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// managed:
    ///   roles:
    ///     - name: gitea_user
    ///     - name: legacy_app      # declared, or dropped from the database
    /// ```
    ///
    /// ## How to fix
    /// Declare it (a managed role, a Database), drop it, or list it in `[verify]
    /// unmanaged-roles` / `unmanaged-databases` when something else manages it.
    pub const DRIFT {
        id: "live-drift",
        level: Warning,
        summary: "a live role or database that the repository does not declare",
    }
}

live_check! {
    /// ## What it does
    /// With `--kube-objects`: reports a role's password Secret (`passwordSecret.name`) that
    /// does not exist in the Cluster's namespace, or exists without a `username` or
    /// `password` key. Only key names are read, never values.
    ///
    /// ## Why is this bad?
    /// CloudNativePG cannot set the role's password (and older versions cleared it), so the
    /// app cannot log in; the cause is usually a SealedSecret that was not synced or cannot
    /// be decrypted.
    ///
    /// ## Example
    /// ```yaml
    /// passwordSecret:
    ///   name: gitea-db-creds      # live: no Secret postgres/gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// passwordSecret:
    ///   name: gitea-db-creds      # live: Secret with keys password, username
    /// ```
    ///
    /// ## How to fix
    /// Sync the SealedSecret and read its `status.conditions` (`live-sealed-secret-failed`);
    /// re-seal it with both keys if one is missing.
    pub const SECRET_MISSING {
        id: "live-secret-missing",
        level: Error,
        summary: "a role's password Secret is not in the cluster, or lacks its username or password key",
    }
}

live_check! {
    /// ## What it does
    /// With `--kube-objects`: for a credentials Secret whose Reflector annotations name a
    /// namespace outright (`reflection-auto-enabled: "true"` and a plain name in
    /// `reflection-auto-namespaces`, else in `reflection-allowed-namespaces`), reports when
    /// that namespace holds no copy, or holds a Secret of that name that Reflector did not
    /// make (no `reflects` annotation: Reflector never overwrites it). Patterns that are
    /// regular expressions are not enumerated.
    ///
    /// ## Why is this bad?
    /// The app reads its credentials from its own namespace; without the copy its pods
    /// cannot start or cannot log in.
    ///
    /// ## Example
    /// ```yaml
    /// annotations:
    ///   reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: gitea   # live: no gitea/gitea-db-creds
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// annotations:
    ///   reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces: gitea   # live: copied
    /// ```
    ///
    /// ## How to fix
    /// Check that Reflector runs and that the annotations are on the Secret itself (a
    /// SealedSecret's `spec.template.metadata`); delete a hand-made Secret of the same name
    /// in the app's namespace so that Reflector can copy the real one.
    pub const SECRET_NOT_REFLECTED {
        id: "live-secret-not-reflected",
        level: Error,
        summary: "Reflector has not copied a credentials Secret into a namespace its annotations name",
    }
}

live_check! {
    /// ## What it does
    /// With `--kube-objects`: reports a SealedSecret of the repository whose live
    /// `status.conditions` has `Synced` set to `False`, with the controller's message.
    ///
    /// ## Why is this bad?
    /// The controller could not decrypt it (sealed for another name, namespace or
    /// controller key), so the Secret it makes is missing or stale, and CloudNativePG reads
    /// an old password or none.
    ///
    /// ## Example
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds      # live: Synced False, "no key could decrypt secret"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: SealedSecret
    /// metadata:
    ///   name: gitea-db-creds      # live: Synced True
    /// ```
    ///
    /// ## How to fix
    /// Seal the values again for this name and namespace with the cluster's certificate
    /// (`pglint seal`, or `kubeseal --cert …`).
    pub const SEALED_SECRET_FAILED {
        id: "live-sealed-secret-failed",
        level: Error,
        summary: "the sealed-secrets controller could not unseal a SealedSecret of the repository",
    }
}

live_check! {
    /// ## What it does
    /// With `--kube-objects`: reports what CloudNativePG says it could not apply: a Database
    /// whose `status.applied` is false (or not yet set), with its `status.message`, and a
    /// managed role listed in the Cluster's `status.managedRolesStatus.cannotReconcile`
    /// (with the cause) or `byStatus.pending-reconciliation`.
    ///
    /// ## Why is this bad?
    /// The object is synced but not in effect: the database or role is missing or stale, and
    /// CloudNativePG retries forever without failing the sync.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   owner: gitea_usr          # live: applied false, role "gitea_usr" does not exist
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Database
    /// spec:
    ///   owner: gitea_user         # live: applied true
    /// ```
    ///
    /// ## How to fix
    /// Fix what the message names; `pglint check` finds most causes in the repository
    /// already.
    pub const NOT_RECONCILED {
        id: "live-not-reconciled",
        level: Error,
        summary: "CNPG has not applied a Database or managed role, by its status",
    }
}

live_check! {
    /// ## What it does
    /// With `--kube-objects`: reports the verified Cluster, its Databases and the
    /// SealedSecrets of its roles when the objects given hold none of that kind and
    /// namespace/name (judged only for kinds the input holds at least one object of, so a
    /// partial `kubectl get` does not report every other kind).
    ///
    /// ## Why is this bad?
    /// The object is in Git but not in the cluster: Argo CD has not synced it, prunes are
    /// off, or it is applied somewhere else.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db            # live: no Database postgres/gitea-db
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// kind: Database
    /// metadata:
    ///   name: gitea-db            # live: present
    /// ```
    ///
    /// ## How to fix
    /// Sync the Application that applies it (`argocd app sync`), and check that it
    /// applies this path (`pglint deployments`).
    pub const NOT_SYNCED {
        id: "live-not-synced",
        level: Error,
        summary: "a Cluster, Database or SealedSecret of the repository is not in the cluster",
    }
}

/// Every live check, in catalogue order.
pub fn all() -> impl Iterator<Item = &'static RuleMeta> {
    super::RuleId::ALL
        .iter()
        .filter(|id| id.is_live())
        .map(|id| id.meta())
}

/// Looks a live check up by id.
pub fn find(id: &str) -> Option<&'static RuleMeta> {
    super::RuleId::parse(id)
        .filter(|id| id.is_live())
        .map(super::RuleId::meta)
}
