//! Users and groups: the reference texts, the rows they leave in the database, prompts and
//! `OC_PASS`, bad input leaving database and config byte-identical, and concurrent adds.

use std::fs;

use occ_tests::{plugin_dir, Instance};
use serde_json::{json, Value};

fn add(i: &Instance, args: &[&str]) -> occ_tests::Out {
    let mut full = vec!["user:add", "--password-from-env"];
    full.extend_from_slice(args);
    let mut c = i.command(&full);
    c.env("OC_PASS", "layla-pass");
    let o = c.output().unwrap();
    occ_tests::Out {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code().unwrap_or(-1),
    }
}

#[test]
fn user_add_matches_the_reference_and_stores_what_owncloud_stores() {
    let i = Instance::installed();
    let o = add(
        &i,
        &[
            "--display-name=Layla Smith",
            "--group=users",
            "--group=db-admins",
            "--email=layla@example.org",
            "layla",
        ],
    );
    assert_eq!(
        o.stdout,
        "The user \"layla\" was created successfully\nDisplay name set to \"Layla Smith\"\nEmail address set to \"layla@example.org\"\nCreated group \"users\"\nUser \"layla\" added to group \"users\"\nCreated group \"db-admins\"\nUser \"layla\" added to group \"db-admins\"\n"
    );
    assert_eq!((o.stderr.as_str(), o.code), ("", 0));
    let u = i.query("SELECT uid, displayname, password FROM oc_users WHERE uid = 'layla'");
    assert_eq!(u[0]["displayname"], "Layla Smith");
    let hash = u[0]["password"].as_str().unwrap();
    assert!(hash.starts_with("1|$2y$10$") && bcrypt::verify("layla-pass", &hash[2..]).unwrap());
    let a = i.query("SELECT email, lower_user_id, backend, state, home FROM oc_accounts WHERE user_id = 'layla'");
    assert_eq!(a[0]["email"], "layla@example.org");
    assert_eq!(a[0]["backend"], "OC\\User\\Database");
    assert_eq!(a[0]["state"], 1);
    assert_eq!(
        a[0]["home"],
        i.root().join("data/layla").display().to_string()
    );
    let m: Vec<Value> = i
        .query("SELECT gid FROM oc_group_user WHERE uid = 'layla' ORDER BY gid")
        .into_iter()
        .map(|r| r["gid"].clone())
        .collect();
    assert_eq!(m, vec![json!("db-admins"), json!("users")]);

    // Duplicate (also by case): the reference line, exit 1, nothing changed.
    let before = i.dump();
    let o = add(
        &i,
        &[
            "--display-name=Layla Smith",
            "--group=users",
            "--group=db-admins",
            "layla",
        ],
    );
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("", "The user \"layla\" already exists.\n", 1)
    );
    let o = add(&i, &["LAYLA"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("The user \"LAYLA\" already exists.\n", 1)
    );
    assert_eq!(i.dump(), before);
    // A second user joining an existing group does not create it again.
    let o = add(&i, &["-g", "users", "bob"]);
    assert_eq!(
        o.stdout,
        "The user \"bob\" was created successfully\nUser \"bob\" added to group \"users\"\n"
    );
}

#[test]
fn passwords_come_from_prompts_or_oc_pass_and_never_from_nowhere() {
    let i = Instance::installed();
    let o = i.run_stdin(&["user:add", "ann"], Some("pw-1\npw-1\n"));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(o.stderr, "Enter password: \nConfirm password: \n");
    let before = i.dump();
    let o = i.run_stdin(&["user:add", "ben"], Some("pw-1\npw-2\n"));
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            "Enter password: \nConfirm password: \nPasswords did not match!\n",
            1
        )
    );
    let o = i.run(&["user:add", "-n", "ben"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            "Interactive input or --password-from-env is needed for entering a password!\n",
            1
        )
    );
    let o = i.run(&["user:add", "--password-from-env", "ben"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("--password-from-env given, but OC_PASS is empty!\n", 1)
    );
    assert_eq!(i.dump(), before);
    // resetpassword
    let mut c = i.command(&["user:resetpassword", "--password-from-env", "ann"]);
    c.env("OC_PASS", "new-pass");
    let o = c.output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Successfully reset password for ann\n"
    );
    let hash = i.query("SELECT password FROM oc_users WHERE uid = 'ann'")[0]["password"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(bcrypt::verify("new-pass", &hash[2..]).unwrap());
    let o = i.run_stdin(&["user:resetpassword", "ann"], Some("a\nb\n"));
    assert_eq!(o.code, 1);
    assert!(o.stderr.ends_with("Passwords did not match!\n"));
    let o = i.run(&["user:resetpassword", "nobody-here", "--password-from-env"]);
    assert_eq!((o.stderr.as_str(), o.code), ("User does not exist\n", 1));
}

#[test]
fn invalid_names_are_refused_and_nothing_changes() {
    let i = Instance::installed();
    add(&i, &["layla"]);
    let before = i.dump();
    let long = "a".repeat(65);
    let bad = [
        "",
        long.as_str(),
        "../x",
        "a\"b",
        "x'; DROP TABLE oc_users; --",
        "a\nb",
        "a b",
        "tab\tx",
    ];
    for uid in bad {
        for args in [
            vec!["user:add", "--password-from-env", uid],
            vec!["user:delete", uid],
            vec!["user:lastseen", uid],
            vec!["user:enable", uid],
            vec!["user:info", uid],
            vec!["user:setting", uid, "core", "lang", "--value=x"],
            vec!["group:adduser", "admin", uid],
        ] {
            let mut c = i.command(&args);
            c.env("OC_PASS", "x");
            let o = c.output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_ne!(o.status.code(), Some(0), "{args:?}");
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
            assert!(o.stdout.is_empty(), "{args:?}");
        }
    }
    for gid in ["", long.as_str(), "a\nb"] {
        for args in [
            vec!["group:add", gid],
            vec!["group:delete", gid],
            vec!["group:list-members", gid],
            vec!["group:adduser", gid, "layla"],
        ] {
            let o = i.run(&args);
            assert_ne!(o.code, 0, "{args:?}");
            assert_eq!(
                o.stderr.trim_end().lines().count(),
                1,
                "{args:?}: {}",
                o.stderr
            );
        }
    }
    assert_eq!(i.dump(), before);
    // SQL metacharacters are data, not SQL: a group may be called that.
    let o = i.run(&["group:add", "x'; DROP TABLE oc_users; --"]);
    assert_eq!(o.code, 0);
    assert!(i.tables().contains(&"oc_users".to_string()));
}

#[test]
fn user_delete_removes_everything_and_tells_other_plugins() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_fixture_oldapi"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    add(&i, &["-g", "users", "layla"]);
    i.run(&["user:setting", "layla", "core", "lang", "--value=de"]);
    fs::create_dir_all(i.root().join("data/layla/files/Docs")).unwrap();
    fs::write(i.root().join("data/layla/files/Docs/a.txt"), "x").unwrap();
    let o = i.run(&["user:delete", "layla"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("The specified user was deleted\n", "", 0)
    );
    for sql in [
        "SELECT uid FROM oc_users WHERE uid = 'layla'",
        "SELECT user_id FROM oc_accounts WHERE user_id = 'layla'",
        "SELECT uid FROM oc_group_user WHERE uid = 'layla'",
        "SELECT userid FROM oc_preferences WHERE userid = 'layla'",
    ] {
        assert!(i.query(sql).is_empty(), "{sql}");
    }
    assert!(!i.root().join("data/layla").exists());
    assert_eq!(
        i.query("SELECT gid FROM oc_groups WHERE gid = 'users'")
            .len(),
        1,
        "groups stay"
    );
    // The event reached a plugin built against plugin-api 1.0.
    let ev = i.query(
        "SELECT configvalue FROM oc_appconfig WHERE appid = 'oldapi' AND configkey = 'last_event'",
    );
    assert_eq!(ev[0]["configvalue"], "user.deleted:layla");
    let o = i.run(&["user:delete", "layla"]);
    assert_eq!((o.stderr.as_str(), o.code), ("User does not exist\n", 1));
}

#[test]
fn lastseen_report_list_info_enable() {
    let i = Instance::installed();
    add(&i, &["--display-name=Layla Smith", "layla"]);
    assert_eq!(
        i.run(&["user:lastseen", "layla"]).stdout,
        "User layla has never logged in.\n"
    );
    i.exec("UPDATE oc_accounts SET last_login = 1795840200 WHERE user_id = 'layla'");
    assert_eq!(
        i.run(&["user:lastseen", "layla"]).stdout,
        "layla`s last login: 28.11.2026 04:30\n"
    );
    let report = |dirs: u32| {
        format!(
            "+------------------+---+\n| User Report      |   |\n+------------------+---+\n| OC\\User\\Database | 2 |\n|                  |   |\n| guest users      | 0 |\n|                  |   |\n| total users      | 2 |\n|                  |   |\n| user directories | {dirs} |\n+------------------+---+\n"
        )
    };
    assert_eq!(i.run(&["user:report"]).stdout, report(0));
    fs::create_dir_all(i.root().join("data/layla/files")).unwrap();
    assert_eq!(i.run(&["user:report"]).stdout, report(1));
    assert_eq!(
        i.run(&["user:report", "--output=json"]).stdout,
        "{\"OC\\\\User\\\\Database\":2,\"guest users\":0,\"total users\":2,\"user directories\":1}\n"
    );
    assert_eq!(
        i.run(&["user:list"]).stdout,
        "  - admin: admin\n  - layla: Layla Smith\n"
    );
    assert_eq!(
        i.run(&["user:list", "--output=json"]).stdout,
        "{\"admin\":{\"displayName\":\"admin\"},\"layla\":{\"displayName\":\"Layla Smith\"}}\n"
    );
    assert_eq!(
        i.run(&["user:list", "smith"]).stdout,
        "  - layla: Layla Smith\n"
    );
    assert_eq!(
        i.run(&["user:list", "-l", "1", "-o", "1"]).stdout,
        "  - layla: Layla Smith\n"
    );
    // JSON is re-encoded as PHP's json_encode writes it: "/" escaped, non-ASCII as \uXXXX.
    assert_eq!(add(&i, &["--display-name=Zoë R/D", "zoe"]).code, 0);
    assert_eq!(
        i.run(&["user:list", "--output=json", "-o", "2"]).stdout,
        "{\"zoe\":{\"displayName\":\"Zo\\u00eb R\\/D\"}}\n"
    );
    assert_eq!(
        i.run(&["user:list", "--output=json_pretty", "zo"]).stdout,
        "{\n    \"zoe\": {\n        \"displayName\": \"Zo\\u00eb R\\/D\"\n    }\n}\n"
    );
    assert_eq!(
        i.run(&["user:list", "-o", "2"]).stdout,
        "  - zoe: Zoë R/D\n"
    );
    assert_eq!(i.run(&["user:list", "nobody-matches"]).stdout, "");
    assert_eq!(
        i.run(&["user:list", "nobody-matches", "--output=json"])
            .stdout,
        "[]\n"
    );
    let o = i.run(&["user:list", "--limit=many"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            "--limit must be a whole number of zero or more, not \"many\".\n",
            2
        )
    );
    let o = i.run(&["user:info", "layla", "--output=json"]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["display_name"], "Layla Smith");
    assert_eq!(v["enabled"], true);
    assert_eq!(v["last_seen"], "28.11.2026 04:30");
    assert_eq!(
        i.run(&["user:disable", "layla"]).stdout,
        "The specified user is disabled\n"
    );
    assert_eq!(
        i.query("SELECT state FROM oc_accounts WHERE user_id = 'layla'")[0]["state"],
        2
    );
    assert_eq!(
        i.run(&["user:enable", "layla"]).stdout,
        "The specified user is enabled\n"
    );
    assert_eq!(
        i.query("SELECT state FROM oc_accounts WHERE user_id = 'layla'")[0]["state"],
        1
    );
    // Names the host must escape on the way to the plugin (quotes, a backslash) come
    // out as they are stored; an empty display name shows the uid.
    assert_eq!(
        add(&i, &["--display-name=Q \"the\" \\ one", "quinn"]).code,
        0
    );
    i.exec("UPDATE oc_users SET displayname = '' WHERE uid = 'layla'");
    assert_eq!(
        i.run(&["user:list"]).stdout,
        "  - admin: admin\n  - layla: layla\n  - quinn: Q \"the\" \\ one\n  - zoe: Zoë R/D\n"
    );
    assert_eq!(
        i.run(&["user:list", "-l", "1", "-o", "2", "--output=json"])
            .stdout,
        "{\"quinn\":{\"displayName\":\"Q \\\"the\\\" \\\\ one\"}}\n"
    );
}

#[test]
fn user_settings() {
    let i = Instance::installed();
    let s = |args: &[&str]| {
        let mut full = vec!["user:setting"];
        full.extend_from_slice(args);
        i.run(&full)
    };
    assert_eq!(s(&["admin", "core", "lang", "--value=de"]).code, 0);
    assert_eq!(s(&["admin", "core", "lang"]).stdout, "de\n");
    assert_eq!(s(&["admin", "core", "email", "--value=a@b.c"]).code, 0);
    assert_eq!(
        s(&["admin"]).stdout,
        "  - core:\n    - email: a@b.c\n    - lang: de\n"
    );
    assert_eq!(
        s(&["admin", "core", "--output=json"]).stdout,
        "{\"core\":{\"email\":\"a@b.c\",\"lang\":\"de\"}}\n"
    );
    let o = s(&["admin", "core", "missing"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("The setting does not exist for user \"admin\".\n", 1)
    );
    assert_eq!(
        s(&["admin", "core", "missing", "--default-value=fallback"]).stdout,
        "fallback\n"
    );
    let before = i.dump();
    assert_eq!(
        s(&["admin", "core", "missing", "--value=x", "--update-only"]).code,
        1
    );
    assert_eq!(
        s(&[
            "admin",
            "core",
            "missing",
            "--delete",
            "--error-if-not-exists"
        ])
        .code,
        1
    );
    assert_eq!(
        s(&["ghost", "core", "lang"]).stderr,
        "The user \"ghost\" does not exist.\n"
    );
    assert_eq!(s(&["admin", "../core", "lang", "--value=x"]).code, 1);
    assert_eq!(i.dump(), before);
    assert_eq!(
        s(&["admin", "core", "lang", "--value=fr", "--update-only"]).code,
        0
    );
    assert_eq!(s(&["admin", "core", "lang", "--delete"]).code, 0);
    assert!(i
        .query("SELECT * FROM oc_preferences WHERE configkey = 'lang'")
        .is_empty());
}

#[test]
fn groups() {
    let i = Instance::installed();
    add(&i, &["layla"]);
    assert_eq!(
        i.run(&["group:add", "staff"]).stdout,
        "Created group \"staff\"\n"
    );
    let o = i.run(&["group:add", "staff"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("Group \"staff\" already exists.\n", 1)
    );
    assert_eq!(
        i.run(&["group:adduser", "staff", "layla"]).stdout,
        "User \"layla\" added to group \"staff\"\n"
    );
    assert_eq!(i.run(&["group:list"]).stdout, "  - admin\n  - staff\n");
    assert_eq!(
        i.run(&["group:list", "sta", "--output=json"]).stdout,
        "[\"staff\"]\n"
    );
    assert_eq!(
        i.run(&["group:list-members", "staff"]).stdout,
        "  - layla: layla\n"
    );
    assert_eq!(
        i.run(&["group:list-members", "admin", "--output=json"])
            .stdout,
        "{\"admin\":\"admin\"}\n"
    );
    let o = i.run(&["group:adduser", "staff", "ghost"]);
    assert_eq!((o.stderr.as_str(), o.code), ("User does not exist\n", 1));
    let o = i.run(&["group:adduser", "ghosts", "layla"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("Group \"ghosts\" does not exist.\n", 1)
    );
    assert_eq!(
        i.run(&["group:removeuser", "staff", "layla"]).stdout,
        "User \"layla\" removed from group \"staff\"\n"
    );
    let o = i.run(&["group:removeuser", "staff", "layla"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("User \"layla\" is not a member of group \"staff\".\n", 1)
    );
    let o = i.run(&["group:delete", "admin"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            "Group \"admin\" could not be deleted: it is the admin group.\n",
            1
        )
    );
    i.run(&["group:adduser", "staff", "layla"]);
    assert_eq!(
        i.run(&["group:delete", "staff"]).stdout,
        "Group \"staff\" was removed\n"
    );
    assert!(i
        .query("SELECT * FROM oc_group_user WHERE gid = 'staff'")
        .is_empty());
    let o = i.run(&["group:delete", "staff"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("Group \"staff\" does not exist.\n", 1)
    );
}

#[test]
fn eight_simultaneous_user_adds_all_succeed() {
    let i = Instance::installed();
    let children: Vec<_> = (0..8)
        .map(|n| {
            let mut c = i.command(&[
                "user:add",
                "--password-from-env",
                "-g",
                "crowd",
                &format!("user{n}"),
            ]);
            c.env("OC_PASS", format!("pass-{n}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for (n, c) in children.into_iter().enumerate() {
        let o = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "user{n}: {err}");
        assert!(!err.contains("locked"), "{err}");
    }
    assert_eq!(i.query("SELECT COUNT(*) AS n FROM oc_users")[0]["n"], 9);
    assert_eq!(
        i.query("SELECT COUNT(*) AS n FROM oc_group_user WHERE gid = 'crowd'")[0]["n"],
        8
    );
    assert_eq!(
        i.query("SELECT COUNT(*) AS n FROM oc_groups WHERE gid = 'crowd'")[0]["n"],
        1
    );
}

#[test]
fn user_commands_do_not_exist_before_install() {
    let o = Instance::new().run(&["user:list"]);
    assert_eq!((o.stderr.as_str(), o.code), ("Command \"user:list\" is not available: occ is not installed - run \"occ maintenance:install\" first.\n", 1));
}

#[test]
fn a_database_user_without_an_account_is_taken_in_any_letter_case() {
    // Rows of oc_users that have no account (left by older servers) are found through the uid
    // index, by the case ranges of the name; names beside them in that order stay free.
    let i = Instance::installed();
    i.exec("INSERT INTO oc_users (uid, displayname, password) VALUES ('Legacy', NULL, ''), ('0dd.Name', NULL, ''), ('legacz', NULL, '')");
    let before = i.dump();
    for uid in ["LEGACY", "legacy", "lEgAcY", "0DD.name", "LEGACZ"] {
        let o = add(&i, &[uid]);
        let want = format!("The user \"{uid}\" already exists.\n");
        assert_eq!((o.stderr.as_str(), o.code), (want.as_str(), 1), "{uid}");
    }
    assert_eq!(i.dump(), before);
    for uid in ["legac", "legacy0", "Legacx", "0dd.Nam", "1dd.name"] {
        let o = add(&i, &[uid]);
        assert_eq!(o.code, 0, "{uid}: {o:?}");
    }
}
