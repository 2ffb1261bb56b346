//! `db:convert-type`: the instance's tables copied from its database to another (PostgreSQL or
//! MySQL/MariaDB). The target's schema comes from the plugins' migrations; each table is
//! copied in chunks ordered by its primary key, then verified by row count and a checksum
//! computed the same way on both sides; PostgreSQL's sequences are set past the copied ids.
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
    let mut offset = 0usize;
    loop {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {} LIMIT {chunk} OFFSET {offset}",
            list.join(", "),
            quote(kind, table),
            order.join(", ")
        );
        let rows = db.query(&sql, &[])?;
        let n = rows.len();
        if n > 0 {
            each(rows)?;
        }
        if n < chunk {
            return Ok(());
        }
        offset += n;
    }
}

/// The checksum and row count of a table read in key order.
fn checksum(
    db: &mut Database,
    table: &str,
    cols: &[String],
    key: &[String],
    chunk: usize,
) -> Result<(u64, String)> {
    let mut md5 = Md5::new();
    let mut rows = 0u64;
    let mut line = String::new();
    each_chunk(db, table, cols, key, chunk, |chunk| {
        for row in chunk {
            line.clear();
            for c in cols {
                canonical(row.get(c).unwrap_or(&Value::Null), &mut line);
            }
            md5.update(line.as_bytes());
            rows += 1;
        }
        Ok(())
    })?;
    Ok((rows, format!("{:x}", md5.finalize())))
}

/// The target's tables of the instance's prefix: refused, or with `clear` dropped in one
/// statement (constraints checks off on MySQL), so a schema is never left half-dropped.
fn clear_target(target: &mut Database, clear: bool) -> Result<()> {
    let tables = target.prefixed_tables()?;
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

/// Copies every table of `source` into `target` and verifies it; `progress` hears a line per
/// table. The target's schema is made by `plugins`' migrations (its migrations table with it).
pub fn convert(
    source: &mut Database,
    target: &mut Database,
    plugins: &PluginMigrations,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Copied>> {
    if target.kind == DbKind::Sqlite {
        return Err(Error::new(
            "Converting to SQLite (sqlite3) is currently not supported.",
        ));
    }
    let chunk = opts.chunk_size.max(1);
    clear_target(target, opts.clear_schema)?;
    // PostgreSQL makes schema and rows in one transaction: a conversion that fails or is killed
    // leaves nothing there. MySQL commits each DDL statement.
    let atomic = target.kind == DbKind::Pgsql;
    if atomic {
        target.begin()?;
    }
    let copied = copy_all(source, target, plugins, chunk, progress);
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
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Copied>> {
    progress("Creating schema in new database");
    migrate(target, plugins)?;
    let migrations = format!("{}migrations", source.prefix);
    let made: HashSet<String> = target.prefixed_tables()?.into_iter().collect();
    let mut out = Vec::new();
    for table in source.prefixed_tables()? {
        if table == migrations {
            continue; // made by the migrations above
        }
        if !made.contains(&table) {
            progress(&format!(
                "{table}: no plugin makes this table on the target; not copied"
            ));
            continue;
        }
        let src = columns(source, &table)?;
        let dst = columns(target, &table)?;
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
        each_chunk(source, &table, &cols, key, chunk, |chunk| {
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
            Ok(())
        })?;
        set_sequences(target, &table)?;
        let (n_src, sum_src) = checksum(source, &table, &cols, key, chunk)?;
        let (n_dst, sum_dst) = checksum(target, &table, &cols, key, chunk)?;
        if n_src != n_dst || sum_src != sum_dst {
            return Err(Error::new(format!(
                "{table}: the copy differs from the source ({n_src} rows, checksum {sum_src}; copied {n_dst} rows, checksum {sum_dst})"
            )));
        }
        progress(&format!("{table}: {rows} rows"));
        out.push(Copied { table, rows });
    }
    Ok(out)
}
