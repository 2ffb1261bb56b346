//! Upgrading an instance's schema: what the instance records (each plugin's
//! `installed_version` in `oc_appconfig`, the migrations that ran in `oc_migrations`), which
//! plugins that makes due for an upgrade or refused as a downgrade, and the upgrade itself.
//!
//! 1. **The migration test** (unless skipped): every pending migration first runs on a scratch
//!    copy. SQLite: a copy of the database file (checkpointed and copied whole under the write
//!    lock; the backup API when a writer holds the WAL). PostgreSQL: the tables the migrations
//!    name, copied into a scratch schema with their indexes and constraints under their own
//!    names. MySQL: the same tables copied in the instance's own database under the prefix
//!    `<prefix>utest_`, the migrations run with that prefix (no right to create a database is
//!    needed). The copy is removed afterwards whatever happens, and a copy that a killed run
//!    left is removed by the next upgrade before it starts.
//! 2. **The real run.** SQLite and PostgreSQL: one transaction, rolled back on failure, so the
//!    schema, the data and the recorded versions are as before. MySQL commits DDL implicitly:
//!    the tables the pending migrations name (`*PREFIX*name`), with `oc_migrations` and
//!    `oc_appconfig`, are first copied into backup tables (`<prefix>ubak_<name>`), then a
//!    journal table listing them is put in place by one atomic `RENAME TABLE`. A failure puts
//!    the backups back and drops what the migrations created. On success the journal is dropped
//!    first, then the backups. A run killed at any point thus leaves either backups without a
//!    journal (nothing had changed yet, or the upgrade had finished: the backups are just
//!    dropped) or the journal, whose tables the next upgrade restores before it starts.
//!
//! The caller writes core's version into the config after the database committed: a run
//! killed in between leaves the database upgraded and the config behind, which the next
//! `upgrade` completes without running any migration twice.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use occ_plugin_api::{DbKind, Migration};
use serde_json::{json, Value};

use super::db::{quote_ident as quote, Database};
use super::install::{remove_sqlite_files, statements, MIGRATIONS_TABLE};
use crate::error::{Error, Result};

/// Compares versions part by part as numbers (`10.15.2.0`, `0.1.0`); missing parts are 0.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u64> {
        v.trim()
            .split(['.', '-', '+'])
            .map_while(|p| p.parse().ok())
            .collect()
    };
    let (mut a, mut b) = (parts(a), parts(b));
    let n = a.len().max(b.len());
    a.resize(n, 0);
    b.resize(n, 0);
    a.cmp(&b)
}

/// What the instance records about its plugins and apps.
#[derive(Debug, Default)]
pub struct Recorded {
    /// `installed_version` per plugin or app id.
    pub versions: BTreeMap<String, String>,
    /// The (plugin, migration) pairs that ran.
    pub ran: BTreeSet<(String, String)>,
    /// The apps enabled (`enabled` other than `no`).
    pub enabled: Vec<String>,
    /// An interrupted upgrade left tables to restore (MySQL's journal).
    pub interrupted: bool,
}

/// What a plugin's code needs, measured against the records.
#[derive(Debug, PartialEq)]
pub enum Need {
    /// Nothing to do.
    Current,
    /// A newer version, or migrations that have not run.
    Upgrade,
    /// The code is older than the version the instance records.
    Downgrade {
        /// The recorded version.
        recorded: String,
    },
}

impl Recorded {
    /// Reads the records (two small queries).
    pub fn read(db: &mut Database) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct Row {
            appid: String,
            configkey: String,
            configvalue: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Ran {
            app: String,
            version: String,
        }
        let mut rec = Recorded::default();
        let rows: Vec<Row> = db.query_as("SELECT appid, configkey, configvalue FROM *PREFIX*appconfig WHERE configkey IN ('enabled', 'installed_version')", &[])?;
        for r in rows {
            let v = r.configvalue.unwrap_or_default();
            if r.configkey == "enabled" {
                if v != "no" {
                    rec.enabled.push(r.appid);
                }
            } else {
                rec.versions.insert(r.appid, v);
            }
        }
        let ran: Vec<Ran> = db.query_as("SELECT app, version FROM *PREFIX*migrations", &[])?;
        rec.ran = ran.into_iter().map(|r| (r.app, r.version)).collect();
        if db.kind == DbKind::Mysql {
            rec.interrupted = mysql_journal_left(db)?;
        }
        Ok(rec)
    }

    /// What plugin `id` at `version`, with these migration ids, needs.
    pub fn need(&self, id: &str, version: &str, migrations: &[String]) -> Need {
        let pending = || {
            migrations
                .iter()
                .any(|m| !self.ran.contains(&(id.to_string(), m.clone())))
        };
        match self.versions.get(id) {
            None if pending() => Need::Upgrade,
            None => Need::Current,
            Some(r) => match compare_versions(version, r) {
                Ordering::Greater => Need::Upgrade,
                Ordering::Less => Need::Downgrade {
                    recorded: r.clone(),
                },
                Ordering::Equal if pending() => Need::Upgrade,
                Ordering::Equal => Need::Current,
            },
        }
    }
}

/// A plugin's code as the upgrade sees it.
#[derive(Debug, Clone)]
pub struct Code {
    /// Plugin id (`core` first).
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its migrations, in order.
    pub migrations: Vec<Migration>,
}

/// What to run for one plugin.
struct Step<'a> {
    code: &'a Code,
    pending: Vec<&'a Migration>,
    /// A newer version or pending migrations (printed); otherwise only its version is recorded.
    due: bool,
}

/// How the upgrade reports.
pub trait Report {
    /// A line of the sequence (`Updated database`).
    fn line(&mut self, text: &str);
    /// A line shown with `-v` (each migration).
    fn verbose(&mut self, text: &str);
    /// The progress line (on a terminal).
    fn progress(&mut self, text: &str);
    /// Whether the user interrupted the run (Ctrl-C).
    fn interrupted(&self) -> bool;
}

/// What the upgrade asks for.
pub struct Options<'a> {
    /// Run the migrations on a copy first.
    pub test: bool,
    /// Only the test; report what would change.
    pub dry_run: bool,
    /// Apps to disable in the same run.
    pub disable_apps: &'a [String],
    /// The SQLite file, for the copy.
    pub sqlite_file: Option<&'a Path>,
}

/// Why an upgrade failed. `unsettled`: the database could not be put back as it was (MySQL
/// backups that could not be restored, or a journal that could not be dropped): maintenance
/// mode must stay on until the next `upgrade` settles it.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: Error,
    /// The next `upgrade` has to finish putting the database back.
    pub unsettled: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            unsettled: false,
        }
    }
}

impl Failure {
    fn unsettled(error: Error) -> Self {
        Self {
            error,
            unsettled: true,
        }
    }
}

/// What an upgrade did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct Outcome {
    /// Migrations run.
    pub applied: usize,
    /// Plugins brought to their new version, with it.
    pub plugins: Vec<(String, String)>,
}

/// Whether the name after `before` is an index's or a constraint's, not a table's
/// (`CREATE INDEX [IF NOT EXISTS] <name>`, `ADD CONSTRAINT <name>`).
fn names_no_table(before: &str) -> bool {
    let mut b = before
        .trim_end_matches(['"', '`', '['])
        .trim_end()
        .to_ascii_uppercase();
    for tail in ["IF NOT EXISTS", "IF EXISTS"] {
        if let Some(s) = b.strip_suffix(tail) {
            b = s.trim_end().to_string();
        }
    }
    b.ends_with("INDEX") || b.ends_with("CONSTRAINT") || b.ends_with("KEY")
}

/// The tables a migration names (`*PREFIX*name`, except index and constraint names), with
/// the prefix.
fn named_tables(m: &Migration, kind: DbKind, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for st in statements(m, kind) {
        let mut at_start = 0;
        while let Some(at) = st[at_start..].find("*PREFIX*") {
            let before = &st[..at_start + at];
            let rest = &st[at_start + at + "*PREFIX*".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end > 0 && !names_no_table(before) {
                out.insert(format!("{prefix}{}", &rest[..end]));
            }
            at_start += at + "*PREFIX*".len() + end;
        }
    }
    out
}

fn plan<'a>(codes: &'a [Code], rec: &Recorded) -> Vec<Step<'a>> {
    codes
        .iter()
        .map(|c| {
            let pending: Vec<&Migration> = c
                .migrations
                .iter()
                .filter(|m| !rec.ran.contains(&(c.id.clone(), m.id.clone())))
                .collect();
            let ids: Vec<String> = c.migrations.iter().map(|m| m.id.clone()).collect();
            Step {
                due: rec.need(&c.id, &c.version, &ids) == Need::Upgrade,
                code: c,
                pending,
            }
        })
        .collect()
}

/// Names of the scratch copy and of MySQL's backups.
struct Names {
    /// SQLite's database file.
    sqlite_file: Option<PathBuf>,
    /// SQLite's copy of the file.
    sqlite_copy: Option<PathBuf>,
    /// PostgreSQL's scratch schema.
    schema: String,
    /// MySQL's scratch prefix: the copies are tables of the same database.
    scratch_prefix: String,
    /// MySQL's journal (and the name it is built under).
    journal: String,
    journal_building: String,
    /// MySQL's backup of a table.
    backup_prefix: String,
}

impl Names {
    fn new(o: &Options<'_>, prefix: &str) -> Self {
        Self {
            sqlite_file: o.sqlite_file.map(Path::to_path_buf),
            sqlite_copy: o.sqlite_file.map(|f| {
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
                f.with_file_name(format!(".{}.upgrade-test", name.unwrap_or_default()))
            }),
            schema: format!("{prefix}occ_upgrade_test"),
            scratch_prefix: format!("{prefix}utest_"),
            journal: format!("{prefix}upgrade_journal"),
            journal_building: format!("{prefix}upgrade_journal_new"),
            backup_prefix: format!("{prefix}ubak_"),
        }
    }

    fn backup_of(&self, table: &str, prefix: &str) -> String {
        format!(
            "{}{}",
            self.backup_prefix,
            table.strip_prefix(prefix).unwrap_or(table)
        )
    }
}

/// Removes what an earlier, killed upgrade left: the scratch copy, and on MySQL either its
/// unfinished backups or, when its journal is there, the tables as they were before it.
/// Returns whether tables were restored.
fn clean_up_after_killed_run(db: &mut Database, n: &Names) -> Result<bool, Failure> {
    match db.kind {
        DbKind::Sqlite => {
            if let Some(copy) = &n.sqlite_copy {
                remove_sqlite_files(copy);
            }
            Ok(false)
        }
        DbKind::Pgsql => {
            db.execute_raw(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                quote(DbKind::Pgsql, &n.schema)
            ))?;
            Ok(false)
        }
        DbKind::Mysql => {
            drop_scratch_tables(db, n)?;
            let tables = db.prefixed_tables()?;
            let restored = if tables.contains(&n.journal) {
                mysql_restore(db, n).map_err(Failure::unsettled)?;
                true
            } else {
                false
            };
            drop_backups(db, n)?;
            Ok(restored)
        }
    }
}

/// MySQL: whether an interrupted upgrade's journal is there (its tables need restoring).
pub fn mysql_journal_left(db: &mut Database) -> Result<bool> {
    let journal = format!("{}upgrade_journal", db.prefix);
    let rows = db.query(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
        &[json!(journal)],
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.get("n"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
        > 0)
}

/// MySQL: drops the migration test's copies.
fn drop_scratch_tables(db: &mut Database, n: &Names) -> Result<()> {
    for t in db.prefixed_tables()? {
        if t.starts_with(&n.scratch_prefix) {
            db.execute_raw(&format!("DROP TABLE IF EXISTS {}", quote(db.kind, &t)))?;
        }
    }
    Ok(())
}

fn drop_backups(db: &mut Database, n: &Names) -> Result<()> {
    for t in db.prefixed_tables()? {
        if t.starts_with(&n.backup_prefix) || t == n.journal_building {
            db.execute_raw(&format!("DROP TABLE IF EXISTS {}", quote(db.kind, &t)))?;
        }
    }
    Ok(())
}

/// MySQL: puts back the tables the journal lists. Each step can be repeated, so a restore
/// that is itself interrupted is finished by the next run.
fn mysql_restore(db: &mut Database, n: &Names) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Entry {
        tbl: String,
        existed: i64,
    }
    let entries: Vec<Entry> = db.query_as(
        &format!(
            "SELECT tbl, existed FROM {}",
            quote(DbKind::Mysql, &n.journal)
        ),
        &[],
    )?;
    let tables = db.prefixed_tables()?;
    for e in entries {
        let bak = n.backup_of(&e.tbl, &db.prefix.clone());
        let q = quote(DbKind::Mysql, &e.tbl);
        if e.existed != 0 {
            if tables.contains(&bak) {
                db.execute_raw(&format!("DROP TABLE IF EXISTS {q}"))?;
                db.execute_raw(&format!(
                    "RENAME TABLE {} TO {q}",
                    quote(DbKind::Mysql, &bak)
                ))?;
            }
        } else {
            db.execute_raw(&format!("DROP TABLE IF EXISTS {q}"))?;
        }
    }
    db.execute_raw(&format!(
        "DROP TABLE IF EXISTS {}",
        quote(DbKind::Mysql, &n.journal)
    ))
}

/// Runs `steps` on `db`: migrations, their records, the apps disabled and the versions.
/// `checked` prints the test's lines instead of the real run's.
fn migrate(
    db: &mut Database,
    steps: &[Step<'_>],
    disable_apps: &[String],
    checked: bool,
    report: &mut dyn Report,
) -> Result<usize> {
    db.execute_raw(MIGRATIONS_TABLE)?;
    let total: usize = steps
        .iter()
        .flat_map(|s| &s.pending)
        .map(|m| statements(m, db.kind).len())
        .sum();
    let mut done = 0;
    let mut applied = 0;
    for s in steps {
        let core = s.code.id == "core";
        if !core && !checked && s.due {
            report.line(&format!("Updating <{}> ...", s.code.id));
        }
        for m in &s.pending {
            if !checked {
                report.verbose(&format!(" - {}: {}", m.id, m.description));
            }
            for st in statements(m, db.kind) {
                if report.interrupted() {
                    return Err(Error::new("Interrupted"));
                }
                done += 1;
                report.progress(&format!(
                    "<{}> {} ({done}/{total})",
                    s.code.id, m.description
                ));
                tracing::debug!(plugin = %s.code.id, migration = %m.id, statement = done, copy = checked, "running a migration statement");
                db.execute_raw(st).map_err(|e| {
                    Error::new(format!(
                        "Migration {} of plugin \"{}\" failed: {}",
                        m.id, s.code.id, e.message
                    ))
                })?;
            }
            if report.interrupted() {
                return Err(Error::new("Interrupted"));
            }
            db.execute(
                "INSERT INTO *PREFIX*migrations (app, version) VALUES (?, ?)",
                &[json!(s.code.id), json!(m.id)],
            )?;
            applied += 1;
        }
        if core {
            report.line(if checked {
                "Checked database schema update"
            } else {
                "Updated database"
            });
        } else if !checked && s.due {
            report.line(&format!("Updated <{}> to {}", s.code.id, s.code.version));
        }
    }
    if report.interrupted() {
        return Err(Error::new("Interrupted"));
    }
    if checked {
        report.line("Checked database schema update for apps");
    }
    if !checked {
        for app in disable_apps {
            db.execute(
                "UPDATE *PREFIX*appconfig SET configvalue = 'no' WHERE appid = ? AND configkey = 'enabled'",
                &[json!(app)],
            )?;
        }
        for s in steps {
            record_version(db, &s.code.id, &s.code.version)?;
        }
    }
    Ok(applied)
}

/// The tables a set of steps names that exist now, and those it names that do not.
fn affected(db: &mut Database, steps: &[Step<'_>]) -> Result<(Vec<String>, Vec<String>)> {
    let prefix = db.prefix.clone();
    let mut named = BTreeSet::new();
    for s in steps {
        for m in &s.pending {
            named.extend(named_tables(m, db.kind, &prefix));
        }
    }
    named.insert(format!("{prefix}migrations"));
    named.insert(format!("{prefix}appconfig"));
    let existing: BTreeSet<String> = db.prefixed_tables()?.into_iter().collect();
    let (there, new): (Vec<String>, Vec<String>) =
        named.into_iter().partition(|t| existing.contains(t));
    Ok((there, new))
}

/// The migration test on a copy. Returns the migrations that ran there.
fn test_on_copy(
    db: &mut Database,
    steps: &[Step<'_>],
    n: &Names,
    report: &mut dyn Report,
) -> Result<usize> {
    match db.kind {
        DbKind::Sqlite => {
            let copy = n
                .sqlite_copy
                .as_ref()
                .ok_or("no SQLite file to copy for the migration test")?;
            remove_sqlite_files(copy);
            let r = (|| {
                let file = n.sqlite_file.as_deref().ok_or("no SQLite file to copy")?;
                db.sqlite_copy_to(file, copy)?;
                let mut scratch = Database::open_sqlite(copy, &db.prefix, false, Some("OFF"))?;
                scratch.execute_raw("PRAGMA synchronous = OFF")?;
                let r = migrate(&mut scratch, steps, &[], true, report);
                let _ = scratch.close();
                r
            })();
            remove_sqlite_files(copy);
            r
        }
        DbKind::Pgsql => {
            #[derive(serde::Deserialize)]
            struct Path {
                search_path: String,
                schema: String,
            }
            let (tables, _) = affected(db, steps)?;
            let saved: Vec<Path> = db.query_as(
                "SELECT current_setting('search_path') AS search_path, current_schema()::text AS schema",
                &[],
            )?;
            let saved = saved.into_iter().next().ok_or("no search_path")?;
            let s = quote(DbKind::Pgsql, &n.schema);
            db.execute_raw(&format!("CREATE SCHEMA {s}"))?;
            let r = (|| {
                for t in &tables {
                    if report.interrupted() {
                        return Err(Error::new("Interrupted"));
                    }
                    report.progress(&format!("Copying {t} for the migration test"));
                    pg_copy(db, &saved.schema, &n.schema, t)?;
                }
                db.execute_raw(&format!("SET search_path TO {s}"))?;
                migrate(db, steps, &[], true, report)
            })();
            // The connection must leave the scratch schema whatever happened: that error first.
            db.execute_raw(&format!("SET search_path TO {}", saved.search_path))?;
            let dropped = db.execute_raw(&format!("DROP SCHEMA IF EXISTS {s} CASCADE"));
            let applied = r?;
            dropped?;
            Ok(applied)
        }
        DbKind::Mysql => {
            // Copies in the same database under a scratch prefix: no right to create a
            // database is needed, and the migrations' `*PREFIX*` names reach the copies.
            let (tables, _) = affected(db, steps)?;
            let prefix = db.prefix.clone();
            let r = (|| {
                for t in &tables {
                    if report.interrupted() {
                        return Err(Error::new("Interrupted"));
                    }
                    report.progress(&format!("Copying {t} for the migration test"));
                    let copy = quote(
                        DbKind::Mysql,
                        &format!(
                            "{}{}",
                            n.scratch_prefix,
                            t.strip_prefix(&prefix).unwrap_or(t)
                        ),
                    );
                    let q = quote(DbKind::Mysql, t);
                    db.execute_raw(&format!("CREATE TABLE {copy} LIKE {q}"))?;
                    db.execute_raw(&format!("INSERT INTO {copy} SELECT * FROM {q}"))?;
                }
                db.prefix = n.scratch_prefix.clone();
                let r = migrate(db, steps, &[], true, report);
                db.prefix = prefix.clone();
                r
            })();
            db.prefix = prefix;
            let dropped = drop_scratch_tables(db, n);
            let applied = r?;
            dropped?;
            Ok(applied)
        }
    }
}

/// PostgreSQL: `table` of schema `from` copied into schema `to`: columns, data, then its
/// indexes under their own names and its primary key and unique constraints on them.
fn pg_copy(db: &mut Database, from: &str, to: &str, table: &str) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Index {
        indexname: String,
        indexdef: String,
    }
    #[derive(serde::Deserialize)]
    struct Constraint {
        conname: String,
        contype: String,
    }
    let (f, s, t) = (
        quote(DbKind::Pgsql, from),
        quote(DbKind::Pgsql, to),
        quote(DbKind::Pgsql, table),
    );
    db.execute_raw(&format!(
        "CREATE TABLE {s}.{t} (LIKE {f}.{t} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED)"
    ))?;
    // OVERRIDING SYSTEM VALUE: identity columns GENERATED ALWAYS take the copied values.
    db.execute_raw(&format!(
        "INSERT INTO {s}.{t} OVERRIDING SYSTEM VALUE SELECT * FROM {f}.{t}"
    ))?;
    let indexes: Vec<Index> = db.query_as(
        "SELECT indexname::text AS indexname, indexdef FROM pg_indexes WHERE schemaname = ? AND tablename = ?",
        &[json!(from), json!(table)],
    )?;
    let constraints: Vec<Constraint> = db.query_as(
        "SELECT c.conname::text AS conname, c.contype::text AS contype FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname = ? AND c.contype IN ('p', 'u')",
        &[json!(from), json!(table)],
    )?;
    for ix in indexes {
        // `CREATE [UNIQUE] INDEX name ON schema.table USING ...`: the same, on the copy.
        let Some(on) = ix.indexdef.find(" ON ") else {
            continue;
        };
        let rest = &ix.indexdef[on + 4..];
        let Some(using) = rest.find(" USING ") else {
            continue;
        };
        let head = &ix.indexdef[..on];
        db.execute_raw(&format!("{head} ON {s}.{t}{}", &rest[using..]))?;
        if let Some(c) = constraints.iter().find(|c| c.conname == ix.indexname) {
            let kind = if c.contype == "p" {
                "PRIMARY KEY"
            } else {
                "UNIQUE"
            };
            let name = quote(DbKind::Pgsql, &c.conname);
            // The index was made in the copy's schema, where the constraint takes it over.
            db.execute_raw(&format!(
                "ALTER TABLE {s}.{t} ADD CONSTRAINT {name} {kind} USING INDEX {name}"
            ))?;
        }
    }
    Ok(())
}

/// Records `installed_version` of a plugin (an upsert).
pub fn record_version(db: &mut Database, id: &str, version: &str) -> Result<()> {
    db.execute(
        "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES (?, 'installed_version', ?) ON CONFLICT (appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
        &[json!(id), json!(version)],
    )?;
    Ok(())
}

/// Runs the upgrade of `codes` (core first): what a killed run left is cleaned up, the
/// migration test runs on a copy (unless skipped), then, except in a dry run, the real run.
/// An `Err` has left the instance as it was, unless [`Failure::unsettled`] says otherwise.
pub fn run(
    db: &mut Database,
    codes: &[Code],
    o: &Options<'_>,
    report: &mut dyn Report,
) -> Result<Outcome, Failure> {
    let n = Names::new(o, &db.prefix.clone());
    if clean_up_after_killed_run(db, &n)? {
        report.line("Restored the tables an interrupted upgrade had changed");
    }
    let rec = Recorded::read(db)?;
    let steps = plan(codes, &rec);
    let outcome = Outcome {
        applied: steps.iter().map(|s| s.pending.len()).sum(),
        plugins: steps
            .iter()
            .filter(|s| s.due)
            .map(|s| (s.code.id.clone(), s.code.version.clone()))
            .collect(),
    };
    if o.test || o.dry_run {
        test_on_copy(db, &steps, &n, report).map_err(|e| {
            Error::new(format!(
                "The migration test on a copy failed, so nothing was changed: {}",
                e.message
            ))
        })?;
    }
    if o.dry_run {
        let prefix = db.prefix.clone();
        for s in steps.iter().filter(|s| s.due) {
            report.line(&format!(
                "Would update <{}> to {}",
                s.code.id, s.code.version
            ));
            for m in &s.pending {
                let tables: Vec<String> = named_tables(m, db.kind, &prefix).into_iter().collect();
                report.line(&format!(
                    " - {}: {} ({})",
                    m.id,
                    m.description,
                    tables.join(", ")
                ));
            }
        }
        return Ok(outcome);
    }
    match db.kind {
        DbKind::Sqlite | DbKind::Pgsql => {
            db.transaction(|db| migrate(db, &steps, o.disable_apps, false, report))?;
        }
        DbKind::Mysql => {
            mysql_run(db, &steps, o, &n, report)?;
        }
    }
    Ok(outcome)
}

/// MySQL's real run: backups and journal first, then the migrations; a failure restores.
fn mysql_run(
    db: &mut Database,
    steps: &[Step<'_>],
    o: &Options<'_>,
    n: &Names,
    report: &mut dyn Report,
) -> Result<usize, Failure> {
    let (there, new) = affected(db, steps)?;
    let prefix = db.prefix.clone();
    let q = |t: &str| quote(DbKind::Mysql, t);
    let backed_up = (|| {
        for t in &there {
            if report.interrupted() {
                return Err(Error::new("Interrupted"));
            }
            report.progress(&format!("Backing up {t}"));
            let bak = q(&n.backup_of(t, &prefix));
            db.execute_raw(&format!("CREATE TABLE {bak} LIKE {}", q(t)))?;
            db.execute_raw(&format!("INSERT INTO {bak} SELECT * FROM {}", q(t)))?;
            // The next id as the original has it (a copy would restart after the largest
            // id, and ids of deleted rows would come back).
            let next = db.query(
                "SELECT AUTO_INCREMENT AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
                &[json!(t)],
            )?;
            if let Some(n) = next
                .first()
                .and_then(|r| r.get("n"))
                .and_then(Value::as_i64)
            {
                db.execute_raw(&format!("ALTER TABLE {bak} AUTO_INCREMENT = {n}"))?;
            }
        }
        let building = q(&n.journal_building);
        db.execute_raw(&format!(
            "CREATE TABLE {building} (tbl VARCHAR(64) NOT NULL PRIMARY KEY, existed SMALLINT NOT NULL)"
        ))?;
        for (list, existed) in [(&there, 1), (&new, 0)] {
            for t in list {
                db.execute(
                    &format!("INSERT INTO {building} (tbl, existed) VALUES (?, ?)"),
                    &[json!(t), json!(existed)],
                )?;
            }
        }
        // The journal appears complete or not at all.
        db.execute_raw(&format!("RENAME TABLE {building} TO {}", q(&n.journal)))
    })();
    if let Err(e) = backed_up {
        let _ = drop_backups(db, n);
        return Err(e.into());
    }
    match migrate(db, steps, o.disable_apps, false, report) {
        Ok(applied) => {
            // From here on the upgrade is final; the backups are only leftovers. A journal
            // that stays would have the next upgrade put the old tables back.
            db.execute_raw(&format!("DROP TABLE {}", q(&n.journal)))
                .map_err(|e| {
                    Failure::unsettled(Error::new(format!(
                        "The upgrade is done but its journal {} could not be dropped: {} (the next occ upgrade puts the tables back as they were and runs it again)",
                        n.journal, e.message
                    )))
                })?;
            let _ = drop_backups(db, n);
            Ok(applied)
        }
        Err(e) => {
            if let Err(r) = mysql_restore(db, n) {
                return Err(Failure::unsettled(Error::new(format!(
                    "{}; putting the tables back failed as well: {} (the next occ upgrade puts them back)",
                    e.message, r.message
                ))));
            }
            let _ = drop_backups(db, n);
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(compare_versions("0.10.0", "0.9.0"), Ordering::Greater);
        assert_eq!(compare_versions("0.1.0", "0.1.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("10.15.2.0", "10.15.3"), Ordering::Less);
        assert_eq!(compare_versions("2.0.0-beta", "2.0.0"), Ordering::Equal);
    }

    #[test]
    fn needs() {
        let mut rec = Recorded::default();
        rec.versions.insert("a".into(), "1.0.0".into());
        rec.ran.insert(("a".into(), "1".into()));
        let one = ["1".to_string()];
        let two = ["1".to_string(), "2".to_string()];
        assert_eq!(rec.need("a", "1.0.0", &one), Need::Current);
        assert_eq!(rec.need("a", "1.0.0", &two), Need::Upgrade);
        assert_eq!(rec.need("a", "1.1.0", &one), Need::Upgrade);
        assert_eq!(
            rec.need("a", "0.9.0", &one),
            Need::Downgrade {
                recorded: "1.0.0".into()
            }
        );
        // Unrecorded: due only with a migration to run.
        assert_eq!(rec.need("b", "1.0.0", &[]), Need::Current);
        assert_eq!(rec.need("b", "1.0.0", &one), Need::Upgrade);
    }

    #[test]
    fn tables_named_by_a_migration() {
        let m = Migration::portable(
            "1",
            "x",
            &[
                "ALTER TABLE *PREFIX*filecache ADD c INT",
                "CREATE INDEX i ON *PREFIX*filecache (c); INSERT INTO *PREFIX*a_b SELECT 1",
                "CREATE UNIQUE INDEX IF NOT EXISTS *PREFIX*ix ON *PREFIX*c (x)",
                r#"CREATE INDEX "*PREFIX*quoted_ix" ON "*PREFIX*c" ("x")"#,
                "ALTER TABLE *PREFIX*d ADD CONSTRAINT *PREFIX*pk PRIMARY KEY (x)",
            ],
        );
        let t: Vec<String> = named_tables(&m, DbKind::Sqlite, "oc_")
            .into_iter()
            .collect();
        assert_eq!(t, ["oc_a_b", "oc_c", "oc_d", "oc_filecache"]);
    }
}
