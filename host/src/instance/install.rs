//! Installing and upgrading: the database and every plugin's schema are made first (SQLite:
//! in a temporary file; PostgreSQL: inside one transaction; MySQL: dropped again on failure),
//! and `config/config.json` saying `installed` is written last, so an install that fails or is
//! killed midway leaves nothing that a second install would trip over.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use occ_plugin_api::wire::{kind, InstallRequest};
use occ_plugin_api::Migration;
use serde_json::{json, Map, Value};

use super::db::{Db, DbParams};
use super::{version4, PRODUCT};
use crate::services::Host;

/// An install between `begin` and `finish`.
pub struct Pending {
    req: InstallRequest,
    /// SQLite: (temporary file, final file).
    sqlite_files: Option<(PathBuf, PathBuf)>,
}

fn random_string(len: usize) -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect())
}

fn remove_sqlite_files(p: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        let _ = fs::remove_file(PathBuf::from(s));
    }
}

fn check_data_dir(dir: &Path) -> Result<(), String> {
    let msg = || {
        format!(
            "Cannot create or write into the data directory {}",
            dir.display()
        )
    };
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(|_| msg())?;
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o770));
    }
    if !dir.is_dir() {
        return Err(msg());
    }
    let probe = dir.join(format!(".occ-write-test-{}", std::process::id()));
    File::create(&probe).map_err(|_| msg())?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

fn statements(m: &Migration, dbtype: &str) -> Vec<String> {
    match dbtype {
        "pgsql" => m.pgsql.clone(),
        "mysql" => m.mysql.clone(),
        _ => m.sqlite.clone(),
    }
}

const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS *PREFIX*migrations (app VARCHAR(177) NOT NULL, version VARCHAR(14) NOT NULL, PRIMARY KEY (app, version))";

/// Runs every migration of every loaded plugin that has not run yet; returns how many ran.
fn migrate(host: &Host) -> Result<usize, String> {
    host.with_db(|db| db.execute_raw(MIGRATIONS_TABLE))?;
    let dbtype = host.with_db(|db| Ok(db.kind.clone()))?;
    let mut applied = 0;
    for i in 0..host.registry.plugins.len() {
        let id = host.registry.plugins[i].manifest.id.clone();
        let list = host
            .call_plugin(i, kind::MIGRATIONS, &json!({}))
            .map_err(|(m, _)| m)?;
        let list: Vec<Migration> = serde_json::from_value(list)
            .map_err(|e| format!("plugin \"{id}\": bad migrations: {e}"))?;
        let done: Vec<String> = host
            .with_db(|db| {
                db.query(
                    "SELECT version FROM *PREFIX*migrations WHERE app = ?",
                    &[json!(id)],
                )
            })?
            .iter()
            .filter_map(|r| r.get("version").and_then(Value::as_str).map(str::to_string))
            .collect();
        for m in list.iter().filter(|m| !done.contains(&m.id)) {
            tracing::debug!(plugin = %id, migration = %m.id, "running migration");
            host.with_db(|db| {
                for st in statements(m, &dbtype) {
                    db.execute_raw(&st).map_err(|e| {
                        format!("Migration {} of plugin \"{id}\" failed: {e}", m.id)
                    })?;
                }
                db.execute(
                    "INSERT INTO *PREFIX*migrations (app, version) VALUES (?, ?)",
                    &[json!(id), json!(m.id)],
                )?;
                Ok(())
            })?;
            applied += 1;
        }
    }
    Ok(applied)
}

/// Validates the request, creates the database and all schemas. Not yet permanent.
pub fn begin(host: &Host, req: &InstallRequest) -> Result<(), String> {
    if host.instance.borrow().installed() {
        return Err(format!("{PRODUCT} is already installed."));
    }
    if host.install.borrow().is_some() {
        return Err("an install is already in progress".into());
    }
    let datadir = PathBuf::from(&req.datadir);
    if !datadir.is_absolute() {
        return Err(format!(
            "The data directory must be an absolute path: {}",
            req.datadir
        ));
    }
    check_data_dir(&datadir)?;
    let mut sqlite_files = None;
    let mut db = match req.dbtype.as_str() {
        "sqlite" => {
            let final_file = datadir.join(format!("{}.db", req.dbname));
            if final_file.exists() {
                // Any table at all, whatever its prefix: the file is replaced at the end.
                let mut existing = Db::open_sqlite(&final_file, &req.dbtableprefix, false, None)?;
                let tables = existing
                    .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name", &[])?
                    .iter()
                    .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect::<Vec<_>>();
                let _ = existing.close();
                if !tables.is_empty() {
                    return Err(format!(
                        "The database {} already holds tables ({}); remove it or choose another --database-name",
                        final_file.display(),
                        tables.join(", ")
                    ));
                }
            }
            let tmp = datadir.join(format!(".{}.db.installing", req.dbname));
            remove_sqlite_files(&tmp);
            host.shell.borrow_mut().err_line("creating sqlite db");
            let db = Db::open_sqlite(&tmp, &req.dbtableprefix, true, Some("DELETE"))?;
            sqlite_files = Some((tmp, final_file));
            db
        }
        "pgsql" | "mysql" => {
            let p = DbParams {
                dbtype: req.dbtype.clone(),
                name: req.dbname.clone(),
                host: req.dbhost.clone(),
                user: req.dbuser.clone(),
                password: req.dbpass.clone(),
                prefix: req.dbtableprefix.clone(),
            };
            let mut db = Db::open_server(&p)?;
            let tables = db.prefixed_tables()?;
            if !tables.is_empty() {
                return Err(format!(
                    "The database \"{}\" already holds tables with the prefix \"{}\" ({}); drop them or choose another --database-table-prefix",
                    req.dbname,
                    req.dbtableprefix,
                    tables.join(", ")
                ));
            }
            db
        }
        other => return Err(format!("Database {other} is not supported.")),
    };
    // SQLite and PostgreSQL make the whole schema in one transaction; MySQL cannot (DDL commits).
    if req.dbtype != "mysql" {
        db.begin()?;
    }
    *host.db.borrow_mut() = Some(db);
    *host.install.borrow_mut() = Some(Pending {
        req: req.clone(),
        sqlite_files,
    });
    migrate(host)?;
    Ok(())
}

/// Makes the install permanent: database in place, then the config saying `installed`.
pub fn finish(host: &Host) -> Result<(), String> {
    let Some(pending) = host.install.borrow_mut().take() else {
        return Err("no install in progress".into());
    };
    let req = &pending.req;
    let db = host.db.borrow_mut().take().ok_or("no database")?;
    let mut db = db;
    while db.in_transaction() {
        db.commit()?;
    }
    if let Some((tmp, final_file)) = &pending.sqlite_files {
        db.close()?;
        File::open(tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| e.to_string())?;
        remove_sqlite_files(final_file);
        fs::rename(tmp, final_file)
            .map_err(|e| format!("Cannot move the database into place: {e}"))?;
        // WAL from now on (it persists in the file; ordinary opens leave the mode alone).
        Db::open_sqlite(final_file, &req.dbtableprefix, false, Some("WAL"))?.close()?;
        if let Some(dir) = final_file.parent() {
            let _ = File::open(dir).and_then(|f| f.sync_all());
        }
    } else {
        *host.db.borrow_mut() = Some(db);
    }
    let mut set = Map::new();
    let has_domains = host
        .instance
        .borrow()
        .config
        .values
        .contains_key("trusted_domains");
    set.insert(
        "instanceid".into(),
        json!(format!("oc{}", random_string(10)?.to_lowercase())),
    );
    set.insert("passwordsalt".into(), json!(random_string(30)?));
    set.insert("secret".into(), json!(random_string(48)?));
    if !has_domains {
        set.insert("trusted_domains".into(), json!(["localhost"]));
    }
    set.insert("datadirectory".into(), json!(req.datadir));
    set.insert("dbtype".into(), json!(req.dbtype));
    set.insert("version".into(), json!(version4()));
    set.insert("dbname".into(), json!(req.dbname));
    if req.dbtype != "sqlite" {
        set.insert("dbhost".into(), json!(req.dbhost));
        set.insert("dbuser".into(), json!(req.dbuser));
        set.insert("dbpassword".into(), json!(req.dbpass));
    }
    set.insert("dbtableprefix".into(), json!(req.dbtableprefix));
    set.insert("installed".into(), json!(true));
    let written = host.instance.borrow_mut().config.update(set, &[]);
    if let Err(e) = written {
        // Keep database and config consistent: without a config the schema must go too.
        match &pending.sqlite_files {
            Some((_, final_file)) => remove_sqlite_files(final_file),
            None => drop_prefixed_tables(host),
        }
        return Err(e);
    }
    Ok(())
}

fn drop_prefixed_tables(host: &Host) {
    let _ = host.with_db(|db| {
        for t in db.prefixed_tables()? {
            let _ = db.execute_raw(&format!("DROP TABLE {t}"));
        }
        Ok(())
    });
}

/// Undoes an install that did not finish (called when the command ends).
pub fn abort(host: &Host) {
    let Some(pending) = host.install.borrow_mut().take() else {
        return;
    };
    let db = host.db.borrow_mut().take();
    match (&pending.sqlite_files, db) {
        (Some((tmp, _)), Some(db)) => {
            let _ = db.close();
            remove_sqlite_files(tmp);
        }
        (Some((tmp, _)), None) => remove_sqlite_files(tmp),
        (None, Some(mut db)) => {
            if pending.req.dbtype == "pgsql" {
                while db.in_transaction() {
                    let _ = db.rollback();
                }
                let _ = db.close();
            } else {
                *host.db.borrow_mut() = Some(db);
                drop_prefixed_tables(host);
            }
        }
        (None, None) => {}
    }
}

/// Runs pending migrations and records the code's version.
pub fn upgrade(host: &Host) -> Result<usize, String> {
    host.with_db(|db| db.begin())?;
    let applied = match migrate(host) {
        Ok(n) => n,
        Err(e) => {
            let _ = host.with_db(|db| db.rollback());
            return Err(e);
        }
    };
    host.with_db(|db| db.commit())?;
    let mut set = Map::new();
    set.insert("version".into(), json!(version4()));
    host.instance.borrow_mut().config.update(set, &[])?;
    Ok(applied)
}
