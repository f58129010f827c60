//! Reflector's namespace lists: a comma-separated list of .NET regular expressions, each of
//! which must match the *whole* namespace (`Regex.Match(ns, p)` and `match.Value.Length ==
//! ns.Length`, emberstack/kubernetes-reflector `PatternListMatch`).
//!
//! This is a small validator for the .NET syntax (it reports the errors .NET's `RegexParser`
//! throws for patterns people write by hand: a leading `*`, nested quantifiers, unbalanced
//! brackets, unknown escapes) and a backtracking matcher for the common subset (literals, `.`,
//! classes, groups, alternation, quantifiers, `^`/`$`). Constructs outside the subset
//! (lookarounds, back-references, inline options, `\p{…}`…) parse as valid but make the
//! matcher answer "unknown", so no finding ever depends on them.

use std::cell::Cell;

/// One entry of a namespace list, as Reflector sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    alt: Vec<Vec<Node>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Char(char),
    /// `.`: any character but `\n`.
    Any,
    Class(Class),
    /// `^`, `\A`.
    Start,
    /// `$`, `\Z`: end, or before a final `\n`.
    End,
    /// `\z`.
    EndStrict,
    Group(Vec<Vec<Node>>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        lazy: bool,
    },
    /// Valid .NET, but outside what the matcher evaluates.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    items: Vec<ClassItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
    Unknown,
}

/// Namespaces a catch-all pattern must match: DNS labels of every shape.
const SAMPLE_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "a",
    "z9",
    "0abc",
    "x-1-y",
    "monitoring",
    "zz-top-zz",
    "postgres",
];

impl Pattern {
    /// Parses one entry with .NET's syntax; `Err` carries .NET's reason.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut parser = Parser {
            chars: &chars,
            pos: 0,
        };
        let alt = parser.alternation(0)?;
        if parser.pos < chars.len() {
            // Only a `)` stops the top-level alternation early.
            return Err("too many `)`".into());
        }
        Ok(Pattern { alt })
    }

    /// Does Reflector's whole-namespace match accept `namespace`? `None` when the pattern uses
    /// constructs the matcher does not evaluate.
    pub fn matches(&self, namespace: &str) -> Option<bool> {
        if contains_unknown(&self.alt) {
            return None;
        }
        let input: Vec<char> = namespace.chars().collect();
        let matcher = Matcher {
            input: &input,
            budget: Cell::new(200_000),
        };
        // .NET returns the leftmost match, and among matches at that position the first in
        // backtracking order. A match starting later is shorter than the namespace, so only a
        // match at 0 can be whole; and only if the *first* one found there is.
        let mut first = None;
        matcher.alt(&self.alt, 0, &mut |end| {
            first = Some(end);
            true
        });
        if matcher.budget.get() == 0 {
            return None;
        }
        Some(first == Some(input.len()))
    }

    /// The one namespace the pattern names, if it is a plain name (optionally anchored or in
    /// one group): `gitea`, `^gitea$`, `(gitea)`, `my\-app`.
    pub fn literal(&self) -> Option<String> {
        let [seq] = self.alt.as_slice() else {
            return None;
        };
        let mut text = String::new();
        let mut nodes = seq.as_slice();
        if let [Node::Start, rest @ ..] = nodes {
            nodes = rest;
        }
        if let [rest @ .., Node::End | Node::EndStrict] = nodes {
            nodes = rest;
        }
        if let [Node::Group(inner)] = nodes {
            return Pattern { alt: inner.clone() }.literal();
        }
        for node in nodes {
            match node {
                Node::Char(c) => text.push(*c),
                _ => return None,
            }
        }
        Some(text)
    }

    /// Does it match every namespace (`.*`, `.+`, `^.*$`, `[a-z0-9-]*`…)?
    pub fn is_catch_all(&self) -> Option<bool> {
        let mut all = true;
        for ns in SAMPLE_NAMESPACES {
            all &= self.matches(ns)?;
        }
        Some(all)
    }
}

fn contains_unknown(alt: &[Vec<Node>]) -> bool {
    alt.iter().flatten().any(node_unknown)
}

fn node_unknown(node: &Node) -> bool {
    match node {
        Node::Unknown => true,
        Node::Class(class) => class.items.contains(&ClassItem::Unknown),
        Node::Group(alt) => contains_unknown(alt),
        Node::Repeat { node, .. } => node_unknown(node),
        _ => false,
    }
}

/// Is this entry a shell glob mistaken for a regex: `*`, `app-*`, `team-*-db`? Such a `*`
/// repeats the character before it (`app-*` matches `app`, `app-`, `app--`…), or follows
/// nothing at all.
pub fn looks_like_glob(text: &str) -> bool {
    const META: &[char] = &[
        '.', '(', ')', '[', ']', '\\', '+', '?', '{', '}', '|', '^', '$',
    ];
    text.contains('*') && !text.contains(META)
}

struct Parser<'c> {
    chars: &'c [char],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    /// `a|b|c` up to a `)` (not consumed) or the end.
    fn alternation(&mut self, depth: usize) -> Result<Vec<Vec<Node>>, String> {
        let mut alt = vec![self.sequence(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alt.push(self.sequence(depth)?);
        }
        if depth == 0 && self.peek() == Some(')') {
            return Err("too many `)`".into());
        }
        Ok(alt)
    }

    fn sequence(&mut self, depth: usize) -> Result<Vec<Node>, String> {
        let mut seq: Vec<Node> = Vec::new();
        // Whether the last node may take a quantifier (false at the start and after one).
        let mut quantifiable = false;
        let mut last_was_quantifier = false;
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            if let Some((min, max, len)) = self.quantifier() {
                if last_was_quantifier {
                    return Err(format!("nested quantifier `{}`", self.text(len)));
                }
                if !quantifiable {
                    return Err(format!("quantifier `{}` follows nothing", self.text(len)));
                }
                if let Some(max) = max
                    && max < min
                {
                    return Err(format!(
                        "illegal `{}`: the minimum is above the maximum",
                        self.text(len)
                    ));
                }
                self.pos += len;
                let lazy = self.peek() == Some('?');
                if lazy {
                    self.pos += 1;
                }
                let node = seq.pop().expect("a quantifiable node");
                seq.push(Node::Repeat {
                    node: Box::new(node),
                    min,
                    max,
                    lazy,
                });
                last_was_quantifier = true;
                continue;
            }
            last_was_quantifier = false;
            quantifiable = true;
            self.pos += 1;
            let node = match c {
                '.' => Node::Any,
                '^' => Node::Start,
                '$' => Node::End,
                '[' => Node::Class(self.class()?),
                '(' => self.group(depth)?,
                '\\' => match self.escape(false)? {
                    Escaped::Node(node) => node,
                    Escaped::Item(item) => Node::Class(Class {
                        negated: false,
                        items: vec![item],
                    }),
                    Escaped::Char(c) => Node::Char(c),
                },
                // `#` and whitespace are literal without `x`; `{`/`}`/`]` outside a
                // quantifier or class are literal in .NET.
                other => Node::Char(other),
            };
            seq.push(node);
        }
        Ok(seq)
    }

    fn text(&self, len: usize) -> String {
        self.chars[self.pos..self.pos + len].iter().collect()
    }

    /// A quantifier at the current position: (min, max, length in chars).
    fn quantifier(&self) -> Option<(u32, Option<u32>, usize)> {
        match self.peek()? {
            '*' => Some((0, None, 1)),
            '+' => Some((1, None, 1)),
            '?' => Some((0, Some(1), 1)),
            '{' => {
                // `{n}`, `{n,}`, `{n,m}`; anything else is a literal `{` in .NET.
                let rest = &self.chars[self.pos + 1..];
                let close = rest.iter().position(|&c| c == '}')?;
                let body: String = rest[..close].iter().collect();
                let (min, max) = match body.split_once(',') {
                    None => {
                        let n = parse_count(&body)?;
                        (n, Some(n))
                    }
                    Some((lo, "")) => (parse_count(lo)?, None),
                    Some((lo, hi)) => (parse_count(lo)?, Some(parse_count(hi)?)),
                };
                Some((min, max, close + 2))
            }
            _ => None,
        }
    }

    /// After `(`.
    fn group(&mut self, depth: usize) -> Result<Node, String> {
        let mut unknown = false;
        if self.peek() == Some('?') {
            self.pos += 1;
            match self.peek() {
                Some(':') => self.pos += 1,
                Some('=' | '!' | '>') => {
                    self.pos += 1;
                    unknown = true;
                }
                Some('<') if matches!(self.peek_at(1), Some('=' | '!')) => {
                    self.pos += 2;
                    unknown = true;
                }
                Some(open @ ('<' | '\'')) => {
                    let close = if open == '<' { '>' } else { '\'' };
                    self.pos += 1;
                    let start = self.pos;
                    while let Some(c) = self.peek() {
                        if c == close {
                            break;
                        }
                        if !(c.is_alphanumeric() || c == '_' || c == '-') {
                            return Err("invalid group name".into());
                        }
                        self.pos += 1;
                    }
                    if self.peek() != Some(close) || self.pos == start {
                        return Err("invalid group name".into());
                    }
                    self.pos += 1;
                }
                Some('#') => {
                    // A comment up to `)`.
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == ')' {
                            return Ok(Node::Group(vec![Vec::new()]));
                        }
                    }
                    return Err("unterminated `(?#…)` comment".into());
                }
                Some('(') => unknown = true, // conditional
                Some(c) if "imnsx-".contains(c) => {
                    // Inline options: `(?i)` or `(?i:…)`.
                    while self.peek().is_some_and(|c| "imnsx-".contains(c)) {
                        self.pos += 1;
                    }
                    match self.peek() {
                        Some(')') => {
                            self.pos += 1;
                            return Ok(Node::Unknown);
                        }
                        Some(':') => {
                            self.pos += 1;
                            unknown = true;
                        }
                        _ => return Err("unrecognized grouping construct `(?`".into()),
                    }
                }
                _ => return Err("unrecognized grouping construct `(?`".into()),
            }
        }
        let alt = self.alternation(depth + 1)?;
        if self.peek() != Some(')') {
            return Err("not enough `)`: a group is never closed".into());
        }
        self.pos += 1;
        Ok(if unknown {
            Node::Unknown
        } else {
            Node::Group(alt)
        })
    }

    /// After `[`.
    fn class(&mut self) -> Result<Class, String> {
        let mut class = Class {
            negated: false,
            items: Vec::new(),
        };
        if self.peek() == Some('^') {
            class.negated = true;
            self.pos += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated `[]` set".into());
            };
            if c == ']' && !first {
                self.pos += 1;
                return Ok(class);
            }
            first = false;
            if c == '-' && self.peek_at(1) == Some('[') {
                // Class subtraction `[a-z-[aeiou]]`: valid, not evaluated.
                self.pos += 1;
                self.class()?;
                class.items.push(ClassItem::Unknown);
                continue;
            }
            self.pos += 1;
            let low = match c {
                '\\' => match self.escape(true)? {
                    Escaped::Char(c) => c,
                    Escaped::Item(item) => {
                        class.items.push(item);
                        continue;
                    }
                    Escaped::Node(_) => {
                        class.items.push(ClassItem::Unknown);
                        continue;
                    }
                },
                other => other,
            };
            if self.peek() == Some('-')
                && self.peek_at(1).is_some_and(|c| c != ']')
                && self.peek_at(1) != Some('[')
            {
                self.pos += 1;
                let h = self.peek().expect("checked above");
                self.pos += 1;
                let high = if h == '\\' {
                    match self.escape(true)? {
                        Escaped::Char(c) => c,
                        _ => return Err(format!("cannot make a range from `{low}` to a class")),
                    }
                } else {
                    h
                };
                if high < low {
                    return Err(format!("range `{low}-{high}` is in reverse order"));
                }
                class.items.push(ClassItem::Range(low, high));
            } else {
                class.items.push(ClassItem::Range(low, low));
            }
        }
    }

    /// After `\`.
    fn escape(&mut self, in_class: bool) -> Result<Escaped, String> {
        let Some(c) = self.peek() else {
            return Err("illegal `\\` at the end of the pattern".into());
        };
        self.pos += 1;
        Ok(match c {
            'd' => Escaped::Item(ClassItem::Digit(false)),
            'D' => Escaped::Item(ClassItem::Digit(true)),
            'w' => Escaped::Item(ClassItem::Word(false)),
            'W' => Escaped::Item(ClassItem::Word(true)),
            's' => Escaped::Item(ClassItem::Space(false)),
            'S' => Escaped::Item(ClassItem::Space(true)),
            't' => Escaped::Char('\t'),
            'n' => Escaped::Char('\n'),
            'r' => Escaped::Char('\r'),
            'f' => Escaped::Char('\u{c}'),
            'v' => Escaped::Char('\u{b}'),
            'a' => Escaped::Char('\u{7}'),
            'e' => Escaped::Char('\u{1b}'),
            'b' if in_class => Escaped::Char('\u{8}'),
            'b' | 'B' | 'G' => Escaped::Node(Node::Unknown),
            'A' => Escaped::Node(Node::Start),
            'Z' => Escaped::Node(Node::End),
            'z' => Escaped::Node(Node::EndStrict),
            'x' => Escaped::Char(self.hex(2)?),
            'u' => Escaped::Char(self.hex(4)?),
            'c' => {
                let letter = self
                    .peek()
                    .filter(|c| c.is_ascii_alphabetic())
                    .ok_or("missing control character")?;
                self.pos += 1;
                Escaped::Char(char::from(letter.to_ascii_uppercase() as u8 - b'@'))
            }
            'p' | 'P' => {
                if self.peek() != Some('{') {
                    return Err(format!("malformed `\\{c}{{…}}` escape"));
                }
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == '}' {
                        return Ok(Escaped::Item(ClassItem::Unknown));
                    }
                }
                return Err(format!("malformed `\\{c}{{…}}` escape"));
            }
            'k' if !in_class => Escaped::Node(Node::Unknown),
            '0' => Escaped::Char('\0'),
            '1'..='9' if !in_class => Escaped::Node(Node::Unknown),
            '1'..='7' => Escaped::Char(char::from(c as u8 - b'0')),
            c if c.is_alphanumeric() || c == '_' => {
                return Err(format!("unrecognized escape sequence `\\{c}`"));
            }
            other => Escaped::Char(other),
        })
    }

    fn hex(&mut self, digits: usize) -> Result<char, String> {
        let text: String = self
            .chars
            .get(self.pos..self.pos + digits)
            .unwrap_or_default()
            .iter()
            .collect();
        if text.len() != digits || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("insufficient hex digits".into());
        }
        self.pos += digits;
        Ok(u32::from_str_radix(&text, 16)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{fffd}'))
    }
}

enum Escaped {
    Char(char),
    Item(ClassItem),
    Node(Node),
}

fn parse_count(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

struct Matcher<'i> {
    input: &'i [char],
    /// Steps left; at 0 the search gives up (and the answer is "unknown").
    budget: Cell<u32>,
}

impl Matcher<'_> {
    fn step(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }

    fn alt(&self, alt: &[Vec<Node>], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        alt.iter().any(|seq| self.seq(seq, pos, k))
    }

    fn seq(&self, seq: &[Node], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        if !self.step() {
            return false;
        }
        let Some((first, rest)) = seq.split_first() else {
            return k(pos);
        };
        self.node(first, pos, &mut |next| self.seq(rest, next, k))
    }

    fn node(&self, node: &Node, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        let len = self.input.len();
        match node {
            Node::Char(c) => self.input.get(pos) == Some(c) && k(pos + 1),
            Node::Any => self.input.get(pos).is_some_and(|&c| c != '\n') && k(pos + 1),
            Node::Class(class) => {
                self.input
                    .get(pos)
                    .is_some_and(|&c| class_matches(class, c))
                    && k(pos + 1)
            }
            Node::Start => pos == 0 && k(pos),
            Node::End => (pos == len || (pos + 1 == len && self.input[pos] == '\n')) && k(pos),
            Node::EndStrict => pos == len && k(pos),
            Node::Group(alt) => self.alt(alt, pos, k),
            Node::Repeat {
                node,
                min,
                max,
                lazy,
            } => self.repeat(
                Repeat {
                    node,
                    min: *min,
                    max: *max,
                    lazy: *lazy,
                },
                0,
                pos,
                k,
            ),
            Node::Unknown => false,
        }
    }

    fn repeat(
        &self,
        r: Repeat<'_>,
        count: u32,
        pos: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        if !self.step() {
            return false;
        }
        let can_stop = count >= r.min;
        let can_go = r.max.is_none_or(|m| count < m);
        let more = |k: &mut dyn FnMut(usize) -> bool| {
            can_go
                && self.node(r.node, pos, &mut |next| {
                    // An iteration that consumes nothing would repeat forever: the loop ends.
                    if next == pos {
                        k(next)
                    } else {
                        self.repeat(r, count + 1, next, k)
                    }
                })
        };
        // Lazy loops try to stop first, greedy ones to go on first.
        if r.lazy && can_stop && k(pos) {
            return true;
        }
        if more(k) {
            return true;
        }
        !r.lazy && can_stop && k(pos)
    }
}

#[derive(Clone, Copy)]
struct Repeat<'n> {
    node: &'n Node,
    min: u32,
    max: Option<u32>,
    lazy: bool,
}

fn class_matches(class: &Class, c: char) -> bool {
    let hit = class.items.iter().any(|item| match *item {
        ClassItem::Range(lo, hi) => lo <= c && c <= hi,
        ClassItem::Digit(neg) => c.is_numeric() != neg,
        ClassItem::Word(neg) => (c.is_alphanumeric() || c == '_') != neg,
        ClassItem::Space(neg) => c.is_whitespace() != neg,
        ClassItem::Unknown => false,
    });
    hit != class.negated
}

#[cfg(test)]
mod tests {
    use super::{Pattern, looks_like_glob};

    fn full(pattern: &str, ns: &str) -> Option<bool> {
        Pattern::parse(pattern).expect("valid").matches(ns)
    }

    #[test]
    fn invalid_dotnet_patterns() {
        for bad in [
            "*", "*-prod", "a**", "a+*", "a{2}{3}", "a*??", "(abc", "abc)", "[abc", "[z-a]", "a\\",
            "\\q", "(?P<x>a)", "a{3,1}", "x|*",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad} should be invalid");
        }
    }

    #[test]
    fn valid_dotnet_patterns() {
        for good in [
            "gitea",
            ".*",
            "^.*$",
            "app-.*",
            "a*?",
            "(?:a|b)+",
            "[]a]",
            "[a-]",
            "a{",
            "{x}",
            "\\.",
            "(?<n>a)\\k<n>",
            "(?i)abc",
            "[^.]*",
            "\\d+",
            "(?=a)a",
            "a{2,}",
            "\\p{L}+",
        ] {
            assert!(
                Pattern::parse(good).is_ok(),
                "{good} should be valid: {:?}",
                Pattern::parse(good)
            );
        }
    }

    #[test]
    fn whole_namespace_matching() {
        assert_eq!(full("gitea", "gitea"), Some(true));
        assert_eq!(full("app", "app-ns"), Some(false));
        assert_eq!(full("app-.*", "app-web"), Some(true));
        assert_eq!(full("app-*", "app-web"), Some(false));
        assert_eq!(full("app-*", "app--"), Some(true));
        // .NET takes the first alternative that matches, not the longest.
        assert_eq!(full("a|ab", "ab"), Some(false));
        assert_eq!(full("ab|a", "ab"), Some(true));
        assert_eq!(full("(gitea|wiki)", "wiki"), Some(true));
        assert_eq!(full("[a-z0-9-]+", "kube-system"), Some(true));
        // Constructs outside the subset are not evaluated.
        assert_eq!(full("(?i)GITEA", "gitea"), None);
        assert_eq!(full("(a)\\1", "aa"), None);
    }

    #[test]
    fn catch_alls_and_literals() {
        for all in [
            ".*",
            ".+",
            "^.*$",
            "(.*)",
            "[a-z0-9-]*",
            "[^.]+",
            "\\S*",
            ".*.*",
            "gitea|.*",
        ] {
            assert_eq!(
                Pattern::parse(all).unwrap().is_catch_all(),
                Some(true),
                "{all}"
            );
        }
        // Lazy: the first match is empty, so Reflector's whole-namespace check never passes.
        for some in ["gitea", "app-.*", "[a-z]+", "\\w+", ".*?"] {
            assert_eq!(
                Pattern::parse(some).unwrap().is_catch_all(),
                Some(false),
                "{some}"
            );
        }
        assert_eq!(
            Pattern::parse("^gitea$").unwrap().literal().as_deref(),
            Some("gitea")
        );
        assert_eq!(
            Pattern::parse("(gitea)").unwrap().literal().as_deref(),
            Some("gitea")
        );
        assert_eq!(
            Pattern::parse("my\\-app").unwrap().literal().as_deref(),
            Some("my-app")
        );
        assert_eq!(Pattern::parse("gitea?").unwrap().literal(), None);
        assert_eq!(Pattern::parse("a|b").unwrap().literal(), None);
    }

    #[test]
    fn globs() {
        assert!(looks_like_glob("*"));
        assert!(looks_like_glob("app-*"));
        assert!(!looks_like_glob("app-.*"));
        assert!(!looks_like_glob("gitea"));
    }
}
