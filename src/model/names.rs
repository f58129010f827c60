//! PostgreSQL role and database names: what a name names, which names are reserved, which
//! are no valid identifier.

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A `spec.managed.roles[]` entry.
    ManagedRole,
    /// A `DatabaseRole`'s `spec.name`.
    DatabaseRole,
    /// A `Database`'s `spec.name`.
    Database,
}

impl NameKind {
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::ManagedRole | NameKind::DatabaseRole => "role",
            NameKind::Database => "database",
        }
    }

    /// The field path of a declared `name` of this kind: a finding's subject (a managed
    /// role's entry is named by its `name`).
    pub fn field_path(self, name: &str) -> String {
        match self {
            NameKind::ManagedRole => format!("spec.managed.roles[{name}].name"),
            NameKind::DatabaseRole | NameKind::Database => "spec.name".to_string(),
        }
    }
}

/// Why a name is reserved, if it is.
pub fn reserved(kind: NameKind, name: &str) -> Option<&'static str> {
    match kind {
        NameKind::ManagedRole | NameKind::DatabaseRole => match name {
            "postgres" => Some("the superuser"),
            "streaming_replica" => Some("CNPG's replication user"),
            _ if name.starts_with("pg_") => {
                Some("`pg_*` names belong to PostgreSQL's built-in roles")
            }
            _ if name.starts_with("cnpg_") => Some("`cnpg_*` names belong to the operator"),
            _ => None,
        },
        NameKind::Database => match name {
            "postgres" => Some("the maintenance database"),
            "template0" | "template1" => Some("a template database"),
            _ => None,
        },
    }
}

/// PostgreSQL's NAMEDATALEN − 1.
pub const MAX_BYTES: usize = 63;

/// Why a name is no valid PostgreSQL identifier, if it is not.
pub fn invalid(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("is empty".to_string())
    } else if name.len() > MAX_BYTES {
        Some(format!(
            "is {} bytes long; PostgreSQL truncates names to {MAX_BYTES} bytes",
            name.len()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{NameKind, invalid, reserved};

    #[test]
    fn reserved_names_follow_cnpg() {
        for role in [
            "postgres",
            "streaming_replica",
            "pg_monitor",
            "cnpg_pooler_pgbouncer",
        ] {
            assert!(reserved(NameKind::ManagedRole, role).is_some(), "{role}");
        }
        for role in ["app", "Postgres", "pgadmin", "gitea_user", "template1"] {
            assert!(reserved(NameKind::DatabaseRole, role).is_none(), "{role}");
        }
        for db in ["postgres", "template0", "template1"] {
            assert!(reserved(NameKind::Database, db).is_some(), "{db}");
        }
        for db in ["app", "pg_data", "streaming_replica"] {
            assert!(reserved(NameKind::Database, db).is_none(), "{db}");
        }
    }

    #[test]
    fn counts_bytes_not_characters() {
        assert!(invalid("").is_some());
        assert!(invalid(&"a".repeat(63)).is_none());
        assert!(invalid(&"a".repeat(64)).is_some());
        // 32 two-byte characters: 64 bytes.
        assert!(invalid(&"ü".repeat(32)).is_some());
        assert!(invalid(&"ü".repeat(31)).is_none());
    }
}
