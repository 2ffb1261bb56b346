//! Password hashes as ownCloud 10 stores them in `oc_users.password`: `1|` + PHP
//! `password_hash` (bcrypt `$2y$`). Hashing is slow on purpose: callers do it before they open
//! a transaction.

use occ_plugin_api::Error;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_owncloud_format_and_verifies() {
        let h = hash_password("S3cret-pass!").unwrap();
        assert!(h.starts_with("1|$2y$10$"), "{h}");
        assert_eq!(h.len(), 2 + 60);
        assert!(verify_password("S3cret-pass!", &h));
        assert!(!verify_password("wrong", &h));
    }
}
