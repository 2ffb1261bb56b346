//! Core operations the commands share: user id rules, password hashing, the admin account.

use occ_plugin_api::{Context, Error};
use serde_json::json;

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

/// bcrypt cost; PHP's `password_hash` default, so ownCloud verifies and does not rehash.
pub const BCRYPT_COST: u32 = 10;

/// Hashes a password the way ownCloud 10 stores it: `1|` + PHP `password_hash` (bcrypt `$2y$`).
pub fn hash_password(password: &str) -> Result<String, Error> {
    let parts = bcrypt::hash_with_result(password, BCRYPT_COST)
        .map_err(|e| Error::new(format!("Cannot hash the password: {e}")))?;
    Ok(format!(
        "1|{}",
        parts.format_for_version(bcrypt::Version::TwoY)
    ))
}

/// Verifies a stored `1|...` hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let hash = stored.strip_prefix("1|").unwrap_or(stored);
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// Creates the first admin account (in group `admin`) inside the install transaction. Its
/// home directory is made on first use, as ownCloud does.
pub fn create_admin(ctx: &Context, uid: &str, password: &str, datadir: &str) -> Result<(), Error> {
    let hash = hash_password(password)?;
    let db = ctx.db();
    db.transaction(|db| {
        crate::users::create(
            db,
            &crate::users::NewUser {
                uid,
                hash: &hash,
                display_name: None,
                email: None,
                groups: &[crate::groups::ADMIN.to_string()],
                datadir,
            },
        )?;
        for (k, v) in [("installed_version", env!("CARGO_PKG_VERSION")), ("enabled", "yes")] {
            db.execute(
                "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES ('core', ?, ?)",
                &[json!(k), json!(v)],
            )?;
        }
        Ok(())
    })?;
    // ownCloud's marker that this is a data directory.
    std::fs::write(std::path::Path::new(datadir).join(".ocdata"), b"").map_err(|e| {
        Error::new(format!(
            "Cannot write into the data directory {datadir}: {e}"
        ))
    })?;
    Ok(())
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
    fn hash_is_owncloud_format_and_verifies() {
        let h = hash_password("S3cret-pass!").unwrap();
        assert!(h.starts_with("1|$2y$10$"), "{h}");
        assert_eq!(h.len(), 2 + 60);
        assert!(verify_password("S3cret-pass!", &h));
        assert!(!verify_password("wrong", &h));
    }
}
