//! Argo CD's `directory.include`/`exclude` patterns, matched as Argo CD matches them.
//!
//! argo-cd `reposerver/repository/repository.go` `getPotentiallyValidManifestFile` calls
//! `glob.Match(pattern, relPath)` (`util/glob/glob.go` `Match`) with no separators, which
//! compiles the pattern with gobwas/glob v0.2.3 (`glob.Compile`) and returns false when it
//! does not compile. Without separators, gobwas' `*` and `**` both match any text, `/`
//! included, and `?` any one character: `**/a.yaml` needs a `/` before `a.yaml` (globset
//! would let a leading `**/` match no folder at all).
//!
//! The syntax is read as gobwas' lexer (`syntax/lexer/lexer.go`) and parser
//! (`syntax/ast/parser.go`) read it, including their leniencies and refusals:
//! - `\` escapes the next character (a trailing `\` is dropped); `]`, `}` and `,` outside the
//!   places that give them a meaning are literal;
//! - `[abc]`, `[!abc]`: one character of (not of) a list; `[a-z]`, `[!a-z]`: one range, and
//!   nothing else in the brackets (`[a-z0-9]`, `[]`, `[z-a]`, an unclosed `[` do not compile);
//! - `{a,b}` alternatives, nested; an unclosed `{` is closed at the end of the pattern.
//!
//! The pattern is compiled to an anchored regular expression, so matching is linear.

use regex::Regex;

/// A compiled Argo CD directory pattern.
#[derive(Debug, Clone)]
pub struct ArgoGlob(Regex);

impl ArgoGlob {
    /// The pattern as gobwas compiles it, `None` where it does not compile (then Argo CD's
    /// `Match` is false for every path).
    pub fn new(pattern: &str) -> Option<ArgoGlob> {
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            terms: 0,
        };
        let body = parser.pattern()?;
        Regex::new(&format!(r"\A(?s:{body})\z")).ok().map(ArgoGlob)
    }

    /// Does the path (relative to the source folder, `/`-separated) match?
    pub fn is_match(&self, path: &str) -> bool {
        self.0.is_match(path)
    }
}

/// gobwas' lexer and parser in one pass, writing the regular expression as it goes.
struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// How many `{` are open (the lexer's `termsLevel`).
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// The whole pattern: its terms in sequence; `{` opens a group of alternatives that `,`
    /// separates and `}` closes (or the end of the pattern does).
    fn pattern(&mut self) -> Option<String> {
        let mut out = String::new();
        // One entry per open `{`: the alternatives written so far.
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        while let Some(c) = self.next() {
            match c {
                '{' => {
                    self.terms += 1;
                    groups.push((std::mem::take(&mut out), Vec::new()));
                }
                ',' if self.terms > 0 => {
                    let (_, alternatives) = groups.last_mut()?;
                    alternatives.push(std::mem::take(&mut out));
                }
                '}' if self.terms > 0 => {
                    self.terms -= 1;
                    let (before, mut alternatives) = groups.pop()?;
                    alternatives.push(std::mem::take(&mut out));
                    out = before + &alternation(&alternatives);
                }
                '[' => out.push_str(&self.class()?),
                '?' => out.push('.'),
                // `*` and `**` (gobwas' Any and Super) are the same without separators.
                '*' => out.push_str(".*"),
                _ => {
                    self.pos -= 1;
                    let in_terms = self.terms > 0;
                    let text = self.text(|c| {
                        matches!(c, '?' | '*' | '[' | '{') || (in_terms && matches!(c, '}' | ','))
                    });
                    out.push_str(&regex::escape(&text));
                }
            }
        }
        // gobwas' parser stops at the end of input inside open `{`: what was written is
        // the last alternative of each.
        while let Some((before, mut alternatives)) = groups.pop() {
            alternatives.push(out);
            out = before + &alternation(&alternatives);
        }
        Some(out)
    }

    /// Literal text up to the next unescaped character that `breaks` it (`fetchText`): `\`
    /// escapes one.
    fn text(&mut self, breaks: impl Fn(char) -> bool) -> String {
        let mut text = String::new();
        let mut escaped = false;
        while let Some(c) = self.next() {
            if !escaped {
                if c == '\\' {
                    escaped = true;
                    continue;
                }
                if breaks(c) {
                    self.pos -= 1;
                    break;
                }
            }
            escaped = false;
            text.push(c);
        }
        text
    }

    /// After `[`: `fetchRange` and `parserRange`. A single range `lo-hi` or a list, optionally
    /// negated by a leading `!`, then `]`; anything else does not compile.
    fn class(&mut self) -> Option<String> {
        let mut not = false;
        if self.peek() == Some('!') {
            self.pos += 1;
            not = true;
        }
        let first = self.next()?;
        let body = if self.peek() == Some('-') {
            self.pos += 1;
            let (lo, hi) = (first, self.next()?);
            // `lo != 0 && hi != 0`: a NUL bound makes neither a range nor a list.
            if hi < lo || lo == '\0' || hi == '\0' {
                return None;
            }
            format!("{}-{}", class_char(lo), class_char(hi))
        } else {
            self.pos -= 1;
            // A bracket list's characters: text up to an unescaped `]`.
            let list = self.text(|c| c == ']');
            if list.is_empty() {
                return None;
            }
            list.chars().map(class_char).collect()
        };
        (self.next()? == ']').then(|| format!("[{}{body}]", if not { "^" } else { "" }))
    }
}

/// `(?:a|b|…)`.
fn alternation(alternatives: &[String]) -> String {
    format!("(?:{})", alternatives.join("|"))
}

/// One character inside a regex class, escaped where the class syntax would read it.
fn class_char(c: char) -> String {
    regex::escape(c.encode_utf8(&mut [0; 4]))
}

#[cfg(test)]
mod tests {
    use super::ArgoGlob;

    fn matches(pattern: &str, path: &str) -> bool {
        ArgoGlob::new(pattern).is_some_and(|g| g.is_match(path))
    }

    #[test]
    fn stars_cross_folders_and_a_leading_double_star_needs_a_slash() {
        assert!(matches("*.yaml", "a.yaml"));
        assert!(matches("*.yaml", "sub/deep/a.yaml"));
        assert!(matches("**/a.yaml", "sub/a.yaml"));
        assert!(matches("**/a.yaml", "sub/deep/a.yaml"));
        // gobwas without separators: `**` is any text, then a literal `/`.
        assert!(!matches("**/a.yaml", "a.yaml"));
        assert!(!matches("**/*.yaml", "a.yaml"));
        assert!(matches("**/*.yaml", "x/a.yaml"));
        assert!(matches("***", "anything/at/all"));
        assert!(matches("sub/**", "sub/"));
        assert!(!matches("sub/**", "sub"));
        assert!(matches("?.yaml", "/.yaml"));
        assert!(!matches("?.yaml", "ab.yaml"));
        // Whole path, not a part of it.
        assert!(!matches("a.yaml", "sub/a.yaml"));
    }

    #[test]
    fn alternatives_nest_and_an_unclosed_brace_closes_at_the_end() {
        assert!(matches("{a,b/*}.yaml", "b/c.yaml"));
        assert!(matches("{a,{b,c}}.yaml", "c.yaml"));
        assert!(!matches("{a,{b,c}}.yaml", "d.yaml"));
        assert!(matches("{a,}x", "x"));
        assert!(matches("{}x", "x"));
        // `{a,b` is `{a,b}`.
        assert!(matches("x{a,b", "xb"));
        assert!(!matches("x{a,b", "x{a,b"));
        // `,` and `}` outside braces are text.
        assert!(matches("a,b}.yaml", "a,b}.yaml"));
    }

    #[test]
    fn brackets_hold_one_range_or_one_list() {
        assert!(matches("[a-c].yaml", "b.yaml"));
        assert!(!matches("[!a-c].yaml", "b.yaml"));
        assert!(matches("[!a-c].yaml", "/.yaml"));
        assert!(matches("[abc].yaml", "c.yaml"));
        assert!(matches("[!abc].yaml", "d.yaml"));
        assert!(matches("[-a]", "-"));
        assert!(matches("[\\]]", "]"));
        assert!(matches("[^]", "^"));
        assert!(matches("[!!]", "?"));
        assert!(!matches("[!!]", "!"));
        // Refused by gobwas: then no path matches.
        for refused in ["[a-z0-9]", "[]", "[!]", "[z-a]", "[abc", "[a-", "x["] {
            assert!(ArgoGlob::new(refused).is_none(), "{refused}");
        }
        // `]` alone is text.
        assert!(matches("a]", "a]"));
    }

    #[test]
    fn escapes_and_regex_characters_are_literal() {
        assert!(matches("\\*.yaml", "*.yaml"));
        assert!(!matches("\\*.yaml", "a.yaml"));
        assert!(matches("a.yaml", "a.yaml"));
        assert!(!matches("a.yaml", "axyaml"));
        assert!(matches("(x)+|$.yaml", "(x)+|$.yaml"));
        // A trailing backslash is dropped.
        assert!(matches("a\\", "a"));
        assert!(matches("[.]", "."));
        assert!(!matches("[.]", "x"));
    }
}
