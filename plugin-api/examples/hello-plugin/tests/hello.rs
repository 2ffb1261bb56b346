//! The example plugin tested the way a third-party author tests theirs: its rlib against an
//! in-process host on a temporary SQLite instance (`occ-plugin-test-support`), no binary.

use occ_example_hello::HELLO;
use occ_plugin_test_support::TestInstance;
use serde_json::json;

#[test]
fn greets_and_counts_in_its_own_table() {
    let t = TestInstance::installed(&[&HELLO]);
    let out = t.run(&["hello:greet", "alice"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "Hello, alice!\n", "")
    );
    assert_eq!(
        t.run(&["hello:greet", "alice", "-s"]).stdout,
        "HELLO, ALICE!\n"
    );
    let rows = t.query("SELECT name, count FROM *PREFIX*hello_greetings", &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["name"], "alice");
    assert_eq!(rows[0]["count"], 2);
}

#[test]
fn lists_as_a_table_or_json() {
    let t = TestInstance::installed(&[&HELLO]);
    t.run(&["hello:greet", "bob"]);
    let out = t.run(&["hello:list"]);
    assert_eq!(
        out.stdout,
        "+------+-----------+\n| Name | Greetings |\n+------+-----------+\n| bob  | 1         |\n+------+-----------+\n"
    );
    let out = t.run(&["hello:list", "--output=json"]);
    assert_eq!(out.stdout, "[{\"Name\":\"bob\",\"Greetings\":1}]\n");
}

#[test]
fn asks_for_a_name_and_refuses_under_no_interaction() {
    let t = TestInstance::installed(&[&HELLO]);
    let out = t.run(&["hello:greet"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Cannot ask \"Who should I greet?\" with --no-interaction\n"
    );
    assert!(t
        .query("SELECT name FROM *PREFIX*hello_greetings", &[])
        .is_empty());
}

#[test]
fn usage_errors_come_from_the_real_console() {
    let t = TestInstance::installed(&[&HELLO]);
    let out = t.run(&["hello:greet", "--loud"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("The \"--loud\" option does not exist."),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hello:greet [options] [--] [<name>]"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_context_for_the_plugins_own_functions() {
    let t = TestInstance::installed(&[&HELLO]);
    let n = t
        .with_context(|ctx| {
            ctx.db().execute(
                "INSERT INTO *PREFIX*hello_greetings (name, count) VALUES (?, ?)",
                &[json!("carol"), json!(5)],
            )
        })
        .unwrap();
    assert_eq!(n, 1);
    assert!(t
        .run(&["hello:list"])
        .stdout
        .contains("| carol | 5         |"));
}
