//! Bulk paths of [`Database`] for copying whole tables between databases
//! (`db:convert-type`): rows read as plain [`Cell`]s in the select list's order (no JSON
//! trees, no column names per row), PostgreSQL's `COPY ... FROM STDIN` in its text format,
//! and MySQL literals for multi-row `INSERT`s sent without parameters.

use std::fmt::Write as _;

use sqlx::{AssertSqlSafe, Column, Executor, Row, TypeInfo, ValueRef};

use super::{bind_all, db_error, pg_numeric, Conn, Database};
use crate::error::{Error, Result};
use serde_json::Value;

/// One value of a row as read for a copy.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// An integer (booleans are 0 and 1).
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes that are not text (a BLOB, a BYTEA).
    Bytes(Vec<u8>),
}

impl Cell {
    fn from_value(v: Value) -> Cell {
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Int(i64::from(b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => Cell::Real(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Cell::Text(s),
            other => Cell::Text(other.to_string()),
        }
    }

    /// The value as text, whatever its kind (a whole float without its fraction): what a
    /// checksum hashes and what `COPY`'s text format carries. `None` for NULL.
    pub fn write_text(&self, out: &mut Vec<u8>) -> bool {
        match self {
            Cell::Null => return false,
            Cell::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
            Cell::Real(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
                out.extend_from_slice(itoa::Buffer::new().format(*f as i64).as_bytes())
            }
            Cell::Real(f) => {
                let _ = std::io::Write::write_fmt(out, format_args!("{f}"));
            }
            Cell::Text(s) => out.extend_from_slice(s.as_bytes()),
            Cell::Bytes(b) => out.extend_from_slice(b),
        }
        true
    }
}

/// How a column of the target takes a value, from its declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text of any length.
    Text,
    /// Bytes (BYTEA, BLOB, VARBINARY).
    Bytes,
    /// An integer of any width.
    Integer,
    /// A boolean (PostgreSQL's; MySQL's are integers).
    Boolean,
    /// Anything else (floats, decimals, dates), written as its text.
    Other,
}

impl ColumnKind {
    /// The kind of a column by the type name the database's catalogue gives.
    pub fn of(type_name: &str) -> ColumnKind {
        let t = type_name.to_ascii_lowercase();
        if t.contains("bytea") || t.contains("blob") || t.contains("binary") {
            ColumnKind::Bytes
        } else if ["char", "text", "clob"].iter().any(|k| t.contains(k)) {
            ColumnKind::Text
        } else if t.contains("int") {
            ColumnKind::Integer
        } else if t.starts_with("bool") {
            ColumnKind::Boolean
        } else {
            ColumnKind::Other
        }
    }
}

/// Appends one row to PostgreSQL `COPY`'s text format: tab-separated, `\N` for NULL,
/// backslash escapes for backslash, tab, newline and carriage return; bytes as `\\x` hex.
pub fn copy_row(row: &[Cell], kinds: &[ColumnKind], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        let kind = kinds.get(i).copied().unwrap_or(ColumnKind::Other);
        scratch.clear();
        if !cell.write_text(scratch) {
            out.extend_from_slice(b"\\N");
            continue;
        }
        if kind == ColumnKind::Bytes {
            out.extend_from_slice(b"\\\\x");
            for b in scratch.iter() {
                let _ = write!(HexOut(out), "{b:02x}");
            }
            continue;
        }
        for &b in scratch.iter() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
    }
    out.push(b'\n');
}

struct HexOut<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for HexOut<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends one row as a MySQL tuple of literals: `(1, 'text', NULL, X'00ff')`. Text with a
/// backslash or a NUL goes as hex (its meaning in quotes depends on the session's
/// NO_BACKSLASH_ESCAPES); quotes are doubled.
pub fn mysql_tuple(row: &[Cell], kinds: &[ColumnKind], out: &mut String, scratch: &mut Vec<u8>) {
    out.push('(');
    for (i, cell) in row.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let kind = kinds.get(i).copied().unwrap_or(ColumnKind::Other);
        match cell {
            Cell::Null => out.push_str("NULL"),
            Cell::Int(n) if kind != ColumnKind::Bytes => {
                out.push_str(itoa::Buffer::new().format(*n));
            }
            Cell::Text(s)
                if kind != ColumnKind::Bytes && !s.bytes().any(|b| b == b'\\' || b == 0) =>
            {
                out.push('\'');
                for ch in s.chars() {
                    if ch == '\'' {
                        out.push('\'');
                    }
                    out.push(ch);
                }
                out.push('\'');
            }
            other => {
                scratch.clear();
                other.write_text(scratch);
                if !matches!(kind, ColumnKind::Text | ColumnKind::Bytes)
                    && !matches!(other, Cell::Bytes(_))
                {
                    // A number as text ("1.5"), or a text in a number column: quoted when it
                    // holds anything but a number's characters.
                    if scratch
                        .iter()
                        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
                        && !scratch.is_empty()
                    {
                        out.push_str(&String::from_utf8_lossy(scratch));
                        continue;
                    }
                }
                out.push_str("X'");
                for b in scratch.iter() {
                    let _ = write!(out, "{b:02x}");
                }
                out.push('\'');
            }
        }
    }
    out.push(')');
}

impl Database {
    /// Runs a query; each row as its cells in the select list's order.
    pub fn query_cells(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Cell>>> {
        let sql = self.prepare_sql(sql);
        if let Conn::Sqlite(c) = &self.conn {
            return sqlite_cells(c, &sql, params).map_err(db_error);
        }
        let rt = self.rt.as_ref().ok_or("no runtime for a server database")?;
        match &mut self.conn {
            Conn::Pg(c) => {
                let q = bind_all(sqlx::query(AssertSqlSafe(sql)), params);
                let rows = rt.block_on(q.fetch_all(&mut *c)).map_err(db_error)?;
                rows.iter().map(pg_cells).collect()
            }
            Conn::My(c) => {
                let q = bind_all(sqlx::query(AssertSqlSafe(sql)), params);
                let rows = rt.block_on(q.fetch_all(&mut *c)).map_err(db_error)?;
                rows.iter().map(my_cells).collect()
            }
            Conn::Sqlite(_) => Err("unreachable".into()),
        }
    }

    /// PostgreSQL's `COPY <table> (<columns>) FROM STDIN` (text format): `fill` is handed a
    /// sender for the data and calls it as often as it likes. A failing `fill` aborts the
    /// copy. Returns the rows copied.
    pub fn copy_in(
        &mut self,
        statement: &str,
        fill: impl FnOnce(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()>,
    ) -> Result<u64> {
        let (Some(rt), Conn::Pg(c)) = (self.rt.as_ref(), &mut self.conn) else {
            return Err(Error::new("COPY FROM STDIN is PostgreSQL's"));
        };
        let mut copy = rt.block_on(c.copy_in_raw(statement)).map_err(db_error)?;
        let mut failed: Option<String> = None;
        let filled = fill(&mut |data: &[u8]| {
            if let Some(e) = &failed {
                return Err(Error::new(e.clone()));
            }
            rt.block_on(copy.send(data)).map(|_| ()).map_err(|e| {
                let e = db_error(e);
                failed = Some(e.to_string());
                e
            })
        });
        match filled {
            Ok(()) => rt.block_on(copy.finish()).map_err(db_error),
            Err(e) => {
                let _ = rt.block_on(copy.abort("the copy's source failed"));
                Err(e)
            }
        }
    }

    /// The largest statement MySQL takes (`max_allowed_packet`), with room to spare.
    pub fn mysql_statement_budget(&mut self) -> Result<usize> {
        #[derive(serde::Deserialize)]
        struct P {
            n: i64,
        }
        let p: Vec<P> = self.query_as("SELECT @@max_allowed_packet AS n", &[])?;
        let n = p.first().map_or(1 << 20, |p| p.n.max(1 << 16) as usize);
        Ok((n / 2).min(8 << 20))
    }

    /// Runs one statement without parameters on a server (a multi-row `INSERT` of
    /// literals): no prepare, no binds.
    pub fn execute_literal(&mut self, sql: &str) -> Result<u64> {
        let rt = self.rt.as_ref().ok_or("no runtime for a server database")?;
        match &mut self.conn {
            Conn::Pg(c) => rt
                .block_on(c.execute(AssertSqlSafe(sql.to_string())))
                .map(|r| r.rows_affected())
                .map_err(db_error),
            Conn::My(c) => rt
                .block_on(c.execute(AssertSqlSafe(sql.to_string())))
                .map(|r| r.rows_affected())
                .map_err(db_error),
            Conn::Sqlite(_) => Err(Error::new("literal statements are for servers")),
        }
    }
}

fn sqlite_cells(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> std::result::Result<Vec<Vec<Cell>>, rusqlite::Error> {
    use rusqlite::types::ValueRef as V;
    let mut stmt = c.prepare_cached(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(
        params.iter().map(super::sqlite_param),
    ))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(match row.get_ref(i)? {
                V::Null => Cell::Null,
                V::Integer(n) => Cell::Int(n),
                V::Real(f) => Cell::Real(f),
                V::Text(t) => match std::str::from_utf8(t) {
                    Ok(s) => Cell::Text(s.to_string()),
                    Err(_) => Cell::Bytes(t.to_vec()),
                },
                V::Blob(b) => Cell::Bytes(b.to_vec()),
            });
        }
        out.push(cells);
    }
    Ok(out)
}

fn pg_cells(row: &sqlx::postgres::PgRow) -> Result<Vec<Cell>> {
    (0..row.len())
        .map(|i| {
            let raw = row.try_get_raw(i).map_err(db_error)?;
            if raw.is_null() {
                return Ok(Cell::Null);
            }
            let kind = raw.type_info().name().to_string();
            // A value occ cannot read is an error, never a NULL: the copy would lose it and
            // the checksum, read the same way on both sides, would not notice.
            let cannot = |e: sqlx::Error| {
                Error::new(format!(
                    "column {}: a {kind} value occ cannot copy ({e})",
                    row.columns()[i].name()
                ))
            };
            Ok(match kind.as_str() {
                "INT8" => Cell::Int(row.try_get::<i64, _>(i).map_err(cannot)?),
                "INT4" => Cell::Int(row.try_get::<i32, _>(i).map_err(cannot)?.into()),
                "INT2" => Cell::Int(row.try_get::<i16, _>(i).map_err(cannot)?.into()),
                "BOOL" => Cell::Int(row.try_get::<bool, _>(i).map_err(cannot)?.into()),
                "FLOAT8" => Cell::Real(row.try_get::<f64, _>(i).map_err(cannot)?),
                "FLOAT4" => Cell::Real(row.try_get::<f32, _>(i).map_err(cannot)?.into()),
                "BYTEA" => Cell::Bytes(row.try_get::<Vec<u8>, _>(i).map_err(cannot)?),
                "NUMERIC" => raw
                    .as_bytes()
                    .ok()
                    .and_then(pg_numeric)
                    .map(Cell::from_value)
                    .ok_or_else(|| {
                        Error::new(format!(
                            "column {}: a NUMERIC value occ cannot copy",
                            row.columns()[i].name()
                        ))
                    })?,
                _ => Cell::Text(row.try_get::<String, _>(i).map_err(cannot)?),
            })
        })
        .collect()
}

fn my_cells(row: &sqlx::mysql::MySqlRow) -> Result<Vec<Cell>> {
    (0..row.len())
        .map(|i| {
            let raw = row.try_get_raw(i).map_err(db_error)?;
            if raw.is_null() {
                return Ok(Cell::Null);
            }
            let t = raw.type_info().name().to_string();
            let cannot = |e: sqlx::Error| {
                Error::new(format!(
                    "column {}: a {t} value occ cannot copy ({e})",
                    row.columns()[i].name()
                ))
            };
            Ok(if t.contains("INT") {
                Cell::Int(
                    row.try_get::<i64, _>(i)
                        .or_else(|_| row.try_get::<u64, _>(i).map(|u| u as i64))
                        .map_err(cannot)?,
                )
            } else if t == "DOUBLE" || t == "FLOAT" {
                Cell::Real(row.try_get::<f64, _>(i).map_err(cannot)?)
            } else if t == "BOOLEAN" {
                Cell::Int(row.try_get::<bool, _>(i).map_err(cannot)?.into())
            } else if t == "DECIMAL" {
                Cell::from_value(super::decimal(
                    &row.try_get_unchecked::<String, _>(i).map_err(cannot)?,
                ))
            } else if t.contains("BLOB") || t.contains("BINARY") {
                Cell::Bytes(row.try_get::<Vec<u8>, _>(i).map_err(cannot)?)
            } else {
                row.try_get::<String, _>(i)
                    .map(Cell::Text)
                    .or_else(|_| row.try_get::<Vec<u8>, _>(i).map(Cell::Bytes))
                    .map_err(cannot)?
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut out = Vec::new();
        let row = [
            Cell::Int(7),
            Cell::Text("a\tb\\c\nd\re".into()),
            Cell::Null,
            Cell::Bytes(vec![0, 255]),
            Cell::Real(2.0),
        ];
        let kinds = [
            ColumnKind::Other,
            ColumnKind::Text,
            ColumnKind::Text,
            ColumnKind::Bytes,
            ColumnKind::Other,
        ];
        copy_row(&row, &kinds, &mut out, &mut Vec::new());
        assert_eq!(out, b"7\ta\\tb\\\\c\\nd\\re\t\\N\t\\\\x00ff\t2\n");
    }

    #[test]
    fn mysql_literals_never_depend_on_backslash_escapes() {
        let mut out = String::new();
        let row = [
            Cell::Int(-3),
            Cell::Text("it's 😀".into()),
            Cell::Text("C:\\x".into()),
            Cell::Null,
            Cell::Text("12".into()),
            Cell::Text("1; DROP".into()),
            Cell::Bytes(vec![1, 2]),
        ];
        let kinds = [
            ColumnKind::Other,
            ColumnKind::Text,
            ColumnKind::Text,
            ColumnKind::Text,
            ColumnKind::Other,
            ColumnKind::Other,
            ColumnKind::Bytes,
        ];
        mysql_tuple(&row, &kinds, &mut out, &mut Vec::new());
        assert_eq!(
            out,
            "(-3, 'it''s 😀', X'433a5c78', NULL, '12', '1; DROP', X'0102')"
        );
    }
}
