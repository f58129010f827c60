//! Edits of a YAML file that keep everything outside the edited bytes: a value replaced in
//! place, an entry inserted with the indentation (or flow style) of its neighbours, its parent
//! mappings created when absent, whole lines removed. Anything these cannot do without
//! guessing (a value written over several lines, a merge key, an alias) gives no edit: the
//! caller then offers no fix, or a display-only one.

use super::Edit;
use crate::source::{FileId, Loc, Span};
use crate::yaml::{Document, NodeKind, NodeRef, ParsedFile, ScalarStyle};

/// One parsed file and its text: finds nodes by the spans the model kept, and builds edits.
pub struct YamlFile<'a> {
    file: FileId,
    text: &'a str,
    parsed: &'a ParsedFile,
}

impl<'a> YamlFile<'a> {
    pub fn new(file: FileId, text: &'a str, parsed: &'a ParsedFile) -> YamlFile<'a> {
        YamlFile { file, text, parsed }
    }

    pub fn file(&self) -> FileId {
        self.file
    }

    /// The root of the file's `index`th document.
    pub fn document(&self, index: usize) -> Option<NodeRef<'a>> {
        self.parsed.documents.get(index)?.root()
    }

    /// The node the model read at `loc` (a collection before a scalar with the same span).
    pub fn node_at(&self, loc: Loc) -> Option<NodeRef<'a>> {
        if loc.file != self.file {
            return None;
        }
        let document = self
            .parsed
            .documents
            .iter()
            .find(|doc| doc.root().is_some_and(|r| contains(r.span(), loc.span)))?;
        node_with_span(document, loc.span)
    }

    /// Replaces a node's text.
    pub fn replace(&self, node: NodeRef<'_>, content: impl Into<String>) -> Edit {
        Edit::replace(self.loc(node), content)
    }

    /// Sets a scalar to the string `value` in the author's style: quoted as it was (double,
    /// single), plain when `value` reads back as that string unquoted (else double-quoted), a
    /// block scalar (`|`, `>`) kept a block with its header's indicator. Only the scalar's own
    /// bytes change: a comment after it, on its line, stays. The edited file is parsed again
    /// and the scalar must read back as exactly `value`, a string; else `None`.
    pub fn set_string(&self, node: NodeRef<'_>, value: &str) -> Option<Edit> {
        let scalar = node.scalar()?;
        if node.tag().is_some() || node.span().is_empty() {
            return None;
        }
        let start = self.scalar_start(node);
        let (end, content) = match scalar.style {
            ScalarStyle::DoubleQuoted => (self.scalar_end(node)?, double_quoted(value)),
            ScalarStyle::SingleQuoted => {
                let content = if value.chars().any(char::is_control) {
                    double_quoted(value)
                } else {
                    format!("'{}'", value.replace('\'', "''"))
                };
                (self.scalar_end(node)?, content)
            }
            ScalarStyle::Plain => (self.scalar_end(node)?, string(value)),
            ScalarStyle::Literal | ScalarStyle::Folded => {
                if value.contains(['\n', '\r']) || value.is_empty() || value.trim() != value {
                    return None;
                }
                // The node's span is its content; the header (`>-`, `|`) ends the line before.
                let mut header_line = self.line_start(start);
                loop {
                    header_line = self.line_start(header_line.checked_sub(1)?);
                    if !self.text[header_line..self.line_end(header_line)]
                        .trim()
                        .is_empty()
                    {
                        break;
                    }
                }
                let header_end = self.line_end(header_line);
                let line = &self.text[header_line..header_end];
                let code = line.find(" #").unwrap_or(line.len());
                let at = header_line + line[..code].rfind(['|', '>'])?;
                // After the indicator and its chomping and indentation indicators.
                let header = self.text[at + 1..header_end]
                    .find(|c: char| !matches!(c, '-' | '+' | '0'..='9'))
                    .map_or(header_end, |i| at + 1 + i);
                let comment = &self.text[header..header_end];
                let indicator = if scalar.style == ScalarStyle::Literal {
                    "|"
                } else {
                    ">"
                };
                let parent = self.line_indent(header_line);
                let mut end = header_end;
                let mut indent = None;
                let mut next = self.after_line(header_line);
                while next < self.text.len() {
                    let line_end = self.line_end(next);
                    let line = &self.text[next..line_end];
                    let depth = line.len() - line.trim_start_matches(' ').len();
                    if !line.trim().is_empty() {
                        if depth <= parent {
                            break;
                        }
                        indent.get_or_insert(depth);
                        end = line_end;
                    }
                    next = self.after_line(next);
                }
                let indent = indent.unwrap_or(parent + 2);
                let newline = self.newline_at(at);
                let edit = Edit::replace(
                    Loc {
                        file: self.file,
                        span: Span::new(at, end),
                    },
                    format!(
                        "{indicator}-{comment}{newline}{}{value}",
                        " ".repeat(indent)
                    ),
                );
                return self.reads_back(&edit, value).then_some(edit);
            }
        };
        let edit = Edit::replace(
            Loc {
                file: self.file,
                span: Span::new(start, end),
            },
            content,
        );
        self.reads_back(&edit, value).then_some(edit)
    }

    /// Sets the value of `key` in `mapping` to the string `value`, as [`YamlFile::set_string`]
    /// does; an empty value (`key:` alone, maybe with a comment) gets the string after its
    /// colon, and the comment stays.
    pub fn set_entry_string(&self, mapping: NodeRef<'_>, key: &str, value: &str) -> Option<Edit> {
        let (key_node, node) = own_entry(mapping, key)?;
        if !node.span().is_empty() {
            return self.set_string(node, value);
        }
        if node.tag().is_some() || !node.is_null() {
            return None;
        }
        let colon = key_node.span().end() + self.text[key_node.span().end()..].find(':')? + 1;
        let edit = Edit::insert(self.file, colon, format!(" {}", string(value)));
        self.reads_back(&edit, value).then_some(edit)
    }

    /// Where a flow scalar (plain, single- or double-quoted) ends: after its closing quote,
    /// or before the spaces and comment that follow a plain one (a plain one folded over
    /// several lines ends with its last line). `None` for a block scalar.
    fn scalar_end(&self, node: NodeRef<'_>) -> Option<usize> {
        let scalar = node.scalar()?;
        let start = self.scalar_start(node);
        let bytes = self.text.as_bytes();
        match scalar.style {
            ScalarStyle::DoubleQuoted => {
                let mut i = start + 1;
                while *bytes.get(i)? != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                Some(i + 1)
            }
            ScalarStyle::SingleQuoted => {
                let mut i = start + 1;
                loop {
                    match bytes.get(i)? {
                        b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => return Some(i + 1),
                        _ => i += 1,
                    }
                }
            }
            // On one line, a plain scalar's source is its value (in flow style too, where
            // `,`, `]` or `}` follow it).
            ScalarStyle::Plain
                if !scalar.text.contains(['\n', '\r'])
                    && self.text[start..].starts_with(scalar.text.as_str()) =>
            {
                Some(start + scalar.text.len())
            }
            // Folded over several lines: its span ends with its last line's text (a comment
            // would have ended it). Callers check that the edited file reads back.
            ScalarStyle::Plain => {
                let end = node.span().end();
                let source = self.text.get(start..end)?;
                (end > start && source.contains(['\n', '\r']) && !source.contains('#'))
                    .then_some(end)
            }
            ScalarStyle::Literal | ScalarStyle::Folded => None,
        }
    }

    /// Where a scalar's own text starts: after its anchor (`&name `), which stays.
    fn scalar_start(&self, node: NodeRef<'_>) -> usize {
        let mut start = node.span().start();
        while self.text[start..].starts_with('&') {
            let rest = &self.text[start..];
            let name = rest.find([' ', '\t']).unwrap_or(rest.len());
            let blank = rest[name..]
                .find(|c| c != ' ' && c != '\t')
                .unwrap_or(rest.len() - name);
            start += name + blank;
        }
        start
    }

    /// Does the file, with `edit` applied, hold at the edit's start a string scalar `value`?
    fn reads_back(&self, edit: &Edit, value: &str) -> bool {
        let mut text = self.text.to_string();
        text.replace_range(edit.span.range(), &edit.content);
        let parsed = crate::yaml::parse(&text, &crate::yaml::Limits::default());
        if !parsed.problems.is_empty() {
            return false;
        }
        let (start, end) = (edit.span.start(), edit.span.start() + edit.content.len());
        parsed.documents.iter().any(|document| {
            let Some(root) = document.root() else {
                return false;
            };
            let mut stack = vec![root];
            while let Some(node) = stack.pop() {
                // The scalar the edit wrote (its span may start at its anchor, before the edit,
                // or at a block's content, after the header).
                if let Some(scalar) = node.scalar()
                    && node.span().start() < end.max(start + 1)
                    && node.span().end() > start
                {
                    return scalar.text == value
                        && crate::yaml::yaml11::classify(scalar, node.tag())
                            == crate::yaml::yaml11::YamlType::String;
                }
                match &node.node().kind {
                    NodeKind::Mapping(pairs) => stack.extend(
                        pairs
                            .iter()
                            .flat_map(|&(k, v)| [node_ref(node, k), node_ref(node, v)]),
                    ),
                    NodeKind::Sequence(items) => {
                        stack.extend(items.iter().map(|&i| node_ref(node, i)))
                    }
                    _ => {}
                }
            }
            false
        })
    }

    /// The indentation of `offset`'s line (spaces and `- ` of sequence items count).
    fn line_indent(&self, offset: usize) -> usize {
        let line = &self.text[self.line_start(offset)..self.line_end(offset)];
        line.len() - line.trim_start_matches([' ', '-']).len()
    }

    /// Writes a scalar as a double-quoted string of `value` (its tag, if any, stays an issue
    /// of its own: no edit for a tagged scalar).
    pub fn quote(&self, node: NodeRef<'_>, value: &str) -> Option<Edit> {
        if node.tag().is_some() || node.span().is_empty() {
            return None;
        }
        let span = Span::new(self.scalar_start(node), self.scalar_end(node)?);
        let edit = Edit::replace(
            Loc {
                file: self.file,
                span,
            },
            double_quoted(value),
        );
        self.reads_back(&edit, value).then_some(edit)
    }

    /// Inserts `key: value` into `mapping`, after its last entry (block style: same
    /// indentation, on a line of its own; flow style: before the closing brace). `value` is
    /// YAML text on one line (a scalar, or a flow collection).
    pub fn insert_entry(&self, mapping: NodeRef<'_>, key: &str, value: &str) -> Option<Edit> {
        self.insert_path(mapping, &[], key, value)
    }

    /// Inserts `key: value` into the mapping at `path` below `mapping`, creating the missing
    /// mappings of the path (`metadata` → `annotations`). An existing `key` is not replaced:
    /// the caller checks for it first.
    pub fn insert_path(
        &self,
        mapping: NodeRef<'_>,
        path: &[&str],
        key: &str,
        value: &str,
    ) -> Option<Edit> {
        self.insert_entries(mapping, path, &[(key.to_string(), value.to_string())])
    }

    /// [`YamlFile::insert_path`] for several entries at once, in order.
    pub fn insert_entries(
        &self,
        mapping: NodeRef<'_>,
        path: &[&str],
        entries: &[(String, String)],
    ) -> Option<Edit> {
        if entries.is_empty() || !mapping.is_mapping() {
            return None;
        }
        // Walk down the part of the path that exists.
        let mut node = mapping;
        let mut rest = path;
        while let Some((first, tail)) = rest.split_first() {
            let Some(child) = own_value(node, first) else {
                break;
            };
            if child.is_null() && !self.is_flow(node) {
                // `annotations:` with nothing (or only a comment): the entries become its value.
                return self.fill_empty_mapping(node, first, tail, entries);
            }
            if !child.is_mapping() {
                // A scalar where a mapping belongs.
                return None;
            }
            node = child;
            rest = tail;
        }
        if self.is_flow(node) {
            return self.insert_flow(node, rest, entries);
        }
        let indent = self.column(node.span().start())?;
        let step = self.indent_step(node);
        let newline = self.newline_at(node.span().end());
        let mut content = String::new();
        block_entries(&mut content, newline, indent, step, rest, entries);
        Some(Edit::add(
            self.file,
            self.line_end(node.span().end()),
            content,
            "",
        ))
    }

    /// The value of `key` in `mapping` is empty: it becomes the block mapping of `path` (the
    /// mappings still missing) holding `entries`.
    fn fill_empty_mapping(
        &self,
        mapping: NodeRef<'_>,
        key: &str,
        path: &[&str],
        entries: &[(String, String)],
    ) -> Option<Edit> {
        let (span, mut content, indent, newline) = self.empty_value_slot(mapping, key)?;
        let step = self.indent_step(mapping);
        block_entries(&mut content, newline, indent, step, path, entries);
        Some(Edit::replace(
            Loc {
                file: self.file,
                span,
            },
            content,
        ))
    }

    /// Inserts `key: value` right after the entry `after` of a block mapping (`namespace`
    /// after `name`), else after its last entry.
    pub fn insert_after(
        &self,
        mapping: NodeRef<'_>,
        after: &str,
        key: &str,
        value: &str,
    ) -> Option<Edit> {
        let Some((k, v)) = own_entry(mapping, after).filter(|_| !self.is_flow(mapping)) else {
            return self.insert_entry(mapping, key, value);
        };
        if v.scalar().is_none() || self.text[k.span().start()..v.span().end()].contains('\n') {
            return self.insert_entry(mapping, key, value);
        }
        let indent = self.column(k.span().start())?;
        let newline = self.newline_at(v.span().end());
        Some(Edit::add(
            self.file,
            self.line_end(v.span().end()),
            format!("{newline}{}{}: {value}", " ".repeat(indent), string(key)),
            "",
        ))
    }

    /// Inserts into a flow mapping: `{a: b}` → `{a: b, key: value}`.
    fn insert_flow(
        &self,
        node: NodeRef<'_>,
        path: &[&str],
        entries: &[(String, String)],
    ) -> Option<Edit> {
        let span = node.span();
        let close = span.end().checked_sub(1)?;
        if self.text.as_bytes().get(close) != Some(&b'}') {
            return None;
        }
        let mut inner = entries
            .iter()
            .map(|(k, v)| format!("{}: {v}", string(k)))
            .collect::<Vec<_>>()
            .join(", ");
        for segment in path.iter().rev() {
            inner = format!("{}: {{{inner}}}", string(segment));
        }
        let empty = matches!(&node.node().kind, NodeKind::Mapping(pairs) if pairs.is_empty());
        let content = if empty { inner } else { format!(", {inner}") };
        Some(Edit::add(self.file, close, content, ", "))
    }

    /// Removes the entry `key` of a block mapping: its whole lines, comments on them included.
    pub fn remove_entry(&self, mapping: NodeRef<'_>, key: &str) -> Option<Edit> {
        if self.is_flow(mapping) {
            return None;
        }
        let (k, v) = own_entry(mapping, key)?;
        let start = self.line_start(k.span().start());
        // Only the entry on its lines: nothing else may start on the key's line before it.
        if !self.text[start..k.span().start()].trim().is_empty() {
            return None;
        }
        let end = self.after_line(v.span().end().max(k.span().end()));
        Some(Edit::delete(self.file, Span::new(start, end)))
    }

    /// The source text of an entry, `key: value`, when it is on one line (to move it).
    pub fn entry_text(&self, mapping: NodeRef<'_>, key: &str) -> Option<&'a str> {
        let (k, v) = own_entry(mapping, key)?;
        let text = self
            .text
            .get(k.span().start()..v.span().end().max(k.span().end()))?;
        (!text.contains('\n')).then_some(text)
    }

    /// The source text of an entry's value, when it is on one line (to move it).
    pub fn value_text(&self, mapping: NodeRef<'_>, key: &str) -> Option<&'a str> {
        let (_, v) = own_entry(mapping, key)?;
        let text = self.text.get(v.span().range())?;
        (!text.contains('\n') && !text.is_empty()).then_some(text)
    }

    /// The number of entries a mapping sets itself.
    pub fn entry_count(&self, mapping: NodeRef<'_>) -> usize {
        match &mapping.node().kind {
            NodeKind::Mapping(pairs) => pairs.len(),
            _ => 0,
        }
    }

    /// Appends a block mapping as the last item of a block sequence: `lines` are its lines,
    /// indented relative to the item (`name: x`, `passwordSecret:`, `  name: y`).
    pub fn append_block_item(&self, sequence: NodeRef<'_>, lines: &[String]) -> Option<Edit> {
        if !sequence.is_sequence() || self.is_flow(sequence) || lines.is_empty() {
            return None;
        }
        let first = sequence.items().next()?;
        let dash = self.text[..first.span().start()].rfind('-')?;
        let indent = self.column(dash)?;
        let newline = self.newline_at(sequence.span().end());
        let mut content = String::new();
        for (i, line) in lines.iter().enumerate() {
            content.push_str(newline);
            content.push_str(&" ".repeat(indent));
            content.push_str(if i == 0 { "- " } else { "  " });
            content.push_str(line);
        }
        Some(Edit::add(
            self.file,
            self.line_end(sequence.span().end()),
            content,
            "",
        ))
    }

    /// Gives `key` of `mapping`, a list with no item yet (`key: []`, `key:` alone or followed
    /// only by comments, `key: ~`), its first block item (`lines` as for
    /// [`YamlFile::append_block_item`]). A comment on the key's line stays there; comment
    /// lines below it stay below the new item. `None` when the value is not such an empty list.
    pub fn fill_empty_list(
        &self,
        mapping: NodeRef<'_>,
        key: &str,
        lines: &[String],
    ) -> Option<Edit> {
        let (_, value) = mapping.get_entry(key)?;
        let empty_flow =
            value.is_sequence() && value.items().next().is_none() && self.is_flow(value);
        if !(value.is_null() || empty_flow) || lines.is_empty() {
            return None;
        }
        let (span, mut content, indent, newline) = self.empty_value_slot(mapping, key)?;
        for (i, line) in lines.iter().enumerate() {
            content.push_str(newline);
            content.push_str(&" ".repeat(indent));
            content.push_str(if i == 0 { "- " } else { "  " });
            content.push_str(line);
        }
        Some(Edit::replace(
            Loc {
                file: self.file,
                span,
            },
            content,
        ))
    }

    /// Where the block value of `key` goes when its value is empty (null, `[]`, `{}`): the
    /// bytes from after the colon to the end of the key's line (to replace), what of them stays
    /// (a comment), the value's indentation and the line break.
    fn empty_value_slot(
        &self,
        mapping: NodeRef<'_>,
        key: &str,
    ) -> Option<(Span, String, usize, &'static str)> {
        let (key_node, value) = mapping.get_entry(key)?;
        let colon = key_node.span().end() + self.text[key_node.span().end()..].find(':')? + 1;
        let line_end = self.line_end(colon);
        let mut value_span = value.span();
        if self.is_flow(value) {
            // The parser's span of an empty flow collection may run on over a comment.
            let close = self.text[value_span.start()..].find([']', '}'])?;
            value_span = Span::new(value_span.start(), value_span.start() + close + 1);
        }
        // What stays on the key's line: a comment after the value (`[]`, `~`, `null` go).
        let kept_from = if value_span.is_empty() {
            colon
        } else if value_span.start() >= colon && value_span.end() <= line_end {
            value_span.end()
        } else {
            return None;
        };
        let kept = &self.text[kept_from..line_end];
        let content = if kept.trim().is_empty() {
            String::new()
        } else {
            kept.to_string()
        };
        let indent = self.column(key_node.span().start())? + self.indent_step(mapping);
        Some((
            Span::new(colon, line_end),
            content,
            indent,
            self.newline_at(colon),
        ))
    }

    /// Inserts `key:` with a block value (`lines`, indented relative to the key's children)
    /// into the mapping at `path` below `mapping`, creating the missing mappings of the path.
    pub fn insert_block(
        &self,
        mapping: NodeRef<'_>,
        path: &[&str],
        key: &str,
        lines: &[String],
    ) -> Option<Edit> {
        let mut edit = self.insert_path(mapping, path, key, "")?;
        if edit.content.contains(['{', '}']) || !edit.content.ends_with(": ") {
            // A flow mapping on the way: a block value does not fit.
            return None;
        }
        edit.content.truncate(edit.content.len() - 1);
        let newline = if edit.content.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let depth = edit.content.rsplit(newline).next()?.len()
            - edit.content.rsplit(newline).next()?.trim_start().len();
        let step = self.indent_step(mapping);
        for line in lines {
            edit.content.push_str(newline);
            edit.content.push_str(&" ".repeat(depth + step));
            edit.content.push_str(line);
        }
        Some(edit)
    }

    /// Appends several one-line items to a sequence in one edit (each at its sorted place
    /// when the items are plain strings in order, see [`YamlFile::append_item`]).
    pub fn append_items(&self, sequence: NodeRef<'_>, items: &[String]) -> Vec<Edit> {
        let mut edits: Vec<Edit> = Vec::new();
        for item in items {
            let Some(edit) = self.append_item(sequence, item) else {
                return Vec::new();
            };
            match edits.iter_mut().find(|e| e.span == edit.span) {
                // Same place: the later item goes after the earlier one.
                Some(same) if edit.content.starts_with(['\n', '\r']) => {
                    same.content.push_str(&edit.content)
                }
                Some(same) => same.content.push_str(&edit.content),
                None => edits.push(edit),
            }
        }
        edits
    }

    /// Does the document use YAML aliases or merge keys (`*name`, `<<`)? An edit in it could
    /// change what an alias shares: the callers that add entries refuse such documents.
    pub fn uses_aliases(&self, root: NodeRef<'_>) -> bool {
        let mut stack = vec![root.id()];
        while let Some(id) = stack.pop() {
            let node = root.node_of(id);
            match &node.kind {
                NodeKind::Alias(_) => return true,
                NodeKind::Mapping(pairs) => {
                    for &(k, v) in pairs {
                        if root.node_of(k).kind
                            == NodeKind::Scalar(crate::yaml::Scalar {
                                text: "<<".into(),
                                style: crate::yaml::ScalarStyle::Plain,
                            })
                        {
                            return true;
                        }
                        stack.extend([k, v]);
                    }
                }
                NodeKind::Sequence(items) => stack.extend(items.iter().copied()),
                NodeKind::Scalar(_) => {}
            }
        }
        false
    }

    /// Appends `item` (one-line YAML text) to a sequence; `sorted` puts it before the first
    /// item that sorts after it when the items are plain strings in order.
    pub fn append_item(&self, sequence: NodeRef<'_>, item: &str) -> Option<Edit> {
        if !sequence.is_sequence() {
            return None;
        }
        let items: Vec<NodeRef<'_>> = sequence.items().collect();
        if self.is_flow(sequence) {
            let (close, trailing_comma) = self.flow_close(sequence, items.last())?;
            let content = if items.is_empty() || trailing_comma {
                item.to_string()
            } else {
                format!(", {item}")
            };
            return Some(Edit::append(self.file, close, content, ", "));
        }
        let first = items.first()?;
        // The dash's column: the item's text starts after `- `.
        let dash = self.text[..first.span().start()].rfind('-')?;
        let indent = self.column(dash)?;
        let texts: Vec<&str> = items.iter().filter_map(|i| i.as_str()).collect();
        let sorted = texts.len() == items.len() && texts.windows(2).all(|w| w[0] <= w[1]);
        let newline = self.newline_at(sequence.span().end());
        if sorted && let Some(next) = items.iter().find(|i| i.as_str() > Some(item_text(item))) {
            let next_dash = self.text[..next.span().start()].rfind('-')?;
            let at = self.line_start(next_dash);
            return Some(Edit::append(
                self.file,
                at,
                format!("{}- {item}{newline}", " ".repeat(indent)),
                "",
            ));
        }
        Some(Edit::append(
            self.file,
            self.line_end(sequence.span().end()),
            format!("{newline}{}- {item}", " ".repeat(indent)),
            "",
        ))
    }

    /// The offset of a flow sequence's `]`, after its last item (or its `[`), past blanks,
    /// line breaks, a trailing comma (then `true`) and comments. The node's span may run over
    /// a comment after the `]`.
    fn flow_close(
        &self,
        sequence: NodeRef<'_>,
        last: Option<&NodeRef<'_>>,
    ) -> Option<(usize, bool)> {
        let from = match last {
            None => sequence.span().start() + 1,
            Some(item) if item.scalar().is_some() => self.scalar_end(*item)?,
            Some(item) => item.span().end(),
        };
        let bytes = self.text.as_bytes();
        let mut i = from;
        let mut comma = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b']' => return Some((i, comma)),
                b',' => {
                    comma = true;
                    i += 1;
                }
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => i = self.line_end(i),
                _ => return None,
            }
        }
        None
    }

    fn loc(&self, node: NodeRef<'_>) -> Loc {
        Loc {
            file: self.file,
            span: node.span(),
        }
    }

    fn is_flow(&self, node: NodeRef<'_>) -> bool {
        matches!(
            self.text.as_bytes().get(node.span().start()),
            Some(b'{' | b'[')
        )
    }

    /// The 0-based column of `offset`, when only spaces (or `- ` of sequence items) precede it
    /// on its line.
    fn column(&self, offset: usize) -> Option<usize> {
        let start = self.line_start(offset);
        let before = &self.text[start..offset];
        before
            .bytes()
            .all(|b| b == b' ' || b == b'-')
            .then_some(offset - start)
    }

    /// How much deeper a nested block mapping is indented in this document (2 by default).
    fn indent_step(&self, node: NodeRef<'_>) -> usize {
        let parent = self.column(node.span().start());
        let child = match &node.node().kind {
            NodeKind::Mapping(pairs) => pairs.iter().find_map(|&(_, v)| {
                let v = node_ref(node, v);
                (v.is_mapping() && !self.is_flow(v)).then(|| self.column(v.span().start()))?
            }),
            _ => None,
        };
        match (parent, child) {
            (Some(p), Some(c)) if c > p => c - p,
            _ => 2,
        }
    }

    /// The character that ends lines: `\n` (also in CRLF files), or `\r` in a file of old Mac
    /// line endings, which edits keep.
    fn line_break(&self) -> char {
        if !self.text.contains('\n') && self.text.contains('\r') {
            '\r'
        } else {
            '\n'
        }
    }

    fn line_start(&self, offset: usize) -> usize {
        self.text[..offset]
            .rfind(self.line_break())
            .map_or(0, |i| i + 1)
    }

    /// The end of `offset`'s line, before its line break.
    fn line_end(&self, offset: usize) -> usize {
        let end = self.text[offset..]
            .find(self.line_break())
            .map_or(self.text.len(), |i| offset + i);
        if end > offset && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    /// The start of the line after `offset`'s.
    fn after_line(&self, offset: usize) -> usize {
        self.text[offset..]
            .find(self.line_break())
            .map_or(self.text.len(), |i| offset + i + 1)
    }

    /// The line break the file uses around `offset`.
    fn newline_at(&self, offset: usize) -> &'static str {
        if self.line_break() == '\r' {
            return "\r";
        }
        let end = self.text[offset..]
            .find('\n')
            .map(|i| offset + i)
            .or_else(|| self.text.find('\n'));
        match end {
            Some(i) if i > 0 && self.text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        }
    }
}

/// Appends the block lines of the mappings `path` (each one level deeper) and then of
/// `entries` (`key: value`), starting at `depth`.
fn block_entries(
    content: &mut String,
    newline: &str,
    mut depth: usize,
    step: usize,
    path: &[&str],
    entries: &[(String, String)],
) {
    for segment in path {
        content.push_str(newline);
        content.push_str(&" ".repeat(depth));
        content.push_str(&string(segment));
        content.push(':');
        depth += step;
    }
    for (key, value) in entries {
        content.push_str(newline);
        content.push_str(&" ".repeat(depth));
        content.push_str(&string(key));
        content.push_str(": ");
        content.push_str(value);
    }
}

/// `value` as a YAML double-quoted scalar.
pub fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string written plain when YAML (1.1 and 1.2) reads it back as the same string, quoted
/// otherwise: for keys and for values such as names.
pub fn string(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_'))
        && !key.starts_with('-')
        && crate::yaml::yaml11::resolve_plain(key) == crate::yaml::yaml11::YamlType::String;
    if plain {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

/// The string an item's YAML text stands for (its quotes removed), to sort by.
fn item_text(item: &str) -> &str {
    item.trim_matches('"')
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start() <= inner.start() && inner.end() <= outer.end()
}

/// The deepest-first search would be shorter, but the arena is in creation order: a
/// collection's children come after it, so the first collection with the span is the outer.
fn node_with_span(document: &Document, span: Span) -> Option<NodeRef<'_>> {
    let root = document.root()?;
    let mut found = None;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.span() == span {
            if !matches!(node.node().kind, NodeKind::Scalar(_)) {
                return Some(node);
            }
            found.get_or_insert(node);
        }
        if !contains(node.span(), span) && node.span() != span {
            continue;
        }
        match &node.node().kind {
            NodeKind::Mapping(pairs) => {
                for &(k, v) in pairs {
                    stack.push(node_ref(node, k));
                    stack.push(node_ref(node, v));
                }
            }
            NodeKind::Sequence(items) => {
                stack.extend(items.iter().map(|&i| node_ref(node, i)));
            }
            _ => {}
        }
    }
    found
}

fn node_ref<'d>(near: NodeRef<'d>, id: crate::yaml::NodeId) -> NodeRef<'d> {
    near.resolve(id)
}

/// A key the mapping sets itself (not through a merge key), and its value.
fn own_entry<'d>(mapping: NodeRef<'d>, key: &str) -> Option<(NodeRef<'d>, NodeRef<'d>)> {
    let NodeKind::Mapping(pairs) = &mapping.node().kind else {
        return None;
    };
    pairs.iter().find_map(|&(k, v)| {
        let k = node_ref(mapping, k);
        (k.scalar().is_some_and(|s| s.text == key)).then(|| (k, node_ref(mapping, v)))
    })
}

fn own_value<'d>(mapping: NodeRef<'d>, key: &str) -> Option<NodeRef<'d>> {
    own_entry(mapping, key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse};

    /// Applies the edit that `build` makes on `text`'s first document.
    fn edited(text: &str, build: impl Fn(&YamlFile<'_>, NodeRef<'_>) -> Option<Edit>) -> String {
        let parsed = parse(text, &Limits::default());
        let file = YamlFile::new(FileId(0), text, &parsed);
        let root = file.document(0).expect("a document");
        let edit = build(&file, root).expect("an edit");
        let mut out = text.to_string();
        out.replace_range(edit.span.range(), &edit.content);
        assert!(
            parse(&out, &Limits::default()).problems.is_empty(),
            "still YAML:\n{out}"
        );
        out
    }

    #[test]
    fn inserts_after_the_last_entry_with_its_indentation() {
        let text = "metadata:\n    name: x # the name\n    labels:\n      a: b\nspec: {}\n";
        let out = edited(text, |f, root| {
            f.insert_entry(root.get("metadata")?, "namespace", "postgres")
        });
        assert_eq!(
            out,
            "metadata:\n    name: x # the name\n    labels:\n      a: b\n    namespace: postgres\nspec: {}\n"
        );
    }

    #[test]
    fn creates_missing_parents_with_the_document_s_step() {
        let text = "metadata:\n    name: x\n    labels:\n        a: b\n";
        let out = edited(text, |f, root| {
            f.insert_path(root, &["metadata", "annotations"], "k/v", "\"0\"")
        });
        assert_eq!(
            out,
            "metadata:\n    name: x\n    labels:\n        a: b\n    annotations:\n        k/v: \"0\"\n"
        );
    }

    #[test]
    fn keeps_crlf_and_inserts_before_the_next_document() {
        let text = "a: 1\r\nb: 2\r\n---\r\nc: 3\r\n";
        let out = edited(text, |f, root| f.insert_entry(root, "d", "4"));
        assert_eq!(out, "a: 1\r\nb: 2\r\nd: 4\r\n---\r\nc: 3\r\n");
    }

    #[test]
    fn flow_mappings() {
        let text = "metadata: {name: x}\n";
        let out = edited(text, |f, root| {
            f.insert_path(root, &["metadata", "annotations"], "a", "\"1\"")
        });
        assert_eq!(out, "metadata: {name: x, annotations: {a: \"1\"}}\n");
        let out = edited("m: {}\n", |f, root| {
            f.insert_entry(root.get("m")?, "a", "b")
        });
        assert_eq!(out, "m: {a: b}\n");
    }

    #[test]
    fn entries_in_sequence_items() {
        let text = "roles:\n  - name: a\n    superuser: false\n  - name: b\n";
        let out = edited(text, |f, root| {
            let first = root.get("roles")?.items().next()?;
            f.insert_entry(first, "login", "true")
        });
        assert_eq!(
            out,
            "roles:\n  - name: a\n    superuser: false\n    login: true\n  - name: b\n"
        );
    }

    #[test]
    fn inserts_after_a_key() {
        let text = "- metadata:\n    name: x # n\n    labels: {}\n";
        let out = edited(text, |f, root| {
            let metadata = root.items().next()?.get("metadata")?;
            f.insert_after(metadata, "name", "namespace", "postgres")
        });
        assert_eq!(
            out,
            "- metadata:\n    name: x # n\n    namespace: postgres\n    labels: {}\n"
        );
    }

    /// `value` written in `style` as the value of `key:` (None: the style cannot hold it).
    fn render(style: usize, value: &str) -> Option<String> {
        let plain_ok = string(value) == value;
        Some(match style {
            0 if plain_ok => value.to_string(),
            1 => format!("'{}'", value.replace('\'', "''")),
            2 => double_quoted(value),
            3 => format!(">-\n    {value}"),
            4 => format!("|-\n    {value}"),
            5 => format!("&anchor {}", double_quoted(value)),
            _ => return None,
        })
    }

    proptest::proptest! {
        /// Every scalar style, with or without a comment, in a block or a flow mapping, CR, LF
        /// or CRLF: the edited value reads back as exactly the new string and every byte
        /// outside the scalar is the author's.
        #[test]
        fn set_string_keeps_style_comments_and_every_other_byte(
            style in 0usize..6,
            old in proptest::sample::select(vec!["gitea_usr", "2.0", "it's", "a b", "yes", "x#y"]),
            new in proptest::sample::select(vec!["gitea_user", "2", "true", "o'k", "a: b", "#c"]),
            comment in proptest::bool::ANY,
            flow in proptest::bool::ANY,
            newline in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
        ) {
            let Some(written) = render(style, old) else { return Ok(()); };
            let block = style == 3 || style == 4;
            let tail = if comment { "  # set by Jane, OPS-12" } else { "" };
            let (head, value_line) = if flow && !block {
                ("meta: {before: 1, ".to_string(), format!("owner: {written}, after: 2}}{tail}"))
            } else if block {
                // A block scalar's header carries the comment.
                let (header, body) = written.split_once('\n').unwrap();
                ("before: 1\n".to_string(), format!("owner: {header}{tail}\n{body}"))
            } else {
                ("before: 1\n".to_string(), format!("owner: {written}{tail}"))
            };
            let text = format!("{head}{value_line}\nend: 3\n").replace('\n', newline);
            let parsed = parse(&text, &Limits::default());
            proptest::prop_assume!(parsed.problems.is_empty());
            let file = YamlFile::new(FileId(0), &text, &parsed);
            let root = file.document(0).unwrap();
            let node = if flow && !block {
                root.path(&["meta", "owner"]).unwrap()
            } else {
                root.get("owner").unwrap()
            };
            let edit = file.set_string(node, new);
            // Every style can take any of these values (quoted when plain cannot).
            proptest::prop_assert!(edit.is_some(), "no edit of {text:?}");
            let edit = edit.unwrap();
            let mut out = text.clone();
            out.replace_range(edit.span.range(), &edit.content);
            // The bytes around the edit are the author's.
            proptest::prop_assert_eq!(&out[..edit.span.start()], &text[..edit.span.start()]);
            proptest::prop_assert_eq!(
                &out[edit.span.start() + edit.content.len()..],
                &text[edit.span.end()..]
            );
            proptest::prop_assert!(out.contains(tail));
            proptest::prop_assert!(out.contains("end: 3"));
            if newline == "\r" {
                proptest::prop_assert!(!out.contains('\n'), "{out:?}");
            }
            // The value reads back as the string.
            let reparsed = parse(&out, &Limits::default());
            proptest::prop_assert!(reparsed.problems.is_empty(), "{out:?}");
            let root = reparsed.documents[0].root().unwrap();
            let node = if flow && !block {
                root.path(&["meta", "owner"]).unwrap()
            } else {
                root.get("owner").unwrap()
            };
            let scalar = node.scalar().unwrap();
            proptest::prop_assert_eq!(scalar.text.as_str(), new);
            proptest::prop_assert_eq!(
                crate::yaml::yaml11::classify(scalar, node.tag()),
                crate::yaml::yaml11::YamlType::String
            );
            // The author's quoting is kept where the value allows it.
            let kept = match style {
                1 if !new.contains(char::is_control) => out.contains(&format!("'{}'", new.replace('\'', "''"))),
                2 | 5 => out.contains(&double_quoted(new)),
                3 => out.contains(">-"),
                4 => out.contains("|-"),
                _ => true,
            };
            proptest::prop_assert!(kept, "{out:?}");
        }
    }

    /// A document's data as the parser reads it: what a fix may change (map entries sorted,
    /// since their order means nothing to Kubernetes).
    #[derive(Debug, Clone, PartialEq)]
    enum Model {
        Scalar(String, crate::yaml::yaml11::YamlType),
        Map(Vec<(String, Model)>),
        Seq(Vec<Model>),
        Alias,
    }

    fn model(node: NodeRef<'_>) -> Model {
        match &node.node().kind {
            NodeKind::Scalar(scalar) => Model::Scalar(
                scalar.text.clone(),
                crate::yaml::yaml11::classify(scalar, node.tag()),
            ),
            NodeKind::Sequence(_) => Model::Seq(node.items().map(model).collect()),
            NodeKind::Mapping(_) => {
                let mut entries: Vec<(String, Model)> = node
                    .entries()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), model(v)))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Model::Map(entries)
            }
            NodeKind::Alias(_) => Model::Alias,
        }
    }

    fn at<'m>(model: &'m mut Model, path: &[&str]) -> &'m mut Model {
        path.iter().fold(model, |node, key| match node {
            Model::Map(entries) => &mut entries.iter_mut().find(|(k, _)| k == key).unwrap().1,
            _ => panic!("no map at {key}"),
        })
    }

    fn set(model: &mut Model, path: &[&str], value: Model) {
        let (key, parent) = path.split_last().unwrap();
        let Model::Map(entries) = at(model, parent) else {
            panic!("no map")
        };
        entries.retain(|(k, _)| k != key);
        entries.push((key.to_string(), value));
        entries.sort_by(|a, b| a.0.cmp(&b.0));
    }

    fn string_model(value: &str) -> Model {
        Model::Scalar(value.into(), crate::yaml::yaml11::YamlType::String)
    }

    /// `value` in `style` as the value of a key indented by `indent`, a comment `tail` after
    /// it (on a block scalar's header line). `None`: the style cannot hold the value.
    fn styled(style: usize, value: &str, indent: usize, tail: &str) -> Option<String> {
        let plain_ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/ '".contains(c))
            && !value.starts_with(['\'', ' '])
            && !value.ends_with(' ');
        let deeper = " ".repeat(indent + 2);
        Some(match style {
            0 if plain_ok => format!("{value}{tail}"),
            1 => format!("'{}'{tail}", value.replace('\'', "''")),
            2 => format!("{}{tail}", double_quoted(value)),
            3 => format!(">-{tail}\n{deeper}{value}"),
            4 => format!("|-{tail}\n{deeper}{value}"),
            5 => format!("&anchor {}{tail}", double_quoted(value)),
            // A plain scalar folded over two lines.
            6 if plain_ok && value.contains(' ') => {
                format!("{}{tail}", value.replacen(' ', &format!("\n{deeper}"), 1))
            }
            _ => return None,
        })
    }

    const TAIL: &str = "  # set by Jane, OPS-12";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Every fix kind pglint makes (a rename or wave through `set_string`, quoting, an
        /// entry inserted, a list item appended or a list filled, an entry removed, a blank
        /// namespace set) on a document written in every style (plain, folded over lines,
        /// single, double, `>-`, `|-`, anchored, flow and block lists, comments, LF, CRLF, CR):
        /// the edited file reads back as exactly the intended data, the edit touches only the
        /// target's own lines, and every comment that is not on a removed entry stays.
        #[test]
        fn every_fix_kind_changes_exactly_what_it_means_to(
            op in 0usize..8,
            owner_style in 0usize..7,
            wave_style in 0usize..7,
            name_style in 0usize..7,
            owner in proptest::sample::select(vec!["gitea_usr", "it's", "wiki js", "yes"]),
            wave in proptest::sample::select(vec!["2.0", "1", "two point"]),
            new in proptest::sample::select(vec!["gitea_user", "2", "true", "o'k", "a: b", "#c", "x y"]),
            namespace in proptest::sample::select(vec![None, Some("\"\""), Some("''"), Some(""), Some("~"), Some("\" \"")]),
            list in 0usize..4,
            comments in proptest::bool::ANY,
            newline in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
        ) {
            let tail = if comments { TAIL } else { "" };
            let (Some(owner_text), Some(wave_text), Some(name_text)) = (
                styled(owner_style, owner, 2, tail),
                styled(wave_style, wave, 4, tail),
                styled(name_style, "wiki db", 2, tail),
            ) else {
                return Ok(());
            };
            let namespace_line = namespace.map_or(String::new(), |n| format!("  namespace: {n}{tail}\n"));
            let resources = match list {
                0 => format!("[a.yaml, c.yaml]{tail}"),
                1 => format!("{tail}\n  - a.yaml\n  - c.yaml"),
                2 => format!("[]{tail}"),
                _ => tail.to_string(),
            };
            let text = format!(
                "# head\nkind: Database\nmetadata:\n  name: {name_text}\n{namespace_line}  annotations:\n    argocd.argoproj.io/sync-wave: {wave_text}\nspec:\n  owner: {owner_text}\n  resources: {resources}\n  extra: &keep {{k: v}}{tail}\nend: 3{tail}\n"
            )
            .replace('\n', newline);
            let parsed = parse(&text, &Limits::default());
            proptest::prop_assert!(parsed.problems.is_empty(), "{text:?}");
            let file = YamlFile::new(FileId(0), &text, &parsed);
            let root = file.document(0).unwrap();
            let mut expected = model(root);
            let wave_path = ["metadata", "annotations", "argocd.argoproj.io/sync-wave"];
            // The edit, and the bytes it may touch (the target's lines).
            let lines_of = |mapping: NodeRef<'_>, key: &str| {
                let (key, value) = mapping.get_entry(key).unwrap();
                Span::new(file.line_start(key.span().start()), file.line_end(value.span().end()))
            };
            let annotations = root.path(&["metadata", "annotations"]).unwrap();
            let (edit, region) = match op {
                0 => {
                    let node = root.path(&["spec", "owner"]).unwrap();
                    set(&mut expected, &["spec", "owner"], string_model(new));
                    (file.set_string(node, new), lines_of(root.get("spec").unwrap(), "owner"))
                }
                1 => {
                    let node = root.path(&wave_path).unwrap();
                    set(&mut expected, &wave_path, string_model(new));
                    (file.set_string(node, new), lines_of(annotations, wave_path[2]))
                }
                2 => {
                    // Quoting keeps the text and makes it a string (`2.0` → `"2.0"`).
                    let node = root.path(&wave_path).unwrap();
                    set(&mut expected, &wave_path, string_model(wave));
                    let edit = file.quote(node, wave);
                    if matches!(wave_style, 3 | 4) {
                        proptest::prop_assert!(edit.is_none());
                        return Ok(());
                    }
                    (edit, lines_of(annotations, wave_path[2]))
                }
                3 => {
                    let metadata = root.get("metadata").unwrap();
                    set(&mut expected, &["metadata", "namespace"], string_model("postgres"));
                    if namespace.is_some() {
                        let (key, value) = metadata.get_entry("namespace").unwrap();
                        let region = Span::new(file.line_start(key.span().start()), file.line_end(value.span().end().max(key.span().end())));
                        (file.set_entry_string(metadata, "namespace", "postgres"), region)
                    } else {
                        let edit = file.insert_after(metadata, "name", "namespace", "postgres");
                        let at = edit.as_ref().map_or(0, |e| e.span.start());
                        (edit, Span::new(at, at))
                    }
                }
                4 => {
                    set(&mut expected, &["metadata", "annotations", "pglint.io/note"], string_model("1"));
                    let edit = file.insert_entry(annotations, "pglint.io/note", "\"1\"");
                    let at = edit.as_ref().map_or(0, |e| e.span.start());
                    (edit, Span::new(at, at))
                }
                5 => {
                    let spec = root.get("spec").unwrap();
                    let items = match list {
                        0 => vec!["a.yaml", "c.yaml", "b.yaml"],
                        1 => vec!["a.yaml", "b.yaml", "c.yaml"],
                        _ => vec!["b.yaml"],
                    };
                    set(&mut expected, &["spec", "resources"], Model::Seq(items.into_iter().map(string_model).collect()));
                    if list == 3 {
                        let (key, _) = spec.get_entry("resources").unwrap();
                        let region = Span::new(file.line_start(key.span().start()), file.line_end(key.span().end()));
                        (file.fill_empty_list(spec, "resources", &["b.yaml".to_string()]), region)
                    } else {
                        let edit = file.append_item(spec.get("resources").unwrap(), "b.yaml");
                        let at = edit.as_ref().map_or(0, |e| e.span.start());
                        (edit, Span::new(at, at))
                    }
                }
                6 => {
                    let spec = root.get("spec").unwrap();
                    let Model::Map(entries) = at(&mut expected, &["spec"]) else { unreachable!() };
                    entries.retain(|(k, _)| k != "owner");
                    let (key, value) = spec.get_entry("owner").unwrap();
                    let region = Span::new(file.line_start(key.span().start()), file.after_line(value.span().end()));
                    (file.remove_entry(spec, "owner"), region)
                }
                _ => {
                    // A wave fix in the name's style too (a rename of the object).
                    let node = root.path(&["metadata", "name"]).unwrap();
                    set(&mut expected, &["metadata", "name"], string_model(new));
                    (file.set_string(node, new), lines_of(root.get("metadata").unwrap(), "name"))
                }
            };
            proptest::prop_assert!(edit.is_some(), "no edit (op {op}) of {text:?}");
            let edit = edit.unwrap();
            proptest::prop_assert!(
                region.start() <= edit.span.start() && edit.span.end() <= region.end(),
                "op {op}: the edit {:?} reaches outside {:?} in {text:?}", edit.span, region
            );
            let mut out = text.clone();
            out.replace_range(edit.span.range(), &edit.content);
            let reparsed = parse(&out, &Limits::default());
            proptest::prop_assert!(reparsed.problems.is_empty(), "op {op}: {out:?}");
            proptest::prop_assert_eq!(model(reparsed.documents[0].root().unwrap()), expected, "op {}: {:?}", op, out);
            let kept = |t: &str| t.matches("OPS-12").count();
            let removed = usize::from(op == 6 && comments);
            proptest::prop_assert_eq!(kept(&out), kept(&text) - removed, "op {}: {:?}", op, out);
            proptest::prop_assert!(out.starts_with("# head"));
            if newline == "\r" {
                proptest::prop_assert!(!out.contains('\n'), "{out:?}");
            }
            if newline == "\r\n" {
                proptest::prop_assert!(!out.replace("\r\n", "").contains(['\r', '\n']), "{out:?}");
            }
        }
    }

    #[test]
    fn a_wave_in_a_folded_block_becomes_the_string() {
        let text = "metadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: >-\n      2.0\n  name: x\n";
        let parsed = parse(text, &Limits::default());
        let file = YamlFile::new(FileId(0), text, &parsed);
        let node = file
            .document(0)
            .unwrap()
            .path(&["metadata", "annotations", "argocd.argoproj.io/sync-wave"])
            .unwrap();
        let edit = file.set_string(node, "2").unwrap();
        let mut out = text.to_string();
        out.replace_range(edit.span.range(), &edit.content);
        assert_eq!(
            out,
            "metadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: >-\n      2\n  name: x\n"
        );
    }

    #[test]
    fn entries_into_an_empty_mapping() {
        for (annotations, after) in [
            ("annotations:", "annotations:\n    a: \"2\""),
            ("annotations:  # none", "annotations:  # none\n    a: \"2\""),
            ("annotations: ~", "annotations:\n    a: \"2\""),
            (
                "annotations:\n    # todo",
                "annotations:\n    a: \"2\"\n    # todo",
            ),
        ] {
            let text = format!("metadata:\n  name: x\n  {annotations}\nspec: {{}}\n");
            let out = edited(&text, |f, root| {
                f.insert_path(root, &["metadata", "annotations"], "a", "\"2\"")
            });
            assert_eq!(
                out,
                format!("metadata:\n  name: x\n  {after}\nspec: {{}}\n"),
                "{annotations}"
            );
        }
    }

    #[test]
    fn the_first_item_of_an_empty_list() {
        let lines = [
            "name: b".to_string(),
            "passwordSecret:".into(),
            "  name: b-creds".into(),
        ];
        let item = "\n      - name: b\n        passwordSecret:\n          name: b-creds";
        for (roles, after) in [
            ("roles: []", format!("roles:{item}")),
            (
                "roles: [ ]  # none yet",
                format!("roles:  # none yet{item}"),
            ),
            ("roles:", format!("roles:{item}")),
            ("roles: ~", format!("roles:{item}")),
            ("roles: # soon", format!("roles: # soon{item}")),
            (
                "roles:\n      # the first app adds itself here",
                format!("roles:{item}\n      # the first app adds itself here"),
            ),
        ] {
            let text = format!("spec:\n  managed:\n    {roles}\n  instances: 1\n");
            let out = edited(&text, |f, root| {
                f.fill_empty_list(root.path(&["spec", "managed"])?, "roles", &lines)
            });
            assert_eq!(
                out,
                format!("spec:\n  managed:\n    {after}\n  instances: 1\n"),
                "{roles}"
            );
            // The value read back is exactly the one item.
            let parsed = parse(&out, &Limits::default());
            let root = parsed.documents[0].root().unwrap();
            let list = root.path(&["spec", "managed", "roles"]).unwrap();
            let items: Vec<_> = list.items().collect();
            assert_eq!(items.len(), 1, "{out}");
            assert_eq!(
                items[0].path(&["passwordSecret", "name"]).unwrap().as_str(),
                Some("b-creds")
            );
        }
        // A list with items is not empty.
        let text = "managed:\n  roles:\n    - name: a\n";
        let parsed = parse(text, &Limits::default());
        let file = YamlFile::new(FileId(0), text, &parsed);
        let managed = file.document(0).unwrap().get("managed").unwrap();
        assert!(file.fill_empty_list(managed, "roles", &lines).is_none());
    }

    #[test]
    fn block_items_and_blocks() {
        let text = "spec:\n  managed:\n    roles:\n      - name: a # first\n        login: true\n\nafter: 1\n";
        let lines = [
            "name: b".to_string(),
            "passwordSecret:".into(),
            "  name: b-creds".into(),
        ];
        let out = edited(text, |f, root| {
            f.append_block_item(root.path(&["spec", "managed", "roles"])?, &lines)
        });
        assert_eq!(
            out,
            "spec:\n  managed:\n    roles:\n      - name: a # first\n        login: true\n      - name: b\n        passwordSecret:\n          name: b-creds\n\nafter: 1\n"
        );
        let out = edited("spec:\n  instances: 1\n", |f, root| {
            f.insert_block(
                root,
                &["spec", "managed"],
                "roles",
                &["- name: b".to_string()],
            )
        });
        assert_eq!(
            out,
            "spec:\n  instances: 1\n  managed:\n    roles:\n      - name: b\n"
        );
    }

    #[test]
    fn several_items_in_one_edit() {
        let text = "resources:\n  - a.yaml\n";
        let parsed = parse(text, &Limits::default());
        let file = YamlFile::new(FileId(0), text, &parsed);
        let resources = file.document(0).unwrap().get("resources").unwrap();
        let edits = file.append_items(resources, &["b.yaml".into(), "c.yaml".into()]);
        assert_eq!(edits.len(), 1);
        let mut out = text.to_string();
        out.replace_range(edits[0].span.range(), &edits[0].content);
        assert_eq!(out, "resources:\n  - a.yaml\n  - b.yaml\n  - c.yaml\n");
    }

    #[test]
    fn aliases_are_seen() {
        for (text, uses) in [
            ("a: &x 1\nb: *x\n", true),
            ("a: {<<: {b: 1}}\n", true),
            ("a: &x 1\nb: 2\n", false),
        ] {
            let parsed = parse(text, &Limits::default());
            let file = YamlFile::new(FileId(0), text, &parsed);
            assert_eq!(file.uses_aliases(file.document(0).unwrap()), uses, "{text}");
        }
    }

    #[test]
    fn removes_whole_lines() {
        let text = "a: 1\nb: 2 # why\nc: 3\n";
        let out = edited(text, |f, root| f.remove_entry(root, "b"));
        assert_eq!(out, "a: 1\nc: 3\n");
    }

    #[test]
    fn appends_to_sequences_in_order() {
        let text = "resources:\n  - a.yaml\n  - c.yaml\n";
        let out = edited(text, |f, root| {
            f.append_item(root.get("resources")?, "b.yaml")
        });
        assert_eq!(out, "resources:\n  - a.yaml\n  - b.yaml\n  - c.yaml\n");
        let text = "resources:\n- z.yaml\n- c.yaml\n";
        let out = edited(text, |f, root| {
            f.append_item(root.get("resources")?, "b.yaml")
        });
        assert_eq!(out, "resources:\n- z.yaml\n- c.yaml\n- b.yaml\n");
        let out = edited("resources: [a.yaml]\n", |f, root| {
            f.append_item(root.get("resources")?, "b.yaml")
        });
        assert_eq!(out, "resources: [a.yaml, b.yaml]\n");
        // The flow sequence's span may run over a comment after its `]`; a `]` in a comment
        // or a quoted item is not the end.
        for (text, expected) in [
            (
                "resources: []  # none yet ]\n",
                "resources: [b.yaml]  # none yet ]\n",
            ),
            (
                "resources: ['a]' , # first\n  ]  # x]\n",
                "resources: ['a]' , # first\n  b.yaml]  # x]\n",
            ),
        ] {
            let out = edited(text, |f, root| {
                f.append_item(root.get("resources")?, "b.yaml")
            });
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn quotes_in_place() {
        let text = "a:\n  wave: 1 # keep\n";
        let out = edited(text, |f, root| f.quote(root.path(&["a", "wave"])?, "1"));
        assert_eq!(out, "a:\n  wave: \"1\" # keep\n");
    }

    #[test]
    fn finds_nodes_by_span() {
        let text = "a: 1\n---\nb:\n  c: {d: e}\n";
        let parsed = parse(text, &Limits::default());
        let file = YamlFile::new(FileId(0), text, &parsed);
        let c = file.document(1).unwrap().path(&["b", "c"]).unwrap();
        let loc = Loc {
            file: FileId(0),
            span: c.span(),
        };
        assert_eq!(file.node_at(loc).unwrap().id(), c.id());
    }
}
