//! The instance occ administers: its root, `config/config.json`, its state, its database.

pub mod config;
pub mod convert;
pub mod db;
pub mod install;
pub mod owner;

use std::path::{Path, PathBuf};

use occ_plugin_api::State;

use config::Config;

/// The code's version (`0.1.0`) and ownCloud-style four-part form (`0.1.0.0`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The name printed in messages where ownCloud prints "ownCloud".
pub const PRODUCT: &str = "occ";

/// The version in ownCloud's four-part form.
pub fn version4() -> String {
    format!("{VERSION}.0")
}

fn parse_version(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|p| p.trim().parse().unwrap_or(0))
        .collect()
}

/// The instance root, its config and derived state.
pub struct Instance {
    /// Root directory.
    pub root: PathBuf,
    /// System config.
    pub config: Config,
    /// Why the config could not be read (then only `check`, `help` and `list` run).
    pub config_error: Option<String>,
}

impl Instance {
    /// Opens the instance at `root` (reads the config if there is one).
    pub fn open(root: &Path) -> Self {
        match Config::load(root) {
            Ok(config) => Self {
                root: root.to_path_buf(),
                config,
                config_error: None,
            },
            Err(e) => Self {
                root: root.to_path_buf(),
                config: Config::unreadable(root),
                config_error: Some(e.message),
            },
        }
    }

    /// Whether `installed` is true.
    pub fn installed(&self) -> bool {
        self.config.get_bool("installed")
    }

    /// Whether maintenance mode is on.
    pub fn maintenance(&self) -> bool {
        self.config.get_bool("maintenance")
    }

    /// Whether the database is older than the code.
    pub fn needs_upgrade(&self) -> bool {
        if !self.installed() {
            return false;
        }
        let installed = self.config.get_str("version").unwrap_or_default();
        let mut a = parse_version(&installed);
        let mut b = parse_version(&version4());
        a.resize(4, 0);
        b.resize(4, 0);
        a < b
    }

    /// The state that decides which commands exist.
    pub fn state(&self) -> State {
        if !self.installed() {
            State::NotInstalled
        } else if self.needs_upgrade() {
            State::UpgradePending
        } else if self.maintenance() {
            State::Maintenance
        } else {
            State::Installed
        }
    }

    /// The data directory (config `datadirectory`, else `<root>/data`).
    pub fn data_dir(&self) -> PathBuf {
        self.config
            .get_str("datadirectory")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("data"))
    }
}
