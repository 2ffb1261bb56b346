//! `db:convert-type`: an SQLite instance copied to the suite's server database
//! (`OCC_TEST_DB=pgsql|mysql`; on SQLite these tests say they skip), verified, the config
//! switched; and everything it refuses, with the source and the config left as they were.

use std::fs;

use occ_plugin_api::DbKind;
use occ_tests::{fresh_database_name, test_db, test_server, Instance, SERVER_USER};

/// The server the suite runs on, or `None` (skipped) on SQLite.
fn server() -> Option<DbKind> {
    let kind = test_db();
    if kind == DbKind::Sqlite {
        eprintln!("skipped on sqlite: conversions go to a server");
        return None;
    }
    Some(kind)
}

/// An SQLite instance with users, a group and a scanned tree with awkward names.
fn sqlite_source() -> Instance {
    let mut i = Instance::new();
    let o = i.run(&["maintenance:install", "--admin-pass=x", "-n"]);
    assert_eq!(o.code, 0, "{o:?}");
    i.set_env("OC_PASS", "a-long-password");
    for u in ["alice", "bob"] {
        let o = i.run(&["user:add", "--password-from-env", "-g", "staff", u]);
        assert_eq!(o.code, 0, "{o:?}");
    }
    let files = i.root().join("data/alice/files");
    fs::create_dir_all(files.join("Müsik 🎵")).unwrap();
    fs::write(files.join("Müsik 🎵/sång.mp3"), vec![1u8; 42]).unwrap();
    fs::write(files.join("a.txt"), "hello").unwrap();
    // What COPY's text format and SQL literals treat specially.
    for name in [
        "it's \"q\" \\ back",
        "tab\there",
        "new\nline",
        "\\N",
        "50%_x",
    ] {
        fs::write(files.join(name), "x").unwrap();
    }
    assert_eq!(i.run(&["files:scan", "--all"]).code, 0);
    let o = i.run(&[
        "config:app:set",
        "core",
        "awkward",
        "--value=a\\b'c\"d\te\\N",
    ]);
    assert_eq!(o.code, 0, "{o:?}");
    i
}

/// Values of awkward columns, sorted: the same on both sides of a conversion.
fn awkward_values(rows: Vec<serde_json::Map<String, serde_json::Value>>) -> Vec<String> {
    let mut v: Vec<String> = rows.into_iter().map(|r| r["v"].to_string()).collect();
    v.sort();
    v
}

fn convert(i: &Instance, kind: DbKind, database: &str, extra: &[&str]) -> occ_tests::Out {
    let (host, port) = test_server(kind).split_once(':').unwrap();
    let mut args = vec![
        "db:convert-type".to_string(),
        format!("--port={port}"),
        kind.as_str().to_string(),
        SERVER_USER.0.to_string(),
        host.to_string(),
        database.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    i.run(&args)
}

#[test]
fn an_instance_moves_to_the_server_whole_and_keeps_working() {
    let Some(kind) = server() else { return };
    let i = sqlite_source();
    let before_list = i.run(&["user:list", "--output=json"]).stdout;
    let source = i.dump();
    let counts: Vec<(String, i64)> = i
        .tables()
        .into_iter()
        .filter(|t| t != "oc_migrations")
        .map(|t| {
            let n = i.query(&format!("SELECT COUNT(*) AS n FROM {t}"))[0]["n"]
                .as_i64()
                .unwrap();
            (t, n)
        })
        .collect();
    let awkward =
        "SELECT path AS v FROM oc_filecache UNION ALL SELECT configvalue AS v FROM oc_appconfig";
    let values = awkward_values(i.query(awkward));
    assert!(
        values.contains(&"\"files/tab\\there\"".to_string()),
        "{values:?}"
    );
    let name = fresh_database_name();
    let o = convert(&i, kind, &name, &[&format!("--password={}", SERVER_USER.1)]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.starts_with("Creating schema in new database\n"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("oc_filecache: 10 rows\n"), "{}", o.stdout);
    assert_eq!(awkward_values(i.query(awkward)), values);
    // The indexes dropped for the load are all back.
    let indexes = match kind {
        DbKind::Pgsql => "SELECT indexname::text AS v FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'oc_filecache'",
        _ => "SELECT DISTINCT CAST(index_name AS CHAR) AS v FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'oc_filecache'",
    };
    let pk = if kind == DbKind::Pgsql {
        "oc_filecache_pkey"
    } else {
        "PRIMARY"
    };
    let prefix = if kind == DbKind::Pgsql { "oc_" } else { "" };
    let mut want: Vec<String> = [
        "fs_parent_name_hash",
        "fs_parent_storage_size",
        "fs_storage_mimepart",
        "fs_storage_mimetype",
        "fs_storage_path_hash",
        "fs_storage_size",
    ]
    .iter()
    .map(|n| format!("\"{prefix}{n}\""))
    .chain([format!("\"{pk}\"")])
    .collect();
    want.sort();
    assert_eq!(awkward_values(i.query(indexes)), want);
    assert!(
        o.stdout
            .ends_with("; the instance now uses the new database.\n"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains(SERVER_USER.1) && !o.stderr.contains(SERVER_USER.1));
    // The config names the target; the source file is as it was.
    let c = i.config();
    assert_eq!(c["dbtype"], kind.as_str());
    assert_eq!(c["dbhost"], test_server(kind));
    assert_eq!(c["dbname"], name.as_str());
    assert_eq!(c["dbuser"], SERVER_USER.0);
    assert_eq!(c["dbpassword"], SERVER_USER.1);
    let file = occ_tests::query_sqlite(&i.db_path(), "SELECT COUNT(*) AS n FROM oc_users");
    assert_eq!(file[0]["n"], 3);
    assert_ne!(i.dump(), source);
    // Every table with every row, and the instance works on the server.
    for (t, n) in &counts {
        let got = i.query(&format!("SELECT COUNT(*) AS n FROM {t}"))[0]["n"]
            .as_i64()
            .unwrap();
        assert_eq!((t, got), (t, *n));
    }
    assert_eq!(i.run(&["user:list", "--output=json"]).stdout, before_list);
    let o = i.run(&["files:scan", "alice", "--output=json"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.contains("\"new\":0,\"updated\":0,\"removed\":0"),
        "{}",
        o.stdout
    );
    // New rows get new ids: sequences and counters lie past the copied ones.
    fs::write(i.root().join("data/alice/files/b.txt"), "new").unwrap();
    assert_eq!(i.run(&["files:scan", "alice"]).code, 0);
    let o = i.run(&["user:add", "--password-from-env", "carol"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(i.query("SELECT COUNT(*) AS n FROM oc_users")[0]["n"], 4);
}

#[test]
fn what_is_refused_changes_nothing() {
    let Some(kind) = server() else { return };
    let i = sqlite_source();
    let config = fs::read(i.config_path()).unwrap();
    let source = i.dump();
    let pass = format!("--password={}", SERVER_USER.1);
    let cases: Vec<(Vec<String>, &str, i32)> = vec![
        (
            vec![
                "db:convert-type".into(),
                pass.clone(),
                "sqlite3".into(),
                "u".into(),
                "h".into(),
                "d".into(),
            ],
            "Converting to SQLite (sqlite3) is currently not supported.\n",
            1,
        ),
        (
            vec![
                "db:convert-type".into(),
                pass.clone(),
                "oracle".into(),
                "u".into(),
                "h".into(),
                "d".into(),
            ],
            "Database type \"oracle\" is not supported: use pgsql or mysql.\n",
            1,
        ),
        (
            vec![
                "db:convert-type".into(),
                pass.clone(),
                "--chunk-size=0".into(),
                kind.as_str().into(),
                "u".into(),
                "h".into(),
                "d".into(),
            ],
            "",
            2,
        ),
    ];
    for (args, err, code) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = i.run(&args);
        assert_eq!(o.code, code, "{args:?}: {o:?}");
        if !err.is_empty() {
            assert_eq!(o.stderr, err, "{args:?}");
        }
    }
    // No password under -n: a clear line, no connection.
    let o = convert(&i, kind, "never", &["-n"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "Cannot ask \"What is the database password?\" with --no-interaction\n"
    );
    // A wrong password: one line naming the server, not the password.
    let o = convert(&i, kind, &fresh_database_name(), &["--password=wrong-pass"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    assert!(
        o.stderr.starts_with("Cannot connect to the "),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("wrong-pass"));
    assert_eq!(fs::read(i.config_path()).unwrap(), config);
    assert_eq!(i.dump(), source);
}

#[test]
fn a_target_with_tables_needs_clear_schema() {
    let Some(kind) = server() else { return };
    let i = sqlite_source();
    let name = fresh_database_name();
    let pass = format!("--password={}", SERVER_USER.1);
    // A first conversion fills the target; the instance goes back to its SQLite file.
    let config = fs::read(i.config_path()).unwrap();
    assert_eq!(convert(&i, kind, &name, &[&pass]).code, 0);
    fs::write(i.config_path(), &config).unwrap();
    let o = convert(&i, kind, &name, &[&pass]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .starts_with("The target database already holds tables with the prefix \"oc_\" (oc_"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.ends_with("); use --clear-schema to remove them\n"),
        "{}",
        o.stderr
    );
    assert_eq!(fs::read(i.config_path()).unwrap(), config);
    let o = convert(&i, kind, &name, &[&pass, "--clear-schema"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(i.config()["dbname"], name.as_str());
}

#[test]
fn a_server_instance_is_never_converted_onto_itself() {
    let Some(kind) = server() else { return };
    let i = Instance::installed();
    let name = i.config()["dbname"].as_str().unwrap().to_string();
    let o = convert(&i, kind, &name, &[&format!("--password={}", SERVER_USER.1)]);
    assert_eq!(o.code, 1);
    let refused =
        "The target is the instance's own database: convert to another server or database.\n";
    assert_eq!(o.stderr, refused);
    // The same database through its Unix socket: the servers tell, not the strings.
    let run = std::env::var("SVC_RUN").unwrap_or_else(|_| "/tmp/occ-svc".into());
    let dir = tempfile::tempdir().unwrap();
    let socket = match kind {
        DbKind::Pgsql => {
            let real = format!("{run}/postgres/sock/.s.PGSQL.15432");
            std::os::unix::fs::symlink(real, dir.path().join(".s.PGSQL.5432")).unwrap();
            dir.path().display().to_string()
        }
        _ => format!("{run}/mariadb/mysqld.sock"),
    };
    let before = i.dump();
    let o = i.run(&[
        "db:convert-type",
        &format!("--password={}", SERVER_USER.1),
        "--clear-schema",
        kind.as_str(),
        SERVER_USER.0,
        &format!("localhost:{socket}"),
        &name,
    ]);
    assert_eq!((o.code, o.stderr.as_str()), (1, refused));
    assert_eq!(i.dump(), before, "nothing dropped");
}

#[test]
fn a_conversion_killed_anywhere_runs_again_to_the_end() {
    let Some(kind) = server() else { return };
    let i = sqlite_source();
    // Enough rows that a kill lands during the copy.
    let files = i.root().join("data/alice/files/many");
    for d in 0..30 {
        let dir = files.join(format!("d{d:02}"));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..100 {
            fs::write(dir.join(format!("f{f:03}")), "x").unwrap();
        }
    }
    assert_eq!(i.run(&["files:scan", "alice"]).code, 0);
    let config = fs::read(i.config_path()).unwrap();
    let rows = i.query("SELECT COUNT(*) AS n FROM oc_filecache")[0]["n"]
        .as_i64()
        .unwrap();
    let (host, port) = test_server(kind).split_once(':').unwrap();
    let pass = format!("--password={}", SERVER_USER.1);
    for after_ms in [30u64, 120, 400] {
        let name = fresh_database_name();
        let mut child = i
            .command(&[
                "db:convert-type",
                &format!("--port={port}"),
                &pass,
                kind.as_str(),
                SERVER_USER.0,
                host,
                &name,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(after_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        eprintln!(
            "kill after {after_ms} ms: {}",
            if status.success() {
                "finished first"
            } else {
                "killed"
            }
        );
        if status.success() {
            // It finished first: the instance is on the target already; go back for the next.
            fs::write(i.config_path(), &config).unwrap();
            continue;
        }
        // Killed: the config still names the source, which still works.
        assert_eq!(
            fs::read(i.config_path()).unwrap(),
            config,
            "killed after {after_ms} ms"
        );
        assert_eq!(i.run(&["user:list"]).code, 0);
        // Run again (a half-made MySQL schema needs --clear-schema; PostgreSQL's left none).
        let o = i.run(&[
            "db:convert-type",
            &format!("--port={port}"),
            &pass,
            "--clear-schema",
            kind.as_str(),
            SERVER_USER.0,
            host,
            &name,
        ]);
        assert_eq!(o.code, 0, "after a kill at {after_ms} ms: {o:?}");
        assert_eq!(
            i.query("SELECT COUNT(*) AS n FROM oc_filecache")[0]["n"]
                .as_i64()
                .unwrap(),
            rows
        );
        fs::write(i.config_path(), &config).unwrap();
    }
}

#[test]
fn a_failed_conversion_leaves_no_database_it_made_and_says_what_it_left() {
    let Some(kind) = server() else { return };
    let i = sqlite_source();
    let config = fs::read(i.config_path()).unwrap();
    let pass = format!("--password={}", SERVER_USER.1);
    // A database that exists already (a conversion made it; the instance goes back).
    let existing = fresh_database_name();
    assert_eq!(convert(&i, kind, &existing, &[&pass]).code, 0);
    fs::write(i.config_path(), &config).unwrap();
    // A table no loaded plugin makes: found once the target's schema exists.
    occ_tests::exec_sqlite(
        &i.db_path(),
        "CREATE TABLE oc_stray (id INTEGER PRIMARY KEY)",
    );
    let refusal = "oc_stray: no loaded plugin makes this table (an app's that is disabled?); enable its app, or drop the table, first";
    // Into a database the run makes: it goes again, so nothing is left to clear.
    let made = fresh_database_name();
    let o = convert(&i, kind, &made, &[&pass]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, format!("{refusal}\n").as_str())
    );
    assert!(!occ_tests::database_exists(kind, &made));
    assert!(occ_tests::database_exists(kind, &existing));
    // Into the existing one: PostgreSQL's transaction left nothing; MySQL says what it left.
    let o = convert(&i, kind, &existing, &[&pass, "--clear-schema"]);
    let want = match kind {
        DbKind::Pgsql => format!("{refusal}\n"),
        _ => format!("{refusal} (the target database holds part of the copy: run the conversion again with --clear-schema)\n"),
    };
    assert_eq!((o.code, o.stderr), (1, want));
    assert_eq!(fs::read(i.config_path()).unwrap(), config);
    occ_tests::exec_sqlite(&i.db_path(), "DROP TABLE oc_stray");
    // The made database is gone (no tables to refuse), and the conversion runs there.
    let o = convert(&i, kind, &made, &[&pass]);
    assert_eq!(o.code, 0, "{o:?}");
}
