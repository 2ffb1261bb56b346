//! Groups (`oc_groups`, `oc_group_user`): group ids, their row structs, the reads behind the
//! `group:*` commands, and every write of those two tables (creating and deleting groups,
//! adding and removing members, dropping the memberships of a deleted user or orphaned ones).
//! No other module writes them. It uses only `sql`: `users` calls it, never the reverse.

use occ_plugin_api::{Db, Error};
use serde_json::json;

use crate::sql;

/// The group whose members administer the instance; it cannot be deleted.
pub const ADMIN: &str = "admin";

/// One row of `oc_groups`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct GroupRow {
    /// Group id.
    pub gid: String,
}

/// One row of `oc_group_user`: a user's membership in a group.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct MembershipRow {
    /// Group id.
    pub gid: String,
    /// User id.
    pub uid: String,
}

/// Checks a group id: 1-64 characters, no control characters, not only spaces.
pub fn validate_gid(gid: &str) -> Result<(), Error> {
    if gid.trim().is_empty() {
        return Err(Error::new("The group name must not be empty."));
    }
    if gid.chars().count() > 64 {
        return Err(Error::new(
            "The group name must not be longer than 64 characters.",
        ));
    }
    if gid.chars().any(char::is_control) {
        return Err(Error::new(format!(
            "Invalid group name \"{}\": control characters are not allowed.",
            gid.escape_default()
        )));
    }
    Ok(())
}

/// Whether a group exists.
pub fn exists(db: &Db<'_>, gid: &str) -> Result<bool, Error> {
    sql::exists(
        db,
        "SELECT gid FROM *PREFIX*groups WHERE gid = ?",
        &[json!(gid)],
    )
}

/// A group that must exist, after checking the name's form.
pub fn require(db: &Db<'_>, gid: &str) -> Result<(), Error> {
    validate_gid(gid)?;
    if exists(db, gid)? {
        Ok(())
    } else {
        Err(Error::new(format!("Group \"{gid}\" does not exist.")))
    }
}

/// Groups whose id contains `pattern` (case-insensitive), sorted.
pub fn list(db: &Db<'_>, pattern: &str) -> Result<Vec<String>, Error> {
    let rows: Vec<GroupRow> = db.query_as(
        "SELECT gid FROM *PREFIX*groups WHERE LOWER(gid) LIKE ? ESCAPE '!' ORDER BY gid",
        &[json!(sql::like_pattern(pattern))],
    )?;
    Ok(rows.into_iter().map(|r| r.gid).collect())
}

/// Groups a user belongs to, sorted.
pub fn of_user(db: &Db<'_>, uid: &str) -> Result<Vec<String>, Error> {
    let rows: Vec<MembershipRow> = db.query_as(
        "SELECT gid, uid FROM *PREFIX*group_user WHERE uid = ? ORDER BY gid",
        &[json!(uid)],
    )?;
    Ok(rows.into_iter().map(|r| r.gid).collect())
}

/// Whether a user is in a group.
pub fn is_member(db: &Db<'_>, gid: &str, uid: &str) -> Result<bool, Error> {
    sql::exists(
        db,
        "SELECT uid FROM *PREFIX*group_user WHERE gid = ? AND uid = ?",
        &[json!(gid), json!(uid)],
    )
}

/// Creates a group that does not exist yet (check with [`exists`] in the same transaction).
pub fn create(db: &Db<'_>, gid: &str) -> Result<(), Error> {
    db.execute("INSERT INTO *PREFIX*groups (gid) VALUES (?)", &[json!(gid)])?;
    Ok(())
}

/// Creates a group unless it exists; whether this call created it. A concurrent creation of
/// the same group waits for the other transaction and then finds it there.
pub fn create_if_missing(db: &Db<'_>, gid: &str) -> Result<bool, Error> {
    Ok(db.execute(
        "INSERT INTO *PREFIX*groups (gid) VALUES (?) ON CONFLICT DO NOTHING",
        &[json!(gid)],
    )? > 0)
}

/// Deletes a group and its memberships, in one transaction.
pub fn delete(db: &Db<'_>, gid: &str) -> Result<(), Error> {
    db.transaction(|db| {
        db.execute(
            "DELETE FROM *PREFIX*group_user WHERE gid = ?",
            &[json!(gid)],
        )?;
        db.execute("DELETE FROM *PREFIX*groups WHERE gid = ?", &[json!(gid)])?;
        Ok(())
    })
}

/// Adds a user to a group it is not a member of yet (check with [`is_member`] in the same
/// transaction: a second membership row is an error).
pub fn add_member(db: &Db<'_>, gid: &str, uid: &str) -> Result<(), Error> {
    db.execute(
        "INSERT INTO *PREFIX*group_user (gid, uid) VALUES (?, ?)",
        &[json!(gid), json!(uid)],
    )?;
    Ok(())
}

/// Removes a user from a group.
pub fn remove_member(db: &Db<'_>, gid: &str, uid: &str) -> Result<(), Error> {
    db.execute(
        "DELETE FROM *PREFIX*group_user WHERE gid = ? AND uid = ?",
        &[json!(gid), json!(uid)],
    )?;
    Ok(())
}

/// Removes a user from every group (when the user is deleted).
pub fn remove_user_everywhere(db: &Db<'_>, uid: &str) -> Result<(), Error> {
    db.execute(
        "DELETE FROM *PREFIX*group_user WHERE uid = ?",
        &[json!(uid)],
    )?;
    Ok(())
}

/// Removes memberships whose group or user no longer exists (a user exists when it has an
/// `oc_users` row, the database backend, or an `oc_accounts` row, every backend); returns how
/// many.
pub fn remove_orphaned_memberships(db: &Db<'_>) -> Result<u64, Error> {
    db.execute(
        "DELETE FROM *PREFIX*group_user WHERE gid NOT IN (SELECT gid FROM *PREFIX*groups) OR (uid NOT IN (SELECT uid FROM *PREFIX*users) AND uid NOT IN (SELECT user_id FROM *PREFIX*accounts))",
        &[],
    )
}
