//! Builds [`Document`]s from saphyr's event stream, iteratively and within [`Limits`].

use saphyr_parser::{Event, Parser, ScalarStyle as EventStyle, Span as EventSpan, Tag};

use super::tree::{Document, Node, NodeId, NodeKind, Scalar, ScalarStyle};
use crate::hash::HashMap;
use crate::source::Span;

/// Bounds on what one file may cost. Reaching one is a finding, never a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting depth of mappings and sequences.
    pub max_depth: usize,
    /// Documents in one file; later documents are not read.
    pub max_documents: usize,
    /// Nodes in one file, all documents together.
    pub max_nodes: usize,
    /// Alias nodes (`*name`) in one file.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 200,
            max_documents: 10_000,
            max_nodes: 2_000_000,
            max_aliases: 10_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlProblemKind {
    /// The text is not valid YAML; nothing after this point was read.
    Syntax { message: String },
    /// A mapping repeats a key; `first` is where it appeared first.
    DuplicateKey { key: String, first: Span },
    /// A [`Limits`] bound was reached; nothing after this point was read.
    Limit { message: String },
}

impl YamlProblemKind {
    /// A one-line description.
    pub fn message(&self) -> String {
        match self {
            YamlProblemKind::Syntax { message } | YamlProblemKind::Limit { message } => {
                message.clone()
            }
            YamlProblemKind::DuplicateKey { key, .. } => format!("duplicate key `{key}`"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    pub kind: YamlProblemKind,
    pub span: Span,
}

/// The documents of one file and what went wrong while reading them.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub documents: Vec<Document>,
    pub problems: Vec<YamlProblem>,
    /// Set when a syntax error or a limit stopped the parse: the byte offset where the text
    /// that did not become a complete document starts (the end of the last complete one).
    /// Nothing is known about the structure of the text from there on.
    pub unparsed_from: Option<usize>,
    /// Aliases (`*name`) to an anchor of an earlier document: YAML scopes anchors to their
    /// document, so readers that take one document at a time (kustomize, Kubernetes) refuse
    /// the file. Each is read as an empty value here.
    pub foreign_aliases: Vec<Span>,
}

/// Parses every document of `text`. Never panics; a syntax error or a limit stops the file
/// there, keeping the documents completed before it.
pub fn parse(text: &str, limits: &Limits) -> ParsedFile {
    let mut builder = Builder::new(text, limits);
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => match builder.event(event, span) {
                Flow::Continue => {}
                Flow::Stop => break,
            },
            Some(Err(error)) => {
                let at = builder.positions.byte(error.marker().index());
                let (kind, at) = match error.info() {
                    // saphyr counts flow levels in a `u8`; deeper flow nesting is a limit.
                    "recursion limit exceeded" => (
                        YamlProblemKind::Limit {
                            message: builder.depth_message(FLOW_DEPTH_LIMIT),
                        },
                        at,
                    ),
                    info => {
                        let at = if info.contains("tab") {
                            tab_before(text, at)
                        } else {
                            at
                        };
                        (
                            YamlProblemKind::Syntax {
                                message: info.to_string(),
                            },
                            at,
                        )
                    }
                };
                builder.stop(kind, Span::new(at, at));
                break;
            }
        }
    }
    builder.finish()
}

enum Flow {
    Continue,
    Stop,
}

/// saphyr stops at this many nested flow collections (`[[[…` or `{{{…`), whatever the limit.
const FLOW_DEPTH_LIMIT: usize = 255;

/// saphyr reports a tab after the tab; point at the first tab of the whitespace run instead.
fn tab_before(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let at = at.min(bytes.len());
    let start = bytes[..at]
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    bytes[start..at]
        .iter()
        .position(|&b| b == b'\t')
        .map_or(at, |i| start + i)
}

/// An open collection. Its children wait on the builder's shared `items`/`pairs` stacks from
/// `first` on, and move into one exactly-sized `Vec` when it closes: no per-collection growth.
enum Frame {
    Sequence {
        id: NodeId,
        first: usize,
    },
    Mapping {
        id: NodeId,
        first: usize,
        pending_key: Option<NodeId>,
        /// Key text → key span, built once the mapping is large enough to need it.
        key_index: Option<HashMap<String, Span>>,
    },
}

/// Past this many keys a mapping indexes its keys instead of scanning them.
const LINEAR_KEY_SCAN: usize = 16;

struct Builder<'t> {
    limits: &'t Limits,
    positions: Positions<'t>,
    file: ParsedFile,
    doc: Option<Document>,
    stack: Vec<Frame>,
    /// Children of the open sequences, innermost last (see [`Frame`]).
    items: Vec<NodeId>,
    /// Key/value pairs of the open mappings, innermost last (see [`Frame`]).
    pairs: Vec<(NodeId, NodeId)>,
    anchors: HashMap<usize, NodeId>,
    nodes_in_file: usize,
    aliases_in_file: usize,
    /// End of the last complete document.
    complete_end: usize,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, limits: &'t Limits) -> Self {
        Builder {
            limits,
            positions: Positions::new(text),
            file: ParsedFile::default(),
            doc: None,
            stack: Vec::new(),
            items: Vec::new(),
            pairs: Vec::new(),
            anchors: HashMap::default(),
            nodes_in_file: 0,
            aliases_in_file: 0,
            complete_end: 0,
        }
    }

    fn finish(self) -> ParsedFile {
        self.file
    }

    fn stop(&mut self, kind: YamlProblemKind, span: Span) -> Flow {
        self.file.problems.push(YamlProblem { kind, span });
        self.file.unparsed_from.get_or_insert(self.complete_end);
        self.doc = None;
        self.stack.clear();
        self.items.clear();
        self.pairs.clear();
        Flow::Stop
    }

    /// The depth limit's message; flow collections cannot nest deeper than saphyr's own bound.
    fn depth_message(&self, reached: usize) -> String {
        format!(
            "nesting deeper than {} levels; the rest of the file was not read",
            self.limits.max_depth.min(reached)
        )
    }

    fn limit(&mut self, message: String, span: Span) -> Flow {
        self.stop(YamlProblemKind::Limit { message }, span)
    }

    fn event(&mut self, event: Event<'_>, span: EventSpan) -> Flow {
        let span = self.positions.span(span);
        match event {
            Event::DocumentStart(_) => {
                if self.file.documents.len() >= self.limits.max_documents {
                    return self.limit(
                        format!(
                            "file has more than {} documents; the rest were not read",
                            self.limits.max_documents
                        ),
                        span,
                    );
                }
                self.doc = Some(Document::default());
                self.anchors.clear();
                Flow::Continue
            }
            Event::DocumentEnd => {
                if let Some(doc) = self.doc.take() {
                    self.file.documents.push(doc);
                }
                self.complete_end = self.complete_end.max(span.end());
                Flow::Continue
            }
            Event::Scalar(text, style, anchor, tag) => {
                let kind = NodeKind::Scalar(Scalar {
                    text: text.into_owned(),
                    style: convert_style(style),
                });
                let span = trim_trailing_whitespace(self.positions.text, span);
                self.leaf(kind, span, anchor, tag.as_deref())
            }
            Event::Alias(anchor) => {
                self.aliases_in_file += 1;
                if self.aliases_in_file > self.limits.max_aliases {
                    return self.limit(
                        format!(
                            "file has more than {} aliases; the rest was not read",
                            self.limits.max_aliases
                        ),
                        span,
                    );
                }
                let kind = match self.anchors.get(&anchor) {
                    Some(&target) => NodeKind::Alias(target),
                    None => {
                        self.file.foreign_aliases.push(span);
                        NodeKind::Scalar(Scalar {
                            text: String::new(),
                            style: ScalarStyle::Plain,
                        })
                    }
                };
                self.leaf(kind, span, 0, None)
            }
            Event::SequenceStart(anchor, tag) => {
                let first = self.items.len();
                self.open(span, anchor, tag.as_deref(), |id| Frame::Sequence {
                    id,
                    first,
                })
            }
            Event::MappingStart(anchor, tag) => {
                let first = self.pairs.len();
                self.open(span, anchor, tag.as_deref(), |id| Frame::Mapping {
                    id,
                    first,
                    pending_key: None,
                    key_index: None,
                })
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Flow::Continue,
        }
    }

    fn new_node(
        &mut self,
        kind: NodeKind,
        span: Span,
        anchor: usize,
        tag: Option<&Tag>,
    ) -> Option<NodeId> {
        let doc = self.doc.as_mut()?;
        let id = doc.nodes.len() as NodeId;
        doc.nodes.push(Node {
            kind,
            span,
            tag: tag.map(tag_text),
        });
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        Some(id)
    }

    fn count_node(&mut self, span: Span) -> Option<Flow> {
        self.nodes_in_file += 1;
        (self.nodes_in_file > self.limits.max_nodes).then(|| {
            self.limit(
                format!(
                    "file has more than {} YAML nodes; the rest was not read",
                    self.limits.max_nodes
                ),
                span,
            )
        })
    }

    fn leaf(&mut self, kind: NodeKind, span: Span, anchor: usize, tag: Option<&Tag>) -> Flow {
        if let Some(stop) = self.count_node(span) {
            return stop;
        }
        let Some(id) = self.new_node(kind, span, anchor, tag) else {
            return Flow::Continue;
        };
        self.attach(id)
    }

    fn open(
        &mut self,
        span: Span,
        anchor: usize,
        tag: Option<&Tag>,
        frame: impl FnOnce(NodeId) -> Frame,
    ) -> Flow {
        if let Some(stop) = self.count_node(span) {
            return stop;
        }
        if self.stack.len() >= self.limits.max_depth {
            return self.limit(self.depth_message(self.limits.max_depth), span);
        }
        let placeholder = NodeKind::Sequence(Vec::new());
        let Some(id) = self.new_node(placeholder, span, anchor, tag) else {
            return Flow::Continue;
        };
        self.stack.push(frame(id));
        Flow::Continue
    }

    fn close(&mut self, end_token: Span) -> Flow {
        let Some(frame) = self.stack.pop() else {
            return Flow::Continue;
        };
        let (id, kind, last_child) = match frame {
            Frame::Sequence { id, first } => {
                let items = self.items.split_off(first);
                let last = items.last().copied();
                (id, NodeKind::Sequence(items), last)
            }
            Frame::Mapping { id, first, .. } => {
                let pairs = self.pairs.split_off(first);
                let last = pairs.last().map(|&(_, v)| v);
                (id, NodeKind::Mapping(pairs), last)
            }
        };
        let Some(doc) = self.doc.as_mut() else {
            return Flow::Continue;
        };
        // Flow collections end with their `]` or `}`; block collections end where their last
        // child ends, not at the next token.
        let closing = self.positions.text.get(end_token.range());
        let end = if closing.is_some_and(|t| t.starts_with([']', '}'])) {
            end_token.end()
        } else {
            last_child.map_or(doc.nodes[id as usize].span.end(), |child| {
                doc.nodes[child as usize].span.end()
            })
        };
        let node = &mut doc.nodes[id as usize];
        node.kind = kind;
        node.span = Span::new(node.span.start(), node.span.end().max(end));
        self.attach(id)
    }

    fn attach(&mut self, id: NodeId) -> Flow {
        let Some(doc) = self.doc.as_mut() else {
            return Flow::Continue;
        };
        match self.stack.last_mut() {
            None => doc.root = Some(id),
            Some(Frame::Sequence { .. }) => self.items.push(id),
            Some(Frame::Mapping {
                first,
                pending_key,
                key_index,
                ..
            }) => match pending_key.take() {
                None => {
                    let pairs = &self.pairs[*first..];
                    if let Some(problem) = duplicate_key(doc, pairs, key_index, id) {
                        self.file.problems.push(problem);
                    }
                    *pending_key = Some(id);
                }
                Some(key) => self.pairs.push((key, id)),
            },
        }
        Flow::Continue
    }
}

/// Reports `key` when the mapping already has a scalar key with the same text.
fn duplicate_key(
    doc: &Document,
    pairs: &[(NodeId, NodeId)],
    key_index: &mut Option<HashMap<String, Span>>,
    key: NodeId,
) -> Option<YamlProblem> {
    let node = doc.node(key);
    let NodeKind::Scalar(scalar) = &node.kind else {
        return None;
    };
    if scalar.style == ScalarStyle::Plain && scalar.text == "<<" {
        return None;
    }
    let scalar_key = |id: NodeId| match &doc.node(id).kind {
        NodeKind::Scalar(s) => Some((s.text.as_str(), doc.node(id).span)),
        _ => None,
    };
    let first = if pairs.len() < LINEAR_KEY_SCAN {
        pairs
            .iter()
            .filter_map(|&(k, _)| scalar_key(k))
            .find(|(text, _)| *text == scalar.text)
            .map(|(_, span)| span)
    } else {
        let index = key_index.get_or_insert_with(|| {
            let mut index = HashMap::with_capacity_and_hasher(pairs.len() * 2, Default::default());
            for (text, span) in pairs.iter().filter_map(|&(k, _)| scalar_key(k)) {
                index.entry(text.to_string()).or_insert(span);
            }
            index
        });
        match index.get(&scalar.text) {
            Some(&span) => Some(span),
            None => {
                index.insert(scalar.text.clone(), node.span);
                None
            }
        }
    };
    first.map(|first| YamlProblem {
        kind: YamlProblemKind::DuplicateKey {
            key: scalar.text.clone(),
            first,
        },
        span: node.span,
    })
}

fn tag_text(tag: &Tag) -> Box<str> {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix).into()
    } else {
        format!("{}{}", tag.handle, tag.suffix).into()
    }
}

fn convert_style(style: EventStyle) -> ScalarStyle {
    match style {
        EventStyle::Plain => ScalarStyle::Plain,
        EventStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        EventStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        EventStyle::Literal => ScalarStyle::Literal,
        EventStyle::Folded => ScalarStyle::Folded,
    }
}

/// Block scalars end after their final line break; underline the text only.
fn trim_trailing_whitespace(text: &str, span: Span) -> Span {
    let slice = text.get(span.range()).unwrap_or("");
    let trimmed = slice.trim_end_matches([' ', '\t', '\r', '\n']);
    Span::new(span.start(), span.start() + trimmed.len())
}

/// Converts saphyr's character indices to byte offsets. Events arrive almost in order, so a
/// cursor that walks from the last position keeps this linear for non-ASCII text.
struct Positions<'t> {
    text: &'t str,
    ascii: bool,
    char_index: usize,
    byte_index: usize,
}

impl<'t> Positions<'t> {
    fn new(text: &'t str) -> Self {
        Positions {
            text,
            ascii: text.is_ascii(),
            char_index: 0,
            byte_index: 0,
        }
    }

    fn span(&mut self, span: EventSpan) -> Span {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index());
        Span::new(start, end)
    }

    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        while self.char_index < char_index && self.byte_index < self.text.len() {
            let c = self.text[self.byte_index..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
            self.byte_index += c;
            self.char_index += 1;
        }
        while self.char_index > char_index && self.byte_index > 0 {
            self.byte_index -= 1;
            while !self.text.is_char_boundary(self.byte_index) {
                self.byte_index -= 1;
            }
            self.char_index -= 1;
        }
        self.byte_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> ParsedFile {
        let parsed = parse(text, &Limits::default());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        parsed
    }

    #[test]
    fn spans_point_at_values() {
        let text = "metadata:\n  name: gitea-db\n  annotations:\n    a: \"0\"\n";
        let parsed = parse_ok(text);
        let root = parsed.documents[0].root().unwrap();
        let name = root.path(&["metadata", "name"]).unwrap();
        assert_eq!(&text[name.span().range()], "gitea-db");
        let a = root.path(&["metadata", "annotations", "a"]).unwrap();
        assert_eq!(&text[a.span().range()], "\"0\"");
        assert_eq!(a.scalar().unwrap().style, ScalarStyle::DoubleQuoted);
    }

    #[test]
    fn multi_document_files() {
        let parsed = parse_ok("---\na: 1\n---\nb: 2\n...\n---\n- x\n");
        assert_eq!(parsed.documents.len(), 3);
        assert!(parsed.documents[2].root().unwrap().is_sequence());
    }

    #[test]
    fn duplicate_keys_point_at_the_second() {
        let text = "a: 1\nb: 2\na: 3\n";
        let parsed = parse(text, &Limits::default());
        assert_eq!(parsed.problems.len(), 1);
        let problem = &parsed.problems[0];
        assert_eq!(problem.span, Span::new(10, 11));
        assert!(matches!(
            &problem.kind,
            YamlProblemKind::DuplicateKey { key, first } if key == "a" && *first == Span::new(0, 1)
        ));
    }

    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut text: String = (0..40).map(|i| format!("k{i}: v\n")).collect();
        text.push_str("k7: again\n");
        let parsed = parse(&text, &Limits::default());
        assert_eq!(parsed.problems.len(), 1);
    }

    #[test]
    fn syntax_error_keeps_earlier_documents() {
        let parsed = parse("a: 1\n---\nb: [1, 2\n", &Limits::default());
        assert_eq!(parsed.documents.len(), 1);
        assert!(matches!(
            parsed.problems[0].kind,
            YamlProblemKind::Syntax { .. }
        ));
    }

    #[test]
    fn an_alias_to_another_documents_anchor_is_exposed() {
        let text = "a: &d 1\nb: *d\n---\nc: *d\n";
        let parsed = parse_ok(text);
        assert_eq!(parsed.foreign_aliases, [Span::new(21, 23)]);
        assert_eq!(&text[21..23], "*d");
    }

    #[test]
    fn aliases_and_merge_keys_resolve_without_copying() {
        let text = "base: &b\n  x: 1\n  y: 2\nderived:\n  <<: *b\n  y: 3\n";
        let parsed = parse_ok(text);
        let derived = parsed.documents[0].root().unwrap().get("derived").unwrap();
        assert_eq!(derived.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(derived.get("y").unwrap().as_str(), Some("3"));
        assert_eq!(derived.entries().len(), 2);
    }

    #[test]
    fn entries_keep_the_first_of_repeated_keys_in_small_and_large_mappings() {
        for size in [3, 16, 17, 40] {
            let mut text = String::from("m:\n  <<: {k0: merged, extra: x}\n");
            for i in 0..size {
                text.push_str(&format!("  k{i}: v{i}\n"));
            }
            text.push_str("  k1: again\n");
            let parsed = parse(&text, &Limits::default());
            let m = parsed.documents[0].root().unwrap().get("m").unwrap();
            let entries = m.entries();
            let keys: Vec<&str> = entries.iter().filter_map(|(k, _)| k.as_str()).collect();
            let mut expected: Vec<String> = (0..size).map(|i| format!("k{i}")).collect();
            expected.push("extra".into());
            assert_eq!(keys, expected, "{size} keys");
            assert_eq!(m.get("k0").unwrap().as_str(), Some("v0"));
            assert_eq!(entries[1].1.as_str(), Some("v1"));
        }
    }

    #[test]
    fn merge_key_bombs_stay_bounded() {
        let mut text = String::from("a0: &a0 {x: 1}\n");
        for i in 1..30 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!(
                "a{i}: &a{i} {{<<: [{prev}, {prev}, {prev}, {prev}]}}\n"
            ));
        }
        let parsed = parse_ok(&text);
        let last = parsed.documents[0].root().unwrap().get("a29").unwrap();
        assert_eq!(last.get("x").unwrap().as_str(), Some("1"));
    }

    #[test]
    fn depth_limit_is_a_problem_not_a_crash() {
        let text: String = (0..500).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let parsed = parse(&text, &Limits::default());
        assert!(matches!(
            parsed.problems[0].kind,
            YamlProblemKind::Limit { .. }
        ));
    }

    #[test]
    fn flow_nesting_past_the_parser_bound_is_a_limit() {
        let text = format!("a: {}", "[".repeat(100_000));
        let parsed = parse(&text, &Limits::default());
        assert!(matches!(
            &parsed.problems[..],
            [YamlProblem { kind: YamlProblemKind::Limit { message }, .. }]
                if message.starts_with("nesting deeper than 200 levels")
        ));
        assert_eq!(parsed.unparsed_from, Some(0));
    }

    #[test]
    fn tab_errors_point_at_the_tab() {
        let parsed = parse("kind: x\nmetadata:\n\tname: x\n", &Limits::default());
        assert_eq!(parsed.problems[0].span, Span::new(18, 18));
    }

    #[test]
    fn flow_collections_end_with_their_bracket() {
        let text = "a: [1, 2]\nb: {c: d}\n";
        let parsed = parse_ok(text);
        let root = parsed.documents[0].root().unwrap();
        assert_eq!(&text[root.get("a").unwrap().span().range()], "[1, 2]");
        assert_eq!(&text[root.get("b").unwrap().span().range()], "{c: d}");
    }

    #[test]
    fn unparsed_text_starts_after_the_last_complete_document() {
        let text = "a: 1\n---\nb: [\n";
        let parsed = parse(text, &Limits::default());
        assert_eq!(parsed.documents.len(), 1);
        let from = parsed.unparsed_from.unwrap();
        assert!(
            from >= "a: 1".len() && from <= text.find("b:").unwrap(),
            "{from}"
        );
        assert_eq!(parse_ok("a: 1\n").unparsed_from, None);
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "é: ü\nname: x\n";
        let parsed = parse_ok(text);
        let name = parsed.documents[0].root().unwrap().get("name").unwrap();
        assert_eq!(&text[name.span().range()], "x");
    }

    #[test]
    fn tags_are_kept() {
        let parsed = parse_ok("a: !!str 0\nb: !vault x\n");
        let root = parsed.documents[0].root().unwrap();
        assert_eq!(root.get("a").unwrap().tag(), Some("!!str"));
        assert_eq!(root.get("b").unwrap().tag(), Some("!vault"));
    }
}
