//! Configuration: the system config (`config.system.*`, `config/config.json`, written
//! atomically) and app config (`config.app.*`, `oc_appconfig`).

use occ_plugin_api::protocol::{
    AppConfigGet, AppConfigSet, SystemConfigAll, SystemConfigGet, SystemConfigUpdate,
};
use serde_json::{json, Map, Value};

use super::Host;
use crate::error::Result;

/// `config.system.get`.
pub fn system_get(host: &Host, r: SystemConfigGet) -> Result<Option<Value>> {
    Ok(host.instance.borrow().config.get(&r.key).cloned())
}

/// `config.system.all`.
pub fn system_all(host: &Host, _: SystemConfigAll) -> Result<Map<String, Value>> {
    Ok(host.instance.borrow().config.values.clone())
}

/// `config.system.update`: one atomic write.
pub fn system_update(host: &Host, r: SystemConfigUpdate) -> Result<()> {
    host.instance.borrow_mut().config.update(r.set, &r.delete)
}

/// `config.app.get`.
pub fn app_get(host: &Host, r: AppConfigGet) -> Result<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Row {
        configvalue: Option<String>,
    }
    let rows: Vec<Row> = host.with_db(|db| {
        db.query_as(
            "SELECT configvalue FROM *PREFIX*appconfig WHERE appid = ? AND configkey = ?",
            &[json!(r.app), json!(r.key)],
        )
    })?;
    Ok(rows.into_iter().next().and_then(|r| r.configvalue))
}

/// `config.app.set`: one statement, an upsert (concurrent writers of the same key, such as
/// crons stamping their last run, neither collide nor deadlock); a `null` value deletes the
/// key.
pub fn app_set(host: &Host, r: AppConfigSet) -> Result<()> {
    host.with_db(|db| {
        let Some(value) = &r.value else {
            return db
                .execute(
                    "DELETE FROM *PREFIX*appconfig WHERE appid = ? AND configkey = ?",
                    &[json!(r.app), json!(r.key)],
                )
                .map(|_| ());
        };
        db.execute(
            "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES (?, ?, ?) ON CONFLICT (appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
            &[json!(r.app), json!(r.key), json!(value)],
        )
        .map(|_| ())
    })
}
