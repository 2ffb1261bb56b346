//! The `encryption` plugin: ownCloud's default encryption module (`format`: its file and key
//! formats, byte for byte) and the `encryption:*` commands that manage it (`commands`).

pub mod all;
pub mod bulk;
pub mod commands;
pub mod format;
pub mod keys;
pub mod manage;

use occ_plugin_api::prelude::*;

/// The plugin.
pub struct Encryption;

static COMMANDS: &[&dyn Command] = &[
    &commands::Status,
    &commands::ListModules,
    &commands::ShowKeyStorageRoot,
    &commands::SetDefaultModule,
    &commands::Enable,
    &commands::Disable,
    &all::EncryptAll,
    &all::DecryptAll,
    &manage::ChangeKeyStorageRoot,
    &manage::RecreateMasterKey,
    &manage::Migrate,
];

impl Plugin for Encryption {
    fn id(&self) -> &str {
        "encryption"
    }
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }
    fn namespaces(&self) -> Vec<String> {
        vec!["encryption".into()]
    }
    fn commands(&self) -> &[&dyn Command] {
        COMMANDS
    }
}

/// The exported instance.
pub static ENCRYPTION: Encryption = Encryption;

occ_plugin_api::export_plugin!(ENCRYPTION);
