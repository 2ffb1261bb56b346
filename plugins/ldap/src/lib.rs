//! The `ldap` plugin: owns the `ldap` namespace, ownCloud's LDAP configurations (app
//! `user_ldap` in `oc_appconfig`) and the LDAP user and group mapping tables. Its commands:
//! `ldap:create-empty-config`, `show-config`, `set-config`, `delete-config`, `test-config`,
//! `search`, `check-user`, `show-remnants` and `invalidate-cache`; and the `ldap.user_backend`
//! and `ldap.group_backend` services (the backends `user:sync` and `group:*` reach).

use occ_plugin_api::prelude::*;

mod commands;
pub mod config;
mod conn;
mod directory;

/// The backend's name as ownCloud reports it (`user:report`, `oc_accounts.backend`).
pub const BACKEND: &str = "OCA\\User_LDAP\\User_Proxy";

/// The plugin.
pub struct Ldap;

impl Plugin for Ldap {
    fn id(&self) -> &str {
        "ldap"
    }
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }
    fn namespaces(&self) -> Vec<String> {
        vec!["ldap".into()]
    }
    fn commands(&self) -> &[&dyn Command] {
        &[
            &commands::CreateEmptyConfig,
            &commands::ShowConfig,
            &commands::SetConfig,
            &commands::DeleteConfig,
            &commands::TestConfig,
            &commands::Search,
            &commands::CheckUser,
            &commands::ShowRemnants,
            &commands::InvalidateCache,
        ]
    }
    fn services(&self) -> Vec<String> {
        vec!["ldap.user_backend".into(), "ldap.group_backend".into()]
    }
    /// `ldap.user_backend`, core's way to reach user backends without knowing them: `name`
    /// (the backend's class name as ownCloud stores it, and its short name; none without an
    /// active configuration, as ownCloud registers none), `list` (every directory user,
    /// mapped), `get` (one, by name) and `forget` (a removed account's mapping).
    fn service(&self, name: &str, payload: &Value, ctx: &mut Context) -> Result<Value, Error> {
        let db = ctx.db();
        let uid = payload
            .get("uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match (
            name,
            payload.get("op").and_then(Value::as_str).unwrap_or(""),
        ) {
            ("ldap.user_backend", "name") => Ok(if config::ids(&db, true)?.is_empty() {
                serde_json::json!({ "name": null })
            } else {
                serde_json::json!({ "name": BACKEND, "display": "LDAP" })
            }),
            ("ldap.user_backend", "list") => {
                Ok(serde_json::json!({ "users": directory::users(ctx, &db, None)? }))
            }
            ("ldap.user_backend", "get") => Ok(serde_json::json!({
                "user": directory::users(ctx, &db, Some(uid))?.into_iter().next()
            })),
            ("ldap.user_backend", "forget") => {
                directory::unmap(&db, uid)?;
                Ok(Value::Null)
            }
            ("ldap.group_backend", "list") => Ok(serde_json::json!({
                "groups": directory::groups(
                    ctx,
                    &db,
                    payload.get("pattern").and_then(Value::as_str).unwrap_or_default()
                )?
            })),
            ("ldap.group_backend", "members") => Ok(serde_json::json!({
                "members": directory::members(
                    ctx,
                    &db,
                    payload.get("gid").and_then(Value::as_str).unwrap_or_default()
                )?
            })),
            ("ldap.user_backend" | "ldap.group_backend", op) => {
                Err(Error::new(format!("{name}: unknown operation \"{op}\"")))
            }
            (other, _) => Err(Error::new(format!("unknown service {other}"))),
        }
    }
    fn migrations(&self) -> Vec<Migration> {
        let mut list = Vec::new();
        for (table, index) in [
            ("ldap_user_mapping", "ldap_dn_users"),
            ("ldap_group_mapping", "ldap_dn_groups"),
        ] {
            list.push(format!(
                "CREATE TABLE *PREFIX*{table} (owncloud_name VARCHAR(255) NOT NULL, ldap_dn VARCHAR(255) NOT NULL, directory_uuid VARCHAR(255) NOT NULL, PRIMARY KEY(owncloud_name))"
            ));
            list.push(format!(
                "CREATE UNIQUE INDEX *PREFIX*{index} ON *PREFIX*{table} (ldap_dn)"
            ));
        }
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        vec![Migration::portable(
            "20261128000001",
            "LDAP user and group mappings",
            &refs,
        )]
    }
}

/// The exported instance.
pub static LDAP: Ldap = Ldap;

occ_plugin_api::export_plugin!(LDAP);
