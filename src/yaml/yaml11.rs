//! How Kubernetes types a scalar. Its YAML decoder (go-yaml v2 via sigs.k8s.io/yaml) follows
//! YAML 1.1, so unquoted `yes`, `on`, `y`, `~`, `010` or `2024-01-01` are not strings there,
//! although a YAML 1.2 parser reads several of them as strings.

use super::tree::{Scalar, ScalarStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlType {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    String,
}

impl YamlType {
    pub fn describe(self) -> &'static str {
        match self {
            YamlType::Null => "null",
            YamlType::Bool => "a boolean",
            YamlType::Int => "an integer",
            YamlType::Float => "a number",
            YamlType::Timestamp => "a timestamp",
            YamlType::String => "a string",
        }
    }
}

pub fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

pub fn is_bool(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// Is this YAML 1.1 boolean word a true one (`y`, `yes`, `on`, `true`, in any of their cases)?
pub fn is_true(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON"
    )
}

/// The type Kubernetes gives a scalar, from its style, tag and text.
pub fn classify(scalar: &Scalar, tag: Option<&str>) -> YamlType {
    match tag {
        Some("!!str") => return YamlType::String,
        Some("!!null") => return YamlType::Null,
        Some("!!bool") => return YamlType::Bool,
        Some("!!int") => return YamlType::Int,
        Some("!!float") => return YamlType::Float,
        Some("!!timestamp") => return YamlType::Timestamp,
        _ => {}
    }
    if scalar.style != ScalarStyle::Plain {
        return YamlType::String;
    }
    resolve_plain(&scalar.text)
}

/// go-yaml v2's `resolve` for an untagged plain scalar.
pub fn resolve_plain(text: &str) -> YamlType {
    if is_null(text) {
        return YamlType::Null;
    }
    if is_bool(text) {
        return YamlType::Bool;
    }
    if matches!(
        text,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
    ) || matches!(text, ".nan" | ".NaN" | ".NAN")
    {
        return YamlType::Float;
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return YamlType::String;
    }
    let without_underscores = text.replace('_', "");
    if is_int(&without_underscores) {
        return YamlType::Int;
    }
    if is_float(&without_underscores) {
        return YamlType::Float;
    }
    if first.is_ascii_digit() && is_timestamp(text) {
        return YamlType::Timestamp;
    }
    YamlType::String
}

fn is_int(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() {
        return false;
    }
    if let Some(hex) = digits.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(bin) = digits.strip_prefix("0b") {
        return !bin.is_empty() && bin.bytes().all(|b| b == b'0' || b == b'1');
    }
    if let Some(oct) = digits.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return digits.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    digits.bytes().all(|b| b.is_ascii_digit())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        Some((int, frac)) => {
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// `YYYY-M-D`, optionally followed by a time (`T`, `t` or space separated).
fn is_timestamp(text: &str) -> bool {
    let date = text.split(['T', 't', ' ']).next().unwrap_or("");
    let parts: Vec<&str> = date.split('-').collect();
    let date_ok = parts.len() == 3
        && parts[0].len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    if !date_ok {
        return false;
    }
    let rest = &text[date.len()..];
    rest.is_empty() || rest[1..].contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> YamlType {
        classify(
            &Scalar {
                text: text.into(),
                style: ScalarStyle::Plain,
            },
            None,
        )
    }

    #[test]
    fn yaml11_booleans_that_yaml12_reads_as_strings() {
        for text in ["yes", "on", "y", "N", "Off", "TRUE"] {
            assert_eq!(plain(text), YamlType::Bool, "{text}");
        }
    }

    #[test]
    fn numbers_nulls_and_dates() {
        assert_eq!(plain("0"), YamlType::Int);
        assert_eq!(plain("-1"), YamlType::Int);
        assert_eq!(plain("010"), YamlType::Int);
        assert_eq!(plain("1_000"), YamlType::Int);
        assert_eq!(plain("0x1F"), YamlType::Int);
        assert_eq!(plain("1.5"), YamlType::Float);
        // Not octal, so go-yaml falls through to its float pattern.
        assert_eq!(plain("09"), YamlType::Float);
        assert_eq!(plain("1e3"), YamlType::Float);
        assert_eq!(plain(".inf"), YamlType::Float);
        assert_eq!(plain("~"), YamlType::Null);
        assert_eq!(plain(""), YamlType::Null);
        assert_eq!(plain("2024-01-01"), YamlType::Timestamp);
    }

    #[test]
    fn strings_stay_strings() {
        for text in [
            "true-ish", "postgres", "1.2.3", "-", "app-1", "v1", "0.1.0a",
        ] {
            assert_eq!(plain(text), YamlType::String, "{text}");
        }
        let quoted = Scalar {
            text: "yes".into(),
            style: ScalarStyle::DoubleQuoted,
        };
        assert_eq!(classify(&quoted, None), YamlType::String);
        let tagged = Scalar {
            text: "0".into(),
            style: ScalarStyle::Plain,
        };
        assert_eq!(classify(&tagged, Some("!!str")), YamlType::String);
    }
}
