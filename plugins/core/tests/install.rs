//! `maintenance:install` of the core plugin, in process on an empty temporary root: the
//! reference output, the config keys, the schema, the admin account (hash, group, app config),
//! a second install refused, prefix/name/data directory options, and options that are refused
//! leaving no config, no database and no data directory behind.
//!
//! Only the core plugin is linked: two first-party plugin rlibs cannot be linked into one test
//! binary yet (each `export_plugin!` defines the same exported root-module symbol).

// Helpers outside #[test] functions unwrap too (clippy's allow-unwrap-in-tests covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use occ_plugin_core::{password, CORE};
use occ_plugin_test_support::{Output, TestInstance};
use serde_json::{json, Value};

fn out(o: &Output) -> (&str, &str, i32) {
    (o.stdout.as_str(), o.stderr.as_str(), o.code)
}

/// The version the host records (`occ X.Y.Z` from `-V`, plus `.0`).
fn version4(t: &TestInstance) -> String {
    let o = t.run(&["-V"]);
    let v = o.stdout.lines().last().unwrap().trim_start_matches("occ ");
    format!("{v}.0")
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn install_creates_config_schema_and_admin() {
    let t = TestInstance::new(&[&CORE]);
    let o = t.run(&[
        "maintenance:install",
        "--database=sqlite",
        "--admin-user=root-admin",
        "--admin-pass=S3cret-pass!",
    ]);
    assert_eq!(
        out(&o),
        (
            "occ was successfully installed\n",
            "creating sqlite db\n",
            0
        )
    );

    let c = t.config();
    assert_eq!(c["installed"], true);
    assert_eq!(c["dbtype"], "sqlite");
    assert_eq!(c["dbname"], "owncloud");
    assert_eq!(c["dbtableprefix"], "oc_");
    assert_eq!(c["version"], json!(version4(&t)));
    assert_eq!(
        c["datadirectory"],
        json!(t.data_dir().display().to_string())
    );
    assert_eq!(c["trusted_domains"], json!(["localhost"]));
    let id = c["instanceid"].as_str().unwrap();
    assert!(id.starts_with("oc") && id.len() == 12, "{id}");
    assert_eq!(c["secret"].as_str().unwrap().len(), 48);
    assert_eq!(c["passwordsalt"].as_str().unwrap().len(), 30);
    for k in ["dbhost", "dbuser", "dbpassword"] {
        assert!(!c.contains_key(k), "{k} is not for SQLite");
    }
    assert_eq!(names(&t.root().join("config")), ["config.json"]);
    // The database in place, the temporary one gone, the data directory marked.
    let data = names(&t.data_dir());
    assert!(data.contains(&"owncloud.db".to_string()), "{data:?}");
    assert!(data.contains(&".ocdata".to_string()), "{data:?}");
    assert!(!data.iter().any(|n| n.contains("installing")), "{data:?}");

    // Core's schema, its migrations recorded.
    let tables: Vec<Value> = t
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'oc!_%' ESCAPE '!' ORDER BY name",
            &[],
        )
        .into_iter()
        .map(|r| r["name"].clone())
        .collect();
    for want in [
        "oc_accounts",
        "oc_appconfig",
        "oc_group_user",
        "oc_groups",
        "oc_jobs",
        "oc_migrations",
        "oc_preferences",
        "oc_users",
    ] {
        assert!(tables.contains(&json!(want)), "{want} missing: {tables:?}");
    }
    let apps: Vec<Value> = t
        .query(
            "SELECT DISTINCT app FROM *PREFIX*migrations ORDER BY app",
            &[],
        )
        .into_iter()
        .map(|r| r["app"].clone())
        .collect();
    assert_eq!(apps, [json!("core")]);

    // The admin: one user, ownCloud's hash, in group admin, home made on first use.
    let users = t.query("SELECT uid, displayname, password FROM *PREFIX*users", &[]);
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["uid"], "root-admin");
    assert_eq!(users[0]["displayname"], Value::Null);
    let hash = users[0]["password"].as_str().unwrap();
    assert!(hash.starts_with("1|$2y$10$"), "{hash}");
    assert_eq!(hash.len(), 62);
    assert!(password::verify_password("S3cret-pass!", hash));
    assert!(!password::verify_password("wrong", hash));
    let a = t.query(
        "SELECT user_id, lower_user_id, backend, state, home FROM *PREFIX*accounts",
        &[],
    );
    assert_eq!(
        Value::Object(a[0].clone()),
        json!({
            "user_id": "root-admin",
            "lower_user_id": "root-admin",
            "backend": "OC\\User\\Database",
            "state": 1,
            "home": t.data_dir().join("root-admin").display().to_string(),
        })
    );
    assert_eq!(
        t.query("SELECT gid FROM *PREFIX*groups", &[]),
        [json!({"gid": "admin"}).as_object().unwrap().clone()]
    );
    assert_eq!(
        t.query("SELECT gid, uid FROM *PREFIX*group_user", &[]),
        [json!({"gid": "admin", "uid": "root-admin"})
            .as_object()
            .unwrap()
            .clone()]
    );
    assert!(!t.data_dir().join("root-admin").exists());
    // Core is recorded as installed and enabled.
    let core: Vec<(Value, Value)> = t
        .query(
            "SELECT configkey, configvalue FROM *PREFIX*appconfig WHERE appid = 'core' ORDER BY configkey",
            &[],
        )
        .into_iter()
        .map(|r| (r["configkey"].clone(), r["configvalue"].clone()))
        .collect();
    assert_eq!(
        core,
        [
            (json!("enabled"), json!("yes")),
            (json!("installed_version"), json!(CORE_VERSION)),
        ]
    );
    // The instance works: its commands run against what the install made.
    assert_eq!(t.run(&["user:list"]).stdout, "  - root-admin: root-admin\n");
    assert_eq!(t.run(&["status", "-e"]).code, 0);

    // Installed: a second install is refused and touches nothing.
    let config_before = fs::read(t.root().join("config/config.json")).unwrap();
    let db_before = fs::read(t.data_dir().join("owncloud.db")).unwrap();
    let o = t.run(&["maintenance:install", "--admin-pass=x"]);
    assert_eq!(
        out(&o),
        (
            "",
            "Command \"maintenance:install\" is not available: occ is already installed.\n",
            1
        )
    );
    assert_eq!(
        fs::read(t.root().join("config/config.json")).unwrap(),
        config_before
    );
    assert_eq!(
        fs::read(t.data_dir().join("owncloud.db")).unwrap(),
        db_before
    );
    assert_eq!(
        t.query("SELECT COUNT(*) AS n FROM *PREFIX*users", &[])[0]["n"],
        1
    );
}

const CORE_VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn install_honours_database_name_prefix_and_data_dir() {
    let t = TestInstance::new(&[&CORE]);
    let data = t.root().join("elsewhere");
    let o = t.run(&[
        "maintenance:install",
        "--database-name=cloud",
        "--database-table-prefix=my_",
        &format!("--data-dir={}", data.display()),
        "--admin-pass=pw",
    ]);
    assert_eq!(
        out(&o),
        (
            "occ was successfully installed\n",
            "creating sqlite db\n",
            0
        )
    );
    let c = t.config();
    assert_eq!(c["dbname"], "cloud");
    assert_eq!(c["dbtableprefix"], "my_");
    assert_eq!(c["datadirectory"], json!(data.display().to_string()));
    assert!(data.join("cloud.db").is_file());
    assert!(data.join(".ocdata").is_file());
    assert!(!t.data_dir().exists());
    // *PREFIX* is the configured prefix; the default admin name is admin.
    let users = t.query("SELECT uid FROM *PREFIX*users", &[]);
    assert_eq!(
        users,
        [json!({"uid": "admin"}).as_object().unwrap().clone()]
    );
    let tables = t.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'my_users'",
        &[],
    );
    assert_eq!(tables.len(), 1);
}

#[test]
fn refused_options_leave_no_config_no_database_and_no_data_dir() {
    let t = TestInstance::new(&[&CORE]);
    let file = t.root().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    let not_a_dir = format!("--data-dir={}", file.display());
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--database=oci", "--admin-pass=x"],
            "Database oci (Oracle) is not supported by occ: use sqlite, mysql or pgsql.\n".into(),
        ),
        (
            vec!["--database=mongo", "--admin-pass=x"],
            "Database \"mongo\" is not supported: use sqlite, mysql or pgsql.\n".into(),
        ),
        (
            vec!["--admin-user=../x", "--admin-pass=x"],
            "Invalid user name \"../x\": only the following characters are allowed in a user name: \"a-z\", \"A-Z\", \"0-9\", and \"+_.@-'\"\n".into(),
        ),
        (
            vec!["--database-table-prefix=oc;drop", "--admin-pass=x"],
            "Invalid table prefix \"oc;drop\": use letters, digits and underscores only.\n".into(),
        ),
        (
            vec!["--database-name=../evil", "--admin-pass=x"],
            "Invalid database name \"../evil\": use letters, digits, '_', '.' and '-'.\n".into(),
        ),
        (
            vec!["--data-dir= ", "--admin-pass=x"],
            "The data directory must not be empty.\n".into(),
        ),
        (
            vec![not_a_dir.as_str(), "--admin-pass=x"],
            format!(
                "Cannot create or write into the data directory {}\n",
                file.display()
            ),
        ),
        (
            vec!["--database=pgsql", "--admin-pass=x"],
            "Database user not provided.\n".into(),
        ),
        (
            vec!["--database=mysql", "--database-user=oc", "--admin-pass=x"],
            "Database name not provided.\n".into(),
        ),
        (
            vec![],
            "Set an admin password: use --admin-pass (no prompt under --no-interaction).\n".into(),
        ),
        (vec!["--admin-pass="], "Set an admin password.\n".into()),
    ];
    for (args, msg) in cases {
        let mut full = vec!["maintenance:install"];
        full.extend(&args);
        let o = t.run(&full);
        assert_eq!(out(&o), ("", msg.as_str(), 1), "{args:?}");
        assert!(
            !t.root().join("config/config.json").exists(),
            "{args:?} wrote a config"
        );
        assert!(!t.data_dir().exists(), "{args:?} made a data dir");
        assert_eq!(names(t.root()), ["not-a-dir"], "{args:?}");
    }
    assert_eq!(fs::read(&file).unwrap(), b"x");
    // An unknown option is a usage error, and nothing either.
    let o = t.run(&["maintenance:install", "--admin-pass=x", "--colour=blue"]);
    assert_eq!(o.code, 2, "{o:?}");
    assert!(
        o.stderr.contains("The \"--colour\" option does not exist."),
        "{}",
        o.stderr
    );
    assert_eq!(names(t.root()), ["not-a-dir"]);
    // Commands of an installed instance are not there yet.
    let o = t.run(&["user:list"]);
    assert_eq!(
        out(&o),
        (
            "",
            "Command \"user:list\" is not available: occ is not installed - run \"occ maintenance:install\" first.\n",
            1
        )
    );
}

#[test]
fn a_database_that_already_holds_tables_is_refused() {
    let t = TestInstance::installed(&[&CORE]);
    // A root whose config is gone but whose database is still there.
    fs::remove_file(t.root().join("config/config.json")).unwrap();
    let db = t.data_dir().join("owncloud.db");
    let before = fs::read(&db).unwrap();
    let o = t.run(&["maintenance:install", "--admin-pass=x"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(o.stdout, "");
    assert!(
        o.stderr.starts_with(&format!(
            "The database {} already holds tables (oc_",
            db.display()
        )),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .ends_with("); remove it or choose another --database-name\n"),
        "{}",
        o.stderr
    );
    assert_eq!(fs::read(&db).unwrap(), before);
    assert!(!t.root().join("config/config.json").exists());
}
