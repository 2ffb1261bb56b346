//! A reader of ownCloud's PHP translation files: `$TRANSLATIONS = array("a" => "b",
//! "_%n x_::_%n xs_" => array("..", ".."));` and `$PLURAL_FORMS = "...";`. Only these literal
//! forms are accepted (strings, `array(...)`/`[...]`, `=>`, comments); nothing is executed.

use serde_json::Value;

use crate::catalog::Catalog;

/// A malformed file: the 1-based line and what is wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct PhpError {
    /// Line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Var(String),
    Str(String),
    Ident(String),
    Punct(&'static str),
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

fn err(line: usize, message: impl Into<String>) -> PhpError {
    PhpError {
        line,
        message: message.into(),
    }
}

impl Lexer<'_> {
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    fn skip_space_and_comments(&mut self) -> Result<(), PhpError> {
        loop {
            match self.chars.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('#') => {
                    while self.chars.peek().is_some_and(|c| *c != '\n') {
                        self.bump();
                    }
                }
                Some('/') => {
                    let mut look = self.chars.clone();
                    look.next();
                    match look.peek() {
                        Some('/') => {
                            while self.chars.peek().is_some_and(|c| *c != '\n') {
                                self.bump();
                            }
                        }
                        Some('*') => {
                            let start = self.line;
                            self.bump();
                            self.bump();
                            loop {
                                match self.bump() {
                                    Some('*') if self.chars.peek() == Some(&'/') => {
                                        self.bump();
                                        break;
                                    }
                                    Some(_) => {}
                                    None => return Err(err(start, "unterminated comment")),
                                }
                            }
                        }
                        _ => return Ok(()),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<String, PhpError> {
        let start = self.line;
        let mut out = Vec::<u8>::new();
        let push = |out: &mut Vec<u8>, c: char| {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        };
        loop {
            let Some(c) = self.bump() else {
                return Err(err(start, "unterminated string"));
            };
            if c == quote {
                break;
            }
            if c != '\\' {
                push(&mut out, c);
                continue;
            }
            let Some(e) = self.bump() else {
                return Err(err(start, "unterminated string"));
            };
            if quote == '\'' {
                // Single quotes: only \' and \\ are escapes.
                if e != '\'' && e != '\\' {
                    push(&mut out, '\\');
                }
                push(&mut out, e);
                continue;
            }
            match e {
                'n' => out.push(b'\n'),
                't' => out.push(b'\t'),
                'r' => out.push(b'\r'),
                'v' => out.push(0x0b),
                'e' => out.push(0x1b),
                'f' => out.push(0x0c),
                '\\' => out.push(b'\\'),
                '$' => out.push(b'$'),
                '"' => out.push(b'"'),
                '0'..='7' => {
                    let mut v = e.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.chars.peek().and_then(|c| c.to_digit(8)) {
                            Some(d) => {
                                v = v * 8 + d;
                                self.bump();
                            }
                            None => break,
                        }
                    }
                    out.push((v & 0xff) as u8);
                }
                'x' if self.chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) => {
                    let mut v = 0;
                    for _ in 0..2 {
                        match self.chars.peek().and_then(|c| c.to_digit(16)) {
                            Some(d) => {
                                v = v * 16 + d;
                                self.bump();
                            }
                            None => break,
                        }
                    }
                    out.push(v as u8);
                }
                'u' if self.chars.peek() == Some(&'{') => {
                    self.bump();
                    let mut hex = String::new();
                    while let Some(c) = self.bump() {
                        if c == '}' {
                            break;
                        }
                        hex.push(c);
                    }
                    let ch = u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| err(self.line, format!("invalid \\u{{{hex}}} escape")))?;
                    push(&mut out, ch);
                }
                other => {
                    // PHP keeps unknown escapes as written.
                    push(&mut out, '\\');
                    push(&mut out, other);
                }
            }
        }
        String::from_utf8(out).map_err(|_| err(start, "the string is not valid UTF-8"))
    }

    fn next(&mut self) -> Result<Option<(usize, Tok)>, PhpError> {
        self.skip_space_and_comments()?;
        let line = self.line;
        let Some(&c) = self.chars.peek() else {
            return Ok(None);
        };
        if c == '?' {
            // A closing `?>` ends the PHP code.
            let mut look = self.chars.clone();
            look.next();
            if look.peek() == Some(&'>') {
                return Ok(None);
            }
        }
        let tok = match c {
            '"' | '\'' => {
                self.bump();
                Tok::Str(self.string(c)?)
            }
            '$' => {
                self.bump();
                let mut name = String::new();
                while self
                    .chars
                    .peek()
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    name.extend(self.bump());
                }
                Tok::Var(name)
            }
            '=' => {
                self.bump();
                if self.chars.peek() == Some(&'>') {
                    self.bump();
                    Tok::Punct("=>")
                } else {
                    Tok::Punct("=")
                }
            }
            '(' | ')' | '[' | ']' | ',' | ';' => {
                self.bump();
                Tok::Punct(match c {
                    '(' => "(",
                    ')' => ")",
                    '[' => "[",
                    ']' => "]",
                    ',' => ",",
                    _ => ";",
                })
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut name = String::new();
                while self
                    .chars
                    .peek()
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    name.extend(self.bump());
                }
                Tok::Ident(name)
            }
            other => return Err(err(line, format!("unexpected character '{other}'"))),
        };
        Ok(Some((line, tok)))
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    last_line: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .map(|(l, _)| *l)
            .unwrap_or(self.last_line)
    }
    fn take(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|(_, t)| t.clone());
        self.pos += 1;
        t
    }
    fn expect(&mut self, p: &'static str) -> Result<(), PhpError> {
        let line = self.line();
        match self.take() {
            Some(Tok::Punct(q)) if q == p => Ok(()),
            Some(t) => Err(err(line, format!("expected '{p}', found {}", describe(&t)))),
            None => Err(err(
                line,
                format!("expected '{p}' before the end of the file"),
            )),
        }
    }

    fn value(&mut self) -> Result<Value, PhpError> {
        let line = self.line();
        match self.take() {
            Some(Tok::Str(s)) => Ok(Value::String(s)),
            Some(Tok::Ident(i)) if i.eq_ignore_ascii_case("array") => {
                self.expect("(")?;
                self.items(")")
            }
            Some(Tok::Punct("[")) => self.items("]"),
            Some(t) => Err(err(
                line,
                format!("expected a string or an array, found {}", describe(&t)),
            )),
            None => Err(err(line, "unexpected end of the file")),
        }
    }

    /// Array items up to `close`: a list (plural forms) or a map (translations).
    fn items(&mut self, close: &'static str) -> Result<Value, PhpError> {
        let mut map = serde_json::Map::new();
        let mut list = Vec::new();
        loop {
            if self.peek() == Some(&Tok::Punct(close)) {
                self.take();
                break;
            }
            let key_line = self.line();
            let v = self.value()?;
            if self.peek() == Some(&Tok::Punct("=>")) {
                self.take();
                let Value::String(k) = v else {
                    return Err(err(key_line, "an array key must be a string"));
                };
                let val = self.value()?;
                map.insert(k, val);
            } else {
                list.push(v);
            }
            match self.peek() {
                Some(Tok::Punct(",")) => {
                    self.take();
                }
                Some(Tok::Punct(p)) if *p == close => {}
                _ => return Err(err(self.line(), format!("expected ',' or '{close}'"))),
            }
        }
        match (map.is_empty(), list.is_empty()) {
            (_, true) => Ok(Value::Object(map)),
            (true, false) => Ok(Value::Array(list)),
            (false, false) => Err(err(self.last_line, "an array mixes keys and plain values")),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Var(v) => format!("${v}"),
        Tok::Str(_) => "a string".into(),
        Tok::Ident(i) => i.clone(),
        Tok::Punct(p) => format!("'{p}'"),
    }
}

/// Parses an ownCloud `l10n/<lang>.php` file.
pub fn parse(text: &str) -> Result<Catalog, PhpError> {
    let body = text
        .trim_start()
        .strip_prefix("<?php")
        .ok_or_else(|| err(1, "the file does not start with <?php"))?;
    let offset = text[..text.len() - body.len()].matches('\n').count();
    let mut lx = Lexer {
        chars: body.chars().peekable(),
        line: 1 + offset,
    };
    let mut toks = Vec::new();
    while let Some(t) = lx.next()? {
        toks.push(t);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        last_line: lx.line,
    };
    let mut catalog = Catalog::default();
    let mut seen_translations = false;
    while let Some(tok) = p.peek().cloned() {
        let line = p.line();
        if tok == Tok::Punct(";") {
            p.take();
            continue;
        }
        let Tok::Var(name) = tok else {
            return Err(err(
                line,
                format!(
                    "expected $TRANSLATIONS or $PLURAL_FORMS, found {}",
                    describe(&tok)
                ),
            ));
        };
        p.take();
        p.expect("=")?;
        let v = p.value()?;
        p.expect(";")?;
        match (name.as_str(), v) {
            ("TRANSLATIONS", Value::Object(m)) => {
                for (k, v) in m {
                    let ok = match &v {
                        Value::String(s) => !s.is_empty(),
                        Value::Array(a) => {
                            a.iter().all(Value::is_string)
                                && a.iter().any(|s| s.as_str() != Some(""))
                        }
                        _ => false,
                    };
                    if !ok && !matches!(&v, Value::String(_) | Value::Array(_)) {
                        return Err(err(line, format!("the translation of \"{k}\" is neither a string nor a list of strings")));
                    }
                    if ok {
                        catalog.translations.insert(k, v);
                    }
                }
                seen_translations = true;
            }
            ("TRANSLATIONS", Value::Array(a)) if a.is_empty() => seen_translations = true,
            ("TRANSLATIONS", _) => {
                return Err(err(
                    line,
                    "$TRANSLATIONS must be an array of \"original\" => \"translation\"",
                ))
            }
            ("PLURAL_FORMS", Value::String(s)) => catalog.plural_forms = s,
            ("PLURAL_FORMS", _) => return Err(err(line, "$PLURAL_FORMS must be a string")),
            (other, _) => return Err(err(line, format!("unexpected variable ${other}"))),
        }
    }
    if !seen_translations {
        return Err(err(p.last_line, "no $TRANSLATIONS array in the file"));
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_owncloud_translation_files() {
        let text = "<?php\n// comment\n$TRANSLATIONS = array(\n\"Files\" => \"Dateien\",\n'It\\'s' => \"Es ist \\\"so\\\"\\n\",\n\"_%n file_::_%n files_\" => array(\"%n Datei\",\"%n Dateien\"),\n\"Empty\" => \"\",\n);\n$PLURAL_FORMS = \"nplurals=2; plural=(n != 1);\";\n";
        let c = parse(text).unwrap();
        assert_eq!(c.plural_forms, "nplurals=2; plural=(n != 1);");
        assert_eq!(
            Value::Object(c.translations),
            json!({"Files": "Dateien", "It's": "Es ist \"so\"\n", "_%n file_::_%n files_": ["%n Datei", "%n Dateien"]})
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e =
            parse("<?php\n$TRANSLATIONS = array(\n\"a\" => \"b\"\n\"c\" => \"d\");\n").unwrap_err();
        assert_eq!(e.line, 4);
        let e = parse("<?php\n$TRANSLATIONS = array(\"a\" => \"b);\n").unwrap_err();
        assert_eq!(e, err(2, "unterminated string"));
        assert_eq!(parse("hello").unwrap_err().line, 1);
    }
}
