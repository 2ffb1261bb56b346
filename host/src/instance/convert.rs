//! `db:convert-type`: the instance's tables copied from its database to another (PostgreSQL or
//! MySQL/MariaDB). The target's schema comes from the plugins' migrations (an ownCloud
//! server's: from the source's own catalogue, [`super::replicate`]). Each table is read
//! in chunks ordered by its primary key (paged by the key where it is one column) by a reader
//! thread while this one writes: PostgreSQL takes one `COPY ... FROM STDIN` per table,
//! MySQL multi-row `INSERT`s of literals in one transaction per table; secondary indexes are
//! dropped before the load and made again after it (as `pg_restore` does). Each table is then
//! verified by row count and a checksum computed the same way on both sides (the sum of the
//! rows' MD5s, whatever their order); PostgreSQL's sequences are set past the copied ids.
//! The source is only read. The caller switches the config only once this returns.

use std::collections::{HashMap, HashSet};

use md5::{Digest, Md5};
use occ_plugin_api::DbKind;
use serde_json::{json, Value};

use super::db::{copy_row, mysql_tuple, Cell, ColumnKind, Database};
use super::install::{migrate, PluginMigrations};
use crate::error::{Error, Result};

/// How the copy runs.
pub struct Options {
    /// The target database was made for this run (and is dropped again if it fails).
    pub target_created: bool,
    /// Drop the target's tables of this prefix first (else a target that has any is refused).
    pub clear_schema: bool,
    /// Rows read and written per statement.
    pub chunk_size: usize,
    /// The source is an ownCloud server's: the target gets its schema, every table as the
    /// source has it ([`super::replicate`]), instead of the plugins' migrations.
    pub owncloud: bool,
}

/// One copied table: its name and how many rows it holds on both sides.
pub struct Copied {
    /// The table.
    pub table: String,
    /// Its rows.
    pub rows: u64,
}

/// A table's columns as the database lists them: names, each one's kind, and the primary
/// key's columns (in key order).
struct Columns {
    names: Vec<String>,
    kinds: HashMap<String, ColumnKind>,
    key: Vec<String>,
}

fn columns(db: &mut Database, table: &str) -> Result<Columns> {
    #[derive(serde::Deserialize)]
    struct Col {
        name: String,
        kind: Option<String>,
        #[serde(default)]
        pk: Option<i64>,
    }
    let cols: Vec<Col> = match db.kind {
        DbKind::Sqlite => db.query_as(
            "SELECT name, type AS kind, pk FROM pragma_table_info(?) ORDER BY cid",
            &[json!(table)],
        )?,
        DbKind::Pgsql => db.query_as(
            "SELECT c.column_name::text AS name, c.data_type::text AS kind, k.ordinal_position::bigint AS pk FROM information_schema.columns c LEFT JOIN information_schema.table_constraints t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.constraint_type = 'PRIMARY KEY' LEFT JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name WHERE c.table_schema = current_schema() AND c.table_name = ? ORDER BY c.ordinal_position",
            &[json!(table)],
        )?,
        DbKind::Mysql => db.query_as(
            "SELECT CAST(c.column_name AS CHAR) AS name, CAST(c.data_type AS CHAR) AS kind, k.ordinal_position AS pk FROM information_schema.columns c LEFT JOIN information_schema.key_column_usage k ON k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name AND k.constraint_name = 'PRIMARY' WHERE c.table_schema = DATABASE() AND c.table_name = ? ORDER BY c.ordinal_position",
            &[json!(table)],
        )?,
    };
    let mut key: Vec<(i64, String)> = cols
        .iter()
        .filter_map(|c| c.pk.filter(|p| *p > 0).map(|p| (p, c.name.clone())))
        .collect();
    key.sort();
    Ok(Columns {
        kinds: cols
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    ColumnKind::of(c.kind.as_deref().unwrap_or("")),
                )
            })
            .collect(),
        names: cols.into_iter().map(|c| c.name).collect(),
        key: key.into_iter().map(|(_, n)| n).collect(),
    })
}

use super::db::quote_ident as quote;

fn count(db: &mut Database, table: &str) -> Result<u64> {
    #[derive(serde::Deserialize)]
    struct N {
        n: i64,
    }
    let rows: Vec<N> = db.query_as(
        &format!("SELECT COUNT(*) AS n FROM {}", quote(db.kind, table)),
        &[],
    )?;
    Ok(rows.first().map_or(0, |r| r.n.max(0) as u64))
}

/// A key value bound as a parameter for the next page.
fn param(c: &Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(n) => Value::from(*n),
        Cell::Real(f) => json!(f),
        Cell::Text(s) => Value::String(s.clone()),
        Cell::Bytes(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
    }
}

/// Reads a table in key order, chunk by chunk, handing each chunk's rows (cells in `cols`'
/// order) to `each`.
fn each_chunk(
    db: &mut Database,
    table: &str,
    cols: &[String],
    key: &[String],
    chunk: usize,
    mut each: impl FnMut(&[Vec<Cell>]) -> Result<()>,
) -> Result<()> {
    let kind = db.kind;
    let list: Vec<String> = cols.iter().map(|c| quote(kind, c)).collect();
    let order: Vec<String> = if key.is_empty() { cols } else { key }
        .iter()
        .map(|c| quote(kind, c))
        .collect();
    // A single-column key pages by the key (each chunk an index range); other tables by
    // offset.
    let by_key = match key {
        [k] => cols.iter().position(|c| c == k),
        _ => None,
    };
    let mut offset = 0usize;
    let mut after: Option<Value> = None;
    loop {
        let mut params = Vec::new();
        let range = match (&after, by_key) {
            (Some(last), Some(_)) => {
                params.push(last.clone());
                format!("WHERE {} > ? ", order[0])
            }
            _ => String::new(),
        };
        let skip = if by_key.is_some() {
            String::new()
        } else {
            format!(" OFFSET {offset}")
        };
        let sql = format!(
            "SELECT {} FROM {} {range}ORDER BY {} LIMIT {chunk}{skip}",
            list.join(", "),
            quote(kind, table),
            order.join(", ")
        );
        let rows = db.query_cells(&sql, &params)?;
        let n = rows.len();
        if let Some(k) = by_key {
            after = rows
                .last()
                .and_then(|r| r.get(k))
                .filter(|c| **c != Cell::Null)
                .map(param);
            if after.is_none() && n == chunk {
                return Err(Error::new(format!(
                    "{table}: a row without a key value; the table cannot be read in key order"
                )));
            }
        }
        if n > 0 {
            each(&rows)?;
        }
        if n < chunk {
            return Ok(());
        }
        offset += n;
    }
}

/// A table's checksum as both sides compute it: the sum of each row's MD5, so it does not
/// depend on the order the rows come in (a server's text collation may order keys otherwise
/// than SQLite does). A row is hashed as its values' text (whatever type holds them), each
/// followed by 0x01, NULL as 0x00 'N'. (Measured: the servers computing the same sums
/// themselves in one query was no faster than reading the rows back, and on MariaDB twice
/// as slow.)
#[derive(Default)]
struct Sum {
    total: u128,
    rows: u64,
    line: Vec<u8>,
}

impl Sum {
    fn add(&mut self, row: &[Cell]) {
        self.line.clear();
        for c in row {
            if !c.write_text(&mut self.line) {
                self.line.extend_from_slice(b"\x00N");
            }
            self.line.push(1);
        }
        let digest: [u8; 16] = Md5::digest(&self.line).into();
        self.total = self.total.wrapping_add(u128::from_be_bytes(digest));
        self.rows += 1;
    }

    fn finish(self) -> (u64, String) {
        (self.rows, format!("{:032x}", self.total))
    }
}

/// The checksum and row count of a table.
fn checksum(
    db: &mut Database,
    table: &str,
    cols: &[String],
    key: &[String],
    chunk: usize,
) -> Result<(u64, String)> {
    let mut sum = Sum::default();
    each_chunk(db, table, cols, key, chunk, |rows| {
        rows.iter().for_each(|r| sum.add(r));
        Ok(())
    })?;
    Ok(sum.finish())
}

/// The target's tables of the instance's prefix: refused, or with `clear` dropped in one
/// statement (constraints checks off on MySQL), so a schema is never left half-dropped. Only
/// the instance's own tables go (another instance's `oc_test_...` matches the prefix too).
fn clear_target(target: &mut Database, ours: &HashSet<String>, clear: bool) -> Result<()> {
    let found = target.prefixed_tables()?;
    if found.is_empty() {
        return Ok(());
    }
    let tables: Vec<String> = found
        .iter()
        .filter(|t| ours.contains(*t))
        .cloned()
        .collect();
    if tables.is_empty() {
        return Ok(());
    }
    if !clear {
        return Err(Error::new(format!(
            "The target database already holds tables with the prefix \"{}\" ({}); use --clear-schema to remove them",
            target.prefix,
            tables.join(", ")
        )));
    }
    let list: Vec<String> = tables.iter().map(|t| quote(target.kind, t)).collect();
    match target.kind {
        DbKind::Pgsql => target.execute_raw(&format!("DROP TABLE {} CASCADE", list.join(", "))),
        _ => target.execute_raw(&format!(
            "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE {}; SET FOREIGN_KEY_CHECKS = 1",
            list.join(", ")
        )),
    }
}

/// PostgreSQL's sequences set past the copied ids (MySQL's auto-increment follows inserted ids
/// by itself).
fn set_sequences(target: &mut Database, table: &str) -> Result<()> {
    if target.kind != DbKind::Pgsql {
        return Ok(());
    }
    #[derive(serde::Deserialize)]
    struct Serial {
        name: String,
    }
    let serials: Vec<Serial> = target.query_as(
        "SELECT column_name::text AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_default LIKE 'nextval(%'",
        &[json!(table)],
    )?;
    for s in serials {
        let col = quote(DbKind::Pgsql, &s.name);
        target.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({col}), 0) + 1, false) FROM {}",
                quote(DbKind::Pgsql, table)
            ),
            &[json!(table), json!(s.name)],
        )?;
    }
    Ok(())
}

/// Drops the target table's secondary indexes before its rows arrive; returns the statements
/// that make them again afterwards. Building an index once over all rows is a sort; keeping it
/// up to date row by row costs more than the load itself (`pg_restore` and `mysqldump`
/// load the same way). Indexes behind constraints, and on MySQL every index of a table with
/// foreign keys, stay.
fn defer_indexes(target: &mut Database, table: &str) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Index {
        name: String,
        def: String,
    }
    match target.kind {
        DbKind::Pgsql => {
            let found: Vec<Index> = target.query_as(
                "SELECT i.indexname::text AS name, i.indexdef AS def FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) WHERE i.schemaname = current_schema() AND i.tablename = ? AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
                &[json!(table)],
            )?;
            if !found.is_empty() {
                let names: Vec<String> = found
                    .iter()
                    .map(|i| quote(DbKind::Pgsql, &i.name))
                    .collect();
                target.execute_literal(&format!("DROP INDEX {}", names.join(", ")))?;
            }
            Ok(found.into_iter().map(|i| i.def).collect())
        }
        DbKind::Mysql => {
            #[derive(serde::Deserialize)]
            struct N {
                n: i64,
            }
            let fks: Vec<N> = target.query_as(
                "SELECT COUNT(*) AS n FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND (table_name = ? OR referenced_table_name = ?)",
                &[json!(table), json!(table)],
            )?;
            if fks.first().is_some_and(|f| f.n > 0) {
                return Ok(Vec::new());
            }
            let create = target.query_cells(
                &format!("SHOW CREATE TABLE {}", quote(DbKind::Mysql, table)),
                &[],
            )?;
            let Some(Cell::Text(create)) = create.first().and_then(|r| r.get(1)) else {
                return Err(Error::new(format!(
                    "{table}: SHOW CREATE TABLE said nothing"
                )));
            };
            // Each secondary index is one line of its own: "  KEY `name` (...)," (or UNIQUE,
            // FULLTEXT, SPATIAL KEY), exactly as MySQL takes it back.
            let keys: Vec<(String, String)> = create
                .lines()
                .map(str::trim)
                .filter(|l| {
                    ["KEY `", "UNIQUE KEY `", "FULLTEXT KEY `", "SPATIAL KEY `"]
                        .iter()
                        .any(|p| l.starts_with(p))
                })
                .filter_map(|l| {
                    let def = l.trim_end_matches(',').to_string();
                    let name = def.split('`').nth(1)?.to_string();
                    Some((name, def))
                })
                .collect();
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let t = quote(DbKind::Mysql, table);
            let drops: Vec<String> = keys
                .iter()
                .map(|(n, _)| format!("DROP INDEX {}", quote(DbKind::Mysql, n)))
                .collect();
            target.execute_literal(&format!("ALTER TABLE {t} {}", drops.join(", ")))?;
            let adds: Vec<String> = keys.into_iter().map(|(_, d)| format!("ADD {d}")).collect();
            Ok(vec![format!("ALTER TABLE {t} {}", adds.join(", "))])
        }
        DbKind::Sqlite => Ok(Vec::new()),
    }
}

/// What a conversion tells as it goes.
pub trait Progress {
    /// A line to print (each table when done).
    fn line(&mut self, text: &str);
    /// Where the copy of a table stands (a progress line on a terminal).
    fn rows(&mut self, table: &str, rows: u64, of: u64);
}

/// Copies every table of `source` into `target` and verifies it; `progress` hears a line per
/// table. The target's schema is made by `plugins`' migrations (its migrations table with it).
pub fn convert(
    source: &mut Database,
    target: &mut Database,
    plugins: &PluginMigrations,
    opts: &Options,
    progress: &mut dyn Progress,
) -> Result<Vec<Copied>> {
    if target.kind == DbKind::Sqlite {
        return Err(Error::new(
            "Converting to SQLite (sqlite3) is currently not supported.",
        ));
    }
    let chunk = opts.chunk_size.max(1);
    let mut ours: HashSet<String> = source.prefixed_tables()?.into_iter().collect();
    ours.insert(format!("{}migrations", source.prefix));
    // PostgreSQL clears, makes schema and rows in one transaction: a conversion that fails or
    // is killed leaves the target as it was. MySQL commits each DDL statement.
    let atomic = target.kind == DbKind::Pgsql;
    if atomic {
        target.begin()?;
    }
    let copied = clear_target(target, &ours, opts.clear_schema).and_then(|()| {
        copy_all(source, target, plugins, chunk, opts.owncloud, progress).map_err(|mut e| {
            // MySQL commits each table's schema and rows: say what is left behind.
            if !atomic
                && !opts.target_created
                && target.prefixed_tables().is_ok_and(|t| !t.is_empty())
            {
                e.message.push_str(
                    " (the target database holds part of the copy: run the conversion again with --clear-schema)",
                );
            }
            e
        })
    });
    match copied {
        Ok(c) => {
            if atomic {
                target.commit()?;
            }
            Ok(c)
        }
        Err(e) => {
            if atomic {
                let _ = target.rollback();
            }
            Err(e)
        }
    }
}

fn copy_all(
    source: &mut Database,
    target: &mut Database,
    plugins: &PluginMigrations,
    chunk: usize,
    owncloud: bool,
    progress: &mut dyn Progress,
) -> Result<Vec<Copied>> {
    let migrations = format!("{}migrations", source.prefix);
    let tables = source.prefixed_tables()?;
    if owncloud {
        // ownCloud's schema, as the source has it (its oc_migrations copied like the rest).
        progress.line("Creating schema in new database");
        super::replicate::replicate(source, target, &tables)?;
    } else {
        // Every migration the plugins know must have run on the source: the copy holds the
        // data of the schema the target gets.
        #[derive(serde::Deserialize)]
        struct Ran {
            app: String,
            version: String,
        }
        let ran: Vec<Ran> = source.query_as("SELECT app, version FROM *PREFIX*migrations", &[])?;
        for (plugin, list) in plugins {
            if let Some(m) = list
                .iter()
                .find(|m| !ran.iter().any(|r| &r.app == plugin && r.version == m.id))
            {
                return Err(Error::new(format!(
                    "Migration {} of plugin \"{plugin}\" has not run on this instance: run occ upgrade first.",
                    m.id
                )));
            }
        }
        progress.line("Creating schema in new database");
        migrate(target, plugins)?;
    }
    let made: HashSet<String> = target.prefixed_tables()?.into_iter().collect();
    let mut out = Vec::new();
    for table in tables {
        if table == migrations && !owncloud {
            continue; // made by the migrations above
        }
        if !made.contains(&table) {
            return Err(Error::new(format!(
                "{table}: no loaded plugin makes this table (an app's that is disabled?); enable its app, or drop the table, first"
            )));
        }
        let src = columns(source, &table)?;
        let dst = columns(target, &table)?;
        if let Some(c) = src.names.iter().find(|c| !dst.names.contains(c)) {
            return Err(Error::new(format!(
                "{table}: the column {c} has no place on the target"
            )));
        }
        let cols: Vec<String> = src
            .names
            .iter()
            .filter(|c| dst.names.contains(c))
            .cloned()
            .collect();
        let key = if dst.key.is_empty() {
            &src.key
        } else {
            &dst.key
        };
        let kinds: Vec<ColumnKind> = cols
            .iter()
            .map(|c| dst.kinds.get(c).copied().unwrap_or(ColumnKind::Other))
            .collect();
        let total = count(source, &table)?;
        let plan = Plan {
            table: &table,
            cols: &cols,
            kinds: &kinds,
            key,
            chunk,
        };
        // The source's checksum as its rows go by (read once).
        let mut source_sum = Sum::default();
        let indexes = defer_indexes(target, &table)?;
        let rows = copy_table(source, target, &plan, &mut source_sum, &mut |n| {
            progress.rows(&table, n, total)
        })?;
        for sql in indexes {
            target.execute_literal(&sql)?;
        }
        set_sequences(target, &table)?;
        let (n_src, sum_src) = source_sum.finish();
        if n_src != total {
            return Err(Error::new(format!(
                "{table}: {n_src} rows read of the {total} it holds"
            )));
        }
        let (n_dst, sum_dst) = checksum(target, &table, &cols, key, chunk)?;
        if n_src != n_dst || sum_src != sum_dst {
            return Err(Error::new(format!(
                "{table}: the copy differs from the source ({n_src} rows, checksum {sum_src}; copied {n_dst} rows, checksum {sum_dst})"
            )));
        }
        progress.line(&format!("{table}: {rows} rows"));
        out.push(Copied { table, rows });
    }
    Ok(out)
}

/// One table's copy: what is read, and how the target takes it.
struct Plan<'a> {
    table: &'a str,
    cols: &'a [String],
    kinds: &'a [ColumnKind],
    key: &'a [String],
    chunk: usize,
}

/// A chunk of rows as the target takes them: PostgreSQL `COPY` data, or MySQL `INSERT`
/// statements of literals (each within the server's packet size); with its row count.
struct Payload {
    parts: Vec<Vec<u8>>,
    rows: u64,
}

/// Rows into payloads for the target.
fn encode(kind: DbKind, plan: &Plan<'_>, into: &str, budget: usize, rows: &[Vec<Cell>]) -> Payload {
    let mut scratch = Vec::new();
    let parts = if kind == DbKind::Pgsql {
        let mut buf = Vec::new();
        for row in rows {
            copy_row(row, plan.kinds, &mut buf, &mut scratch);
        }
        vec![buf]
    } else {
        let (mut parts, mut sql, mut tuple) = (Vec::new(), String::new(), String::new());
        for row in rows {
            tuple.clear();
            mysql_tuple(row, plan.kinds, &mut tuple, &mut scratch);
            if !sql.is_empty() && sql.len() + tuple.len() + 2 > budget {
                parts.push(std::mem::take(&mut sql).into_bytes());
            }
            sql.push_str(if sql.is_empty() { into } else { ", " });
            sql.push_str(&tuple);
        }
        if !sql.is_empty() {
            parts.push(sql.into_bytes());
        }
        parts
    };
    Payload {
        parts,
        rows: rows.len() as u64,
    }
}

/// Copies one table: a thread reads the source in chunks, sums them and encodes them for the
/// target while this one writes the previous chunk (the source's reads and the target's
/// writes overlap). PostgreSQL takes one `COPY ... FROM STDIN` in text format; MySQL
/// multi-row `INSERT`s of literals in one transaction (a commit per statement is a log
/// flush per statement). `seen` hears the rows written so far. Returns the rows written.
fn copy_table(
    source: &mut Database,
    target: &mut Database,
    plan: &Plan<'_>,
    sum: &mut Sum,
    seen: &mut dyn FnMut(u64),
) -> Result<u64> {
    let kind = target.kind;
    let list = |k: DbKind| {
        plan.cols
            .iter()
            .map(|c| quote(k, c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (statement, budget) = match kind {
        DbKind::Pgsql => (
            format!(
                "COPY {} ({}) FROM STDIN",
                quote(kind, plan.table),
                list(kind)
            ),
            0,
        ),
        _ => (
            format!(
                "INSERT INTO {} ({}) VALUES ",
                quote(kind, plan.table),
                list(kind)
            ),
            target.mysql_statement_budget()?,
        ),
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Payload>(2);
    std::thread::scope(|scope| {
        let statement = &statement;
        let reader = scope.spawn(move || {
            each_chunk(
                source,
                plan.table,
                plan.cols,
                plan.key,
                plan.chunk,
                |rows| {
                    rows.iter().for_each(|r| sum.add(r));
                    tx.send(encode(kind, plan, statement, budget, rows))
                        .map_err(|_| Error::new("the copy stopped"))
                },
            )
        });
        let mut written = 0u64;
        let count = &mut written;
        // Writes what the reader sends; once it has sent all, its own outcome decides (before
        // the copy is finished or committed). A failed write drops the channel, which stops
        // the reader.
        let write_all = move |put: &mut dyn FnMut(&[u8]) -> Result<()>| -> Result<()> {
            for payload in rx {
                for part in &payload.parts {
                    put(part)?;
                }
                *count += payload.rows;
                seen(*count);
            }
            reader
                .join()
                .unwrap_or_else(|_| Err(Error::new("the copy's reader failed")))
        };
        let taken = match kind {
            DbKind::Pgsql => Some(target.copy_in(statement, write_all)?),
            _ => {
                target.transaction(|t| {
                    write_all(&mut |sql| {
                        let sql =
                            std::str::from_utf8(sql).map_err(|e| Error::new(e.to_string()))?;
                        t.execute_literal(sql).map(|_| ())
                    })
                })?;
                None
            }
        };
        match taken {
            Some(n) if n != written => Err(Error::new(format!(
                "{}: the server took {n} of the {written} rows sent",
                plan.table
            ))),
            _ => Ok(written),
        }
    })
}
