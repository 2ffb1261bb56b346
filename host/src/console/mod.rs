//! The console: the command line (clap), name resolution, help and list texts, JSON output and
//! the one place that prints.

pub mod cli;
pub mod describe;
pub mod finder;
pub mod input;
pub mod json;
pub mod shell;
