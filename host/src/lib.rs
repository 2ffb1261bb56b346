//! occ's host as a library: the console, plugin discovery and loading, the instance (config,
//! database, install and upgrade), the services plugins call, logging, and [`run`], one
//! invocation from arguments to exit code. The `occ` binary is a thin `main` over [`run`];
//! `occ-plugin-test-support` runs plugins against the same host in process.

pub mod app;
pub mod builtins;
pub mod console;
pub mod error;
pub mod instance;
pub mod logging;
pub mod plugins;
pub mod services;

pub use app::run;
pub use error::{Error, Result};
pub use services::Host;
