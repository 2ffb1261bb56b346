//! The `encryption` plugin: owns the `encryption` namespace. Its commands (`encryption:status`, module management) come with the encryption work.

use occ_plugin_api::prelude::*;

/// The plugin.
pub struct Encryption;

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
        &[]
    }
}

/// The exported instance.
pub static ENCRYPTION: Encryption = Encryption;

occ_plugin_api::export_plugin!(ENCRYPTION);
