//! pglint: lints a GitOps repository that gives applications a PostgreSQL role and database on
//! a shared CloudNativePG cluster.
//!
//! Data flows one way, one module per stage:
//! [`discover`] files → [`yaml`] (parse with spans) → [`model`] (typed Kubernetes objects) →
//! [`deploy`] (what is applied, where, with provenance) → [`index`] (cross-references over
//! instances) → [`rules`] → [`engine`] (the check pipeline that runs them) → [`report`].

#![forbid(unsafe_code)]

pub mod baseline;
pub mod cert;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod diagnostic;
pub mod discover;
pub mod edit;
pub mod engine;
pub mod fix;
pub mod git;
pub mod hash;
pub mod index;
pub mod model;
pub mod new;
pub mod notices;
pub mod project;
pub mod report;
pub mod rules;
pub mod schema;
pub mod seal;
pub mod source;
pub mod suppress;
pub mod verify;
pub mod write;
pub mod yaml;
