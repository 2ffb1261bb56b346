//! The system config: occ's own `config/config.json`, or ownCloud's `config/config.php` with its
//! `config/*.config.php` extras (an ownCloud 10 instance administered in place). Read once at
//! start-up; written atomically (temp file, fsync, rename, fsync of the directory), so a crash
//! never leaves a half-written config. config.json is written with mode 0640; config.php keeps
//! its owner and mode, is written as ownCloud writes it, and only when it is a plain array
//! literal.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::php_config;

/// Which file the config lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// occ's own `config/config.json`.
    Json,
    /// ownCloud's `config/config.php`.
    Php,
}

/// The system config.
#[derive(Debug, Clone)]
pub struct Config {
    /// `config/config.json` or `config/config.php`.
    pub path: PathBuf,
    /// Its values (with config.php, merged with the extras' as ownCloud merges them).
    pub values: Map<String, Value>,
    /// Which kind of file.
    pub format: Format,
    /// ownCloud's extra files (`config/*.config.php`, in ownCloud's order) and their values,
    /// which override config.php's; occ never writes them.
    pub extras: Vec<(PathBuf, Map<String, Value>)>,
}

/// Opens `path` and takes ownCloud's exclusive lock on it, as the file the path names once the
/// lock is held: a writer that renamed a new file over it meanwhile released a lock on a file
/// nobody reads any more, so the lock is taken again on the new one.
fn lock_current(path: &Path) -> Result<(nix::fcntl::Flock<File>, fs::Metadata)> {
    loop {
        let file = File::open(path).map_err(|e| format!("Cannot open {}: {e}", path.display()))?;
        let file = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| format!("Cannot lock {}: {e}", path.display()))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("Cannot read {}: {e}", path.display()))?;
        let now = fs::metadata(path).map_err(|e| format!("Cannot read {}: {e}", path.display()))?;
        if (now.dev(), now.ino()) == (meta.dev(), meta.ino()) {
            return Ok((file, meta));
        }
    }
}

/// `<root>/config/config.php`.
pub fn php_path(root: &Path) -> PathBuf {
    root.join("config").join("config.php")
}

/// Reads a config.php (or extra) as a plain array literal; the error names the file and line.
fn read_php(path: &Path) -> Result<Map<String, Value>> {
    let text = fs::read(path).map_err(|e| format!("Cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(text)
        .map_err(|_| format!("Cannot read {}: it is not UTF-8 text", path.display()))?;
    php_config::parse(&text).map_err(|e| {
        Error::new(format!(
            "Cannot read {}: line {}: {}",
            path.display(),
            e.line,
            e.message
        ))
    })
}

/// ownCloud's extra config files, `config/*.config.php`, in `natsort` order.
fn extra_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            // PHP's glob('*') skips names that start with a dot.
            !n.starts_with('.') && n.len() > ".config.php".len() && n.ends_with(".config.php")
        })
        .collect();
    names.sort_by(|a, b| natural_cmp(a, b));
    names.into_iter().map(|n| dir.join(n)).collect()
}

/// PHP's `natsort` order: runs of digits compare as numbers, the rest byte by byte.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&c| c == b'0').count();
    &d[n.min(d.len().saturating_sub(1))..]
}

impl Config {
    /// Reads the config: `<root>/config/config.php` (with its extras) when there is one, else
    /// `<root>/config/config.json`; a missing file is an empty config.json.
    pub fn load(root: &Path) -> Result<Self> {
        let php = php_path(root);
        if fs::symlink_metadata(&php).is_ok() {
            return Self::load_php(php);
        }
        let path = root.join("config").join("config.json");
        match fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
                    format!("Cannot read {}: it is not valid JSON: {e}", path.display())
                })?;
                let Value::Object(values) = v else {
                    return Err(Error::new(format!(
                        "Cannot read {}: it does not hold a JSON object",
                        path.display()
                    )));
                };
                Ok(Self {
                    path,
                    values,
                    format: Format::Json,
                    extras: Vec::new(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                path,
                values: Map::new(),
                format: Format::Json,
                extras: Vec::new(),
            }),
            Err(e) => Err(Error::new(format!("Cannot read {}: {e}", path.display()))),
        }
    }

    /// ownCloud's config.php, then each extra merged over it (`array_merge`).
    fn load_php(path: PathBuf) -> Result<Self> {
        let main = read_php(&path)?;
        let mut extras = Vec::new();
        if let Some(dir) = path.parent() {
            for file in extra_files(dir) {
                let values = read_php(&file)?;
                extras.push((file, values));
            }
        }
        let mut c = Self {
            path,
            values: Map::new(),
            format: Format::Php,
            extras,
        };
        c.values = c.merged(main);
        Ok(c)
    }

    /// `main` with the extras' values over it.
    fn merged(&self, main: Map<String, Value>) -> Map<String, Value> {
        let mut values = main;
        for (_, extra) in &self.extras {
            for (k, v) in extra {
                values.insert(k.clone(), v.clone());
            }
        }
        values
    }

    /// An empty stand-in for a config file that exists but cannot be read.
    pub fn unreadable(root: &Path) -> Self {
        let php = php_path(root);
        let (path, format) = if fs::symlink_metadata(&php).is_ok() {
            (php, Format::Php)
        } else {
            (root.join("config").join("config.json"), Format::Json)
        };
        Self {
            path,
            values: Map::new(),
            format,
            extras: Vec::new(),
        }
    }

    /// The file's name (`config.json`, `config.php`), as messages name it.
    pub fn file_name(&self) -> &'static str {
        match self.format {
            Format::Json => "config.json",
            Format::Php => "config.php",
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
        if self.format == Format::Php {
            return self.update_php(set, delete);
        }
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

    /// [`Config::update`] of ownCloud's config.php: under ownCloud's own lock on the file (an
    /// exclusive `flock`), the file as it is now, written back as ownCloud writes it, with its
    /// owner and mode. Refused, with nothing written, for a key an extra file sets (the extra
    /// would still win), for a config ownCloud would not write (`config_is_read_only`), and
    /// for a file that is not a plain array literal.
    fn update_php(&mut self, set: Map<String, Value>, delete: &[String]) -> Result<()> {
        for key in set.keys().chain(delete) {
            if let Some((file, _)) = self.extras.iter().rev().find(|(_, v)| v.contains_key(key)) {
                return Err(Error::new(format!(
                    "Cannot change \"{key}\": {} sets it, and occ writes only {}",
                    file.display(),
                    self.path.display()
                )));
            }
        }
        if self.get_bool("config_is_read_only")
            && self
                .get_str("operation.mode")
                .is_none_or(|m| m == "single-instance")
        {
            return Err(Error::new(format!(
                "{} is read only (config_is_read_only); not changing it",
                self.path.display()
            )));
        }
        // A config.php that is a link is written where it points (the link stays).
        let target = fs::canonicalize(&self.path)
            .map_err(|e| format!("Cannot open {}: {e}", self.path.display()))?;
        let (mut file, meta) = lock_current(&target)?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut *file, &mut text)
            .map_err(|e| format!("Cannot read {}: {e}", self.path.display()))?;
        let mut next = php_config::parse(&text).map_err(|e| {
            format!(
                "{} is not a plain array literal (line {}: {}); occ does not rewrite it",
                self.path.display(),
                e.line,
                e.message
            )
        })?;
        for (k, v) in set {
            next.insert(k, v);
        }
        for k in delete {
            next.shift_remove(k);
        }
        let out = php_config::write(&next);
        // What is written must read back as what was meant.
        if php_config::parse(&out).as_ref() != Ok(&next) {
            return Err(Error::new(format!(
                "Cannot write {}: its new text would not read back the same; not changing it",
                self.path.display()
            )));
        }
        write_bytes_atomic(
            &target,
            out.as_bytes(),
            meta.mode() & 0o7777,
            Some((meta.uid(), meta.gid())),
        )?;
        drop(file);
        self.values = self.merged(next);
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
    let mut text = serde_json::to_string_pretty(values).map_err(|e| e.to_string())?;
    text.push('\n');
    write_bytes_atomic(path, text.as_bytes(), 0o640, None)
}

/// Writes `bytes` to `path` atomically: a temporary file beside it with `mode` (and `owner`,
/// when given and not already the process's), synced, renamed over `path`, the directory synced.
fn write_bytes_atomic(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", path.display()))?;
    ensure_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        if let Some((uid, gid)) = owner {
            let meta = f.metadata()?;
            if (meta.uid(), meta.gid()) != (uid, gid) {
                std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
            }
        }
        f.write_all(bytes)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natsort_orders_numbers_as_numbers() {
        let mut v = vec![
            "10.config.php",
            "2.config.php",
            "b.config.php",
            "a.config.php",
            "a2.config.php",
            "a10.config.php",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            [
                "2.config.php",
                "10.config.php",
                "a.config.php",
                "a2.config.php",
                "a10.config.php",
                "b.config.php"
            ]
        );
    }

    #[test]
    fn extras_override_config_php_and_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("config");
        fs::create_dir(&c).unwrap();
        fs::write(
            c.join("config.php"),
            "<?php\n$CONFIG = array (\n  'a' => 1,\n  'b' => 'x',\n);\n",
        )
        .unwrap();
        fs::set_permissions(c.join("config.php"), fs::Permissions::from_mode(0o604)).unwrap();
        fs::write(
            c.join("redis.config.php"),
            "<?php\n$CONFIG = ['b' => 'from extra'];\n",
        )
        .unwrap();
        let mut config = Config::load(dir.path()).unwrap();
        assert_eq!(config.format, Format::Php);
        assert_eq!(config.get_str("b").as_deref(), Some("from extra"));
        let e = config
            .update(Map::from_iter([("b".into(), Value::from("y"))]), &[])
            .unwrap_err();
        assert!(e.message.contains("redis.config.php sets it"), "{e:?}");
        config
            .update(
                Map::from_iter([("c".into(), Value::from(true))]),
                &["a".into()],
            )
            .unwrap();
        let text = fs::read_to_string(c.join("config.php")).unwrap();
        assert_eq!(
            text,
            "<?php\n$CONFIG = array (\n  'b' => 'x',\n  'c' => true,\n);\n"
        );
        assert_eq!(
            fs::metadata(c.join("config.php")).unwrap().mode() & 0o777,
            0o604
        );
        assert_eq!(config.get_str("b").as_deref(), Some("from extra"));
        assert_eq!(config.get("c"), Some(&Value::Bool(true)));
    }

    #[test]
    fn code_in_config_php_is_never_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("config");
        fs::create_dir(&c).unwrap();
        let code = "<?php\n$CONFIG = array (\n  'dbpassword' => getenv('DB_PASS'),\n);\n";
        fs::write(c.join("config.php"), code).unwrap();
        let e = Config::load(dir.path()).unwrap_err();
        assert!(
            e.message.starts_with(&format!(
                "Cannot read {}: line 3: ",
                c.join("config.php").display()
            )),
            "{e:?}"
        );
        assert_eq!(fs::read_to_string(c.join("config.php")).unwrap(), code);
    }
}
