//! occ plugin API: what a command provider writes against.
//!
//! A plugin is a `cdylib` that implements [`Plugin`] and calls [`export_plugin!`]. The host
//! discovers the library, reads its [`Manifest`] (id, version, the API version it was built on,
//! the namespaces it owns, its commands) and calls it to run a command, hand out its schema
//! migrations and repair steps, deliver events and answer named services.
//!
//! The binary interface underneath ([`abi`]) is two function pointers and never changes within
//! major 1; everything here travels as JSON whose decoding ignores unknown fields and defaults
//! missing ones, which is what lets a plugin built against 1.0 run in a 1.1 host and back.
//!
//! ```ignore
//! use occ_plugin_api::prelude::*;
//!
//! struct Hello;
//! impl Command for Hello {
//!     fn spec(&self) -> CommandSpec {
//!         CommandSpec::new("hello:greet", "Greets someone.").arg(Arg::required("name", "Who to greet"))
//!     }
//!     fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
//!         ctx.line(&format!("Hello, {}!", input.arg_str("name").unwrap_or_default()))?;
//!         Ok(0)
//!     }
//! }
//! ```
#![deny(missing_docs)]

pub mod context;
pub mod export;
pub mod input;
pub mod logbridge;
pub mod spec;
pub mod wire;

pub use occ_plugin_abi as abi;

/// abi_stable items the [`export_plugin!`] macro expands to.
#[doc(hidden)]
pub use abi_stable as abi_reexport;

pub use context::{for_each_row, Context, Db, Style};
pub use export::{CmdResult, Command, Error, Plugin, RepairStep};
pub use input::Input;
pub use spec::{Arg, CommandSpec, JobSpec, Manifest, Migration, Opt, RepairSpec, State, ValueMode};

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
