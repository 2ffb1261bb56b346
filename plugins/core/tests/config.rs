//! System and app config of the core plugin, in process on a temporary SQLite instance:
//! `config:system:set|get|delete` (typed and nested values, as written to config.json),
//! `config:app:set|get|delete` (the `oc_appconfig` rows), `config:list` (its JSON shape and
//! secrets masked unless `--private`), and values or names that are refused leaving the config
//! and the database as they were. The `config` library's app functions through a `Context`.

// Helpers outside #[test] functions unwrap too (clippy's allow-unwrap-in-tests covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use occ_plugin_core::{config, CORE};
use occ_plugin_test_support::{Output, TestInstance};
use serde_json::{json, Map, Value};

fn out(o: &Output) -> (&str, &str, i32) {
    (o.stdout.as_str(), o.stderr.as_str(), o.code)
}

/// `oc_appconfig` as (appid, configkey, configvalue) rows, sorted.
fn appconfig(t: &TestInstance) -> Vec<(String, String, Value)> {
    t.query(
        "SELECT appid, configkey, configvalue FROM *PREFIX*appconfig ORDER BY appid, configkey",
        &[],
    )
    .into_iter()
    .map(|r| {
        (
            r["appid"].as_str().unwrap().to_string(),
            r["configkey"].as_str().unwrap().to_string(),
            r["configvalue"].clone(),
        )
    })
    .collect()
}

fn row(app: &str, key: &str, value: &str) -> (String, String, Value) {
    (app.into(), key.into(), json!(value))
}

#[test]
fn system_values_are_set_read_and_deleted_in_config_json() {
    let t = TestInstance::installed(&[&CORE]);
    let start = t.config();
    assert_eq!(start["trusted_domains"], json!(["localhost"]));

    let o = t.run(&[
        "config:system:set",
        "trusted_domains",
        "1",
        "--value=example.org",
    ]);
    assert_eq!(
        out(&o),
        (
            "System config value trusted_domains => 1 set to string example.org\n",
            "",
            0
        )
    );
    assert_eq!(
        t.config()["trusted_domains"],
        json!(["localhost", "example.org"])
    );
    assert_eq!(
        out(&t.run(&["config:system:get", "trusted_domains"])),
        ("  - localhost\n  - example.org\n", "", 0)
    );
    assert_eq!(
        t.run(&["config:system:get", "trusted_domains", "1"]).stdout,
        "example.org\n"
    );
    assert_eq!(
        t.run(&["config:system:get", "trusted_domains", "--output=json"])
            .stdout,
        "[\"localhost\",\"example.org\"]\n"
    );

    // Types.
    assert_eq!(
        t.run(&[
            "config:system:set",
            "loglevel",
            "--value=0",
            "--type=integer"
        ])
        .stdout,
        "System config value loglevel set to integer 0\n"
    );
    assert_eq!(t.config()["loglevel"], json!(0));
    assert_eq!(
        t.run(&[
            "config:system:set",
            "debug",
            "--value=true",
            "--type=boolean"
        ])
        .stdout,
        "System config value debug set to boolean true\n"
    );
    assert_eq!(t.config()["debug"], json!(true));
    assert_eq!(t.run(&["config:system:get", "debug"]).stdout, "true\n");
    assert_eq!(
        t.run(&["config:system:set", "ratio", "--value=1.5", "--type=float"])
            .stdout,
        "System config value ratio set to double 1.5\n"
    );
    assert_eq!(t.config()["ratio"], json!(1.5));
    assert_eq!(
        t.run(&["config:system:set", "redis", "host", "--value=127.0.0.1"])
            .stdout,
        "System config value redis => host set to string 127.0.0.1\n"
    );
    assert_eq!(t.config()["redis"], json!({"host": "127.0.0.1"}));
    assert_eq!(
        t.run(&[
            "config:system:set",
            "limits",
            "--type=json",
            "--value={\"a\":[1,2]}"
        ])
        .stdout,
        "System config value limits set to json {\"a\":[1,2]}\n"
    );
    assert_eq!(t.config()["limits"], json!({"a": [1, 2]}));
    assert_eq!(
        t.run(&["config:system:get", "limits", "a", "1"]).stdout,
        "2\n"
    );
    // --update-only changes an existing value.
    assert_eq!(
        t.run(&[
            "config:system:set",
            "redis",
            "host",
            "--value=::1",
            "--update-only"
        ])
        .code,
        0
    );
    assert_eq!(t.config()["redis"], json!({"host": "::1"}));

    // Missing: exit 1 without output, or the default.
    assert_eq!(out(&t.run(&["config:system:get", "nope"])), ("", "", 1));
    assert_eq!(
        out(&t.run(&["config:system:get", "nope", "--default-value=dflt"])),
        ("dflt\n", "", 0)
    );

    assert_eq!(
        out(&t.run(&["config:system:delete", "trusted_domains", "0"])),
        ("System config value trusted_domains => 0 deleted\n", "", 0)
    );
    assert_eq!(t.config()["trusted_domains"], json!(["example.org"]));
    assert_eq!(
        t.run(&["config:system:delete", "debug"]).stdout,
        "System config value debug deleted\n"
    );
    assert!(!t.config().contains_key("debug"));
    assert_eq!(
        t.run(&["config:system:delete", "redis", "host"]).stdout,
        "System config value redis => host deleted\n"
    );
    assert_eq!(t.config()["redis"], json!({}));
    let before = t.config();
    assert_eq!(
        out(&t.run(&["config:system:delete", "debug", "--error-if-not-exists"])),
        (
            "",
            "System config debug could not be deleted because it did not exist\n",
            1
        )
    );
    // Without --error-if-not-exists a missing key is no error.
    assert_eq!(
        out(&t.run(&["config:system:delete", "debug"])),
        ("System config value debug deleted\n", "", 0)
    );
    assert_eq!(t.config(), before);

    // Everything the install wrote is still there, untouched.
    let after = t.config();
    for (k, v) in &start {
        if k != "trusted_domains" {
            assert_eq!(after.get(k), Some(v), "{k}");
        }
    }
}

#[test]
fn values_and_names_that_are_refused_change_nothing() {
    let t = TestInstance::installed(&[&CORE]);
    assert_eq!(
        t.run(&["config:app:set", "core", "kept", "--value=1"]).code,
        0
    );
    let config_before = t.config();
    let file_before = std::fs::read(t.root().join("config/config.json")).unwrap();
    let app_before = appconfig(&t);
    for (args, msg, code) in [
        (
            vec![
                "config:system:set",
                "loglevel",
                "--value=4x",
                "--type=integer",
            ],
            "The value \"4x\" is not an integer.\n",
            1,
        ),
        (
            vec![
                "config:system:set",
                "debug",
                "--value=maybe",
                "--type=boolean",
            ],
            "The value \"maybe\" is not a boolean (use true or false).\n",
            1,
        ),
        (
            vec!["config:system:set", "x", "--value=1.2.3", "--type=float"],
            "The value \"1.2.3\" is not a float.\n",
            1,
        ),
        (
            vec!["config:system:set", "x", "--value={", "--type=json"],
            "The value is not valid JSON: EOF while parsing an object at line 1 column 1\n",
            1,
        ),
        (
            vec!["config:system:set", "x", "--value=1", "--type=blob"],
            "Invalid type \"blob\": use string, integer, boolean, float or json.\n",
            2,
        ),
        (
            vec!["config:system:set", "nope", "--value=1", "--update-only"],
            "Value not updated, as it has not been set before.\n",
            1,
        ),
        (
            vec!["config:system:set", "trusted_domains", "7", "--value=x"],
            "\"7\" is not a valid position in a list of 1 items.\n",
            1,
        ),
        (
            vec!["config:system:set", "installed", "sub", "--value=x"],
            "The config value at that path is not a list or an object.\n",
            1,
        ),
        (
            vec!["config:system:set", "a\nb", "--value=x"],
            "Invalid config key \"a\\nb\".\n",
            1,
        ),
        (
            vec!["config:app:set", "../core", "k", "--value=v"],
            "Invalid app name \"../core\": use 1-32 letters, digits, '_', '.' or '-'.\n",
            1,
        ),
        (
            vec!["config:app:set", "core", "a\tb", "--value=v"],
            "Invalid config key \"a\\tb\": use 1-64 characters without control characters.\n",
            1,
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
            1,
        ),
        (
            vec!["config:app:delete", "core", "nope", "--error-if-not-exists"],
            "Config nope of app core could not be deleted because it did not exist\n",
            1,
        ),
    ] {
        let o = t.run(&args);
        assert_eq!(out(&o), ("", msg, code), "{args:?}");
    }
    assert_eq!(t.config(), config_before);
    assert_eq!(
        std::fs::read(t.root().join("config/config.json")).unwrap(),
        file_before
    );
    assert_eq!(appconfig(&t), app_before);
}

#[test]
fn app_values_are_rows_of_appconfig() {
    let t = TestInstance::installed(&[&CORE]);
    assert!(appconfig(&t).is_empty());
    assert_eq!(
        out(&t.run(&["config:app:set", "files", "max_chunk", "--value=10MB"])),
        ("Config value max_chunk for app files set to 10MB\n", "", 0)
    );
    assert_eq!(appconfig(&t), [row("files", "max_chunk", "10MB")]);
    assert_eq!(
        out(&t.run(&["config:app:get", "files", "max_chunk"])),
        ("10MB\n", "", 0)
    );
    // Set again: replaced, still one row.
    assert_eq!(
        t.run(&[
            "config:app:set",
            "files",
            "max_chunk",
            "--value=20MB",
            "--update-only"
        ])
        .code,
        0
    );
    assert_eq!(
        t.run(&["config:app:set", "ldap", "host", "--value=ldap.example"])
            .code,
        0
    );
    assert_eq!(
        appconfig(&t),
        [
            row("files", "max_chunk", "20MB"),
            row("ldap", "host", "ldap.example")
        ]
    );
    assert_eq!(
        out(&t.run(&["config:app:get", "files", "nope"])),
        ("", "", 1)
    );
    assert_eq!(
        t.run(&["config:app:get", "files", "nope", "--default-value=d"])
            .stdout,
        "d\n"
    );
    assert_eq!(
        out(&t.run(&["config:app:delete", "files", "max_chunk"])),
        ("Config value max_chunk of app files deleted\n", "", 0)
    );
    assert_eq!(appconfig(&t), [row("ldap", "host", "ldap.example")]);
    // Deleting what is not there is no error without --error-if-not-exists.
    assert_eq!(
        out(&t.run(&["config:app:delete", "files", "max_chunk"])),
        ("Config value max_chunk of app files deleted\n", "", 0)
    );
    // System config is not app config.
    assert!(!t.config().contains_key("max_chunk"));
}

#[test]
fn config_list_is_json_with_secrets_masked_unless_private() {
    let t = TestInstance::installed(&[&CORE]);
    for (app, key, value) in [
        ("ldap", "ldap_agent_password", "hunter2"),
        ("ldap", "host", "ldap.example"),
        ("files", "max_chunk", "10MB"),
    ] {
        assert_eq!(
            t.run(&["config:app:set", app, key, &format!("--value={value}")])
                .code,
            0
        );
    }
    let system = t.config();
    let o = t.run(&["config:list"]);
    assert_eq!((o.stderr.as_str(), o.code), ("", 0));
    assert!(
        o.stdout.starts_with("{\n    \"system\": {\n"),
        "json_pretty by default: {}",
        o.stdout
    );
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    let mut masked = system.clone();
    for k in ["secret", "passwordsalt", "dbname"] {
        masked.insert(k.into(), json!(config::MASK));
    }
    assert_eq!(
        v,
        json!({
            "system": masked,
            "apps": {
                "files": {"max_chunk": "10MB"},
                "ldap": {"host": "ldap.example", "ldap_agent_password": "***REMOVED SENSITIVE VALUE***"},
            }
        })
    );
    assert!(!o.stdout.contains("hunter2"));
    assert!(!o.stdout.contains(system["secret"].as_str().unwrap()));

    let v: Value = serde_json::from_str(&t.run(&["config:list", "--private"]).stdout).unwrap();
    assert_eq!(v["system"], Value::Object(system.clone()));
    assert_eq!(v["apps"]["ldap"]["ldap_agent_password"], "hunter2");

    let v: Value = serde_json::from_str(&t.run(&["config:list", "system"]).stdout).unwrap();
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["system"]
    );

    let o = t.run(&["config:list", "ldap", "--output=json"]);
    assert_eq!(
        o.stdout,
        "{\"apps\":{\"ldap\":{\"host\":\"ldap.example\",\"ldap_agent_password\":\"***REMOVED SENSITIVE VALUE***\"}}}\n"
    );
    let o = t.run(&["config:list", "nothing-here", "--output=json"]);
    assert_eq!(o.stdout, "{\"apps\":{}}\n");
    let o = t.run(&["config:list", "../x"]);
    assert_eq!(
        out(&o),
        (
            "",
            "Invalid app name \"../x\": use 1-32 letters, digits, '_', '.' or '-'.\n",
            1
        )
    );
}

#[test]
fn config_library_app_functions() {
    let t = TestInstance::installed(&[&CORE]);
    t.with_context(|ctx| {
        let db = ctx.db();
        assert_eq!(config::app_get(&db, "core", "k").unwrap(), None);
        config::app_set(&db, "core", "k", "v1").unwrap();
        config::app_set(&db, "core", "k", "v2").unwrap();
        config::app_set(&db, "files", "n", "3").unwrap();
        assert_eq!(
            config::app_get(&db, "core", "k").unwrap().as_deref(),
            Some("v2")
        );
        let mut core = Map::new();
        core.insert("k".into(), json!("v2"));
        assert_eq!(
            config::app_all(&db, Some("core")).unwrap(),
            json!({"core": {"k": "v2"}}).as_object().unwrap().clone()
        );
        assert_eq!(
            Value::Object(config::app_all(&db, None).unwrap()),
            json!({"core": core, "files": {"n": "3"}})
        );
        config::app_delete(&db, "core", "k").unwrap();
        config::app_delete(&db, "core", "k").unwrap();
        assert_eq!(config::app_get(&db, "core", "k").unwrap(), None);
    });
    assert_eq!(appconfig(&t), [row("files", "n", "3")]);
}
