//! An example occ plugin, the one the README walks through and the tests build and load.
//!
//! It owns the `hello` namespace, greets (asking for a name when none is given), keeps a count
//! of greetings in a table of its own (created by its migration), lists them as a table, logs
//! through `tracing` (the host forwards plugin logs into its own log) and emits a
//! `hello.greeted` event other plugins may subscribe to.

use occ_plugin_api::prelude::*;

/// `hello:greet [<name>] [--shout]`
struct Greet;

impl Command for Greet {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("hello:greet", "Greets someone and counts the greeting.")
            .help("Greets <name>, asking for it when it is not given (which fails under -n).")
            .arg(Arg::optional("name", "Who to greet"))
            .opt(Opt::flag("shout", "Greet loudly").short("s"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let name = match input.arg_str("name") {
            Some(n) => n,
            None => ctx.prompt("Who should I greet? ", false)?,
        };
        let mut text = format!("Hello, {name}!");
        if input.flag("shout") {
            text = text.to_uppercase();
        }
        ctx.db().transaction(|db| {
            let n = db.execute(
                "UPDATE *PREFIX*hello_greetings SET count = count + 1 WHERE name = ?",
                &[json!(name)],
            )?;
            if n == 0 {
                db.execute(
                    "INSERT INTO *PREFIX*hello_greetings (name, count) VALUES (?, 1)",
                    &[json!(name)],
                )?;
            }
            Ok(())
        })?;
        tracing::info!("greeted {name}");
        // Other plugins may subscribe; the host delivers it to each of them.
        ctx.emit("hello.greeted", json!({ "name": name }))?;
        ctx.line(&text)?;
        Ok(0)
    }
}

/// `hello:list [--output=...]`
struct List;

impl Command for List {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("hello:list", "Lists who was greeted how often.").opt(Opt::output_format())
    }

    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        let rows = ctx.db().query(
            "SELECT name, count FROM *PREFIX*hello_greetings ORDER BY name",
            &[],
        )?;
        let rows: Vec<Vec<Value>> = rows
            .into_iter()
            .map(|r| {
                vec![
                    r.get("name").cloned().unwrap_or(Value::Null),
                    r.get("count").cloned().unwrap_or(Value::Null),
                ]
            })
            .collect();
        ctx.table(&["Name", "Greetings"], rows)?;
        Ok(0)
    }
}

/// The plugin.
pub struct Hello;

static COMMANDS: &[&dyn Command] = &[&Greet, &List];

impl Plugin for Hello {
    fn id(&self) -> &str {
        "hello"
    }
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }
    fn namespaces(&self) -> Vec<String> {
        vec!["hello".into()]
    }
    fn commands(&self) -> &[&dyn Command] {
        COMMANDS
    }
    fn migrations(&self) -> Vec<Migration> {
        vec![Migration::portable(
            "20261128000001",
            "greetings table",
            &["CREATE TABLE *PREFIX*hello_greetings (name VARCHAR(64) NOT NULL PRIMARY KEY, count INTEGER NOT NULL DEFAULT 0)"],
        )]
    }
}

/// The exported instance.
pub static HELLO: Hello = Hello;

occ_plugin_api::export_plugin!(HELLO);
