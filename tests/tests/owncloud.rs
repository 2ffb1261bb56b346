//! An ownCloud 10.15.2 server administered in place (issue 18): ownCloud's own instance
//! (`tests/fixtures/oc10`), its `config/config.php` and its schema as they are. occ's outputs
//! are compared with what ownCloud's `php occ` printed for the same instance, and what occ
//! writes is read back in ownCloud's formats.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use occ_plugin_api::DbKind;
use occ_tests::{assert_ok, query_sqlite, test_db, Instance};
use serde_json::Value;

fn expected(name: &str) -> String {
    expected_in("outputs", name)
}

/// ownCloud's output `name` in `tests/fixtures/oc10/<dir>`.
fn expected_in(dir: &str, name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/oc10")
        .join(dir)
        .join(name);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Runs each command and compares its output with ownCloud's (`dir/file`, its paths moved).
fn assert_outputs(i: &Instance, dir: &str, cases: &[(&str, &[&str])]) {
    for (file, args) in cases {
        let o = i.run(args);
        let want = moved(&expected_in(dir, file), i);
        assert_eq!(o.code, 0, "{args:?}: {o:?}");
        assert_eq!(o.stdout.trim_end(), want.trim_end(), "{args:?}");
        assert_eq!(o.stderr, "", "{args:?}");
    }
}

/// ownCloud's output with its paths where this copy lives (JSON escapes `/` as `\/`).
fn moved(text: &str, i: &Instance) -> String {
    let root = i.root().display().to_string();
    text.replace("/var/www/owncloud", &root)
        .replace("\\/var\\/www\\/owncloud", &root.replace('/', "\\/"))
}

/// ownCloud's base instance (on PostgreSQL and MariaDB runs, converted there by
/// `db:convert-type`).
fn owncloud() -> Instance {
    Instance::owncloud("oc10-instance.tar.gz")
}

/// ownCloud's code as far as `app:list` reads it: `apps/<id>/appinfo/info.xml` for `apps`,
/// at the `apps_paths` config.php names (moved into the root).
fn owncloud_apps(i: &Instance, apps: &[(&str, &str)]) {
    let php = i.config_path();
    let text = fs::read_to_string(&php).unwrap();
    fs::write(&php, moved(&text, i)).unwrap();
    for (id, version) in apps {
        let dir = i.root().join("apps").join(id).join("appinfo");
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("info.xml"),
            format!("<?xml version=\"1.0\"?>\n<info><id>{id}</id><name>{id}</name><version>{version}</version></info>\n"),
        )
        .unwrap();
    }
}

/// The apps ownCloud's `app:list --output=json` listed, with their versions.
fn listed_apps(json: &str) -> Vec<(String, String)> {
    let apps: Value = serde_json::from_str(json).unwrap();
    let mut out = Vec::new();
    for list in apps.as_object().unwrap().values() {
        for (id, record) in list.as_object().unwrap() {
            let version = record
                .get("Version")
                .and_then(Value::as_str)
                .unwrap_or("1.0.0");
            out.push((id.clone(), version.to_string()));
        }
    }
    out
}

#[test]
fn occ_prints_what_owncloud_printed_for_its_own_instance() {
    let i = owncloud();
    let apps = listed_apps(&expected("occ-app-list.json"));
    let apps: Vec<(&str, &str)> = apps.iter().map(|(a, v)| (a.as_str(), v.as_str())).collect();
    owncloud_apps(&i, &apps);
    // Exactly as ownCloud printed them.
    assert_outputs(
        &i,
        "outputs",
        &[
            ("occ-status.txt", &["status"][..]),
            ("occ-status.json", &["status", "--output=json"]),
            ("occ-user-list.txt", &["user:list"]),
            ("occ-user-list.json", &["user:list", "--output=json"]),
            (
                "occ-user-list-all-attributes.json",
                &["user:list", "--show-all-attributes", "--output=json"],
            ),
            (
                "occ-user-list-alice-all-attributes.json",
                &[
                    "user:list",
                    "alice",
                    "--show-all-attributes",
                    "--output=json",
                ],
            ),
            (
                "occ-user-setting-alice.json",
                &["user:setting", "alice", "--output=json"],
            ),
            (
                "occ-user-setting-bob.json",
                &["user:setting", "bob", "--output=json"],
            ),
            ("occ-group-list.json", &["group:list", "--output=json"]),
            (
                "occ-group-list-members-staff.json",
                &["group:list-members", "staff", "--output=json"],
            ),
            (
                "occ-group-list-members-db-admins.json",
                &["group:list-members", "db-admins", "--output=json"],
            ),
            ("occ-app-list.txt", &["app:list"]),
            ("occ-app-list.json", &["app:list", "--output=json"]),
            (
                "occ-background-queue-status.txt",
                &["background:queue:status"],
            ),
        ],
    );
    // Where ownCloud's order is its database's row order, occ sorts (the same on every
    // database): the same values.
    let o = i.run(&["user:list-groups", "alice", "--output=json"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(o.stdout, "[\"db-admins\",\"staff\"]\n");
    let mut theirs: Vec<String> =
        serde_json::from_str(&expected("occ-user-list-groups-alice.json")).unwrap();
    theirs.sort();
    assert_eq!(theirs, ["db-admins", "staff"]);
    // config:list: on a converted copy, the config names the new database (masked).
    let with_db = |mut v: Value| {
        if test_db() != DbKind::Sqlite {
            let system = v["system"].as_object_mut().unwrap();
            system.insert("dbtype".into(), Value::from(test_db().as_str()));
            for k in ["dbhost", "dbname", "dbuser", "dbpassword"] {
                system.insert(k.into(), Value::from("***REMOVED SENSITIVE VALUE***"));
            }
            // ownCloud's tables on MariaDB are utf8mb4, and ownCloud is told so.
            if test_db() == DbKind::Mysql {
                system.insert("mysql.utf8mb4".into(), Value::Bool(true));
            }
        }
        v
    };
    let o = i.run(&["config:list", "system"]);
    assert_eq!(o.code, 0, "{o:?}");
    let theirs = moved(&expected("occ-config-list-system.json"), &i);
    if test_db() == DbKind::Sqlite {
        assert_eq!(o.stdout.trim_end(), theirs.trim_end());
    }
    let ours: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(ours, with_db(serde_json::from_str(&theirs).unwrap()));
    let o = i.run(&["config:list"]);
    assert_eq!(o.code, 0, "{o:?}");
    let ours: Value = serde_json::from_str(&o.stdout).unwrap();
    let theirs: Value =
        serde_json::from_str(&moved(&expected("occ-config-list-all.json"), &i)).unwrap();
    assert_eq!(ours, with_db(theirs));
    // ownCloud counts the user directories of its virtual root, where nothing is mounted
    // for the console: 0. occ counts those on disk: alice's and bob's.
    let o = i.run(&["user:report"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout,
        expected("occ-user-report.txt")
            .replace("| user directories | 0 |", "| user directories | 2 |")
    );
    // ownCloud 10 has no user:info: an unknown user is one line.
    let o = i.run(&["user:list-groups", "nobody"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, ""));
    assert_eq!(o.stderr, "User nobody does not exist.\n");
}

#[test]
fn reading_and_scanning_change_nothing_of_owncloud_s() {
    let i = owncloud();
    let before = i.dump();
    for args in [
        &["status"][..],
        &["check"],
        &["user:list", "--show-all-attributes"],
        &["group:list"],
        &["config:list"],
        &["app:list"],
        &["background:queue:status"],
        &["user:report"],
        &["files:scan", "--all"],
        &["files:cleanup"],
        &["maintenance:mode", "--on"],
        &["maintenance:repair"],
        &["maintenance:mode", "--off"],
    ] {
        let o = i.run(args);
        assert_eq!(o.code, 0, "{args:?}: {o:?}");
    }
    // ownCloud's own scan left the cache as the disk is: occ's finds nothing to change.
    assert_eq!(i.dump(), before);
    // No migration ran or is due: ownCloud's schema and versions are as they were.
    let o = i.run(&["status", "--exit-code"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = i.run(&["upgrade"]);
    assert_eq!(i.dump(), before, "{o:?}");
}

#[test]
fn what_occ_writes_owncloud_reads() {
    let i = owncloud();
    // A user, with the hash form ownCloud's Hasher verifies ("1|" and bcrypt), ownCloud's
    // backend class and home.
    let mut cmd = i.command(&[
        "user:add",
        "--password-from-env",
        "--display-name=Eve E",
        "--group=staff",
        "eve",
    ]);
    cmd.env("OC_PASS", "Eve-pass-55!");
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let users = i.query("SELECT uid, password FROM oc_users ORDER BY uid");
    let hash_of = |uid: &str| {
        users
            .iter()
            .find(|r| r["uid"] == uid)
            .and_then(|r| r["password"].as_str())
            .unwrap()
            .to_string()
    };
    // ownCloud's own hash and occ's read the same way.
    for (uid, pass) in [("alice", "Alice-pass-1!"), ("eve", "Eve-pass-55!")] {
        let h = hash_of(uid);
        let bare = h.strip_prefix("1|").unwrap_or(&h);
        assert!(bare.starts_with("$2y$10$"), "{uid}: {h}");
        assert!(bcrypt::verify(pass, bare).unwrap(), "{uid}");
    }
    let home = i.root().join("data/eve").display().to_string();
    let rows =
        i.query("SELECT backend, home, display_name, state FROM oc_accounts WHERE user_id = 'eve'");
    assert_eq!(
        serde_json::to_string(&rows).unwrap(),
        format!(
            "[{{\"backend\":\"OC\\\\User\\\\Database\",\"home\":\"{home}\",\"display_name\":\"Eve E\",\"state\":1}}]"
        )
    );
    assert_eq!(
        i.query("SELECT gid FROM oc_group_user WHERE uid = 'eve'")
            .len(),
        1
    );
    // Preferences and app config land in ownCloud's tables.
    assert_eq!(
        i.run(&["user:setting", "eve", "core", "lang", "--value=fr"])
            .code,
        0
    );
    assert_eq!(
        i.run(&["config:app:set", "files", "default_quota", "--value=1 GB"])
            .code,
        0
    );
    let o = i.run(&["user:setting", "eve", "--output=json"]);
    assert_eq!(o.stdout, "{\"core\":{\"lang\":\"fr\"}}\n");
    assert_eq!(
        i.query(
            "SELECT configvalue FROM oc_appconfig WHERE appid = 'files' AND configkey = 'default_quota'"
        )[0]["configvalue"],
        "1 GB"
    );

    // config.php, written as ownCloud writes it, with its mode kept.
    let php = i.config_path();
    fs::set_permissions(&php, fs::Permissions::from_mode(0o640)).unwrap();
    let before = fs::read_to_string(&php).unwrap();
    assert_ok(
        &i.run(&[
            "config:system:set",
            "trusted_domains",
            "2",
            "--value=files.example.org",
        ]),
        "System config value trusted_domains => 2 set to string files.example.org\n",
    );
    assert_eq!(i.run(&["maintenance:mode", "--on"]).code, 0);
    let after = fs::read_to_string(&php).unwrap();
    assert_eq!(
        after,
        before
            .replace(
                "    1 => 'cloud.example.org',\n  ),",
                "    1 => 'cloud.example.org',\n    2 => 'files.example.org',\n  ),"
            )
            .replace("'maintenance' => false,", "'maintenance' => true,")
    );
    assert_eq!(
        fs::metadata(&php).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let o = i.run(&["config:system:get", "trusted_domains"]);
    assert_eq!(
        o.stdout,
        "  - localhost\n  - cloud.example.org\n  - files.example.org\n"
    );
    if let Ok(out) = std::process::Command::new("php")
        .arg("-l")
        .arg(&php)
        .output()
    {
        assert!(out.status.success(), "php -l: {out:?}");
    }
    // Maintenance mode as ownCloud reads it: config.php's 'maintenance'.
    let o = i.run(&["status"]);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.stderr,
        "occ is in maintenance mode - no app have been loaded\n\n"
    );
    assert_eq!(i.run(&["maintenance:mode", "--off"]).code, 0);
    assert!(fs::read_to_string(&php)
        .unwrap()
        .contains("  'maintenance' => false,\n"));

    // A new file gets ownCloud's row: its etag is md5(mtime . inode . device . size), as
    // ownCloud's local storage makes it; its mimetype id is the existing one.
    let f = i.root().join("data/alice/files/Documents/new.txt");
    fs::write(&f, b"new\n").unwrap();
    assert_eq!(i.run(&["files:scan", "alice"]).code, 0);
    let meta = fs::metadata(&f).unwrap();
    use md5::{Digest, Md5};
    use std::os::unix::fs::MetadataExt;
    let etag = format!(
        "{:x}",
        Md5::digest(format!(
            "{}{}{}{}",
            meta.mtime(),
            meta.ino(),
            meta.dev(),
            meta.size()
        ))
    );
    let rows = i.query(
        "SELECT f.etag, f.permissions, m.mimetype, f.storage_mtime, f.mtime FROM oc_filecache f JOIN oc_mimetypes m ON m.id = f.mimetype WHERE f.path = 'files/Documents/new.txt'",
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["etag"], etag.as_str());
    assert_eq!(rows[0]["permissions"], 27);
    assert_eq!(rows[0]["mimetype"], "text/plain");
    assert_eq!(rows[0]["storage_mtime"], rows[0]["mtime"]);
    // The folders above it add its 4 bytes.
    let sizes = i.query(
        "SELECT path, size FROM oc_filecache WHERE storage = (SELECT numeric_id FROM oc_storages WHERE id = 'home::alice') AND path IN ('files', 'files/Documents') ORDER BY path",
    );
    let fixture = i.query(
        "SELECT COALESCE(SUM(size), 0) AS s FROM oc_filecache WHERE parent = (SELECT fileid FROM oc_filecache WHERE path = 'files/Documents' AND storage = (SELECT numeric_id FROM oc_storages WHERE id = 'home::alice'))",
    );
    assert_eq!(sizes[1]["size"], fixture[0]["s"]);
}

fn write_config(i: &Instance, text: &str) {
    fs::write(i.config_path(), text).unwrap();
}

#[test]
fn a_broken_config_php_or_database_is_one_line_and_nothing_is_written() {
    let i = owncloud();
    let php = i.config_path();
    let good = fs::read_to_string(&php).unwrap();
    let before = i.dump();
    // The comma after dbtype's value (line 12) left out.
    let broken: String = good
        .lines()
        .map(|l| match l.strip_prefix("  'dbtype' => ") {
            Some(v) => format!("  'dbtype' => {}\n", v.trim_end_matches(',')),
            None => format!("{l}\n"),
        })
        .collect();
    assert_ne!(broken, good);
    write_config(&i, &broken);
    for args in [
        &["user:list"][..],
        &["status"],
        &["config:system:set", "x", "--value=1"],
    ] {
        let o = i.run(args);
        assert_eq!((o.code, o.stdout.as_str()), (1, ""), "{args:?}");
        assert_eq!(
            o.stderr,
            format!(
                "Cannot read {}: line 13: expected `,` or `)`, found a string\n",
                php.display()
            ),
            "{args:?}"
        );
        assert_eq!(fs::read_to_string(&php).unwrap(), broken);
    }
    // Code is read nowhere and never rewritten.
    let code = good.replace("'loglevel' => 2,", "'loglevel' => getenv('LOGLEVEL'),");
    write_config(&i, &code);
    let o = i.run(&["config:system:set", "loglevel", "--value=1"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .starts_with(&format!("Cannot read {}: line ", php.display())),
        "{o:?}"
    );
    assert_eq!(o.stderr.lines().count(), 1, "{o:?}");
    assert_eq!(fs::read_to_string(&php).unwrap(), code);
    write_config(&i, &good);

    // A data directory that is not there.
    let data = i.root().join("data");
    let away = i.root().join("elsewhere");
    fs::rename(&data, &away).unwrap();
    let o = i.run(&["user:list"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "The data directory {} does not exist (datadirectory in {}); if it moved, run occ maintenance:data-dir <new directory>\n",
            data.display(),
            php.display()
        )
    );
    fs::rename(&away, &data).unwrap();

    // A database that cannot be opened: one line, and no password in it.
    if test_db() == DbKind::Sqlite {
        let db = data.join("owncloud.db");
        let saved = fs::read(&db).unwrap();
        fs::write(&db, b"not a database at all, not even close to one").unwrap();
        let o = i.run(&["user:list"]);
        assert_eq!(o.code, 1);
        assert_eq!(o.stderr.lines().count(), 1, "{o:?}");
        assert!(o.stderr.contains("not a database"), "{o:?}");
        fs::write(&db, saved).unwrap();
    } else {
        // (The test servers trust loopback: a database that is not there is what fails.)
        let name = i.config()["dbname"].as_str().unwrap().to_string();
        let wrong = good
            .replace(
                "'dbpassword' => 'ocpass',",
                "'dbpassword' => 'Wr0ng-secret',",
            )
            .replace(
                &format!("'dbname' => '{name}',"),
                "'dbname' => 'occ_no_such_db',",
            );
        assert_ne!(wrong, good);
        write_config(&i, &wrong);
        let o = i.run(&["user:list"]);
        assert_eq!((o.code, o.stdout.as_str()), (1, ""));
        assert_eq!(o.stderr.lines().count(), 1, "{o:?}");
        assert!(!o.stderr.contains("Wr0ng-secret"), "{o:?}");
        write_config(&i, &good);
    }

    // A version occ does not administer.
    for (version, says) in [
        ("9.1.8.5", "upgrade it with ownCloud's own occ first"),
        ("10.16.0.0", "leaves a newer schema alone"),
    ] {
        write_config(&i, &good.replace("'10.15.2.0'", &format!("'{version}'")));
        let o = i.run(&["user:list"]);
        assert_eq!(o.code, 1);
        assert_eq!(o.stderr.lines().count(), 1, "{o:?}");
        assert!(o.stderr.contains(says), "{o:?}");
    }
    write_config(&i, &good);
    assert_eq!(i.dump(), before);

    // A table ownCloud never made is named, not a database error.
    i.exec("DROP TABLE oc_jobs");
    let o = i.run(&["background:queue:status"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, ""));
    assert_eq!(
        o.stderr,
        "The table oc_jobs does not exist in this ownCloud instance's database: enable the ownCloud app that makes it with ownCloud's own occ first (occ does not change ownCloud's schema)\n"
    );
}

#[test]
fn config_php_of_another_user_is_refused_as_owncloud_refuses_it() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: needs root to give the config to another user");
        return;
    }
    let i = owncloud();
    let php = i.config_path();
    let before = fs::read_to_string(&php).unwrap();
    nix::unistd::chown(&php, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    let o = i.run(&["config:system:set", "loglevel", "--value=0"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, ""));
    let nobody = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(65534))
        .unwrap()
        .map(|u| u.name)
        .unwrap_or_else(|| "65534".into());
    assert_eq!(
        o.stderr,
        format!("Console has to be executed with the user that owns the file config/config.php\nCurrent user: root\nOwner of config.php: {nobody}\nTry adding 'sudo -u {nobody} ' to the beginning of the command (without the single quotes)\n")
    );
    assert_eq!(fs::read_to_string(&php).unwrap(), before);
}

/// The instance's storage ids, sorted.
fn storage_ids(i: &Instance) -> Vec<String> {
    let mut ids: Vec<String> = i
        .query("SELECT id FROM oc_storages")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_data_directory_moves_with_its_stored_paths_and_back() {
    let i = owncloud();
    let data = i.root().join("data");
    let before = i.dump();
    let short = storage_ids(&i);
    assert!(short.contains(&format!("local::{}/", data.display())));
    // A path long enough that ownCloud stores the ids as md5.
    let long: PathBuf = i
        .root()
        .join("a-data-directory-whose-path-is-long-enough-for-md5-ids");
    fs::rename(&data, &long).unwrap();
    let o = i.run(&["maintenance:data-dir", long.to_str().unwrap()]);
    assert_ok(
        &o,
        &format!(
            "The data directory is now {} (was {}):\n  - datadirectory in {}\n  - 5 home paths in oc_accounts\n  - 6 storage ids in oc_storages\n",
            long.display(),
            data.display(),
            i.config_path().display()
        ),
    );
    let rows = if test_db() == DbKind::Sqlite {
        query_sqlite(&long.join("owncloud.db"), "SELECT id FROM oc_storages")
    } else {
        i.query("SELECT id FROM oc_storages")
    };
    let root_id = format!("local::{}/", long.display());
    assert!(root_id.len() > 64);
    use md5::{Digest, Md5};
    let md5 = format!("{:x}", Md5::digest(root_id.as_bytes()));
    assert!(rows.iter().any(|r| r["id"] == md5.as_str()), "{rows:?}");
    let o = i.run(&[
        "user:list",
        "alice",
        "--show-all-attributes",
        "--output=json",
    ]);
    assert!(
        o.stdout.contains(&format!(
            "\"home\":\"{}\\/alice\"",
            long.display().to_string().replace('/', "\\/")
        )),
        "{o:?}"
    );
    // Back: every stored path as it was, md5 ids included.
    fs::rename(&long, &data).unwrap();
    assert_eq!(
        i.run(&["maintenance:data-dir", data.to_str().unwrap()])
            .code,
        0
    );
    assert_eq!(i.dump(), before);
    // Nothing to do, and what is no data directory.
    assert_ok(
        &i.run(&["maintenance:data-dir", data.to_str().unwrap()]),
        &format!(
            "The data directory is {} already; nothing changed.\n",
            data.display()
        ),
    );
    let empty = tempfile::tempdir().unwrap();
    let o = i.run(&["maintenance:data-dir", empty.path().to_str().unwrap()]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "{} is not a data directory: it has no .ocdata file; move the data there first\n",
            empty.path().display()
        )
    );
    let o = i.run(&["maintenance:data-dir", "/no/such/dir"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, "The directory /no/such/dir does not exist\n")
    );
    assert_eq!(i.dump(), before);
}

#[test]
fn owncloud_s_ldap_instance_answers_as_owncloud_answered() {
    let Some(ldap) = occ_tests::ldap_server() else {
        return;
    };
    let i = Instance::owncloud("oc10-ldap.tar.gz");
    owncloud_apps(&i, &[("user_ldap", "0.19.1")]);
    // ownCloud's configuration points at 127.0.0.1:13389, where the test slapd listens.
    assert_eq!(ldap["LDAP_URL"], "ldap://127.0.0.1:13389");
    assert_outputs(
        &i,
        "outputs-ldap",
        &[
            ("occ-ldap-show-config.txt", &["ldap:show-config"]),
            ("occ-ldap-test-config.txt", &["ldap:test-config", "s01"]),
            (
                "../../ldap/oc10/occ-ldap-show-config.json",
                &["ldap:show-config", "--output=json"],
            ),
            (
                "../../ldap/oc10/occ-ldap-show-config-with-password.json",
                &["ldap:show-config", "--show-password", "--output=json"],
            ),
            ("occ-status.json", &["status", "--output=json"]),
            ("occ-user-list.json", &["user:list", "--output=json"]),
            (
                "occ-user-list-all-attributes.json",
                &["user:list", "--show-all-attributes", "--output=json"],
            ),
            (
                "occ-user-list-alice-all-attributes.json",
                &[
                    "user:list",
                    "alice",
                    "--show-all-attributes",
                    "--output=json",
                ],
            ),
            ("occ-user-report.txt", &["user:report"]),
            ("occ-group-list.json", &["group:list", "--output=json"]),
            ("occ-ldap-search-rob.txt", &["ldap:search", "rob"]),
            (
                "occ-ldap-search-group-adm.txt",
                &["ldap:search", "--group", "adm"],
            ),
            (
                "occ-ldap-check-user-robert.txt",
                &["ldap:check-user", "robert"],
            ),
            (
                "occ-user-list-groups-alice.json",
                &["user:list-groups", "alice", "--output=json"],
            ),
            (
                "occ-group-list-members-admins.json",
                &[
                    "group:list-members",
                    "0082f012-80db-1041-8e27-6d37b5c6debd",
                    "--output=json",
                ],
            ),
            ("occ-user-sync-list.txt", &["user:sync", "-l"]),
            ("occ-app-list-user_ldap.txt", &["app:list", "user_ldap"]),
        ],
    );
    // config:list: ownCloud's values, in occ's order, the bind password masked (ownCloud 10
    // prints it, base64-encoded).
    let o = i.run(&["config:list", "user_ldap"]);
    assert_eq!(o.code, 0, "{o:?}");
    let ours: Value = serde_json::from_str(&o.stdout).unwrap();
    let mut theirs: Value = serde_json::from_str(&expected_in(
        "outputs-ldap",
        "occ-config-list-user_ldap.json",
    ))
    .unwrap();
    theirs["apps"]["user_ldap"]["s01ldap_agent_password"] =
        Value::from("***REMOVED SENSITIVE VALUE***");
    assert_eq!(ours, theirs);
    assert!(!o.stdout.contains("YWRtaW5wYXNz"));
    // What ownCloud's own run wrote, occ wrote too: listing groups mapped the LDAP group
    // under its entryUUID, as ownCloud did; nothing else changed.
    let mapping = i.query("SELECT owncloud_name, ldap_dn FROM oc_ldap_group_mapping");
    assert_eq!(
        serde_json::to_string(&mapping).unwrap(),
        "[{\"owncloud_name\":\"0082f012-80db-1041-8e27-6d37b5c6debd\",\"ldap_dn\":\"cn=admins,ou=groups,dc=example,dc=org\"}]"
    );
}

#[test]
fn owncloud_s_encrypted_instance_answers_and_decrypts_in_place() {
    let i = Instance::owncloud("oc10-encrypted.tar.gz");
    owncloud_apps(&i, &[("encryption", "1.6.1")]);
    assert_outputs(
        &i,
        "outputs-encrypted",
        &[
            ("occ-encryption-status.txt", &["encryption:status"]),
            (
                "occ-encryption-status.json",
                &["encryption:status", "--output=json"],
            ),
            (
                "occ-encryption-list-modules.txt",
                &["encryption:list-modules"],
            ),
            (
                "occ-encryption-list-modules.json",
                &["encryption:list-modules", "--output=json"],
            ),
            (
                "occ-encryption-show-key-storage-root.txt",
                &["encryption:show-key-storage-root"],
            ),
            ("occ-status.json", &["status", "--output=json"]),
            ("occ-user-list.json", &["user:list", "--output=json"]),
            ("occ-app-list-encryption.txt", &["app:list", "encryption"]),
        ],
    );
    let o = i.run(&["config:list", "encryption"]);
    let ours: Value = serde_json::from_str(&o.stdout).unwrap();
    let theirs: Value = serde_json::from_str(&expected_in(
        "outputs-encrypted",
        "occ-config-list-encryption.json",
    ))
    .unwrap();
    assert_eq!(ours, theirs);
    // ownCloud's scan left the cache as the disk is (plaintext sizes of encrypted files).
    let before = i.dump();
    assert_eq!(i.run(&["files:scan", "--all"]).code, 0);
    assert_eq!(i.dump(), before);
    // Decrypted in place with ownCloud's master key (its secret in config.php): every file
    // as it was before ownCloud encrypted it.
    let o = i.run(&["encryption:decrypt-all", "-c", "yes"]);
    assert_eq!(o.code, 0, "{o:?}");
    let sums = expected_in("outputs-encrypted", "plaintext-sha256.txt");
    use sha2::{Digest, Sha256};
    for line in sums.lines() {
        let (hash, path) = line.split_once("  ").unwrap();
        let bytes = fs::read(i.root().join(path)).unwrap();
        assert_eq!(format!("{:x}", Sha256::digest(&bytes)), hash, "{path}");
    }
    assert_ok(
        &i.run(&["encryption:status"]),
        "  - enabled: false\n  - defaultModule: OC_DEFAULT_MODULE\n",
    );
    assert_eq!(
        i.query("SELECT COUNT(*) AS n FROM oc_filecache WHERE encrypted > 0")[0]["n"],
        0
    );
}

#[test]
fn the_other_commands_work_on_owncloud_s_instance_and_write_its_rows() {
    let i = owncloud();
    let apps = listed_apps(&expected("occ-app-list.json"));
    let apps: Vec<(&str, &str)> = apps.iter().map(|(a, v)| (a.as_str(), v.as_str())).collect();
    owncloud_apps(&i, &apps);
    let home = i.root().join("data/alice").display().to_string();
    for (args, out) in [
        (&["user:lastseen", "alice"][..], "User alice has never logged in.\n".to_string()),
        (
            &["user:info", "alice"],
            format!("  - user_id: alice\n  - display_name: Alice A\n  - email: alice@example.org\n  - enabled: true\n  - groups:\n    - db-admins\n    - staff\n  - last_seen: never\n  - user_directory: {home}\n  - backend: OC\\User\\Database\n"),
        ),
        (&["user:disable", "bob"], "The specified user is disabled\n".into()),
        (&["group:add", "ops"], "Created group \"ops\"\n".into()),
        (&["group:adduser", "ops", "bob"], "User \"bob\" added to group \"ops\"\n".into()),
        (&["config:system:get", "overwrite.cli.url"], "https://cloud.example.org\n".into()),
        (&["config:app:get", "core", "first_install_version"], "10.15.2.0\n".into()),
        (&["config:app:set", "files", "max_chunk_size", "--value=1048576"], "Config value max_chunk_size for app files set to 1048576\n".into()),
        (&["background:cron"], "Set mode for background jobs to 'cron'\n".into()),
        (&["maintenance:singleuser", "--on"], "Single user mode enabled\n".into()),
        (&["app:disable", "files_versions"], "files_versions disabled\n".into()),
        (&["user:delete", "dave@example.org"], "The specified user was deleted\n".into()),
    ] {
        assert_ok(&i.run(args), &out);
    }
    // In ownCloud's tables, as ownCloud keeps them.
    let one = |sql: &str| {
        i.query(sql)
            .first()
            .map(|r| r.values().next().unwrap().to_string())
    };
    assert_eq!(
        one("SELECT state FROM oc_accounts WHERE user_id = 'bob'").as_deref(),
        Some("2")
    );
    assert_eq!(
        one("SELECT uid FROM oc_group_user WHERE gid = 'ops'").as_deref(),
        Some("\"bob\"")
    );
    assert_eq!(one("SELECT configvalue FROM oc_appconfig WHERE appid = 'core' AND configkey = 'backgroundjobs_mode'").as_deref(), Some("\"cron\""));
    assert_eq!(one("SELECT configvalue FROM oc_appconfig WHERE appid = 'files_versions' AND configkey = 'enabled'").as_deref(), Some("\"no\""));
    assert_eq!(
        one("SELECT COUNT(*) FROM oc_accounts WHERE user_id = 'dave@example.org'").as_deref(),
        Some("0")
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM oc_group_user WHERE uid = 'dave@example.org'").as_deref(),
        Some("0")
    );
    assert!(fs::read_to_string(i.config_path())
        .unwrap()
        .contains("  'singleuser' => true,\n"));
    // And back.
    for (args, out) in [
        (
            &["user:enable", "bob"][..],
            "The specified user is enabled\n",
        ),
        (
            &["group:removeuser", "ops", "bob"],
            "User \"bob\" removed from group \"ops\"\n",
        ),
        (&["group:delete", "ops"], "Group \"ops\" was removed\n"),
        (
            &["maintenance:singleuser", "--off"],
            "Single user mode disabled\n",
        ),
        (
            &["app:enable", "files_versions"],
            "files_versions enabled\n",
        ),
    ] {
        assert_ok(&i.run(args), out);
    }
    assert_eq!(
        one("SELECT state FROM oc_accounts WHERE user_id = 'bob'").as_deref(),
        Some("1")
    );
    assert_eq!(one("SELECT configvalue FROM oc_appconfig WHERE appid = 'files_versions' AND configkey = 'enabled'").as_deref(), Some("\"yes\""));
    // An app ownCloud never installed (its tables, its steps) is ownCloud's to enable.
    let o = i.run(&["app:enable", "encryption"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, ""));
    assert_eq!(o.stderr, "App \"encryption\" cannot be enabled: it was never installed on this ownCloud server; enable it with ownCloud's own occ, which installs it.\n");
    let o = i.run(&["app:getpath", "files"]);
    assert_ok(&o, &format!("{}\n", i.root().join("apps/files").display()));
}

/// Whether PHP is here (tests/run.sh installs php-cli); says so when it is not.
fn has_php() -> bool {
    let here = std::process::Command::new("php").arg("-v").output().is_ok();
    if !here {
        eprintln!("skipped: no php here (tests/run.sh installs php-cli)");
    }
    here
}

/// PHP itself, where it is installed (tests/run.sh installs php-cli): `php -l`, and what PHP
/// reads from a config file, as JSON.
fn php_reads(file: &Path) -> Option<Value> {
    let lint = std::process::Command::new("php")
        .arg("-l")
        .arg(file)
        .output()
        .ok()?;
    assert!(lint.status.success(), "php -l {}: {lint:?}", file.display());
    let out = std::process::Command::new("php")
        .arg("-r")
        .arg("include $argv[1]; echo json_encode($CONFIG, JSON_PRESERVE_ZERO_FRACTION);")
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn config_php_reads_and_writes_as_php_reads_it() {
    if !has_php() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.php");
    // What admins write: both quote styles, escapes, numbers of every base, comments, [].
    let text = r#"<?php
// a comment
# another
/* and a block */
$CONFIG = [
  'single' => 'it\'s a \\ backslash, \n stays',
  "double" => "tab\there, newline\n, dollar \$x, \x41\101\u{1F389}",
  'ints' => [0x1F, 0o17, 017, 0b101, 1_000, -5, +7],
  'floats' => [1.5, -0.25, 1e3, 2.0],
  'flags' => [true, FALSE, null, NULL],
  'nested' => array('a' => array(1, 2), 'b' => [], 3 => 'three'),
  'trailing' => ['x', 'y',],
];
"#;
    fs::write(&file, text).unwrap();
    let Some(php) = php_reads(&file) else { return };
    let ours = occ_host::instance::php_config::parse(text).unwrap();
    assert_eq!(Value::Object(ours.clone()), php);
    // What occ writes, PHP reads back the same.
    fs::write(&file, occ_host::instance::php_config::write(&ours)).unwrap();
    assert_eq!(php_reads(&file).unwrap(), php);
    // ownCloud's own config.php after occ changed it.
    let i = owncloud();
    assert_eq!(
        i.run(&[
            "config:system:set",
            "trusted_domains",
            "2",
            "--value=x.example.org"
        ])
        .code,
        0
    );
    assert_eq!(
        i.run(&[
            "config:system:set",
            "memcache.local",
            "--value=\\OC\\Memcache\\APCu"
        ])
        .code,
        0
    );
    let php = php_reads(&i.config_path()).unwrap();
    assert_eq!(Value::Object(i.config()), php);
    assert_eq!(php["memcache.local"], "\\OC\\Memcache\\APCu");
}

#[test]
fn owncloud_s_password_check_accepts_what_occ_wrote() {
    if !has_php() {
        return;
    }
    let i = owncloud();
    let mut cmd = i.command(&["user:add", "--password-from-env", "eve"]);
    cmd.env("OC_PASS", "Eve-pass-55!");
    assert_eq!(cmd.output().unwrap().status.code(), Some(0));
    // ownCloud's Hasher: "1|" then password_verify() of the rest.
    for (uid, pass) in [("eve", "Eve-pass-55!"), ("alice", "Alice-pass-1!")] {
        let rows = i.query(&format!(
            "SELECT password FROM oc_users WHERE uid = '{uid}'"
        ));
        let hash = rows[0]["password"].as_str().unwrap();
        let out = std::process::Command::new("php")
            .arg("-r")
            .arg("[$v, $h] = explode('|', $argv[2], 2); echo $v === '1' && password_verify($argv[1], $h) ? 'yes' : 'no';")
            .arg(pass)
            .arg(hash)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "yes", "{uid}");
    }
}

#[test]
fn occ_never_installs_over_an_owncloud_config_and_follows_a_linked_one() {
    // ownCloud writes config.php on its first request, before its setup: not installed, but
    // ownCloud's. occ installs nothing there.
    let i = Instance::new();
    fs::create_dir_all(i.root().join("config")).unwrap();
    let php = i.root().join("config/config.php");
    let text = "<?php\n$CONFIG = array (\n  'instanceid' => 'oc1234567890',\n);\n";
    fs::write(&php, text).unwrap();
    let o = i.run(&["maintenance:install", "--admin-pass=Secret-pass-1", "-n"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, ""));
    assert_eq!(
        o.stderr,
        format!(
            "{} is ownCloud's: occ administers an installed ownCloud server in place and never installs one; use ownCloud's own tools for that\n",
            php.display()
        )
    );
    assert_eq!(fs::read_to_string(&php).unwrap(), text);
    assert!(!i.root().join("data").exists());

    // A config.php that is a link is written where it points; the link stays.
    let i = owncloud();
    let php = i.config_path();
    let elsewhere = i.root().join("etc-owncloud.php");
    fs::rename(&php, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &php).unwrap();
    assert_eq!(
        i.run(&[
            "config:system:set",
            "loglevel",
            "--value=1",
            "--type=integer"
        ])
        .code,
        0
    );
    assert!(fs::symlink_metadata(&php).unwrap().file_type().is_symlink());
    assert!(fs::read_to_string(&elsewhere)
        .unwrap()
        .contains("  'loglevel' => 1,\n"));

    // A broken line never shows its text: it may be a password's.
    let good = fs::read_to_string(&elsewhere).unwrap();
    let broken = good.replace(
        "'passwordsalt' => '/0sYFsnN+MGzNwkmFB8JX5j73Dn5ma',",
        "'passwordsalt' => '/0sYFsnN'+MGzNwkmFB8JX5j73Dn5ma',",
    );
    assert_ne!(broken, good);
    fs::write(&elsewhere, &broken).unwrap();
    let o = i.run(&["status"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "Cannot read {}: line 3: expected `,` or `)`, found `+`\n",
            php.display()
        )
    );
    assert!(!o.stderr.contains("MGzN"));
}
