//! The database for plugins: `db.*`. Query rows and bulk statements go between the request
//! text, the database and the reply text without a value tree.

use occ_plugin_api::protocol::{
    DbBegin, DbCommit, DbExecute, DbExecuteMany, DbInfo, DbInfoRequest, DbLock, DbQuery,
    DbRollback, RowShape,
};

use super::Host;
use crate::error::{Error, Result};
use crate::instance::db::{Database, DbParams, Param};
use crate::instance::PRODUCT;

/// `db.query`: the rows as the JSON text of an array of objects, or of arrays (since 1.3).
pub fn query(host: &Host, r: DbQuery<'_>) -> Result<String> {
    let arrays = r.rows == Some(RowShape::Arrays);
    host.with_db(|db| db.query_json(&r.sql, &r.params, arrays))
}

/// `db.execute_many`: parameters decoded straight from the request, borrowed where they can be.
pub fn execute_many(host: &Host, r: DbExecuteMany<'_, Vec<Vec<Param<'_>>>>) -> Result<u64> {
    host.with_db(|db| db.execute_many(&r.sql, &r.rows))
}

/// `db.execute`.
pub fn execute(host: &Host, r: DbExecute<'_>) -> Result<u64> {
    host.with_db(|db| db.execute(&r.sql, &r.params))
}

/// `db.begin`.
pub fn begin(host: &Host, _: DbBegin) -> Result<()> {
    host.with_db(|db| db.begin())
}

/// `db.commit`.
pub fn commit(host: &Host, _: DbCommit) -> Result<()> {
    host.with_db(|db| db.commit())
}

/// `db.rollback`.
pub fn rollback(host: &Host, _: DbRollback) -> Result<()> {
    host.with_db(|db| db.rollback())
}

/// `db.lock`.
pub fn lock(host: &Host, r: DbLock) -> Result<()> {
    host.with_db(|db| db.lock_named(&r.name))
}

/// `db.info`.
pub fn info(host: &Host, _: DbInfoRequest) -> Result<DbInfo> {
    host.with_db(|db| {
        Ok(DbInfo {
            kind: db.kind,
            prefix: db.prefix.clone(),
        })
    })
}

impl Host {
    /// The connection parameters of the installed instance.
    pub fn db_params(&self) -> Result<DbParams> {
        DbParams::from_config(&self.instance.borrow().config)
    }

    /// Runs `f` on the database, opening it on first use.
    pub fn with_db<T>(&self, f: impl FnOnce(&mut Database) -> Result<T>) -> Result<T> {
        let mut slot = self.db.borrow_mut();
        if slot.is_none() {
            if !self.instance.borrow().installed() {
                return Err(Error::new(format!(
                    "{PRODUCT} is not installed: there is no database yet"
                )));
            }
            let p = self.db_params()?;
            let db = Database::open_instance(&p, &self.instance.borrow().data_dir())?;
            *slot = Some(db);
        }
        let result = match slot.as_mut() {
            Some(db) => f(db),
            None => Err(Error::new("no database")),
        };
        drop(slot);
        result.map_err(|e| self.missing_table(e))
    }

    /// On an ownCloud server in place, an error about a table that is not there says which
    /// table, and why: its schema is ownCloud's, and occ makes none of its tables.
    fn missing_table(&self, e: Error) -> Error {
        if !self.instance.borrow().owncloud() {
            return e;
        }
        match missing_table_name(&e.message) {
            Some(table) => Error::new(format!(
                "The table {table} does not exist in this ownCloud instance's database: enable the ownCloud app that makes it with ownCloud's own occ first (occ does not change ownCloud's schema)"
            )),
            None => e,
        }
    }
}

/// The table a database's "no such table" error names (SQLite, PostgreSQL, MySQL/MariaDB).
fn missing_table_name(message: &str) -> Option<String> {
    if let Some(rest) = message.split("no such table: ").nth(1) {
        return rest.split_whitespace().next().map(str::to_string);
    }
    if let Some(rest) = message.split("relation \"").nth(1) {
        if let Some((name, tail)) = rest.split_once('"') {
            if tail.starts_with(" does not exist") {
                return Some(name.to_string());
            }
        }
    }
    if let Some(rest) = message.split("Table '").nth(1) {
        if let Some((name, tail)) = rest.split_once('\'') {
            if tail.starts_with(" doesn't exist") {
                return Some(name.rsplit('.').next().unwrap_or(name).to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::missing_table_name;

    #[test]
    fn missing_tables_are_named_on_every_database() {
        for m in [
            "no such table: oc_ldap_user_mapping",
            "error returned from database: relation \"oc_ldap_user_mapping\" does not exist",
            "error returned from database: 1146 (42S02): Table 'ocdb.oc_ldap_user_mapping' doesn't exist",
        ] {
            assert_eq!(missing_table_name(m).as_deref(), Some("oc_ldap_user_mapping"), "{m}");
        }
        assert_eq!(missing_table_name("UNIQUE constraint failed"), None);
    }
}
