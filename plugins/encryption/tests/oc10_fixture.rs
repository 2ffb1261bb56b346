//! The proof that the format is ownCloud's: the instance ownCloud 10.15.2 encrypted itself
//! (`tests/fixtures/oc10/`, master-key mode, encryption app 1.6.1) opens with its
//! config's `secret`, every one of its 50 files decrypts to the plaintext ownCloud recorded
//! (SHA-256), and encrypting that plaintext again with the same file key and IVs gives the
//! very bytes ownCloud wrote.

#![allow(clippy::unwrap_used)] // a test: a failure is the report

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use occ_plugin_encryption::format::{
    self, decrypt_private_key, open_file_key, private_key_passphrase, BLOCK_SIZE, HEADER_SIZE,
};
use sha2::{Digest, Sha256};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/oc10")
}

fn extract() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new("tar")
        .arg("-xzf")
        .arg(fixture().join("oc10-encrypted.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap()
        .success();
    assert!(ok, "tar");
    dir
}

/// A string value of config.php (`'key' => 'value',`).
fn config_value(config: &str, key: &str) -> String {
    let start = config.find(&format!("'{key}' => '")).unwrap() + key.len() + 7;
    let end = config[start..].find('\'').unwrap();
    config[start..start + end].to_string()
}

#[test]
fn owncloud_s_encrypted_instance_decrypts_and_encrypts_byte_for_byte() {
    let dir = extract();
    let root = dir.path();
    let config = std::fs::read_to_string(root.join("config/config.php")).unwrap();
    let secret = config_value(&config, "secret");
    let instanceid = config_value(&config, "instanceid");
    let keys = root.join("data/files_encryption/OC_DEFAULT_MODULE");
    let master_id = std::fs::read_dir(&keys)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find_map(|n| {
            n.strip_prefix("master_")?
                .strip_suffix(".privateKey")
                .map(|id| format!("master_{id}"))
        })
        .unwrap();
    let master = decrypt_private_key(
        &std::fs::read(keys.join(format!("{master_id}.privateKey"))).unwrap(),
        &private_key_passphrase(&secret, &master_id, &instanceid, &secret),
    )
    .unwrap();
    // The public share key opens with an empty password and uid.
    let share_id = master_id.replacen("master_", "pubShare_", 1);
    decrypt_private_key(
        &std::fs::read(keys.join(format!("{share_id}.privateKey"))).unwrap(),
        &private_key_passphrase("", "", &instanceid, &secret),
    )
    .unwrap();
    // And not with another secret.
    assert!(decrypt_private_key(
        &std::fs::read(keys.join(format!("{master_id}.privateKey"))).unwrap(),
        &private_key_passphrase("not-the-secret", &master_id, &instanceid, "not-the-secret"),
    )
    .is_err());

    // Each file's version is its oc_filecache.encrypted.
    let db = rusqlite::Connection::open(root.join("data/owncloud.db")).unwrap();
    let mut versions = BTreeMap::new();
    let mut st = db
        .prepare("SELECT s.id, f.path, f.encrypted, f.size FROM oc_filecache f JOIN oc_storages s ON s.numeric_id = f.storage WHERE f.path LIKE 'files/%'")
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (storage, path, version, size) = row.unwrap();
        let uid = storage.strip_prefix("home::").unwrap().to_string();
        versions.insert(format!("data/{uid}/{path}"), (version as u64, size as u64));
    }

    let sums =
        std::fs::read_to_string(fixture().join("outputs-encrypted/plaintext-sha256.txt")).unwrap();
    let mut checked = 0;
    for line in sums.lines() {
        let (want, rel) = line.split_once("  ").unwrap();
        let mut parts = rel.splitn(4, '/');
        let (_, uid, _, inner) = (
            parts.next(),
            parts.next().unwrap(),
            parts.next(),
            parts.next().unwrap(),
        );
        let kdir = root
            .join("data")
            .join(uid)
            .join("files_encryption/keys/files")
            .join(inner)
            .join("OC_DEFAULT_MODULE");
        let key = open_file_key(
            &master,
            &std::fs::read(kdir.join(format!("{master_id}.shareKey"))).unwrap(),
            &std::fs::read(kdir.join("fileKey")).unwrap(),
        )
        .unwrap();
        let (version, size) = versions[rel];
        let data = std::fs::read(root.join(rel)).unwrap();
        let plain = format::decrypt_file(&key, version, size, &data).unwrap();
        let mut streamed = Vec::new();
        format::decrypt_stream(
            &key,
            version,
            size,
            &mut std::io::Cursor::new(&data),
            &mut streamed,
        )
        .unwrap();
        assert!(streamed == plain, "{rel}");
        assert_eq!(hex::encode(Sha256::digest(&plain)), want, "{rel}");
        assert_eq!(plain.len() as u64, size, "{rel}");
        assert_eq!(format::encrypted_size(size), data.len() as u64, "{rel}");
        // The same key and IVs give ownCloud's bytes.
        let mut ivs = data[HEADER_SIZE..].chunks(BLOCK_SIZE).map(|b| {
            let meta = &b[b.len() - 96..b.len() - 3];
            let mut iv = [0u8; 16];
            iv.copy_from_slice(&meta[6..22]);
            iv
        });
        let again =
            format::encrypt_file(&key, version, &plain, &mut || Ok(ivs.next().unwrap())).unwrap();
        let first = again.iter().zip(&data).position(|(a, b)| a != b);
        assert!(
            again == data,
            "{rel} is not encrypted as ownCloud does: lengths {} {}, first difference at {first:?}",
            again.len(),
            data.len()
        );
        checked += 1;
    }
    assert_eq!(checked, 50);
}
