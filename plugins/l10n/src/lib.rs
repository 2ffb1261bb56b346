//! The `l10n` plugin: `l10n:createjs`, which turns an app's translations (gettext `.po`, or
//! ownCloud's `l10n/<lang>.php`) into the `<lang>.js` and `<lang>.json` files its web UI loads.

pub mod catalog;
pub mod commands;
pub mod languages;
pub mod php;
pub mod po;

use occ_plugin_api::prelude::*;

/// The plugin.
pub struct L10n;

static COMMANDS: &[&dyn Command] = &[&commands::createjs::CreateJs];

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
        COMMANDS
    }
}

/// The exported instance.
pub static L10N: L10n = L10n;

occ_plugin_api::export_plugin!(L10N);
