//! A strict reader of gettext `.po` files: every entry with its context, plural forms and
//! flags, and an error naming the line for anything malformed. Fuzzy, obsolete, untranslated
//! and header entries are left out of the catalog as gettext's `msgfmt` leaves them out.

use serde_json::Value;

use crate::catalog::{context_key, plural_key, Catalog};

/// A malformed file: the 1-based line and what is wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct PoError {
    /// Line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Default, Debug)]
struct Entry {
    fuzzy: bool,
    ctxt: Option<String>,
    id: Option<String>,
    id_plural: Option<String>,
    strs: Vec<(usize, String)>,
    first_line: usize,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Field {
    Ctxt,
    Id,
    IdPlural,
    Str(usize),
}

fn err(line: usize, message: impl Into<String>) -> PoError {
    PoError {
        line,
        message: message.into(),
    }
}

/// Parses a quoted PO string (`"..."` with C escapes) that makes up the rest of a line.
/// Octal and hex escapes are bytes (of UTF-8 text), as msgfmt reads them.
fn quoted(s: &str, line: usize) -> Result<String, PoError> {
    let s = s.trim();
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| s.len() >= 2)
        .ok_or_else(|| err(line, format!("expected a quoted string, found {s}")))?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        let simple = match c {
            '"' => return Err(err(line, "unescaped '\"' inside a string")),
            '\\' => match chars.next() {
                Some('n') => '\n',
                Some('t') => '\t',
                Some('r') => '\r',
                Some('"') => '"',
                Some('\\') => '\\',
                Some('a') => '\u{7}',
                Some('b') => '\u{8}',
                Some('f') => '\u{c}',
                Some('v') => '\u{b}',
                Some('?') => '?',
                Some('\'') => '\'',
                Some(d @ '0'..='7') => {
                    let mut v = d.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek().and_then(|c| c.to_digit(8)) {
                            Some(n) => {
                                v = v * 8 + n;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    out.push(u8::try_from(v).map_err(|_| err(line, "octal escape out of range"))?);
                    continue;
                }
                Some('x') => {
                    let mut v = 0u32;
                    let mut n = 0;
                    while let Some(h) = chars.peek().and_then(|c| c.to_digit(16)) {
                        v = v * 16 + h;
                        n += 1;
                        chars.next();
                    }
                    let byte = u8::try_from(v)
                        .ok()
                        .filter(|_| n > 0)
                        .ok_or_else(|| err(line, "invalid \\x escape"))?;
                    out.push(byte);
                    continue;
                }
                Some(other) => return Err(err(line, format!("unknown escape sequence \\{other}"))),
                None => return Err(err(line, "string ends with a lone backslash")),
            },
            c => c,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(simple.encode_utf8(&mut buf).as_bytes());
    }
    String::from_utf8(out).map_err(|_| err(line, "the string is not valid UTF-8"))
}

fn plural_forms_of(header: &str) -> Option<String> {
    header.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim().eq_ignore_ascii_case("Plural-Forms")).then(|| v.trim().to_string())
    })
}

/// Parses `.po` text into a catalog.
pub fn parse(text: &str) -> Result<Catalog, PoError> {
    let mut catalog = Catalog::default();
    let mut entries: Vec<Entry> = Vec::new();
    let mut cur = Entry::default();
    let mut field: Option<Field> = None;
    let mut pending_fuzzy = false;

    let finish = |cur: &mut Entry, entries: &mut Vec<Entry>| -> Result<(), PoError> {
        if cur.id.is_none() && cur.ctxt.is_none() && cur.strs.is_empty() {
            return Ok(());
        }
        let e = std::mem::take(cur);
        if e.id.is_none() {
            return Err(err(e.first_line, "entry without msgid"));
        }
        if e.strs.is_empty() {
            return Err(err(e.first_line, "entry without msgstr"));
        }
        entries.push(e);
        Ok(())
    };

    for (idx, raw) in text.lines().enumerate() {
        let n = idx + 1;
        let line = raw.trim();
        if line.is_empty() {
            finish(&mut cur, &mut entries)?;
            field = None;
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            // A comment after msgstr starts the next entry.
            if !cur.strs.is_empty() {
                finish(&mut cur, &mut entries)?;
                field = None;
            }
            if let Some(flags) = rest.strip_prefix(',') {
                if flags.split(',').any(|f| f.trim() == "fuzzy") {
                    pending_fuzzy = true;
                }
            }
            // `#~` obsolete entries, `#|` previous strings and other comments are skipped.
            continue;
        }
        if line.starts_with('"') {
            let s = quoted(line, n)?;
            match field {
                Some(Field::Ctxt) => cur.ctxt.get_or_insert_with(String::new).push_str(&s),
                Some(Field::Id) => cur.id.get_or_insert_with(String::new).push_str(&s),
                Some(Field::IdPlural) => cur.id_plural.get_or_insert_with(String::new).push_str(&s),
                Some(Field::Str(_)) => {
                    if let Some(last) = cur.strs.last_mut() {
                        last.1.push_str(&s);
                    }
                }
                None => return Err(err(n, "a string continuation without a keyword before it")),
            }
            continue;
        }
        let (keyword, rest) = line
            .split_once(|c: char| c.is_whitespace())
            .unwrap_or((line, ""));
        match keyword {
            "msgctxt" => {
                finish(&mut cur, &mut entries)?;
                cur.first_line = n;
                cur.fuzzy = std::mem::take(&mut pending_fuzzy);
                cur.ctxt = Some(quoted(rest, n)?);
                field = Some(Field::Ctxt);
            }
            "msgid" => {
                if cur.id.is_some() || !cur.strs.is_empty() {
                    finish(&mut cur, &mut entries)?;
                }
                if cur.ctxt.is_none() {
                    cur.first_line = n;
                    cur.fuzzy = std::mem::take(&mut pending_fuzzy);
                }
                cur.id = Some(quoted(rest, n)?);
                field = Some(Field::Id);
            }
            "msgid_plural" => {
                if cur.id.is_none() || !cur.strs.is_empty() {
                    return Err(err(n, "msgid_plural must follow msgid"));
                }
                cur.id_plural = Some(quoted(rest, n)?);
                field = Some(Field::IdPlural);
            }
            k if k == "msgstr" || k.starts_with("msgstr[") => {
                if cur.id.is_none() {
                    return Err(err(n, format!("{k} without msgid")));
                }
                let index = match k.strip_prefix("msgstr[").and_then(|r| r.strip_suffix(']')) {
                    Some(i) => Some(
                        i.parse::<usize>()
                            .map_err(|_| err(n, format!("invalid plural index in {k}")))?,
                    ),
                    None if k == "msgstr" => None,
                    None => return Err(err(n, format!("unknown keyword {k}"))),
                };
                match (index, cur.id_plural.is_some()) {
                    (None, true) => {
                        return Err(err(n, "a plural entry needs msgstr[0], msgstr[1], ..."))
                    }
                    (Some(_), false) => return Err(err(n, "msgstr[N] without msgid_plural")),
                    (None, false) if !cur.strs.is_empty() => {
                        return Err(err(n, "a second msgstr in one entry"))
                    }
                    (Some(i), true) if i != cur.strs.len() => {
                        return Err(err(
                            n,
                            format!("expected msgstr[{}], found {k}", cur.strs.len()),
                        ));
                    }
                    _ => {}
                }
                cur.strs.push((n, quoted(rest, n)?));
                field = Some(Field::Str(cur.strs.len() - 1));
            }
            other => return Err(err(n, format!("unknown keyword \"{other}\""))),
        }
    }
    finish(&mut cur, &mut entries)?;

    for e in entries {
        let id = e.id.unwrap_or_default();
        if id.is_empty() && e.ctxt.is_none() {
            if let Some(pf) = e.strs.first().and_then(|(_, h)| plural_forms_of(h)) {
                catalog.plural_forms = pf;
            }
            continue;
        }
        if e.fuzzy || e.strs.iter().all(|(_, s)| s.is_empty()) {
            continue;
        }
        let key = match &e.id_plural {
            Some(p) => plural_key(&id, p),
            None => id,
        };
        let key = match &e.ctxt {
            Some(c) => context_key(c, &key),
            None => key,
        };
        let value = if e.id_plural.is_some() {
            Value::Array(e.strs.into_iter().map(|(_, s)| Value::String(s)).collect())
        } else {
            Value::String(
                e.strs
                    .into_iter()
                    .next()
                    .map(|(_, s)| s)
                    .unwrap_or_default(),
            )
        };
        catalog.translations.insert(key, value);
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PO: &str = r#"# German
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: a.js:1
msgid "Files"
msgstr "Dateien"

msgid "Say \"hi\"\n"
"to all"
msgstr "Sag \"hallo\"\n"
"zu allen \\ \303\274"

#, fuzzy
msgid "Maybe"
msgstr "Vielleicht"

msgid "Untranslated"
msgstr ""

msgctxt "verb"
msgid "Share"
msgstr "Teilen"

msgid "%n file"
msgid_plural "%n files"
msgstr[0] "%n Datei"
msgstr[1] "%n Dateien"

#~ msgid "Old"
#~ msgstr "Alt"
"#;

    #[test]
    fn parses_entries_like_gettext() {
        let c = parse(PO).unwrap();
        assert_eq!(c.plural_forms, "nplurals=2; plural=(n != 1);");
        assert_eq!(
            serde_json::Value::Object(c.translations),
            json!({
                "Files": "Dateien",
                "Say \"hi\"\nto all": "Sag \"hallo\"\nzu allen \\ \u{fc}",
                "verb\u{4}Share": "Teilen",
                "_%n file_::_%n files_": ["%n Datei", "%n Dateien"],
            })
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse("msgid \"a\"\nmsgstr \"b\n").unwrap_err(),
            err(2, "expected a quoted string, found \"b")
        );
        assert_eq!(parse("msgid \"a\"\nmsgstr[0] \"b\"\n").unwrap_err().line, 2);
        assert_eq!(
            parse("msgid \"a\"\n\n").unwrap_err(),
            err(1, "entry without msgstr")
        );
        assert_eq!(
            parse("\n\nfoo \"x\"\n").unwrap_err(),
            err(3, "unknown keyword \"foo\"")
        );
        assert_eq!(
            parse("msgid \"a\\q\"\nmsgstr \"\"").unwrap_err(),
            err(1, "unknown escape sequence \\q")
        );
    }
}
