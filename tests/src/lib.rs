//! Shared helpers of the integration tests: build paths, throwaway instances, running the real
//! `occ` binary, copying plugin files into plugin directories, reading the instance's database.
//!
//! The tests need `cargo build --workspace` first (the README's test command does it), so the
//! binary and every plugin and fixture library exist in the target directory.
//!
//! `OCC_TEST_DB=sqlite|pgsql|mysql` chooses the database an installed instance uses (default
//! SQLite). The servers are the ones `tests/services/` starts: PostgreSQL on 127.0.0.1:15432,
//! MariaDB on 127.0.0.1:13306, user `ocuser`, and each instance gets a database of its own,
//! which `maintenance:install` creates.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::sync::atomic::{AtomicUsize, Ordering};

use occ_host::instance::db::{Database, DbParams};
use occ_plugin_api::DbKind;
use serde_json::{Map, Value};

/// The database installed instances use: `OCC_TEST_DB`, else SQLite.
pub fn test_db() -> DbKind {
    match std::env::var("OCC_TEST_DB").as_deref() {
        Ok("pgsql") => DbKind::Pgsql,
        Ok("mysql") => DbKind::Mysql,
        Ok("sqlite") | Err(_) => DbKind::Sqlite,
        Ok(other) => panic!("OCC_TEST_DB={other}: use sqlite, pgsql or mysql"),
    }
}

/// Whether a test of what only SQLite does runs: when the suite's database is SQLite (the
/// other runs say they skip it).
pub fn sqlite_only(what: &str) -> bool {
    let kind = test_db();
    if kind != DbKind::Sqlite {
        eprintln!("skipped on {kind}: {what}");
    }
    kind == DbKind::Sqlite
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The test server of a database kind: `host:port`.
pub fn test_server(kind: DbKind) -> &'static str {
    match kind {
        DbKind::Pgsql => "127.0.0.1:15432",
        _ => "127.0.0.1:13306",
    }
}

/// The user and password of the test servers.
pub const SERVER_USER: (&str, &str) = ("ocuser", "ocpass");

/// A database name no other instance of this test run uses.
pub fn fresh_database_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "occt_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether database `name` exists on the test server of `kind`.
pub fn database_exists(kind: DbKind, name: &str) -> bool {
    let p = DbParams {
        dbtype: kind,
        name: name.to_string(),
        host: test_server(kind).to_string(),
        user: SERVER_USER.0.to_string(),
        password: SERVER_USER.1.to_string(),
        prefix: "oc_".to_string(),
    };
    Database::open_server(&p, false).is_ok()
}

/// The test slapd's settings (`LDAP_URL`, `LDAPS_URL`, `LDAP_CACERT`, ...) from the env file
/// `OCC_TEST_LDAP` names (`tests/run.sh` starts slapd); `None`, said, without it.
pub fn ldap_server() -> Option<std::collections::HashMap<String, String>> {
    let Ok(file) = std::env::var("OCC_TEST_LDAP") else {
        eprintln!("OCC_TEST_LDAP is not set: the LDAP tests need tests/run.sh's slapd");
        return None;
    };
    let text =
        std::fs::read_to_string(&file).expect("OCC_TEST_LDAP names start-ldap.sh's env file");
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The target directory holding `occ` and the plugin libraries (`target/debug`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test> -> target/debug
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// The `occ` binary.
pub fn occ_bin() -> PathBuf {
    let p = target_dir().join("occ");
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --workspace` first",
        p.display()
    );
    p
}

/// A library built by the workspace (`occ_example_hello` -> `target/debug/libocc_example_hello.so`).
pub fn lib(name: &str) -> PathBuf {
    let p = target_dir().join(format!("lib{name}.so"));
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --workspace` first",
        p.display()
    );
    p
}

/// What one run printed and returned.
#[derive(Debug, Clone)]
pub struct Out {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
}

/// A throwaway instance root with its own plugin index cache.
pub struct Instance {
    /// The root directory.
    pub dir: tempfile::TempDir,
    cache: tempfile::TempDir,
    /// Extra environment for every run.
    pub env: Vec<(String, String)>,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

impl Instance {
    /// An empty root (not installed).
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    /// The root path.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `<root>/config/config.json`, or ownCloud's `config/config.php` when there is one.
    pub fn config_path(&self) -> PathBuf {
        let php = self.root().join("config").join("config.php");
        if php.exists() {
            return php;
        }
        self.root().join("config").join("config.json")
    }

    /// A copy of one of ownCloud 10.15.2's own instances (`tests/fixtures/oc10/<tarball>`)
    /// owned by the test's user, its data directory moved into the root by
    /// `maintenance:data-dir`; on a PostgreSQL or MariaDB run, its database converted to the
    /// test server's by `db:convert-type`.
    pub fn owncloud(tarball: &str) -> Self {
        let i = Self::new();
        let archive = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/oc10")
            .join(tarball);
        let ok = Command::new("tar")
            .arg("--no-same-owner")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(i.root())
            .status()
            .unwrap()
            .success();
        assert!(ok, "tar -xzf {}", archive.display());
        let data = i.root().join("data");
        let o = i.run(&["maintenance:data-dir", data.to_str().unwrap()]);
        assert_eq!(o.code, 0, "{o:?}");
        // On a PostgreSQL or MariaDB run, converted there as an admin would.
        let kind = test_db();
        if kind != DbKind::Sqlite {
            let (host, port) = test_server(kind).split_once(':').unwrap();
            let name = fresh_database_name();
            let o = i.run_stdin(
                &[
                    "db:convert-type",
                    &format!("--port={port}"),
                    kind.as_str(),
                    SERVER_USER.0,
                    host,
                    &name,
                ],
                Some(&format!("{}\n", SERVER_USER.1)),
            );
            assert_eq!(o.code, 0, "{o:?}");
        }
        i
    }

    /// The parsed config (config.json, or ownCloud's config.php as occ reads it).
    pub fn config(&self) -> Map<String, Value> {
        occ_host::instance::config::Config::load(self.root())
            .unwrap()
            .values
    }

    /// Sets an environment variable for every later run.
    pub fn set_env(&mut self, k: &str, v: impl AsRef<OsStr>) {
        self.env.retain(|(key, _)| key != k);
        self.env
            .push((k.into(), v.as_ref().to_string_lossy().into_owned()));
    }

    /// The command, ready to run in the root with a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(occ_bin());
        c.args(args).current_dir(self.root());
        for k in [
            "OCC_PLUGIN_PATH",
            "OCC_ROOT",
            "OCC_CACHE_DIR",
            "COLUMNS",
            "NO_COLOR",
            "SHELL",
            "OC_PASS",
        ] {
            c.env_remove(k);
        }
        c.env("OCC_CACHE_DIR", self.cache.path());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs occ with `args`, stdin closed.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_stdin(args, None)
    }

    /// Runs occ with `args`, feeding `stdin`.
    pub fn run_stdin(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let mut c = self.command(args);
        c.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn occ");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let o = child.wait_with_output().unwrap();
        Out {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            code: o.status.code().unwrap_or(-1),
        }
    }

    /// Installs with admin/secret-pass on the test database ([`test_db`]); panics if that
    /// fails.
    pub fn install(&self) -> Out {
        let mut args: Vec<String> = [
            "maintenance:install",
            "--admin-user=admin",
            "--admin-pass=secret-pass",
            "-n",
        ]
        .map(String::from)
        .to_vec();
        let kind = test_db();
        if kind != DbKind::Sqlite {
            args.extend([
                format!("--database={kind}"),
                format!("--database-host={}", test_server(kind)),
                format!("--database-user={}", SERVER_USER.0),
                format!("--database-pass={}", SERVER_USER.1),
                format!("--database-name={}", fresh_database_name()),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = self.run(&args);
        assert_eq!(o.code, 0, "install failed: {o:?}");
        o
    }

    /// The installed instance's server database, opened as occ opens it (`None` on SQLite).
    fn server(&self) -> Option<Database> {
        let config = occ_host::instance::config::Config::load(self.root()).ok()?;
        let p = DbParams::from_config(&config).ok()?;
        if p.dbtype == DbKind::Sqlite {
            return None;
        }
        Some(Database::open_server(&p, false).expect("the instance's database server"))
    }

    /// An installed instance.
    pub fn installed() -> Self {
        let i = Self::new();
        i.install();
        i
    }

    /// The SQLite database file of an installed instance.
    pub fn db_path(&self) -> PathBuf {
        self.root().join("data").join("owncloud.db")
    }

    /// Rows of a query on the instance's database.
    pub fn query(&self, sql: &str) -> Vec<Map<String, Value>> {
        match self.server() {
            Some(mut db) => {
                let rows = db.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let _ = db.close();
                rows
            }
            None => query_sqlite(&self.db_path(), sql),
        }
    }

    /// The instance's tables.
    pub fn tables(&self) -> Vec<String> {
        match self.server() {
            Some(mut db) => {
                let mut t = db.prefixed_tables().unwrap();
                let _ = db.close();
                t.sort();
                t
            }
            None => tables(&self.db_path()),
        }
    }

    /// The schema as the database describes it: every table's columns and indexes (SQLite:
    /// `sqlite_master`; PostgreSQL: `information_schema.columns` and `pg_indexes`; MySQL:
    /// `SHOW CREATE TABLE`, with the next `AUTO_INCREMENT` value).
    pub fn schema(&self) -> String {
        let kind = self
            .config()
            .get("dbtype")
            .and_then(Value::as_str)
            .and_then(DbKind::parse)
            .unwrap_or(DbKind::Sqlite);
        let lines: Vec<String> = match kind {
            DbKind::Sqlite => self
                .query("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name")
                .iter()
                .map(|r| serde_json::to_string(r).unwrap())
                .collect(),
            DbKind::Pgsql => {
                let mut l: Vec<String> = self
                    .query("SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, column_default::text AS d, is_nullable::text AS n FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
                    .iter()
                    .map(|r| serde_json::to_string(r).unwrap())
                    .collect();
                l.extend(
                    self.query("SELECT indexname::text AS i, indexdef::text AS d FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname")
                        .iter()
                        .map(|r| serde_json::to_string(r).unwrap()),
                );
                l
            }
            DbKind::Mysql => self
                .tables()
                .iter()
                .flat_map(|t| self.query(&format!("SHOW CREATE TABLE `{t}`")))
                .map(|r| serde_json::to_string(&r).unwrap())
                .collect(),
        };
        lines.join("\n")
    }

    /// Everything a command could change: the config file's bytes, the schema and every
    /// table's rows (sorted), as one comparable text.
    pub fn dump(&self) -> String {
        let mut out = std::fs::read_to_string(self.config_path()).unwrap_or_default();
        out.push_str("\n== schema\n");
        out.push_str(&self.schema());
        for t in self.tables() {
            let mut rows: Vec<String> = self
                .query(&format!("SELECT * FROM {t}"))
                .iter()
                .map(|r| serde_json::to_string(r).unwrap())
                .collect();
            rows.sort();
            out.push_str(&format!("\n== {t}\n{}", rows.join("\n")));
        }
        out
    }

    /// Runs statements on the instance's database.
    pub fn exec(&self, sql: &str) {
        match self.server() {
            Some(mut db) => {
                db.execute_raw(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let _ = db.close();
            }
            None => exec_sqlite(&self.db_path(), sql),
        }
    }

    /// Adds a local user (who never logs in), through `user:add`.
    pub fn add_user(&self, uid: &str) {
        let out = self
            .command(&["user:add", "--password-from-env", uid])
            .env("OC_PASS", "a-pass-for-tests-1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "user:add {uid}: {out:?}");
    }

    /// Writes `files` (paths under the user's `files/`, contents) and scans the user.
    pub fn put_files<P: AsRef<str>, C: AsRef<[u8]>>(&self, uid: &str, files: &[(P, C)]) {
        for (path, content) in files {
            let p = self
                .root()
                .join("data")
                .join(uid)
                .join("files")
                .join(path.as_ref());
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
        }
        let o = self.run(&["files:scan", uid]);
        assert_eq!(o.code, 0, "files:scan {uid}: {o:?}");
    }
}

/// Asserts a run printed exactly `stdout`, nothing on stderr, and exited 0.
pub fn assert_ok(o: &Out, stdout: &str) {
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (stdout, "", 0)
    );
}

/// Rows of a query on a SQLite file, as JSON objects.
pub fn query_sqlite(path: &Path, sql: &str) -> Vec<Map<String, Value>> {
    use rusqlite::types::ValueRef;
    let c = rusqlite::Connection::open(path).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    let mut stmt = c.prepare(sql).unwrap();
    let names: Vec<String> = stmt
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        let mut m = Map::new();
        for (i, name) in names.iter().enumerate() {
            let v = match row.get_ref(i).unwrap() {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => Value::from(f),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Value::String(String::from_utf8_lossy(t).into_owned())
                }
            };
            m.insert(name.clone(), v);
        }
        out.push(m);
    }
    out
}

/// Runs statements on a SQLite file (created when missing).
pub fn exec_sqlite(path: &Path, sql: &str) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    c.execute_batch(sql).unwrap();
}

/// Names of the tables in a SQLite file.
pub fn tables(path: &Path) -> Vec<String> {
    query_sqlite(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// A plugin directory holding copies of the given workspace libraries.
pub fn plugin_dir(libs: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for l in libs {
        std::fs::copy(lib(l), d.path().join(format!("lib{l}.so"))).unwrap();
    }
    d
}

/// The global options block every `list` and `help` shows.
pub const GLOBAL_OPTIONS: &str = "  -h, --help            Display help for the given command. When no command is given display help for the list command
  -q, --quiet           Do not output any message
  -V, --version         Display this application version
      --ansi|--no-ansi  Force (or disable --no-ansi) ANSI output
  -n, --no-interaction  Do not ask any interactive question
      --no-warnings     Skip global warnings, show command output only
      --root=ROOT       The instance root directory (default: $OCC_ROOT, else the current directory)
  -v|vv|vvv, --verbose  Increase the verbosity of messages: 1 for normal output, 2 for more verbose output and 3 for debug";

/// Symfony's error block around `lines` (each padded to the longest, two spaces each side).
pub fn error_block(lines: &[&str]) -> String {
    let len = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 4;
    let mut s = format!("\n{}\n", " ".repeat(len));
    for l in lines {
        s.push_str(&format!(
            "  {l}{}  \n",
            " ".repeat(len - 4 - l.chars().count())
        ));
    }
    s.push_str(&format!("{}\n\n", " ".repeat(len)));
    s
}
