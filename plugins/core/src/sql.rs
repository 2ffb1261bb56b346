//! SQL helpers the table modules share: LIKE patterns, row-existence checks, lenient integer
//! columns for row structs, and `appid, configkey, configvalue` rows grouped by app. It knows
//! no table of its own and uses no other module of the crate.

use occ_plugin_api::{Db, Error};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// `%pattern%`, lower-cased, with LIKE's wildcards escaped by `!` (use with `ESCAPE '!'`;
/// a backslash is no escape character on MySQL).
pub fn like_pattern(pattern: &str) -> String {
    let escaped = pattern
        .to_lowercase()
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    format!("%{escaped}%")
}

/// Whether a query returns any row (its columns are not decoded).
pub fn exists(db: &Db<'_>, sql: &str, params: &[Value]) -> Result<bool, Error> {
    Ok(!db.query_as::<IgnoredAny>(sql, params)?.is_empty())
}

/// Decodes an integer column of a row struct leniently, as databases hand integers back: a
/// number (a float is truncated) or a numeric string; NULL, other values and text that is no
/// number are `None`. Use with `#[serde(default, deserialize_with = "crate::sql::int")]` on
/// an `Option<i64>` field, so that a missing column is `None` too.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `(appid, configkey, configvalue)` rows (app config or a user's preferences) as
/// `{app: {key: value}}`, in row order; a NULL value is `null`.
pub fn group_by_app(
    rows: impl IntoIterator<Item = (String, String, Option<String>)>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (app, key, value) in rows {
        if let Value::Object(m) = out.entry(app).or_insert_with(|| Value::Object(Map::new())) {
            m.insert(key, value.map_or(Value::Null, Value::String));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Row {
        #[serde(default, deserialize_with = "int")]
        n: Option<i64>,
    }

    fn n(v: Value) -> Option<i64> {
        serde_json::from_value::<Row>(v)
            .map(|r| r.n)
            .unwrap_or(Some(-99))
    }

    #[test]
    fn lenient_integers() {
        assert_eq!(n(json!({"n": 42})), Some(42));
        assert_eq!(n(json!({"n": 4.9})), Some(4));
        assert_eq!(n(json!({"n": " 7 "})), Some(7));
        assert_eq!(n(json!({"n": "x"})), None);
        assert_eq!(n(json!({"n": null})), None);
        assert_eq!(n(json!({"n": true})), None);
        assert_eq!(n(json!({})), None);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(""), "%%");
        assert_eq!(like_pattern("Ab"), "%ab%");
        assert_eq!(like_pattern("a_b%c!d"), "%a!_b!%c!!d%");
    }

    #[test]
    fn grouped_by_app_in_row_order() {
        let m = group_by_app([
            ("core".into(), "b".into(), Some("1".into())),
            ("core".into(), "a".into(), None),
            ("files".into(), "x".into(), Some("y".into())),
        ]);
        assert_eq!(
            Value::Object(m),
            json!({"core": {"b": "1", "a": null}, "files": {"x": "y"}})
        );
    }
}
