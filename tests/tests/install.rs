//! Install on SQLite, instance states (not installed, maintenance, upgrade pending), status,
//! maintenance and single-user mode, check, the owner rule, and installs that fail or are
//! killed midway leaving nothing behind.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, Instant};

use occ_tests::{plugin_dir, tables, Instance};
use serde_json::json;

fn version4() -> String {
    let o = Instance::new().run(&["-V"]);
    format!(
        "{}.0",
        o.stdout.lines().last().unwrap().trim_start_matches("occ ")
    )
}

#[test]
fn install_on_sqlite_creates_config_database_and_admin() {
    let i = Instance::new();
    let o = i.run(&[
        "maintenance:install",
        "--admin-user=root-admin",
        "--admin-pass=S3cret-pass!",
    ]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (
            "occ was successfully installed\n",
            "creating sqlite db\n",
            0
        )
    );

    let meta = fs::metadata(i.config_path()).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    let c = i.config();
    assert_eq!(c["installed"], true);
    assert_eq!(c["dbtype"], "sqlite");
    assert_eq!(c["dbname"], "owncloud");
    assert_eq!(c["dbtableprefix"], "oc_");
    assert_eq!(c["version"], version4());
    assert_eq!(
        c["datadirectory"],
        i.root().join("data").display().to_string()
    );
    assert!(
        c["instanceid"].as_str().unwrap().starts_with("oc")
            && c["instanceid"].as_str().unwrap().len() == 12
    );
    assert_eq!(c["secret"].as_str().unwrap().len(), 48);
    assert_eq!(c["passwordsalt"].as_str().unwrap().len(), 30);
    assert!(!c.contains_key("dbpassword"));
    // No temporary files left behind.
    let leftovers: Vec<_> = fs::read_dir(i.root().join("config"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("config.json")]);
    let data: Vec<String> = fs::read_dir(i.root().join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!data.iter().any(|n| n.contains("installing")), "{data:?}");

    assert_eq!(
        i.query("PRAGMA journal_mode")[0]["journal_mode"],
        "wal",
        "WAL is set once, at install"
    );
    let t = tables(&i.db_path());
    for want in [
        "oc_accounts",
        "oc_appconfig",
        "oc_filecache",
        "oc_group_user",
        "oc_groups",
        "oc_jobs",
        "oc_ldap_group_mapping",
        "oc_ldap_user_mapping",
        "oc_migrations",
        "oc_mimetypes",
        "oc_preferences",
        "oc_storages",
        "oc_users",
    ] {
        assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
    }
    // ownCloud's column names.
    let cols: Vec<String> = i
        .query("PRAGMA table_info(oc_filecache)")
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        cols,
        [
            "fileid",
            "storage",
            "path",
            "path_hash",
            "parent",
            "name",
            "mimetype",
            "mimepart",
            "size",
            "encrypted",
            "unencrypted_size",
            "etag",
            "permissions",
            "checksum",
            "mtime",
            "storage_mtime"
        ]
    );
    let users = i.query("SELECT uid, displayname, password FROM oc_users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["uid"], "root-admin");
    let hash = users[0]["password"].as_str().unwrap();
    assert!(hash.starts_with("1|$2y$10$"), "{hash}");
    assert!(bcrypt::verify("S3cret-pass!", &hash[2..]).unwrap());
    assert!(!bcrypt::verify("wrong", &hash[2..]).unwrap());
    assert_eq!(
        i.query("SELECT gid, uid FROM oc_group_user"),
        vec![json!({"gid": "admin", "uid": "root-admin"})
            .as_object()
            .unwrap()
            .clone()]
    );
    assert_eq!(
        i.query("SELECT COUNT(*) AS n FROM oc_migrations WHERE app = 'core'")[0]["n"],
        2
    );
    assert!(
        !i.root().join("data/root-admin").exists(),
        "homes are made on first use, as in ownCloud"
    );
    // Already installed: refused, nothing touched.
    let before = fs::read(i.config_path()).unwrap();
    let o = i.run(&["maintenance:install", "--admin-pass=x"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "Command \"maintenance:install\" is not available: occ is already installed.\n"
    );
    assert_eq!(fs::read(i.config_path()).unwrap(), before);
}

#[test]
fn install_options_are_validated_before_anything_is_touched() {
    let i = Instance::new();
    let file = i.root().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--database=oci".into(), "--admin-pass=x".into()], "Database oci (Oracle) is not supported by occ: use sqlite, mysql or pgsql.\n"),
        (vec!["--database=mongo".into(), "--admin-pass=x".into()], "Database \"mongo\" is not supported: use sqlite, mysql or pgsql.\n"),
        (vec!["-n".into()], "Set an admin password: use --admin-pass (no prompt under --no-interaction).\n"),
        (vec!["--admin-pass=".into()], "Set an admin password.\n"),
        (vec!["--admin-user=../x".into(), "--admin-pass=x".into()], "Invalid user name \"../x\": only the following characters are allowed in a user name: \"a-z\", \"A-Z\", \"0-9\", and \"+_.@-'\"\n"),
        (vec!["--database-table-prefix=oc;drop".into(), "--admin-pass=x".into()], "Invalid table prefix \"oc;drop\": use letters, digits and underscores only.\n"),
        (vec!["--database-name=../evil".into(), "--admin-pass=x".into()], "Invalid database name \"../evil\": use letters, digits, '_', '.' and '-'.\n"),
        (vec![format!("--data-dir={}", file.display()), "--admin-pass=x".into()], "Cannot create or write into the data directory __FILE__\n"),
        (vec!["--database=pgsql".into(), "--admin-pass=x".into()], "Database user not provided.\n"),
        (vec!["--database=mysql".into(), "--database-user=oc".into(), "--admin-pass=x".into()], "Database name not provided.\n"),
    ];
    for (args, msg) in cases {
        let mut full = vec!["maintenance:install"];
        full.extend(args.iter().map(String::as_str));
        let o = i.run(&full);
        assert_eq!(
            o.stderr,
            msg.replace("__FILE__", &file.display().to_string()),
            "{args:?}"
        );
        assert_eq!((o.stdout.as_str(), o.code), ("", 1), "{args:?}");
        assert!(!i.config_path().exists(), "{args:?} wrote a config");
        assert!(!i.root().join("data").exists(), "{args:?} made a data dir");
    }
}

#[test]
fn install_refuses_a_database_that_already_holds_tables() {
    let i = Instance::new();
    fs::create_dir_all(i.root().join("data")).unwrap();
    occ_tests::exec_sqlite(
        &i.db_path(),
        "CREATE TABLE oc_users (uid TEXT); INSERT INTO oc_users VALUES ('someone')",
    );
    let before = fs::read(i.db_path()).unwrap();
    let o = i.run(&["maintenance:install", "--admin-pass=x"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!("The database {} already holds tables (oc_users); remove it or choose another --database-name\n", i.db_path().display())
    );
    assert_eq!(fs::read(i.db_path()).unwrap(), before);
    assert!(!i.config_path().exists());
    // Tables with another prefix count too: the file would be replaced.
    let j = Instance::new();
    fs::create_dir_all(j.root().join("data")).unwrap();
    occ_tests::exec_sqlite(
        &j.db_path(),
        "CREATE TABLE legacy_users (uid TEXT); INSERT INTO legacy_users VALUES ('keep me')",
    );
    let before = fs::read(j.db_path()).unwrap();
    let o = j.run(&[
        "maintenance:install",
        "--admin-pass=x",
        "--database-table-prefix=new_",
    ]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("already holds tables (legacy_users)"),
        "{}",
        o.stderr
    );
    assert_eq!(fs::read(j.db_path()).unwrap(), before);
}

#[test]
fn a_failure_midway_leaves_nothing_and_the_next_install_succeeds() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_fixture_misbehaving"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.set_env("OCC_FIXTURE_MIGRATION", "fail");
    let o = i.run(&["--no-warnings", "maintenance:install", "--admin-pass=x"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("Migration 1 of plugin \"misbehaving\" failed:"),
        "{}",
        o.stderr
    );
    assert!(!i.config_path().exists());
    assert!(!i.db_path().exists());
    let data: Vec<_> = fs::read_dir(i.root().join("data")).unwrap().collect();
    assert!(data.is_empty(), "{data:?}");
    // A new copy of the plugin: the plugin index keeps what a file declared (its migrations).
    let plugins = plugin_dir(&["occ_fixture_misbehaving"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.set_env("OCC_FIXTURE_MIGRATION", "none");
    i.install();
    assert_eq!(i.run(&["status", "-e"]).code, 0);
}

#[test]
fn an_install_killed_midway_leaves_no_installed_config() {
    if !occ_tests::sqlite_only("the SQLite install's temporary file") {
        return;
    }
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_fixture_misbehaving"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.set_env("OCC_FIXTURE_MIGRATION", "slow");
    let mut child = i
        .command(&["--no-warnings", "maintenance:install", "--admin-pass=x"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let tmp = i.root().join("data").join(".owncloud.db.installing");
    let start = Instant::now();
    while !tmp.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "install never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the slow migration finished too early to test a kill"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!i.config_path().exists());
    assert!(!i.db_path().exists());
    i.set_env("OCC_FIXTURE_MIGRATION", "none");
    i.install();
    assert!(!tmp.exists(), "the stale temporary database is cleaned up");
    assert_eq!(i.config()["installed"], true);
}

#[test]
fn server_databases_fail_clearly_when_unreachable_and_never_show_the_password() {
    let i = Instance::new();
    for (db, what) in [("pgsql", "PostgreSQL"), ("mysql", "MySQL/MariaDB")] {
        let o = i.run(&[
            "maintenance:install",
            &format!("--database={db}"),
            "--database-host=127.0.0.1:1",
            "--database-user=ocuser",
            "--database-pass=hunter2-secret",
            "--database-name=ocdb",
            "--admin-pass=admin-secret",
        ]);
        assert_eq!(o.code, 1, "{o:?}");
        assert!(
            o.stderr.starts_with(&format!(
                "Cannot connect to the {what} database at 127.0.0.1:1: "
            )),
            "{}",
            o.stderr
        );
        assert_eq!(o.stderr.lines().count(), 1);
        assert!(
            !o.stderr.contains("hunter2")
                && !o.stdout.contains("hunter2")
                && !o.stderr.contains("admin-secret")
        );
        assert!(!i.config_path().exists());
    }
}

#[test]
fn status_in_every_state() {
    let i = Instance::new();
    let v = version4();
    let vs = v.strip_suffix(".0").unwrap().to_string();
    let o = i.run(&["status"]);
    assert_eq!(
        o.stdout,
        format!("  - installed: false\n  - version: {v}\n  - versionstring: {vs}\n  - edition: Community\n  - maintenance: false\n  - needsDbUpgrade: false\n")
    );
    assert_eq!(o.code, 0);
    i.install();
    let o = i.run(&["status", "--output=json"]);
    assert_eq!(
        o.stdout,
        format!("{{\"installed\":true,\"version\":\"{v}\",\"versionstring\":\"{vs}\",\"edition\":\"Community\",\"maintenance\":false,\"needsDbUpgrade\":false}}\n")
    );
    let o = i.run(&["status", "--output=json_pretty"]);
    assert_eq!(
        o.stdout,
        format!("{{\n    \"installed\": true,\n    \"version\": \"{v}\",\n    \"versionstring\": \"{vs}\",\n    \"edition\": \"Community\",\n    \"maintenance\": false,\n    \"needsDbUpgrade\": false\n}}\n")
    );
    assert_eq!(i.run(&["status", "-e"]).code, 0);
    assert_eq!(i.run(&["status", "-e"]).stdout, "");

    // Maintenance mode: status says so, on stderr too.
    let o = i.run(&["maintenance:mode", "--on"]);
    assert_eq!(o.stdout, "Maintenance mode enabled\nPlease also consider to stop the web server on all occ instances\n");
    let o = i.run(&["status"]);
    assert_eq!(
        o.stderr,
        "occ is in maintenance mode - no app have been loaded\n\n"
    );
    assert!(o.stdout.contains("  - maintenance: true\n"));
    assert_eq!(i.run(&["status", "-e"]).code, 1);
    let o = i.run(&["maintenance:mode"]);
    assert_eq!(o.stdout, "Maintenance mode is currently enabled\n");
    let o = i.run(&["maintenance:mode", "--off"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Maintenance mode disabled\n", 0)
    );
    assert_eq!(i.config()["maintenance"], false);

    // Upgrade pending: only the upgrade-time subset.
    let mut c = i.config();
    c.insert("version".into(), json!("0.0.1.0"));
    fs::write(i.config_path(), serde_json::to_string_pretty(&c).unwrap()).unwrap();
    assert_eq!(i.run(&["status", "-e"]).code, 2);
    assert!(i
        .run(&["status"])
        .stdout
        .contains("  - needsDbUpgrade: true\n"));
    let o = i.run(&["maintenance:singleuser"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stderr, "occ or one of the apps require upgrade - only a limited number of commands are available\nYou may use the occ upgrade command to do the upgrade\nCommand \"maintenance:singleuser\" is not available until then.\n");
    let o = i.run(&["list"]);
    assert!(o.stdout.starts_with("occ or one of the apps require upgrade - only a limited number of commands are available\n"));
    let o = i.run(&["upgrade"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout,
        "occ or one of the apps require upgrade - only a limited number of commands are available\nYou may use the occ upgrade command to do the upgrade\nTurned on maintenance mode\nChecked database schema update\nChecked database schema update for apps\nUpdated database\nUpdate successful\nTurned off maintenance mode\n"
    );
    assert_eq!(i.config()["maintenance"], false);
    assert_eq!(i.config()["version"], v);
    let o = i.run(&["upgrade"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("occ is already latest version\n", 3)
    );
}

#[test]
fn commands_of_other_states_are_one_clear_line() {
    let i = Instance::new();
    let o = i.run(&["maintenance:mode", "--on"]);
    assert_eq!(o.stderr, "Command \"maintenance:mode\" is not available: occ is not installed - run \"occ maintenance:install\" first.\n");
    assert_eq!(o.code, 1);
    assert!(!i.config_path().exists());
}

#[test]
fn single_user_mode() {
    let i = Instance::installed();
    assert_eq!(
        i.run(&["maintenance:singleuser"]).stdout,
        "Single user mode is currently disabled\n"
    );
    assert_eq!(
        i.run(&["maintenance:singleuser", "--on"]).stdout,
        "Single user mode enabled\n"
    );
    assert_eq!(i.config()["singleuser"], true);
    assert_eq!(
        i.run(&["maintenance:singleuser"]).stdout,
        "Single user mode is currently enabled\n"
    );
    assert_eq!(
        i.run(&["maintenance:singleuser", "--off"]).stdout,
        "Single user mode disabled\n"
    );
    assert_eq!(i.config()["singleuser"], false);
}

#[test]
fn check_reports_each_problem_on_a_line() {
    let i = Instance::installed();
    let o = i.run(&["check"]);
    assert_eq!((o.stdout.as_str(), o.stderr.as_str(), o.code), ("", "", 0));
    let data = i.root().join("data");
    let moved = i.root().join("data.away");
    fs::rename(&data, &moved).unwrap();
    let o = i.run(&["check"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.starts_with(&format!(
            "  - The data directory {} does not exist\n",
            data.display()
        )),
        "{}",
        o.stdout
    );
    // SQLite's database is a file in the data directory; a server's stays reachable.
    assert_eq!(
        o.stdout
            .contains("  - The database is not reachable: The database "),
        occ_tests::test_db() == occ_plugin_api::DbKind::Sqlite,
        "{}",
        o.stdout
    );
    let o = i.run(&["check", "--output=json"]);
    let v: Vec<String> = serde_json::from_str(&o.stdout).unwrap();
    let sqlite = occ_tests::test_db() == occ_plugin_api::DbKind::Sqlite;
    assert_eq!(v.len(), if sqlite { 2 } else { 1 });
    fs::rename(&moved, &data).unwrap();
    // An unreadable config: check says why, everything else refuses to act.
    fs::write(i.config_path(), "{ not json").unwrap();
    let o = i.run(&["check"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.starts_with(&format!(
            "  - Cannot read {}: it is not valid JSON: ",
            i.config_path().display()
        )),
        "{}",
        o.stdout
    );
    let o = i.run(&["maintenance:install", "--admin-pass=x"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("is not valid JSON"));
    // Every other command says so too, instead of "not installed".
    for args in [
        &["user:list"][..],
        &["status"],
        &["config:system:get", "dbtype"],
    ] {
        let o = i.run(args);
        assert_eq!(o.code, 1, "{args:?} {o:?}");
        assert_eq!(
            o.stderr,
            format!(
                "Cannot read {}: it is not valid JSON: key must be a string at line 1 column 3\n",
                i.config_path().display()
            ),
            "{args:?}"
        );
    }
    assert_eq!(fs::read_to_string(i.config_path()).unwrap(), "{ not json");
}

#[test]
fn occ_refuses_to_run_as_another_user_than_the_config_owner() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: needs root to give the config to another user");
        return;
    }
    let i = Instance::installed();
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    nix::unistd::chown(&i.config_path(), Some(nobody.uid), None).unwrap();
    assert_eq!(
        fs::metadata(i.config_path()).unwrap().uid(),
        nobody.uid.as_raw()
    );
    let o = i.run(&["status"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stdout, "");
    assert_eq!(
        o.stderr,
        "Console has to be executed with the user that owns the file config/config.json\nCurrent user: root\nOwner of config.json: nobody\nTry adding 'sudo -u nobody ' to the beginning of the command (without the single quotes)\n"
    );
}

#[test]
fn the_root_can_be_given_by_option_or_environment() {
    let i = Instance::installed();
    let elsewhere = tempfile::tempdir().unwrap();
    for how in ["option", "env"] {
        let mut c = i.command(&["status", "--output=json"]);
        c.current_dir(elsewhere.path());
        if how == "option" {
            c.arg(format!("--root={}", i.root().display()));
        } else {
            c.env("OCC_ROOT", i.root());
        }
        let o = c.output().unwrap();
        assert!(
            String::from_utf8_lossy(&o.stdout).starts_with("{\"installed\":true"),
            "{how}"
        );
    }
}

#[test]
fn missing_passwords_are_asked_for_without_echo_in_the_output() {
    let i = Instance::new();
    let o = i.run_stdin(
        &["maintenance:install", "--admin-user=ada"],
        Some("typed-secret\n"),
    );
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(o.stdout, "occ was successfully installed\n");
    assert_eq!(
        o.stderr,
        "What is the password you like to use for the admin account <ada>? \ncreating sqlite db\n"
    );
    assert!(!o.stdout.contains("typed-secret") && !o.stderr.contains("typed-secret"));
    let hash = i.query("SELECT password FROM oc_users WHERE uid = 'ada'")[0]["password"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(bcrypt::verify("typed-secret", &hash[2..]).unwrap());
    // No answer (end of input): nothing installed.
    let j = Instance::new();
    let o = j.run_stdin(&["maintenance:install"], Some(""));
    assert_eq!(o.code, 1);
    assert!(o.stderr.ends_with("No answer to \"What is the password you like to use for the admin account <admin>?\" (end of input)\n"), "{}", o.stderr);
    assert!(!j.config_path().exists());
}

#[test]
fn the_wal_a_command_leaves_stays_short() {
    if !occ_tests::sqlite_only("SQLite's WAL") {
        return;
    }
    // Commands leave their connection open (no checkpoint on close), but a WAL over 256 KiB
    // is checkpointed and truncated on the way out: every command reads the whole WAL when it
    // opens the database.
    let i = Instance::installed();
    let wal = i.db_path().with_extension("db-wal");
    let mut sizes = Vec::new();
    for n in 0..60 {
        let o = i.run(&["group:add", &format!("group-{n:02}-{}", "x".repeat(40))]);
        assert_eq!(o.code, 0, "{o:?}");
        sizes.push(fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    assert!(
        sizes.iter().all(|s| *s <= 512 * 1024),
        "the WAL grew past 512 KiB: {sizes:?}"
    );
    assert!(
        sizes.windows(2).any(|w| w[1] < w[0]),
        "the WAL was never truncated: {sizes:?}"
    );
    assert_eq!(i.query("SELECT COUNT(*) AS n FROM oc_groups")[0]["n"], 61);
}

/// `maintenance:install` on the test server with these connection words.
fn server_install(i: &Instance, host: &str, user: &str, pass: &str, name: &str) -> occ_tests::Out {
    let kind = occ_tests::test_db();
    i.run(&[
        "maintenance:install",
        &format!("--database={kind}"),
        &format!("--database-host={host}"),
        &format!("--database-user={user}"),
        &format!("--database-pass={pass}"),
        &format!("--database-name={name}"),
        "--admin-pass=x",
        "-n",
    ])
}

#[test]
fn a_server_install_that_cannot_connect_says_why_in_one_line_and_writes_nothing() {
    let kind = occ_tests::test_db();
    if kind == occ_plugin_api::DbKind::Sqlite {
        eprintln!("skipped on sqlite: a server's connection errors");
        return;
    }
    let server = occ_tests::test_server(kind);
    let (user, pass) = occ_tests::SERVER_USER;
    let what = if kind == occ_plugin_api::DbKind::Pgsql {
        "PostgreSQL"
    } else {
        "MySQL/MariaDB"
    };
    let name = occ_tests::fresh_database_name();
    let cases = [
        (
            server.to_string(),
            user.to_string(),
            "wrong-pass".to_string(),
            format!("Cannot connect to the {what} database at {server}: "),
        ),
        (
            "127.0.0.1:9".to_string(),
            user.to_string(),
            pass.to_string(),
            format!("Cannot connect to the {what} database at 127.0.0.1:9: Connection refused"),
        ),
        // A user who may log in but not create the database.
        (
            server.to_string(),
            format!("{user}_weak"),
            pass.to_string(),
            String::new(),
        ),
    ];
    for (host, user, pass, start) in cases {
        let i = Instance::new();
        let o = server_install(&i, &host, &user, &pass, &name);
        assert_eq!(o.code, 1, "{o:?}");
        assert_eq!(o.stdout, "");
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.starts_with(&start), "{}", o.stderr);
        // The password never shows.
        assert!(!o.stderr.contains(&pass), "{}", o.stderr);
        let left: Vec<_> = fs::read_dir(i.root()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
    // Connected, the database made, then a data directory that cannot be written: the
    // database goes again.
    let i = Instance::new();
    let file = i.root().join("a-file");
    fs::write(&file, "x").unwrap();
    let o = i.run(&[
        "maintenance:install",
        &format!("--database={kind}"),
        &format!("--database-host={server}"),
        &format!("--database-user={user}"),
        &format!("--database-pass={pass}"),
        &format!("--database-name={name}"),
        &format!("--data-dir={}", file.display()),
        "--admin-pass=x",
        "-n",
    ]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(!occ_tests::database_exists(kind, &name), "{o:?}");
}

#[test]
fn a_server_install_reaches_a_socket_and_keeps_another_prefix() {
    let kind = occ_tests::test_db();
    if kind == occ_plugin_api::DbKind::Sqlite {
        eprintln!("skipped on sqlite: a server's socket");
        return;
    }
    let run = std::env::var("SVC_RUN").unwrap_or_else(|_| "/tmp/occ-svc".into());
    let socket = match kind {
        // PostgreSQL's socket directory: occ connects to the default port's socket there.
        occ_plugin_api::DbKind::Pgsql => {
            let dir = tempfile::tempdir().unwrap();
            let real = format!("{run}/postgres/sock/.s.PGSQL.15432");
            std::os::unix::fs::symlink(&real, dir.path().join(".s.PGSQL.5432")).unwrap();
            (dir.path().display().to_string(), Some(dir))
        }
        _ => (format!("{run}/mariadb/mysqld.sock"), None),
    };
    let i = Instance::new();
    let (user, pass) = occ_tests::SERVER_USER;
    let o = i.run(&[
        "maintenance:install",
        &format!("--database={kind}"),
        &format!("--database-host=localhost:{}", socket.0),
        &format!("--database-user={user}"),
        &format!("--database-pass={pass}"),
        &format!("--database-name={}", occ_tests::fresh_database_name()),
        "--database-table-prefix=own_",
        "--admin-pass=x",
        "-n",
    ]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(i.config()["dbtableprefix"], "own_");
    let tables = i.tables();
    assert!(tables.contains(&"own_users".to_string()), "{tables:?}");
    assert!(tables.iter().all(|t| t.starts_with("own_")), "{tables:?}");
    let o = i.run(&["user:list", "--output=json"]);
    assert_eq!(
        o.stdout, "{\"admin\":{\"displayName\":\"admin\"}}\n",
        "{o:?}"
    );
}

#[test]
fn every_table_has_a_primary_key() {
    // MariaDB Galera replicates only tables with one; occ's tables have one on every database.
    let i = Instance::installed();
    let sql = match occ_tests::test_db() {
        occ_plugin_api::DbKind::Sqlite => "SELECT m.name AS t FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.pk > 0)".to_string(),
        _ => "SELECT t.table_name AS t FROM information_schema.tables t WHERE t.table_schema = CURRENT_SCHEMA() AND t.table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')".to_string(),
    };
    let sql = if occ_tests::test_db() == occ_plugin_api::DbKind::Mysql {
        sql.replace("CURRENT_SCHEMA()", "DATABASE()")
    } else {
        sql
    };
    assert!(!i.tables().is_empty());
    assert_eq!(
        i.query(&sql),
        Vec::<serde_json::Map<String, serde_json::Value>>::new()
    );
}
