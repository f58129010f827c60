//! Go's `path.Match`, which Argo CD's ApplicationSet git directory generator matches folders
//! with (argo-cd `applicationset/generators/git.go` `filterApps`: `path.Match(requestedPath.Path,
//! appPath)`; a pattern that returns an error is logged and skipped, so it matches nothing).
//!
//! The syntax, as Go's `path/match.go` documents and checks it:
//! - `*` any run of characters other than `/`, `?` any one character other than `/`;
//! - `[…]`, `[^…]`: one character of (not of) a non-empty list of characters and `lo-hi`
//!   ranges; `\` escapes inside and outside brackets; a class may match `/`;
//! - a pattern with a syntax error (an unclosed `[`, an empty class, `-` or `]` where a
//!   character is due, a trailing `\`) never matches: Go returns `ErrBadPattern` whether or
//!   not the name would have matched.
//!
//! Every element but `*` matches exactly one character, so the pattern compiles to an
//! anchored regular expression (linear matching, no backtracking).

use regex::Regex;

/// A compiled `path.Match` pattern.
#[derive(Debug, Clone)]
pub struct GoPathPattern(Regex);

impl GoPathPattern {
    /// The pattern, `None` when Go reports `ErrBadPattern` for it.
    pub fn new(pattern: &str) -> Option<GoPathPattern> {
        let mut chars = pattern.chars().peekable();
        let mut body = String::new();
        while let Some(c) = chars.next() {
            match c {
                '*' => body.push_str("[^/]*"),
                '?' => body.push_str("[^/]"),
                '[' => body.push_str(&class(&mut chars)?),
                '\\' => body.push_str(&regex::escape(&chars.next()?.to_string())),
                c => body.push_str(&regex::escape(&c.to_string())),
            }
        }
        Regex::new(&format!(r"\A(?s:{body})\z"))
            .ok()
            .map(GoPathPattern)
    }

    /// Does the whole `/`-separated path match?
    pub fn is_match(&self, path: &str) -> bool {
        self.0.is_match(path)
    }
}

/// The rest of a `[` class, up to its `]`, as a regex class. Go reads at least one range,
/// each a character (not `-` or `]`, `\` escapes) optionally followed by `-` and another.
fn class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut out = String::from("[");
    if chars.peek() == Some(&'^') {
        chars.next();
        out.push('^');
    }
    let mut ranges = 0;
    loop {
        if ranges > 0 && chars.peek() == Some(&']') {
            chars.next();
            break;
        }
        let lo = class_char(chars)?;
        let hi = if chars.peek() == Some(&'-') {
            chars.next();
            class_char(chars)?
        } else {
            lo
        };
        // Go accepts `lo > hi` (a range nothing is in); the regex crate does not.
        if lo <= hi {
            out.push_str(&format!("{}-{}", escape_in_class(lo), escape_in_class(hi)));
        }
        ranges += 1;
    }
    if out == "[" {
        // Only empty ranges: no character.
        return Some(r"[^\s\S]".to_string());
    }
    if out == "[^" {
        return Some(r"[\s\S]".to_string());
    }
    out.push(']');
    Some(out)
}

/// One character of a class (Go's `getEsc`): not `-` or `]`, `\` escapes, and the class
/// must go on after it.
fn class_char(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    let c = match chars.next()? {
        '-' | ']' => return None,
        '\\' => chars.next()?,
        c => c,
    };
    chars.peek()?;
    Some(c)
}

fn escape_in_class(c: char) -> String {
    if c.is_ascii_punctuation() {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::GoPathPattern;

    /// (pattern, path, Go's answer); `None` patterns are `ErrBadPattern`. The answers follow
    /// Go's own `path/match_test.go` table where it has the case.
    #[test]
    fn matches_as_go_path_match() {
        let cases: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("a[^a][^a][^a]b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "a", false),
            ("*x", "xxx", true),
            // A class may match `/`; `?` and `*` may not.
            ("a[/]b", "a/b", true),
            ("a[^x]b", "a/b", true),
            // An empty range is no error: it matches nothing.
            ("[z-a]", "m", false),
            ("[z-ab]", "b", true),
            // Folders as the generator passes them: relative, no trailing `/`.
            ("apps/*", "apps/wiki", true),
            ("apps/*", "apps/wiki/deeper", false),
            ("apps/*/", "apps/wiki", false),
            ("*/*", "apps/wiki", true),
        ];
        for &(pattern, path, expected) in cases {
            let compiled =
                GoPathPattern::new(pattern).unwrap_or_else(|| panic!("`{pattern}` should compile"));
            assert_eq!(compiled.is_match(path), expected, "{pattern} vs {path}");
        }
    }

    #[test]
    fn bad_patterns_match_nothing() {
        for bad in [
            "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "[]",
        ] {
            assert!(
                GoPathPattern::new(bad).is_none(),
                "`{bad}` is ErrBadPattern"
            );
        }
    }
}
