//! One file per command of the l10n plugin.

pub mod createjs;
