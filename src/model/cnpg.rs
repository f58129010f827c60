//! CloudNativePG kinds: `Cluster` (with its managed roles), `Database`, `DatabaseRole`.

use super::read::Reader;
use crate::source::{Loc, Spanned};
use crate::yaml::NodeRef;

// Which fields a role, a Database or a Cluster may have, and which values `ensure` or
// `databaseReclaimPolicy` take, is the CRD schema's to say (`crate::schema`): these readers
// only read what pglint's rules need.

/// A role: a `Cluster.spec.managed.roles[]` entry or a `DatabaseRole.spec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The whole entry.
    pub loc: Loc,
    /// Its position in `spec.managed.roles`; `None` for a DatabaseRole's (see
    /// [`Role::path`]).
    pub index: Option<u32>,
    pub name: Option<Spanned<String>>,
    pub ensure: Option<Spanned<String>>,
    pub login: Option<Spanned<bool>>,
    pub superuser: Option<Spanned<bool>>,
    pub createdb: Option<Spanned<bool>>,
    pub createrole: Option<Spanned<bool>>,
    pub replication: Option<Spanned<bool>>,
    pub bypassrls: Option<Spanned<bool>>,
    /// `inherit` (CNPG's default is true).
    pub inherit: Option<Spanned<bool>>,
    pub disable_password: Option<Spanned<bool>>,
    /// `passwordSecret.name`.
    pub password_secret: Option<Spanned<String>>,
    /// The `passwordSecret` key, to point at when the name is wrong or conflicting.
    pub password_secret_key: Option<Loc>,
    /// `connectionLimit` (CNPG's default, -1, is no limit).
    pub connection_limit: Option<Spanned<i64>>,
    /// `validUntil` as written (RFC 3339; see [`Role::valid_until_epoch`]).
    pub valid_until: Option<Spanned<String>>,
    /// `inRoles`: the roles this role is made a member of.
    pub in_roles: Vec<Spanned<String>>,
}

impl Role {
    fn read(reader: &mut Reader<'_>, node: NodeRef<'_>, path: &str, index: Option<u32>) -> Role {
        let ensure = reader.string(node.get("ensure"), &format!("{path}.ensure"));
        let mut flag = |field: &str| reader.boolean(node.get(field), &format!("{path}.{field}"));
        let (login, superuser, createdb, createrole, replication, bypassrls, inherit) = (
            flag("login"),
            flag("superuser"),
            flag("createdb"),
            flag("createrole"),
            flag("replication"),
            flag("bypassrls"),
            flag("inherit"),
        );
        let disable_password = flag("disablePassword");
        let connection_limit = reader.integer(
            node.get("connectionLimit"),
            &format!("{path}.connectionLimit"),
        );
        let valid_until = reader.date_time(node.get("validUntil"), &format!("{path}.validUntil"));
        let mut in_roles = Vec::new();
        if let Some(list) = reader.sequence(node.get("inRoles"), &format!("{path}.inRoles")) {
            for item in list.items() {
                in_roles.extend(reader.string(Some(item), &format!("{path}.inRoles[]")));
            }
        }
        let secret_entry = node.get_entry("passwordSecret");
        let secret_node = reader.mapping(
            secret_entry.map(|(_, v)| v),
            &format!("{path}.passwordSecret"),
        );
        Role {
            loc: reader.loc(node),
            index,
            name: reader.string(node.get("name"), &format!("{path}.name")),
            ensure,
            login,
            superuser,
            createdb,
            createrole,
            replication,
            bypassrls,
            inherit,
            disable_password,
            password_secret: secret_node
                .and_then(|s| reader.string(s.get("name"), &format!("{path}.passwordSecret.name"))),
            password_secret_key: secret_entry.map(|(k, _)| reader.loc(k)),
            connection_limit,
            valid_until,
            in_roles,
        }
    }

    pub fn name_str(&self) -> Option<&str> {
        self.name.as_ref().map(|n| n.as_str())
    }

    /// The entry's field path in its object: `spec.managed.roles[gitea_user]` (by its
    /// `name`, else its index), or `spec` for a DatabaseRole.
    pub fn path(&self) -> String {
        match (self.index, self.name_str()) {
            (None, _) => "spec".to_string(),
            (Some(_), Some(name)) => format!("spec.managed.roles[{name}]"),
            (Some(index), None) => format!("spec.managed.roles[{index}]"),
        }
    }

    /// The field path of one of the entry's fields (`passwordSecret.name`), a finding's
    /// subject; `""`: the entry itself.
    pub fn field(&self, field: &str) -> String {
        if field.is_empty() {
            self.path()
        } else {
            format!("{}.{field}", self.path())
        }
    }

    pub fn is_absent(&self) -> bool {
        self.ensure.as_ref().is_some_and(|e| e.value == "absent")
    }

    /// The field path of the field of this entry written at `loc` (the entry itself when no
    /// field is; `None` outside it).
    pub fn field_at(&self, loc: Loc) -> Option<String> {
        let at = |l: Loc| l == loc;
        let strings = [
            ("name", &self.name),
            ("ensure", &self.ensure),
            ("passwordSecret.name", &self.password_secret),
            ("validUntil", &self.valid_until),
        ];
        let flags = [
            ("login", &self.login),
            ("superuser", &self.superuser),
            ("createdb", &self.createdb),
            ("createrole", &self.createrole),
            ("replication", &self.replication),
            ("bypassrls", &self.bypassrls),
            ("inherit", &self.inherit),
            ("disablePassword", &self.disable_password),
        ];
        let field = strings
            .into_iter()
            .find(|(_, v)| v.as_ref().is_some_and(|v| at(v.loc)))
            .map(|(f, _)| f.to_string())
            .or_else(|| {
                flags
                    .into_iter()
                    .find(|(_, v)| v.as_ref().is_some_and(|v| at(v.loc)))
                    .map(|(f, _)| f.to_string())
            })
            .or_else(|| {
                let limit = self.connection_limit.as_ref();
                limit
                    .is_some_and(|v| at(v.loc))
                    .then(|| "connectionLimit".into())
            })
            .or_else(|| {
                self.password_secret_key
                    .filter(|&k| at(k))
                    .map(|_| "passwordSecret".into())
            })
            .or_else(|| {
                let i = self.in_roles.iter().position(|r| at(r.loc))?;
                Some(format!("inRoles[{i}]"))
            });
        match field {
            Some(field) => Some(self.field(&field)),
            None => self.loc.holds(loc).then(|| self.path()),
        }
    }

    pub fn can_login(&self) -> bool {
        self.login.as_ref().is_some_and(|l| l.value)
    }

    /// Is `name` one of the roles this role is a member of (`inRoles`)?
    pub fn is_member_of(&self, name: &str) -> bool {
        self.in_roles.iter().any(|r| r.value == name)
    }

    /// `validUntil` in seconds since the Unix epoch, when it is a valid RFC 3339 date-time
    /// (what `metav1.Time` accepts); `None` when absent, templated or malformed.
    pub fn valid_until_epoch(&self) -> Option<i64> {
        self.valid_until
            .as_ref()
            .and_then(|v| super::time::parse_rfc3339(v.as_str()))
    }

    /// Privileges set to true, by field name.
    pub fn privileges(&self) -> impl Iterator<Item = (&'static str, &Spanned<bool>)> {
        [
            ("superuser", &self.superuser),
            ("createdb", &self.createdb),
            ("createrole", &self.createrole),
            ("replication", &self.replication),
            ("bypassrls", &self.bypassrls),
        ]
        .into_iter()
        .filter_map(|(field, value)| value.as_ref().filter(|v| v.value).map(|v| (field, v)))
    }
}

/// The owner the cluster creates at bootstrap (`bootstrap.initdb.owner` and its siblings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrap {
    /// The owner role's name: the explicit `owner`, else the `database`, else `app`.
    pub owner: String,
    /// The application database it creates: the explicit `database`, else `app` (CNPG's
    /// default for `initdb`, and what the owner defaults to).
    pub database: String,
    /// Where the owner (or the bootstrap method) is written, if anywhere.
    pub owner_loc: Option<Loc>,
    /// `bootstrap.initdb.secret.name`: the owner's credentials.
    pub secret: Option<Spanned<String>>,
    /// The bootstrap may create roles the repository does not list: the cluster is restored
    /// or cloned from another one (`recovery`, `pg_basebackup`), imports one
    /// (`initdb.import`), or runs SQL kept in ConfigMaps or Secrets (`postInit*SQLRefs`).
    pub other_roles_unknown: bool,
    /// The SQL statements written in `postInitSQL`, `postInitApplicationSQL` and
    /// `postInitTemplateSQL`: roles they create exist too.
    pub sql: Vec<String>,
    /// The bootstrap creates the application database and its owner, whose password the
    /// instance manager keeps setting from the bootstrap secret (CNPG's
    /// `ShouldCreateApplicationDatabase`): `initdb` (also by default) unless a monolith import,
    /// `recovery` or `pg_basebackup` that names a `database`.
    pub creates_owner: bool,
}

/// A CNPG `Cluster`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The `roles` key of `spec.managed`, when present.
    pub roles_loc: Option<Loc>,
    pub roles: Vec<Role>,
    pub bootstrap: Bootstrap,
}

impl Cluster {
    pub(crate) fn read(reader: &mut Reader<'_>, root: NodeRef<'_>) -> Cluster {
        let spec = reader.mapping(root.get("spec"), "spec");
        let managed = spec.and_then(|s| reader.mapping(s.get("managed"), "spec.managed"));
        let roles_entry = managed.and_then(|m| m.get_entry("roles"));
        let mut roles = Vec::new();
        if let Some(list) = reader.sequence(roles_entry.map(|(_, v)| v), "spec.managed.roles") {
            // Sized once: the shared Cluster lists a role per application.
            roles.reserve_exact(list.items().count());
            for (index, item) in list.items().enumerate() {
                if reader.mapping(Some(item), "spec.managed.roles[]").is_some() {
                    let index = u32::try_from(index).ok();
                    roles.push(Role::read(reader, item, "spec.managed.roles[]", index));
                }
            }
        }
        Cluster {
            roles_loc: roles_entry.map(|(k, _)| reader.loc(k)),
            roles,
            bootstrap: Bootstrap::read(reader, spec),
        }
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name_str() == Some(name))
    }
}

impl Bootstrap {
    /// The Secret the owner's password comes from: `secret.name`, else the one the operator
    /// generates, `<cluster>-app` (`GetApplicationSecretName` in `api/v1/cluster_funcs.go`).
    pub fn secret_name(&self, cluster: &str) -> String {
        match &self.secret {
            Some(secret) => secret.value.clone(),
            None => format!("{cluster}-app"),
        }
    }

    fn read(reader: &mut Reader<'_>, spec: Option<NodeRef<'_>>) -> Bootstrap {
        let method = spec.and_then(|s| s.get("bootstrap")).and_then(|b| {
            ["initdb", "recovery", "pg_basebackup"]
                .into_iter()
                .find_map(|m| b.get_entry(m))
        });
        let Some((method_key, method)) = method else {
            return Bootstrap {
                owner: "app".into(),
                database: "app".into(),
                owner_loc: None,
                secret: None,
                other_roles_unknown: false,
                sql: Vec::new(),
                creates_owner: true,
            };
        };
        let initdb = method_key.as_str() == Some("initdb");
        let creates_owner = if initdb {
            method.path(&["import", "type"]).and_then(|t| t.as_str()) != Some("monolith")
        } else {
            method
                .get("database")
                .and_then(|d| d.as_str())
                .is_some_and(|d| !d.is_empty())
        };
        let other_roles_unknown = !initdb
            || [
                "import",
                "postInitSQLRefs",
                "postInitApplicationSQLRefs",
                "postInitTemplateSQLRefs",
            ]
            .into_iter()
            .any(|field| method.get(field).is_some_and(|n| !n.is_null()));
        // Read leniently: pglint only looks for role names in them.
        let sql: Vec<String> = [
            "postInitSQL",
            "postInitApplicationSQL",
            "postInitTemplateSQL",
        ]
        .into_iter()
        .filter_map(|field| method.get(field))
        .filter(|list| list.is_sequence())
        .flat_map(|list| list.items())
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect();
        let database = reader.string(method.get("database"), "spec.bootstrap.database");
        let database_name = database
            .as_ref()
            .map_or_else(|| "app".to_string(), |d| d.value.clone());
        let owner = reader
            .string(method.get("owner"), "spec.bootstrap.owner")
            .or(database);
        Bootstrap {
            database: database_name,
            owner: owner
                .as_ref()
                .map_or_else(|| "app".into(), |o| o.value.clone()),
            owner_loc: Some(owner.map_or_else(|| reader.loc(method_key), |o| o.loc)),
            secret: method
                .get("secret")
                .and_then(|s| reader.string(s.get("name"), "spec.bootstrap.secret.name")),
            other_roles_unknown,
            sql,
            creates_owner,
        }
    }
}

/// A CNPG `Database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// `spec.name`: the PostgreSQL database.
    pub name: Option<Spanned<String>>,
    pub owner: Option<Spanned<String>>,
    /// `spec.cluster.name`.
    pub cluster: Option<Spanned<String>>,
    pub ensure: Option<Spanned<String>>,
    pub reclaim_policy: Option<Spanned<String>>,
}

impl Database {
    /// `ensure: absent`: the database is being dropped.
    pub fn is_absent(&self) -> bool {
        self.ensure.as_ref().is_some_and(|e| e.value == "absent")
    }

    pub(crate) fn read(reader: &mut Reader<'_>, root: NodeRef<'_>) -> Database {
        let Some(spec) = reader.mapping(root.get("spec"), "spec") else {
            return Database {
                name: None,
                owner: None,
                cluster: None,
                ensure: None,
                reclaim_policy: None,
            };
        };
        let cluster = reader.mapping(spec.get("cluster"), "spec.cluster");
        let ensure = reader.string(spec.get("ensure"), "spec.ensure");
        let reclaim_policy = reader.string(
            spec.get("databaseReclaimPolicy"),
            "spec.databaseReclaimPolicy",
        );
        Database {
            name: reader.string(spec.get("name"), "spec.name"),
            owner: reader.string(spec.get("owner"), "spec.owner"),
            cluster: cluster.and_then(|c| reader.string(c.get("name"), "spec.cluster.name")),
            ensure,
            reclaim_policy,
        }
    }
}

/// A CNPG object that works on a Cluster named in `spec.cluster.name`: `Pooler`, `Backup`,
/// `ScheduledBackup`. Read leniently: only the reference matters here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUser {
    pub cluster: Option<Spanned<String>>,
}

impl ClusterUser {
    pub(crate) fn read(reader: &Reader<'_>, root: NodeRef<'_>) -> ClusterUser {
        let name = root.path(&["spec", "cluster", "name"]);
        ClusterUser {
            cluster: name.and_then(|node| {
                node.as_str()
                    .map(|text| Spanned::new(text.to_string(), reader.loc(node)))
            }),
        }
    }
}

/// A CNPG `DatabaseRole` (v1.30+): a role managed outside the Cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseRole {
    pub role: Role,
    /// `spec.cluster.name`.
    pub cluster: Option<Spanned<String>>,
}

impl DatabaseRole {
    pub(crate) fn read(reader: &mut Reader<'_>, root: NodeRef<'_>) -> DatabaseRole {
        let spec = reader.mapping(root.get("spec"), "spec");
        let role = match spec {
            Some(spec) => Role::read(reader, spec, "spec", None),
            None => Role::read(reader, root, "spec", None),
        };
        DatabaseRole {
            cluster: spec
                .and_then(|s| s.get("cluster"))
                .and_then(|c| reader.string(c.get("name"), "spec.cluster.name")),
            role,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Spec;
    use crate::model::tests::object;

    #[test]
    fn cluster_roles_and_bootstrap_owner() {
        let obj = object(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg\nspec:\n  bootstrap:\n    initdb:\n      database: gitea\n  managed:\n    roles:\n      - name: gitea_user\n        login: true\n        inherit: false\n        passwordSecret:\n          name: gitea-db-creds\n      - name: admin\n        superuser: yes\n        nme: typo\n",
        );
        let Spec::Cluster(cluster) = &obj.spec else {
            panic!()
        };
        assert_eq!(cluster.bootstrap.owner, "gitea");
        assert_eq!(cluster.bootstrap.database, "gitea");
        assert_eq!(cluster.roles.len(), 2);
        let gitea = cluster.role("gitea_user").unwrap();
        assert!(gitea.can_login());
        assert_eq!(gitea.inherit.as_ref().map(|i| i.value), Some(false));
        assert_eq!(
            gitea.password_secret.as_ref().unwrap().value,
            "gitea-db-creds"
        );
        let admin = cluster.role("admin").unwrap();
        assert_eq!(
            admin.privileges().map(|(f, _)| f).collect::<Vec<_>>(),
            ["superuser"]
        );
        // `superuser: yes` is a problem only once kustomize writes it.
        let (after_kustomize, problems): (Vec<_>, Vec<_>) =
            obj.shape_problems.iter().partition(|p| p.after_kustomize);
        assert_eq!(after_kustomize.len(), 1);
        // The misspelt field is the schema's to report, not the reader's.
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            obj.schema
                .iter()
                .any(|v| v.suggestion.as_deref() == Some("name")),
            "{:?}",
            obj.schema
        );
    }

    #[test]
    fn database_wrong_types_are_shape_problems() {
        let obj = object(
            "apiVersion: postgresql.cnpg.io/v1\nkind: Database\nmetadata:\n  name: db\nspec:\n  name: app\n  owner: [a]\n  cluster: 7\n  ensure: gone\n",
        );
        let Spec::Database(db) = &obj.spec else {
            panic!()
        };
        assert!(db.owner.is_none());
        assert!(db.cluster.is_none());
        let messages: Vec<_> = obj
            .shape_problems
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "`spec.cluster` must be a mapping, found an integer",
                "`spec.owner` must be a string, found a list",
            ]
        );
        // `ensure: gone` is the CRD's enum to refuse.
        assert!(
            obj.schema.iter().any(|v| v.path == "spec.ensure"),
            "{:?}",
            obj.schema
        );
    }
}
