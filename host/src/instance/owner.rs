//! ownCloud's rule: the console runs as the user who owns the config (`config/config.json`, or
//! ownCloud's `config/config.php`), which keeps the ownership of everything it writes right.

use crate::error::{Error, Result};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::unistd::{Uid, User};

fn name_of(uid: u32) -> String {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

/// `Err(message)` (several lines) when the effective user does not own the config.
pub fn check(config_file: &Path) -> Result<()> {
    let Ok(meta) = std::fs::metadata(config_file) else {
        return Ok(());
    };
    let me = Uid::effective().as_raw();
    if meta.uid() == me {
        return Ok(());
    }
    let owner = name_of(meta.uid());
    let file = config_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Err(Error::new(format!(
        "Console has to be executed with the user that owns the file config/{file}\nCurrent user: {}\nOwner of {file}: {owner}\nTry adding 'sudo -u {owner} ' to the beginning of the command (without the single quotes)",
        name_of(me)
    )))
}
