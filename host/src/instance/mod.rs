//! The instance occ administers: its root, its config (occ's `config/config.json`, or an
//! ownCloud 10 server's `config/config.php`, administered in place), its state, its database.

pub mod config;
pub mod convert;
pub mod db;
pub mod install;
pub mod owner;
pub mod php_config;
pub mod replicate;
pub mod upgrade;

use std::path::{Path, PathBuf};

use occ_plugin_api::State;

use config::{Config, Format};

/// The code's version (`0.1.0`) and ownCloud-style four-part form (`0.1.0.0`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The name printed in messages where ownCloud prints "ownCloud".
pub const PRODUCT: &str = "occ";

/// The version in ownCloud's four-part form.
pub fn version4() -> String {
    format!("{VERSION}.0")
}

/// The oldest ownCloud version occ administers in place.
pub const OWNCLOUD_OLDEST: &str = "10.0.0";

/// The first ownCloud version occ does not know (10.15 is ownCloud 10's last line).
pub const OWNCLOUD_UNKNOWN: &str = "10.16";

/// The instance root, its config and derived state.
pub struct Instance {
    /// Root directory.
    pub root: PathBuf,
    /// System config.
    pub config: Config,
    /// Why the instance cannot be administered: an unreadable config, or code older than the
    /// instance (then only `check`, `help` and `list` run).
    pub config_error: Option<String>,
    /// Whether a plugin's code is newer than the version the instance records for it, or has
    /// migrations that have not run (found at start-up, from the database).
    pub plugins_due: bool,
}

impl Instance {
    /// Opens the instance at `root` (reads the config if there is one).
    pub fn open(root: &Path) -> Self {
        match Config::load(root) {
            Ok(config) => {
                let mut i = Self {
                    root: root.to_path_buf(),
                    config,
                    config_error: None,
                    plugins_due: false,
                };
                i.config_error = i.downgrade();
                i
            }
            Err(e) => Self {
                root: root.to_path_buf(),
                config: Config::unreadable(root),
                config_error: Some(e.message),
                plugins_due: false,
            },
        }
    }

    /// Why this code may not administer the instance: it is older than the instance's version,
    /// or the instance is an ownCloud whose version occ does not administer.
    fn downgrade(&self) -> Option<String> {
        let recorded = self.config.get_str("version")?;
        if self.owncloud() {
            use std::cmp::Ordering::Less;
            let file = self.config.path.display();
            if !self.installed() {
                return None;
            }
            if upgrade::compare_versions(&recorded, OWNCLOUD_OLDEST) == Less {
                return Some(format!(
                    "{file} is ownCloud {recorded}: {PRODUCT} administers ownCloud {OWNCLOUD_OLDEST} and later in place; upgrade it with ownCloud's own occ first"
                ));
            }
            if upgrade::compare_versions(&recorded, OWNCLOUD_UNKNOWN) != Less {
                return Some(format!(
                    "{file} is ownCloud {recorded}: {PRODUCT} {VERSION} knows ownCloud {OWNCLOUD_OLDEST} to 10.15 and leaves a newer schema alone"
                ));
            }
            return None;
        }
        (self.installed()
            && upgrade::compare_versions(&recorded, &version4()) == std::cmp::Ordering::Greater)
            .then(|| {
                format!(
                    "This is {PRODUCT} {VERSION}, older than the instance's version {recorded}: downgrades are not supported; install {PRODUCT} {recorded} or later"
                )
            })
    }

    /// Whether this is an ownCloud 10 server administered in place (its `config/config.php`):
    /// its schema is ownCloud's, which occ neither migrates nor upgrades.
    pub fn owncloud(&self) -> bool {
        self.config.format == Format::Php
    }

    /// The ownCloud version of an ownCloud instance (`10.15.2.0`).
    pub fn owncloud_version(&self) -> Option<String> {
        if self.owncloud() {
            self.config.get_str("version")
        } else {
            None
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

    /// Whether the database is older than the code: core's version in the config, or a
    /// plugin's (see [`Instance::plugins_due`]).
    pub fn needs_upgrade(&self) -> bool {
        if !self.installed() || self.owncloud() {
            return false;
        }
        let installed = self.config.get_str("version").unwrap_or_default();
        self.plugins_due
            || upgrade::compare_versions(&installed, &version4()) == std::cmp::Ordering::Less
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
