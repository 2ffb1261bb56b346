//! The index of plugin files: each file's manifest (or why it is unusable), keyed by path and
//! validated by size, mtime, ctime and inode, so an invocation only loads the plugin that runs
//! its command, and loads it without repeating the ABI layout check the index entry records.
//! Command specs are kept as JSON text beside the few fields name resolution needs, so a run
//! parses only the spec of the command it runs. Stored as one file in the user's cache
//! directory: a line of JSON (the entries, each spec as a byte range), then the specs' texts
//! one after the other, which a run neither scans nor copies. Any problem with the file just
//! means the plugin files are read again.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use occ_plugin_api::{CommandSpec, Manifest, State};
use serde::{Deserialize, Serialize};

/// Which version of a file: any write, rename over or replacement changes it (ctime and inode
/// cannot be set back by a user, unlike mtime).
///
/// The index as a whole belongs to one host binary (its version and its own stamp), so the
/// layout checks it records hold for the host that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Stamp {
    /// File size.
    pub size: u64,
    /// Modification time in nanoseconds.
    pub mtime_ns: i128,
    /// Status change time in nanoseconds.
    pub ctime_ns: i128,
    /// Device.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
}

/// What a file holds, as last seen. An entry with a manifest was read by a full load, whose
/// abi_stable layout check passed (against the host binary the index belongs to).
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The file version it describes.
    pub stamp: Stamp,
    /// The manifest, when the file is a usable plugin; its commands are in `commands`.
    pub manifest: Option<Manifest>,
    /// The manifest's commands.
    pub commands: Vec<Rc<Command>>,
    /// Where each command's spec text lies in the file's spec area (set when written).
    #[serde(default)]
    spans: Vec<[usize; 2]>,
    /// Why it is not, otherwise.
    pub error: Option<String>,
    /// Commands of a usable plugin that were refused, and why (one warning each).
    #[serde(default)]
    pub refused: Vec<String>,
}

/// A command as the index keeps it: what name resolution and state gating need, and the whole
/// spec as JSON text.
#[derive(Debug, Serialize, Deserialize)]
pub struct Command {
    /// Full name.
    pub name: String,
    /// One-line description (`list`, and the suggestions for a mistyped name).
    pub description: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Hidden from `list`.
    pub hidden: bool,
    /// States it runs in (empty: installed and maintenance).
    pub states: Vec<State>,
    /// The whole [`CommandSpec`] as JSON text (kept outside the file's JSON).
    #[serde(skip)]
    spec: SpecText,
}

/// A spec's JSON text: a range of the text it was read from, shared by every command of a run.
#[derive(Debug, Clone, Default)]
struct SpecText {
    text: Rc<String>,
    start: usize,
    end: usize,
}

impl SpecText {
    fn get(&self) -> &str {
        self.text.get(self.start..self.end).unwrap_or("")
    }
}

impl Entry {
    /// The entry for a file just read: its manifest's commands split off as index commands.
    pub fn new(stamp: Stamp, manifest: Result<Manifest, String>) -> Self {
        match manifest {
            Ok(mut m) => {
                let mut refused = Vec::new();
                let commands = std::mem::take(&mut m.commands)
                    .into_iter()
                    .filter(|spec| match crate::console::cli::check_spec(spec) {
                        Ok(()) => true,
                        Err(why) => {
                            refused.push(why);
                            false
                        }
                    })
                    .filter_map(|spec| Command::from_spec(&spec).map(Rc::new))
                    .collect();
                Self {
                    stamp,
                    commands,
                    spans: Vec::new(),
                    manifest: Some(m),
                    error: None,
                    refused,
                }
            }
            Err(e) => Self {
                stamp,
                manifest: None,
                commands: Vec::new(),
                spans: Vec::new(),
                error: Some(e),
                refused: Vec::new(),
            },
        }
    }
}

impl Command {
    fn from_spec(spec: &CommandSpec) -> Option<Self> {
        let text = Rc::new(serde_json::to_string(spec).ok()?);
        Some(Self {
            spec: SpecText {
                end: text.len(),
                text,
                start: 0,
            },
            ..Self::record(spec)
        })
    }

    /// The record of a command whose spec the caller keeps (the console's own commands): no
    /// spec text.
    pub fn record(spec: &CommandSpec) -> Self {
        Self {
            name: spec.name.clone(),
            description: spec.description.clone(),
            aliases: spec.aliases.clone(),
            hidden: spec.hidden,
            states: spec.states.clone(),
            spec: SpecText::default(),
        }
    }

    /// Whether the command runs in state `s`.
    pub fn runs_in(&self, s: State) -> bool {
        s.allowed_by(&self.states)
    }

    /// The whole spec's JSON text.
    pub fn spec_text(&self) -> &str {
        self.spec.get()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    host: String,
    entries: BTreeMap<PathBuf, Entry>,
}

/// The index, loaded once per invocation.
pub struct Index {
    path: Option<PathBuf>,
    data: File,
    dirty: bool,
    trusted: bool,
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("OCC_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("occ"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("occ"))
}

/// The version of a file (following symlinks, as dlopen does).
pub fn stamp(path: &Path) -> Option<Stamp> {
    let m = fs::metadata(path).ok()?;
    Some(Stamp {
        size: m.size(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// Reads an index file's text: the JSON line, then the spec texts its spans point into.
fn parse(text: String) -> Option<File> {
    let split = text.find('\n')?;
    let mut file: File = serde_json::from_str(&text[..split]).ok()?;
    let text = Rc::new(text);
    let specs = split + 1;
    for entry in file.entries.values_mut() {
        if entry.spans.len() != entry.commands.len() {
            return None;
        }
        for (c, [start, end]) in entry.commands.iter_mut().zip(&entry.spans) {
            let (start, end) = (specs.checked_add(*start)?, specs.checked_add(*end)?);
            text.get(start..end)?;
            Rc::get_mut(c)?.spec = SpecText {
                text: Rc::clone(&text),
                start,
                end,
            };
        }
    }
    Some(file)
}

impl Index {
    /// Loads the index (an unreadable or foreign one counts as empty).
    pub fn load() -> Self {
        let exe_path = super::exe_path();
        // One index per binary location (an installed occ and a build tree do not take turns
        // discarding each other's), named by an FNV-1a hash of the path.
        let key = exe_path
            .as_ref()
            .map_or(0, |p| crate::fnv1a(p.as_os_str().as_encoded_bytes()));
        let path = cache_dir().map(|d| d.join(format!("plugin-index-v5-{key:016x}")));
        // This very host binary: a rebuild (whose plugin ABI may differ) starts a new index.
        // Without it (no /proc, a binary replaced while running) nothing the index says about
        // layout checks can be trusted: see `trusted`.
        let exe = exe_path.and_then(stamp);
        let trusted = exe.is_some();
        let exe = exe.unwrap_or_default();
        let host = format!(
            "{}+{}+{}.{}.{}.{}.{}",
            env!("CARGO_PKG_VERSION"),
            occ_plugin_api::API_VERSION,
            exe.size,
            exe.mtime_ns,
            exe.ctime_ns,
            exe.dev,
            exe.ino
        );
        let data = path
            .as_ref()
            .and_then(|p| fs::read_to_string(p).ok())
            .and_then(parse)
            .filter(|f| f.host == host)
            .unwrap_or(File {
                host,
                entries: BTreeMap::new(),
            });
        Self {
            path,
            data,
            dirty: false,
            trusted,
        }
    }

    /// Whether this index belongs to this very host binary, so that its entries' layout checks
    /// hold for it.
    pub fn trusted(&self) -> bool {
        self.trusted
    }

    /// The entry for `path` if it is still current.
    pub fn get(&self, path: &Path, stamp: Stamp) -> Option<&Entry> {
        self.data.entries.get(path).filter(|e| e.stamp == stamp)
    }

    /// Records what a file holds.
    pub fn put(&mut self, path: &Path, entry: Entry) {
        self.data.entries.insert(path.to_path_buf(), entry);
        self.dirty = true;
    }

    /// Writes the index back if it changed (atomically; failures are ignored).
    pub fn save(&mut self) {
        let Some(path) = &self.path else { return };
        if !self.dirty {
            return;
        }
        // Drop entries whose files are gone.
        self.data.entries.retain(|p, _| p.exists());
        let mut specs = String::new();
        for entry in self.data.entries.values_mut() {
            entry.spans = entry
                .commands
                .iter()
                .map(|c| {
                    let start = specs.len();
                    specs.push_str(c.spec_text());
                    [start, specs.len()]
                })
                .collect();
        }
        // serde_json's compact text has no line break: the first one ends the JSON.
        let Ok(mut text) = serde_json::to_string(&self.data) else {
            return;
        };
        text.push('\n');
        text.push_str(&specs);
        let Some(dir) = path.parent() else { return };
        if fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = dir.join(format!(".plugin-index.{}", std::process::id()));
        if fs::write(&tmp, text).is_ok() && fs::rename(&tmp, path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_with(dir: &Path, specs: &[CommandSpec]) -> Index {
        let manifest = Manifest {
            id: "p".into(),
            commands: specs.to_vec(),
            ..Manifest::default()
        };
        let mut index = Index {
            path: Some(dir.join("index")),
            data: File {
                host: "h".into(),
                ..File::default()
            },
            dirty: false,
            trusted: true,
        };
        // An entry whose file is gone is dropped when the index is written.
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("p.so"), "").unwrap();
        index.put(
            &dir.join("p.so"),
            Entry::new(Stamp::default(), Ok(manifest)),
        );
        index
    }

    #[test]
    fn specs_survive_a_write_and_a_read() {
        let dir = std::env::temp_dir().join(format!("occ-index-test-{}", std::process::id()));
        let specs = [
            CommandSpec::new("a:one", "First, with \"quotes\"\nand a line break."),
            CommandSpec::new("a:two", "Second ünïcode").alias("two"),
        ];
        let mut index = index_with(&dir, &specs);
        index.save();
        let text = fs::read_to_string(dir.join("index")).unwrap();
        let file = parse(text.clone()).unwrap();
        let entry = &file.entries[&dir.join("p.so")];
        let read: Vec<CommandSpec> = entry
            .commands
            .iter()
            .map(|c| serde_json::from_str(c.spec_text()).unwrap())
            .collect();
        assert_eq!(read, specs);
        assert_eq!(entry.commands[1].aliases, ["two"]);
        // A cut-off file (a spec's text missing) is no index at all, not a wrong one.
        assert!(parse(text[..text.len() - 1].to_string()).is_none());
        assert!(parse(text.replace('\n', " ")).is_none());
        fs::remove_dir_all(&dir).unwrap();
    }
}
