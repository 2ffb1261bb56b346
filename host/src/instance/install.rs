//! Installing and upgrading: the database and every plugin's schema are made first (SQLite:
//! in a temporary file; PostgreSQL: inside one transaction; MySQL: dropped again on failure),
//! and `config/config.json` saying `installed` is written last, so an install that fails or is
//! killed midway leaves nothing that a second install would trip over.
//!
//! It works on a [`Database`] and the [`Config`] alone: [`begin`] opens the new database,
//! [`migrate`] runs the plugins' migrations the caller collected, [`finish`] makes it permanent
//! and [`abort`] undoes it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use occ_plugin_api::wire::InstallRequest;
use occ_plugin_api::{DbKind, Migration};
use serde_json::{json, Map};

use super::config::Config;
use super::db::{Database, DbParams};
use super::version4;
use crate::error::{Error, Result};

/// An install between [`begin`] and [`finish`] (or [`abort`]).
pub struct Pending {
    req: InstallRequest,
    kind: DbKind,
    /// SQLite: (temporary file, final file).
    sqlite_files: Option<(PathBuf, PathBuf)>,
}

/// Each plugin's id and its migrations, in plugin order.
pub type PluginMigrations = [(String, Vec<Migration>)];

fn random_string(len: usize) -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect())
}

pub(crate) fn remove_sqlite_files(p: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        let _ = fs::remove_file(PathBuf::from(s));
    }
}

fn check_data_dir(dir: &Path) -> Result<()> {
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
        return Err(Error::new(msg()));
    }
    let probe = dir.join(format!(".occ-write-test-{}", std::process::id()));
    File::create(&probe).map_err(|_| msg())?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// A migration's statements for `kind`.
pub(crate) fn statements(m: &Migration, kind: DbKind) -> &[String] {
    match kind {
        DbKind::Pgsql => &m.pgsql,
        DbKind::Mysql => &m.mysql,
        DbKind::Sqlite => &m.sqlite,
    }
}

/// What `maintenance:install` asks for by default: SQLite database `owncloud`, prefix `oc_`,
/// data in `datadir`.
pub fn sqlite_request(datadir: &Path) -> InstallRequest {
    InstallRequest {
        dbtype: DbKind::Sqlite.as_str().into(),
        dbname: "owncloud".into(),
        dbhost: String::new(),
        dbuser: String::new(),
        dbpass: String::new(),
        dbtableprefix: "oc_".into(),
        datadir: datadir.display().to_string(),
    }
}

/// The table of the migrations that ran.
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS *PREFIX*migrations (app VARCHAR(177) NOT NULL, version VARCHAR(14) NOT NULL, PRIMARY KEY (app, version))";

/// Runs every migration of `plugins` that has not run yet on `db`; returns how many ran.
pub fn migrate(db: &mut Database, plugins: &PluginMigrations) -> Result<usize> {
    #[derive(serde::Deserialize)]
    struct Done {
        version: String,
    }
    db.execute_raw(MIGRATIONS_TABLE)?;
    let mut applied = 0;
    for (id, list) in plugins {
        let done: Vec<Done> = db.query_as(
            "SELECT version FROM *PREFIX*migrations WHERE app = ?",
            &[json!(id)],
        )?;
        for m in list
            .iter()
            .filter(|m| !done.iter().any(|d| d.version == m.id))
        {
            tracing::debug!(plugin = %id, migration = %m.id, "running migration");
            for st in statements(m, db.kind) {
                db.execute_raw(st).map_err(|e| {
                    Error::new(format!("Migration {} of plugin \"{id}\" failed: {e}", m.id))
                })?;
            }
            db.execute(
                "INSERT INTO *PREFIX*migrations (app, version) VALUES (?, ?)",
                &[json!(id), json!(m.id)],
            )?;
            applied += 1;
        }
    }
    Ok(applied)
}

/// Validates the request and creates the new, empty database: not yet permanent. `note`
/// receives the progress lines ownCloud prints (`creating sqlite db`).
pub fn begin(req: &InstallRequest, note: &mut dyn FnMut(&str)) -> Result<(Database, Pending)> {
    let Some(kind) = DbKind::parse(&req.dbtype) else {
        return Err(Error::new(format!(
            "Database {} is not supported.",
            req.dbtype
        )));
    };
    let datadir = PathBuf::from(&req.datadir);
    if !datadir.is_absolute() {
        return Err(Error::new(format!(
            "The data directory must be an absolute path: {}",
            req.datadir
        )));
    }
    // A data directory this install makes goes again if the install cannot begin.
    let made_datadir = !datadir.exists();
    let begun = open_new(req, kind, &datadir, note);
    if begun.is_err() && made_datadir {
        let _ = fs::remove_dir(&datadir);
    }
    begun
}

/// [`begin`]'s work: the database opened (a server's first: nothing is made until it answers)
/// and the data directory checked.
fn open_new(
    req: &InstallRequest,
    kind: DbKind,
    datadir: &Path,
    note: &mut dyn FnMut(&str),
) -> Result<(Database, Pending)> {
    let mut sqlite_files = None;
    let mut db = match kind {
        DbKind::Sqlite => {
            check_data_dir(datadir)?;
            let final_file = datadir.join(format!("{}.db", req.dbname));
            if final_file.exists() {
                #[derive(serde::Deserialize)]
                struct Table {
                    name: String,
                }
                // Any table at all, whatever its prefix: the file is replaced at the end.
                let mut existing =
                    Database::open_sqlite(&final_file, &req.dbtableprefix, false, None)?;
                let tables: Vec<Table> = existing.query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name", &[])?;
                let _ = existing.close();
                if !tables.is_empty() {
                    let names: Vec<String> = tables.into_iter().map(|t| t.name).collect();
                    return Err(Error::new(format!(
                        "The database {} already holds tables ({}); remove it or choose another --database-name",
                        final_file.display(),
                        names.join(", ")
                    )));
                }
            }
            let tmp = datadir.join(format!(".{}.db.installing", req.dbname));
            remove_sqlite_files(&tmp);
            note("creating sqlite db");
            let db = Database::open_sqlite(&tmp, &req.dbtableprefix, true, Some("DELETE"))?;
            sqlite_files = Some((tmp, final_file));
            db
        }
        DbKind::Pgsql | DbKind::Mysql => {
            let p = DbParams {
                dbtype: kind,
                name: req.dbname.clone(),
                host: req.dbhost.clone(),
                user: req.dbuser.clone(),
                password: req.dbpass.clone(),
                prefix: req.dbtableprefix.clone(),
            };
            let mut db = Database::open_server(&p, true)?;
            if let Err(e) = check_data_dir(datadir) {
                // A database this install made goes again.
                let _ = db.drop_created(&p);
                return Err(e);
            }
            let tables = db.prefixed_tables()?;
            if !tables.is_empty() {
                return Err(Error::new(format!(
                    "The database \"{}\" already holds tables with the prefix \"{}\" ({}); drop them or choose another --database-table-prefix",
                    req.dbname,
                    req.dbtableprefix,
                    tables.join(", ")
                )));
            }
            db
        }
    };
    // SQLite and PostgreSQL make the whole schema in one transaction; MySQL cannot (DDL commits).
    if kind != DbKind::Mysql {
        db.begin()?;
    }
    let pending = Pending {
        req: req.clone(),
        kind,
        sqlite_files,
    };
    Ok((db, pending))
}

/// Makes the install permanent: database in place, then the config saying `installed`.
/// Returns the database when it stays open (a server's; SQLite's was moved into place).
pub fn finish(pending: Pending, mut db: Database, config: &mut Config) -> Result<Option<Database>> {
    let req = &pending.req;
    while db.in_transaction() {
        db.commit()?;
    }
    let mut kept = None;
    if let Some((tmp, final_file)) = &pending.sqlite_files {
        db.close()?;
        File::open(tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::new(e.to_string()))?;
        remove_sqlite_files(final_file);
        fs::rename(tmp, final_file)
            .map_err(|e| Error::new(format!("Cannot move the database into place: {e}")))?;
        // WAL from now on (it persists in the file; ordinary opens leave the mode alone).
        Database::open_sqlite(final_file, &req.dbtableprefix, false, Some("WAL"))?.close()?;
        if let Some(dir) = final_file.parent() {
            let _ = File::open(dir).and_then(|f| f.sync_all());
        }
    } else {
        kept = Some(db);
    }
    let mut set = Map::new();
    set.insert(
        "instanceid".into(),
        json!(format!("oc{}", random_string(10)?.to_lowercase())),
    );
    set.insert("passwordsalt".into(), json!(random_string(30)?));
    set.insert("secret".into(), json!(random_string(48)?));
    if !config.values.contains_key("trusted_domains") {
        set.insert("trusted_domains".into(), json!(["localhost"]));
    }
    set.insert("datadirectory".into(), json!(req.datadir));
    set.insert("dbtype".into(), json!(pending.kind.as_str()));
    set.insert("version".into(), json!(version4()));
    set.insert("dbname".into(), json!(req.dbname));
    if pending.kind != DbKind::Sqlite {
        set.insert("dbhost".into(), json!(req.dbhost));
        set.insert("dbuser".into(), json!(req.dbuser));
        set.insert("dbpassword".into(), json!(req.dbpass));
    }
    set.insert("dbtableprefix".into(), json!(req.dbtableprefix));
    set.insert("installed".into(), json!(true));
    if let Err(e) = config.update(set, &[]) {
        // Keep database and config consistent: without a config the schema must go too.
        match (&pending.sqlite_files, kept) {
            (Some((_, final_file)), _) => remove_sqlite_files(final_file),
            (None, Some(mut db)) => {
                drop_prefixed_tables(&mut db);
                let _ = db.close();
            }
            (None, None) => {}
        }
        return Err(e);
    }
    Ok(kept)
}

fn drop_prefixed_tables(db: &mut Database) {
    if let Ok(tables) = db.prefixed_tables() {
        for t in tables {
            let _ = db.execute_raw(&format!("DROP TABLE {t}"));
        }
    }
}

/// Undoes an install that did not finish.
pub fn abort(pending: Pending, db: Option<Database>) {
    match (&pending.sqlite_files, db) {
        (Some((tmp, _)), db) => {
            if let Some(db) = db {
                let _ = db.close();
            }
            remove_sqlite_files(tmp);
        }
        (None, Some(db)) if db.created() => {
            // A database this install made goes again, whatever was written into it.
            let req = &pending.req;
            let _ = db.drop_created(&DbParams {
                dbtype: pending.kind,
                name: req.dbname.clone(),
                host: req.dbhost.clone(),
                user: req.dbuser.clone(),
                password: req.dbpass.clone(),
                prefix: req.dbtableprefix.clone(),
            });
        }
        (None, Some(mut db)) => {
            if pending.kind == DbKind::Pgsql {
                while db.in_transaction() {
                    let _ = db.rollback();
                }
            } else {
                drop_prefixed_tables(&mut db);
            }
            let _ = db.close();
        }
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(datadir: &Path) -> InstallRequest {
        sqlite_request(datadir)
    }

    fn plugin(id: &str, migrations: &[(&str, &str)]) -> (String, Vec<Migration>) {
        (
            id.to_string(),
            migrations
                .iter()
                .map(|(v, sql)| Migration::portable(v, "test", &[sql]))
                .collect(),
        )
    }

    fn tables(file: &Path) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct T {
            name: String,
        }
        let mut db = Database::open_sqlite(file, "oc_", false, None).unwrap();
        let t: Vec<T> = db
            .query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                &[],
            )
            .unwrap();
        db.close().unwrap();
        t.into_iter().map(|t| t.name).collect()
    }

    #[test]
    fn begin_migrate_finish_makes_the_database_then_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut notes = Vec::new();
        let (mut db, pending) = begin(&request(&data), &mut |l| notes.push(l.to_string())).unwrap();
        assert_eq!(notes, ["creating sqlite db"]);
        // Built in a temporary file; nothing is in place yet.
        assert!(data.join(".owncloud.db.installing").exists());
        assert!(!data.join("owncloud.db").exists());
        let plugins = [plugin(
            "p",
            &[("1", "CREATE TABLE *PREFIX*p_t (x INTEGER)")],
        )];
        assert_eq!(migrate(&mut db, &plugins).unwrap(), 1);
        let mut config = Config::load(dir.path()).unwrap();
        assert!(finish(pending, db, &mut config).unwrap().is_none());
        assert!(!data.join(".owncloud.db.installing").exists());
        assert_eq!(
            tables(&data.join("owncloud.db")),
            ["oc_migrations", "oc_p_t"]
        );
        let written = Config::load(dir.path()).unwrap().values;
        assert_eq!(written["installed"], true);
        assert_eq!(written["dbtype"], "sqlite");
        assert_eq!(written["dbtableprefix"], "oc_");
        assert_eq!(written["version"], version4());
        assert_eq!(written["datadirectory"], data.display().to_string());
        assert!(written["instanceid"].as_str().unwrap().starts_with("oc"));
        assert_eq!(written["secret"].as_str().unwrap().len(), 48);
        assert!(written.get("dbpassword").is_none());
    }

    #[test]
    fn abort_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (mut db, pending) = begin(&request(&data), &mut |_| {}).unwrap();
        migrate(
            &mut db,
            &[plugin("p", &[("1", "CREATE TABLE *PREFIX*t (x INTEGER)")])],
        )
        .unwrap();
        abort(pending, Some(db));
        let left: Vec<_> = std::fs::read_dir(&data).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
        assert!(!dir.path().join("config").exists());
    }

    #[test]
    fn a_failing_migration_names_plugin_and_migration() {
        let dir = tempfile::tempdir().unwrap();
        let (mut db, pending) = begin(&request(&dir.path().join("d")), &mut |_| {}).unwrap();
        let e = migrate(&mut db, &[plugin("bad", &[("7", "CREATE TABLE (")])]).unwrap_err();
        assert!(
            e.message
                .starts_with("Migration 7 of plugin \"bad\" failed: "),
            "{}",
            e.message
        );
        abort(pending, Some(db));
    }

    #[test]
    fn bad_requests_are_refused_before_anything_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let mut req = request(&dir.path().join("data"));
        req.dbtype = "oracle".into();
        let e = begin(&req, &mut |_| {}).err().unwrap();
        assert_eq!(e.message, "Database oracle is not supported.");
        let mut req = request(Path::new("relative/data"));
        req.datadir = "relative/data".into();
        let e = begin(&req, &mut |_| {}).err().unwrap();
        assert_eq!(
            e.message,
            "The data directory must be an absolute path: relative/data"
        );
        assert!(!dir.path().join("data").exists());
    }

    #[test]
    fn a_database_with_tables_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let mut other = Database::open_sqlite(&data.join("owncloud.db"), "x_", true, None).unwrap();
        other.execute_raw("CREATE TABLE keep (x INTEGER)").unwrap();
        other.close().unwrap();
        let e = begin(&request(&data), &mut |_| {}).err().unwrap();
        assert!(
            e.message.ends_with(
                "already holds tables (keep); remove it or choose another --database-name"
            ),
            "{}",
            e.message
        );
        assert_eq!(tables(&data.join("owncloud.db")), ["keep"]);
    }
}
