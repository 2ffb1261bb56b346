//! User accounts in the database backend (`oc_users`, `oc_accounts`) and their preferences
//! (`oc_preferences`): the uid rules, one row struct per table ([`UserRow`], the users table
//! joined with its account; [`PreferenceRow`]), and the operations behind the `user:*`
//! commands and core's user services. Group memberships are written through [`crate::groups`]
//! (this module calls it; it never calls this one). Every change happens in one transaction;
//! slow work (password hashing, [`crate::password`]) happens before it.

use std::borrow::Cow;

use occ_plugin_api::{for_each_row, Context, Db, DbKind, Error};
use serde_json::{json, Map, Value};

use crate::time::now;
use crate::{groups, sql};

/// The backend name ownCloud reports for database users.
pub const DATABASE_BACKEND: &str = "OC\\User\\Database";

/// Characters allowed in a user id besides ASCII letters and digits (ownCloud's rule).
pub const UID_EXTRA: &str = "+_.@-'";

/// Checks a user id: 1-64 characters of `a-z A-Z 0-9 +_.@-'`.
pub fn validate_uid(uid: &str) -> Result<(), String> {
    if uid.is_empty() {
        return Err("The user name must not be empty.".into());
    }
    if uid.chars().count() > 64 {
        return Err("The user name must not be longer than 64 characters.".into());
    }
    if !uid
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || UID_EXTRA.contains(c))
    {
        return Err(format!(
            "Invalid user name \"{}\": only the following characters are allowed in a user name: \"a-z\", \"A-Z\", \"0-9\", and \"+_.@-'\"",
            uid.escape_default()
        ));
    }
    if uid == "." || uid == ".." {
        return Err(format!("Invalid user name \"{uid}\"."));
    }
    Ok(())
}

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
    /// Quota (none: the default).
    pub quota: Option<String>,
    /// When the account was made (Unix time).
    pub creation_time: i64,
}

/// One row of `oc_users` with the columns of its `oc_accounts` row (a user without an account
/// row has them NULL): how every query of users is decoded. Only `uid` is required; a query
/// may select fewer columns (they are then `None`).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct UserRow {
    /// `oc_users.uid`.
    pub uid: String,
    /// `oc_users.displayname` (NULL or empty: none).
    #[serde(default)]
    pub displayname: Option<String>,
    /// `oc_accounts.email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `oc_accounts.state` (2: disabled).
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub state: Option<i64>,
    /// `oc_accounts.last_login`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub last_login: Option<i64>,
    /// `oc_accounts.home`.
    #[serde(default)]
    pub home: Option<String>,
    /// `oc_accounts.backend`.
    #[serde(default)]
    pub backend: Option<String>,
    /// `oc_accounts.quota`.
    #[serde(default)]
    pub quota: Option<String>,
    /// `oc_accounts.creation_time`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub creation_time: Option<i64>,
}

/// The name a user is shown by: its display name, or its uid when that is NULL or empty.
pub fn display_name<'a>(uid: &'a str, displayname: Option<&'a str>) -> &'a str {
    displayname.filter(|d| !d.is_empty()).unwrap_or(uid)
}

impl UserRow {
    /// The display name, or the uid when there is none.
    pub fn display_name(&self) -> &str {
        display_name(&self.uid, self.displayname.as_deref())
    }

    /// The user as the commands show it.
    pub fn into_user(self) -> User {
        User {
            display_name: self.display_name().to_string(),
            email: self.email.filter(|e| !e.is_empty()),
            enabled: self.state != Some(2),
            last_login: self.last_login.unwrap_or(0),
            home: self.home.unwrap_or_default(),
            backend: self.backend.unwrap_or_else(|| DATABASE_BACKEND.into()),
            quota: self.quota.filter(|q| !q.is_empty()),
            creation_time: self.creation_time.unwrap_or(0),
            uid: self.uid,
        }
    }
}

const SELECT_USER: &str = "SELECT u.uid, u.displayname, a.email, a.state, a.last_login, a.home, a.backend, a.quota, a.creation_time FROM *PREFIX*users u LEFT JOIN *PREFIX*accounts a ON a.user_id = u.uid";

/// Every backend's users as one relation `u` with [`SELECT_USER`]'s columns: core's
/// `oc_users` with their accounts, and the accounts other backends' syncs made (`user:sync`,
/// such as LDAP's), which have no `oc_users` row. Takes [`DATABASE_BACKEND`] as its parameter.
const ALL_USERS: &str = "(SELECT u.uid AS uid, u.displayname AS displayname, a.email AS email, a.state AS state, a.last_login AS last_login, a.home AS home, a.backend AS backend, a.quota AS quota, a.creation_time AS creation_time FROM *PREFIX*users u LEFT JOIN *PREFIX*accounts a ON a.user_id = u.uid UNION ALL SELECT a.user_id, a.display_name, a.email, a.state, a.last_login, a.home, a.backend, a.quota, a.creation_time FROM *PREFIX*accounts a WHERE a.backend <> ? AND NOT EXISTS (SELECT 1 FROM *PREFIX*users x WHERE x.uid = a.user_id)) u";

/// Whether any account belongs to another backend than core's (then lists read
/// [`ALL_USERS`]; else `oc_users` alone, the fast path).
fn other_backends(db: &Db<'_>) -> Result<bool, Error> {
    #[derive(serde::Deserialize)]
    struct One {}
    // Two ranges of the backend index (`<>` would scan every account).
    let rows: Vec<One> = db.query_as(
        "SELECT 1 AS one FROM *PREFIX*accounts WHERE backend < ? OR backend > ? LIMIT 1",
        &[json!(DATABASE_BACKEND), json!(DATABASE_BACKEND)],
    )?;
    Ok(!rows.is_empty())
}

/// A user by exact uid (of any backend).
pub fn get(db: &Db<'_>, uid: &str) -> Result<Option<User>, Error> {
    let rows: Vec<UserRow> =
        db.query_as(&format!("{SELECT_USER} WHERE u.uid = ?"), &[json!(uid)])?;
    if let Some(r) = rows.into_iter().next() {
        return Ok(Some(r.into_user()));
    }
    let rows: Vec<UserRow> = db.query_as(
        "SELECT a.user_id AS uid, a.display_name AS displayname, a.email, a.state, a.last_login, a.home, a.backend, a.quota, a.creation_time FROM *PREFIX*accounts a WHERE a.user_id = ? AND a.backend <> ?",
        &[json!(uid), json!(DATABASE_BACKEND)],
    )?;
    Ok(rows.into_iter().next().map(UserRow::into_user))
}

/// A user that must exist (`User does not exist` otherwise), after checking the uid's form.
pub fn require(db: &Db<'_>, uid: &str) -> Result<User, Error> {
    validate_uid(uid).map_err(Error::new)?;
    get(db, uid)?.ok_or_else(|| Error::new("User does not exist"))
}

/// `WHERE` clause and parameters matching users whose uid or display name contains `pattern`
/// (case-insensitive); nothing for an empty pattern.
fn pattern_filter(pattern: &str) -> (&'static str, Vec<Value>) {
    if pattern.is_empty() {
        return ("", Vec::new());
    }
    let like = sql::like_pattern(pattern);
    (
        " WHERE LOWER(u.uid) LIKE ? ESCAPE '!' OR LOWER(COALESCE(u.displayname, '')) LIKE ? ESCAPE '!'",
        vec![json!(like), json!(like)],
    )
}

/// The query of one page of users, by uid: `select` (over `*PREFIX*users u`) with the
/// pattern's filter.
fn page_query(select: &str, pattern: &str, limit: i64, offset: i64) -> (String, Vec<Value>) {
    let (filter, mut params) = pattern_filter(pattern);
    params.extend([json!(limit), json!(offset)]);
    (
        format!("{select}{filter} ORDER BY u.uid LIMIT ? OFFSET ?"),
        params,
    )
}

/// Users (of every backend) whose uid or display name contains `pattern`
/// (case-insensitive), by uid.
pub fn list(db: &Db<'_>, pattern: &str, limit: i64, offset: i64) -> Result<Vec<User>, Error> {
    let (sql, params) = if other_backends(db)? {
        let (sql, mut params) = page_query(
            &format!("SELECT u.uid, u.displayname, u.email, u.state, u.last_login, u.home, u.backend, u.quota, u.creation_time FROM {ALL_USERS}"),
            pattern,
            limit,
            offset,
        );
        params.insert(0, json!(DATABASE_BACKEND));
        (sql, params)
    } else {
        page_query(SELECT_USER, pattern, limit, offset)
    };
    let rows: Vec<UserRow> = db.query_as(&sql, &params)?;
    Ok(rows.into_iter().map(UserRow::into_user).collect())
}

/// Hands `each` the uid and display name (the uid when it has none) of each user `list` would
/// return, in order: what `user:list` prints, read without the accounts table, and borrowed
/// from the host's answer (no row or name is copied). The fast path: its borrowing row type
/// is the two first columns of [`UserRow`], and it applies the same [`display_name`] rule.
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
    let (sql, params) = if other_backends(db)? {
        let (sql, mut params) = page_query(
            &format!("SELECT u.uid, u.displayname FROM {ALL_USERS}"),
            pattern,
            limit,
            offset,
        );
        params.insert(0, json!(DATABASE_BACKEND));
        (sql, params)
    } else {
        page_query(
            "SELECT u.uid, u.displayname FROM *PREFIX*users u",
            pattern,
            limit,
            offset,
        )
    };
    db.query_with(&sql, &params, |rows| {
        for_each_row(rows, |n: Name<'_>| {
            each(&n.uid, display_name(&n.uid, n.displayname.as_deref()));
        })
    })
}

/// Members of a group with their display names (the uid when none is set), by uid. A member
/// without an `oc_users` row (another backend's user) is shown by its uid.
pub fn members_of_group(db: &Db<'_>, gid: &str) -> Result<Vec<(String, String)>, Error> {
    let rows: Vec<UserRow> = db.query_as(
        "SELECT g.uid, u.displayname FROM *PREFIX*group_user g LEFT JOIN *PREFIX*users u ON u.uid = g.uid WHERE g.gid = ? ORDER BY g.uid",
        &[json!(gid)],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let display = r.display_name().to_string();
            (r.uid, display)
        })
        .collect())
}

/// Accounts per backend class, in byte order of the names (as ownCloud lists them on
/// SQLite); database users without an account row count as the database backend's.
pub fn count_by_backend(db: &Db<'_>) -> Result<Vec<(String, i64)>, Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        backend: Option<String>,
        #[serde(default, deserialize_with = "crate::sql::int")]
        n: Option<i64>,
    }
    let rows: Vec<Row> = db.query_as(
        "SELECT backend, COUNT(*) AS n FROM *PREFIX*accounts GROUP BY backend",
        &[],
    )?;
    let mut out: Vec<(String, i64)> = rows
        .into_iter()
        .map(|r| {
            (
                r.backend.unwrap_or_else(|| DATABASE_BACKEND.into()),
                r.n.unwrap_or(0),
            )
        })
        .collect();
    let bare: Vec<Row> = db.query_as(
        "SELECT NULL AS backend, COUNT(*) AS n FROM *PREFIX*users u WHERE NOT EXISTS (SELECT 1 FROM *PREFIX*accounts a WHERE a.user_id = u.uid)",
        &[],
    )?;
    let bare = bare.first().and_then(|r| r.n).unwrap_or(0);
    match out.iter_mut().find(|(b, _)| b == DATABASE_BACKEND) {
        Some((_, n)) => *n += bare,
        None => out.push((DATABASE_BACKEND.into(), bare)),
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

/// Core's own users (`oc_users`, not other backends' accounts): uid and display name (the
/// uid when it has none), by uid.
pub fn database_users(db: &Db<'_>) -> Result<Vec<(String, String)>, Error> {
    let rows: Vec<UserRow> = db.query_as(
        "SELECT u.uid, u.displayname FROM *PREFIX*users u ORDER BY u.uid",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let d = r.display_name().to_string();
            (r.uid, d)
        })
        .collect())
}

/// Number of database users.
pub fn count(db: &Db<'_>) -> Result<i64, Error> {
    #[derive(serde::Deserialize)]
    struct Count {
        #[serde(default, deserialize_with = "crate::sql::int")]
        n: Option<i64>,
    }
    let rows: Vec<Count> = db.query_as("SELECT COUNT(*) AS n FROM *PREFIX*users", &[])?;
    Ok(rows.first().and_then(|c| c.n).unwrap_or(0))
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
/// Database users are compared through the uid index: a uid is ASCII (see [`validate_uid`]),
/// so every case variant of it sorts bytewise between its all-upper and all-lower forms, with
/// its first letter in one case or the other: two short index ranges instead of every user.
/// That order holds for SQLite's and MySQL's binary collations; PostgreSQL's may be
/// linguistic, so there every uid is compared.
pub fn taken(db: &Db<'_>, uid: &str) -> Result<bool, Error> {
    let lower = uid.to_ascii_lowercase();
    let bytewise = db.kind()? != DbKind::Pgsql;
    if bytewise {
        let upper = uid.to_ascii_uppercase();
        let split = upper.chars().next().map_or(0, char::len_utf8);
        let (upper_first, lower_first) = (&upper[..split], &lower[..split]);
        sql::exists(
            db,
            // Not BETWEEN: MariaDB 10.11 finds no row of a utf8mb4_bin key between bound
            // parameters (>= and <= it does).
            "SELECT user_id FROM *PREFIX*accounts WHERE lower_user_id = ? UNION SELECT uid FROM *PREFIX*users WHERE ((uid >= ? AND uid <= ?) OR (uid >= ? AND uid <= ?)) AND LOWER(uid) = ?",
            &[
                json!(lower),
                json!(upper),
                json!(format!("{upper_first}{}", &lower[split..])),
                json!(format!("{lower_first}{}", &upper[split..])),
                json!(lower),
                json!(lower),
            ],
        )
    } else {
        sql::exists(
            db,
            "SELECT user_id FROM *PREFIX*accounts WHERE lower_user_id = ? UNION SELECT uid FROM *PREFIX*users WHERE LOWER(uid) = ?",
            &[json!(lower), json!(lower)],
        )
    }
}

/// Creates a user whose uid [`taken`] found free, and adds it to its groups (creating the
/// missing ones) through [`crate::groups`]. Inside the transaction only the indexed checks run
/// again (exact uid, lower-cased account id; the accounts index is unique too), so a
/// concurrent `user:add` of the same name still fails cleanly.
pub fn create(db: &Db<'_>, u: &NewUser<'_>) -> Result<Created, Error> {
    db.transaction(|db| {
        let taken = sql::exists(
            db,
            "SELECT user_id FROM *PREFIX*accounts WHERE lower_user_id = ? UNION SELECT uid FROM *PREFIX*users WHERE uid = ?",
            &[json!(u.uid.to_lowercase()), json!(u.uid)],
        )?;
        if taken {
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
            if groups::create_if_missing(db, g)? {
                new_groups.push(g.clone());
            }
            groups::add_member(db, g, u.uid)?;
        }
        Ok(Created { new_groups })
    })
}

/// Removes a user's rows everywhere core keeps them: memberships (through
/// [`crate::groups`]), preferences, account and user.
pub fn delete(db: &Db<'_>, uid: &str) -> Result<(), Error> {
    db.transaction(|db| {
        groups::remove_user_everywhere(db, uid)?;
        for sql in [
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

/// An account as `user:sync` sees it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Account {
    /// `user_id`.
    pub user_id: String,
    /// `display_name`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `quota`.
    #[serde(default)]
    pub quota: Option<String>,
    /// `state` (1 enabled, 2 disabled).
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub state: Option<i64>,
    /// `backend`.
    pub backend: String,
    /// `last_login`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub last_login: Option<i64>,
}

impl Account {
    /// `uid, Display Name, email`, as `user:sync` names an account.
    pub fn label(&self) -> String {
        format!(
            "{}, {}, {}",
            self.user_id,
            display_name(&self.user_id, self.display_name.as_deref()),
            self.email.as_deref().unwrap_or("")
        )
    }
}

const SELECT_ACCOUNT: &str =
    "SELECT user_id, display_name, email, quota, state, backend, last_login FROM *PREFIX*accounts";

/// Every account, by uid.
pub fn accounts(db: &Db<'_>) -> Result<Vec<Account>, Error> {
    db.query_as(&format!("{SELECT_ACCOUNT} ORDER BY user_id"), &[])
}

/// A backend user's account as a sync leaves it: made if missing (enabled, its home under
/// the data directory), its display name, email and quota brought up to date.
pub struct Synced<'a> {
    /// The uid.
    pub uid: &'a str,
    /// The display name.
    pub display_name: &'a str,
    /// The email.
    pub email: Option<&'a str>,
    /// The quota (kept when `None`).
    pub quota: Option<&'a str>,
}

/// Writes synced accounts: inserts for the new, updates for the changed (`existing` by
/// lower-cased uid). Returns the uids that failed with why (an account of another backend).
pub fn sync_accounts(
    db: &Db<'_>,
    backend: &str,
    datadir: &str,
    existing: &std::collections::HashMap<String, Account>,
    users: &[Synced<'_>],
) -> Result<Vec<(String, String)>, Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut errors = Vec::new();
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for u in users {
        match existing.get(&u.uid.to_lowercase()) {
            Some(a) if a.backend != backend => errors.push((
                u.uid.to_string(),
                "Returned account has different backend to the requested backend for sync"
                    .to_string(),
            )),
            Some(a) => {
                // What the backend does not tell (no email, no quota) stays as it is.
                let quota = u.quota.map(str::to_string).or_else(|| a.quota.clone());
                let email = u.email.map(str::to_string).or_else(|| a.email.clone());
                if a.display_name.as_deref() != Some(u.display_name)
                    || a.email != email
                    || a.quota != quota
                {
                    updates.push((u.display_name, email, quota, a.user_id.clone()));
                }
            }
            None => inserts.push((
                u.email,
                u.uid,
                u.uid.to_lowercase(),
                u.display_name,
                u.quota,
                backend,
                format!("{}/{}", datadir.trim_end_matches('/'), u.uid),
                now,
            )),
        }
    }
    let tx = db.begin()?;
    tx.execute_many_of(
        "INSERT INTO *PREFIX*accounts (email, user_id, lower_user_id, display_name, quota, backend, home, creation_time, last_login, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 1)",
        &inserts,
    )?;
    tx.execute_many_of(
        "UPDATE *PREFIX*accounts SET display_name = ?, email = ?, quota = ? WHERE user_id = ?",
        &updates,
    )?;
    tx.commit()?;
    Ok(errors)
}

/// One row of `oc_preferences` (of one user): how every query of preferences is decoded.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct PreferenceRow {
    /// App id.
    pub appid: String,
    /// Setting key.
    pub configkey: String,
    /// Value (NULL: none).
    pub configvalue: Option<String>,
}

/// A user's setting; `None` when it is not set (or NULL).
pub fn preference(db: &Db<'_>, uid: &str, app: &str, key: &str) -> Result<Option<String>, Error> {
    let rows: Vec<PreferenceRow> = db.query_as(
        "SELECT appid, configkey, configvalue FROM *PREFIX*preferences WHERE userid = ? AND appid = ? AND configkey = ?",
        &[json!(uid), json!(app), json!(key)],
    )?;
    Ok(rows.into_iter().next().and_then(|r| r.configvalue))
}

/// A user's settings as `{app: {key: value}}`, by app and key, optionally for one app (`""`:
/// every app).
pub fn preferences(db: &Db<'_>, uid: &str, app: &str) -> Result<Map<String, Value>, Error> {
    let rows: Vec<PreferenceRow> = db.query_as(
        "SELECT appid, configkey, configvalue FROM *PREFIX*preferences WHERE userid = ? AND (? = '' OR appid = ?) ORDER BY appid, configkey",
        &[json!(uid), json!(app), json!(app)],
    )?;
    Ok(sql::group_by_app(
        rows.into_iter()
            .map(|r| (r.appid, r.configkey, r.configvalue)),
    ))
}

/// Sets (replaces) a user's setting, in one transaction.
pub fn set_preference(
    db: &Db<'_>,
    uid: &str,
    app: &str,
    key: &str,
    value: &str,
) -> Result<(), Error> {
    db.transaction(|db| {
        delete_preference(db, uid, app, key)?;
        db.execute(
            "INSERT INTO *PREFIX*preferences (userid, appid, configkey, configvalue) VALUES (?, ?, ?, ?)",
            &[json!(uid), json!(app), json!(key), json!(value)],
        )?;
        Ok(())
    })
}

/// Deletes a user's setting (nothing happens when it is not set).
pub fn delete_preference(db: &Db<'_>, uid: &str, app: &str, key: &str) -> Result<(), Error> {
    db.execute(
        "DELETE FROM *PREFIX*preferences WHERE userid = ? AND appid = ? AND configkey = ?",
        &[json!(uid), json!(app), json!(key)],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_rules() {
        assert!(validate_uid("layla").is_ok());
        assert!(validate_uid("a+b_c.d@e-f'g").is_ok());
        assert!(validate_uid("").is_err());
        assert!(validate_uid(&"a".repeat(65)).is_err());
        assert!(validate_uid("../x").is_err());
        assert!(validate_uid("a b").is_err());
        assert!(validate_uid("a\nb").is_err());
    }

    #[test]
    fn rows_decode_like_the_database_hands_them_back() {
        let row = |v: Value| serde_json::from_value::<UserRow>(v).unwrap().into_user();
        let full = row(json!({
            "uid": "layla", "displayname": "Layla", "email": "l@example.org", "state": 2,
            "last_login": "17", "home": "/d/layla", "backend": "LDAP", "quota": "2 GB",
            "creation_time": 1796023549
        }));
        assert_eq!(
            full,
            User {
                uid: "layla".into(),
                display_name: "Layla".into(),
                email: Some("l@example.org".into()),
                enabled: false,
                last_login: 17,
                home: "/d/layla".into(),
                backend: "LDAP".into(),
                quota: Some("2 GB".into()),
                creation_time: 1796023549,
            }
        );
        // No account row, NULL display name: as today, the uid and the database backend.
        let bare = row(json!({
            "uid": "x", "displayname": null, "email": null, "state": null,
            "last_login": null, "home": null, "backend": null
        }));
        assert_eq!(bare.display_name, "x");
        assert!(bare.enabled);
        assert_eq!(bare.last_login, 0);
        assert_eq!(bare.backend, DATABASE_BACKEND);
        // A join selecting only some columns; an empty display name counts as none.
        let member = row(json!({"uid": "y", "displayname": ""}));
        assert_eq!(member.display_name, "y");
        assert_eq!(member.email, None);
    }
}
