//! User accounts in the database backend (`oc_users`, `oc_accounts`, `oc_preferences`,
//! `oc_group_user`): the operations behind the `user:*` commands and core's user services.
//! Every change happens in one transaction; slow work (password hashing) happens before it.

use std::borrow::Cow;

use occ_plugin_api::{for_each_row, Context, Db, DbKind, Error};
use serde_json::{json, Map, Value};

use crate::ops;

/// The backend name ownCloud reports for database users.
pub const DATABASE_BACKEND: &str = "OC\\User\\Database";

use crate::time::now;

/// One user as the commands show it.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// User id.
    pub uid: String,
    /// Display name (the uid when none is set).
    pub display_name: String,
    /// Email address.
    pub email: Option<String>,
    /// Enabled (account state 1) or disabled (2).
    pub enabled: bool,
    /// Last login, seconds since the epoch (0: never).
    pub last_login: i64,
    /// Home directory.
    pub home: String,
    /// Backend name.
    pub backend: String,
}

fn text(row: &Map<String, Value>, k: &str) -> Option<String> {
    row.get(k).and_then(Value::as_str).map(str::to_string)
}

fn int(row: &Map<String, Value>, k: &str) -> i64 {
    row.get(k)
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(0)
}

const SELECT_USER: &str = "SELECT u.uid, u.displayname, a.email, a.state, a.last_login, a.home, a.backend FROM *PREFIX*users u LEFT JOIN *PREFIX*accounts a ON a.user_id = u.uid";

fn from_row(r: &Map<String, Value>) -> User {
    let uid = text(r, "uid").unwrap_or_default();
    User {
        display_name: text(r, "displayname")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| uid.clone()),
        email: text(r, "email").filter(|e| !e.is_empty()),
        enabled: int(r, "state") != 2,
        last_login: int(r, "last_login"),
        home: text(r, "home").unwrap_or_default(),
        backend: text(r, "backend").unwrap_or_else(|| DATABASE_BACKEND.into()),
        uid,
    }
}

/// A user by exact uid.
pub fn get(db: &Db<'_>, uid: &str) -> Result<Option<User>, Error> {
    let rows = db.query(&format!("{SELECT_USER} WHERE u.uid = ?"), &[json!(uid)])?;
    Ok(rows.first().map(from_row))
}

/// A user that must exist (`User does not exist` otherwise), after checking the uid's form.
pub fn require(db: &Db<'_>, uid: &str) -> Result<User, Error> {
    ops::validate_uid(uid).map_err(Error::new)?;
    get(db, uid)?.ok_or_else(|| Error::new("User does not exist"))
}

/// `%pattern%`, lower-cased, with LIKE's wildcards escaped by `!` (use with `ESCAPE '!'`;
/// a backslash is no escape character on MySQL).
pub fn like_pattern(pattern: &str) -> String {
    let escaped = pattern
        .to_lowercase()
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    format!("%{escaped}%")
}

/// `WHERE` clause and parameters matching users whose uid or display name contains `pattern`
/// (case-insensitive); nothing for an empty pattern.
fn pattern_filter(pattern: &str) -> (&'static str, Vec<Value>) {
    if pattern.is_empty() {
        return ("", Vec::new());
    }
    let like = like_pattern(pattern);
    (
        " WHERE LOWER(u.uid) LIKE ? ESCAPE '!' OR LOWER(COALESCE(u.displayname, '')) LIKE ? ESCAPE '!'",
        vec![json!(like), json!(like)],
    )
}

/// A page of `select` (over `*PREFIX*users u`) for users whose uid or display name contains
/// `pattern` (case-insensitive), by uid.
fn page<T: serde::de::DeserializeOwned>(
    db: &Db<'_>,
    select: &str,
    pattern: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<T>, Error> {
    let (sql, params) = page_query(select, pattern, limit, offset);
    db.query_as(&sql, &params)
}

/// The query of one page of users, by uid: `select` with the pattern's filter.
fn page_query(select: &str, pattern: &str, limit: i64, offset: i64) -> (String, Vec<Value>) {
    let (filter, mut params) = pattern_filter(pattern);
    params.extend([json!(limit), json!(offset)]);
    (
        format!("{select}{filter} ORDER BY u.uid LIMIT ? OFFSET ?"),
        params,
    )
}

/// Users whose uid or display name contains `pattern` (case-insensitive), by uid.
pub fn list(db: &Db<'_>, pattern: &str, limit: i64, offset: i64) -> Result<Vec<User>, Error> {
    let rows: Vec<JsonUser> = page(db, SELECT_USER, pattern, limit, offset)?;
    Ok(rows.into_iter().map(JsonUser::into_user).collect())
}

/// Hands `each` the uid and display name (the uid when it has none) of each user `list` would
/// return, in order: what `user:list` prints, read without the accounts table, and borrowed
/// from the host's answer (no row or name is copied).
pub fn each_name(
    db: &Db<'_>,
    pattern: &str,
    limit: i64,
    offset: i64,
    mut each: impl FnMut(&str, &str),
) -> Result<(), Error> {
    #[derive(serde::Deserialize)]
    struct Name<'a> {
        #[serde(borrow)]
        uid: Cow<'a, str>,
        #[serde(borrow)]
        displayname: Option<Cow<'a, str>>,
    }
    let (sql, params) = page_query(
        "SELECT u.uid, u.displayname FROM *PREFIX*users u",
        pattern,
        limit,
        offset,
    );
    db.query_with(&sql, &params, |rows| {
        for_each_row(rows, |n: Name<'_>| {
            let display = n.displayname.as_deref().filter(|d| !d.is_empty());
            each(&n.uid, display.unwrap_or(&n.uid));
        })
    })
}

/// A user row as the query returns it.
#[derive(serde::Deserialize)]
struct JsonUser {
    uid: String,
    displayname: Option<String>,
    email: Option<String>,
    state: Option<i64>,
    last_login: Option<i64>,
    home: Option<String>,
    backend: Option<String>,
}

impl JsonUser {
    fn into_user(self) -> User {
        User {
            display_name: self
                .displayname
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| self.uid.clone()),
            email: self.email.filter(|e| !e.is_empty()),
            enabled: self.state != Some(2),
            last_login: self.last_login.unwrap_or(0),
            home: self.home.unwrap_or_default(),
            backend: self.backend.unwrap_or_else(|| DATABASE_BACKEND.into()),
            uid: self.uid,
        }
    }
}

/// Number of database users.
pub fn count(db: &Db<'_>) -> Result<i64, Error> {
    Ok(db
        .query("SELECT COUNT(*) AS n FROM *PREFIX*users", &[])?
        .first()
        .map(|r| int(r, "n"))
        .unwrap_or(0))
}

/// Groups a user belongs to, sorted.
pub fn groups_of(db: &Db<'_>, uid: &str) -> Result<Vec<String>, Error> {
    Ok(db
        .query(
            "SELECT gid FROM *PREFIX*group_user WHERE uid = ? ORDER BY gid",
            &[json!(uid)],
        )?
        .iter()
        .filter_map(|r| text(r, "gid"))
        .collect())
}

/// What `create` should make.
pub struct NewUser<'a> {
    /// User id (validated).
    pub uid: &'a str,
    /// Stored hash (`1|$2y$...`).
    pub hash: &'a str,
    /// Display name.
    pub display_name: Option<&'a str>,
    /// Email.
    pub email: Option<&'a str>,
    /// Groups to join (created when missing).
    pub groups: &'a [String],
    /// Data directory for the home path.
    pub datadir: &'a str,
}

/// What `create` did beyond creating the user: groups it created.
pub struct Created {
    /// Groups that did not exist before.
    pub new_groups: Vec<String>,
}

/// Whether a user with this uid exists in any letter case (account or database user). `user:add`
/// runs it before its transaction, while the password hash is computed.
///
/// Database users are compared through the uid index: a uid is ASCII (see
/// [`crate::ops::validate_uid`]), so every case variant of it sorts bytewise between its
/// all-upper and all-lower forms, with its first letter in one case or the other: two short
/// index ranges instead of every user. That order holds for SQLite's and MySQL's binary
/// collations; PostgreSQL's may be linguistic, so there every uid is compared.
pub fn taken(db: &Db<'_>, uid: &str) -> Result<bool, Error> {
    let lower = uid.to_ascii_lowercase();
    let bytewise = db.kind()? != DbKind::Pgsql;
    let rows = if bytewise {
        let upper = uid.to_ascii_uppercase();
        let split = upper.chars().next().map_or(0, char::len_utf8);
        let (upper_first, lower_first) = (&upper[..split], &lower[..split]);
        db.query(
            "SELECT user_id FROM *PREFIX*accounts WHERE lower_user_id = ? UNION SELECT uid FROM *PREFIX*users WHERE (uid BETWEEN ? AND ? OR uid BETWEEN ? AND ?) AND LOWER(uid) = ?",
            &[
                json!(lower),
                json!(upper),
                json!(format!("{upper_first}{}", &lower[split..])),
                json!(format!("{lower_first}{}", &upper[split..])),
                json!(lower),
                json!(lower),
            ],
        )?
    } else {
        db.query(
            "SELECT user_id FROM *PREFIX*accounts WHERE lower_user_id = ? UNION SELECT uid FROM *PREFIX*users WHERE LOWER(uid) = ?",
            &[json!(lower), json!(lower)],
        )?
    };
    Ok(!rows.is_empty())
}

/// Creates a user whose uid [`taken`] found free. Inside the transaction only the indexed
/// checks run again (exact uid, lower-cased account id; the accounts index is unique too), so
/// a concurrent `user:add` of the same name still fails cleanly.
pub fn create(db: &Db<'_>, u: &NewUser<'_>) -> Result<Created, Error> {
    db.transaction(|db| {
        let taken = db.query(
            "SELECT user_id FROM *PREFIX*accounts WHERE lower_user_id = ? UNION SELECT uid FROM *PREFIX*users WHERE uid = ?",
            &[json!(u.uid.to_lowercase()), json!(u.uid)],
        )?;
        if !taken.is_empty() {
            return Err(Error::new(format!("The user \"{}\" already exists.", u.uid)));
        }
        db.execute(
            "INSERT INTO *PREFIX*users (uid, displayname, password) VALUES (?, ?, ?)",
            &[json!(u.uid), json!(u.display_name), json!(u.hash)],
        )?;
        db.execute(
            "INSERT INTO *PREFIX*accounts (email, user_id, lower_user_id, display_name, quota, last_login, backend, home, state, creation_time) VALUES (?, ?, ?, ?, NULL, 0, ?, ?, 1, ?)",
            &[
                json!(u.email),
                json!(u.uid),
                json!(u.uid.to_lowercase()),
                json!(u.display_name.unwrap_or(u.uid)),
                json!(DATABASE_BACKEND),
                json!(format!("{}/{}", u.datadir, u.uid)),
                json!(now()),
            ],
        )?;
        let mut new_groups = Vec::new();
        for g in u.groups {
            if !crate::groups::exists(db, g)? {
                db.execute("INSERT INTO *PREFIX*groups (gid) VALUES (?)", &[json!(g)])?;
                new_groups.push(g.clone());
            }
            db.execute("INSERT INTO *PREFIX*group_user (gid, uid) VALUES (?, ?)", &[json!(g), json!(u.uid)])?;
        }
        Ok(Created { new_groups })
    })
}

/// Removes a user's rows everywhere core keeps them.
pub fn delete(db: &Db<'_>, uid: &str) -> Result<(), Error> {
    db.transaction(|db| {
        for sql in [
            "DELETE FROM *PREFIX*group_user WHERE uid = ?",
            "DELETE FROM *PREFIX*preferences WHERE userid = ?",
            "DELETE FROM *PREFIX*accounts WHERE user_id = ?",
            "DELETE FROM *PREFIX*users WHERE uid = ?",
        ] {
            db.execute(sql, &[json!(uid)])?;
        }
        Ok(())
    })
}

/// Stores a new password hash.
pub fn set_password(db: &Db<'_>, uid: &str, hash: &str) -> Result<(), Error> {
    db.execute(
        "UPDATE *PREFIX*users SET password = ? WHERE uid = ?",
        &[json!(hash), json!(uid)],
    )?;
    Ok(())
}

/// Enables or disables an account.
pub fn set_enabled(db: &Db<'_>, uid: &str, enabled: bool) -> Result<(), Error> {
    db.execute(
        "UPDATE *PREFIX*accounts SET state = ? WHERE user_id = ?",
        &[json!(if enabled { 1 } else { 2 }), json!(uid)],
    )?;
    Ok(())
}

/// The password in `OC_PASS`, when set and not empty.
pub fn env_password() -> Option<String> {
    std::env::var("OC_PASS").ok().filter(|p| !p.is_empty())
}

/// Asks for a password twice (hidden), or takes it from `OC_PASS` with `--password-from-env`.
pub fn password_from(
    ctx: &Context,
    from_env: bool,
    first: &str,
    second: &str,
) -> Result<String, Error> {
    if from_env {
        return env_password()
            .ok_or_else(|| Error::new("--password-from-env given, but OC_PASS is empty!"));
    }
    if !ctx.env().interactive {
        return Err(Error::new(
            "Interactive input or --password-from-env is needed for entering a password!",
        ));
    }
    let p1 = ctx.prompt(first, true)?;
    let p2 = ctx.prompt(second, true)?;
    if p1 != p2 {
        return Err(Error::new("Passwords did not match!"));
    }
    if p1.is_empty() {
        return Err(Error::new("The password must not be empty."));
    }
    Ok(p1)
}
