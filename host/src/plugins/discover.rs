//! Where plugin files are found, in order: `OCC_PLUGIN_PATH` (colon-separated),
//! `<binary dir>/../lib/occ/plugins` (a distribution's plugin set), `<binary dir>` itself for
//! `libocc_plugin_*` files when it is a cargo target directory (a build from this workspace
//! finds its own plugins), then the
//! `plugin/` folder of each enabled app.

use std::fs;
use std::path::{Path, PathBuf};

/// Where a plugin file came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// `OCC_PLUGIN_PATH`.
    EnvPath,
    /// The distribution's plugin directory.
    Distro,
    /// Next to the binary (a development build).
    Build,
    /// An app's `plugin/` folder.
    App(String),
}

/// A candidate plugin file.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its path.
    pub path: PathBuf,
    /// Where it came from.
    pub origin: Origin,
}

fn is_library(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("so" | "dylib"))
}

fn scan_dir(dir: &Path, origin: &Origin, filter: impl Fn(&str) -> bool, out: &mut Vec<Candidate>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut found: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_library(p) && p.file_name().and_then(|n| n.to_str()).is_some_and(&filter))
        .collect();
    found.sort();
    out.extend(found.into_iter().map(|path| Candidate {
        path,
        origin: origin.clone(),
    }));
}

/// System plugin files (everything but apps), in precedence order.
pub fn system_candidates() -> Vec<Candidate> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("OCC_PLUGIN_PATH") {
        for dir in std::env::split_paths(&p) {
            if !dir.as_os_str().is_empty() {
                scan_dir(&dir, &Origin::EnvPath, |_| true, &mut out);
            }
        }
    }
    if let Some(bin_dir) = super::exe_path().and_then(Path::parent) {
        scan_dir(
            &bin_dir.join("../lib/occ/plugins"),
            &Origin::Distro,
            |_| true,
            &mut out,
        );
        // Only a cargo target directory (it carries CACHEDIR.TAG one level up): an installed
        // binary's directory such as /usr/bin is never listed.
        if bin_dir.join("../CACHEDIR.TAG").exists() {
            scan_dir(
                bin_dir,
                &Origin::Build,
                |n| n.starts_with("libocc_plugin_"),
                &mut out,
            );
        }
    }
    out
}

/// Apps under `<root>/apps` that ship a plugin: `(app id, plugin files)`.
pub fn app_candidates(root: &Path) -> Vec<(String, Vec<Candidate>)> {
    let Ok(rd) = fs::read_dir(root.join("apps")) else {
        return Vec::new();
    };
    let mut apps: Vec<(String, Vec<Candidate>)> = Vec::new();
    for e in rd.flatten() {
        let Some(id) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let mut files = Vec::new();
        scan_dir(
            &e.path().join("plugin"),
            &Origin::App(id.clone()),
            |_| true,
            &mut files,
        );
        if !files.is_empty() {
            apps.push((id, files));
        }
    }
    apps.sort_by(|a, b| a.0.cmp(&b.0));
    apps
}
