//! `maintenance:data-dir <new>`: after the data directory moved (or was copied) to a new
//! place, points the instance at it, as an ownCloud admin would by hand: `datadirectory` in
//! the config, the users' home paths in `oc_accounts` and the `local::` storage ids in
//! `oc_storages` (an id longer than 64 characters stored as its md5, as ownCloud stores it).
//! The rows change in one transaction that commits only once the config is written; a
//! failure leaves both as they were.

use std::path::PathBuf;

use md5::{Digest, Md5};
use occ_plugin_api::{Arg, CommandSpec, DbKind, Input, State};
use serde_json::{json, Map};

use super::Console;
use crate::error::{Error, Result};
use crate::instance::db::{Database, DbParams};

/// The spec.
pub fn spec() -> CommandSpec {
    CommandSpec::new(
        "maintenance:data-dir",
        "Point the instance at its data directory's new place",
    )
    .help("Once the data directory has been moved (or copied) to <new-dir>, sets datadirectory in the config and rewrites the paths the database stores: the users' home paths (oc_accounts) and the local:: storage ids (oc_storages). The files themselves are not moved.")
    .arg(Arg::required(
        "new-dir",
        "The data directory's new path (the data must be there already)",
    ))
    .states(&[State::Installed, State::Maintenance, State::UpgradePending])
}

/// ownCloud's storage id as stored: longer than 64 characters, its md5.
fn stored_id(id: &str) -> String {
    if id.len() > 64 {
        format!("{:x}", Md5::digest(id.as_bytes()))
    } else {
        id.to_string()
    }
}

/// `path` under `old` moved under `new` (`None` when it is not under `old`).
fn moved(path: &str, old: &str, new: &str) -> Option<String> {
    if path == old {
        return Some(new.to_string());
    }
    path.strip_prefix(old)
        .filter(|rest| rest.starts_with('/'))
        .map(|rest| format!("{new}{rest}"))
}

/// What changed: (row id, new value) pairs.
struct Changes {
    homes: Vec<(i64, String)>,
    storages: Vec<(i64, String)>,
}

#[derive(serde::Deserialize)]
struct Account {
    id: i64,
    user_id: String,
    home: String,
}

#[derive(serde::Deserialize)]
struct Storage {
    numeric_id: i64,
    id: String,
}

/// The rows to rewrite (read in the open transaction).
fn plan(db: &mut Database, old: &str, new: &str) -> Result<Changes> {
    let accounts: Vec<Account> =
        db.query_as("SELECT id, user_id, home FROM *PREFIX*accounts", &[])?;
    let homes = accounts
        .iter()
        .filter_map(|a| moved(&a.home, old, new).map(|home| (a.id, home)))
        .collect();
    // The ids a long path was stored as (md5) cannot be read back: they are found by
    // computing the ids ownCloud makes, the data directory's and each user's uploads folder.
    let mut hashed = std::collections::HashMap::new();
    let uploads = accounts.iter().map(|a| format!("{}/uploads/", a.user_id));
    for rest in std::iter::once(String::new()).chain(uploads) {
        let old_id = format!("local::{old}/{rest}");
        if old_id.len() > 64 {
            hashed.insert(stored_id(&old_id), format!("local::{new}/{rest}"));
        }
    }
    let rows: Vec<Storage> = db.query_as("SELECT numeric_id, id FROM *PREFIX*storages", &[])?;
    let taken: std::collections::HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut storages = Vec::new();
    for r in &rows {
        let next = match r.id.strip_prefix("local::") {
            Some(path) => moved(path, old, new).map(|p| format!("local::{p}")),
            None => hashed.get(&r.id).cloned(),
        };
        let Some(next) = next.map(|n| stored_id(&n)) else {
            continue;
        };
        if next != r.id && taken.contains(next.as_str()) {
            return Err(Error::new(format!(
                "The storage id \"{next}\" is taken already in oc_storages; nothing changed"
            )));
        }
        storages.push((r.numeric_id, next));
    }
    Ok(Changes { homes, storages })
}

/// Runs the command.
pub fn run(c: &Console<'_>, input: &Input) -> Result<i32> {
    let host = c.host;
    let arg = input.arg_str("new-dir").unwrap_or_default();
    // Stored as the admin names it (absolute, without a trailing `/`), as ownCloud stores
    // `datadirectory`: links in it are not resolved, since ownCloud makes its ids from it.
    let given = PathBuf::from(&arg);
    let absolute = if given.is_absolute() {
        given
    } else {
        std::env::current_dir()
            .map_err(|e| Error::new(format!("Cannot read the current directory: {e}")))?
            .join(given)
    };
    let mut new = absolute.display().to_string();
    while new.len() > 1 && new.ends_with('/') {
        new.pop();
    }
    let new_dir = PathBuf::from(&new);
    if arg.is_empty() || !new_dir.is_dir() {
        return Err(Error::new(format!("The directory {arg} does not exist")));
    }
    if !new_dir.join(".ocdata").is_file() {
        return Err(Error::new(format!(
            "{} is not a data directory: it has no .ocdata file; move the data there first",
            new_dir.display()
        )));
    }
    let (old, original, config_path, params) = {
        let i = host.instance.borrow();
        let old = i.data_dir().display().to_string();
        (
            old.trim_end_matches('/').to_string(),
            i.config.get("datadirectory").cloned(),
            i.config.path.clone(),
            DbParams::from_config(&i.config)?,
        )
    };
    if new == old {
        host.shell.borrow_mut().out_line(&format!(
            "The data directory is {new} already; nothing changed."
        ));
        return Ok(0);
    }
    let mut db = Database::open_instance(&params, &new_dir).map_err(|e| {
        if params.dbtype == DbKind::Sqlite {
            Error::new(format!("{}; move the data there first", e.message))
        } else {
            e
        }
    })?;
    db.begin()?;
    let result = (|| -> Result<Changes> {
        let changes = plan(&mut db, &old, &new)?;
        for (id, home) in &changes.homes {
            db.execute(
                "UPDATE *PREFIX*accounts SET home = ? WHERE id = ?",
                &[json!(home), json!(id)],
            )?;
        }
        for (id, sid) in &changes.storages {
            db.execute(
                "UPDATE *PREFIX*storages SET id = ? WHERE numeric_id = ?",
                &[json!(sid), json!(id)],
            )?;
        }
        let mut set = Map::new();
        set.insert("datadirectory".into(), json!(new));
        host.instance.borrow_mut().config.update(set, &[])?;
        Ok(changes)
    })();
    let changes = match result {
        Ok(c) => c,
        Err(e) => {
            let _ = db.rollback();
            return Err(e);
        }
    };
    if let Err(e) = db.commit() {
        // The config says the new place already: put back what it said.
        let restored = match original {
            Some(v) => {
                let mut set = Map::new();
                set.insert("datadirectory".into(), v);
                host.instance.borrow_mut().config.update(set, &[])
            }
            None => host
                .instance
                .borrow_mut()
                .config
                .update(Map::new(), &["datadirectory".to_string()]),
        };
        return Err(match restored {
            Ok(()) => e,
            Err(r) => Error::new(format!(
                "{}; and datadirectory in {} could not be put back to {old} ({}): set it back by hand, the database still has the old paths",
                e.message,
                config_path.display(),
                r.message
            )),
        });
    }
    let prefix = params.prefix;
    let mut sh = host.shell.borrow_mut();
    sh.out_line(&format!("The data directory is now {new} (was {old}):"));
    sh.out_line(&format!("  - datadirectory in {}", config_path.display()));
    sh.out_line(&format!(
        "  - {} home paths in {prefix}accounts",
        changes.homes.len()
    ));
    sh.out_line(&format!(
        "  - {} storage ids in {prefix}storages",
        changes.storages.len()
    ));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_move_only_from_under_the_old_directory() {
        assert_eq!(moved("/a/data/x", "/a/data", "/b").as_deref(), Some("/b/x"));
        assert_eq!(moved("/a/data", "/a/data", "/b").as_deref(), Some("/b"));
        assert_eq!(moved("/a/data2/x", "/a/data", "/b"), None);
    }

    #[test]
    fn long_ids_are_stored_as_md5() {
        assert_eq!(stored_id("local::/x/"), "local::/x/");
        let long = format!("local::/{}/", "d".repeat(70));
        assert_eq!(stored_id(&long).len(), 32);
    }
}
