//! The console: parsing a command line, name resolution, help and list texts, JSON output and
//! the one place that prints.

pub mod describe;
pub mod finder;
pub mod input;
pub mod json;
pub mod shell;
