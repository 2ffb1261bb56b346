//! The `l10n` plugin: owns the `l10n` namespace. `l10n:createjs` comes with the translation work.

use occ_plugin_api::prelude::*;

/// The plugin.
pub struct L10n;

impl Plugin for L10n {
    fn id(&self) -> &str {
        "l10n"
    }
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }
    fn namespaces(&self) -> Vec<String> {
        vec!["l10n".into()]
    }
    fn commands(&self) -> &[&dyn Command] {
        &[]
    }
}

/// The exported instance.
pub static L10N: L10n = L10n;

occ_plugin_api::export_plugin!(L10N);
