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

/// A 64-bit FNV-1a hash: stable names (plugin index files, lock names) and digests.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub use app::run;
pub use error::{Error, Result};
pub use services::Host;
