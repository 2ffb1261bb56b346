//! JSON text as occ users' scripts know it from PHP's `json_encode`: `/` escaped as `\/`,
//! non-ASCII as `\uXXXX`, and `JSON_PRETTY_PRINT`'s four-space indentation.

use crate::error::{Error, Result};
use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};
use serde_json::Value;

/// Wraps a serde_json formatter to escape like PHP.
struct Php<F>(F);

impl<F: Formatter> Formatter for Php<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c == '/' || !c.is_ascii() {
                w.write_all(&fragment.as_bytes()[start..i])?;
                if c == '/' {
                    w.write_all(b"\\/")?;
                } else {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        write!(w, "\\u{unit:04x}")?;
                    }
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        e: CharEscape,
    ) -> io::Result<()> {
        self.0.write_char_escape(w, e)
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn encode<F: Formatter>(v: &impl Serialize, f: F) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Php(f));
    // Serializing a Value into memory cannot fail.
    let _ = v.serialize(&mut ser);
    String::from_utf8(out).unwrap_or_default()
}

/// Compact JSON, PHP-escaped (`json_encode($v)`).
pub fn compact(v: &Value) -> String {
    encode(v, CompactFormatter)
}

/// Pretty JSON, PHP-escaped (`json_encode($v, JSON_PRETTY_PRINT)`).
pub fn pretty(v: &Value) -> String {
    encode(v, PrettyFormatter::with_indent(b"    "))
}

/// JSON text re-encoded as PHP would (`pretty`: with `JSON_PRETTY_PRINT`), streamed from the
/// text without building a value tree; an error names what is malformed.
pub fn reencode(text: &str, pretty: bool) -> Result<String> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    let mut de = serde_json::Deserializer::from_str(text);
    let r = if pretty {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            Php(PrettyFormatter::with_indent(b"    ")),
        );
        serde_transcode::transcode(&mut de, &mut ser)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, Php(CompactFormatter));
        serde_transcode::transcode(&mut de, &mut ser)
    };
    r.map_err(|e| format!("malformed JSON data: {e}"))?;
    de.end().map_err(|e| format!("malformed JSON data: {e}"))?;
    String::from_utf8(out).map_err(|e| Error::new(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_php() {
        assert_eq!(compact(&json!({"a": "x/y é"})), r#"{"a":"x\/y \u00e9"}"#);
        assert_eq!(compact(&json!("😀")), r#""\ud83d\ude00""#);
        assert_eq!(pretty(&json!({"a": 1})), "{\n    \"a\": 1\n}");
        for v in [
            json!({"a": [1, 2.5, "x/é", null, {}, []], "b": {"c": true}}),
            json!([]),
            json!("😀"),
        ] {
            let text = v.to_string();
            assert_eq!(reencode(&text, false).unwrap(), compact(&v));
            assert_eq!(reencode(&text, true).unwrap(), pretty(&v));
        }
        assert!(reencode("{\"a\":", false).is_err());
    }
}
