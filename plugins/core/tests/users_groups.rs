//! Users and groups of the core plugin, in process on a temporary SQLite instance: `user:add`
//! (reference lines, rows, hash, memberships, case-insensitive duplicates), invalid names and
//! values refused with nothing written, `user:delete` (rows, memberships, preferences, home),
//! the `group:*` commands, and the `users` and `groups` library functions through a real
//! `Context`.
//!
//! `--password-from-env` reads `OC_PASS`, which is process-wide while tests run on parallel
//! threads: every test sets it first, once, to the same value (see [`instance`]).

// Helpers outside #[test] functions unwrap too (clippy's allow-unwrap-in-tests covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::sync::Once;

use occ_plugin_core::{groups, password, users, CORE};
use occ_plugin_test_support::{Output, TestInstance};
use serde_json::{json, Map, Value};

const PASSWORD: &str = "layla-pass";

/// An installed instance with only the core plugin; `OC_PASS` is set before anything runs.
fn instance() -> TestInstance {
    static ENV: Once = Once::new();
    ENV.call_once(|| std::env::set_var("OC_PASS", PASSWORD));
    TestInstance::installed(&[&CORE])
}

/// `user:add --password-from-env <args>`.
fn add(t: &TestInstance, args: &[&str]) -> Output {
    let mut full = vec!["user:add", "--password-from-env"];
    full.extend_from_slice(args);
    t.run(&full)
}

/// Every row of every table, by table: what "nothing was written" is compared with.
fn dump(t: &TestInstance) -> Vec<(String, Vec<Map<String, Value>>)> {
    t.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        &[],
    )
    .into_iter()
    .map(|r| {
        let name = r["name"].as_str().unwrap().to_string();
        let rows = t.query(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"), &[]);
        (name, rows)
    })
    .collect()
}

/// One column of a query's rows.
fn column(t: &TestInstance, sql: &str, col: &str) -> Vec<Value> {
    t.query(sql, &[])
        .into_iter()
        .map(|mut r| r.remove(col).unwrap())
        .collect()
}

fn out(o: &Output) -> (&str, &str, i32) {
    (o.stdout.as_str(), o.stderr.as_str(), o.code)
}

#[test]
fn user_add_prints_the_reference_lines_and_stores_what_owncloud_stores() {
    let t = instance();
    let o = add(
        &t,
        &[
            "--display-name=Layla Smith",
            "--group=users",
            "--group=db-admins",
            "--email=layla@example.org",
            "layla",
        ],
    );
    assert_eq!(
        out(&o),
        (
            "The user \"layla\" was created successfully\nDisplay name set to \"Layla Smith\"\nEmail address set to \"layla@example.org\"\nCreated group \"users\"\nUser \"layla\" added to group \"users\"\nCreated group \"db-admins\"\nUser \"layla\" added to group \"db-admins\"\n",
            "",
            0
        )
    );
    let u = t.query("SELECT uid, displayname, password FROM *PREFIX*users", &[]);
    assert_eq!(u.len(), 1);
    assert_eq!(u[0]["uid"], "layla");
    assert_eq!(u[0]["displayname"], "Layla Smith");
    let hash = u[0]["password"].as_str().unwrap();
    assert!(hash.starts_with("1|$2y$10$"), "{hash}");
    assert!(password::verify_password(PASSWORD, hash));
    assert!(!password::verify_password("wrong", hash));
    let a = t.query(
        "SELECT user_id, lower_user_id, email, display_name, backend, state, last_login, home FROM *PREFIX*accounts",
        &[],
    );
    assert_eq!(
        Value::Object(a[0].clone()),
        json!({
            "user_id": "layla",
            "lower_user_id": "layla",
            "email": "layla@example.org",
            "display_name": "Layla Smith",
            "backend": "OC\\User\\Database",
            "state": 1,
            "last_login": 0,
            "home": t.data_dir().join("layla").display().to_string(),
        })
    );
    assert_eq!(a.len(), 1);
    assert_eq!(
        column(&t, "SELECT gid FROM *PREFIX*groups ORDER BY gid", "gid"),
        [json!("db-admins"), json!("users")]
    );
    assert_eq!(
        column(
            &t,
            "SELECT gid FROM *PREFIX*group_user WHERE uid = 'layla' ORDER BY gid",
            "gid"
        ),
        [json!("db-admins"), json!("users")]
    );
    assert!(
        !t.data_dir().join("layla").exists(),
        "homes are made on first use"
    );

    // A duplicate, in the same or another letter case: the reference line, nothing written.
    let before = dump(&t);
    let o = add(&t, &["--display-name=Other", "--group=new-group", "layla"]);
    assert_eq!(out(&o), ("", "The user \"layla\" already exists.\n", 1));
    let o = add(&t, &["LAYLA"]);
    assert_eq!(out(&o), ("", "The user \"LAYLA\" already exists.\n", 1));
    assert_eq!(dump(&t), before);

    // A second user joining an existing group does not create it again.
    let o = add(&t, &["-g", "users", "bob"]);
    assert_eq!(
        out(&o),
        (
            "The user \"bob\" was created successfully\nUser \"bob\" added to group \"users\"\n",
            "",
            0
        )
    );
    assert_eq!(
        column(
            &t,
            "SELECT uid FROM *PREFIX*group_user WHERE gid = 'users' ORDER BY uid",
            "uid"
        ),
        [json!("bob"), json!("layla")]
    );
    assert_eq!(
        t.query("SELECT COUNT(*) AS n FROM *PREFIX*groups", &[])[0]["n"],
        2
    );
    // A group named twice is joined once.
    let o = add(&t, &["-g", "staff", "-g", "staff", "carl"]);
    assert_eq!(
        o.stdout,
        "The user \"carl\" was created successfully\nCreated group \"staff\"\nUser \"carl\" added to group \"staff\"\n"
    );
    assert_eq!(
        column(
            &t,
            "SELECT gid FROM *PREFIX*group_user WHERE uid = 'carl'",
            "gid"
        ),
        [json!("staff")]
    );
}

#[test]
fn user_add_refuses_invalid_input_and_writes_nothing() {
    let t = instance();
    assert_eq!(add(&t, &["layla"]).code, 0);
    let before = dump(&t);
    let long = "a".repeat(65);
    let not_allowed = |uid: &str| {
        format!(
            "Invalid user name \"{uid}\": only the following characters are allowed in a user name: \"a-z\", \"A-Z\", \"0-9\", and \"+_.@-'\"\n"
        )
    };
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![long.as_str()],
            "The user name must not be longer than 64 characters.\n".into(),
        ),
        (vec!["../x"], not_allowed("../x")),
        (vec!["a b"], not_allowed("a b")),
        (vec!["a\"b"], not_allowed("a\\\"b")),
        (vec!["a\nb"], not_allowed("a\\nb")),
        (
            vec!["x'; DROP TABLE oc_users; --"],
            not_allowed("x\\'; DROP TABLE oc_users; --"),
        ),
        (vec!["."], "Invalid user name \".\".\n".into()),
        (vec![".."], "Invalid user name \"..\".\n".into()),
        // Bad values of the options: checked before anything is written, groups included.
        (
            vec!["--email=not-an-address", "-g", "fresh", "ok-name"],
            "Invalid email address supplied: \"not-an-address\"\n".into(),
        ),
        (
            vec!["--display-name=a\tb", "-g", "fresh", "ok-name"],
            "Invalid display name: at most 64 characters, no control characters.\n".into(),
        ),
        (
            vec!["-g", "fresh", "-g", "bad\ngroup", "ok-name"],
            "Invalid group name \"bad\\ngroup\": control characters are not allowed.\n".into(),
        ),
    ];
    for (args, msg) in cases {
        let o = add(&t, &args);
        assert_eq!(out(&o), ("", msg.as_str(), 1), "{args:?}");
    }
    // Without a password source under --no-interaction.
    let o = t.run(&["user:add", "ok-name"]);
    assert_eq!(
        out(&o),
        (
            "",
            "Interactive input or --password-from-env is needed for entering a password!\n",
            1
        )
    );
    assert_eq!(dump(&t), before);
    assert!(t
        .query("SELECT * FROM *PREFIX*users WHERE uid = 'ok-name'", &[])
        .is_empty());
}

#[test]
fn user_delete_removes_rows_memberships_preferences_and_home() {
    let t = instance();
    assert_eq!(add(&t, &["-g", "users", "-g", "staff", "layla"]).code, 0);
    assert_eq!(add(&t, &["-g", "users", "bob"]).code, 0);
    assert_eq!(
        t.run(&["user:setting", "layla", "core", "lang", "--value=de"])
            .code,
        0
    );
    assert_eq!(
        t.run(&["user:setting", "bob", "core", "lang", "--value=fr"])
            .code,
        0
    );
    let home = t.data_dir().join("layla");
    fs::create_dir_all(home.join("files/Docs")).unwrap();
    fs::write(home.join("files/Docs/a.txt"), "x").unwrap();

    let o = t.run(&["user:delete", "layla"]);
    assert_eq!(out(&o), ("The specified user was deleted\n", "", 0));
    for sql in [
        "SELECT uid FROM *PREFIX*users WHERE uid = 'layla'",
        "SELECT user_id FROM *PREFIX*accounts WHERE user_id = 'layla'",
        "SELECT uid FROM *PREFIX*group_user WHERE uid = 'layla'",
        "SELECT userid FROM *PREFIX*preferences WHERE userid = 'layla'",
    ] {
        assert!(t.query(sql, &[]).is_empty(), "{sql}");
    }
    assert!(!home.exists());
    // Groups stay, and so does everything of the other user.
    assert_eq!(
        column(&t, "SELECT gid FROM *PREFIX*groups ORDER BY gid", "gid"),
        [json!("staff"), json!("users")]
    );
    assert_eq!(
        column(&t, "SELECT uid, gid FROM *PREFIX*group_user", "uid"),
        [json!("bob")]
    );
    assert_eq!(
        column(
            &t,
            "SELECT configvalue FROM *PREFIX*preferences WHERE userid = 'bob'",
            "configvalue"
        ),
        [json!("fr")]
    );
    assert_eq!(
        column(&t, "SELECT user_id FROM *PREFIX*accounts", "user_id"),
        [json!("bob")]
    );

    let before = dump(&t);
    let o = t.run(&["user:delete", "layla"]);
    assert_eq!(out(&o), ("", "User does not exist\n", 1));
    let o = t.run(&["user:delete", "../bob"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.starts_with("Invalid user name \"../bob\""),
        "{o:?}"
    );
    assert_eq!(dump(&t), before);
}

#[test]
fn group_commands() {
    let t = instance();
    assert_eq!(add(&t, &["--display-name=Layla Smith", "layla"]).code, 0);
    assert_eq!(add(&t, &["bob"]).code, 0);

    assert_eq!(
        out(&t.run(&["group:add", "staff"])),
        ("Created group \"staff\"\n", "", 0)
    );
    assert_eq!(
        column(&t, "SELECT gid FROM *PREFIX*groups", "gid"),
        [json!("staff")]
    );
    assert_eq!(
        out(&t.run(&["group:add", "staff"])),
        ("", "Group \"staff\" already exists.\n", 1)
    );
    assert_eq!(
        out(&t.run(&["group:add", "a\nb"])),
        (
            "",
            "Invalid group name \"a\\nb\": control characters are not allowed.\n",
            1
        )
    );
    assert_eq!(t.run(&["group:add", "research"]).code, 0);

    assert_eq!(
        out(&t.run(&["group:adduser", "staff", "layla"])),
        ("User \"layla\" added to group \"staff\"\n", "", 0)
    );
    // Adding a member again succeeds and leaves one row.
    assert_eq!(t.run(&["group:adduser", "staff", "layla"]).code, 0);
    assert_eq!(t.run(&["group:adduser", "staff", "bob"]).code, 0);
    assert_eq!(
        t.query(
            "SELECT COUNT(*) AS n FROM *PREFIX*group_user WHERE gid = 'staff' AND uid = 'layla'",
            &[]
        )[0]["n"],
        1
    );
    assert_eq!(
        out(&t.run(&["group:list-members", "staff"])),
        ("  - bob: bob\n  - layla: Layla Smith\n", "", 0)
    );
    assert_eq!(
        t.run(&["group:list-members", "staff", "--output=json"])
            .stdout,
        "{\"bob\":\"bob\",\"layla\":\"Layla Smith\"}\n"
    );
    assert_eq!(
        out(&t.run(&["group:list-members", "ghosts"])),
        ("", "Group \"ghosts\" does not exist.\n", 1)
    );
    assert_eq!(t.run(&["group:list"]).stdout, "  - research\n  - staff\n");
    assert_eq!(
        t.run(&["group:list", "STA", "--output=json"]).stdout,
        "[\"staff\"]\n"
    );

    let before = dump(&t);
    assert_eq!(
        out(&t.run(&["group:adduser", "staff", "ghost"])),
        ("", "User does not exist\n", 1)
    );
    assert_eq!(
        out(&t.run(&["group:adduser", "ghosts", "layla"])),
        ("", "Group \"ghosts\" does not exist.\n", 1)
    );
    assert_eq!(
        out(&t.run(&["group:removeuser", "research", "layla"])),
        (
            "",
            "User \"layla\" is not a member of group \"research\".\n",
            1
        )
    );
    assert_eq!(dump(&t), before);

    assert_eq!(
        out(&t.run(&["group:removeuser", "staff", "layla"])),
        ("User \"layla\" removed from group \"staff\"\n", "", 0)
    );
    assert_eq!(
        column(
            &t,
            "SELECT uid FROM *PREFIX*group_user WHERE gid = 'staff'",
            "uid"
        ),
        [json!("bob")]
    );

    assert_eq!(
        out(&t.run(&["group:delete", "staff"])),
        ("Group \"staff\" was removed\n", "", 0)
    );
    assert!(t
        .query("SELECT * FROM *PREFIX*group_user WHERE gid = 'staff'", &[])
        .is_empty());
    assert_eq!(
        column(&t, "SELECT gid FROM *PREFIX*groups", "gid"),
        [json!("research")]
    );
    assert_eq!(
        out(&t.run(&["group:delete", "staff"])),
        ("", "Group \"staff\" does not exist.\n", 1)
    );
}

#[test]
fn an_empty_groups_members_are_an_empty_json_list() {
    // ownCloud's json_encode of an empty array; an object once the group has members.
    let t = instance();
    assert_eq!(t.run(&["group:add", "research"]).code, 0);
    let o = t.run(&["group:list-members", "research", "--output=json"]);
    assert_eq!(out(&o), ("[]\n", "", 0));
    assert_eq!(
        out(&t.run(&["group:list-members", "research"])),
        ("", "", 0)
    );
}

#[test]
fn the_admin_group_cannot_be_deleted() {
    let t = instance();
    assert_eq!(add(&t, &["-g", "admin", "root"]).code, 0);
    let before = dump(&t);
    assert_eq!(
        out(&t.run(&["group:delete", "admin"])),
        (
            "",
            "Group \"admin\" could not be deleted: it is the admin group.\n",
            1
        )
    );
    assert_eq!(dump(&t), before);
    assert_eq!(
        t.run(&["group:list-members", "admin", "--output=json"])
            .stdout,
        "{\"root\":\"root\"}\n"
    );
}

/// What `users::create` is given for a plain user.
fn new_user<'a>(uid: &'a str, groups: &'a [String], datadir: &'a str) -> users::NewUser<'a> {
    users::NewUser {
        uid,
        hash: "1|not-a-real-hash",
        display_name: None,
        email: None,
        groups,
        datadir,
    }
}

#[test]
fn users_library_creates_finds_and_deletes() {
    let t = instance();
    let datadir = t.data_dir().display().to_string();
    let wanted = vec!["users".to_string(), "staff".to_string()];
    let created = t
        .with_context(|ctx| users::create(&ctx.db(), &new_user("Layla", &wanted, &datadir)))
        .unwrap();
    assert_eq!(created.new_groups, wanted);
    // A second user in the same groups creates none.
    let created = t
        .with_context(|ctx| users::create(&ctx.db(), &new_user("bob", &wanted[..1], &datadir)))
        .unwrap();
    assert!(created.new_groups.is_empty());

    let got = t
        .with_context(|ctx| users::get(&ctx.db(), "Layla"))
        .unwrap()
        .unwrap();
    assert!(got.creation_time > 1_700_000_000, "{got:?}");
    assert_eq!(
        got,
        users::User {
            uid: "Layla".into(),
            display_name: "Layla".into(),
            email: None,
            enabled: true,
            last_login: 0,
            home: format!("{datadir}/Layla"),
            backend: users::DATABASE_BACKEND.into(),
            quota: None,
            creation_time: got.creation_time,
        }
    );
    // `get` is exact; `taken` is not.
    assert_eq!(
        t.with_context(|ctx| users::get(&ctx.db(), "layla"))
            .unwrap(),
        None
    );
    for (uid, want) in [
        ("Layla", true),
        ("layla", true),
        ("LAYLA", true),
        ("lAyLa", true),
        ("Layl", false),
        ("Laylaa", false),
        ("BOB", true),
        ("carol", false),
    ] {
        assert_eq!(
            t.with_context(|ctx| users::taken(&ctx.db(), uid)).unwrap(),
            want,
            "{uid}"
        );
    }
    // `create` refuses another letter case of an existing account, and writes nothing.
    let before = dump(&t);
    let err = t
        .with_context(|ctx| users::create(&ctx.db(), &new_user("LAYLA", &[], &datadir)))
        .err()
        .expect("a duplicate in another letter case is refused");
    assert_eq!(err.message, "The user \"LAYLA\" already exists.");
    assert_eq!(dump(&t), before);

    let (count, listed, members) = t.with_context(|ctx| {
        let db = ctx.db();
        (
            users::count(&db).unwrap(),
            users::list(&db, "LAY", 10, 0).unwrap(),
            users::members_of_group(&db, "users").unwrap(),
        )
    });
    assert_eq!(count, 2);
    assert_eq!(
        listed.iter().map(|u| u.uid.as_str()).collect::<Vec<_>>(),
        ["Layla"]
    );
    assert_eq!(
        members,
        [
            ("Layla".to_string(), "Layla".to_string()),
            ("bob".to_string(), "bob".to_string())
        ]
    );
    assert_eq!(
        t.with_context(|ctx| users::require(&ctx.db(), "ghost"))
            .unwrap_err()
            .message,
        "User does not exist"
    );

    t.with_context(|ctx| users::set_preference(&ctx.db(), "Layla", "core", "lang", "de"))
        .unwrap();
    t.with_context(|ctx| users::delete(&ctx.db(), "Layla"))
        .unwrap();
    for sql in [
        "SELECT * FROM *PREFIX*users WHERE uid = 'Layla'",
        "SELECT * FROM *PREFIX*accounts WHERE user_id = 'Layla'",
        "SELECT * FROM *PREFIX*group_user WHERE uid = 'Layla'",
        "SELECT * FROM *PREFIX*preferences WHERE userid = 'Layla'",
    ] {
        assert!(t.query(sql, &[]).is_empty(), "{sql}");
    }
    assert!(!t
        .with_context(|ctx| users::taken(&ctx.db(), "layla"))
        .unwrap());
    assert_eq!(
        column(&t, "SELECT gid, uid FROM *PREFIX*group_user", "uid"),
        [json!("bob")]
    );
}

#[test]
fn a_database_user_without_an_account_is_taken_in_any_letter_case() {
    // Rows of oc_users without an account (left by older servers) are found through the uid
    // index by the case ranges of the name; names beside them in that order stay free.
    let t = instance();
    t.with_context(|ctx| {
        ctx.db().execute(
            "INSERT INTO *PREFIX*users (uid, displayname, password) VALUES ('Legacy', NULL, ''), ('0dd.Name', NULL, ''), ('legacz', NULL, '')",
            &[],
        )
    })
    .unwrap();
    for uid in ["LEGACY", "legacy", "lEgAcY", "0DD.name", "LEGACZ"] {
        assert!(
            t.with_context(|ctx| users::taken(&ctx.db(), uid)).unwrap(),
            "{uid}"
        );
        assert_eq!(
            out(&add(&t, &[uid])),
            (
                "",
                format!("The user \"{uid}\" already exists.\n").as_str(),
                1
            )
        );
    }
    for uid in ["legac", "legacy0", "Legacx", "0dd.Nam", "1dd.name"] {
        assert!(
            !t.with_context(|ctx| users::taken(&ctx.db(), uid)).unwrap(),
            "{uid}"
        );
    }
    assert_eq!(
        t.query("SELECT COUNT(*) AS n FROM *PREFIX*users", &[])[0]["n"],
        3
    );
}

#[test]
fn groups_library_reads_and_writes_its_two_tables() {
    let t = instance();
    let datadir = t.data_dir().display().to_string();
    for uid in ["ann", "ben"] {
        t.with_context(|ctx| users::create(&ctx.db(), &new_user(uid, &[], &datadir)))
            .unwrap();
    }
    t.with_context(|ctx| {
        let db = ctx.db();
        for g in ["Staff", "research", "50%_off"] {
            assert!(!groups::exists(&db, g).unwrap());
            groups::create(&db, g).unwrap();
            assert!(groups::exists(&db, g).unwrap());
        }
        // Group ids are exact: another letter case is another (missing) group.
        assert!(!groups::exists(&db, "staff").unwrap());
        groups::add_member(&db, "Staff", "ann").unwrap();
        groups::add_member(&db, "research", "ann").unwrap();
        groups::add_member(&db, "research", "ben").unwrap();
        assert!(groups::is_member(&db, "Staff", "ann").unwrap());
        assert!(!groups::is_member(&db, "Staff", "ben").unwrap());
        assert_eq!(groups::of_user(&db, "ann").unwrap(), ["Staff", "research"]);
        // Patterns are case-insensitive substrings; LIKE's wildcards are literal.
        assert_eq!(
            groups::list(&db, "").unwrap(),
            ["50%_off", "Staff", "research"]
        );
        assert_eq!(groups::list(&db, "STAFF").unwrap(), ["Staff"]);
        assert_eq!(groups::list(&db, "%").unwrap(), ["50%_off"]);
        assert_eq!(groups::list(&db, "_").unwrap(), ["50%_off"]);
        assert_eq!(groups::list(&db, "AR").unwrap(), ["research"]);
        // A second membership row is an error (callers check is_member first).
        assert!(groups::add_member(&db, "Staff", "ann").is_err());
        groups::remove_member(&db, "research", "ann").unwrap();
        assert_eq!(groups::of_user(&db, "ann").unwrap(), ["Staff"]);
        assert_eq!(
            groups::require(&db, "ghosts").unwrap_err().message,
            "Group \"ghosts\" does not exist."
        );
        assert_eq!(
            groups::require(&db, "  ").unwrap_err().message,
            "The group name must not be empty."
        );
        assert_eq!(
            groups::validate_gid(&"g".repeat(65)).unwrap_err().message,
            "The group name must not be longer than 64 characters."
        );
        assert!(groups::validate_gid(&"g".repeat(64)).is_ok());
        groups::delete(&db, "research").unwrap();
        assert!(!groups::exists(&db, "research").unwrap());
        assert!(!groups::is_member(&db, "research", "ben").unwrap());
    });
    assert_eq!(
        t.query("SELECT gid, uid FROM *PREFIX*group_user", &[]),
        [json!({"gid": "Staff", "uid": "ann"})
            .as_object()
            .unwrap()
            .clone()]
    );

    // Orphans: memberships of a missing group or of a user with neither row are removed.
    t.with_context(|ctx| {
        ctx.db().execute(
            "INSERT INTO *PREFIX*group_user (gid, uid) VALUES ('gone', 'ann'), ('Staff', 'ghost'), ('Staff', 'ben')",
            &[],
        )
    })
    .unwrap();
    let removed = t
        .with_context(|ctx| groups::remove_orphaned_memberships(&ctx.db()))
        .unwrap();
    assert_eq!(removed, 2);
    assert_eq!(
        t.query(
            "SELECT gid, uid FROM *PREFIX*group_user ORDER BY gid, uid",
            &[]
        ),
        [
            json!({"gid": "Staff", "uid": "ann"}),
            json!({"gid": "Staff", "uid": "ben"})
        ]
        .map(|v| v.as_object().unwrap().clone())
    );
}

#[test]
fn uid_rules_and_their_messages() {
    assert_eq!(users::validate_uid("layla"), Ok(()));
    assert_eq!(users::validate_uid("a+b_c.d@e-f'g"), Ok(()));
    assert_eq!(users::validate_uid(&"a".repeat(64)), Ok(()));
    assert_eq!(
        users::validate_uid(""),
        Err("The user name must not be empty.".into())
    );
    assert_eq!(
        users::validate_uid(&"a".repeat(65)),
        Err("The user name must not be longer than 64 characters.".into())
    );
    assert_eq!(
        users::validate_uid("zoë"),
        Err("Invalid user name \"zo\\u{eb}\": only the following characters are allowed in a user name: \"a-z\", \"A-Z\", \"0-9\", and \"+_.@-'\"".into())
    );
    assert_eq!(
        users::validate_uid(".."),
        Err("Invalid user name \"..\".".into())
    );
}
