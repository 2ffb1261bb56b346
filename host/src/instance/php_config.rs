//! ownCloud's `config/config.php`, read without PHP and written as ownCloud writes it (what
//! [`super::config::Config`] reads and writes on an ownCloud server in place).
//!
//! Reading accepts what a plain array literal may hold, as ownCloud's `Config` and admins write
//! it: `<?php`, comments (`//`, `#`, `/* */`), `$CONFIG = array (...);` or `[...]`, keys that are
//! strings or integers (or none, for a list), strings in both quote styles with PHP's escapes,
//! integers (decimal, hex, octal, binary, `_` separators, a sign), floats, `true`, `false`,
//! `null` (any case), nested arrays, trailing commas. Anything else (a constant, a function call
//! such as `getenv()`, concatenation, an interpolated `"$x"`, an `include`) is refused with its
//! line: such a file is code, which occ neither runs nor rewrites. An array whose keys are
//! 0, 1, 2... in order is a JSON array; any other is an object, in the file's order.
//!
//! Writing is PHP's `var_export` of the array after `<?php\n$CONFIG = `, as ownCloud's
//! `Config::writeData` does: two spaces per level, `'key' => value,`, a nested array on its own
//! line after `=> `, strings single-quoted with `\` and `'` escaped, `NULL`, `true`/`false`.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// Why a config.php cannot be read as a plain array literal.
#[derive(Debug, Clone, PartialEq)]
pub struct PhpError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl std::fmt::Display for PhpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for PhpError {}

struct Parser<'a> {
    src: &'a [u8],
    at: usize,
}

/// A key of a PHP array, as the writer exports it.
enum Key {
    Int(i64),
    Str(String),
}

impl<'a> Parser<'a> {
    fn line(&self) -> usize {
        1 + self.src[..self.at.min(self.src.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, PhpError> {
        Err(PhpError {
            line: self.line(),
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.at).copied()
    }

    fn rest(&self) -> &'a [u8] {
        &self.src[self.at.min(self.src.len())..]
    }

    /// Skips white space and comments.
    fn skip(&mut self) -> Result<(), PhpError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.at += 1,
                Some(b'#') => self.skip_line(),
                Some(b'/') if self.rest().starts_with(b"//") => self.skip_line(),
                Some(b'/') if self.rest().starts_with(b"/*") => {
                    match find(&self.rest()[2..], b"*/") {
                        Some(end) => self.at += 2 + end + 2,
                        None => return self.fail("a comment that never ends"),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'\n' {
                break;
            }
            // `?>` ends a line comment too, and the PHP code with it.
            if self.rest().starts_with(b"?>") {
                break;
            }
            self.at += 1;
        }
    }

    fn eat(&mut self, what: &[u8]) -> Result<bool, PhpError> {
        self.skip()?;
        if self.rest().starts_with(what) {
            self.at += what.len();
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect(&mut self, what: &str) -> Result<(), PhpError> {
        if self.eat(what.as_bytes())? {
            Ok(())
        } else {
            let found = self.found();
            self.fail(format!("expected `{what}`, found {found}"))
        }
    }

    /// What stands at the cursor, for messages.
    /// What is at the cursor, as an error names it: punctuation as itself, anything else by
    /// its kind, never its text (it may be part of a password on a broken line).
    fn found(&self) -> String {
        match self.rest().first() {
            None => "the end of the file".into(),
            Some(b'\'' | b'"') => "a string".into(),
            Some(b'$') => {
                let name: String = self.rest()[1..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .map(|b| *b as char)
                    .collect();
                format!("`${name}`")
            }
            Some(c) if c.is_ascii_digit() => "a number".into(),
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c >= 0x80 => "a word".into(),
            Some(c) => format!("`{}`", *c as char),
        }
    }

    /// A word (identifier) at the cursor, lowercased, without consuming it.
    fn word(&self) -> String {
        self.rest()
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .map(|b| b.to_ascii_lowercase() as char)
            .collect()
    }

    fn file(&mut self) -> Result<Map<String, Value>, PhpError> {
        self.skip()?;
        if !self.eat(b"<?php")? {
            return self.fail("the file does not start with `<?php`");
        }
        self.expect("$CONFIG")?;
        self.expect("=")?;
        let value = self.value()?;
        self.expect(";")?;
        self.skip()?;
        if self.eat(b"?>")? {
            self.skip()?;
        }
        if self.at < self.src.len() {
            let found = self.found();
            return self.fail(format!(
                "{found} after the array: only `$CONFIG = array (...);` may be there"
            ));
        }
        match value {
            Value::Object(m) => Ok(m),
            Value::Array(a) if a.is_empty() => Ok(Map::new()),
            _ => self.fail("$CONFIG is not an array with named keys"),
        }
    }

    fn value(&mut self) -> Result<Value, PhpError> {
        self.skip()?;
        match self.peek() {
            Some(b'\'' | b'"') => {
                // Strings joined with `.` are one value (var_export writes a NUL byte so).
                let mut text = self.string()?;
                while self.eat(b".")? {
                    self.skip()?;
                    if !matches!(self.peek(), Some(b'\'' | b'"')) {
                        return self.fail(
                            "only strings may be joined with `.`: occ reads only plain values",
                        );
                    }
                    text.push_str(&self.string()?);
                }
                Ok(Value::String(text))
            }
            Some(b'[') => {
                self.at += 1;
                self.array(b']')
            }
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let word = self.word();
                match word.as_str() {
                    "array" => {
                        self.at += word.len();
                        self.expect("(")?;
                        self.array(b')')
                    }
                    "true" | "false" | "null" => {
                        self.at += word.len();
                        Ok(match word.as_str() {
                            "true" => Value::Bool(true),
                            "false" => Value::Bool(false),
                            _ => Value::Null,
                        })
                    }
                    _ => {
                        // A call names its function (getenv); a bare word is not shown.
                        let call = self.rest()[word.len()..]
                            .iter()
                            .find(|b| !b.is_ascii_whitespace())
                            == Some(&b'(');
                        let what = if call {
                            format!("`{word}()` is code (a call)")
                        } else {
                            "a word is code (a constant)".to_string()
                        };
                        self.fail(format!("{what}, not a value: occ reads only plain values"))
                    }
                }
            }
            _ => {
                let found = self.found();
                self.fail(format!("expected a value, found {found}"))
            }
        }
    }

    fn array(&mut self, close: u8) -> Result<Value, PhpError> {
        // A repeated key keeps its first place and takes the last value, as in PHP (and as
        // an insert into the ordered map does).
        let mut entries = Map::new();
        let mut next_index: i64 = 0;
        loop {
            if self.eat(&[close])? {
                break;
            }
            let first = self.value()?;
            let (index, key, value) = if self.eat(b"=>")? {
                let index = match &first {
                    // PHP turns a decimal integer string key into an integer key.
                    Value::String(s) => s.parse::<i64>().ok().filter(|n| n.to_string() == *s),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => Some(i),
                        None => return self.fail("a float as an array key"),
                    },
                    Value::Bool(b) => Some(*b as i64),
                    Value::Null => None,
                    _ => return self.fail("an array as an array key"),
                };
                let key = match (index, first) {
                    (Some(i), _) => i.to_string(),
                    (None, Value::String(s)) => s,
                    (None, _) => String::new(),
                };
                (index, key, self.value()?)
            } else {
                (Some(next_index), next_index.to_string(), first)
            };
            if let Some(i) = index {
                next_index = next_index.max(i.saturating_add(1));
            }
            entries.insert(key, value);
            if self.eat(b",")? {
                continue;
            }
            if self.eat(&[close])? {
                break;
            }
            let found = self.found();
            return self.fail(format!(
                "expected `,` or `{}`, found {found}",
                close as char
            ));
        }
        // Keys 0, 1, 2... in order: a list (a string key never reads as an integer, above).
        let is_list = entries.keys().enumerate().all(|(i, k)| *k == i.to_string());
        Ok(if is_list {
            Value::Array(entries.into_iter().map(|(_, v)| v).collect())
        } else {
            Value::Object(entries)
        })
    }

    fn string(&mut self) -> Result<String, PhpError> {
        if self.peek() == Some(b'"') {
            self.double()
        } else {
            self.single()
        }
    }

    fn single(&mut self) -> Result<String, PhpError> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return self.fail("a string that never ends"),
                Some(b'\'') => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') if matches!(self.src.get(self.at + 1), Some(b'\\' | b'\'')) => {
                    out.push(self.src[self.at + 1]);
                    self.at += 2;
                }
                Some(b) => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
        self.utf8(out)
    }

    fn double(&mut self) -> Result<String, PhpError> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return self.fail("a string that never ends"),
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(b'$')
                    if self
                        .src
                        .get(self.at + 1)
                        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || *c == b'{') =>
                {
                    return self.fail("a variable inside a \"...\" string is code, not a value: occ reads only plain values");
                }
                Some(b'{') if self.src.get(self.at + 1) == Some(&b'$') => {
                    return self.fail("a variable inside a \"...\" string is code, not a value: occ reads only plain values");
                }
                Some(b'\\') => {
                    let next = self.src.get(self.at + 1).copied();
                    self.at += 2;
                    match next {
                        Some(b'n') => out.push(b'\n'),
                        Some(b't') => out.push(b'\t'),
                        Some(b'r') => out.push(b'\r'),
                        Some(b'v') => out.push(0x0b),
                        Some(b'e') => out.push(0x1b),
                        Some(b'f') => out.push(0x0c),
                        Some(b'\\') => out.push(b'\\'),
                        Some(b'$') => out.push(b'$'),
                        Some(b'"') => out.push(b'"'),
                        Some(b'0'..=b'7') => {
                            self.at -= 1;
                            out.push(self.escaped_digits(8, 3));
                        }
                        Some(b'x') if self.src.get(self.at).is_some_and(u8::is_ascii_hexdigit) => {
                            out.push(self.escaped_digits(16, 2));
                        }
                        Some(b'u') if self.src.get(self.at) == Some(&b'{') => {
                            let Some(close) = find(&self.src[self.at..], b"}") else {
                                return self.fail("a \\u{...} escape that never ends");
                            };
                            let digits =
                                std::str::from_utf8(&self.src[self.at + 1..self.at + close])
                                    .unwrap_or("");
                            let Some(c) = u32::from_str_radix(digits, 16)
                                .ok()
                                .and_then(char::from_u32)
                            else {
                                return self.fail(format!("\\u{{{digits}}} is no character"));
                            };
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            self.at += close + 1;
                        }
                        // Any other escape stays as written, as in PHP.
                        Some(c) => {
                            out.push(b'\\');
                            out.push(c);
                        }
                        None => return self.fail("a string that never ends"),
                    }
                }
                Some(b) => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
        self.utf8(out)
    }

    /// The byte of an octal (`\101`) or hex (`\x41`) escape: up to `max` digits from the
    /// cursor, which ends after them (PHP keeps the low byte of an octal over 255).
    fn escaped_digits(&mut self, radix: u32, max: usize) -> u8 {
        let mut value: u32 = 0;
        let mut n = 0;
        while n < max {
            match self
                .src
                .get(self.at)
                .and_then(|b| (*b as char).to_digit(radix))
            {
                Some(d) => value = value * radix + d,
                None => break,
            }
            self.at += 1;
            n += 1;
        }
        (value & 0xff) as u8
    }

    fn utf8(&self, bytes: Vec<u8>) -> Result<String, PhpError> {
        String::from_utf8(bytes).or_else(|_| self.fail("a string that is not UTF-8"))
    }

    fn number(&mut self) -> Result<Value, PhpError> {
        let start = self.at;
        let negative = match self.peek() {
            Some(b'-') => {
                self.at += 1;
                true
            }
            Some(b'+') => {
                self.at += 1;
                false
            }
            _ => false,
        };
        self.skip()?;
        let body_start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            || (matches!(self.peek(), Some(b'+' | b'-'))
                && matches!(self.src.get(self.at - 1), Some(b'e' | b'E'))
                && !self.src[body_start..self.at].starts_with(b"0x")
                && !self.src[body_start..self.at].starts_with(b"0X"))
        {
            self.at += 1;
        }
        let text: String = String::from_utf8_lossy(&self.src[body_start..self.at]).replace('_', "");
        let lower = text.to_ascii_lowercase();
        let int = |digits: &str, radix: u32| i64::from_str_radix(digits, radix).ok();
        let parsed = if let Some(h) = lower.strip_prefix("0x") {
            int(h, 16).map(Value::from)
        } else if let Some(b) = lower.strip_prefix("0b") {
            int(b, 2).map(Value::from)
        } else if let Some(o) = lower.strip_prefix("0o") {
            int(o, 8).map(Value::from)
        } else if lower.len() > 1
            && lower.starts_with('0')
            && lower.bytes().all(|b| b.is_ascii_digit())
        {
            int(&lower[1..], 8).map(Value::from)
        } else if lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() {
            lower.parse::<i64>().ok().map(Value::from).or_else(|| {
                // Beyond an integer, PHP makes it a float.
                lower
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            })
        } else {
            lower
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(Number::from_f64)
                .map(Value::Number)
        };
        let Some(v) = parsed else {
            self.at = start;
            return self.fail("a number PHP would not read");
        };
        if !negative {
            return Ok(v);
        }
        Ok(match v {
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Value::from(-i),
                (None, Some(f)) => Number::from_f64(-f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
                _ => Value::Null,
            },
            other => other,
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads a config.php's `$CONFIG` array.
pub fn parse(text: &str) -> Result<Map<String, Value>, PhpError> {
    Parser {
        src: text.as_bytes(),
        at: 0,
    }
    .file()
}

/// The config as ownCloud writes config.php (`var_export`).
pub fn write(config: &Map<String, Value>) -> String {
    let mut out = String::from("<?php\n$CONFIG = ");
    export_object(
        &mut out,
        config.iter().map(|(k, v)| (Key::Str(k.clone()), v)),
        0,
    );
    out.push_str(";\n");
    out
}

fn export_object<'v>(
    out: &mut String,
    entries: impl Iterator<Item = (Key, &'v Value)>,
    depth: usize,
) {
    let pad = "  ".repeat(depth);
    out.push_str("array (\n");
    for (k, v) in entries {
        out.push_str(&pad);
        out.push_str("  ");
        match k {
            Key::Int(i) => {
                let _ = write!(out, "{i}");
            }
            // var_export writes a key that reads as an integer as one.
            Key::Str(s) => match s.parse::<i64>() {
                Ok(n) if n.to_string() == s => {
                    let _ = write!(out, "{n}");
                }
                _ => quote(out, &s),
            },
        }
        out.push_str(" => ");
        match v {
            Value::Array(_) | Value::Object(_) => {
                out.push('\n');
                out.push_str(&pad);
                out.push_str("  ");
                export_value(out, v, depth + 1);
            }
            _ => export_value(out, v, depth + 1),
        }
        out.push_str(",\n");
    }
    out.push_str(&pad);
    out.push(')');
}

fn export_value(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Null => out.push_str("NULL"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (_, _, Some(f)) => {
                // var_export keeps a float a float: 1.0, not 1.
                let s = format!("{f:?}");
                out.push_str(&s);
            }
            _ => out.push_str("NULL"),
        },
        Value::String(s) => quote(out, s),
        Value::Array(a) => export_object(
            out,
            a.iter().enumerate().map(|(i, v)| (Key::Int(i as i64), v)),
            depth,
        ),
        Value::Object(m) => {
            export_object(out, m.iter().map(|(k, v)| (Key::Str(k.clone()), v)), depth)
        }
    }
}

/// A single-quoted PHP string; a NUL byte as var_export writes it (`' . "\0" . '`).
fn quote(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\0' => out.push_str("' . \"\\0\" . '"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// ownCloud 10.15.2's own config.php (the fixture's), byte for byte.
    const OWNCLOUD: &str = "<?php\n$CONFIG = array (\n  'passwordsalt' => '/0sYFsnN+MGzNwkmFB8JX5j73Dn5ma',\n  'trusted_domains' => \n  array (\n    0 => 'localhost',\n    1 => 'cloud.example.org',\n  ),\n  'datadirectory' => '/var/www/owncloud/data',\n  'apps_paths' => \n  array (\n    0 => \n    array (\n      'path' => '/var/www/owncloud/apps',\n      'url' => '/apps',\n      'writable' => false,\n    ),\n  ),\n  'installed' => true,\n  'loglevel' => 2,\n  'maintenance' => false,\n);\n";

    #[test]
    fn owncloud_s_file_reads_and_writes_back_byte_for_byte() {
        let c = parse(OWNCLOUD).unwrap();
        assert_eq!(
            Value::Object(c.clone()),
            json!({
                "passwordsalt": "/0sYFsnN+MGzNwkmFB8JX5j73Dn5ma",
                "trusted_domains": ["localhost", "cloud.example.org"],
                "datadirectory": "/var/www/owncloud/data",
                "apps_paths": [{"path": "/var/www/owncloud/apps", "url": "/apps", "writable": false}],
                "installed": true,
                "loglevel": 2,
                "maintenance": false
            })
        );
        assert_eq!(write(&c), OWNCLOUD);
    }

    #[test]
    fn the_encrypted_fixture_s_config_writes_back_byte_for_byte() {
        let tar = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/oc10/oc10-encrypted.tar.gz");
        let out = std::process::Command::new("tar")
            .arg("-xzOf")
            .arg(tar)
            .arg("config/config.php")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let c = parse(&text).unwrap();
        assert_eq!(c["version"], json!("10.15.2.0"));
        assert_eq!(write(&c), text);
    }

    #[test]
    fn every_literal_form_reads() {
        let text = r#"<?php
// a comment
# another
/* and a block */
$CONFIG = [
  "double" => "tab\there \"q\" \$ \x41\101\u{1F389} \q",
  'single' => 'it\'s a \\ back\slash',
  'int' => -42, 'hex' => 0x1F, 'oct' => 0755, 'bin' => 0b101, 'sep' => 1_000,
  'float' => 1.5, 'exp' => -2e3, 'dot' => .25,
  'yes' => TRUE, 'no' => False, 'nothing' => NULL,
  'list' => array('a', 'b',), 'empty' => [],
  'keys' => [5 => 'five', 'x' => 'ex', 'six'],
  'dup' => 1, 'dup' => 2, 'joined' => 'a' . "\0" . 'b',
];
?>
"#;
        let c = parse(text).unwrap();
        assert_eq!(
            Value::Object(c),
            json!({
                "double": "tab\there \"q\" $ AA🎉 \\q",
                "single": "it's a \\ back\\slash",
                "int": -42, "hex": 31, "oct": 493, "bin": 5, "sep": 1000,
                "float": 1.5, "exp": -2000.0, "dot": 0.25,
                "yes": true, "no": false, "nothing": null,
                "list": ["a", "b"], "empty": [],
                "keys": {"5": "five", "x": "ex", "6": "six"},
                "dup": 2, "joined": "a\u{0}b"
            })
        );
    }

    #[test]
    fn code_is_refused_with_its_line() {
        for (text, line, start) in [
            (
                "<?php\n$CONFIG = array (\n  'a' => getenv('X'),\n);\n",
                3,
                "`getenv()` is code",
            ),
            (
                "<?php\n$CONFIG = array ('a' => FOO);\n",
                2,
                "a word is code",
            ),
            (
                "<?php\n$CONFIG = array ('a' => 'x' . FOO);\n",
                2,
                "only strings may be joined",
            ),
            (
                "<?php\n$CONFIG = array ('a' => 1 + 2);\n",
                2,
                "expected `,` or `)`",
            ),
            (
                "<?php\n$CONFIG = array ('a' => \"$x\");\n",
                2,
                "a variable inside",
            ),
            ("<?php\ninclude 'other.php';\n", 2, "expected `$CONFIG`"),
            (
                "<?php\n$CONFIG = array ('a' => 1);\n$CONFIG['b'] = 2;\n",
                3,
                "`$CONFIG` after the array",
            ),
            (
                "<?php\n$CONFIG = array ('a' => 'open\n",
                3,
                "a string that never ends",
            ),
            ("$CONFIG = array ();", 1, "the file does not start"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.starts_with(start), "{text}: {e}");
        }
    }

    #[test]
    fn written_files_read_back_the_same() {
        let c: Map<String, Value> = serde_json::from_value(json!({
            "quote's": "back\\slash and 'quotes' and \"double\"",
            "nul": "a\u{0}b",
            "unicode": "ünïcødé 🎉",
            "n": 0, "neg": -7, "f": 1.0, "g": 0.1,
            "nested": {"a": [1, [2, {"b": null}]], "10": "ten"},
            "empty": [], "t": true
        }))
        .unwrap();
        let text = write(&c);
        assert!(text.contains("  'f' => 1.0,\n"), "{text}");
        assert!(text.contains("  'nul' => 'a' . \"\\0\" . 'b',\n"), "{text}");
        assert!(text.contains("    10 => 'ten',\n"), "{text}");
        let back = parse(&text).unwrap();
        assert_eq!(back, c);
    }
}
