//! Apps: `app:list`, `app:enable`, `app:disable`, `app:check-code`, `app:getpath` against
//! fixture apps written into `<root>/apps`, their `oc_appconfig` rows, and an app's plugin
//! appearing and disappearing with the app.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use occ_tests::{lib, Instance, Out};
use serde::Deserialize;

/// Writes `apps/<id>/appinfo/info.xml`.
fn app(i: &Instance, id: &str, xml: &str) -> PathBuf {
    let dir = i.root().join("apps").join(id);
    fs::create_dir_all(dir.join("appinfo")).unwrap();
    fs::write(dir.join("appinfo/info.xml"), xml).unwrap();
    dir
}

/// A manifest with a server version range (`None`: no bound).
fn manifest(id: &str, version: &str, min: Option<&str>, max: Option<&str>) -> String {
    let attr =
        |name: &str, v: Option<&str>| v.map(|v| format!(" {name}=\"{v}\"")).unwrap_or_default();
    format!(
        "<?xml version=\"1.0\"?>\n<info>\n    <id>{id}</id>\n    <name>{id} app</name>\n    <description>A test app.</description>\n    <version>{version}</version>\n    <dependencies>\n        <owncloud{}{}/>\n    </dependencies>\n</info>\n",
        attr("min-version", min),
        attr("max-version", max)
    )
}

/// Copies a workspace library into `apps/<id>/plugin/`.
fn ship_plugin(i: &Instance, id: &str, lib_name: &str) {
    let dir = i.root().join("apps").join(id).join("plugin");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(lib(lib_name), dir.join(format!("lib{lib_name}.so"))).unwrap();
}

/// The absolute path occ prints for an app.
fn path_of(i: &Instance, id: &str) -> String {
    i.root()
        .canonicalize()
        .unwrap()
        .join("apps")
        .join(id)
        .display()
        .to_string()
}

/// Every `oc_appconfig` row, as `appid|configkey|configvalue` lines.
fn appconfig(i: &Instance) -> Vec<String> {
    i.query("SELECT * FROM oc_appconfig ORDER BY appid, configkey")
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}",
                r["appid"].as_str().unwrap(),
                r["configkey"].as_str().unwrap(),
                r["configvalue"].as_str().unwrap_or("NULL")
            )
        })
        .collect()
}

/// The rows of one app.
fn rows_of(i: &Instance, id: &str) -> Vec<String> {
    appconfig(i)
        .into_iter()
        .filter(|r| r.starts_with(&format!("{id}|")))
        .collect()
}

/// This server's version, as `status` reports it.
fn server_version(i: &Instance) -> String {
    let o = i.run(&["status", "--output=json"]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    v["versionstring"].as_str().unwrap().to_string()
}

fn ok(o: &Out, stdout: &str) {
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (stdout, "", 0),
        "{o:?}"
    );
}

fn fails(o: &Out, stderr: &str) {
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("", stderr, 1),
        "{o:?}"
    );
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct AppRecord {
    #[serde(rename = "Version")]
    version: Option<String>,
    #[serde(rename = "Path")]
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppListJson {
    enabled: BTreeMap<String, AppRecord>,
    disabled: BTreeMap<String, AppRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckJson {
    app: String,
    compliant: bool,
    findings: Vec<String>,
}

#[test]
fn app_list_lays_out_enabled_and_disabled_apps_like_owncloud() {
    let i = Instance::installed();
    let v = server_version(&i);
    app(&i, "notes", &manifest("notes", "1.2.0", None, None));
    app(
        &i,
        "contacts",
        &manifest("contacts", "0.3.0", Some(&v), None),
    );
    app(
        &i,
        "calendar",
        &manifest("calendar", "2.0.1", None, Some(&v)),
    );
    // Not apps: a directory without a manifest, an invalid id, a loose file.
    fs::create_dir_all(i.root().join("apps/nomanifest")).unwrap();
    app(&i, "bad.id", &manifest("bad.id", "1.0", None, None));
    fs::write(i.root().join("apps/README"), "apps live here").unwrap();

    let o = i.run(&["app:enable", "notes", "contacts"]);
    ok(&o, "notes enabled\ncontacts enabled\n");
    // The first-party plugins' rows (their versions) aside.
    let first_party = ["core|", "encryption|", "files|", "l10n|", "ldap|"];
    assert_eq!(
        appconfig(&i)
            .into_iter()
            .filter(|r| !first_party.iter().any(|p| r.starts_with(p)))
            .collect::<Vec<_>>(),
        [
            "contacts|enabled|yes",
            "contacts|installed_version|0.3.0",
            "notes|enabled|yes",
            "notes|installed_version|1.2.0",
        ]
    );

    let (cal, con, not) = (
        path_of(&i, "calendar"),
        path_of(&i, "contacts"),
        path_of(&i, "notes"),
    );
    let o = i.run(&["app:list"]);
    ok(
        &o,
        &format!(
            "Enabled:\n  - contacts:\n    - Version: 0.3.0\n    - Path: {con}\n  - notes:\n    - Version: 1.2.0\n    - Path: {not}\nDisabled:\n  - calendar:\n    - Path: {cal}\n"
        ),
    );

    // JSON as PHP's json_encode writes it, and with the schema scripts rely on.
    let o = i.run(&["app:list", "--output=json"]);
    let esc = |p: &str| p.replace('/', "\\/");
    ok(
        &o,
        &format!(
            "{{\"enabled\":{{\"contacts\":{{\"Version\":\"0.3.0\",\"Path\":\"{}\"}},\"notes\":{{\"Version\":\"1.2.0\",\"Path\":\"{}\"}}}},\"disabled\":{{\"calendar\":{{\"Path\":\"{}\"}}}}}}\n",
            esc(&con),
            esc(&not),
            esc(&cal)
        ),
    );
    let parsed: AppListJson = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(
        parsed.enabled.keys().collect::<Vec<_>>(),
        ["contacts", "notes"]
    );
    assert_eq!(
        parsed.disabled["calendar"],
        AppRecord {
            version: None,
            path: cal.clone()
        }
    );
    let pretty = i.run(&["app:list", "--output=json_pretty"]);
    assert_eq!(pretty.code, 0);
    assert!(pretty
        .stdout
        .starts_with("{\n    \"enabled\": {\n        \"contacts\": {\n"));

    // Filters.
    ok(
        &i.run(&["app:list", "--enabled", "^no"]),
        &format!("Enabled:\n  - notes:\n    - Version: 1.2.0\n    - Path: {not}\n"),
    );
    ok(
        &i.run(&["app:list", "c"]),
        &format!(
            "Enabled:\n  - contacts:\n    - Version: 0.3.0\n    - Path: {con}\nDisabled:\n  - calendar:\n    - Path: {cal}\n"
        ),
    );
    ok(&i.run(&["app:list", "^nothing$"]), "");
    ok(
        &i.run(&["app:list", "^nothing$", "--output=json"]),
        "{\"enabled\":{},\"disabled\":{}}\n",
    );

    // A disabled app that was enabled once shows its version under --disabled only.
    ok(&i.run(&["app:disable", "notes"]), "notes disabled\n");
    ok(
        &i.run(&["app:list", "-d"]),
        &format!(
            "Disabled:\n  - calendar:\n    - Path: {cal}\n  - notes:\n    - Version: 1.2.0\n    - Path: {not}\n"
        ),
    );
    ok(
        &i.run(&["app:list"]),
        &format!(
            "Enabled:\n  - contacts:\n    - Version: 0.3.0\n    - Path: {con}\nDisabled:\n  - calendar:\n    - Path: {cal}\n  - notes:\n    - Path: {not}\n"
        ),
    );

    let o = i.run(&["app:list", "["]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (
            "",
            "The search pattern \"[\" is not a valid regular expression.\n",
            2
        )
    );
}

#[test]
fn an_apps_plugin_comes_and_goes_with_app_enable_and_app_disable() {
    let i = Instance::installed();
    app(
        &i,
        "exampleapp",
        &manifest("exampleapp", "1.0.0", None, None),
    );
    ship_plugin(&i, "exampleapp", "occ_fixture_exampleapp");
    assert!(!i.run(&["list"]).stdout.contains("exampleapp"));

    ok(
        &i.run(&["app:enable", "exampleapp"]),
        "exampleapp enabled\n",
    );
    assert_eq!(
        rows_of(&i, "exampleapp"),
        [
            "exampleapp|enabled|yes",
            "exampleapp|installed_version|1.0.0"
        ]
    );
    let o = i.run(&["list"]);
    let line = o
        .stdout
        .lines()
        .find(|l| l.starts_with("  exampleapp:hello "))
        .unwrap_or_else(|| panic!("{}", o.stdout));
    assert!(line.ends_with(" Says hello from a third-party app."));
    assert!(o.stdout.contains("\n exampleapp\n  exampleapp:hello "));
    ok(
        &i.run(&["exampleapp:hello"]),
        "Hello from exampleapp; this instance has 1 user(s).\n",
    );
    // Enabling again is harmless.
    ok(
        &i.run(&["app:enable", "exampleapp"]),
        "exampleapp enabled\n",
    );

    ok(
        &i.run(&["app:disable", "exampleapp"]),
        "exampleapp disabled\n",
    );
    assert_eq!(
        rows_of(&i, "exampleapp"),
        [
            "exampleapp|enabled|no",
            "exampleapp|installed_version|1.0.0"
        ]
    );
    assert!(!i.run(&["list"]).stdout.contains("exampleapp"));
    assert_eq!(i.run(&["exampleapp:hello"]).code, 1);
    // As ownCloud: disabling a disabled app says so and changes nothing.
    let before = appconfig(&i);
    ok(
        &i.run(&["app:disable", "exampleapp"]),
        "No such app enabled: exampleapp\n",
    );
    assert_eq!(appconfig(&i), before);
}

#[test]
fn app_enable_refuses_an_app_for_other_server_versions_and_changes_nothing() {
    let i = Instance::installed();
    let v = server_version(&i);
    app(
        &i,
        "legacy",
        &manifest("legacy", "3.0.0", Some("10.0"), Some("10.15")),
    );
    app(
        &i,
        "future",
        &manifest("future", "1.0.0", Some("99.1"), None),
    );
    app(&i, "past", &manifest("past", "1.0.0", None, Some("0.0.1")));
    // ownCloud-style bounds: fewer parts cover every version they prefix, four parts work too.
    let major = v.split('.').next().unwrap().to_string();
    app(
        &i,
        "fits",
        &manifest("fits", "1.0.0", Some(&major), Some(&format!("{v}.0"))),
    );
    let before = appconfig(&i);
    fails(
        &i.run(&["app:enable", "legacy"]),
        &format!("App \"legacy\" cannot be enabled: it needs a server version between 10.0 and 10.15, this is {v}.\n"),
    );
    fails(
        &i.run(&["app:enable", "future"]),
        &format!("App \"future\" cannot be enabled: it needs a server version of at least 99.1, this is {v}.\n"),
    );
    fails(
        &i.run(&["app:enable", "past"]),
        &format!("App \"past\" cannot be enabled: it needs a server version of at most 0.0.1, this is {v}.\n"),
    );
    // All are checked before any is enabled.
    fails(
        &i.run(&["app:enable", "fits", "legacy"]),
        &format!("App \"legacy\" cannot be enabled: it needs a server version between 10.0 and 10.15, this is {v}.\n"),
    );
    assert_eq!(appconfig(&i), before);
    ok(&i.run(&["app:enable", "fits"]), "fits enabled\n");
    assert_eq!(
        rows_of(&i, "fits"),
        ["fits|enabled|yes", "fits|installed_version|1.0.0"]
    );
}

#[test]
fn bad_input_is_one_line_on_stderr_and_leaves_the_database_alone() {
    let i = Instance::installed();
    app(&i, "good", &manifest("good", "1.0.0", None, None));
    app(&i, "broken", "<info><id>broken</id><name>Broken");
    ok(&i.run(&["app:enable", "good"]), "good enabled\n");
    let before = appconfig(&i);
    let invalid = |id: &str| {
        format!("Invalid app id \"{id}\": an app id is 1 to 32 of the characters \"a-z\", \"A-Z\", \"0-9\", \"_\" and \"-\".\n")
    };
    let long = "a".repeat(33);
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["app:enable", "nope"], "nope not found\n".into()),
        (vec!["app:enable", "../x"], invalid("../x")),
        (vec!["app:enable", "a\"b"], invalid("a\\\"b")),
        (vec!["app:enable", "it's"], invalid("it\\'s")),
        (vec!["app:enable", &long], invalid(&long)),
        (
            vec!["app:enable", ""],
            "The app id must not be empty.\n".into(),
        ),
        (vec!["app:enable", "good", "nope"], "nope not found\n".into()),
        (
            vec!["app:enable", "broken"],
            "App \"broken\" cannot be enabled: appinfo/info.xml is not valid XML: the root node was opened but never closed.\n".into(),
        ),
        (vec!["app:disable", "nope"], "nope not found\n".into()),
        (vec!["app:disable", "../good"], invalid("../good")),
        (vec!["app:disable", ""], "The app id must not be empty.\n".into()),
        (vec!["app:disable", "good", "nope"], "nope not found\n".into()),
        (vec!["app:getpath", "nope"], "nope not found\n".into()),
        (vec!["app:getpath", "../apps"], invalid("../apps")),
    ];
    for (args, stderr) in cases {
        let o = i.run(&args);
        assert_eq!(
            (o.stdout.as_str(), o.stderr.as_str(), o.code),
            ("", stderr.as_str(), 1),
            "{args:?}"
        );
        assert_eq!(appconfig(&i), before, "{args:?} changed the database");
    }
    // A missing argument is a usage error.
    assert_eq!(i.run(&["app:enable"]).code, 2);
    assert_eq!(appconfig(&i), before);
}

#[test]
fn core_apps_cannot_be_disabled() {
    let i = Instance::installed();
    let mut shipped = manifest("shippedapp", "1.0.0", None, None);
    shipped = shipped.replace("</info>", "    <shipped>true</shipped>\n</info>");
    app(&i, "shippedapp", &shipped);
    app(&i, "other", &manifest("other", "1.0.0", None, None));
    ok(
        &i.run(&["app:enable", "shippedapp", "other"]),
        "shippedapp enabled\nother enabled\n",
    );
    let before = appconfig(&i);
    for id in ["core", "files", "shippedapp"] {
        fails(
            &i.run(&["app:disable", id]),
            &format!("App \"{id}\" is a core app and cannot be disabled.\n"),
        );
    }
    fails(
        &i.run(&["app:disable", "other", "shippedapp"]),
        "App \"shippedapp\" is a core app and cannot be disabled.\n",
    );
    assert_eq!(appconfig(&i), before);
    assert!(before.contains(&"core|enabled|yes".to_string()));
}

#[test]
fn app_check_code_checks_manifest_and_plugins_before_install() {
    let i = Instance::new();
    // A compliant app with a plugin in its namespace.
    app(
        &i,
        "exampleapp",
        &manifest("exampleapp", "1.0.0", Some("0.1"), Some("10.15.2.0")),
    );
    ship_plugin(&i, "exampleapp", "occ_fixture_exampleapp");
    ok(
        &i.run(&["app:check-code", "exampleapp"]),
        "App is compliant.\n",
    );

    // Everything wrong at once: a plugin of another id with commands elsewhere, one of
    // another ABI, a manifest with another id, no name, a bad version and an empty range.
    app(
        &i,
        "misbehave",
        "<info><id>misbehaving</id><version>one</version><dependencies><owncloud min-version=\"10.16\" max-version=\"10.15\"/></dependencies></info>",
    );
    ship_plugin(&i, "misbehave", "occ_fixture_misbehaving");
    ship_plugin(&i, "misbehave", "occ_fixture_abi_mismatch");
    // Not a library name the host loads: ignored.
    fs::write(i.root().join("apps/misbehave/plugin/notes.txt"), "x").unwrap();
    let findings = [
        "Mandatory field missing: name",
        "The app id \"misbehaving\" in appinfo/info.xml does not match the app directory \"misbehave\"",
        "Invalid version in appinfo/info.xml: \"one\" is not a version",
        "Invalid ownCloud dependency in appinfo/info.xml: its version range is empty: min-version 10.16 is above max-version 10.15",
        "Plugin plugin/libocc_fixture_abi_mismatch.so: incompatible plugin ABI (abi_stable layout check failed)",
        "Plugin plugin/libocc_fixture_misbehaving.so: the plugin id \"misbehaving\" is not the app id \"misbehave\"",
        "Plugin plugin/libocc_fixture_misbehaving.so: the plugin version \"0.1.0\" is not the app version \"one\" of appinfo/info.xml",
        "Plugin plugin/libocc_fixture_misbehaving.so: namespace \"hello\" is not the app's namespace \"misbehave\"",
        "Plugin plugin/libocc_fixture_misbehaving.so: command \"user:evil\" lies outside the app's namespace \"misbehave\"",
        "Plugin plugin/libocc_fixture_misbehaving.so: command \"hello:greet\" lies outside the app's namespace \"misbehave\"",
    ];
    let o = i.run(&["app:check-code", "misbehave"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (
            format!("{}\nApp is not compliant\n", findings.join("\n")).as_str(),
            "",
            1
        )
    );
    let o = i.run(&["app:check-code", "misbehave", "--output=json"]);
    assert_eq!(o.code, 1);
    let parsed: CheckJson = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(parsed.app, "misbehave");
    assert!(!parsed.compliant);
    assert_eq!(parsed.findings, findings);

    // Manifests that cannot be read at all.
    app(&i, "broken", "<info><id>broken</id>");
    let o = i.run(&["app:check-code", "broken"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stdout,
        "broken has invalid XML in appinfo/info.xml: the root node was opened but never closed\nApp is not compliant\n"
    );
    app(&i, "notinfo", "<app><id>notinfo</id></app>");
    assert_eq!(
        i.run(&["app:check-code", "notinfo"]).stdout,
        "appinfo/info.xml has the root element <app>, not <info>\nApp is not compliant\n"
    );
    fs::create_dir_all(i.root().join("apps/empty")).unwrap();
    let o = i.run(&["app:check-code", "empty"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (
            "Mandatory file missing: appinfo/info.xml\nApp is not compliant\n",
            1
        )
    );
    fails(&i.run(&["app:check-code", "nope"]), "nope not found\n");

    // The same checks once installed; the app is still not enabled by checking it.
    i.install();
    ok(
        &i.run(&["app:check-code", "exampleapp"]),
        "App is compliant.\n",
    );
    assert_eq!(rows_of(&i, "exampleapp"), Vec::<String>::new());
}

#[test]
fn app_getpath_prints_the_absolute_path() {
    let i = Instance::installed();
    app(&i, "notes", &manifest("notes", "1.0.0", None, None));
    let p = path_of(&i, "notes");
    ok(&i.run(&["app:getpath", "notes"]), &format!("{p}\n"));
    ok(
        &i.run(&["app:getpath", "notes", "--output=json"]),
        &format!("\"{}\"\n", p.replace('/', "\\/")),
    );
    // From another directory, with --root.
    let root = format!("--root={}", i.root().display());
    let mut c = i.command(&[&root, "app:getpath", "notes"]);
    let o = c.current_dir("/").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("{p}\n"));
    // A first-party plugin is no app.
    fails(&i.run(&["app:getpath", "files"]), "files not found\n");
}
