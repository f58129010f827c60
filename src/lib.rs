//! pglint: lints a GitOps repository that gives applications a PostgreSQL role and database on
//! a shared CloudNativePG cluster.
//!
//! Data flows one way, one module per stage:
//! [`discover`] files → [`yaml`] (parse with spans) → [`model`] (typed Kubernetes objects) →
//! [`index`] (cross-references) → [`rules`] → [`report`].

pub mod source;
pub mod yaml;
pub mod model;
pub mod cert;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod project;
pub mod index;
pub mod rules;
pub mod lint;
pub mod report;
