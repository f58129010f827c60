//! The node arena of one YAML document and a read-only cursor over it.

use crate::hash::HashSet;
use crate::source::{FileId, Span};

pub type NodeId = u32;

/// How a scalar was written; Kubernetes' YAML 1.1 typing depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    pub style: ScalarStyle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Scalar(Scalar),
    Sequence(Vec<NodeId>),
    Mapping(Vec<(NodeId, NodeId)>),
    /// An alias, pointing at the anchored node. Never expanded in place.
    Alias(NodeId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    /// The tag as written (`!!str`, `!vault`, …), if any.
    pub tag: Option<Box<str>>,
}

/// One YAML document: its nodes and the root.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: Option<NodeId>,
    /// The file of each node, for a document assembled from several files (a kustomize
    /// patch merged into an object); empty when every node is the parsed file's own.
    pub(crate) files: Vec<FileId>,
}

/// Assembles a [`Document`] node by node, each node from a file of its own (children before
/// their parent).
#[derive(Debug, Default)]
pub struct DocumentBuilder {
    doc: Document,
}

impl DocumentBuilder {
    pub fn node(
        &mut self,
        kind: NodeKind,
        tag: Option<Box<str>>,
        file: FileId,
        span: Span,
    ) -> NodeId {
        let id = self.doc.nodes.len() as NodeId;
        self.doc.nodes.push(Node { kind, span, tag });
        self.doc.files.push(file);
        id
    }

    pub fn finish(mut self, root: NodeId) -> Document {
        self.doc.root = Some(root);
        self.doc
    }
}

/// How far aliases and merge keys are followed when reading. Keeps a crafted document from
/// sending a lookup around a cycle or through an exponential merge chain.
const MAX_INDIRECTION: usize = 64;

/// How many mappings one lookup may visit through merge keys: a "billion laughs" built from
/// `<<` would otherwise make a single lookup exponential.
const MAX_MERGED_MAPPINGS: usize = 1_000;

impl Document {
    pub fn root(&self) -> Option<NodeRef<'_>> {
        self.root.map(|id| NodeRef::new(self, id))
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// A cursor on a node, aliases resolved.
    pub fn resolve(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef::new(self, id)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

/// A cursor on a node with aliases resolved. Cheap to copy.
#[derive(Clone, Copy)]
pub struct NodeRef<'d> {
    doc: &'d Document,
    id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeRef")
            .field("id", &self.id)
            .field("span", &self.span())
            .finish()
    }
}

impl<'d> NodeRef<'d> {
    fn new(doc: &'d Document, mut id: NodeId) -> Self {
        for _ in 0..MAX_INDIRECTION {
            match doc.node(id).kind {
                NodeKind::Alias(target) => id = target,
                _ => break,
            }
        }
        NodeRef { doc, id }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    /// A node of the same document as written (an alias stays an alias).
    pub fn node_of(&self, id: NodeId) -> &'d Node {
        self.doc.node(id)
    }

    /// Another node of the same document, aliases resolved.
    pub fn resolve(&self, id: NodeId) -> NodeRef<'d> {
        NodeRef::new(self.doc, id)
    }

    pub fn node(&self) -> &'d Node {
        self.doc.node(self.id)
    }

    pub fn span(&self) -> Span {
        self.node().span
    }

    /// The node's file when the document was assembled from several ([`DocumentBuilder`]).
    pub fn file(&self) -> Option<FileId> {
        self.doc.files.get(self.id as usize).copied()
    }

    pub fn tag(&self) -> Option<&'d str> {
        self.node().tag.as_deref()
    }

    pub fn scalar(&self) -> Option<&'d Scalar> {
        match &self.node().kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// True for an explicit or implicit null (`~`, `null`, nothing at all).
    pub fn is_null(&self) -> bool {
        self.scalar()
            .is_some_and(|s| s.style == ScalarStyle::Plain && super::yaml11::is_null(&s.text))
            && self.tag().is_none_or(|t| t == "!!null")
    }

    /// The text of a non-null scalar.
    pub fn as_str(&self) -> Option<&'d str> {
        if self.is_null() {
            return None;
        }
        self.scalar().map(|s| s.text.as_str())
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.node().kind, NodeKind::Mapping(_))
    }

    pub fn is_sequence(&self) -> bool {
        matches!(self.node().kind, NodeKind::Sequence(_))
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(self) -> impl Iterator<Item = NodeRef<'d>> + 'd {
        let doc = self.doc;
        let ids: &'d [NodeId] = match &self.node().kind {
            NodeKind::Sequence(items) => items,
            _ => &[],
        };
        ids.iter().map(move |&id| NodeRef::new(doc, id))
    }

    /// The entries of a mapping, with YAML merge keys (`<<`) applied: own keys first, then
    /// merged keys that the mapping does not set itself. A repeated scalar key keeps its first
    /// value.
    pub fn entries(&self) -> Vec<(NodeRef<'d>, NodeRef<'d>)> {
        let mut entries = Entries::default();
        let mut budget = MAX_MERGED_MAPPINGS;
        self.collect_entries(&mut entries, 0, &mut budget);
        entries.out
    }

    fn collect_entries(&self, entries: &mut Entries<'d>, depth: usize, budget: &mut usize) {
        let NodeKind::Mapping(pairs) = &self.node().kind else {
            return;
        };
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let mut merges = Vec::new();
        for &(k, v) in pairs {
            let key = NodeRef::new(self.doc, k);
            let value = NodeRef::new(self.doc, v);
            if key.is_merge_key() {
                merges.push(value);
            } else {
                entries.insert(key, value);
            }
        }
        if depth >= MAX_INDIRECTION {
            return;
        }
        for merged in merges {
            if merged.is_sequence() {
                for item in merged.items() {
                    item.collect_entries(entries, depth + 1, budget);
                }
            } else {
                merged.collect_entries(entries, depth + 1, budget);
            }
        }
    }

    fn is_merge_key(&self) -> bool {
        self.scalar()
            .is_some_and(|s| s.style == ScalarStyle::Plain && s.text == "<<")
    }

    /// Looks a key up in a mapping (merge keys included).
    pub fn get(&self, key: &str) -> Option<NodeRef<'d>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// Like [`NodeRef::get`], also returning the key node (to point at the key).
    pub fn get_entry(&self, key: &str) -> Option<(NodeRef<'d>, NodeRef<'d>)> {
        if let NodeKind::Mapping(pairs) = &self.node().kind {
            // Fast path: direct keys, no allocation.
            for &(k, v) in pairs {
                let k = NodeRef::new(self.doc, k);
                if k.scalar().is_some_and(|s| s.text == key) && !k.is_merge_key() {
                    return Some((k, NodeRef::new(self.doc, v)));
                }
            }
            if pairs
                .iter()
                .any(|&(k, _)| NodeRef::new(self.doc, k).is_merge_key())
            {
                return self
                    .entries()
                    .into_iter()
                    .find(|(k, _)| k.scalar().is_some_and(|s| s.text == key));
            }
        }
        None
    }

    /// Follows a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<NodeRef<'d>> {
        keys.iter().try_fold(*self, |node, key| node.get(key))
    }

    /// A short name of the node's type, for messages ("a mapping", "a string", …).
    /// The field path of the deepest node under this one that holds `offset`, as a finding's
    /// [subject](crate::diagnostic::Subject) names it: `.key` for mapping entries, `[name]`
    /// for list items with a `name`, else `[index]` (`spec.managed.roles[gitea_user].login`).
    /// Empty when no entry or item holds it.
    pub fn field_path(self, offset: usize) -> String {
        let holds = |node: NodeRef<'_>| {
            let span = node.span();
            span.start() <= offset && offset < span.end().max(span.start() + 1)
        };
        let mut path = String::new();
        let mut current = self;
        // Bounded by the document's depth limit; aliases are not followed into other subtrees.
        for _ in 0..256 {
            let next = match &current.node().kind {
                NodeKind::Mapping(_) => current.entries().into_iter().find_map(|(k, v)| {
                    let (in_key, in_value) = (holds(k), holds(v));
                    if !(in_key || in_value) {
                        return None;
                    }
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k.as_str().unwrap_or("?"));
                    Some(in_value.then_some(v).filter(|_| !in_key))
                }),
                NodeKind::Sequence(_) => current.items().enumerate().find_map(|(i, item)| {
                    holds(item).then(|| {
                        match item.get("name").and_then(|n| n.as_str()) {
                            Some(name) => path.push_str(&format!("[{name}]")),
                            None => path.push_str(&format!("[{i}]")),
                        }
                        Some(item)
                    })
                }),
                _ => None,
            };
            match next {
                Some(Some(child)) => current = child,
                _ => break,
            }
        }
        path
    }

    pub fn type_name(&self) -> &'static str {
        match &self.node().kind {
            NodeKind::Mapping(_) => "a mapping",
            NodeKind::Sequence(_) => "a list",
            NodeKind::Alias(_) => "an alias",
            NodeKind::Scalar(s) => super::yaml11::classify(s, self.tag()).describe(),
        }
    }
}

/// Entries collected in order, each scalar key once. A small mapping is searched; a large one
/// gets a set of its keys, which keeps huge mappings linear.
#[derive(Default)]
struct Entries<'d> {
    out: Vec<(NodeRef<'d>, NodeRef<'d>)>,
    seen: Option<HashSet<&'d str>>,
}

/// Up to this many entries, a repeated key is found by a scan rather than a set.
const LINEAR_ENTRY_SCAN: usize = 16;

impl<'d> Entries<'d> {
    fn insert(&mut self, key: NodeRef<'d>, value: NodeRef<'d>) {
        if let Some(scalar) = key.scalar() {
            let text = scalar.text.as_str();
            let repeated = match &mut self.seen {
                Some(seen) => !seen.insert(text),
                None if self.out.len() < LINEAR_ENTRY_SCAN => self
                    .out
                    .iter()
                    .any(|(k, _)| k.scalar().is_some_and(|s| s.text == text)),
                None => {
                    let mut seen: HashSet<&'d str> = self
                        .out
                        .iter()
                        .filter_map(|(k, _)| k.scalar().map(|s| s.text.as_str()))
                        .collect();
                    let repeated = !seen.insert(text);
                    self.seen = Some(seen);
                    repeated
                }
            };
            if repeated {
                return;
            }
        }
        self.out.push((key, value));
    }
}
