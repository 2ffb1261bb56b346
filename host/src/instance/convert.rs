//! `db:convert-type`: the instance's tables copied from its database to another (PostgreSQL or
//! MySQL/MariaDB). The target's schema comes from the plugins' migrations; each table is
//! copied in chunks ordered by its primary key (paged by the key where it is one column), then
//! verified by row count and a checksum computed the same way on both sides (the sum of the
//! rows' MD5s, whatever their order); PostgreSQL's sequences are set past the copied ids.
//! The source is only read. The caller switches the config only once this returns.

use std::collections::HashSet;
use std::fmt::Write as _;

use md5::{Digest, Md5};
use occ_plugin_api::DbKind;
use serde_json::{json, Map, Value};

use super::db::Database;
use super::install::{migrate, PluginMigrations};
use crate::error::{Error, Result};

/// How the copy runs.
pub struct Options {
    /// Drop the target's tables of this prefix first (else a target that has any is refused).
    pub clear_schema: bool,
    /// Rows read and written per statement.
    pub chunk_size: usize,
}

/// One copied table: its name and how many rows it holds on both sides.
pub struct Copied {
    /// The table.
    pub table: String,
    /// Its rows.
    pub rows: u64,
}

/// A table's columns as the database lists them: name, whether it holds text, whether it is
/// part of the primary key (in key order).
struct Columns {
    names: Vec<String>,
    text: HashSet<String>,
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
    let is_text = |k: &str| {
        let k = k.to_ascii_lowercase();
        ["char", "text", "clob"].iter().any(|t| k.contains(t))
    };
    let mut key: Vec<(i64, String)> = cols
        .iter()
        .filter_map(|c| c.pk.filter(|p| *p > 0).map(|p| (p, c.name.clone())))
        .collect();
    key.sort();
    Ok(Columns {
        text: cols
            .iter()
            .filter(|c| c.kind.as_deref().is_some_and(is_text))
            .map(|c| c.name.clone())
            .collect(),
        names: cols.into_iter().map(|c| c.name).collect(),
        key: key.into_iter().map(|(_, n)| n).collect(),
    })
}

fn quote(kind: DbKind, name: &str) -> String {
    match kind {
        DbKind::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// A value as the checksum sees it: the same whichever database returned it.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("\u{0}N"),
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "1" } else { "0" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 => {
                let _ = write!(out, "{}", f as i64);
            }
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        other => out.push_str(&other.to_string()),
    }
    out.push('\u{1}');
}

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

/// A value as the target's column takes it: SQLite may hold a number in a text column or
/// numeric text in a number column; a server wants the column's own kind.
fn fit(v: Value, text_column: bool) -> Value {
    match v {
        Value::Number(n) if text_column => Value::String(n.to_string()),
        Value::String(s) if !text_column => match s.trim().parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::String(s), Value::Number),
        },
        other => other,
    }
}

/// Reads a table in key order, chunk by chunk, handing each chunk to `each`.
fn each_chunk(
    db: &mut Database,
    table: &str,
    cols: &[String],
    key: &[String],
    chunk: usize,
    mut each: impl FnMut(Vec<Map<String, Value>>) -> Result<()>,
) -> Result<()> {
    let kind = db.kind;
    let list: Vec<String> = cols.iter().map(|c| quote(kind, c)).collect();
    let order: Vec<String> = if key.is_empty() { cols } else { key }
        .iter()
        .map(|c| quote(kind, c))
        .collect();
    // A single-column key pages by the key (each chunk an index range); other tables by
    // offset.
    let single = key.len() == 1;
    let mut offset = 0usize;
    let mut after: Option<Value> = None;
    loop {
        let mut params = Vec::new();
        let range = match (&after, single) {
            (Some(last), true) => {
                params.push(last.clone());
                format!("WHERE {} > ? ", order[0])
            }
            _ => String::new(),
        };
        let skip = if single {
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
        let rows = db.query(&sql, &params)?;
        let n = rows.len();
        if single {
            after = rows
                .last()
                .and_then(|r| r.get(&key[0]).cloned())
                .filter(|v| !v.is_null());
            if after.is_none() && n == chunk {
                return Err(Error::new(format!(
                    "{table}: a row without a key value; the table cannot be read in key order"
                )));
            }
        }
        if n > 0 {
            each(rows)?;
        }
        if n < chunk {
            return Ok(());
        }
        offset += n;
    }
}

/// A table's checksum as both sides compute it: the sum of each row's MD5, so it does not
/// depend on the order the rows come in (a server's text collation may order keys otherwise
/// than SQLite does).
#[derive(Default)]
struct Sum {
    total: u128,
    rows: u64,
    line: String,
}

impl Sum {
    fn add(&mut self, row: &Map<String, Value>, cols: &[String]) {
        self.line.clear();
        for c in cols {
            canonical(row.get(c).unwrap_or(&Value::Null), &mut self.line);
        }
        let digest: [u8; 16] = Md5::digest(self.line.as_bytes()).into();
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
    each_chunk(db, table, cols, key, chunk, |chunk| {
        for row in &chunk {
            sum.add(row, cols);
        }
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
    let copied = clear_target(target, &ours, opts.clear_schema)
        .and_then(|()| copy_all(source, target, plugins, chunk, progress));
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
    progress: &mut dyn Progress,
) -> Result<Vec<Copied>> {
    // Every migration the plugins know must have run on the source: the copy holds the data
    // of the schema the target gets.
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
    let migrations = format!("{}migrations", source.prefix);
    let made: HashSet<String> = target.prefixed_tables()?.into_iter().collect();
    let mut out = Vec::new();
    for table in source.prefixed_tables()? {
        if table == migrations {
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
        let kind = target.kind;
        let into = format!(
            "INSERT INTO {} ({}) VALUES ",
            quote(kind, &table),
            cols.iter()
                .map(|c| quote(kind, c))
                .collect::<Vec<_>>()
                .join(", ")
        );
        // PostgreSQL takes at most 65,535 parameters a statement.
        let per_statement = (60_000 / cols.len().max(1)).clamp(1, chunk);
        let mut rows = 0u64;
        let total = count(source, &table)?;
        // The source's checksum as its rows go by (read once).
        let mut source_sum = Sum::default();
        each_chunk(source, &table, &cols, key, chunk, |chunk| {
            for row in &chunk {
                source_sum.add(row, &cols);
            }
            for part in chunk.chunks(per_statement) {
                let mut params = Vec::with_capacity(part.len() * cols.len());
                let mut values = Vec::with_capacity(part.len());
                for row in part {
                    let mut marks = Vec::with_capacity(cols.len());
                    for c in &cols {
                        match fit(
                            row.get(c).cloned().unwrap_or(Value::Null),
                            dst.text.contains(c),
                        ) {
                            // NULL as a literal: a bound NULL has a type PostgreSQL checks.
                            Value::Null => marks.push("NULL"),
                            v => {
                                marks.push("?");
                                params.push(v);
                            }
                        }
                    }
                    values.push(format!("({})", marks.join(", ")));
                }
                target.execute(&format!("{into}{}", values.join(", ")), &params)?;
                rows += part.len() as u64;
            }
            progress.rows(&table, rows, total);
            Ok(())
        })?;
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
