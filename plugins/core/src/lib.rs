//! The `core` plugin: the global commands (`status`, `check`, `upgrade`) and the `maintenance`
//! namespace, the core schema, and the operations behind them.

pub mod commands;
pub mod migrations;
pub mod ops;

use occ_plugin_api::prelude::*;

/// The plugin.
pub struct Core;

/// Every command of the plugin: its one registry list.
static COMMANDS: &[&dyn Command] = &[
    &commands::status::Status,
    &commands::check::Check,
    &commands::upgrade::Upgrade,
    &commands::install::Install,
    &commands::mode::Mode,
    &commands::singleuser::SingleUser,
];

impl Plugin for Core {
    fn id(&self) -> &str {
        "core"
    }
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }
    fn namespaces(&self) -> Vec<String> {
        vec!["".into(), "maintenance".into()]
    }
    fn commands(&self) -> &[&dyn Command] {
        COMMANDS
    }
    fn migrations(&self) -> Vec<Migration> {
        migrations::all()
    }
}

/// The exported instance.
pub static CORE: Core = Core;

occ_plugin_api::export_plugin!(CORE);
