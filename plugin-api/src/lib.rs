//! # occ plugin API
//!
//! What an occ command provider writes against. A plugin is a library that implements
//! [`Plugin`], lists its [`Command`]s and exports itself with [`export_plugin!`]; the `occ`
//! binary discovers it, registers its namespaced commands (`hello:greet`) and calls it to run
//! one. Everything a command does to the world (output, prompts, config, the database, logs,
//! events, other plugins' services) goes through the [`Context`] the host hands it.
//!
//! ## 1. Write
//!
//! ```ignore
//! use occ_plugin_api::prelude::*;
//!
//! struct Greet;
//! impl Command for Greet {
//!     fn spec(&self) -> CommandSpec {
//!         CommandSpec::new("hello:greet", "Greets someone.")
//!             .arg(Arg::optional("name", "Who to greet"))
//!             .opt(Opt::flag("shout", "Greet loudly").short("s"))
//!     }
//!     fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
//!         let name = match input.arg_str("name") {
//!             Some(n) => n,
//!             None => ctx.prompt("Who should I greet? ", false)?, // refused under -n
//!         };
//!         ctx.line(&format!("Hello, {name}!"))?;
//!         Ok(0)
//!     }
//! }
//!
//! struct Hello;
//! static COMMANDS: &[&dyn Command] = &[&Greet];
//! impl Plugin for Hello {
//!     fn id(&self) -> &str { "hello" }
//!     fn version(&self) -> &str { env!("CARGO_PKG_VERSION") }
//!     fn namespaces(&self) -> Vec<String> { vec!["hello".into()] }
//!     fn commands(&self) -> &[&dyn Command] { COMMANDS }
//! }
//! pub static PLUGIN: Hello = Hello;
//! occ_plugin_api::export_plugin!(PLUGIN);
//! ```
//!
//! - Output: [`Context::line`], [`Context::message`] (stderr), [`Context::data_of`] and
//!   [`Context::table`] (rendered as plain, json or json_pretty per `--output`).
//! - The database: [`Db::query_as`] into your own types, [`Db::execute`] inside a
//!   [`Transaction`] from [`Db::begin`]; `?` parameters and `*PREFIX*` for the table prefix,
//!   the same SQL on SQLite, PostgreSQL and MySQL. Your tables come from your
//!   [`Plugin::migrations`].
//! - Errors: return [`Error`] (exit code 1) or [`Error::usage`] (2); a panic becomes one error
//!   line and exit code 1, never a crash of the host.
//! - Logs: the `tracing` macros; the host forwards them into its log file.
//!
//! ## 2. Build
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib", "rlib"]   # cdylib for occ, rlib for your tests
//!
//! [dependencies]
//! occ-plugin-api = "1"
//! ```
//!
//! `cargo build --release` gives `target/release/lib<name>.so`.
//!
//! ## 3. Test
//!
//! `occ-plugin-test-support` runs your plugin's rlib against an in-process host on a
//! temporary SQLite instance: no binary, no prior build.
//!
//! ```ignore
//! let t = occ_plugin_test_support::TestInstance::installed(&[&my_plugin::PLUGIN]);
//! let out = t.run(&["hello:greet", "alice"]);
//! assert_eq!(out.stdout, "Hello, alice!\n");
//! assert_eq!(out.code, 0);
//! ```
//!
//! Test your own functions that take a [`Context`] with `t.with_context(|ctx| ...)`.
//!
//! ## 4. Ship
//!
//! Put the `.so` in a directory named by `OCC_PLUGIN_PATH`, in the distribution's
//! `/usr/lib/occ/plugins`, or in your app's `apps/<id>/plugin/` (loaded while the app is
//! enabled). `occ list` shows your commands; `occ check` and `occ app:check-code <id>` say why
//! a file is not used.
//!
//! ## 5. Stay compatible
//!
//! The binary interface ([`abi`]) is two function pointers and never changes within major 1;
//! everything else travels as JSON ([`protocol`]) whose fields a later 1.y only adds. A plugin
//! built against 1.x runs in every later 1.y host; a host refuses a plugin built against a
//! newer minor or another major, with a one-line warning.
#![deny(missing_docs)]

pub mod context;
pub mod error;
#[doc(hidden)]
pub mod export;
pub mod input;
#[doc(hidden)]
pub mod logbridge;
pub mod plugin;
pub mod protocol;
pub mod spec;
#[doc(hidden)]
pub mod wire;

pub use occ_plugin_abi as abi;

/// abi_stable items the [`export_plugin!`] macro expands to.
#[doc(hidden)]
pub use abi_stable as abi_reexport;

pub use context::{for_each_row, Context, Db, Style, Transaction};
pub use error::{CmdResult, Error};
pub use input::Input;
pub use plugin::{Command, Plugin, RepairStep};
pub use protocol::DbKind;
pub use spec::{Arg, CommandSpec, JobSpec, Manifest, Migration, Opt, RepairSpec, State, ValueMode};
pub use wire::{Env, InstanceInfo};

/// The version of this API crate; a plugin reports it in its manifest.
pub const API_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a plugin author usually needs.
pub mod prelude {
    pub use crate::{
        export_plugin, Arg, CmdResult, Command, CommandSpec, Context, Error, Input, JobSpec,
        Migration, Opt, Plugin, RepairSpec, RepairStep, State, Style,
    };
    pub use serde_json::{json, Value};
}
