//! One file per command of the core plugin.

pub mod check;
pub mod install;
pub mod mode;
pub mod singleuser;
pub mod status;
pub mod upgrade;
