//! The `encryption:*` commands that manage the module, against ownCloud 10's outputs
//! (`wave2/B*`): status, list-modules, show-key-storage-root, set-default-module, enable (the
//! master and public share key pairs, in ownCloud's format and modes) and disable (refused while
//! encrypted files remain).

use std::fs;
use std::os::unix::fs::PermissionsExt;

use occ_plugin_encryption::format;
use occ_tests::{assert_ok, Instance};

fn mode(p: &std::path::Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn module_commands_say_what_owncloud_says() {
    let i = Instance::installed();
    // B00/B04, B05, B06, B06b, B07, B72 (without ownCloud's stray quote).
    let disabled = "  - enabled: false\n  - defaultModule: OC_DEFAULT_MODULE\n";
    assert_ok(&i.run(&["encryption:status"]), disabled);
    assert_ok(
        &i.run(&["encryption:list-modules"]),
        "  - OC_DEFAULT_MODULE: Default encryption module [default*]\n",
    );
    assert_ok(&i.run(&["encryption:list-modules", "--output=json"]),
        "{\"OC_DEFAULT_MODULE\":{\"displayName\":\"Default encryption module\",\"default\":true}}\n",
    );
    assert_ok(&i.run(&["encryption:list-modules", "--output=json_pretty"]),
        "{\n    \"OC_DEFAULT_MODULE\": {\n        \"displayName\": \"Default encryption module\",\n        \"default\": true\n    }\n}\n",
    );
    assert_ok(
        &i.run(&["encryption:show-key-storage-root"]),
        "Current key storage root:  default storage location (data/)\n",
    );
    assert_ok(
        &i.run(&["encryption:set-default-module", "OC_DEFAULT_MODULE"]),
        "\"OC_DEFAULT_MODULE\" is already the default module\n",
    );
    let before = i.dump();
    let o = i.run(&["encryption:set-default-module", "OTHER"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("The specified module \"OTHER\" does not exist\n", 1)
    );
    assert_eq!(i.dump(), before);
}

#[test]
fn enable_makes_the_key_pairs_and_disable_waits_for_decryption() {
    let mut i = Instance::installed();
    // B10, B13: the switch, the app config and the two key pairs.
    assert_ok(
        &i.run(&["encryption:enable"]),
        "Encryption enabled\n\nDefault module: OC_DEFAULT_MODULE\n",
    );
    let rows: Vec<String> = i
        .query("SELECT appid, configkey, configvalue FROM oc_appconfig WHERE (appid = 'encryption' AND configkey <> 'installed_version') OR configkey LIKE 'encryption%' ORDER BY appid, configkey")
        .iter()
        .map(|r| format!("{}|{}|{}", r["appid"].as_str().unwrap(), r["configkey"].as_str().unwrap(), r["configvalue"].as_str().unwrap()))
        .collect();
    let id = rows
        .iter()
        .find_map(|r| r.strip_prefix("encryption|masterKeyId|master_"))
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 8);
    assert_eq!(
        rows,
        [
            "core|encryption_enabled|yes".to_string(),
            "encryption|enabled|yes".into(),
            format!("encryption|masterKeyId|master_{id}"),
            format!("encryption|publicShareKeyId|pubShare_{id}"),
            format!("encryption|recoveryKeyId|recoveryKey_{id}"),
            "encryption|types|filesystem".into(),
            "encryption|useMasterKey|1".into(),
        ]
    );
    let dir = i.root().join("data/files_encryption/OC_DEFAULT_MODULE");
    assert_eq!(mode(&i.root().join("data/files_encryption")), 0o700);
    assert_eq!(mode(&dir), 0o700);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("master_{id}.privateKey"),
            format!("master_{id}.publicKey"),
            format!("pubShare_{id}.privateKey"),
            format!("pubShare_{id}.publicKey"),
        ]
    );
    for n in &names {
        assert_eq!(mode(&dir.join(n)), 0o600, "{n}");
    }
    // ownCloud's sizes: an RSA-4096 public key's PEM is 800 bytes; a private key file is the
    // 61-byte header and one block of its PKCS#8 PEM (3,429 bytes in ownCloud's fixture; the
    // DER of a key's integers varies by a few bytes).
    assert_eq!(fs::metadata(dir.join(&names[1])).unwrap().len(), 800);
    let private_len = fs::metadata(dir.join(&names[0])).unwrap().len();
    assert!((3420..=3440).contains(&private_len), "{private_len}");
    // The master private key opens with the instance's secret, as ownCloud opens it.
    let c = i.config();
    let secret = c["secret"].as_str().unwrap();
    let instanceid = c["instanceid"].as_str().unwrap();
    let master = format!("master_{id}");
    let private = format::decrypt_private_key(
        &fs::read(dir.join(&names[0])).unwrap(),
        &format::private_key_passphrase(secret, &master, instanceid, secret),
    )
    .unwrap();
    let public = fs::read_to_string(dir.join(&names[1])).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(
        format::public_key_pem(&private.to_public_key()).unwrap(),
        public
    );
    format::decrypt_private_key(
        &fs::read(dir.join(&names[2])).unwrap(),
        &format::private_key_passphrase("", "", instanceid, secret),
    )
    .unwrap();

    // B11, B11b, B12, B12b: enabled; enabling again keeps the keys.
    assert_ok(
        &i.run(&["encryption:status"]),
        "  - enabled: true\n  - defaultModule: OC_DEFAULT_MODULE\n",
    );
    assert_ok(
        &i.run(&["encryption:status", "--output=json"]),
        "{\"enabled\":true,\"defaultModule\":\"OC_DEFAULT_MODULE\"}\n",
    );
    assert_ok(
        &i.run(&["config:app:get", "encryption", "useMasterKey"]),
        "1\n",
    );
    let key = fs::read(dir.join(&names[0])).unwrap();
    assert_ok(
        &i.run(&["encryption:enable"]),
        "Encryption is already enabled\n\nDefault module: OC_DEFAULT_MODULE\n",
    );
    assert_eq!(fs::read(dir.join(&names[0])).unwrap(), key);
    // A lost public key is made again from the private key, never a new pair.
    fs::remove_file(dir.join(&names[1])).unwrap();
    assert_eq!(i.run(&["encryption:enable"]).code, 0);
    assert_eq!(fs::read(dir.join(&names[0])).unwrap(), key);
    assert_eq!(fs::read_to_string(dir.join(&names[1])).unwrap(), public);
    // A private key that does not open (another secret) is never replaced.
    let mut changed = i.config();
    changed.insert("secret".into(), serde_json::json!("another-secret"));
    fs::write(
        i.config_path(),
        serde_json::to_string_pretty(&changed).unwrap() + "\n",
    )
    .unwrap();
    let o = i.run(&["encryption:enable"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("does not open with this instance's secret"),
        "{o:?}"
    );
    assert_eq!(fs::read(dir.join(&names[0])).unwrap(), key);
    fs::write(
        i.config_path(),
        serde_json::to_string_pretty(&c).unwrap() + "\n",
    )
    .unwrap();
    // A public key without its private key: refused, nothing written.
    fs::rename(dir.join(&names[0]), i.root().join("kept")).unwrap();
    let o = i.run(&["encryption:enable"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("has no private key beside it"), "{o:?}");
    assert!(!dir.join(&names[0]).exists());
    fs::rename(i.root().join("kept"), dir.join(&names[0])).unwrap();

    // B84 (with the count): not while a file is encrypted.
    i.set_env("OC_PASS", "bob-pass-12");
    assert_eq!(i.run(&["user:add", "--password-from-env", "bob"]).code, 0);
    fs::create_dir_all(i.root().join("data/bob/files")).unwrap();
    fs::write(i.root().join("data/bob/files/a.txt"), "a").unwrap();
    assert_eq!(i.run(&["files:scan", "bob"]).code, 0);
    i.exec("UPDATE oc_filecache SET encrypted = 1 WHERE name = 'a.txt'");
    let before = i.dump();
    let o = i.run(&["encryption:disable"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("The system still has 1 encrypted file. Please decrypt them all before disabling encryption.\n", 1)
    );
    assert_eq!(i.dump(), before);
    i.exec("UPDATE oc_filecache SET encrypted = 0 WHERE name = 'a.txt'");

    // B87, B51, B52, B53.
    assert_ok(
        &i.run(&["encryption:disable"]),
        "Cleaned up config\nEncryption disabled\n",
    );
    assert_ok(
        &i.run(&["encryption:status"]),
        "  - enabled: false\n  - defaultModule: OC_DEFAULT_MODULE\n",
    );
    assert_ok(
        &i.run(&["encryption:disable"]),
        "Cleaned up config\nEncryption is already disabled\n",
    );
    assert_eq!(
        i.run(&["config:app:get", "encryption", "useMasterKey"])
            .code,
        1
    );
}
