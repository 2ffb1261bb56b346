//! `upgrade`: plugin versions and the state they make, the seed's sequence, the migration test
//! on a copy, rollback of a failing migration, kill -9 and Ctrl-C midway, incompatible apps,
//! ownCloud's exit codes and `maintenance:repair` after it. Runs on the suite's database
//! (`OCC_TEST_DB`): the fixture plugin's failing migration is tested on all three.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;

use occ_plugin_api::DbKind;
use occ_tests::{lib, test_db, Instance, Out};
use serde_json::json;

const BANNER: &str = "occ or one of the apps require upgrade - only a limited number of commands are available\nYou may use the occ upgrade command to do the upgrade\n";

/// The fixture plugin at `stage`, from a copy of its library of its own (the plugin index
/// keeps what a file declared).
fn at_stage(i: &mut Instance, dirs: &mut Vec<tempfile::TempDir>, stage: &str) {
    let d = tempfile::tempdir().unwrap();
    fs::copy(
        lib("occ_fixture_upgrade"),
        d.path().join("libocc_fixture_upgrade.so"),
    )
    .unwrap();
    i.set_env("OCC_PLUGIN_PATH", d.path());
    i.set_env("OCC_FIXTURE_UPGRADE_STAGE", stage);
    dirs.push(d);
}

fn installed_at_stage_1() -> (Instance, Vec<tempfile::TempDir>) {
    let mut i = Instance::new();
    let mut dirs = Vec::new();
    at_stage(&mut i, &mut dirs, "1");
    i.install();
    (i, dirs)
}

fn value(i: &Instance, sql: &str) -> String {
    let rows = i.query(sql);
    let v = rows
        .first()
        .and_then(|r| r.values().next().cloned())
        .unwrap_or(json!(null));
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn installed_version(i: &Instance, id: &str) -> String {
    value(
        i,
        &format!("SELECT configvalue FROM oc_appconfig WHERE appid = '{id}' AND configkey = 'installed_version'"),
    )
}

/// Nothing of a migration test or of MySQL's backups is left.
fn assert_no_leftovers(i: &Instance) {
    assert!(!i.root().join("data/.owncloud.db.upgrade-test").exists());
    let tables = i.tables();
    assert!(
        !tables.iter().any(|t| t.starts_with("oc_ubak_")
            || t.starts_with("oc_utest_")
            || t.starts_with("oc_upgrade_journal")),
        "{tables:?}"
    );
    if test_db() == DbKind::Pgsql {
        assert_eq!(scratch_schemas(i), "0");
    }
}

fn scratch_schemas(i: &Instance) -> String {
    value(
        i,
        "SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = 'oc_occ_upgrade_test'",
    )
}

#[test]
fn plugin_versions_decide_the_state_and_upgrade_prints_the_sequence() {
    let (mut i, mut dirs) = installed_at_stage_1();
    assert_eq!(i.run(&["upgradefixture:items"]).stdout, "3 items\n");
    // Every plugin's version is recorded at install; core's is also the config's.
    assert_eq!(installed_version(&i, "upgradefixture"), "1.0.0");
    assert_eq!(installed_version(&i, "files"), env!("CARGO_PKG_VERSION"));
    let o = i.run(&["upgrade"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("occ is already latest version\n", 3)
    );

    // A newer plugin: an upgrade is due, and only the upgrade-time commands run.
    at_stage(&mut i, &mut dirs, "2");
    let o = i.run(&["status", "--output=json"]);
    assert!(o.stdout.contains("\"needsDbUpgrade\":true"), "{o:?}");
    assert_eq!(i.run(&["status", "-e"]).code, 2);
    let o = i.run(&["upgradefixture:items"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            format!("{BANNER}Command \"upgradefixture:items\" is not available until then.\n")
                .as_str(),
            1
        )
    );

    // The dry run reports and changes nothing.
    let before = i.dump();
    let o = i.run(&["upgrade", "--dry-run"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout,
        format!(
            "{BANNER}Checked database schema update\nChecked database schema update for apps\nWould update <upgradefixture> to 2.0.0\n - 20261201000002: a note on each item (oc_fixture_items)\n - 20261201000003: fixture tags (oc_fixture_tags)\nDry run: nothing was changed\n"
        )
    );
    assert_eq!(i.dump(), before);
    assert_no_leftovers(&i);

    let o = i.run(&["upgrade", "-v"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stdout,
        format!(
            "{BANNER}Turned on maintenance mode\nChecked database schema update\nChecked database schema update for apps\nUpdated database\nUpdating <upgradefixture> ...\n - 20261201000002: a note on each item\n - 20261201000003: fixture tags\nUpdated <upgradefixture> to 2.0.0\nRepair step: Remove group memberships of users and groups that no longer exist\n     - INFO: 0 orphaned group memberships removed.\nRepair step: Repair mime types\n     - INFO: 0 file cache entries with a wrong mimetype fixed.\nRepair step: Detect file cache entries with path that does not match parent-child relationships\n     - INFO: Fixed 0 entries, removed 0 entries without a parent.\nUpdate successful\nTurned off maintenance mode\n"
        )
    );
    assert_no_leftovers(&i);
    assert_eq!(installed_version(&i, "upgradefixture"), "2.0.0");
    assert_eq!(
        value(
            &i,
            "SELECT COUNT(*) AS n FROM oc_migrations WHERE app = 'upgradefixture'"
        ),
        "3"
    );
    let notes: Vec<String> = i
        .query("SELECT note FROM oc_fixture_items ORDER BY id")
        .iter()
        .map(|r| r["note"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(notes, ["one", "two", "three"]);
    assert_eq!(
        value(&i, "SELECT tag FROM oc_fixture_tags WHERE item = 1"),
        "a"
    );
    // Maintenance mode as it was: the key was not there.
    assert!(!i.config().contains_key("maintenance"));
    assert_eq!(i.run(&["upgradefixture:items"]).stdout, "3 items\n");
    let o = i.run(&["upgrade"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("occ is already latest version\n", 3)
    );

    // Older code than the instance records: refused, with a clear line.
    at_stage(&mut i, &mut dirs, "1");
    let o = i.run(&["upgradefixture:items"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("libocc_fixture_upgrade.so: its version 1.0.0 is older than the installed version 2.0.0 of \"upgradefixture\": downgrades are not supported\n"), "{o:?}");
    assert!(i
        .run(&["status"])
        .stdout
        .contains("  - needsDbUpgrade: false\n"));
    assert_eq!(i.run(&["upgrade"]).code, 3);
}

#[test]
fn a_migration_that_fails_halfway_changes_nothing() {
    let (mut i, mut dirs) = installed_at_stage_1();
    i.set_env("OC_PASS", "alice-pass-1");
    assert_eq!(i.run(&["user:add", "--password-from-env", "alice"]).code, 0);
    let before = i.dump();
    at_stage(&mut i, &mut dirs, "fail");

    // In the migration test, on a copy.
    let o = i.run(&["upgrade"]);
    assert_eq!(o.code, 5, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(
        lines[2..4],
        [
            "Turned on maintenance mode",
            "Checked database schema update"
        ]
    );
    assert!(lines[4].starts_with("The migration test on a copy failed, so nothing was changed: Migration 20261201000002 of plugin \"upgradefixture\" failed: "), "{}", lines[4]);
    assert_eq!(lines[5..], ["Update failed", "Turned off maintenance mode"]);
    assert_eq!(i.dump(), before);
    assert_no_leftovers(&i);

    // In the real run: rolled back (SQLite, PostgreSQL) or put back (MySQL).
    let o = i.run(&["upgrade", "--skip-migration-test"]);
    assert_eq!(o.code, 5, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(
        lines[2..5],
        [
            "Turned on maintenance mode",
            "Updated database",
            "Updating <upgradefixture> ..."
        ]
    );
    assert!(
        lines[5].starts_with("Migration 20261201000002 of plugin \"upgradefixture\" failed: "),
        "{}",
        lines[5]
    );
    assert_eq!(lines[6..], ["Update failed", "Turned off maintenance mode"]);
    assert_eq!(i.dump(), before);
    assert_no_leftovers(&i);
    assert_eq!(i.run(&["status", "-e"]).code, 2);

    // The instance is whole: the fixed release upgrades it.
    at_stage(&mut i, &mut dirs, "2");
    let o = i.run(&["upgrade", "--skip-migration-test", "--no-warnings"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Turned on maintenance mode\nUpdated database\nUpdating <upgradefixture> ...\nUpdated <upgradefixture> to 2.0.0\nUpdate successful\nTurned off maintenance mode\n", 0)
    );
    assert_eq!(i.run(&["upgradefixture:items"]).stdout, "3 items\n");
}

/// Starts `occ upgrade -vv <args>`, waits until its debug lines say it is in the fixture's
/// slow statement (the 5th; on the copy when `copy`), and sends it `signal`; returns its output.
fn interrupt(i: &Instance, args: &[&str], copy: bool, signal: nix::sys::signal::Signal) -> Out {
    let mut all = vec!["upgrade", "-vv"];
    all.extend_from_slice(args);
    let mut child = i
        .command(&all)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reading = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let marker = format!("migration=20261201000002 statement=5 copy={copy}");
    let mut err = String::new();
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "the upgrade ended before its slow statement: {err}");
        err.push_str(&line);
        if line.contains(&marker) {
            break;
        }
    }
    // Inside the statement (it takes seconds).
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    stderr.read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    Out {
        stdout: reading.join().unwrap(),
        stderr: err,
        code: status.code().unwrap_or(-1),
    }
}

#[test]
fn an_upgrade_killed_midway_is_finished_by_the_next() {
    use nix::sys::signal::Signal;
    let (mut i, mut dirs) = installed_at_stage_1();
    at_stage(&mut i, &mut dirs, "slow");

    // Killed in the migration test: its copy is left.
    let o = interrupt(&i, &[], true, Signal::SIGKILL);
    assert_eq!(o.code, -1, "{o:?}");
    match test_db() {
        DbKind::Sqlite => assert!(i.root().join("data/.owncloud.db.upgrade-test").exists()),
        DbKind::Pgsql => assert_eq!(scratch_schemas(&i), "1"),
        DbKind::Mysql => assert!(i.tables().contains(&"oc_utest_fixture_items".to_string())),
    }
    // Killed in the real run: MySQL's journal and backups are left.
    let o = interrupt(&i, &["--skip-migration-test"], false, Signal::SIGKILL);
    assert_eq!(o.code, -1, "{o:?}");
    if test_db() == DbKind::Mysql {
        assert!(i.tables().contains(&"oc_upgrade_journal".to_string()));
    }
    assert_eq!(i.config()["maintenance"], true);
    let o = i.run(&["status", "--output=json"]);
    assert!(
        o.stdout
            .contains("\"maintenance\":true,\"needsDbUpgrade\":true"),
        "{o:?}"
    );

    // The next upgrade cleans up and brings the instance to the new version.
    let o = i.run(&["upgrade", "--no-warnings"]);
    assert_eq!(o.code, 0, "{o:?}");
    let restored = if test_db() == DbKind::Mysql {
        "Restored the tables an interrupted upgrade had changed\n"
    } else {
        ""
    };
    assert_eq!(
        o.stdout,
        format!("{restored}Checked database schema update\nChecked database schema update for apps\nUpdated database\nUpdating <upgradefixture> ...\nUpdated <upgradefixture> to 2.0.0\nUpdate successful\nMaintenance mode is kept active\n")
    );
    assert_no_leftovers(&i);
    assert_eq!(installed_version(&i, "upgradefixture"), "2.0.0");
    assert_eq!(
        i.run(&["maintenance:mode", "--off"]).stdout,
        "Maintenance mode disabled\n"
    );
    assert_eq!(i.run(&["upgradefixture:items"]).stdout, "3 items\n");
    assert_eq!(
        value(
            &i,
            "SELECT COUNT(*) AS n FROM oc_fixture_items WHERE note = name"
        ),
        "3"
    );
}

#[test]
fn ctrl_c_stops_the_upgrade_and_removes_the_copy() {
    use nix::sys::signal::Signal;
    let (mut i, mut dirs) = installed_at_stage_1();
    let before = i.dump();
    at_stage(&mut i, &mut dirs, "slow");
    let o = interrupt(&i, &["--no-warnings"], true, Signal::SIGINT);
    assert_eq!(o.code, 5, "{o:?}");
    assert_eq!(
        o.stdout,
        "Turned on maintenance mode\nChecked database schema update\nThe migration test on a copy failed, so nothing was changed: Interrupted\nUpdate failed\nTurned off maintenance mode\n"
    );
    assert_eq!(i.dump(), before);
    assert_no_leftovers(&i);
    let o = interrupt(
        &i,
        &["--no-warnings", "--skip-migration-test"],
        false,
        Signal::SIGINT,
    );
    assert_eq!(o.code, 5, "{o:?}");
    assert_eq!(
        o.stdout,
        "Turned on maintenance mode\nUpdated database\nUpdating <upgradefixture> ...\n - 20261201000002: a note on each item, slowly\nInterrupted\nUpdate failed\nTurned off maintenance mode\n"
    );
    assert_eq!(i.dump(), before);
    assert_no_leftovers(&i);
}

#[test]
fn incompatible_apps_are_disabled_or_the_upgrade_refuses() {
    let i = Instance::installed();
    let app = i.root().join("apps/oldapp/appinfo");
    fs::create_dir_all(&app).unwrap();
    fs::write(
        app.join("info.xml"),
        "<?xml version=\"1.0\"?>\n<info>\n    <id>oldapp</id>\n    <name>Old</name>\n    <description>An app for older servers.</description>\n    <version>1.0.0</version>\n    <dependencies>\n        <owncloud min-version=\"0.0\" max-version=\"0.0\"/>\n    </dependencies>\n</info>\n",
    )
    .unwrap();
    i.exec("INSERT INTO oc_appconfig (appid, configkey, configvalue) VALUES ('oldapp', 'enabled', 'yes'), ('oldapp', 'installed_version', '1.0.0')");
    let mut c = i.config();
    c.insert("version".into(), json!("0.0.1.0"));
    fs::write(i.config_path(), serde_json::to_string_pretty(&c).unwrap()).unwrap();
    let before = i.dump();

    let o = i.run(&["upgrade", "--no-app-disable", "--no-warnings"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (
            format!(
                "These enabled apps are incompatible with occ {}, and --no-app-disable keeps them: oldapp\nUpdate failed\n",
                env!("CARGO_PKG_VERSION")
            )
            .as_str(),
            5
        )
    );
    assert_eq!(i.dump(), before);

    let o = i.run(&["upgrade", "--no-warnings"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Turned on maintenance mode\nDisabled incompatible app: oldapp\nChecked database schema update\nChecked database schema update for apps\nUpdated database\nUpdate successful\nTurned off maintenance mode\n", 0)
    );
    assert_eq!(
        value(
            &i,
            "SELECT configvalue FROM oc_appconfig WHERE appid = 'oldapp' AND configkey = 'enabled'"
        ),
        "no"
    );
    assert_eq!(
        i.config()["version"],
        format!("{}.0", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn exit_codes_are_owncloud_s() {
    // Not installed: 1.
    let i = Instance::new();
    let o = i.run(&["upgrade"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stderr, "Command \"upgrade\" is not available: occ is not installed - run \"occ maintenance:install\" first.\n");

    let i = Instance::installed();
    // Up to date: 3 (D01).
    let o = i.run(&["upgrade", "-n"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("occ is already latest version\n", 3)
    );
    // Bad arguments: 4, and nothing changes.
    let before = i.dump();
    let o = i.run(&["upgrade", "--bogus"]);
    assert_eq!(o.code, 4, "{o:?}");
    assert!(o.stderr.contains("The \"--bogus\" option does not exist."));
    let o = i.run(&["upgrade", "--dry-run", "--skip-migration-test"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("--dry-run runs only the migration test: it cannot be combined with --skip-migration-test\n", 4)
    );
    assert_eq!(i.dump(), before);
    // In maintenance mode with nothing to do: 2, with ownCloud's text.
    i.run(&["maintenance:mode", "--on"]);
    let o = i.run(&["upgrade"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("occ is in maintenance mode\nMaybe an upgrade is already in process. Please check the logfile (data/occ.log). If you want to re-run the upgrade procedure, remove the \"maintenance mode\" from config.json and call this script again.\n", 2)
    );
    // A failure: 5 (see a_migration_that_fails_halfway_changes_nothing).
}

#[test]
fn core_alone_upgrades_and_repair_after_it_changes_nothing_more() {
    let mut i = Instance::installed();
    i.set_env("OC_PASS", "bob-pass-12");
    assert_eq!(i.run(&["user:add", "--password-from-env", "bob"]).code, 0);
    // Something for the repair steps to fix: a file with a wrong mimetype, a membership of a
    // user that does not exist.
    let files = i.root().join("data/bob/files");
    fs::create_dir_all(&files).unwrap();
    fs::write(files.join("notes.txt"), "hello").unwrap();
    assert_eq!(i.run(&["files:scan", "bob"]).code, 0);
    let text_plain = value(
        &i,
        "SELECT mimetype FROM oc_filecache WHERE name = 'notes.txt'",
    );
    i.exec("INSERT INTO oc_mimetypes (mimetype) VALUES ('application/x-wrong')");
    i.exec("UPDATE oc_filecache SET mimetype = (SELECT id FROM oc_mimetypes WHERE mimetype = 'application/x-wrong') WHERE name = 'notes.txt'");
    i.exec("INSERT INTO oc_group_user (gid, uid) VALUES ('admin', 'ghost')");
    let mut c = i.config();
    c.insert("version".into(), json!("0.0.1.0"));
    c.insert("maintenance".into(), json!(false));
    fs::write(i.config_path(), serde_json::to_string_pretty(&c).unwrap()).unwrap();
    let o = i.run(&["upgrade"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (format!("{BANNER}Turned on maintenance mode\nChecked database schema update\nChecked database schema update for apps\nUpdated database\nUpdate successful\nTurned off maintenance mode\n").as_str(), 0)
    );
    assert_eq!(i.config()["maintenance"], false);
    // The repair steps ran with the upgrade, and fixed both.
    assert_eq!(
        value(
            &i,
            "SELECT mimetype FROM oc_filecache WHERE name = 'notes.txt'"
        ),
        text_plain
    );
    assert_eq!(
        value(
            &i,
            "SELECT COUNT(*) AS n FROM oc_group_user WHERE uid = 'ghost'"
        ),
        "0"
    );
    // Running them again changes nothing.
    let after_upgrade = i.dump();
    i.run(&["maintenance:mode", "--on"]);
    let with_maintenance = i.dump();
    let o = i.run(&["maintenance:repair"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(i.dump(), with_maintenance);
    let o = i.run(&["maintenance:repair"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(i.dump(), with_maintenance);
    i.run(&["maintenance:mode", "--off"]);
    assert_eq!(i.dump(), after_upgrade);
}

#[test]
fn mysql_a_journal_left_after_the_migrations_is_restored_and_run_again() {
    if test_db() != DbKind::Mysql {
        eprintln!("skipped: MySQL's backups and journal");
        return;
    }
    let (mut i, mut dirs) = installed_at_stage_1();
    // The tables as they were, kept aside by hand.
    for t in ["fixture_items", "migrations", "appconfig"] {
        i.exec(&format!("CREATE TABLE oc_keep_{t} LIKE oc_{t}"));
        i.exec(&format!("INSERT INTO oc_keep_{t} SELECT * FROM oc_{t}"));
    }
    at_stage(&mut i, &mut dirs, "2");
    assert_eq!(i.run(&["upgrade", "--no-warnings"]).code, 0);
    // What a run killed between its last migration and the journal's removal leaves: the
    // backups, the journal naming them, and a config without the plugins' digest.
    for t in ["fixture_items", "migrations", "appconfig"] {
        i.exec(&format!("RENAME TABLE oc_keep_{t} TO oc_ubak_{t}"));
    }
    i.exec("CREATE TABLE oc_upgrade_journal (tbl VARCHAR(64) NOT NULL PRIMARY KEY, existed SMALLINT NOT NULL)");
    i.exec("INSERT INTO oc_upgrade_journal (tbl, existed) VALUES ('oc_fixture_items', 1), ('oc_migrations', 1), ('oc_appconfig', 1), ('oc_fixture_tags', 0)");
    let mut c = i.config();
    c.remove("plugins_digest");
    fs::write(i.config_path(), serde_json::to_string_pretty(&c).unwrap()).unwrap();

    let o = i.run(&["status", "--output=json"]);
    assert!(o.stdout.contains("\"needsDbUpgrade\":true"), "{o:?}");
    let o = i.run(&["upgrade", "--no-warnings"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Turned on maintenance mode\nRestored the tables an interrupted upgrade had changed\nChecked database schema update\nChecked database schema update for apps\nUpdated database\nUpdating <upgradefixture> ...\nUpdated <upgradefixture> to 2.0.0\nUpdate successful\nTurned off maintenance mode\n", 0)
    );
    assert_no_leftovers(&i);
    assert_eq!(installed_version(&i, "upgradefixture"), "2.0.0");
    assert_eq!(
        value(
            &i,
            "SELECT COUNT(*) AS n FROM oc_fixture_items WHERE note = name"
        ),
        "3"
    );
    assert_eq!(i.run(&["upgrade"]).code, 3);
}

#[test]
fn mysql_a_user_with_rights_on_its_own_database_only_upgrades() {
    if test_db() != DbKind::Mysql {
        eprintln!("skipped: MySQL's rights");
        return;
    }
    let (mut i, mut dirs) = installed_at_stage_1();
    // As ownCloud's guide sets it up: all rights on the instance's database, none elsewhere.
    let mut c = i.config();
    c.insert("dbuser".into(), json!("ocuser_db"));
    let text = serde_json::to_string_pretty(&c).unwrap() + "\n";
    fs::write(i.config_path(), text).unwrap();
    let before = i.dump();
    at_stage(&mut i, &mut dirs, "fail");
    let o = i.run(&["upgrade", "--no-warnings"]);
    assert_eq!(o.code, 5, "{o:?}");
    assert!(
        o.stdout.contains("The migration test on a copy failed, so nothing was changed: Migration 20261201000002 of plugin \"upgradefixture\" failed: "),
        "{o:?}"
    );
    assert_eq!(i.dump(), before);
    at_stage(&mut i, &mut dirs, "2");
    let o = i.run(&["upgrade", "--no-warnings"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_no_leftovers(&i);
}
