//! Plugins: where they are found, the index of what each file provides, loading and validation.

pub mod discover;
pub mod index;
pub mod registry;

/// This binary's path, read once per run (discovery and the index both need it).
pub fn exe_path() -> Option<&'static std::path::Path> {
    static EXE: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    EXE.get_or_init(|| std::env::current_exe().ok()).as_deref()
}
