//! An ownCloud server's schema made on another database for `db:convert-type`: ownCloud's 48
//! tables (and any its apps added) are not the plugins' to make, so the target gets them as the
//! source's catalogue describes them. The source is SQLite, ownCloud's default: each table's
//! columns (`pragma_table_info`: type, `NOT NULL`, default, primary key) and its indexes
//! (`pragma_index_list`/`pragma_index_info`: unique or not, columns in order) are written
//! as PostgreSQL's or MySQL's DDL with Doctrine's types for ownCloud's column types
//! (`CLOB` -> `TEXT`/`LONGTEXT`, `BLOB` -> `BYTEA`/`LONGBLOB`, `DATETIME` -> `TIMESTAMP(0)`/
//! `DATETIME`, an `INTEGER PRIMARY KEY AUTOINCREMENT` -> `BIGSERIAL`/`BIGINT AUTO_INCREMENT`, `UNSIGNED`
//! kept on MySQL only). A type it does not know is refused by name before anything is made.

use occ_plugin_api::DbKind;
use serde_json::json;

use super::db::{quote_ident as quote, Database};
use crate::error::{Error, Result};

#[derive(serde::Deserialize)]
struct Col {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    notnull: i64,
    dflt_value: Option<String>,
    pk: i64,
}

#[derive(serde::Deserialize)]
struct Index {
    name: String,
    unique: i64,
    origin: String,
}

#[derive(serde::Deserialize)]
struct IndexCol {
    name: Option<String>,
}

#[derive(serde::Deserialize)]
struct Sql {
    sql: Option<String>,
}

/// The target's type for a column of SQLite type `sqlite` (`serial`: the table's
/// autoincrementing key).
fn column_type(kind: DbKind, sqlite: &str, serial: bool) -> Option<String> {
    let upper = sqlite.trim().to_ascii_uppercase();
    let unsigned = upper.ends_with(" UNSIGNED");
    let base = upper.trim_end_matches(" UNSIGNED").trim();
    let my_unsigned = if unsigned && kind == DbKind::Mysql {
        " UNSIGNED"
    } else {
        ""
    };
    let pg = kind == DbKind::Pgsql;
    let t = match base {
        // SQLite's INTEGER key is 64 bits (Doctrine writes ownCloud's BIGINT ids, fileid among
        // them, as INTEGER there): the target's key is too.
        "INTEGER" | "INT" | "BIGINT" if serial => {
            if pg {
                "BIGSERIAL".into()
            } else {
                format!("BIGINT{my_unsigned} AUTO_INCREMENT")
            }
        }
        "INTEGER" | "INT" => format!("{}{my_unsigned}", if pg { "INTEGER" } else { "INT" }),
        "BIGINT" | "SMALLINT" => format!("{base}{my_unsigned}"),
        "CLOB" | "TEXT" => if pg { "TEXT" } else { "LONGTEXT" }.into(),
        "BLOB" => if pg { "BYTEA" } else { "LONGBLOB" }.into(),
        "DATETIME" => if pg {
            "TIMESTAMP(0) WITHOUT TIME ZONE"
        } else {
            "DATETIME"
        }
        .into(),
        "DATE" | "TIME" => base.into(),
        "BOOLEAN" => if pg { "BOOLEAN" } else { "TINYINT(1)" }.into(),
        "DOUBLE PRECISION" | "DOUBLE" | "FLOAT" | "REAL" => {
            if pg { "DOUBLE PRECISION" } else { "DOUBLE" }.into()
        }
        b if (b.starts_with("VARCHAR(")
            || b.starts_with("CHAR(")
            || b.starts_with("NUMERIC(")
            || b.starts_with("DECIMAL("))
            && b.ends_with(')') =>
        {
            b.into()
        }
        _ => return None,
    };
    Some(t)
}

/// Makes every table of `tables` on `target` as the SQLite `source` has it.
pub fn replicate(source: &mut Database, target: &mut Database, tables: &[String]) -> Result<()> {
    if source.kind != DbKind::Sqlite {
        return Err(Error::new(format!(
            "Converting an ownCloud server's database from {} is not supported: only from SQLite, ownCloud's default.",
            source.kind.as_str()
        )));
    }
    // Every statement first: an unknown type is refused before anything is made.
    let mut statements = Vec::new();
    for table in tables {
        statements.extend(table_ddl(source, target.kind, table)?);
    }
    for sql in statements {
        target.execute_literal(&sql)?;
    }
    Ok(())
}

fn table_ddl(source: &mut Database, kind: DbKind, table: &str) -> Result<Vec<String>> {
    let cols: Vec<Col> = source.query_as(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
        &[json!(table)],
    )?;
    let created: Vec<Sql> = source.query_as(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
        &[json!(table)],
    )?;
    let autoincrement = created
        .first()
        .and_then(|s| s.sql.as_deref())
        .is_some_and(|s| s.to_ascii_uppercase().contains("AUTOINCREMENT"));
    let keys: Vec<&Col> = {
        let mut k: Vec<&Col> = cols.iter().filter(|c| c.pk > 0).collect();
        k.sort_by_key(|c| c.pk);
        k
    };
    let mut parts = Vec::new();
    for c in &cols {
        let serial = autoincrement && keys.len() == 1 && c.pk == 1;
        let t = column_type(kind, &c.kind, serial).ok_or_else(|| {
            Error::new(format!(
                "{table}.{}: the column type {} has no counterpart on {}",
                c.name,
                c.kind,
                kind.as_str()
            ))
        })?;
        let mut def = format!("{} {t}", quote(kind, &c.name));
        if !serial {
            if let Some(d) = c
                .dflt_value
                .as_deref()
                .filter(|d| !d.eq_ignore_ascii_case("NULL"))
            {
                def.push_str(&format!(" DEFAULT {d}"));
            }
        }
        if c.notnull != 0 || c.pk > 0 {
            def.push_str(" NOT NULL");
        }
        parts.push(def);
    }
    if !keys.is_empty() {
        let list: Vec<String> = keys.iter().map(|c| quote(kind, &c.name)).collect();
        parts.push(format!("PRIMARY KEY ({})", list.join(", ")));
    }
    let mut out = vec![format!(
        "CREATE TABLE {} ({}){}",
        quote(kind, table),
        parts.join(", "),
        if kind == DbKind::Mysql {
            " DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        } else {
            ""
        }
    )];
    let indexes: Vec<Index> = source.query_as(
        "SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY name",
        &[json!(table)],
    )?;
    for (n, ix) in indexes.iter().filter(|i| i.origin != "pk").enumerate() {
        let cols: Vec<IndexCol> = source.query_as(
            "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
            &[json!(ix.name)],
        )?;
        let list: Vec<String> = cols
            .iter()
            .filter_map(|c| c.name.as_deref())
            .map(|n| quote(kind, n))
            .collect();
        if list.len() != cols.len() || list.is_empty() {
            return Err(Error::new(format!(
                "{table}: the index {} is on an expression, which occ does not copy",
                ix.name
            )));
        }
        // SQLite names a constraint's index itself; the target's gets a name of its own.
        let name = if ix.name.starts_with("sqlite_autoindex_") {
            format!("{table}_uniq_{n}")
        } else {
            ix.name.clone()
        };
        out.push(format!(
            "CREATE {}INDEX {} ON {} ({})",
            if ix.unique != 0 { "UNIQUE " } else { "" },
            quote(kind, &name),
            quote(kind, table),
            list.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owncloud_s_types_have_their_counterparts() {
        let pg = DbKind::Pgsql;
        let my = DbKind::Mysql;
        assert_eq!(
            column_type(pg, "INTEGER", true).as_deref(),
            Some("BIGSERIAL")
        );
        assert_eq!(
            column_type(my, "INTEGER", true).as_deref(),
            Some("BIGINT AUTO_INCREMENT")
        );
        assert_eq!(
            column_type(pg, "BIGINT UNSIGNED", false).as_deref(),
            Some("BIGINT")
        );
        assert_eq!(
            column_type(my, "BIGINT UNSIGNED", false).as_deref(),
            Some("BIGINT UNSIGNED")
        );
        assert_eq!(column_type(pg, "CLOB", false).as_deref(), Some("TEXT"));
        assert_eq!(column_type(my, "CLOB", false).as_deref(), Some("LONGTEXT"));
        assert_eq!(column_type(pg, "BLOB", false).as_deref(), Some("BYTEA"));
        assert_eq!(
            column_type(my, "VARCHAR(255)", false).as_deref(),
            Some("VARCHAR(255)")
        );
        assert_eq!(
            column_type(pg, "DATETIME", false).as_deref(),
            Some("TIMESTAMP(0) WITHOUT TIME ZONE")
        );
        assert_eq!(column_type(pg, "GEOMETRY", false), None);
    }
}
