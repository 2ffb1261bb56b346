//! Plugins: discovery, compatibility with plugin-api 1.0, bad plugins costing one warning
//! line, panics becoming errors, apps' plugins following enablement, the index, the log bridge.

use std::fs;
use std::path::Path;

use occ_tests::{lib, plugin_dir, Instance};

fn copy(lib_name: &str, dir: &Path, file: &str) {
    fs::copy(lib(lib_name), dir.join(file)).unwrap();
}

#[test]
fn a_plugin_built_against_plugin_api_1_0_runs_in_this_host() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_fixture_oldapi"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    // Before install (it declares that state) and after.
    let o = i.run(&["legacy:hello", "bob", "--output=json"]);
    assert_eq!(o.stdout, "{\"greeting\":\"Hello from a plugin-api 1.0 plugin, bob!\",\"built_on\":\"1.0.0\",\"installed\":false}\n");
    assert_eq!((o.stderr.as_str(), o.code), ("", 0));
    i.install();
    let o = i.run(&["legacy:hello"]);
    assert_eq!(o.stdout, "  - greeting: Hello from a plugin-api 1.0 plugin, world!\n  - built_on: 1.0.0\n  - installed: true\n");
    assert_eq!(o.code, 0);
}

#[test]
fn bad_plugins_cost_one_warning_line_each_and_nothing_else() {
    let i0 = Instance::installed();
    let mut i = i0;
    let dir1 = plugin_dir(&[
        "occ_example_hello",
        "occ_fixture_abi_mismatch",
        "occ_fixture_major2",
        "occ_fixture_misbehaving",
    ]);
    fs::write(dir1.path().join("libjunk.so"), "this is no library").unwrap();
    // A real shared library that is no occ plugin (every Rust binary here links libgcc_s).
    let gcc = [
        "/lib/x86_64-linux-gnu/libgcc_s.so.1",
        "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
        "/lib64/libgcc_s.so.1",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("libgcc_s.so.1");
    fs::copy(gcc, dir1.path().join("libnotaplugin.so")).unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    copy("occ_example_hello", dir2.path(), "libhello_again.so");
    let path = format!("{}:{}", dir1.path().display(), dir2.path().display());
    i.set_env("OCC_PLUGIN_PATH", &path);
    let o = i.run(&["status", "--output=json"]);
    let d1 = dir1.path().display();
    let d2 = dir2.path().display();
    let expected = format!(
        "occ: ignoring plugin {d1}/libjunk.so: not a loadable library (file too short)
occ: ignoring plugin {d1}/libnotaplugin.so: not an occ plugin (no abi_stable root module)
occ: ignoring plugin {d1}/libocc_fixture_abi_mismatch.so: incompatible plugin ABI (abi_stable layout check failed)
occ: ignoring plugin {d1}/libocc_fixture_major2.so: built against plugin-api 2.0.0; this host supports 1.x
occ: ignoring plugin {d1}/libocc_fixture_misbehaving.so: command \"misbehave:malformed\": option \"--x\" declared twice
occ: ignoring plugin {d1}/libocc_fixture_misbehaving.so: namespace \"hello\" is already owned by plugin \"hello\" ({d1}/libocc_example_hello.so)
occ: ignoring plugin {d1}/libocc_fixture_misbehaving.so: command \"user:evil\" lies outside the plugin's namespaces (misbehave, hello)
occ: ignoring plugin {d2}/libhello_again.so: duplicate plugin id \"hello\" (already provided by {d1}/libocc_example_hello.so)
"
    );
    assert_eq!(o.stderr, expected);
    assert_eq!(o.code, 0);
    assert!(o.stdout.starts_with("{\"installed\":true"));
    // Plugins with a schema, added to an installed instance: `occ upgrade` makes it.
    assert!(o.stdout.contains("\"needsDbUpgrade\":true"));
    let o = i.run(&["--no-warnings", "upgrade"]);
    assert_eq!(o.code, 0, "{o:?}");
    // Every other command keeps working, including the good parts of a partly bad plugin.
    let o = i.run(&["--no-warnings", "misbehave:fine"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("still fine\n", "", 0)
    );
    let o = i.run(&["--no-warnings", "user:evil"]);
    assert_eq!(
        o.code, 1,
        "a command outside its plugin's namespaces is not registered"
    );
    let o = i.run(&["--no-warnings", "misbehave:malformed"]);
    assert_eq!(o.code, 1, "a command clap cannot take is not registered");
    // check reports plugin problems too.
    let o = i.run(&["--no-warnings", "check"]);
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains(&format!("  - Plugin {d1}/libocc_fixture_major2.so: built against plugin-api 2.0.0; this host supports 1.x\n")));
    // The warnings are the same when the index answers instead of the files.
    let again = i.run(&["status", "--output=json"]);
    assert_eq!(again.stderr, expected);
}

#[test]
fn a_panic_in_a_plugin_is_an_error_not_an_abort() {
    let mut i = Instance::installed();
    let plugins = plugin_dir(&["occ_fixture_misbehaving"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    let o = i.run(&["--no-warnings", "misbehave:panic"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stdout, "");
    assert!(
        o.stderr.starts_with("The plugin \"misbehaving\" crashed: index out of bounds: the len is 0 but the index is 1 at "),
        "{}",
        o.stderr
    );
    assert_eq!(o.stderr.lines().count(), 1, "one line: {}", o.stderr);
    let o = i.run(&["--no-warnings", "misbehave:fail"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        ("Something went wrong on purpose.\n", 3)
    );
    // The host is fine afterwards.
    assert_eq!(i.run(&["--no-warnings", "misbehave:fine"]).code, 0);
}

#[test]
fn plugins_are_found_next_to_the_binary_without_configuration() {
    // The first-party plugins of this build are found with no OCC_PLUGIN_PATH at all.
    let i = Instance::new();
    let o = i.run(&["list", "--raw"]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("maintenance:install"));
    assert!(o.stdout.contains("status"));
    assert_eq!(o.stderr, "");
}

#[test]
fn a_file_rewritten_in_place_with_the_same_size_and_mtime_is_checked_again() {
    // The index lets a known file load without abi_stable's layout check; a file rewritten in
    // place must lose that, even when its size and mtime look the same (only ctime changes).
    let mut i = Instance::installed();
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (
        fs::read(lib("occ_fixture_exampleapp")).unwrap(),
        fs::read(lib("occ_fixture_abi_mismatch")).unwrap(),
    );
    // Zero padding after the last section changes nothing for the loader.
    let len = good.len().max(bad.len());
    let pad = |mut b: Vec<u8>| {
        b.resize(len, 0);
        b
    };
    let file = dir.path().join("libthing.so");
    fs::write(&file, pad(good)).unwrap();
    let mtime = fs::metadata(&file).unwrap().modified().unwrap();
    i.set_env("OCC_PLUGIN_PATH", dir.path());
    assert_eq!(i.run(&["exampleapp:hello"]).code, 0);
    let o = i.run(&["list", "--raw"]);
    assert!(o.stdout.contains("exampleapp:hello"), "{o:?}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&file, pad(bad)).unwrap();
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(fs::metadata(&file).unwrap().len(), len as u64);
    let o = i.run(&["list", "--raw"]);
    assert!(!o.stdout.contains("exampleapp:hello"), "{o:?}");
    assert_eq!(
        o.stderr,
        format!(
            "occ: ignoring plugin {}: incompatible plugin ABI (abi_stable layout check failed)\n",
            file.display()
        )
    );
    let o = i.run(&["exampleapp:hello"]);
    assert_eq!(o.code, 1, "{o:?}");
}

#[test]
fn the_index_notices_a_replaced_plugin_file() {
    let mut i = Instance::installed();
    let dir = tempfile::tempdir().unwrap();
    copy("occ_fixture_exampleapp", dir.path(), "libthing.so");
    i.set_env("OCC_PLUGIN_PATH", dir.path());
    let o = i.run(&["list", "--raw"]);
    assert!(o.stdout.contains("exampleapp:hello"));
    assert!(!o.stdout.contains("legacy:hello"));
    // Same path, other content (size and mtime change): the index must not answer from memory.
    std::thread::sleep(std::time::Duration::from_millis(20));
    copy("occ_fixture_oldapi", dir.path(), "libthing.so");
    let o = i.run(&["list", "--raw"]);
    assert!(o.stdout.contains("legacy:hello"), "{}", o.stdout);
    assert!(!o.stdout.contains("exampleapp:hello"));
    assert_eq!(i.run(&["legacy:hello"]).code, 0);
}

#[test]
fn an_apps_plugin_commands_exist_only_while_the_app_is_enabled() {
    let i = Instance::installed();
    let app = i.root().join("apps").join("exampleapp");
    fs::create_dir_all(app.join("appinfo")).unwrap();
    fs::create_dir_all(app.join("plugin")).unwrap();
    fs::write(app.join("appinfo/info.xml"), "<?xml version=\"1.0\"?>\n<info><id>exampleapp</id><name>Example</name><version>1.0.0</version></info>\n").unwrap();
    copy(
        "occ_fixture_exampleapp",
        &app.join("plugin"),
        "libocc_fixture_exampleapp.so",
    );
    // Not enabled: not there.
    let o = i.run(&["exampleapp:hello"]);
    assert_eq!(o.code, 1);
    assert!(o
        .stderr
        .contains("There are no commands defined in the \"exampleapp\" namespace."));
    i.exec("INSERT INTO oc_appconfig (appid, configkey, configvalue) VALUES ('exampleapp', 'enabled', 'yes')");
    let o = i.run(&["exampleapp:hello"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Hello from exampleapp; this instance has 1 user(s).\n", 0)
    );
    assert!(i
        .run(&["list"])
        .stdout
        .contains("\n exampleapp\n  exampleapp:hello"));
    // In maintenance mode no app is loaded.
    assert_eq!(i.run(&["maintenance:mode", "--on"]).code, 0);
    assert_eq!(i.run(&["exampleapp:hello"]).code, 1);
    assert_eq!(i.run(&["maintenance:mode", "--off"]).code, 0);
    i.exec("UPDATE oc_appconfig SET configvalue = 'no' WHERE appid = 'exampleapp'");
    assert_eq!(i.run(&["exampleapp:hello"]).code, 1);
    assert!(!i.run(&["list"]).stdout.contains("exampleapp"));
}

#[test]
fn plugin_logs_reach_the_log_file_through_the_host() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    // loglevel 1 = info, as in ownCloud's config.
    let mut cfg = i.config();
    cfg.insert("loglevel".into(), serde_json::json!(1));
    fs::write(i.config_path(), serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
    assert_eq!(i.run(&["hello:greet", "Ann"]).code, 0);
    let log = fs::read_to_string(i.root().join("data").join("occ.log")).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("greeted Ann"))
        .unwrap_or_else(|| panic!("no plugin record in {log}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["app"], "hello");
    assert_eq!(v["level"], 1);
    assert_eq!(v["message"], "greeted Ann");
    assert!(v["reqId"].as_str().is_some_and(|s| s.len() == 20));
}

#[test]
fn the_example_plugin_works_end_to_end() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    assert!(i.tables().contains(&"oc_hello_greetings".to_string()));
    for name in ["Ann", "Bob", "Ann"] {
        assert_eq!(i.run(&["hello:greet", name]).code, 0);
    }
    let o = i.run(&["hello:list"]);
    assert_eq!(
        o.stdout,
        "+------+-----------+\n| Name | Greetings |\n+------+-----------+\n| Ann  | 2         |\n| Bob  | 1         |\n+------+-----------+\n"
    );
    let o = i.run(&["hello:list", "--output=json"]);
    assert_eq!(
        o.stdout,
        "[{\"Name\":\"Ann\",\"Greetings\":2},{\"Name\":\"Bob\",\"Greetings\":1}]\n"
    );
    let rows = i.query("SELECT name, count FROM oc_hello_greetings ORDER BY name");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["count"], 2);
}

#[test]
fn events_and_services_cross_plugins_through_the_host() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&[
        "occ_example_hello",
        "occ_fixture_exampleapp",
        "occ_fixture_oldapi",
    ]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    // hello:greet emits hello.greeted; exampleapp subscribed and records it in its app config.
    assert_eq!(i.run(&["hello:greet", "Ann"]).code, 0);
    let rows = i.query("SELECT configvalue FROM oc_appconfig WHERE appid = 'exampleapp' AND configkey = 'last_event'");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["configvalue"], "hello.greeted:Ann");
    // A plugin built against plugin-api 1.0 calls exampleapp's named service.
    let o = i.run(&["legacy:ask", "Bob"]);
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("Greetings, Bob!\n", "", 0)
    );
    // Without the provider: one clear line.
    let only_old = plugin_dir(&["occ_fixture_oldapi"]);
    i.set_env("OCC_PLUGIN_PATH", only_old.path());
    let o = i.run(&["legacy:ask", "Bob"]);
    assert_eq!(
        (o.stderr.as_str(), o.code),
        (
            "no plugin provides the service \"exampleapp.greeting\"\n",
            1
        )
    );
}

#[test]
fn a_distributions_plugin_directory_is_found_next_to_the_binary() {
    // /usr/bin/occ with /usr/lib/occ/plugins, rebuilt in a temporary prefix.
    let prefix = tempfile::tempdir().unwrap();
    let bin = prefix.path().join("bin");
    let plugins = prefix.path().join("lib/occ/plugins");
    fs::create_dir_all(&bin).unwrap();
    fs::create_dir_all(&plugins).unwrap();
    fs::copy(occ_tests::occ_bin(), bin.join("occ")).unwrap();
    for p in [
        "occ_plugin_core",
        "occ_plugin_files",
        "occ_plugin_ldap",
        "occ_plugin_encryption",
        "occ_plugin_l10n",
        "occ_example_hello",
    ] {
        copy(p, &plugins, &format!("lib{p}.so"));
    }
    let i = Instance::new();
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = std::process::Command::new(bin.join("occ"))
            .args(args)
            .current_dir(i.root())
            .env_remove("OCC_PLUGIN_PATH")
            .env_remove("OCC_ROOT")
            .env("OCC_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            o.status.code(),
        )
    };
    let (out, code) = run(&["list", "--raw"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("maintenance:install"), "{out}");
    let (_, code) = run(&["maintenance:install", "--admin-pass=x", "-n"]);
    assert_eq!(code, Some(0));
    let (out, _) = run(&["status", "--output=json"]);
    assert!(out.starts_with("{\"installed\":true"));
    let (out, code) = run(&["hello:greet", "Dee"]);
    assert_eq!((out.as_str(), code), ("Hello, Dee!\n", Some(0)));
}
