//! A translation catalog (what either source format yields) and its two renderings: the
//! `OC.L10N.register(...)` JavaScript file and the `{"translations", "pluralForm"}` JSON file.

use serde::Serialize;
use serde_json::ser::{PrettyFormatter, Serializer};
use serde_json::{Map, Value};

/// Translations of one language: key -> string, or key -> array for plural entries
/// (`_<singular>_::_<plural>_`), in source order; and the plural forms expression.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// Translations.
    pub translations: Map<String, Value>,
    /// `nplurals=2; plural=(n != 1);`
    pub plural_forms: String,
}

/// ownCloud's key for a plural entry.
pub fn plural_key(singular: &str, plural: &str) -> String {
    format!("_{singular}_::_{plural}_")
}

/// gettext's key for a message with a context: `context` EOT `msgid`.
pub fn context_key(context: &str, msgid: &str) -> String {
    format!("{context}\u{4}{msgid}")
}

fn pretty(v: &Value, indent: &str) -> String {
    let mut out = Vec::new();
    let mut ser =
        Serializer::with_formatter(&mut out, PrettyFormatter::with_indent(indent.as_bytes()));
    // Serializing a Value into memory cannot fail.
    let _ = v.serialize(&mut ser);
    String::from_utf8(out).unwrap_or_default()
}

/// JSON text that is also safe inside an HTML `<script>` element and for JavaScript parsers
/// that predate ES2019 (U+2028 and U+2029 escaped). `<` only occurs inside strings in JSON, so
/// escaping `</` there is exact.
fn script_safe(json: &str) -> String {
    json.replace("</", "<\\/")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

impl Catalog {
    /// `<lang>.js`
    pub fn to_js(&self, app: &str) -> String {
        // Indented one level inside the call; JSON strings hold no raw newline, so this is exact.
        let translations = script_safe(&pretty(&Value::Object(self.translations.clone()), "    "))
            .replace('\n', "\n    ");
        let app = script_safe(&Value::String(app.into()).to_string());
        let plural = script_safe(&Value::String(self.plural_forms.clone()).to_string());
        format!("OC.L10N.register(\n    {app},\n    {translations},\n    {plural}\n);\n")
    }

    /// `<lang>.json`
    pub fn to_json(&self) -> String {
        let mut root = Map::new();
        root.insert(
            "translations".into(),
            Value::Object(self.translations.clone()),
        );
        root.insert(
            "pluralForm".into(),
            Value::String(self.plural_forms.clone()),
        );
        format!("{}\n", script_safe(&pretty(&Value::Object(root), "    ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_escaped_js_and_json() {
        let mut c = Catalog {
            plural_forms: "nplurals=2; plural=(n != 1);".into(),
            ..Default::default()
        };
        c.translations
            .insert("a \"q\" </script>".into(), json!("b\\\n\u{2028}"));
        c.translations.insert(
            plural_key("%n file", "%n files"),
            json!(["%n Datei", "%n Dateien"]),
        );
        let js = c.to_js("files");
        assert!(js.starts_with("OC.L10N.register(\n    \"files\",\n    {\n        \"a \\\"q\\\" <\\/script>\": \"b\\\\\\n\\u2028\",\n"), "{js}");
        assert!(js.ends_with("    \"nplurals=2; plural=(n != 1);\"\n);\n"));
        let j: Value = serde_json::from_str(&c.to_json()).unwrap();
        assert_eq!(
            j["translations"]["_%n file_::_%n files_"],
            json!(["%n Datei", "%n Dateien"])
        );
        assert_eq!(
            j["translations"]["a \"q\" </script>"],
            json!("b\\\n\u{2028}")
        );
    }
}
