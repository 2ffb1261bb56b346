//! One file per command of the files plugin.

pub mod cleanup;
pub mod scan;
