//! Plugins: where they are found, the index of what each file provides, loading and validation.

pub mod discover;
pub mod index;
pub mod registry;
