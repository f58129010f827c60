//! Stage 2: YAML with positions.
//!
//! [`parse`] turns one file's text into [`Document`]s: an arena of nodes, each with its byte
//! span, scalar style and tag, plus the problems met on the way (syntax errors, duplicate keys,
//! limits). Aliases are kept as references and never expanded, so alias bombs cost nothing.
//! [`directives`] finds pglint's own comments, which the parser drops.

mod directives;
mod parse;
mod tree;
pub mod yaml11;

pub use directives::{Directive, directives};
pub use parse::{Limits, ParsedFile, YamlProblem, YamlProblemKind, parse};
pub use tree::{Document, DocumentBuilder, Node, NodeId, NodeKind, NodeRef, Scalar, ScalarStyle};
