//! Hash maps and sets keyed by the repository's names and paths.
//!
//! `foldhash` instead of the standard SipHash: several times faster on short strings, and still
//! seeded per process, so a repository crafted to collide cannot make lookups quadratic.

pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
