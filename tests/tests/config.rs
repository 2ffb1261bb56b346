//! System and app config: get/set/delete with types and nested keys, listing with secrets
//! masked, import; every rejected write leaves config and database byte-identical.

use std::io::Write;

use occ_tests::Instance;
use serde_json::{json, Value};

#[test]
fn system_config_get_set_delete() {
    let i = Instance::installed();
    let o = i.run(&[
        "config:system:set",
        "trusted_domains",
        "1",
        "--value=example.org",
    ]);
    assert_eq!(
        o.stdout,
        "System config value trusted_domains => 1 set to string example.org\n"
    );
    assert_eq!(
        i.config()["trusted_domains"],
        json!(["localhost", "example.org"])
    );
    assert_eq!(
        i.run(&["config:system:get", "trusted_domains"]).stdout,
        "  - localhost\n  - example.org\n"
    );
    assert_eq!(
        i.run(&["config:system:get", "trusted_domains", "1"]).stdout,
        "example.org\n"
    );
    assert_eq!(
        i.run(&["config:system:get", "trusted_domains", "--output=json"])
            .stdout,
        "[\"localhost\",\"example.org\"]\n"
    );
    assert_eq!(
        i.run(&[
            "config:system:set",
            "loglevel",
            "--value=0",
            "--type=integer"
        ])
        .stdout,
        "System config value loglevel set to integer 0\n"
    );
    assert_eq!(i.config()["loglevel"], 0);
    assert_eq!(
        i.run(&[
            "config:system:set",
            "debug",
            "--value=true",
            "--type=boolean"
        ])
        .stdout,
        "System config value debug set to boolean true\n"
    );
    assert_eq!(i.config()["debug"], true);
    assert_eq!(
        i.run(&["config:system:set", "redis", "host", "--value=127.0.0.1"])
            .code,
        0
    );
    assert_eq!(i.config()["redis"], json!({"host": "127.0.0.1"}));
    assert_eq!(
        i.run(&[
            "config:system:set",
            "limits",
            "--type=json",
            "--value={\"a\":[1,2]}"
        ])
        .code,
        0
    );
    assert_eq!(i.config()["limits"], json!({"a": [1, 2]}));
    // Missing: exit 1, or the default.
    assert_eq!(
        (
            i.run(&["config:system:get", "nope"]).stdout.as_str(),
            i.run(&["config:system:get", "nope"]).code
        ),
        ("", 1)
    );
    assert_eq!(
        i.run(&["config:system:get", "nope", "--default-value=dflt"])
            .stdout,
        "dflt\n"
    );
    assert_eq!(
        i.run(&["config:system:delete", "trusted_domains", "0"])
            .stdout,
        "System config value trusted_domains => 0 deleted\n"
    );
    assert_eq!(i.config()["trusted_domains"], json!(["example.org"]));
    assert_eq!(
        i.run(&["config:system:delete", "debug"]).stdout,
        "System config value debug deleted\n"
    );
    assert!(!i.config().contains_key("debug"));
    let o = i.run(&["config:system:delete", "debug", "--error-if-not-exists"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            "System config debug could not be deleted because it did not exist\n",
            1
        )
    );
}

#[test]
fn values_that_do_not_fit_their_type_change_nothing() {
    let i = Instance::installed();
    let before = i.dump();
    for (args, msg) in [
        (
            vec![
                "config:system:set",
                "loglevel",
                "--value=4x",
                "--type=integer",
            ],
            "The value \"4x\" is not an integer.\n",
        ),
        (
            vec![
                "config:system:set",
                "debug",
                "--value=maybe",
                "--type=boolean",
            ],
            "The value \"maybe\" is not a boolean (use true or false).\n",
        ),
        (
            vec!["config:system:set", "x", "--value=1.2.3", "--type=float"],
            "The value \"1.2.3\" is not a float.\n",
        ),
        (
            vec!["config:system:set", "x", "--value={", "--type=json"],
            "The value is not valid JSON: EOF while parsing an object at line 1 column 1\n",
        ),
        (
            vec!["config:system:set", "x", "--value=1", "--type=blob"],
            "Invalid type \"blob\": use string, integer, boolean, float or json.\n",
        ),
        (
            vec!["config:system:set", "nope", "--value=1", "--update-only"],
            "Value not updated, as it has not been set before.\n",
        ),
        (
            vec!["config:system:set", "trusted_domains", "7", "--value=x"],
            "\"7\" is not a valid position in a list of 1 items.\n",
        ),
        (
            vec!["config:system:set", "a\nb", "--value=x"],
            "Invalid config key \"a\\nb\".\n",
        ),
        (
            vec!["config:app:set", "../core", "k", "--value=v"],
            "Invalid app name \"../core\": use 1-32 letters, digits, '_', '.' or '-'.\n",
        ),
        (
            vec![
                "config:app:set",
                "core",
                "new",
                "--value=v",
                "--update-only",
            ],
            "Config value were not updated, as it has not been set before.\n",
        ),
        (
            vec!["config:app:delete", "core", "nope", "--error-if-not-exists"],
            "Config nope of app core could not be deleted because it did not exist\n",
        ),
    ] {
        let o = i.run(&args);
        assert_eq!(o.stderr, msg, "{args:?}");
        assert_ne!(o.code, 0, "{args:?}");
    }
    assert_eq!(i.dump(), before);
}

#[test]
fn app_config() {
    let i = Instance::installed();
    assert_eq!(
        i.run(&["config:app:set", "files", "max_chunk", "--value=10MB"])
            .stdout,
        "Config value max_chunk for app files set to 10MB\n"
    );
    assert_eq!(
        i.run(&["config:app:get", "files", "max_chunk"]).stdout,
        "10MB\n"
    );
    assert_eq!(i.run(&["config:app:get", "files", "nope"]).code, 1);
    assert_eq!(
        i.run(&["config:app:get", "files", "nope", "--default-value=d"])
            .stdout,
        "d\n"
    );
    assert_eq!(
        i.run(&["config:app:delete", "files", "max_chunk"]).stdout,
        "Config value max_chunk of app files deleted\n"
    );
    assert!(i
        .query("SELECT * FROM oc_appconfig WHERE appid = 'files' AND configkey = 'max_chunk'")
        .is_empty());
}

#[test]
fn config_list_masks_secrets_unless_private() {
    let i = Instance::installed();
    i.run(&[
        "config:app:set",
        "ldap",
        "ldap_agent_password",
        "--value=hunter2",
    ]);
    let o = i.run(&["config:list"]);
    assert_eq!(o.code, 0);
    assert!(
        o.stdout.starts_with("{\n    \"system\": {\n"),
        "json_pretty by default: {}",
        o.stdout
    );
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    for k in ["secret", "passwordsalt", "dbname"] {
        assert_eq!(v["system"][k], "***REMOVED SENSITIVE VALUE***", "{k}");
    }
    assert_eq!(v["system"]["installed"], true);
    assert_eq!(
        v["apps"]["ldap"]["ldap_agent_password"],
        "***REMOVED SENSITIVE VALUE***"
    );
    assert_eq!(v["apps"]["core"]["enabled"], "yes");
    assert!(
        !o.stdout.contains("hunter2") && !o.stdout.contains(i.config()["secret"].as_str().unwrap())
    );
    let v: Value = serde_json::from_str(&i.run(&["config:list", "--private"]).stdout).unwrap();
    assert_eq!(v["system"]["secret"], i.config()["secret"]);
    assert_eq!(v["apps"]["ldap"]["ldap_agent_password"], "hunter2");
    let v: Value = serde_json::from_str(&i.run(&["config:list", "system"]).stdout).unwrap();
    assert!(v.get("apps").is_none());
    let v: Value =
        serde_json::from_str(&i.run(&["config:list", "core", "--output=json"]).stdout).unwrap();
    assert_eq!(
        v,
        json!({"apps": {"core": {"enabled": "yes", "installed_version": v["apps"]["core"]["installed_version"]}}})
    );
}

#[test]
fn config_import_is_all_or_nothing() {
    let i = Instance::installed();
    let file = i.root().join("import.json");
    std::fs::write(&file, r#"{"system": {"loglevel": 1, "trusted_domains": ["a.example", "b.example"]}, "apps": {"files": {"max_chunk": "5MB", "count": 3}}}"#).unwrap();
    let o = i.run(&["config:import", file.to_str().unwrap()]);
    assert_eq!(
        (o.stdout.clone(), o.code),
        (
            format!("Config successfully imported from: {}\n", file.display()),
            0
        )
    );
    assert_eq!(i.config()["loglevel"], 1);
    assert_eq!(
        i.config()["trusted_domains"],
        json!(["a.example", "b.example"])
    );
    assert_eq!(i.run(&["config:app:get", "files", "count"]).stdout, "3\n");
    // From standard input.
    let mut c = i.command(&["config:import"]);
    let mut child = c
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"apps": {"files": {"max_chunk": "6MB"}}}"#)
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Config successfully imported from: -\n"
    );
    assert_eq!(
        i.run(&["config:app:get", "files", "max_chunk"]).stdout,
        "6MB\n"
    );

    let before = i.dump();
    for (text, msg) in [
        ("{\"system\": {", "Invalid config file: not valid JSON (EOF while parsing an object at line 1 column 12)\n"),
        ("[1]", "Invalid config file: the top level must be an object\n"),
        ("{\"system\": {\"x\": 1}, \"other\": {}}", "Invalid config file: unknown key \"other\" (only \"system\" and \"apps\" are allowed)\n"),
        ("{\"system\": {\"x\": 1}, \"apps\": {\"../a\": {\"k\": \"v\"}}}", "Invalid config file: Invalid app name \"../a\": use 1-32 letters, digits, '_', '.' or '-'.\n"),
        ("{\"system\": {\"x\": 1}, \"apps\": {\"a\": {\"k\": {\"deep\": 1}}}}", "Invalid config file: the value of a/k must be a string, number or boolean\n"),
        ("{\"apps\": []}", "Invalid config file: \"apps\" must be an object\n"),
    ] {
        std::fs::write(&file, text).unwrap();
        let o = i.run(&["config:import", file.to_str().unwrap()]);
        assert_eq!((o.stderr.as_str(), o.code), (msg, 1), "{text}");
    }
    let o = i.run(&["config:import", "/nonexistent/file.json"]);
    assert_eq!(o.code, 1);
    assert_eq!(i.dump(), before);
}

#[test]
fn concurrent_config_writes_lose_nothing() {
    let i = Instance::installed();
    let children: Vec<_> = (0..8)
        .map(|n| {
            let mut c = i.command(&[
                "config:system:set",
                &format!("key{n}"),
                &format!("--value={n}"),
            ]);
            c.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let cfg = i.config();
    for n in 0..8 {
        assert_eq!(cfg[&format!("key{n}")], json!(n.to_string()), "key{n} lost");
    }
    assert_eq!(cfg["installed"], true);
}
