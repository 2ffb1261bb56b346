//! `config/config.json`: read once at start-up, written atomically (temp file, fsync, rename,
//! fsync of the directory) with mode 0640, so a crash never leaves a half-written config.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The system config.
#[derive(Debug, Clone)]
pub struct Config {
    /// `config/config.json`.
    pub path: PathBuf,
    /// Its values.
    pub values: Map<String, Value>,
}

impl Config {
    /// Reads `<root>/config/config.json`; a missing file is an empty config.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join("config").join("config.json");
        match fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
                let Value::Object(values) = v else {
                    return Err(Error::new(format!(
                        "{} does not hold a JSON object",
                        path.display()
                    )));
                };
                Ok(Self { path, values })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                path,
                values: Map::new(),
            }),
            Err(e) => Err(Error::new(format!("Cannot read {}: {e}", path.display()))),
        }
    }

    /// An empty stand-in for a config file that exists but cannot be read.
    pub fn unreadable(root: &Path) -> Self {
        Self {
            path: root.join("config").join("config.json"),
            values: Map::new(),
        }
    }

    /// A value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// A string value (numbers are turned into text).
    pub fn get_str(&self, key: &str) -> Option<String> {
        match self.values.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v => Some(v.to_string()),
        }
    }

    /// A boolean value (`true`, `"true"`, `1`).
    pub fn get_bool(&self, key: &str) -> bool {
        match self.values.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "1",
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// Applies changes and writes the file atomically. Concurrent writers are serialised by
    /// a lock on the config directory, and the changes are applied to the file as it is now
    /// (not to the copy read at start-up), so no writer loses another's change. On failure
    /// the old file and the in-memory values stay as they were.
    pub fn update(&mut self, set: Map<String, Value>, delete: &[String]) -> Result<()> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| format!("{} has no parent directory", self.path.display()))?;
        ensure_dir(dir)?;
        let handle = File::open(dir).map_err(|e| format!("Cannot open {}: {e}", dir.display()))?;
        let _lock = nix::fcntl::Flock::lock(handle, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| format!("Cannot lock {}: {e}", dir.display()))?;
        let mut next = match fs::read(&self.path) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return Err(Error::new(format!(
                        "{} is not a valid JSON object; not changing it",
                        self.path.display()
                    )))
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => {
                return Err(Error::new(format!(
                    "Cannot read {}: {e}",
                    self.path.display()
                )))
            }
        };
        for (k, v) in set {
            next.insert(k, v);
        }
        for k in delete {
            next.shift_remove(k);
        }
        write_atomic(&self.path, &next)?;
        self.values = next;
        Ok(())
    }
}

fn ensure_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .create(dir)
            .map_err(|e| format!("Cannot create {}: {e}", dir.display()))?;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o750));
    }
    Ok(())
}

/// Writes `values` as pretty JSON to `path` atomically with mode 0640.
pub fn write_atomic(path: &Path, values: &Map<String, Value>) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", path.display()))?;
    ensure_dir(dir)?;
    let mut text = serde_json::to_string_pretty(values).map_err(|e| e.to_string())?;
    text.push('\n');
    let tmp = dir.join(format!(".config.json.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o640)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.set_permissions(fs::Permissions::from_mode(0o640))?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::new(format!("Cannot write {}: {e}", path.display())));
    }
    Ok(())
}
