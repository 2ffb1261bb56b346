//! Groups (`oc_groups`, `oc_group_user`): the operations behind the `group:*` commands.

use occ_plugin_api::{Db, Error};
use serde_json::{json, Value};

/// The group whose members administer the instance; it cannot be deleted.
pub const ADMIN: &str = "admin";

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
    Ok(!db
        .query(
            "SELECT gid FROM *PREFIX*groups WHERE gid = ?",
            &[json!(gid)],
        )?
        .is_empty())
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
    let like = crate::users::like_pattern(pattern);
    Ok(db
        .query(
            "SELECT gid FROM *PREFIX*groups WHERE LOWER(gid) LIKE ? ESCAPE '!' ORDER BY gid",
            &[json!(like)],
        )?
        .iter()
        .filter_map(|r| r.get("gid").and_then(Value::as_str).map(str::to_string))
        .collect())
}

/// Members of a group with their display names, by uid.
pub fn members(db: &Db<'_>, gid: &str) -> Result<Vec<(String, String)>, Error> {
    Ok(db
        .query(
            "SELECT g.uid, u.displayname FROM *PREFIX*group_user g LEFT JOIN *PREFIX*users u ON u.uid = g.uid WHERE g.gid = ? ORDER BY g.uid",
            &[json!(gid)],
        )?
        .iter()
        .map(|r| {
            let uid = r.get("uid").and_then(Value::as_str).unwrap_or_default().to_string();
            let dn = r.get("displayname").and_then(Value::as_str).filter(|d| !d.is_empty()).unwrap_or(&uid).to_string();
            (uid, dn)
        })
        .collect())
}

/// Whether a user is in a group.
pub fn is_member(db: &Db<'_>, gid: &str, uid: &str) -> Result<bool, Error> {
    Ok(!db
        .query(
            "SELECT uid FROM *PREFIX*group_user WHERE gid = ? AND uid = ?",
            &[json!(gid), json!(uid)],
        )?
        .is_empty())
}
