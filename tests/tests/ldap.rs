//! The `ldap:` commands against a real OpenLDAP server (slapd, started by `tests/run.sh` from
//! `tests/services/start-ldap.sh`: users alice, bob and robert in ou=users, group admins, 1,000
//! more users in ou=people, a size limit of 500, a CA and a server certificate for StartTLS
//! and ldaps). The directory is found through `OCC_TEST_LDAP`, the file `start-ldap.sh`
//! writes (`$SVC_RUN/ldap/env`); without it these tests say so and pass nothing.

use std::collections::HashMap;
use std::fs;

use occ_tests::Instance;

use occ_tests::ldap_server as server;

fn fixture(name: &str) -> String {
    fs::read_to_string(format!(
        "{}/fixtures/ldap/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ok(i: &Instance, args: &[&str]) -> String {
    let o = i.run(args);
    assert_eq!(o.code, 0, "{args:?}: {o:?}");
    o.stdout
}

/// An instance with configuration s01 set up as ownCloud's reference run set it up (A10-A24).
fn configured(ldap: &HashMap<String, String>) -> Instance {
    let i = Instance::installed();
    assert_eq!(
        ok(&i, &["ldap:create-empty-config"]),
        "Created new configuration with configID 's01'\n"
    );
    let port = ldap["LDAP_URL"].rsplit(':').next().unwrap().to_string();
    for (k, v) in [
        ("ldapHost", "127.0.0.1"),
        ("ldapPort", port.as_str()),
        ("ldapAgentName", "cn=admin,dc=example,dc=org"),
        ("ldapAgentPassword", "adminpass"),
        ("ldapBase", "dc=example,dc=org"),
        ("ldapBaseUsers", "ou=users,dc=example,dc=org"),
        ("ldapBaseGroups", "ou=groups,dc=example,dc=org"),
        ("ldapUserFilter", "(objectclass=inetOrgPerson)"),
        (
            "ldapLoginFilter",
            "(&(objectclass=inetOrgPerson)(uid=%uid))",
        ),
        ("ldapGroupFilter", "(objectclass=groupOfNames)"),
        ("ldapUserDisplayName", "displayName"),
        ("ldapEmailAttribute", "mail"),
        ("ldapExpertUsernameAttr", "uid"),
        ("ldapGroupMemberAssocAttr", "member"),
        ("ldapConfigurationActive", "1"),
    ] {
        assert_eq!(ok(&i, &["ldap:set-config", "s01", k, v]), "");
    }
    i
}

#[test]
fn configurations_are_owncloud_s_rows_and_texts() {
    let Some(ldap) = server() else { return };
    let i = Instance::installed();
    assert_eq!(ok(&i, &["ldap:show-config"]), "");
    ok(&i, &["ldap:create-empty-config"]);
    assert_eq!(
        ok(&i, &["ldap:show-config", "s01"]),
        fixture("A04_ldap_show_config_s01_empty")
    );
    // ownCloud's 52 rows, in its names.
    let rows = i.query("SELECT COUNT(*) AS n FROM oc_appconfig WHERE appid = 'user_ldap' AND configkey LIKE 's01%'");
    assert_eq!(rows[0]["n"], 52);
    let o = i.run(&["ldap:create-empty-config", "s01"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (1, "configID already exists\n")
    );
    let o = i.run(&["ldap:create-empty-config", ""]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (1, "configID cannot be empty\n")
    );
    assert_eq!(
        ok(&i, &["ldap:create-empty-config", "-p", "s05"]),
        "Created new configuration with configID 's05'\n"
    );
    assert_eq!(
        ok(&i, &["ldap:create-empty-config"]),
        "Created new configuration with configID 's06'\n"
    );
    assert_eq!(
        ok(&i, &["ldap:delete-config", "s06"]),
        "Deleted configuration with configID 's06'\n"
    );
    let o = i.run(&["ldap:delete-config", "s77"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (1, "Cannot delete configuration with configID 's77'\n")
    );
    drop(ldap);

    // The reference run's configuration reads back as ownCloud shows it.
    let ldap = server().unwrap();
    let i = configured(&ldap);
    assert_eq!(
        ok(&i, &["ldap:show-config", "s01"]),
        fixture("A31_ldap_show_config_s01")
    );
    assert_eq!(
        ok(&i, &["ldap:show-config", "s01", "--output=json"]),
        fixture("A32_ldap_show_config_s01_json")
    );
    let shown = ok(&i, &["ldap:show-config", "s01", "--show-password"]);
    assert!(
        shown.contains("| ldapAgentPassword             | adminpass "),
        "{shown}"
    );
    // Stored as ownCloud stores it: the password in base64, lists joined by newlines.
    let v = |k: &str| {
        i.query(&format!(
            "SELECT configvalue FROM oc_appconfig WHERE appid = 'user_ldap' AND configkey = '{k}'"
        ))[0]["configvalue"]
            .clone()
    };
    assert_eq!(v("s01ldap_agent_password"), "YWRtaW5wYXNz");
    ok(
        &i,
        &[
            "ldap:set-config",
            "s01",
            "ldapBase",
            "dc=example,dc=org;o=other",
        ],
    );
    assert_eq!(v("s01ldap_base"), "dc=example,dc=org\no=other");
    // Refused, naming the problem, nothing written.
    let before = i.dump();
    let o = i.run(&["ldap:set-config", "s01", "ldapHots", "x"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        "Unknown configuration key \"ldapHots\"; did you mean \"ldapHost\"? (occ ldap:show-config lists them)\n"
    );
    let o = i.run(&["ldap:set-config", "s99", "ldapHost", "x"]);
    assert_eq!((o.code, o.stdout.as_str()), (1, "Invalid configID\n"));
    for cmd in ["ldap:show-config", "ldap:test-config"] {
        let o = i.run(&[cmd, "s99"]);
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (1, "Invalid configID\n"),
            "{cmd}"
        );
    }
    assert_eq!(i.dump(), before);
}

#[test]
fn test_config_tells_each_outcome_apart() {
    let Some(ldap) = server() else { return };
    let mut i = configured(&ldap);
    let valid = "The configuration is valid and the connection could be established!\n";
    assert_eq!(ok(&i, &["ldap:test-config", "s01"]), valid);

    let check = |i: &Instance, code: i32, err: &str| {
        let o = i.run(&["ldap:test-config", "s01"]);
        assert_eq!(
            (o.code, o.stderr.as_str(), o.stdout.as_str()),
            (code, err, ""),
            "{o:?}"
        );
    };
    ok(
        &i,
        &["ldap:set-config", "s01", "ldapAgentPassword", "wrong"],
    );
    check(&i, 3, "The LDAP server at 127.0.0.1:13389 refused the credentials of cn=admin,dc=example,dc=org (invalid credentials).\n");
    ok(
        &i,
        &["ldap:set-config", "s01", "ldapAgentPassword", "adminpass"],
    );

    ok(&i, &["ldap:set-config", "s01", "ldapPort", "1"]);
    let o = i.run(&["ldap:test-config", "s01"]);
    assert_eq!(o.code, 2, "{o:?}");
    assert!(
        o.stderr
            .starts_with("Cannot reach the LDAP server at 127.0.0.1:1: "),
        "{o:?}"
    );
    let port = ldap["LDAP_URL"].rsplit(':').next().unwrap().to_string();
    ok(&i, &["ldap:set-config", "s01", "ldapPort", &port]);

    ok(
        &i,
        &[
            "ldap:set-config",
            "s01",
            "ldapBaseGroups",
            "ou=nowhere,dc=example,dc=org",
        ],
    );
    check(
        &i,
        5,
        "The base DN \"ou=nowhere,dc=example,dc=org\" does not exist on the LDAP server.\n",
    );
    ok(
        &i,
        &[
            "ldap:set-config",
            "s01",
            "ldapBaseGroups",
            "ou=groups,dc=example,dc=org",
        ],
    );

    ok(&i, &["ldap:set-config", "s01", "ldapHost", ""]);
    check(
        &i,
        1,
        "The configuration s01 is invalid: No LDAP host given (ldapHost).\n",
    );
    ok(&i, &["ldap:set-config", "s01", "ldapHost", "127.0.0.1"]);

    // StartTLS: the server's certificate is checked against the CA it was signed with.
    ok(&i, &["ldap:set-config", "s01", "ldapTLS", "1"]);
    let o = i.run(&["ldap:test-config", "s01"]);
    assert_eq!(o.code, 4, "{o:?}");
    assert!(
        o.stderr.starts_with("TLS with the LDAP server at 127.0.0.1:13389 failed: invalid peer certificate: UnknownIssuer"),
        "{o:?}"
    );
    i.set_env("LDAPTLS_CACERT", &ldap["LDAP_CACERT"]);
    assert_eq!(ok(&i, &["ldap:test-config", "s01"]), valid);
    ok(&i, &["ldap:set-config", "s01", "ldapTLS", "0"]);
    // ldaps.
    ok(
        &i,
        &["ldap:set-config", "s01", "ldapHost", &ldap["LDAPS_URL"]],
    );
    assert_eq!(ok(&i, &["ldap:test-config", "s01"]), valid);
    // Without a CA, only with the certificate check turned off, and with a warning.
    i.env.retain(|(k, _)| k != "LDAPTLS_CACERT");
    assert_eq!(i.run(&["ldap:test-config", "s01"]).code, 4);
    ok(&i, &["ldap:set-config", "s01", "turnOffCertCheck", "1"]);
    let o = i.run(&["ldap:test-config", "s01"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stderr,
        "Warning: configuration s01 does not check the LDAP server's TLS certificate (turnOffCertCheck).\n"
    );
    // The password never shows.
    for args in [["ldap:test-config", "s01"], ["ldap:show-config", "s01"]] {
        let o = i.run(&args);
        assert!(!o.stdout.contains("adminpass") && !o.stderr.contains("adminpass"));
    }
}

#[test]
fn search_finds_as_owncloud_finds_and_maps_what_it_finds() {
    let Some(ldap) = server() else { return };
    let i = configured(&ldap);
    assert_eq!(ok(&i, &["ldap:search", "rob"]), "Robert Roberts (robert)\n");
    assert_eq!(
        ok(&i, &["ldap:search", ""]),
        "Alice Adams (alice)\nBob Brown (bob)\nRobert Roberts (robert)\n"
    );
    assert_eq!(
        ok(&i, &["ldap:search", "--limit=1", ""]),
        "Alice Adams (alice)\n"
    );
    assert_eq!(
        ok(&i, &["ldap:search", "--offset=1", "--limit=1", ""]),
        "Bob Brown (bob)\n"
    );
    assert_eq!(ok(&i, &["ldap:search", "zzz"]), "");
    // An injection finds nothing more than the literal text would.
    assert_eq!(ok(&i, &["ldap:search", "*)(uid=*"]), "");
    assert_eq!(ok(&i, &["ldap:search", "a)(|(uid=*"]), "");
    // Groups: no group name attribute, so ownCloud names them by their UUID.
    let group = ok(&i, &["ldap:search", "--group", "adm"]);
    let uuid = group.trim_end();
    assert_eq!(uuid.len(), 36, "{group}");
    assert_eq!(uuid.matches('-').count(), 4, "{group}");
    // The mappings are ownCloud's rows.
    let users =
        i.query("SELECT owncloud_name, ldap_dn FROM oc_ldap_user_mapping ORDER BY owncloud_name");
    let names: Vec<String> = users
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["owncloud_name"].as_str().unwrap(),
                r["ldap_dn"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "alice uid=alice,ou=users,dc=example,dc=org",
            "bob uid=bob,ou=users,dc=example,dc=org",
            "robert uid=robert,ou=users,dc=example,dc=org"
        ]
    );
    let groups = i.query("SELECT owncloud_name, ldap_dn FROM oc_ldap_group_mapping");
    assert_eq!(groups[0]["owncloud_name"], uuid);
    assert_eq!(
        groups[0]["ldap_dn"],
        "cn=admins,ou=groups,dc=example,dc=org"
    );
    assert!(ok(&i, &["ldap:show-config", "s01"])
        .contains("| ldapExpertUUIDUserAttr        | entryuuid "));
    // Offsets and limits are checked before anything is asked.
    for (args, err) in [
        (vec!["--limit=-1"], "limit must be 0 or greater\n"),
        (vec!["--offset=-1"], "offset must be 0 or greater\n"),
        (
            vec!["--offset=2", "--limit=0"],
            "offset must be 0 if limit is also set to 0\n",
        ),
        (
            vec!["--offset=1", "--limit=2"],
            "offset must be a multiple of limit\n",
        ),
        (
            vec!["--limit=x"],
            "limit must be a whole number, not \"x\"\n",
        ),
    ] {
        let mut a = vec!["ldap:search"];
        a.extend(args);
        a.push("");
        let o = i.run(&a);
        assert_eq!((o.code, o.stderr.as_str()), (1, err), "{a:?}");
    }
    // Past the server's size limit (500): paged.
    ok(
        &i,
        &[
            "ldap:set-config",
            "s01",
            "ldapBaseUsers",
            "dc=example,dc=org",
        ],
    );
    let all = ok(&i, &["ldap:search", "--limit=0", "user"]);
    assert_eq!(all.lines().count(), 1000, "{}", &all[..200.min(all.len())]);
    assert_eq!(all.lines().next(), Some("User 0 (user00000)"));
    let n = i.query("SELECT COUNT(*) AS n FROM oc_ldap_user_mapping");
    assert_eq!(n[0]["n"], 1003);
}

/// Runs an ldap-utils tool against the test server as its admin (the password on stdin's
/// file, never in the process list).
fn ldap_tool(ldap: &HashMap<String, String>, tool: &str, args: &[&str], input: &str) {
    use std::io::Write;
    let pw = tempfile::NamedTempFile::new().unwrap();
    fs::write(pw.path(), ldap["LDAP_ADMIN_PW"].as_bytes()).unwrap();
    let mut child = std::process::Command::new(tool)
        .args([
            "-x",
            "-H",
            &ldap["LDAP_URL"],
            "-D",
            &ldap["LDAP_ADMIN_DN"],
            "-y",
        ])
        .arg(pw.path())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "{tool} {args:?}");
}

#[test]
fn check_user_follows_renames_and_records_remnants() {
    let Some(ldap) = server() else { return };
    let i = configured(&ldap);
    ok(
        &i,
        &[
            "ldap:set-config",
            "s01",
            "ldapBaseUsers",
            "ou=people,dc=example,dc=org",
        ],
    );
    // A user of this test's own (the tests share the server).
    let uid = format!(
        "carol{}{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let dn = format!("uid={uid},ou=people,dc=example,dc=org");
    ldap_tool(
        &ldap,
        "ldapadd",
        &[],
        &format!("dn: {dn}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: Carol\nsn: C\ndisplayName: Carol {uid}\n"),
    );
    assert_eq!(
        ok(&i, &["ldap:search", &format!("Carol {uid}")]),
        format!("Carol {uid} ({uid})\n")
    );
    assert_eq!(
        ok(&i, &["ldap:check-user", &uid]),
        "The user is still available on LDAP.\n"
    );
    assert_eq!(
        ok(&i, &["ldap:check-user", "admin"]),
        "The given user is not a recognized LDAP user.\n"
    );
    // Renamed in the directory: the same account, its mapping at the new DN.
    let renamed = format!("{uid}x");
    ldap_tool(
        &ldap,
        "ldapmodrdn",
        &["-r", &dn, &format!("uid={renamed}")],
        "",
    );
    assert_eq!(
        ok(&i, &["ldap:check-user", &uid]),
        "The user is still available on LDAP.\n"
    );
    let m = i.query(&format!(
        "SELECT ldap_dn FROM oc_ldap_user_mapping WHERE owncloud_name = '{uid}'"
    ));
    assert_eq!(
        m[0]["ldap_dn"],
        format!("uid={renamed},ou=people,dc=example,dc=org")
    );
    // Deleted: told, and listed as a remnant with when it was found gone.
    assert_eq!(ok(&i, &["ldap:show-remnants", "--json"]), "[]\n");
    ldap_tool(
        &ldap,
        "ldapdelete",
        &[&format!("uid={renamed},ou=people,dc=example,dc=org")],
        "",
    );
    assert_eq!(
        ok(&i, &["ldap:check-user", &uid]),
        format!("The user does not exist on LDAP anymore.\nClean up the user's remnants by: ./occ user:delete \"{uid}\"\n")
    );
    let remnants: serde_json::Value =
        serde_json::from_str(&ok(&i, &["ldap:show-remnants", "--json"])).unwrap();
    assert_eq!(remnants[0]["ocName"], uid.as_str());
    assert_eq!(
        remnants[0]["dn"],
        format!("uid={renamed},ou=people,dc=example,dc=org")
    );
    assert!(
        remnants[0]["detectedOn"]
            .as_str()
            .unwrap()
            .starts_with("20"),
        "{remnants}"
    );
    let table = ok(&i, &["ldap:show-remnants"]);
    assert!(table.contains(&format!("| {uid} ")), "{table}");
    // A disabled configuration stops the check (unless forced).
    ok(&i, &["ldap:create-empty-config"]);
    let o = i.run(&["ldap:check-user", &uid]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (
            1,
            "Cannot check user existence, because disabled LDAP configurations are present.\n"
        )
    );
    assert!(ok(&i, &["ldap:check-user", "--force", &uid]).starts_with("The user does not exist"));
    // Nothing to check against: an error, and nothing recorded.
    ok(&i, &["ldap:delete-config", "s01"]);
    ok(&i, &["ldap:delete-config", "s02"]);
    let o = i.run(&["ldap:check-user", "--force", &uid]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, "There is no LDAP configuration to check against.\n"),
        "{o:?}"
    );
    assert_eq!(ok(&i, &["ldap:invalidate-cache"]), "");
}

#[test]
fn user_sync_makes_disables_enables_and_removes_accounts() {
    let Some(ldap) = server() else { return };
    let mut i = configured(&ldap);
    // An organisational unit of this test's own, with three users.
    let ou = format!(
        "t{}{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let base = format!("ou={ou},dc=example,dc=org");
    let entry = |uid: &str, name: &str| {
        format!("dn: uid={uid},{base}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: S\ndisplayName: {name}\nmail: {uid}@example.org\n")
    };
    let (dave, erin, finn) = (
        format!("{ou}dave"),
        format!("{ou}erin"),
        format!("{ou}finn"),
    );
    ldap_tool(
        &ldap,
        "ldapadd",
        &[],
        &format!(
            "dn: {base}\nobjectClass: organizationalUnit\nou: {ou}\n\n{}\n{}\n{}",
            entry(&dave, "Dave D"),
            entry(&erin, "Erin E"),
            entry(&finn, "Finn F")
        ),
    );
    ok(&i, &["ldap:set-config", "s01", "ldapBaseUsers", &base]);

    assert_eq!(
        ok(&i, &["user:sync", "--list"]),
        "OC\\User\\Database\nOCA\\User_LDAP\\User_Proxy\n"
    );
    let o = i.run(&["user:sync"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (1, "No backend class name given. Please run ./occ help user:sync to understand how this command works.\n")
    );
    let before = i.dump();
    let o = i.run(&["user:sync", "ldap", "-m", "keep"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (
            1,
            "Unknown action. Choose between \"disable\" or \"remove\"\n"
        )
    );
    let o = i.run(&["user:sync", "nosuch", "-m", "disable"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (
            1,
            "The backend <nosuch> does not exist. Did you forget to enable the app?\n"
        )
    );
    assert_eq!(i.dump(), before);

    // A first sync: ownCloud's texts (A70), the accounts as ownCloud makes them.
    let full = |missing: &str| {
        format!("Analysing known accounts ...\n\n\n{missing}\n\nInserting new and updating all known users from OCA\\User_LDAP\\User_Proxy ...\n\n\n\nSync of users finished, encountered 0 errors.\n")
    };
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-m", "disable"]),
        full("No removed users have been detected.\n")
    );
    assert_eq!(
        ok(&i, &["user:list"]),
        format!("  - admin: admin\n  - {dave}: Dave D\n  - {erin}: Erin E\n  - {finn}: Finn F\n")
    );
    let acc = i.query(&format!(
        "SELECT email, lower_user_id, backend, home, state FROM oc_accounts WHERE user_id = '{dave}'"
    ));
    assert_eq!(acc[0]["email"], format!("{dave}@example.org"));
    assert_eq!(acc[0]["backend"], "OCA\\User_LDAP\\User_Proxy");
    assert_eq!(acc[0]["state"], 1);
    assert_eq!(
        acc[0]["home"],
        format!("{}/data/{dave}", i.root().display())
    );
    assert!(ok(&i, &["user:report"]).contains("| OCA\\User_LDAP\\User_Proxy | 3 |"));
    // Unchanged: the same again, nothing written.
    let synced = i.dump();
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-m", "disable"]),
        full("No removed users have been detected.\n")
    );
    assert_eq!(i.dump(), synced);

    // Gone from the directory: disabled, then skipped; -u tells it for one user.
    ldap_tool(&ldap, "ldapdelete", &[&format!("uid={erin},{base}")], "");
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-m", "disable"]),
        full(&format!(
            "Disabling accounts:\n{erin}, Erin E, {erin}@example.org disabled\n"
        ))
    );
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-n"]),
        full(&format!(
            "Disabling accounts:\n{erin}, Erin E, {erin}@example.org skipped, already disabled\n"
        ))
    );
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-u", &erin, "-m", "disable"]),
        format!("Searching for {erin} ...\nExact match for user {erin} not found in the backend.\nDisabling accounts:\n{erin}, Erin E, {erin}@example.org skipped, already disabled\n\n")
    );
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-u", &dave, "-m", "disable"]),
        format!("Searching for {dave} ...\nSyncing {dave} ...\nSynced {dave} \n\n")
    );
    // Another spelling of a name is not that user: nothing removed.
    let upper = dave.to_uppercase();
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-u", &upper, "-m", "remove"]),
        format!("Searching for {upper} ...\nExact match for user {upper} not found in the backend.\n{upper}, ,  (no longer exists in the backend)\n\n")
    );
    assert!(ok(&i, &["user:list"]).contains(&format!("  - {dave}: Dave D\n")));
    // What the backend does not tell is kept: without an email attribute, emails stay.
    ok(&i, &["ldap:set-config", "s01", "ldapEmailAttribute", ""]);
    ok(&i, &["user:sync", "ldap", "-m", "disable"]);
    let email = i.query(&format!(
        "SELECT email FROM oc_accounts WHERE user_id = '{dave}'"
    ));
    assert_eq!(email[0]["email"], format!("{dave}@example.org"));
    ok(
        &i,
        &["ldap:set-config", "s01", "ldapEmailAttribute", "mail"],
    );
    // Core's own backend syncs only its own users, and keeps their emails too.
    i.exec("UPDATE oc_accounts SET email = 'root@example.org' WHERE user_id = 'admin'");
    let o = i.run(&["user:sync", "OC\\User\\Database", "-m", "disable"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.contains("No removed users have been detected."),
        "{o:?}"
    );
    assert_eq!(
        i.query("SELECT email FROM oc_accounts WHERE user_id = 'admin'")[0]["email"],
        "root@example.org"
    );
    // An LDAP user's password is the directory's.
    i.set_env("OC_PASS", "a-long-password");
    let o = i.run(&["user:resetpassword", "--password-from-env", &dave]);
    assert_eq!(o.code, 1, "{o:?}");
    assert_eq!(
        o.stderr,
        format!("The password of {dave} is kept by its backend (OCA\\User_LDAP\\User_Proxy), not by ownCloud: change it there.\n")
    );
    // Back in the directory: -r enables it again.
    ldap_tool(&ldap, "ldapadd", &[], &entry(&erin, "Erin E"));
    let o = ok(&i, &["user:sync", "ldap", "-m", "disable", "-r"]);
    assert!(
        o.contains(&format!("No removed users have been detected.\n\nRe-enabling accounts:\n{erin}, Erin E, {erin}@example.org enabled\n\n")),
        "{o}"
    );
    assert_eq!(
        i.query(&format!(
            "SELECT state FROM oc_accounts WHERE user_id = '{erin}'"
        ))[0]["state"],
        1
    );

    // Removed: the account, its home and its mapping go.
    fs::create_dir_all(i.root().join(format!("data/{finn}/files"))).unwrap();
    ldap_tool(&ldap, "ldapdelete", &[&format!("uid={finn},{base}")], "");
    assert_eq!(
        ok(&i, &["user:sync", "ldap", "-m", "remove"]),
        full(&format!(
            "Deleting accounts:\n{finn}, Finn F, {finn}@example.org deleted\n"
        ))
    );
    assert!(!ok(&i, &["user:list"]).contains(&finn));
    assert!(!i.root().join(format!("data/{finn}")).exists());
    assert_eq!(
        ok(&i, &["ldap:check-user", &finn]),
        "The given user is not a recognized LDAP user.\n"
    );
    // A name another backend holds is not taken over: an error, and exit 1.
    ldap_tool(&ldap, "ldapadd", &[], &entry("admin", "Not The Admin"));
    let o = i.run(&["user:sync", "ldap", "-m", "disable"]);
    assert_eq!(
        o.code, 0,
        "an entry whose name is a local user's stays unmapped: {o:?}"
    );
    assert!(!o.stdout.contains("Sync error"), "{o:?}");
}

#[test]
fn a_configuration_owncloud_wrote_reads_as_owncloud_shows_it() {
    // No server needed: the rows ownCloud 10 wrote, shown as ownCloud showed them.
    let i = Instance::installed();
    let read = |name: &str| {
        fs::read_to_string(format!(
            "{}/fixtures/ldap/oc10/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&read("sqlite-oc_appconfig-user_ldap.json")).unwrap();
    for r in &rows {
        i.exec(&format!(
            "INSERT INTO oc_appconfig (appid, configkey, configvalue) VALUES ('user_ldap', '{}', '{}')",
            r["configkey"].as_str().unwrap().replace('\'', "''"),
            r["configvalue"].as_str().unwrap().replace('\'', "''")
        ));
    }
    assert_eq!(
        ok(&i, &["ldap:show-config"]),
        read("occ-ldap-show-config.txt")
    );
    assert_eq!(
        ok(&i, &["ldap:show-config", "--output=json"]),
        read("occ-ldap-show-config.json")
    );
    assert_eq!(
        ok(
            &i,
            &["ldap:show-config", "--show-password", "--output=json"]
        ),
        read("occ-ldap-show-config-with-password.json")
    );
    // And what occ writes, ownCloud reads: a set-config rewrites the same rows, no others.
    ok(&i, &["ldap:set-config", "s01", "ldapHost", "127.0.0.1"]);
    let after = i.query("SELECT configkey, configvalue FROM oc_appconfig WHERE appid = 'user_ldap' ORDER BY configkey");
    let mut before: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["configkey"].as_str().unwrap().to_string(),
                r["configvalue"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    before.sort();
    let after: Vec<(String, String)> = after
        .iter()
        .map(|r| {
            (
                r["configkey"].as_str().unwrap().to_string(),
                r["configvalue"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(after, before);
}

#[test]
fn ldap_groups_list_beside_core_s() {
    let Some(ldap) = server() else { return };
    let i = configured(&ldap);
    ok(&i, &["group:add", "staff"]);
    ok(&i, &["user:sync", "ldap", "-m", "disable"]);
    let list = ok(&i, &["group:list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(&lines[..2], ["  - admin", "  - staff"], "{list}");
    assert_eq!(lines.len(), 3, "{list}");
    let uuid = lines[2].trim_start_matches("  - ");
    assert_eq!(uuid.len(), 36, "{list}");
    assert_eq!(
        ok(&i, &["group:list-members", uuid]),
        "  - alice: Alice Adams\n"
    );
    assert_eq!(
        ok(&i, &["group:list-members", uuid, "--output=json"]),
        "{\"alice\":\"Alice Adams\"}\n"
    );
    assert_eq!(ok(&i, &["group:list", "staf"]), "  - staff\n");
    // Every backend's users, with their backend as ownCloud shows it (A77).
    let mut want =
        String::from("  - admin:\n    - backend: Database\n    - email\n    - enabled: true\n");
    for (u, _) in [("alice", 0), ("bob", 0), ("robert", 0)] {
        want.push_str(&format!(
            "  - {u}:\n    - backend: LDAP\n    - email: {u}@example.org\n    - enabled: true\n"
        ));
    }
    assert_eq!(
        ok(
            &i,
            &["user:list", "-a", "backend", "-a", "email", "-a", "enabled"]
        ),
        want
    );
    let all: serde_json::Value = serde_json::from_str(&ok(
        &i,
        &[
            "user:list",
            "alice",
            "--show-all-attributes",
            "--output=json",
        ],
    ))
    .unwrap();
    let alice = &all["alice"];
    assert_eq!(alice["displayName"], "Alice Adams");
    assert_eq!(alice["quota"], "default");
    assert_eq!(alice["backend"], "LDAP");
    assert_eq!(alice["cloudId"], "alice@localhost");
    assert_eq!(alice["searchTerms"], serde_json::json!([]));
    assert_eq!(alice["home"], format!("{}/data/alice", i.root().display()));
    let o = i.run(&["user:list", "-a", "shoesize"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (2, "Unknown attribute \"shoesize\"; known: uid, displayName, email, quota, enabled, lastLogin, creationTime, home, backend, cloudId, searchTerms\n")
    );
    let o = i.run(&["group:list-members", "nosuch"]);
    assert_eq!(o.code, 1, "{o:?}");
    // The directory down: core's groups still list, with a warning.
    ok(&i, &["ldap:set-config", "s01", "ldapPort", "1"]);
    let o = i.run(&["group:list"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "  - admin\n  - staff\n"),
        "{o:?}"
    );
    assert!(o.stderr.starts_with("Warning: the groups of ldap.group_backend are left out: Cannot reach the LDAP server at 127.0.0.1:1"), "{o:?}");
}
