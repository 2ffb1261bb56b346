//! System config (`config/config.json`, written by the host atomically) and app config
//! (`oc_appconfig`) operations: typed values, nested keys, secrets masking, import checks.
//! [`AppConfigRow`] is how every query of `oc_appconfig` in core is decoded, and core's own
//! SQL writes of that table are here (the host's `app_config` requests aside). It uses only
//! `sql`.

use occ_plugin_api::{Context, Db, Error};
use serde_json::{json, Map, Value};

use crate::sql;

/// One row of `oc_appconfig`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct AppConfigRow {
    /// App id.
    pub appid: String,
    /// Config key.
    pub configkey: String,
    /// Value (NULL: none).
    pub configvalue: Option<String>,
}

/// What `config:list` prints instead of a secret.
pub const MASK: &str = "***REMOVED SENSITIVE VALUE***";

/// System keys whose values `config:list` hides without `--private` (ownCloud's list).
pub const SENSITIVE_SYSTEM_KEYS: &[&str] = &[
    "dbname",
    "dbhost",
    "dbpassword",
    "dbuser",
    "mail_smtpname",
    "mail_smtppassword",
    "passwordsalt",
    "secret",
    "updater.secret",
    "ldap_agent_password",
    "objectstore",
    "objectstore_multibucket",
    "redis",
    "memcached_servers",
    "proxyuserpwd",
    "license-key",
];

/// Whether an app config key looks secret.
pub fn sensitive_app_key(key: &str) -> bool {
    let k = key.to_lowercase();
    ["password", "secret", "passphrase", "private", "token"]
        .iter()
        .any(|s| k.contains(s))
}

/// Converts `--value` to `--type` (string, integer, boolean, float, json).
pub fn typed_value(value: &str, ty: &str) -> Result<Value, Error> {
    match ty {
        "string" => Ok(Value::String(value.into())),
        "integer" | "int" => value.trim().parse::<i64>().map(Value::from).map_err(|_| {
            Error::new(format!(
                "The value \"{}\" is not an integer.",
                value.escape_default()
            ))
        }),
        "float" | "double" => value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| {
                Error::new(format!(
                    "The value \"{}\" is not a float.",
                    value.escape_default()
                ))
            }),
        "boolean" | "bool" => match value.trim().to_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(Value::Bool(true)),
            "false" | "no" | "0" | "off" => Ok(Value::Bool(false)),
            _ => Err(Error::new(format!(
                "The value \"{}\" is not a boolean (use true or false).",
                value.escape_default()
            ))),
        },
        "json" => serde_json::from_str(value)
            .map_err(|e| Error::new(format!("The value is not valid JSON: {e}"))),
        other => Err(Error::usage(format!(
            "Invalid type \"{}\": use string, integer, boolean, float or json.",
            other.escape_default()
        ))),
    }
}

/// `string foo`, `integer 42`, `boolean true`, `json [...]`, as the set commands report.
pub fn readable(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {s}"),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("integer {n}"),
        Value::Number(n) => format!("double {n}"),
        Value::Null => "null".into(),
        other => format!("json {other}"),
    }
}

/// Checks a system config key path: each part 1-128 characters without control characters.
pub fn validate_path(path: &[String]) -> Result<(), Error> {
    if path.is_empty() {
        return Err(Error::usage("Name the config key."));
    }
    for p in path {
        if p.is_empty() || p.chars().count() > 128 || p.chars().any(char::is_control) {
            return Err(Error::new(format!(
                "Invalid config key \"{}\".",
                p.escape_default()
            )));
        }
    }
    Ok(())
}

/// The value at a nested path (list parts are indexes).
pub fn get_path<'a>(root: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let mut cur = root.get(&path[0])?;
    for p in &path[1..] {
        cur = match cur {
            Value::Object(m) => m.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Sets a nested path below `top` (the value of the first path part), creating objects on the
/// way; a list index may replace an item or append at the end.
pub fn set_in(top: Option<Value>, rest: &[String], value: Value) -> Result<Value, Error> {
    let Some((head, tail)) = rest.split_first() else {
        return Ok(value);
    };
    match top {
        Some(Value::Array(mut a)) => {
            let i = head
                .parse::<usize>()
                .ok()
                .filter(|i| *i <= a.len())
                .ok_or_else(|| {
                    Error::new(format!(
                        "\"{}\" is not a valid position in a list of {} items.",
                        head.escape_default(),
                        a.len()
                    ))
                })?;
            let child = a.get(i).cloned();
            let new = set_in(child, tail, value)?;
            if i == a.len() {
                a.push(new);
            } else {
                a[i] = new;
            }
            Ok(Value::Array(a))
        }
        Some(Value::Object(mut m)) => {
            let child = m.get(head).cloned();
            m.insert(head.clone(), set_in(child, tail, value)?);
            Ok(Value::Object(m))
        }
        None | Some(Value::Null) => {
            let mut m = Map::new();
            m.insert(head.clone(), set_in(None, tail, value)?);
            Ok(Value::Object(m))
        }
        Some(_) => Err(Error::new(
            "The config value at that path is not a list or an object.",
        )),
    }
}

/// Removes a nested path below `top`; `None` when the path did not exist.
pub fn delete_in(top: &Value, rest: &[String]) -> Option<Value> {
    let (head, tail) = rest.split_first()?;
    match top {
        Value::Object(m) => {
            let mut m = m.clone();
            if tail.is_empty() {
                m.shift_remove(head)?;
            } else {
                let child = delete_in(m.get(head)?, tail)?;
                m.insert(head.clone(), child);
            }
            Some(Value::Object(m))
        }
        Value::Array(a) => {
            let i = head.parse::<usize>().ok().filter(|i| *i < a.len())?;
            let mut a = a.clone();
            if tail.is_empty() {
                a.remove(i);
            } else {
                a[i] = delete_in(&a[i], tail)?;
            }
            Some(Value::Array(a))
        }
        _ => None,
    }
}

/// An app config value; `None` when it is not set (or NULL).
pub fn app_get(db: &Db<'_>, app: &str, key: &str) -> Result<Option<String>, Error> {
    let rows: Vec<AppConfigRow> = db.query_as(
        "SELECT appid, configkey, configvalue FROM *PREFIX*appconfig WHERE appid = ? AND configkey = ?",
        &[json!(app), json!(key)],
    )?;
    Ok(rows.into_iter().next().and_then(|r| r.configvalue))
}

/// Replaces an app config value (call it inside a transaction).
pub fn app_put(db: &Db<'_>, app: &str, key: &str, value: &str) -> Result<(), Error> {
    // An upsert: concurrent writers of one key neither collide nor deadlock.
    db.execute(
        "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES (?, ?, ?) ON CONFLICT (appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
        &[json!(app), json!(key), json!(value)],
    )?;
    Ok(())
}

/// Sets an app config value (replacing it) in its own transaction.
pub fn app_set(db: &Db<'_>, app: &str, key: &str, value: &str) -> Result<(), Error> {
    db.transaction(|db| app_put(db, app, key, value))
}

/// Deletes an app config value (nothing happens when it is not set).
pub fn app_delete(db: &Db<'_>, app: &str, key: &str) -> Result<(), Error> {
    db.execute(
        "DELETE FROM *PREFIX*appconfig WHERE appid = ? AND configkey = ?",
        &[json!(app), json!(key)],
    )?;
    Ok(())
}

/// All app config, `{app: {key: value}}`, optionally for one app.
pub fn app_all(db: &Db<'_>, only: Option<&str>) -> Result<Map<String, Value>, Error> {
    let rows: Vec<AppConfigRow> = db.query_as(
        "SELECT appid, configkey, configvalue FROM *PREFIX*appconfig WHERE (? = '' OR appid = ?) ORDER BY appid, configkey",
        &[json!(only.unwrap_or("")), json!(only.unwrap_or(""))],
    )?;
    Ok(sql::group_by_app(
        rows.into_iter()
            .map(|r| (r.appid, r.configkey, r.configvalue)),
    ))
}

/// A value as text for app config (strings as they are, others as JSON).
pub fn as_config_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// App config values to write: (app, key, value).
pub type AppValues = Vec<(String, String, String)>;

/// Writes a whole validated import: app values in one transaction, the system config in one
/// atomic write before that transaction commits.
pub fn import(ctx: &Context, system: Map<String, Value>, apps: AppValues) -> Result<(), Error> {
    ctx.db().transaction(|db| {
        for (app, key, value) in &apps {
            app_put(db, app, key, value)?;
        }
        if !system.is_empty() {
            ctx.update_system_config(system.clone(), &[])?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn nested_set_and_delete() {
        let v = set_in(Some(json!(["a"])), &p(&["1"]), json!("b")).unwrap();
        assert_eq!(v, json!(["a", "b"]));
        assert!(set_in(Some(json!(["a"])), &p(&["5"]), json!("b")).is_err());
        let v = set_in(None, &p(&["x", "y"]), json!(1)).unwrap();
        assert_eq!(v, json!({"x": {"y": 1}}));
        assert_eq!(
            delete_in(&json!({"a": [1, 2]}), &p(&["a", "0"])),
            Some(json!({"a": [2]}))
        );
        assert_eq!(delete_in(&json!({"a": 1}), &p(&["b"])), None);
    }

    #[test]
    fn types() {
        assert_eq!(typed_value("42", "integer").unwrap(), json!(42));
        assert!(typed_value("4x", "integer").is_err());
        assert_eq!(typed_value("TRUE", "boolean").unwrap(), json!(true));
        assert!(typed_value("maybe", "boolean").is_err());
        assert!(typed_value("{", "json").is_err());
        assert_eq!(typed_value("1.5", "float").unwrap(), json!(1.5));
        assert!(typed_value("x", "blob").is_err());
    }
}
