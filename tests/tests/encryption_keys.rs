//! The encryption commands that move or replace keys (`change-key-storage-root`,
//! `recreate-master-key`, `migrate`/`migrate-keys`), ownCloud's own encrypted instance
//! decrypted in place by `decrypt-all`, the help texts against ownCloud's (`wave2/B6_help_*`),
//! and the log kept free of keys and plaintext.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use occ_tests::{assert_ok, query_sqlite, Instance};
use sha2::{Digest, Sha256};

fn app_value(i: &Instance, app: &str, key: &str) -> Option<String> {
    i.query(&format!(
        "SELECT configvalue FROM oc_appconfig WHERE appid = '{app}' AND configkey = '{key}'"
    ))
    .first()
    .and_then(|r| r["configvalue"].as_str().map(str::to_string))
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn change_key_storage_root_moves_every_key_and_the_files_still_open() {
    let i = Instance::installed();
    i.add_user("bob");
    i.put_files(
        "bob",
        &[("a.txt", &b"bob's file"[..]), ("d/b.txt", &b"another"[..])],
    );
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    assert_eq!(i.run(&["encryption:encrypt-all", "-y"]).code, 0);
    let data = i.root().join("data");
    let before = (i.dump(), files_under(&data));

    // No root and no answer: nothing (ownCloud's default answer is no).
    assert_ok(&i.run(&["encryption:change-key-storage-root", "-n"]), "");
    // A root that is not there, one outside the data folder, a target already taken.
    let o = i.run(&["encryption:change-key-storage-root", "keys"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (
            "Change key storage root from default storage location to keys\nStart to move keys:\n",
            1
        )
    );
    assert!(o.stderr.contains("New root folder doesn't exist. Please create the folder or check the permissions and try again."), "{o:?}");
    let o = i.run(&["encryption:change-key-storage-root", "../elsewhere"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains(
            "Invalid key storage root \"../elsewhere\": it must stay inside the data folder"
        ),
        "{o:?}"
    );
    fs::create_dir_all(data.join("keys/bob/files_encryption")).unwrap();
    let o = i.run(&["encryption:change-key-storage-root", "keys"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("keys/bob/files_encryption' already exists"),
        "{o:?}"
    );
    fs::remove_dir_all(data.join("keys/bob")).unwrap();
    assert_eq!(
        (i.dump(), files_under(&data)),
        (before.0.clone(), before.1.clone())
    );

    assert_ok(&i.run(&["encryption:change-key-storage-root", "keys"]),
        "Change key storage root from default storage location to keys\nStart to move keys:\n\nKey storage root successfully changed to keys\n",
    );
    let moved = files_under(&data.join("keys"));
    let id = app_value(&i, "encryption", "masterKeyId").unwrap();
    for want in [
        format!("files_encryption/OC_DEFAULT_MODULE/{id}.privateKey"),
        format!("bob/files_encryption/keys/files/a.txt/OC_DEFAULT_MODULE/{id}.shareKey"),
        "bob/files_encryption/keys/files/d/b.txt/OC_DEFAULT_MODULE/fileKey".into(),
        ".oc_key_storage".into(),
    ] {
        assert!(moved.contains(&want), "{want}: {moved:?}");
    }
    assert_eq!(
        fs::read_to_string(data.join("keys/.oc_key_storage")).unwrap(),
        "ownCloud will detect this folder as key storage root only if this file exists"
    );
    assert!(!data.join("files_encryption").exists());
    assert!(!data.join("bob/files_encryption").exists());
    assert_ok(
        &i.run(&["encryption:show-key-storage-root"]),
        "Current key storage root:  keys\n",
    );
    assert_ok(
        &i.run(&["encryption:change-key-storage-root", "/keys/"]),
        "The key storage root is already keys: nothing to move\n",
    );
    // Files encrypted from now on get their keys there, and everything decrypts from there.
    i.put_files("bob", &[("new.txt", b"new")]);
    assert_eq!(i.run(&["encryption:encrypt-all", "-y"]).code, 0);
    assert!(data
        .join("keys/bob/files_encryption/keys/files/new.txt/OC_DEFAULT_MODULE/fileKey")
        .exists());
    assert_eq!(i.run(&["encryption:decrypt-all", "-c", "yes"]).code, 0);
    assert_eq!(
        fs::read(data.join("bob/files/a.txt")).unwrap(),
        b"bob's file"
    );
    assert_eq!(fs::read(data.join("bob/files/new.txt")).unwrap(), b"new");
    // And back, asked for no root (the reset question needs a terminal: -n says no).
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    assert_ok(&i.run(&["encryption:change-key-storage-root", "/"]),
        "Change key storage root from keys to default storage location\nStart to move keys:\n\nKey storage root successfully changed to default storage location\n",
    );
    assert!(data
        .join("files_encryption/OC_DEFAULT_MODULE")
        .join(format!("{id}.privateKey"))
        .exists());
}

#[test]
fn recreate_master_key_replaces_the_key_and_every_file_opens_with_the_new_one() {
    let i = Instance::installed();
    let o = i.run(&["encryption:recreate-master-key", "-y"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Master key is not enabled.\n\n", 3)
    );
    i.put_files(
        "admin",
        &[("a.txt", &b"first"[..]), ("b/c.bin", &[7u8; 20000][..])],
    );
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    assert_eq!(i.run(&["encryption:encrypt-all", "-y"]).code, 0);
    let old = app_value(&i, "encryption", "masterKeyId").unwrap();
    let dump = i.dump();
    let o = i.run(&["encryption:recreate-master-key", "-n"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("The process is abandoned\n", 2)
    );
    assert_eq!(i.dump(), dump);

    let o = i.run(&["encryption:recreate-master-key", "-y"]);
    let want = "Decryption started\n\nprepare encryption modules...\n\nPrepare \"Default encryption module\"\n\nUsing master key for decryption\n done.\n\n\n\n\n\n\n\n\nall files could be decrypted successfully!\n\nDecryption completed\n\nWaiting for creating new masterkey\n\nNew masterkey created successfully\n\nEncryption started\n\n\n\nEncrypt all files with the Default encryption module\n====================================================\n\n\nUse master key to encrypt all files.\n\n\nStart to encrypt users files\n----------------------------\n\n\n\n\n\n\nEncryption completed successfully\n\n\nNote: All users are required to relogin.\n\n";
    assert_ok(&o, want);
    let new = app_value(&i, "encryption", "masterKeyId").unwrap();
    assert_ne!(new, old);
    let suffix = new.strip_prefix("master_").unwrap();
    assert_eq!(
        app_value(&i, "encryption", "publicShareKeyId"),
        Some(format!("pubShare_{suffix}"))
    );
    assert_eq!(
        app_value(&i, "core", "encryption_enabled").as_deref(),
        Some("yes")
    );
    let system = files_under(&i.root().join("data/files_encryption/OC_DEFAULT_MODULE"));
    assert_eq!(
        system,
        [
            format!("{new}.privateKey"),
            format!("{new}.publicKey"),
            format!("pubShare_{suffix}.privateKey"),
            format!("pubShare_{suffix}.publicKey"),
        ]
    );
    let keys = files_under(&i.root().join("data/admin/files_encryption/keys"));
    assert_eq!(
        keys,
        [
            "files/a.txt/OC_DEFAULT_MODULE/fileKey".to_string(),
            format!("files/a.txt/OC_DEFAULT_MODULE/{new}.shareKey"),
            "files/b/c.bin/OC_DEFAULT_MODULE/fileKey".into(),
            format!("files/b/c.bin/OC_DEFAULT_MODULE/{new}.shareKey"),
        ]
    );
    assert!(fs::read(i.root().join("data/admin/files/a.txt"))
        .unwrap()
        .starts_with(b"HBEGIN:"));
    assert_eq!(i.run(&["encryption:decrypt-all", "-c", "yes"]).code, 0);
    assert_eq!(
        fs::read(i.root().join("data/admin/files/a.txt")).unwrap(),
        b"first"
    );
    assert_eq!(
        fs::read(i.root().join("data/admin/files/b/c.bin")).unwrap(),
        vec![7u8; 20000]
    );
}

#[test]
fn migrate_moves_owncloud_8_0_s_keys_to_8_1_s_places() {
    let i = Instance::installed();
    i.add_user("bob");
    i.put_files("bob", &[("a/b.txt", b"x")]);
    let d = i.root().join("data");
    let w = |p: &str, c: &str| {
        let p = d.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, c).unwrap();
    };
    // ownCloud 8.0's layout.
    w("files_encryption/pubShare_1.privateKey", "share private");
    w(
        "files_encryption/public_keys/pubShare_1.publicKey",
        "share public",
    );
    w("files_encryption/public_keys/bob.publicKey", "bob public");
    w("bob/files_encryption/bob.privateKey", "bob private");
    w("bob/files_encryption/keys/a/b.txt/fileKey", "file key");
    w(
        "bob/files_encryption/keys/a/b.txt/bob.shareKey",
        "share key",
    );
    w("bob/files_encryption/keys/gone.txt/fileKey", "orphan");
    w("bob/files_trashbin/x.d123", "trashed");
    w("bob/files_trashbin/keys/x.d123/fileKey", "trash key");
    for (app, key, value) in [
        ("files_encryption", "installed_version", "0.7.1"),
        ("files_encryption", "types", "filesystem"),
        ("files_encryption", "recoveryAdminEnabled", "1"),
    ] {
        i.exec(&format!("INSERT INTO oc_appconfig (appid, configkey, configvalue) VALUES ('{app}', '{key}', '{value}')"));
    }
    i.exec("INSERT INTO oc_preferences (userid, appid, configkey, configvalue) VALUES ('bob', 'files_encryption', 'recoveryEnabled', '1')");

    let o = i.run(&["encryption:migrate", "nobody"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("Unknown user nobody: nothing was changed"),
        "{o:?}"
    );

    assert_ok(&i.run(&["encryption:migrate"]),
        "Reorganize system folder structure\nMigrating keys for users on backend Database\n   admin\n   bob\n",
    );
    assert_eq!(
        files_under(&d.join("files_encryption")),
        [
            "OC_DEFAULT_MODULE/pubShare_1.privateKey",
            "OC_DEFAULT_MODULE/pubShare_1.publicKey"
        ]
    );
    assert_eq!(
        files_under(&d.join("bob/files_encryption")),
        [
            "OC_DEFAULT_MODULE/bob.privateKey",
            "OC_DEFAULT_MODULE/bob.publicKey",
            "keys/files/a/b.txt/OC_DEFAULT_MODULE/bob.shareKey",
            "keys/files/a/b.txt/OC_DEFAULT_MODULE/fileKey",
            "keys/files_trashbin/x.d123/OC_DEFAULT_MODULE/fileKey",
            // A key whose file is gone is left where it was, as ownCloud leaves it.
            "keys/gone.txt/fileKey",
        ]
    );
    assert_eq!(
        fs::read_to_string(
            d.join("bob/files_encryption/keys/files/a/b.txt/OC_DEFAULT_MODULE/fileKey")
        )
        .unwrap(),
        "file key"
    );
    assert_eq!(app_value(&i, "files_encryption", "installed_version"), None);
    assert_eq!(app_value(&i, "files_encryption", "types"), None);
    assert_eq!(
        app_value(&i, "encryption", "recoveryAdminEnabled").as_deref(),
        Some("1")
    );
    assert_eq!(
        i.query("SELECT appid, configvalue FROM oc_preferences WHERE userid = 'bob' AND configkey = 'recoveryEnabled'")
            .iter()
            .map(|r| format!("{}={}", r["appid"].as_str().unwrap(), r["configvalue"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        ["encryption=1"]
    );
    // Again, by the seed's name, for one user: nothing left to move.
    let dump = (i.dump(), files_under(&d));
    assert_ok(
        &i.run(&["encryption:migrate-keys", "bob"]),
        "Migrating keys   bob\n",
    );
    assert_eq!((i.dump(), files_under(&d)), dump);
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/oc10")
}

/// A string value of config.php (`'key' => 'value',`).
fn config_value(config: &str, key: &str) -> String {
    let start = config.find(&format!("'{key}' => '")).unwrap() + key.len() + 7;
    let end = config[start..].find('\'').unwrap();
    config[start..start + end].to_string()
}

fn copy_tree(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp {} {}", from.display(), to.display());
}

#[test]
fn owncloud_s_encrypted_files_are_adopted_and_decrypt_all_restores_them() {
    let tmp = tempfile::tempdir().unwrap();
    let ok_tar = Command::new("tar")
        .arg("-xzf")
        .arg(fixture().join("oc10-encrypted.tar.gz"))
        .arg("-C")
        .arg(tmp.path())
        .status()
        .unwrap()
        .success();
    assert!(ok_tar);
    let oc = tmp.path();
    let i = Instance::installed();
    // The instance takes over ownCloud's data: its secret and id open the master key.
    let php = fs::read_to_string(oc.join("config/config.php")).unwrap();
    let mut config = i.config();
    for key in ["secret", "instanceid"] {
        config.insert(key.into(), serde_json::json!(config_value(&php, key)));
    }
    fs::write(
        i.config_path(),
        serde_json::to_string_pretty(&config).unwrap() + "\n",
    )
    .unwrap();
    let data = i.root().join("data");
    copy_tree(&oc.join("data/files_encryption"), &data);
    for uid in ["alice", "bob"] {
        i.add_user(uid);
        fs::create_dir_all(data.join(uid)).unwrap();
        copy_tree(&oc.join("data").join(uid).join("files"), &data.join(uid));
        copy_tree(
            &oc.join("data").join(uid).join("files_encryption"),
            &data.join(uid),
        );
    }
    assert_eq!(i.run(&["files:scan", "--all"]).code, 0);
    // ownCloud's rows: which files are encrypted, at which version.
    for row in query_sqlite(
        &oc.join("data/owncloud.db"),
        "SELECT s.id AS s, f.path AS p, f.encrypted AS e FROM oc_filecache f JOIN oc_storages s ON s.numeric_id = f.storage WHERE f.encrypted > 0",
    ) {
        let uid = row["s"].as_str().unwrap().strip_prefix("home::").unwrap();
        i.exec(&format!(
            "UPDATE oc_filecache SET encrypted = {} WHERE path = '{}' AND storage = (SELECT numeric_id FROM oc_storages WHERE id = 'home::{uid}')",
            row["e"].as_i64().unwrap(),
            row["p"].as_str().unwrap().replace('\'', "''")
        ));
    }
    // Enabling adopts ownCloud's keys (never new ones).
    let o = i.run(&["encryption:enable"]);
    assert_eq!(o.code, 0, "{o:?}");
    let id = app_value(&i, "encryption", "masterKeyId").unwrap();
    assert!(data
        .join("files_encryption/OC_DEFAULT_MODULE")
        .join(format!("{id}.privateKey"))
        .exists());
    let want: BTreeMap<String, String> =
        fs::read_to_string(fixture().join("outputs-encrypted/plaintext-sha256.txt"))
            .unwrap()
            .lines()
            .map(|l| {
                let (h, p) = l.split_once("  ").unwrap();
                (p.to_string(), h.to_string())
            })
            .collect();
    let encrypted: Vec<u8> = fs::read(data.join("alice/files/Welcome.txt")).unwrap();
    // Nothing ownCloud encrypted is encrypted again.
    let o = i.run(&["encryption:encrypt-all", "-y", "--output=json"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.contains(&format!(
            "\"encrypted\":0,\"alreadyEncrypted\":{},",
            want.len()
        )),
        "{o:?}"
    );
    assert_eq!(
        fs::read(data.join("alice/files/Welcome.txt")).unwrap(),
        encrypted
    );

    let o = i.run(&["encryption:decrypt-all", "-c", "yes"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o
        .stdout
        .ends_with("all files could be decrypted successfully!\n"));
    for (path, hash) in &want {
        let bytes = fs::read(i.root().join(path)).unwrap();
        assert_eq!(&format!("{:x}", Sha256::digest(&bytes)), hash, "{path}");
    }
    // The rows hold the plaintext sizes, and no file key is left.
    let rows = i.query("SELECT path, size FROM oc_filecache WHERE path = 'files/Welcome.txt'");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["size"].as_i64(), Some(34));
    for uid in ["alice", "bob"] {
        assert_eq!(
            files_under(&data.join(uid).join("files_encryption/keys")),
            Vec::<String>::new()
        );
    }
    assert_eq!(
        i.run(&["encryption:status"]).stdout,
        "  - enabled: false\n  - defaultModule: OC_DEFAULT_MODULE\n"
    );
}

#[test]
fn no_key_or_plaintext_reaches_the_log_or_the_output() {
    let i = Instance::installed();
    assert_eq!(
        i.run(&[
            "config:system:set",
            "loglevel",
            "--value=0",
            "--type=integer"
        ])
        .code,
        0
    );
    let plain = b"TOP-SECRET-PLAINTEXT-4711";
    i.put_files("admin", &[("secret.txt", plain)]);
    let mut seen = String::new();
    for args in [
        &["encryption:enable", "-vvv"][..],
        &["encryption:encrypt-all", "-y", "-vvv"],
        &["encryption:decrypt-all", "-c", "yes", "-vvv"],
        &["encryption:enable", "-vvv"],
        &["encryption:recreate-master-key", "-y", "-vvv"],
    ] {
        let o = i.run(args);
        assert_eq!(o.code, 0, "{args:?}: {o:?}");
        seen.push_str(&o.stdout);
        seen.push_str(&o.stderr);
    }
    let log = fs::read_to_string(i.root().join("data/occ.log")).unwrap_or_default();
    let secret = i.config()["secret"].as_str().unwrap().to_string();
    // The real keys of the file: its file key and envelope key, opened with the master key.
    let c = i.config();
    let id = app_value(&i, "encryption", "masterKeyId").unwrap();
    let instanceid = c["instanceid"].as_str().unwrap();
    let master = occ_plugin_encryption::format::decrypt_private_key(
        &fs::read(
            i.root()
                .join("data/files_encryption/OC_DEFAULT_MODULE")
                .join(format!("{id}.privateKey")),
        )
        .unwrap(),
        &occ_plugin_encryption::format::private_key_passphrase(&secret, &id, instanceid, &secret),
    )
    .unwrap();
    let dir = i
        .root()
        .join("data/admin/files_encryption/keys/files/secret.txt/OC_DEFAULT_MODULE");
    let envelope = occ_plugin_encryption::format::open_envelope(
        &master,
        &fs::read(dir.join(format!("{id}.shareKey"))).unwrap(),
    )
    .unwrap();
    let file_key = occ_plugin_encryption::format::envelope_apply(
        &envelope,
        &fs::read(dir.join("fileKey")).unwrap(),
    )
    .unwrap();
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let b64 = |b: &[u8]| {
        use std::process::Stdio;
        let mut c = Command::new("base64")
            .arg("-w0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(c.stdin.as_mut().unwrap(), b).unwrap();
        String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap()
    };
    for text in [&seen, &log] {
        for needle in [
            String::from_utf8_lossy(plain).into_owned(),
            secret.clone(),
            "PRIVATE KEY".into(),
            hex(&file_key),
            b64(&file_key),
            hex(&envelope),
            b64(&envelope),
        ] {
            assert!(!text.contains(&needle), "{needle} in {text}");
        }
    }
}

#[test]
fn help_says_what_owncloud_says() {
    let i = Instance::installed();
    let reference = |name: &str| {
        let text = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/encryption/help")
                .join(format!("{name}.txt")),
        )
        .unwrap();
        text
    };
    for name in [
        "encrypt-all",
        "decrypt-all",
        "change-key-storage-root",
        "recreate-master-key",
        "migrate",
    ] {
        let o = i.run(&["help", &format!("encryption:{name}")]);
        assert_eq!(o.code, 0);
        let head = reference(name);
        let ours: String = o.stdout.split("\nOptions:\n").next().unwrap().to_string();
        let mut theirs: String = head.split("\nOptions:\n").next().unwrap().to_string();
        if name == "migrate" {
            // The seed's name, as Symfony lists an alias.
            theirs = theirs.replace(
                "[<user_id>...]\n",
                "[<user_id>...]\n  encryption:migrate-keys\n",
            );
        }
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn recreate_master_key_keeps_the_key_while_a_file_needs_it() {
    let i = Instance::installed();
    i.put_files(
        "admin",
        &[("good.txt", &b"good"[..]), ("bad.bin", &[9u8; 30000][..])],
    );
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    assert_eq!(i.run(&["encryption:encrypt-all", "-y"]).code, 0);
    let old = app_value(&i, "encryption", "masterKeyId").unwrap();
    let bad = i.root().join("data/admin/files/bad.bin");
    let mut bytes = fs::read(&bad).unwrap();
    bytes[8192 + 8192 + 10] ^= 1; // the second block
    fs::write(&bad, &bytes).unwrap();
    let o = i.run(&["encryption:recreate-master-key", "-y"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stdout
            .contains("           /admin/files/bad.bin - bad signature (block 1)\n"),
        "{o:?}"
    );
    assert!(o.stdout.ends_with("The master key was kept: files still need it. Encrypting again what was decrypted:\n1 files encrypted again with the kept key\n"), "{o:?}");
    assert_eq!(
        app_value(&i, "encryption", "masterKeyId"),
        Some(old.clone())
    );
    assert_eq!(
        app_value(&i, "core", "encryption_enabled").as_deref(),
        Some("yes")
    );
    assert!(i
        .root()
        .join("data/files_encryption/OC_DEFAULT_MODULE")
        .join(format!("{old}.privateKey"))
        .exists());
    assert!(fs::read(i.root().join("data/admin/files/good.txt"))
        .unwrap()
        .starts_with(b"HBEGIN:"));
    assert_eq!(fs::read(&bad).unwrap(), bytes);
}
