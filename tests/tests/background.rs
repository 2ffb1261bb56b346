//! Background jobs (`background:*`, `background-job:*`, `system:cron`) and
//! `maintenance:repair`, with the real binary: exact output and exit codes, and the `oc_jobs`,
//! `oc_appconfig` and `oc_group_user` rows afterwards. The job that runs is the fixture app
//! plugin's `tick` (hourly), which counts its runs in app config `exampleapp`/`ticks`.

use occ_tests::{plugin_dir, Instance, Out};
use serde::Deserialize;
use serde_json::{json, Value};

const STEP: &str = "Remove group memberships of users and groups that no longer exist";
const MAINTENANCE_BANNER: &str = "occ is in maintenance mode - no app have been loaded\n\n";
/// 2033-05-18T03:33:20+00:00: a last run "in the future" keeps an hourly job from being due
/// (within ownCloud's 32-bit `last_run`).
const FUTURE: i64 = 2_000_000_000;

/// An installed instance that loads the fixture app plugin (kept alive with the directory).
fn with_app() -> (Instance, tempfile::TempDir) {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_fixture_exampleapp"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    (i, plugins)
}

fn outcome(o: &Out) -> (&str, &str, i32) {
    (o.stdout.as_str(), o.stderr.as_str(), o.code)
}

fn app_value(i: &Instance, app: &str, key: &str) -> Option<String> {
    i.query(&format!(
        "SELECT configvalue FROM oc_appconfig WHERE appid = '{app}' AND configkey = '{key}'"
    ))
    .first()
    .map(|r| r["configvalue"].as_str().unwrap().to_string())
}

fn ticks(i: &Instance) -> Option<String> {
    app_value(i, "exampleapp", "ticks")
}

fn jobs(i: &Instance) -> Vec<serde_json::Map<String, Value>> {
    i.query("SELECT * FROM oc_jobs ORDER BY id")
}

fn int(row: &serde_json::Map<String, Value>, k: &str) -> i64 {
    row[k].as_i64().unwrap()
}

#[test]
fn background_mode_commands_set_the_app_config() {
    let i = Instance::installed();
    for mode in ["cron", "webcron", "ajax"] {
        let o = i.run(&[&format!("background:{mode}")]);
        let expected = format!("Set mode for background jobs to '{mode}'\n");
        assert_eq!(outcome(&o), (expected.as_str(), "", 0));
        assert_eq!(
            app_value(&i, "core", "backgroundjobs_mode").as_deref(),
            Some(mode)
        );
    }
}

#[test]
fn cron_queues_and_runs_declared_jobs_once_per_interval() {
    let (i, _plugins) = with_app();
    assert!(jobs(&i).is_empty());
    assert_eq!(app_value(&i, "core", "backgroundjobs_mode"), None);

    let o = i.run(&["system:cron"]);
    assert_eq!(outcome(&o), ("", "", 0));
    let rows = jobs(&i);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["class"], "exampleapp::tick");
    assert_eq!(r["argument"], "null");
    assert!(int(r, "last_run") > 1_700_000_000);
    assert_eq!(int(r, "last_checked"), int(r, "last_run"));
    assert_eq!(int(r, "reserved_at"), 0);
    assert_eq!(int(r, "execution_duration"), 0);
    assert_eq!(ticks(&i).as_deref(), Some("1"));
    // ownCloud's bookkeeping: cron mode, the last cron and the last job.
    assert_eq!(
        app_value(&i, "core", "backgroundjobs_mode").as_deref(),
        Some("cron")
    );
    let lastcron: i64 = app_value(&i, "core", "lastcron").unwrap().parse().unwrap();
    assert!(lastcron >= int(r, "last_run"));
    let id = int(r, "id").to_string();
    assert_eq!(
        app_value(&i, "backgroundjob", "lastjob").as_deref(),
        Some(id.as_str())
    );

    // An hour has not passed: nothing runs, nothing is queued twice.
    let o = i.run(&["system:cron"]);
    assert_eq!(outcome(&o), ("", "", 0));
    assert_eq!(ticks(&i).as_deref(), Some("1"));
    assert_eq!(jobs(&i).len(), 1);

    // -v names what runs; --progress shows it without -v.
    i.exec("UPDATE oc_jobs SET last_run = 0");
    let o = i.run(&["system:cron", "--progress"]);
    let expected = format!("Executing: {id} - exampleapp::tick\n");
    assert_eq!(outcome(&o), (expected.as_str(), "", 0));
    assert_eq!(ticks(&i).as_deref(), Some("2"));
}

#[test]
fn cron_skips_reserved_jobs_until_the_reservation_is_stale() {
    let (i, _plugins) = with_app();
    assert_eq!(i.run(&["system:cron"]).code, 0);
    assert_eq!(ticks(&i).as_deref(), Some("1"));
    // Held by a running cron for a minute: not run.
    i.exec(&format!(
        "UPDATE oc_jobs SET last_run = 0, reserved_at = {}",
        occ_tests::now() - 60
    ));
    assert_eq!(outcome(&i.run(&["system:cron"])), ("", "", 0));
    assert_eq!(ticks(&i).as_deref(), Some("1"));
    // A reservation older than 12 hours belongs to a dead cron: run, and freed.
    i.exec(&format!(
        "UPDATE oc_jobs SET reserved_at = {}",
        occ_tests::now() - 13 * 3600
    ));
    assert_eq!(outcome(&i.run(&["system:cron"])), ("", "", 0));
    assert_eq!(ticks(&i).as_deref(), Some("2"));
    assert_eq!(int(&jobs(&i)[0], "reserved_at"), 0);
}

#[test]
fn a_failing_job_is_reported_and_the_others_still_run() {
    let (i, _plugins) = with_app();
    assert_eq!(i.run(&["system:cron"]).code, 0);
    i.exec("UPDATE oc_jobs SET last_run = 0");
    i.exec("INSERT INTO oc_jobs (class, argument, last_run, last_checked, reserved_at, execution_duration) VALUES ('exampleapp::tick', '{\"fail\":true}', 0, 0, 0, -1)");
    let o = i.run(&["system:cron"]);
    assert_eq!(
        outcome(&o),
        (
            "",
            "ERROR core: Error while running background job 2 (exampleapp::tick): tick failed on purpose\n",
            1
        )
    );
    assert_eq!(ticks(&i).as_deref(), Some("2"));
    let rows = jobs(&i);
    assert_eq!(rows.len(), 2);
    // The failed one was tried (last_run), is free again and has no duration.
    assert!(int(&rows[1], "last_run") > 0);
    assert_eq!(int(&rows[1], "reserved_at"), 0);
    assert_eq!(int(&rows[1], "execution_duration"), -1);
    assert!(app_value(&i, "core", "lastcron").is_some());
    // ... and logged.
    let log = std::fs::read_to_string(i.root().join("data/occ.log")).unwrap();
    assert!(
        log.contains(
            "Error while running background job 2 (exampleapp::tick): tick failed on purpose"
        ),
        "{log}"
    );
}

#[test]
fn concurrent_crons_run_a_job_once() {
    let (i, _plugins) = with_app();
    // Four at once on a fresh queue: the job is queued once and runs once.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            i.command(&["system:cron"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for h in handles {
        let o = h.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{o:?}");
    }
    assert_eq!(jobs(&i).len(), 1);
    assert_eq!(ticks(&i).as_deref(), Some("1"));
}

#[test]
fn cron_refuses_in_maintenance_mode_and_when_jobs_are_disabled() {
    let (i, _plugins) = with_app();
    assert_eq!(i.run(&["maintenance:mode", "--on"]).code, 0);
    let o = i.run(&["system:cron"]);
    let expected = format!("{MAINTENANCE_BANNER}We are in maintenance mode, skipping cron\n");
    assert_eq!(outcome(&o), ("", expected.as_str(), 1));
    assert!(jobs(&i).is_empty());
    assert_eq!(i.run(&["maintenance:mode", "--off"]).code, 0);

    i.exec("INSERT INTO oc_appconfig (appid, configkey, configvalue) VALUES ('core', 'backgroundjobs_mode', 'none')");
    let o = i.run(&["system:cron"]);
    assert_eq!(outcome(&o), ("", "Background Jobs are disabled!\n", 1));
    assert!(jobs(&i).is_empty());
    assert_eq!(ticks(&i), None);
}

/// One row of `background:queue:status --output=json`.
#[derive(Debug, Deserialize, PartialEq)]
struct StatusRow {
    #[serde(rename = "Job ID")]
    id: i64,
    #[serde(rename = "Job")]
    job: String,
    #[serde(rename = "Job Arguments")]
    arguments: String,
    #[serde(rename = "Last Run")]
    last_run: String,
    #[serde(rename = "Last Checked")]
    last_checked: String,
    #[serde(rename = "Reserved At")]
    reserved_at: String,
    #[serde(rename = "Execution Duration (s)")]
    duration: Value,
}

#[test]
fn queue_status_lists_the_queue_as_owncloud_does() {
    let (i, _plugins) = with_app();
    assert_eq!(i.run(&["system:cron"]).code, 0);
    i.exec("UPDATE oc_jobs SET last_run = 1700000000, last_checked = 1700000001, reserved_at = 0, execution_duration = 3");
    i.exec("INSERT INTO oc_jobs (class, argument, last_run, last_checked, reserved_at, execution_duration) VALUES ('exampleapp::tick', '{\"fail\":true}', 0, 0, 1700000100, -1)");
    // A job no loaded plugin provides is invalid: shown only on request.
    i.exec("INSERT INTO oc_jobs (class, argument, last_run, last_checked, reserved_at, execution_duration) VALUES ('gone::job', '\"abc\"', 0, 0, 0, -1)");
    let table = "\
+--------+------------------+---------------+---------------------------+---------------------------+---------------------------+------------------------+
| Job ID | Job              | Job Arguments | Last Run                  | Last Checked              | Reserved At               | Execution Duration (s) |
+--------+------------------+---------------+---------------------------+---------------------------+---------------------------+------------------------+
| 1      | exampleapp::tick |               | 2023-11-14T22:13:20+00:00 | 2023-11-14T22:13:21+00:00 | N/A                       | 3                      |
| 2      | exampleapp::tick | {\"fail\":true} | N/A                       | 1970-01-01T00:00:00+00:00 | 2023-11-14T22:15:00+00:00 | N/A                    |
+--------+------------------+---------------+---------------------------+---------------------------+---------------------------+------------------------+
";
    assert_eq!(
        outcome(&i.run(&["background:queue:status"])),
        (table, "", 0)
    );
    // Nextcloud's name for it.
    assert_eq!(outcome(&i.run(&["background-job:list"])), (table, "", 0));

    let o = i.run(&["background:queue:status", "--display-invalid-jobs"]);
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(
        lines[1].ends_with("| Execution Duration (s) | Status  |"),
        "{}",
        o.stdout
    );
    assert!(
        lines[3].ends_with("| 3                      |         |"),
        "{}",
        o.stdout
    );
    assert!(
        lines[5].starts_with("| 3      | gone::job        | abc           | N/A "),
        "{}",
        o.stdout
    );
    assert!(
        lines[5].ends_with("| N/A                    | invalid |"),
        "{}",
        o.stdout
    );

    let o = i.run(&["background:queue:status", "--output=json"]);
    assert_eq!((o.stderr.as_str(), o.code), ("", 0));
    let rows: Vec<StatusRow> = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(
        rows,
        vec![
            StatusRow {
                id: 1,
                job: "exampleapp::tick".into(),
                arguments: "".into(),
                last_run: "2023-11-14T22:13:20+00:00".into(),
                last_checked: "2023-11-14T22:13:21+00:00".into(),
                reserved_at: "N/A".into(),
                duration: json!(3),
            },
            StatusRow {
                id: 2,
                job: "exampleapp::tick".into(),
                arguments: "{\"fail\":true}".into(),
                last_run: "N/A".into(),
                last_checked: "1970-01-01T00:00:00+00:00".into(),
                reserved_at: "2023-11-14T22:15:00+00:00".into(),
                duration: json!("N/A"),
            },
        ]
    );
}

#[test]
fn queue_execute_runs_one_job_when_due_or_forced() {
    let (i, _plugins) = with_app();
    assert_eq!(i.run(&["system:cron"]).code, 0);
    assert_eq!(ticks(&i).as_deref(), Some("1"));
    i.exec(&format!("UPDATE oc_jobs SET last_run = {FUTURE}"));

    // Not due: refused, not run.
    let o = i.run(&["background:queue:execute", "1", "--accept-warning"]);
    assert_eq!(
        outcome(&o),
        (
            "Found job: exampleapp::tick with ID 1\n",
            "Job 1 is not due: it last ran at 2033-05-18T03:33:20+00:00 and runs every 3600 seconds; use --force to run it now.\n",
            1
        )
    );
    assert_eq!(ticks(&i).as_deref(), Some("1"));
    assert_eq!(int(&jobs(&i)[0], "last_run"), FUTURE);
    assert_eq!(int(&jobs(&i)[0], "reserved_at"), 0);

    // Forced (Nextcloud's name, short option): runs now.
    let forced = "Found job: exampleapp::tick with ID 1\nForcing run, resetting last run value to 0\nRunning job...\nFinished in 0 seconds\n";
    let o = i.run(&["background-job:execute", "1", "-f", "--accept-warning"]);
    assert_eq!(outcome(&o), (forced, "", 0));
    assert_eq!(ticks(&i).as_deref(), Some("2"));
    let r = &jobs(&i)[0];
    assert!(int(r, "last_run") < FUTURE);
    assert_eq!(int(r, "reserved_at"), 0);
    assert_eq!(int(r, "execution_duration"), 0);

    // Due: runs without --force.
    i.exec("UPDATE oc_jobs SET last_run = 0");
    let o = i.run(&["background:queue:execute", "1", "--accept-warning"]);
    assert_eq!(
        outcome(&o),
        (
            "Found job: exampleapp::tick with ID 1\nRunning job...\nFinished in 0 seconds\n",
            "",
            0
        )
    );
    assert_eq!(ticks(&i).as_deref(), Some("3"));

    // A failing job: its error, exit 1.
    i.exec("INSERT INTO oc_jobs (class, argument, last_run, last_checked, reserved_at, execution_duration) VALUES ('exampleapp::tick', '{\"fail\":true}', 0, 0, 0, -1)");
    let o = i.run(&["background:queue:execute", "2", "--accept-warning"]);
    assert_eq!(
        outcome(&o),
        (
            "Found job: exampleapp::tick with ID 2\nRunning job...\n",
            "ERROR core: Error while running background job 2 (exampleapp::tick): tick failed on purpose\n",
            1
        )
    );
}

#[test]
fn queue_execute_asks_first_and_refuses_bad_ids() {
    let (i, _plugins) = with_app();
    assert_eq!(i.run(&["system:cron"]).code, 0);
    i.exec("UPDATE oc_jobs SET last_run = 0");
    let before = i.dump();
    // ownCloud's warning; without --accept-warning and with -n: one clear line.
    let o = i.run(&["background:queue:execute", "1", "-n"]);
    assert_eq!(
        outcome(&o),
        (
            "",
            "This command is for maintenance and support purposes: add --accept-warning to run a job with --no-interaction.\n",
            1
        )
    );
    // Answered no: nothing runs.
    let o = i.run_stdin(&["background:queue:execute", "1"], Some("no\n"));
    assert_eq!(o.code, 1);
    assert_eq!(o.stdout, "");
    assert!(o.stderr.starts_with("This command is for maintenance and support purposes.\nThis will run the specified background job now."), "{}", o.stderr);
    assert_eq!(i.dump(), before);
    // Answered yes: it runs.
    let o = i.run_stdin(&["background:queue:execute", "1"], Some("yes\n"));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(ticks(&i).as_deref(), Some("2"));

    let before = i.dump();
    let o = i.run(&["background:queue:execute", "99", "--accept-warning"]);
    assert_eq!(outcome(&o), ("", "Job not found\n", 1));
    for bad in ["0", "abc", "1.5", "+1"] {
        let expected = format!("Invalid job ID \"{bad}\": a job ID is a positive integer.\n");
        for args in [
            &["background:queue:execute", bad, "--accept-warning"][..],
            &["background:queue:delete", bad],
        ] {
            let o = i.run(args);
            assert_eq!(outcome(&o), ("", expected.as_str(), 2), "{args:?}");
        }
    }
    assert_eq!(i.dump(), before);
}

#[test]
fn queue_delete_removes_a_job() {
    let (i, _plugins) = with_app();
    assert_eq!(i.run(&["system:cron"]).code, 0);
    let o = i.run(&["background:queue:delete", "1"]);
    assert_eq!(outcome(&o), ("Job has been deleted.\n", "", 0));
    assert!(jobs(&i).is_empty());
    let o = i.run(&["background:queue:delete", "1"]);
    assert_eq!(outcome(&o), ("", "Job with ID <1> is not known.\n", 1));
    // The next cron queues the declared job again.
    assert_eq!(i.run(&["system:cron"]).code, 0);
    assert_eq!(jobs(&i).len(), 1);
}

/// The files plugin's steps, which run after core's.
const FILES_STEPS_LIST: &str = "files::mimetypes -> Repair mime types\nfiles::parents -> Detect file cache entries with path that does not match parent-child relationships\n";
const FILES_STEPS_RUN: &str = " - Step: Repair mime types\n     - INFO: 0 file cache entries with a wrong mimetype fixed.\n - Step: Detect file cache entries with path that does not match parent-child relationships\n     - INFO: Fixed 0 entries, removed 0 entries without a parent.\n";

#[test]
fn repair_needs_maintenance_mode_and_lists_its_steps() {
    let i = Instance::installed();
    i.exec("INSERT INTO oc_group_user (gid, uid) VALUES ('admin', 'ghost')");
    let before = i.dump();
    let o = i.run(&["maintenance:repair"]);
    assert_eq!(
        outcome(&o),
        ("", "Turn on maintenance mode to use this command.\n", 1)
    );
    assert_eq!(i.dump(), before);
    let list = format!(
        "Found 3 repair steps\n\ncore::orphaned-group-memberships -> {STEP}\n{FILES_STEPS_LIST}"
    );
    assert_eq!(
        outcome(&i.run(&["maintenance:repair", "--list"])),
        (list.as_str(), "", 0)
    );
}

#[test]
fn repair_in_maintenance_removes_orphaned_group_memberships() {
    let i = Instance::installed();
    assert_eq!(i.run(&["maintenance:mode", "--on"]).code, 0);
    // A user and a group that do not exist, and a user known only to oc_accounts (another
    // backend's user, such as LDAP's): only the first two go.
    i.exec("INSERT INTO oc_group_user (gid, uid) VALUES ('admin', 'ghost'), ('nogroup', 'admin')");
    i.exec("INSERT INTO oc_accounts (user_id, lower_user_id, backend, home) VALUES ('ldapuser', 'ldapuser', 'OCA\\User_LDAP\\User_Proxy', '/x')");
    i.exec("INSERT INTO oc_group_user (gid, uid) VALUES ('admin', 'ldapuser')");
    let o = i.run(&["maintenance:repair"]);
    let expected = format!(
        " - Step: {STEP}\n     - INFO: 2 orphaned group memberships removed.\n{FILES_STEPS_RUN}"
    );
    assert_eq!(outcome(&o), (expected.as_str(), MAINTENANCE_BANNER, 0));
    let rows = i.query("SELECT gid, uid FROM oc_group_user ORDER BY uid");
    assert_eq!(
        rows.iter()
            .map(|r| format!(
                "{}/{}",
                r["gid"].as_str().unwrap(),
                r["uid"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        ["admin/admin", "admin/ldapuser"]
    );
    // Again, and as a single step: nothing left to do.
    let expected = format!(
        " - Step: {STEP}\n     - INFO: 0 orphaned group memberships removed.\n{FILES_STEPS_RUN}"
    );
    for args in [
        &["maintenance:repair", "--include-expensive"][..],
        &[
            "maintenance:repair",
            "--single=core::orphaned-group-memberships",
        ],
    ] {
        let o = i.run(args);
        // --single runs core's step only.
        let want = if args.len() == 2 && args[1].starts_with("--single") {
            expected.replace(FILES_STEPS_RUN, "")
        } else {
            expected.clone()
        };
        assert_eq!(outcome(&o), (want.as_str(), MAINTENANCE_BANNER, 0));
    }
    let o = i.run(&["maintenance:repair", "-s", "nope"]);
    let expected =
        format!("{MAINTENANCE_BANNER}Repair step not found. Use --list to show available steps.\n");
    assert_eq!(outcome(&o), ("", expected.as_str(), 1));

    // A failing step: its error, and exit 1.
    i.exec("DROP TABLE oc_group_user");
    let o = i.run(&["maintenance:repair"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stdout,
        format!(" - Step: {STEP}\n{FILES_STEPS_RUN}"),
        "the other steps still run"
    );
    let err = o.stderr.strip_prefix(MAINTENANCE_BANNER).unwrap();
    assert!(err.starts_with("     - ERROR: "), "{err}");
    assert!(err.contains("oc_group_user"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
