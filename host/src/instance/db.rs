//! The database, for the host and (through host calls) for plugins: one connection per
//! invocation, opened only when a command needs it. SQLite through rusqlite (synchronous, in
//! this thread, prepared statements cached); PostgreSQL and MySQL/MariaDB through sqlx.
//!
//! Why not sqlx for SQLite too: it runs SQLite on a worker thread and hands every statement
//! and every row across a channel (~25 us a statement, rows ~10x slower than SQLite's own,
//! plus a runtime and a thread to start per command). Measured here: opening the database
//! cost ~3 ms of a 6 ms command, and a 10,000-row result ~100 ms.
//!
//! Plugins write SQL with `?` placeholders and `*PREFIX*` for the table prefix; this module
//! substitutes the prefix, numbers placeholders for PostgreSQL, binds JSON values and returns
//! rows as JSON objects.

use crate::error::{Error, Result};
use std::path::Path;
use std::time::Duration;

use occ_plugin_api::DbKind;
use serde_json::{Map, Number, Value};
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Column, ConnectOptions, Connection, Executor, Row, TypeInfo, ValueRef};

mod bulk;
pub use bulk::{copy_row, mysql_tuple, Cell, ColumnKind};

/// Where to connect.
#[derive(Debug, Clone)]
pub struct DbParams {
    /// The database type.
    pub dbtype: DbKind,
    /// Database name (SQLite: file `<datadir>/<name>.db`).
    pub name: String,
    /// `host[:port]`.
    pub host: String,
    /// User.
    pub user: String,
    /// Password (never printed).
    pub password: String,
    /// Table prefix.
    pub prefix: String,
}

impl DbParams {
    /// The connection an installed instance's config names (ownCloud's keys and defaults;
    /// `dbport` folded into the host).
    pub fn from_config(c: &super::config::Config) -> Result<Self> {
        let dbtype = c.get_str("dbtype").unwrap_or_else(|| "sqlite".into());
        let Some(kind) = DbKind::parse(&dbtype) else {
            return Err(Error::new(format!(
                "Unsupported database type \"{dbtype}\"."
            )));
        };
        Ok(Self {
            dbtype: kind,
            name: c.get_str("dbname").unwrap_or_else(|| "owncloud".into()),
            host: match (c.get_str("dbhost"), c.get_str("dbport")) {
                (Some(h), Some(p)) if !p.is_empty() && !h.contains(':') => format!("{h}:{p}"),
                (h, _) => h.unwrap_or_default(),
            },
            user: c.get_str("dbuser").unwrap_or_default(),
            password: c.get_str("dbpassword").unwrap_or_default(),
            prefix: c.get_str("dbtableprefix").unwrap_or_else(|| "oc_".into()),
        })
    }
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Pg(PgConnection),
    My(MySqlConnection),
}

/// An open database connection with its runtime.
pub struct Database {
    /// The async runtime sqlx needs (server databases only).
    rt: Option<tokio::runtime::Runtime>,
    conn: Conn,
    /// Table prefix.
    pub prefix: String,
    /// The database type.
    pub kind: DbKind,
    depth: usize,
    /// MySQL's named locks taken in the open transaction (released when it ends).
    named_locks: Vec<String>,
    /// Whether this connection's opening created the database (see [`Database::drop_created`]).
    created: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(e.to_string()))
}

/// Where a server listens, as ownCloud's `dbhost` says it: `host`, `host:port`, `[::1]`,
/// `[::1]:port`, or `host:/path/to/socket` (a Unix socket: PostgreSQL's socket directory,
/// MySQL's socket file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// TCP to a host and port.
    Tcp(String, u16),
    /// A Unix socket.
    Socket(std::path::PathBuf),
}

impl Endpoint {
    /// Where a connection's `dbhost` points (the server's default port when it names none).
    pub fn of(p: &DbParams) -> Self {
        let default_port = if p.dbtype == DbKind::Pgsql {
            5432
        } else {
            3306
        };
        Self::parse(&p.host, default_port)
    }

    /// Where a `dbhost` value points, with `default_port` when it names none.
    pub fn parse(host: &str, default_port: u16) -> Self {
        if let Some((_, path)) = host.split_once(':').filter(|(_, p)| p.starts_with('/')) {
            return Endpoint::Socket(path.into());
        }
        if host.starts_with('/') {
            return Endpoint::Socket(host.into());
        }
        let port_of = |p: &str| {
            p.parse()
                .ok()
                .filter(|_| p.bytes().all(|b| b.is_ascii_digit()))
        };
        if let Some(rest) = host.strip_prefix('[') {
            if let Some((addr, after)) = rest.split_once(']') {
                let port = after
                    .strip_prefix(':')
                    .and_then(port_of)
                    .unwrap_or(default_port);
                return Endpoint::Tcp(addr.to_string(), port);
            }
        }
        let (h, port) = match host.rsplit_once(':') {
            // One colon: host and port (more: a bare IPv6 address).
            Some((h, p)) if !h.contains(':') => match port_of(p) {
                Some(port) => (h, port),
                None => (host, default_port),
            },
            _ => (host, default_port),
        };
        Endpoint::Tcp(if h.is_empty() { "localhost" } else { h }.to_string(), port)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(h, p) if h.contains(':') => write!(f, "[{h}]:{p}"),
            Endpoint::Tcp(h, p) => write!(f, "{h}:{p}"),
            Endpoint::Socket(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Database {
    /// Opens an installed instance's database as its config names it: SQLite's file
    /// `<data_dir>/<name>.db`, which must exist, or the server's.
    pub fn open_instance(p: &DbParams, data_dir: &Path) -> Result<Self> {
        if p.dbtype != DbKind::Sqlite {
            return Self::open_server(p, false);
        }
        let file = data_dir.join(format!("{}.db", p.name));
        if !file.exists() {
            return Err(Error::new(format!(
                "The database {} does not exist",
                file.display()
            )));
        }
        Self::open_sqlite(&file, &p.prefix, false, None)
    }

    /// Opens a SQLite file: a busy timeout so concurrent writers wait, a 16 MiB page cache,
    /// statement journals in memory. `journal` sets the journal mode (install sets WAL once;
    /// it persists in the file), `None` leaves it: an ordinary open issues no statement that
    /// needs a lock, and one that meets another process's WAL recovery retries instead of
    /// failing with "database is locked".
    pub fn open_sqlite(
        file: &Path,
        prefix: &str,
        create: bool,
        journal: Option<&str>,
    ) -> Result<Self> {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            match Self::try_open_sqlite(file, create, journal) {
                Ok(conn) => {
                    return Ok(Self {
                        rt: None,
                        conn: Conn::Sqlite(conn),
                        prefix: prefix.into(),
                        kind: DbKind::Sqlite,
                        depth: 0,
                        named_locks: Vec::new(),
                        created: false,
                    })
                }
                Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => {
                    return Err(Error::new(format!(
                        "Cannot open the SQLite database {}: {e}",
                        file.display()
                    )))
                }
            }
        }
    }

    fn try_open_sqlite(
        file: &Path,
        create: bool,
        journal: Option<&str>,
    ) -> Result<rusqlite::Connection, rusqlite::Error> {
        use rusqlite::OpenFlags;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = rusqlite::Connection::open_with_flags(file, flags)?;
        conn.busy_timeout(Duration::from_secs(60))?;
        if let Some(mode) = journal {
            conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |_| Ok(()))?;
        }
        // 16 MiB of page cache (allocated only as used): a big scan's index pages stay in
        // memory. Statement journals in memory, not in a temporary file.
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Opens a PostgreSQL or MySQL/MariaDB server connection. With `create`, a database that
    /// does not exist yet is created first (when the user may), as ownCloud's install does:
    /// MariaDB's in utf8mb4 with a binary collation.
    pub fn open_server(p: &DbParams, create: bool) -> Result<Self> {
        let rt = runtime()?;
        let at = Endpoint::of(p);
        let conn = match connect(&rt, p, &at, Some(&p.name)) {
            Ok(c) => c,
            Err(e) if create && missing_database(&e) => {
                let sql = match p.dbtype {
                    DbKind::Pgsql => format!("CREATE DATABASE \"{}\"", p.name.replace('"', "\"\"")),
                    _ => format!(
                        "CREATE DATABASE `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
                        p.name.replace('`', "``")
                    ),
                };
                let made = admin_statement(&rt, p, &at, sql)?;
                if let Err(e) = made {
                    // Made in the meantime (by a process that was killed while the server made
                    // it, say): then it is there to use.
                    if let Ok(c) = connect(&rt, p, &at, Some(&p.name)) {
                        return Ok(Self::server(rt, c, p));
                    }
                    return Err(Error::new(format!(
                        "Cannot create the database \"{}\": {}",
                        p.name,
                        sqlx_message(&e)
                    )));
                }
                let c = connect(&rt, p, &at, Some(&p.name))
                    .map_err(|e| connect_error(p.dbtype, &at, &e))?;
                let mut db = Self::server(rt, c, p);
                db.created = true;
                return Ok(db);
            }
            Err(e) => return Err(connect_error(p.dbtype, &at, &e).into()),
        };
        Ok(Self::server(rt, conn, p))
    }

    /// Whether opening this connection created its database.
    pub fn created(&self) -> bool {
        self.created
    }

    /// Closes the connection and drops its database when opening it created it: a failed
    /// install or conversion leaves no database behind that was not there before.
    pub fn drop_created(self, p: &DbParams) -> Result<()> {
        let created = self.created;
        let _ = self.close();
        if !created {
            return Ok(());
        }
        let rt = runtime()?;
        let at = Endpoint::of(p);
        let sql = match p.dbtype {
            DbKind::Pgsql => format!(
                "DROP DATABASE IF EXISTS \"{}\"",
                p.name.replace('"', "\"\"")
            ),
            _ => format!("DROP DATABASE IF EXISTS `{}`", p.name.replace('`', "``")),
        };
        let dropped = admin_statement(&rt, p, &at, sql)?;
        dropped.map_err(|e| {
            Error::new(format!(
                "Cannot drop the database \"{}\" made for this run: {}",
                p.name,
                sqlx_message(&e)
            ))
        })
    }

    fn server(rt: tokio::runtime::Runtime, conn: Conn, p: &DbParams) -> Self {
        Self {
            rt: Some(rt),
            conn,
            prefix: p.prefix.clone(),
            kind: p.dbtype,
            depth: 0,
            named_locks: Vec::new(),
            created: false,
        }
    }

    /// Substitutes the prefix and numbers placeholders as this database wants.
    ///
    /// Upserts are written as SQLite and PostgreSQL write them (`ON CONFLICT DO NOTHING`,
    /// `ON CONFLICT (keys) DO UPDATE SET c = excluded.c`) and become MySQL's there.
    pub fn prepare_sql(&self, sql: &str) -> String {
        let sql = sql.replace("*PREFIX*", &self.prefix);
        if self.kind == DbKind::Mysql {
            return mysql_upsert(sql);
        }
        if self.kind != DbKind::Pgsql {
            return sql;
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        let mut quote: Option<char> = None;
        for c in sql.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => {
                    quote = None;
                    out.push(c);
                }
                (Some(_), c) => out.push(c),
                (None, '\'' | '"') => {
                    quote = Some(c);
                    out.push(c);
                }
                (None, '?') => {
                    n += 1;
                    out.push_str(&format!("${n}"));
                }
                (None, c) => out.push(c),
            }
        }
        out
    }

    /// Runs a query returning rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Map<String, Value>>> {
        let sql = self.prepare_sql(sql);
        if let Conn::Sqlite(c) = &self.conn {
            return sqlite_query(c, &sql, params).map_err(db_error);
        }
        let rt = self.rt.as_ref().ok_or("no runtime for a server database")?;
        match &mut self.conn {
            Conn::Pg(c) => {
                let q = bind_all(sqlx::query(AssertSqlSafe(sql)), params);
                let rows = rt.block_on(q.fetch_all(&mut *c)).map_err(db_error)?;
                Ok(rows.iter().map(pg_row).collect())
            }
            Conn::My(c) => {
                let q = bind_all(sqlx::query(AssertSqlSafe(sql)), params);
                let rows = rt.block_on(q.fetch_all(&mut *c)).map_err(db_error)?;
                Ok(rows.iter().map(my_row).collect())
            }
            Conn::Sqlite(_) => Err("unreachable".into()),
        }
    }

    /// Runs a query returning rows, as the JSON text of an array of column -> value objects
    /// (what [`Database::query`] returns, serialized), or with `arrays` of arrays of the values in
    /// the select list's order. On SQLite the text is written row by row from the statement,
    /// without building a map per row.
    pub fn query_json(&mut self, sql: &str, params: &[Value], arrays: bool) -> Result<String> {
        if let Conn::Sqlite(c) = &self.conn {
            let sql = self.prepare_sql(sql);
            return sqlite_query_json(c, &sql, params, arrays).map_err(db_error);
        }
        let rows = self.query(sql, params)?;
        if !arrays {
            return serde_json::to_string(&rows).map_err(db_error);
        }
        // The maps keep the select list's order.
        let rows: Vec<Vec<Value>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(|(_, v)| v).collect())
            .collect();
        serde_json::to_string(&rows).map_err(db_error)
    }

    /// Runs a statement; returns rows affected.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let sql = self.prepare_sql(sql);
        if let Conn::Sqlite(c) = &self.conn {
            let mut stmt = c.prepare_cached(&sql).map_err(db_error)?;
            return stmt
                .execute(rusqlite::params_from_iter(params.iter().map(sqlite_param)))
                .map(|n| n as u64)
                .map_err(db_error);
        }
        let rt = self.rt.as_ref().ok_or("no runtime for a server database")?;
        match &mut self.conn {
            Conn::Pg(c) => rt
                .block_on(bind_all(sqlx::query(AssertSqlSafe(sql)), params).execute(&mut *c))
                .map(|r| r.rows_affected())
                .map_err(db_error),
            Conn::My(c) => rt
                .block_on(bind_all(sqlx::query(AssertSqlSafe(sql)), params).execute(&mut *c))
                .map(|r| r.rows_affected())
                .map_err(db_error),
            Conn::Sqlite(_) => Err("unreachable".into()),
        }
    }

    /// Runs one statement per parameter row; returns the rows changed. Outside a transaction
    /// it is all or nothing (a transaction of its own); inside one, the caller's transaction
    /// decides (no savepoint: on SQLite a savepoint copies every page it touches into a
    /// sub-journal, which was a fifth of a first `files:scan`). On SQLite the statement is
    /// prepared once and parameters are bound without copies.
    pub fn execute_many(&mut self, sql: &str, rows: &[Vec<Param<'_>>]) -> Result<u64> {
        if self.depth > 0 {
            return self.execute_rows(sql, rows);
        }
        self.begin()?;
        let r = self.execute_rows(sql, rows);
        match r {
            Ok(n) => self.commit().map(|()| n),
            Err(e) => {
                // The statement's error matters more than a failed rollback.
                let _ = self.rollback();
                Err(e)
            }
        }
    }

    fn execute_rows(&mut self, sql: &str, rows: &[Vec<Param<'_>>]) -> Result<u64> {
        if let Conn::Sqlite(c) = &self.conn {
            let sql = self.prepare_sql(sql);
            let mut stmt = c.prepare_cached(&sql).map_err(db_error)?;
            let mut n = 0;
            for row in rows {
                n += stmt
                    .execute(rusqlite::params_from_iter(row.iter()))
                    .map_err(db_error)? as u64;
            }
            return Ok(n);
        }
        let mut n = 0;
        // A plain `INSERT ... VALUES (?, ...)` goes as multi-row statements: one round trip
        // per batch instead of one per row.
        if let Some((head, tuple, width)) = plain_insert(sql) {
            // Each column's parameters of one kind in every row: a multi-row VALUES settles a
            // column's type across its rows, where single rows would each be converted.
            let uniform = rows.iter().all(|r| {
                r.len() == width
                    && r.iter()
                        .zip(&rows[0])
                        .all(|(a, b)| std::mem::discriminant(a) == std::mem::discriminant(b))
            });
            if uniform && rows.len() > 1 {
                // PostgreSQL and MySQL take at most 65,535 parameters a statement.
                let per = (65_535 / width.max(1)).clamp(1, 1000);
                for batch in rows.chunks(per) {
                    let mut stmt =
                        String::with_capacity(head.len() + batch.len() * (tuple.len() + 2));
                    stmt.push_str(head);
                    for i in 0..batch.len() {
                        if i > 0 {
                            stmt.push_str(", ");
                        }
                        stmt.push_str(tuple);
                    }
                    let values: Vec<Value> = batch
                        .iter()
                        .flat_map(|r| r.iter().map(Param::to_value))
                        .collect();
                    n += self.execute(&stmt, &values)?;
                }
                return Ok(n);
            }
        }
        for row in rows {
            let values: Vec<Value> = row.iter().map(Param::to_value).collect();
            n += self.execute(sql, &values)?;
        }
        Ok(n)
    }

    /// Ends a SQLite connection at the end of a command without closing it. Closing the last
    /// connection checkpoints the WAL, fsyncs the database and deletes the WAL, which the next
    /// command must create again (~5 ms of every write command); committed transactions are
    /// already durable in the WAL. But every command opens the database as its first
    /// connection and rebuilds the WAL index by reading the whole WAL, and a WAL only starts
    /// over inside the process that checkpointed it: left alone it grows to SQLite's
    /// auto-checkpoint size (4 MiB), ~3 ms on every command (measured: 1.5 MiB after 40
    /// `user:add` made `user:list` 1 ms slower). So a command that wrote and leaves a WAL
    /// over [`WAL_KEEP`] checkpoints and truncates it here, without waiting for other
    /// connections (if one is busy, the next writer tries again).
    pub fn leave_sqlite(self) {
        if let Conn::Sqlite(c) = &self.conn {
            let wal = c.path().map(|p| format!("{p}-wal"));
            let long = wal
                .and_then(|w| std::fs::metadata(w).ok())
                .is_some_and(|m| m.len() > WAL_KEEP);
            // Only a command that wrote: a reader beside a big write (a files:scan) would
            // otherwise copy someone else's pages back and fsync.
            let wrote = c.total_changes() > 0;
            if wrote && long && self.depth == 0 && c.busy_timeout(Duration::ZERO).is_ok() {
                let _ = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
        }
        std::mem::forget(self);
    }

    /// SQLite: writes a consistent copy of the database `file` (this connection's) into the new
    /// file `dest` (mode 0600). The WAL is checkpointed into the file, which is then copied
    /// whole by the kernel while this connection holds the write lock; if a writer keeps the
    /// WAL from emptying, SQLite's backup API copies it page by page instead.
    pub fn sqlite_copy_to(&mut self, file: &Path, dest: &Path) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if !matches!(self.conn, Conn::Sqlite(_)) {
            return Err("not a SQLite database".into());
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dest)
            .map_err(|e| Error::new(format!("Cannot create {}: {e}", dest.display())))?;
        let _ = self.query("PRAGMA wal_checkpoint(TRUNCATE)", &[]);
        self.begin()?;
        let mut wal = file.as_os_str().to_owned();
        wal.push("-wal");
        let wal_empty = std::fs::metadata(&wal).map_or(true, |m| m.len() == 0);
        let copied = if wal_empty {
            std::fs::File::open(file)
                .and_then(|mut f| std::io::copy(&mut f, &mut out))
                .map(|_| true)
                .map_err(|e| Error::new(format!("Cannot copy {}: {e}", file.display())))
        } else {
            Ok(false)
        };
        let _ = self.rollback();
        if copied? {
            return Ok(());
        }
        drop(out);
        self.sqlite_backup_to(dest)
    }

    /// SQLite: writes a consistent copy of the database into `dest` (made 0600 by the
    /// caller) through SQLite's backup API.
    fn sqlite_backup_to(&self, dest: &Path) -> Result<()> {
        let Conn::Sqlite(src) = &self.conn else {
            return Err("not a SQLite database".into());
        };
        let mut dst = rusqlite::Connection::open(dest).map_err(db_error)?;
        {
            let b = rusqlite::backup::Backup::new(src, &mut dst).map_err(db_error)?;
            b.run_to_completion(4096, Duration::from_millis(5), None)
                .map_err(db_error)?;
        }
        dst.close().map_err(|(_, e)| db_error(e))
    }

    /// Runs raw SQL without parameters (DDL, several statements allowed on SQLite/MySQL).
    pub fn execute_raw(&mut self, sql: &str) -> Result<()> {
        let sql = self.prepare_sql(sql);
        if let Conn::Sqlite(c) = &self.conn {
            return c.execute_batch(&sql).map_err(db_error);
        }
        let rt = self.rt.as_ref().ok_or("no runtime for a server database")?;
        match &mut self.conn {
            Conn::Pg(c) => rt
                .block_on(c.execute(AssertSqlSafe(sql)))
                .map(|_| ())
                .map_err(db_error),
            Conn::My(c) => rt
                .block_on(c.execute(AssertSqlSafe(sql)))
                .map(|_| ())
                .map_err(db_error),
            Conn::Sqlite(_) => Err("unreachable".into()),
        }
    }

    /// Begins a transaction (`BEGIN IMMEDIATE` on SQLite: take the write lock up front, so
    /// concurrent writers queue on the busy timeout instead of failing). Nested calls use
    /// savepoints.
    pub fn begin(&mut self) -> Result<()> {
        let sql = match (self.depth, self.kind) {
            (0, DbKind::Sqlite) => "BEGIN IMMEDIATE".to_string(),
            (0, _) => "BEGIN".to_string(),
            (d, _) => format!("SAVEPOINT occ_sp{d}"),
        };
        self.execute_raw(&sql)?;
        self.depth += 1;
        Ok(())
    }

    /// Commits (or releases the innermost savepoint). If that fails, the level is rolled
    /// back, so the connection and the count of open levels agree either way.
    pub fn commit(&mut self) -> Result<()> {
        let sql = match self.depth {
            0 => return Err("no transaction is open".into()),
            1 => "COMMIT".to_string(),
            d => format!("RELEASE SAVEPOINT occ_sp{}", d - 1),
        };
        if let Err(e) = self.execute_raw(&sql) {
            // The commit's error is what the caller needs; the rollback's would hide it.
            let _ = self.rollback();
            return Err(e);
        }
        self.depth -= 1;
        self.release_named_locks();
        Ok(())
    }

    /// Begins a read-only transaction that sees one snapshot of the database for all its
    /// queries (a conversion reads every table as of one moment).
    pub fn begin_snapshot(&mut self) -> Result<()> {
        if self.depth > 0 {
            return Err(Error::new("a snapshot needs no open transaction"));
        }
        self.execute_raw(match self.kind {
            // Deferred: the snapshot is taken by the first read (WAL readers see one).
            DbKind::Sqlite => "BEGIN",
            DbKind::Pgsql => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            DbKind::Mysql => "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        })?;
        self.depth = 1;
        Ok(())
    }

    /// Whether `other` is connected to the very database this is (however its host was
    /// written: a name, an address, a socket). PostgreSQL: an advisory lock this session holds
    /// cannot be taken by the other (advisory locks are per database); MySQL: the other sees
    /// this session's named lock (locks are per server) and names the same database.
    pub fn is_same_database(&mut self, other: &mut Database) -> Result<bool> {
        if self.kind != other.kind || self.kind == DbKind::Sqlite {
            return Ok(false);
        }
        let mut id = [0u8; 8];
        getrandom::getrandom(&mut id).map_err(|e| Error::new(e.to_string()))?;
        let key = i64::from_be_bytes(id);
        let flag = |rows: Vec<Map<String, Value>>| {
            rows.first()
                .and_then(|r| r.get("v"))
                .map(|v| v.as_bool().unwrap_or(v.as_i64() == Some(1)))
                .unwrap_or(false)
        };
        match self.kind {
            DbKind::Pgsql => {
                self.query(
                    "SELECT pg_advisory_lock(?) IS NULL AS v",
                    &[Value::from(key)],
                )?;
                let theirs =
                    flag(other.query("SELECT pg_try_advisory_lock(?) AS v", &[Value::from(key)])?);
                if theirs {
                    other.query("SELECT pg_advisory_unlock(?) AS v", &[Value::from(key)])?;
                }
                self.query("SELECT pg_advisory_unlock(?) AS v", &[Value::from(key)])?;
                Ok(!theirs)
            }
            _ => {
                let name = format!("occ-probe-{key:x}");
                self.query("SELECT GET_LOCK(?, 5) AS v", &[Value::String(name.clone())])?;
                let held = flag(other.query(
                    "SELECT IS_USED_LOCK(?) = CONNECTION_ID() OR IS_USED_LOCK(?) IS NOT NULL AS v",
                    &[Value::String(name.clone()), Value::String(name.clone())],
                )?);
                self.query("SELECT RELEASE_LOCK(?) AS v", &[Value::String(name)])?;
                if !held {
                    return Ok(false);
                }
                let db = |d: &mut Database| -> Result<Option<Value>> {
                    Ok(d.query("SELECT DATABASE() AS v", &[])?
                        .first()
                        .and_then(|r| r.get("v").cloned()))
                };
                Ok(db(self)? == db(other)?)
            }
        }
    }

    /// Takes a named lock until the open transaction ends: concurrent transactions that take
    /// the same name run one after the other (check-then-insert without a unique key, say).
    /// SQLite's write transaction holds the whole database already; PostgreSQL takes a
    /// transaction-level advisory lock, MySQL a named lock released when the transaction ends.
    pub fn lock_named(&mut self, name: &str) -> Result<()> {
        if self.depth == 0 {
            return Err(Error::new("a named lock needs a transaction"));
        }
        // Scoped to this instance's tables (several instances may share a server).
        let scoped = format!("occ:{}:{name}", self.prefix);
        match self.kind {
            DbKind::Sqlite => Ok(()),
            DbKind::Pgsql => self
                .execute(
                    "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended(?, 0))) AS l",
                    &[Value::String(scoped)],
                )
                .map(|_| ()),
            DbKind::Mysql => {
                // MySQL's names are at most 64 characters and server-wide.
                let scoped = format!("{:x}", crate::fnv1a(scoped.as_bytes()));
                let got = self.query(
                    "SELECT GET_LOCK(?, 60) AS got",
                    &[Value::String(scoped.clone())],
                )?;
                if got
                    .first()
                    .and_then(|r| r.get("got"))
                    .and_then(Value::as_i64)
                    != Some(1)
                {
                    return Err(Error::new(format!(
                        "Cannot take the lock \"{name}\": another process holds it"
                    )));
                }
                self.named_locks.push(scoped);
                Ok(())
            }
        }
    }

    /// Releases MySQL's named locks once no transaction is open.
    fn release_named_locks(&mut self) {
        if self.depth > 0 || self.named_locks.is_empty() {
            return;
        }
        for name in std::mem::take(&mut self.named_locks) {
            let _ = self.query("SELECT RELEASE_LOCK(?) AS r", &[Value::String(name)]);
        }
    }

    /// Rolls back (or to the innermost savepoint).
    pub fn rollback(&mut self) -> Result<()> {
        let sql = match self.depth {
            0 => return Ok(()),
            1 => "ROLLBACK".to_string(),
            d => format!("ROLLBACK TO SAVEPOINT occ_sp{}", d - 1),
        };
        self.depth -= 1;
        let r = self.execute_raw(&sql);
        self.release_named_locks();
        r
    }

    /// Runs a query and decodes each row (column -> value) into `T`.
    pub fn query_as<T: serde::de::DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<Vec<T>> {
        self.query(sql, params)?
            .into_iter()
            .map(|r| serde_json::from_value(Value::Object(r)).map_err(db_error))
            .collect()
    }

    /// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Database) -> Result<T>) -> Result<T> {
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                // The error that ended the transaction matters more than a failed rollback.
                let _ = self.rollback();
                Err(e)
            }
        }
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    /// Names of the tables with the prefix that exist.
    pub fn prefixed_tables(&mut self) -> Result<Vec<String>> {
        let like = format!("{}%", self.prefix.replace('!', "!!").replace('_', "!_"));
        let sql = match self.kind {
            DbKind::Sqlite => "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '!'",
            DbKind::Pgsql => "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE ? ESCAPE '!'",
            DbKind::Mysql => "SELECT CAST(table_name AS CHAR) AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ? ESCAPE '!'",
        };
        let rows = self.query(sql, &[Value::String(like)])?;
        Ok(rows
            .iter()
            .filter_map(|r| r.get("t").and_then(Value::as_str).map(str::to_string))
            .collect())
    }

    /// Closes the connection cleanly (SQLite checkpoints its WAL).
    pub fn close(self) -> Result<()> {
        let Database { rt, conn, .. } = self;
        match (conn, rt) {
            (Conn::Sqlite(c), _) => c.close().map_err(|(_, e)| db_error(e)),
            (Conn::Pg(c), Some(rt)) => rt.block_on(c.close()).map_err(db_error),
            (Conn::My(c), Some(rt)) => rt.block_on(c.close()).map_err(db_error),
            _ => Ok(()),
        }
    }
}

/// An identifier quoted for `kind` (backticks on MySQL, double quotes elsewhere).
pub fn quote_ident(kind: DbKind, name: &str) -> String {
    match kind {
        DbKind::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// Runs one statement (`CREATE DATABASE`, `DROP DATABASE`) on the server's own database
/// (PostgreSQL's `postgres`; none on MySQL): the connection failing is an error, the
/// statement's own outcome is returned.
fn admin_statement(
    rt: &tokio::runtime::Runtime,
    p: &DbParams,
    at: &Endpoint,
    sql: String,
) -> Result<std::result::Result<(), sqlx::Error>> {
    let admin = (p.dbtype == DbKind::Pgsql).then_some("postgres");
    let mut c = connect(rt, p, at, admin).map_err(|e| connect_error(p.dbtype, at, &e))?;
    Ok(match &mut c {
        Conn::Pg(c) => rt.block_on(c.execute(AssertSqlSafe(sql))).map(|_| ()),
        Conn::My(c) => rt.block_on(c.execute(AssertSqlSafe(sql))).map(|_| ()),
        Conn::Sqlite(_) => Ok(()),
    })
}

/// One server connection to `database` (none: the server's default), with Nagle's algorithm
/// off on its socket ([`tcp_no_delay`]).
fn connect(
    rt: &tokio::runtime::Runtime,
    p: &DbParams,
    at: &Endpoint,
    database: Option<&str>,
) -> std::result::Result<Conn, sqlx::Error> {
    let before = sockets();
    let conn = open_connection(rt, p, at, database)?;
    tcp_no_delay(&before);
    Ok(conn)
}

fn open_connection(
    rt: &tokio::runtime::Runtime,
    p: &DbParams,
    at: &Endpoint,
    database: Option<&str>,
) -> std::result::Result<Conn, sqlx::Error> {
    match p.dbtype {
        DbKind::Pgsql => {
            let mut opts = PgConnectOptions::new();
            opts = match at {
                Endpoint::Tcp(host, port) => opts.host(host).port(*port),
                Endpoint::Socket(dir) => opts.socket(dir),
            };
            let mut opts = opts
                .username(&p.user)
                .password(&p.password)
                .disable_statement_logging();
            if let Some(d) = database {
                opts = opts.database(d);
            }
            Ok(Conn::Pg(rt.block_on(opts.connect())?))
        }
        _ => {
            let mut opts = MySqlConnectOptions::new();
            opts = match at {
                Endpoint::Tcp(host, port) => opts.host(host).port(*port),
                Endpoint::Socket(file) => opts.socket(file),
            };
            let mut opts = opts
                .username(&p.user)
                .password(&p.password)
                .charset("utf8mb4")
                .disable_statement_logging();
            if let Some(d) = database {
                opts = opts.database(d);
            }
            let mut c = rt.block_on(opts.connect())?;
            // GROUP_CONCAT is cut at 1,024 bytes by default; the file cache reads whole
            // folders with it.
            rt.block_on(c.execute("SET SESSION group_concat_max_len = 4294967295"))?;
            Ok(Conn::My(c))
        }
    }
}

/// A plain `INSERT INTO t (...) VALUES (?, ?, ...)` (nothing after its one tuple of
/// placeholders) split into the part up to `VALUES `, the tuple, and its placeholder count.
fn plain_insert(sql: &str) -> Option<(&str, &str, usize)> {
    let sql = sql.trim_end();
    if !sql
        .get(..12)
        .is_some_and(|h| h.eq_ignore_ascii_case("INSERT INTO "))
    {
        return None;
    }
    let at = sql.to_ascii_uppercase().rfind(" VALUES ")? + " VALUES ".len();
    let (head, tuple) = sql.split_at(at);
    let tuple = tuple.trim();
    let inner = tuple.strip_prefix('(')?.strip_suffix(')')?;
    let marks: Vec<&str> = inner.split(',').map(str::trim).collect();
    if head.contains('?') || marks.iter().any(|m| *m != "?") {
        return None;
    }
    Some((head, tuple, marks.len()))
}

/// The process's socket descriptors (by `/proc/self/fd`).
fn sockets() -> std::collections::HashSet<i32> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Default::default();
    };
    dir.flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
        })
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .collect()
}

/// Turns Nagle's algorithm off on the sockets a connection opened (those not in `before`):
/// sqlx has no option for it and does not expose its socket. sqlx writes each protocol
/// message with a flush of its own; where two follow each other without an answer between
/// them (a `COPY`'s last data and its end), Nagle holds the second until the server
/// acknowledges the first, which it delays by 40 ms. Measured: 43 ms for every small table of
/// a conversion.
fn tcp_no_delay(before: &std::collections::HashSet<i32>) {
    use nix::sys::socket::{setsockopt, sockopt::TcpNoDelay};
    use std::os::fd::BorrowedFd;
    for fd in sockets().difference(before) {
        // SAFETY: the descriptor was opened by the connect that just returned, on this thread,
        // and is owned by the connection this function's caller holds; it is only borrowed
        // for the one call. Setting TCP_NODELAY fails harmlessly on a socket that is not TCP.
        let fd = unsafe { BorrowedFd::borrow_raw(*fd) };
        let _ = setsockopt(&fd, TcpNoDelay, &true);
    }
}

/// Whether connecting failed because the database does not exist.
fn missing_database(e: &sqlx::Error) -> bool {
    let Some(d) = e.as_database_error() else {
        return false;
    };
    // PostgreSQL's invalid_catalog_name; MySQL's ER_BAD_DB_ERROR (1049).
    d.code().as_deref() == Some("3D000")
        || d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|m| m.number() == 1049)
}

fn connect_error(kind: DbKind, at: &Endpoint, e: &sqlx::Error) -> String {
    let what = if kind == DbKind::Pgsql {
        "PostgreSQL"
    } else {
        "MySQL/MariaDB"
    };
    format!(
        "Cannot connect to the {what} database at {at}: {}",
        sqlx_message(e)
    )
}

/// What went wrong, without sqlx's framing ("error returned from database: ... at line N").
fn sqlx_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        other => {
            let text = other.to_string();
            text.strip_prefix("error communicating with database: ")
                .unwrap_or(&text)
                .to_string()
        }
    }
}

fn db_error(e: impl std::fmt::Display) -> Error {
    // sqlx frames a server's message ("error returned from database: ... at line N", the
    // line of the server's own source); the message is what an admin needs.
    let text = e.to_string();
    let text = text
        .strip_prefix("error returned from database: ")
        .unwrap_or(&text);
    let text = match text.rsplit_once(" at line ") {
        Some((msg, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => msg,
        _ => text,
    };
    Error::new(text)
}

macro_rules! binder {
    ($db:ty) => {
        impl BindJson for sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments> {
            fn bind_json(self, v: &Value) -> Self {
                match v {
                    Value::Null => self.bind(None::<String>),
                    Value::Bool(b) => self.bind(*b),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => self.bind(i),
                        None => self.bind(n.as_f64().unwrap_or(0.0)),
                    },
                    Value::String(s) => self.bind(s.clone()),
                    other => self.bind(other.to_string()),
                }
            }
        }
    };
}

trait BindJson {
    fn bind_json(self, v: &Value) -> Self;
}

binder!(sqlx::Postgres);
binder!(sqlx::MySql);

fn bind_all<Q: BindJson>(mut q: Q, params: &[Value]) -> Q {
    for p in params {
        q = q.bind_json(p);
    }
    q
}

fn num_f64(f: f64) -> Value {
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Whether SQLite said the database is busy or locked (worth a retry).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A statement parameter decoded straight from a request's JSON: strings stay borrowed from
/// the request text when they need no unescaping.
#[derive(Debug, Clone, PartialEq)]
pub enum Param<'a> {
    /// NULL.
    Null,
    /// An integer (booleans are 0 and 1).
    Int(i64),
    /// A float.
    Real(f64),
    /// Text (arrays and objects arrive as their JSON text).
    Text(std::borrow::Cow<'a, str>),
}

impl Param<'_> {
    fn to_value(&self) -> Value {
        match self {
            Param::Null => Value::Null,
            Param::Int(n) => Value::from(*n),
            Param::Real(f) => num_f64(*f),
            Param::Text(t) => Value::String(t.to_string()),
        }
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Null => ValueRef::Null,
            Param::Int(n) => ValueRef::Integer(*n),
            Param::Real(f) => ValueRef::Real(*f),
            Param::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Param<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Param<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a statement parameter")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Param::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Param::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
                Ok(Param::Int(i64::from(b)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
                Ok(Param::Int(n))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(n).map_or(Param::Real(n as f64), Param::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Self::Value, E> {
                Ok(Param::Real(f))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Param::Text(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Param::Text(std::borrow::Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Param::Text(std::borrow::Cow::Owned(s)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                let v: Value = serde::Deserialize::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(a),
                )?;
                Ok(Param::Text(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                let v: Value = serde::Deserialize::deserialize(
                    serde::de::value::MapAccessDeserializer::new(a),
                )?;
                Ok(Param::Text(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON parameter as a SQLite value (booleans as 0/1, lists and objects as JSON text).
fn sqlite_param(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => V::Integer(i),
            None => V::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => V::Text(s.clone()),
        other => V::Text(other.to_string()),
    }
}

/// The WAL a command leaves behind before it checkpoints it (see [`Database::leave_sqlite`]).
pub const WAL_KEEP: u64 = 256 * 1024;

/// Runs a SQLite query through the statement cache; the rows as JSON text, written as they
/// are stepped.
fn sqlite_query_json(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
    arrays: bool,
) -> Result<String, rusqlite::Error> {
    use rusqlite::types::ValueRef;
    let mut stmt = c.prepare_cached(sql)?;
    let columns = stmt.column_count();
    // Objects: each column's `"name":`, escaped once. Arrays have no keys.
    let keys: Vec<String> = if arrays {
        Vec::new()
    } else {
        stmt.column_names()
            .into_iter()
            .map(|n| format!("{}:", Value::from(n)))
            .collect()
    };
    let (open, close) = if arrays { (b'[', b']') } else { (b'{', b'}') };
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(sqlite_param)))?;
    // Writes into a Vec cannot fail; serde_json only emits valid UTF-8.
    let mut out: Vec<u8> = b"[".to_vec();
    let mut first = true;
    let mut ints = itoa::Buffer::new();
    while let Some(row) = rows.next()? {
        if !first {
            out.push(b',');
        }
        first = false;
        out.push(open);
        for i in 0..columns {
            if i > 0 {
                out.push(b',');
            }
            if let Some(key) = keys.get(i) {
                out.extend_from_slice(key.as_bytes());
            }
            match row.get_ref(i)? {
                ValueRef::Null => out.extend_from_slice(b"null"),
                ValueRef::Integer(n) => out.extend_from_slice(ints.format(n).as_bytes()),
                ValueRef::Real(f) => {
                    let _ = serde_json::to_writer(&mut out, &num_f64(f));
                }
                // Text is nearly always valid UTF-8: checked as a whole first (the lossy
                // conversion's chunking was a fifth of writing a row).
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    let _ = match std::str::from_utf8(t) {
                        Ok(s) => serde_json::to_writer(&mut out, s),
                        Err(_) => serde_json::to_writer(&mut out, &String::from_utf8_lossy(t)),
                    };
                }
            }
        }
        out.push(close);
    }
    out.push(b']');
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Runs a SQLite query through the statement cache; rows as column -> JSON value.
fn sqlite_query(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> Result<Vec<Map<String, Value>>, rusqlite::Error> {
    use rusqlite::types::ValueRef;
    let mut stmt = c.prepare_cached(sql)?;
    let names: Vec<String> = stmt
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(sqlite_param)))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut m = Map::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let v = match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => num_f64(f),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Value::String(String::from_utf8_lossy(t).into_owned())
                }
            };
            m.insert(name.clone(), v);
        }
        out.push(m);
    }
    Ok(out)
}

/// SQLite's and PostgreSQL's upserts as MySQL says them: `INSERT INTO ... ON CONFLICT DO
/// NOTHING` is `INSERT IGNORE INTO ...`, and `... ON CONFLICT (keys) DO UPDATE SET c =
/// excluded.c, ...` is `... ON DUPLICATE KEY UPDATE c = VALUES(c), ...` (MySQL finds the
/// key itself).
fn mysql_upsert(sql: String) -> String {
    let upper = sql.to_ascii_uppercase();
    let (true, Some(at)) = (
        upper.starts_with("INSERT INTO "),
        upper.rfind(" ON CONFLICT"),
    ) else {
        return sql;
    };
    let rest = upper[at..].trim_end();
    let head = &sql[..at];
    if rest.ends_with("DO NOTHING") {
        return format!("INSERT IGNORE INTO {}", &head["INSERT INTO ".len()..]);
    }
    let Some(set_at) = rest.find("DO UPDATE SET ") else {
        return sql;
    };
    let assignments = sql[at + set_at + "DO UPDATE SET ".len()..].trim_end();
    let lower = assignments.to_ascii_lowercase();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while let Some(j) = lower[i..].find("excluded.") {
        let start = i + j;
        out.push_str(&assignments[i..start]);
        let col_start = start + "excluded.".len();
        let col_end = assignments[col_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(assignments.len(), |k| col_start + k);
        out.push_str(&format!("VALUES({})", &assignments[col_start..col_end]));
        i = col_end;
    }
    out.push_str(&assignments[i..]);
    format!("{head} ON DUPLICATE KEY UPDATE {out}")
}

/// A decimal as the JSON number it holds (an integer when it is one, as SQLite gives it).
fn decimal(text: &str) -> Value {
    text.parse::<i64>()
        .map(Value::from)
        .or_else(|_| text.parse::<f64>().map(num_f64))
        .unwrap_or_else(|_| Value::String(text.to_string()))
}

/// PostgreSQL's binary NUMERIC: digit count, weight, sign, scale, then base-10000 digits.
fn pg_numeric(b: &[u8]) -> Option<Value> {
    let word = |i: usize| -> Option<i32> {
        Some(i32::from(i16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])))
    };
    let (ndigits, weight, sign, dscale) = (word(0)?, word(2)?, word(4)? & 0xFFFF, word(6)?);
    if sign == 0xC000 {
        return None; // NaN
    }
    let digits: Vec<i32> = (0..ndigits)
        .map(|k| word(8 + 2 * k as usize))
        .collect::<Option<_>>()?;
    let negative = sign == 0x4000;
    if dscale == 0 && weight >= ndigits - 1 && weight < 4 {
        let mut n: i64 = 0;
        for d in &digits {
            n = n.checked_mul(10_000)?.checked_add(i64::from(*d))?;
        }
        n = n.checked_mul(10_000i64.checked_pow((weight - (ndigits - 1)) as u32)?)?;
        return Some(Value::from(if negative { -n } else { n }));
    }
    let mut f = 0f64;
    for (k, d) in digits.iter().enumerate() {
        f += f64::from(*d) * 10_000f64.powi(weight - k as i32);
    }
    Some(num_f64(if negative { -f } else { f }))
}

fn pg_row(row: &sqlx::postgres::PgRow) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let v = match row.try_get_raw(i) {
            Ok(raw) if raw.is_null() => Value::Null,
            Ok(raw) => match raw.type_info().name() {
                "INT8" => row
                    .try_get::<i64, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                "INT4" => row
                    .try_get::<i32, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                "INT2" => row
                    .try_get::<i16, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                "FLOAT8" => row.try_get::<f64, _>(i).map(num_f64).unwrap_or(Value::Null),
                "FLOAT4" => row
                    .try_get::<f32, _>(i)
                    .map(|f| num_f64(f as f64))
                    .unwrap_or(Value::Null),
                "BOOL" => row
                    .try_get::<bool, _>(i)
                    .map(Value::Bool)
                    .unwrap_or(Value::Null),
                "BYTEA" => row
                    .try_get::<Vec<u8>, _>(i)
                    .map(|b| Value::String(String::from_utf8_lossy(&b).into_owned()))
                    .unwrap_or(Value::Null),
                // SUM() of integers, for one.
                "NUMERIC" => raw
                    .as_bytes()
                    .ok()
                    .and_then(pg_numeric)
                    .unwrap_or(Value::Null),
                _ => row
                    .try_get::<String, _>(i)
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            },
            Err(_) => Value::Null,
        };
        m.insert(col.name().to_string(), v);
    }
    m
}

fn my_row(row: &sqlx::mysql::MySqlRow) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let v = match row.try_get_raw(i) {
            Ok(raw) if raw.is_null() => Value::Null,
            Ok(raw) => {
                let t = raw.type_info().name().to_string();
                if t.contains("INT") {
                    row.try_get::<i64, _>(i)
                        .map(Value::from)
                        .or_else(|_| row.try_get::<u64, _>(i).map(Value::from))
                        .unwrap_or(Value::Null)
                } else if t == "DOUBLE" || t == "FLOAT" {
                    row.try_get::<f64, _>(i).map(num_f64).unwrap_or(Value::Null)
                } else if t == "BOOLEAN" {
                    row.try_get::<bool, _>(i)
                        .map(Value::Bool)
                        .unwrap_or(Value::Null)
                } else if t == "DECIMAL" {
                    // SUM() of integers, for one: sent as text.
                    row.try_get_unchecked::<String, _>(i)
                        .map(|t| decimal(&t))
                        .unwrap_or(Value::Null)
                } else {
                    row.try_get::<String, _>(i)
                        .map(Value::String)
                        .or_else(|_| {
                            row.try_get::<Vec<u8>, _>(i)
                                .map(|b| Value::String(String::from_utf8_lossy(&b).into_owned()))
                        })
                        .unwrap_or(Value::Null)
                }
            }
            Err(_) => Value::Null,
        };
        m.insert(col.name().to_string(), v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_inserts_are_batched() {
        assert_eq!(
            plain_insert("INSERT INTO *PREFIX*t (a, b) VALUES (?, ?)"),
            Some(("INSERT INTO *PREFIX*t (a, b) VALUES ", "(?, ?)", 2))
        );
        assert_eq!(
            plain_insert("insert into t (a) values (?)"),
            Some(("insert into t (a) values ", "(?)", 1))
        );
        for other in [
            "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING",
            "INSERT INTO t (a) VALUES (?, 1)",
            "INSERT INTO t (a) SELECT ? FROM u",
            "INSERT INTO t (a) VALUES (?) RETURNING id",
            "UPDATE t SET a = ? WHERE b = ' VALUES (?)'",
        ] {
            assert_eq!(plain_insert(other), None, "{other}");
        }
    }

    #[test]
    fn dbhost_in_owncloud_forms() {
        let tcp = |h: &str, p: u16| Endpoint::Tcp(h.into(), p);
        assert_eq!(Endpoint::parse("db.example", 5432), tcp("db.example", 5432));
        assert_eq!(
            Endpoint::parse("db.example:6432", 5432),
            tcp("db.example", 6432)
        );
        assert_eq!(Endpoint::parse("[::1]:3307", 3306), tcp("::1", 3307));
        assert_eq!(Endpoint::parse("[::1]", 3306), tcp("::1", 3306));
        assert_eq!(Endpoint::parse("::1", 3306), tcp("::1", 3306));
        assert_eq!(Endpoint::parse("", 3306), tcp("localhost", 3306));
        assert_eq!(
            Endpoint::parse("localhost:/run/mysqld/mysqld.sock", 3306),
            Endpoint::Socket("/run/mysqld/mysqld.sock".into())
        );
        assert_eq!(
            Endpoint::parse("[::1]:3307", 3306).to_string(),
            "[::1]:3307"
        );
    }

    #[test]
    fn postgresql_numerics_read_as_numbers() {
        fn bin(weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
            let mut b = Vec::new();
            for w in [digits.len() as i16, weight, sign as i16, dscale] {
                b.extend(w.to_be_bytes());
            }
            for d in digits {
                b.extend(d.to_be_bytes());
            }
            b
        }
        assert_eq!(pg_numeric(&bin(0, 0, 0, &[1349])), Some(Value::from(1349)));
        assert_eq!(
            pg_numeric(&bin(2, 0, 0, &[1, 2345, 6789])),
            Some(Value::from(123456789))
        );
        assert_eq!(
            pg_numeric(&bin(1, 0x4000, 0, &[7])),
            Some(Value::from(-70000))
        );
        assert_eq!(pg_numeric(&bin(0, 0, 0, &[])), Some(Value::from(0)));
        assert_eq!(pg_numeric(&bin(0, 0, 1, &[12, 5000])), Some(num_f64(12.5)));
        assert_eq!(pg_numeric(&bin(0, 0xC000, 0, &[])), None);
    }

    #[test]
    fn mysql_says_upserts_its_way() {
        assert_eq!(
            mysql_upsert("INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING".into()),
            "INSERT IGNORE INTO t (a) VALUES (?)"
        );
        assert_eq!(
            mysql_upsert("INSERT INTO t (a, b, c) VALUES (?, ?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = EXCLUDED.c + 1".into()),
            "INSERT INTO t (a, b, c) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE b = VALUES(b), c = VALUES(c) + 1"
        );
        assert_eq!(
            mysql_upsert("INSERT INTO t (a) VALUES (?)".into()),
            "INSERT INTO t (a) VALUES (?)"
        );
    }

    #[test]
    fn sqlite_connections_get_the_pragmas() {
        let dir = std::env::temp_dir().join(format!("occ-db-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut db = Database::open_sqlite(&dir.join("t.db"), "oc_", true, Some("WAL")).unwrap();
        let r = db.query("PRAGMA cache_size", &[]).unwrap();
        assert_eq!(r[0]["cache_size"], -16384, "{r:?}");
        let r = db.query("PRAGMA journal_mode", &[]).unwrap();
        assert_eq!(r[0]["journal_mode"], "wal");
        db.begin().unwrap();
        db.execute_raw("CREATE TABLE t (x INTEGER)").unwrap();
        let r = db
            .query("SELECT COUNT(*) AS n FROM sqlite_master", &[])
            .unwrap();
        assert_eq!(r[0]["n"], 1);
        db.commit().unwrap();
        let _ = db.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rows_as_json_text_in_objects_or_arrays() {
        let dir = std::env::temp_dir().join(format!("occ-db-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut db = Database::open_sqlite(&dir.join("t.db"), "oc_", true, None).unwrap();
        db.execute_raw("CREATE TABLE oc_t (id INTEGER, name TEXT, r REAL, b BLOB)")
            .unwrap();
        db.execute_raw(
            "INSERT INTO oc_t VALUES (1, 'say \"hi\" \\ ok', 1.5, NULL), (2, 'tab\tend', NULL, x'ff41')",
        )
        .unwrap();
        let sql = "SELECT id, name, r, b FROM *PREFIX*t ORDER BY id";
        assert_eq!(
            db.query_json(sql, &[], false).unwrap(),
            r#"[{"id":1,"name":"say \"hi\" \\ ok","r":1.5,"b":null},{"id":2,"name":"tab\tend","r":null,"b":"\uFFFDA"}]"#
                .replace("\\uFFFD", "\u{FFFD}")
        );
        assert_eq!(
            db.query_json(sql, &[], true).unwrap(),
            r#"[[1,"say \"hi\" \\ ok",1.5,null],[2,"tab\tend",null,"\uFFFDA"]]"#
                .replace("\\uFFFD", "\u{FFFD}")
        );
        assert_eq!(
            db.query_json("SELECT id FROM *PREFIX*t WHERE id > 5", &[], true)
                .unwrap(),
            "[]"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
