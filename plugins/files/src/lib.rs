//! The `files` plugin: the file cache (`files:scan`, `files:cleanup`), the storages, file cache
//! and mimetypes tables (ownCloud's names and columns), its repair steps, and the clean-up of a
//! deleted user's cache.

pub mod cache;
pub mod commands;
pub mod lister;
pub mod migrations;
pub mod mimetypes;
pub mod repair;
pub mod scanner;

use occ_plugin_api::prelude::*;

/// The plugin.
pub struct Files;

static COMMANDS: &[&dyn Command] = &[&commands::scan::Scan, &commands::cleanup::Cleanup];
static REPAIR_STEPS: &[&dyn RepairStep] = &[&repair::RepairMimeTypes, &repair::RepairParents];

impl Plugin for Files {
    fn id(&self) -> &str {
        "files"
    }
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }
    fn namespaces(&self) -> Vec<String> {
        vec!["files".into()]
    }
    fn commands(&self) -> &[&dyn Command] {
        COMMANDS
    }
    fn migrations(&self) -> Vec<Migration> {
        migrations::all()
    }
    fn repair_steps(&self) -> &[&dyn RepairStep] {
        REPAIR_STEPS
    }
    fn events(&self) -> Vec<String> {
        vec!["user.deleted".into()]
    }
    /// A deleted user's storage and its cache rows go with it.
    fn on_event(&self, name: &str, payload: &Value, ctx: &mut Context) -> Result<(), Error> {
        if name != "user.deleted" {
            return Ok(());
        }
        let uid = payload
            .get("uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let storage = format!("home::{uid}");
        ctx.db().transaction(|db| {
            db.execute(
                "DELETE FROM *PREFIX*filecache WHERE storage IN (SELECT numeric_id FROM *PREFIX*storages WHERE id = ?)",
                &[json!(storage)],
            )?;
            db.execute("DELETE FROM *PREFIX*storages WHERE id = ?", &[json!(storage)])?;
            Ok(())
        })
    }
}

/// The exported instance.
pub static FILES: Files = Files;

occ_plugin_api::export_plugin!(FILES);
