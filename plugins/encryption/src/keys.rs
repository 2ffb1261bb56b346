//! Where the module's keys live and how they are read and written: the key storage root (the
//! data directory, or `encryption_key_storage_root` under it), the system key pairs in
//! `files_encryption/OC_DEFAULT_MODULE/`, each file's `fileKey` and `<master>.shareKey` in
//! `<uid>/files_encryption/keys/<path>/OC_DEFAULT_MODULE/`, and the master key opened with the
//! instance's secret. Key files are written 0600 in 0700 directories, never torn: a temporary
//! file of their own directory is renamed or linked in.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use occ_plugin_api::prelude::*;
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::format::{self, MODULE_ID};

/// The folder of a user's (or the system's) keys.
pub const KEY_DIR: &str = "files_encryption";

/// The instance's data directory.
pub fn data_dir(ctx: &Context) -> Result<PathBuf, Error> {
    let i = ctx.instance()?;
    Ok(i.data_dir
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&i.root).join("data")))
}

/// The key storage root as configured: relative to the data directory, empty for the data
/// directory itself.
pub fn configured_root(ctx: &Context) -> Result<String, Error> {
    Ok(ctx
        .app_config("core", "encryption_key_storage_root")?
        .unwrap_or_default()
        .trim_matches('/')
        .to_string())
}

/// The directory keys are stored under.
pub fn key_root(ctx: &Context) -> Result<PathBuf, Error> {
    let data = data_dir(ctx)?;
    let root = configured_root(ctx)?;
    Ok(if root.is_empty() {
        data
    } else {
        data.join(root)
    })
}

/// `<root>/files_encryption/OC_DEFAULT_MODULE`, where the system keys live.
pub fn system_key_dir(root: &Path) -> PathBuf {
    root.join(KEY_DIR).join(MODULE_ID)
}

/// The config's `secret` and `instanceid`, which protect the system keys.
pub fn secrets(ctx: &Context) -> Result<(String, String), Error> {
    let get = |key: &str| -> Result<String, Error> {
        ctx.system_config(key)?
            .and_then(|v| v.as_str().map(str::to_string))
            .ok_or_else(|| Error::new(format!("The config has no {key}")))
    };
    Ok((get("secret")?, get("instanceid")?))
}

/// Creates `dir` and its missing parents, 0700.
pub fn make_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Writes `bytes` to a new file `path` (mode 0600, truncated if it is there); no fsync.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes `bytes` to `path` as a new key file, never over an existing one: a temporary file of
/// this run (mode 0600, fsynced) is linked in under the name, which fails if the name is taken,
/// and the directory is fsynced. Returns false when the name was taken.
pub fn write_new_key_file(path: &Path, bytes: &[u8]) -> Result<bool, Error> {
    let salt: [u8; 8] = format::random().map_err(|e| Error::new(e.0))?;
    let tmp = path.with_extension(format!("part-{}", hex::encode(salt)));
    let fail = |e: std::io::Error| Error::new(format!("Cannot write {}: {e}", path.display()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    let linked = written.and_then(|_| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            if let Some(dir) = path.parent() {
                let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(fail(e)),
    }
}

/// The master key pair, opened, and the envelope keys opened with it so far.
pub struct MasterKey {
    /// Its id: `master_<8 hex digits>`, the name of its files and share keys.
    pub id: String,
    private: RsaPrivateKey,
    /// Its public key, which file keys are sealed for.
    pub public: RsaPublicKey,
    root: PathBuf,
    opened: HashMap<Vec<u8>, [u8; 16]>,
}

/// At most this many opened envelope keys are kept (a file's share key is 512 bytes).
const OPENED_KEPT: usize = 4096;

impl MasterKey {
    /// Opens the instance's master key (`masterKeyId`'s private key, under the secret).
    pub fn open(ctx: &Context) -> Result<MasterKey, Error> {
        let (secret, instanceid) = secrets(ctx)?;
        let id = ctx
            .app_config("encryption", "masterKeyId")?
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                Error::new(
                    "The encryption app has no master key id (masterKeyId): run encryption:enable",
                )
            })?;
        let root = key_root(ctx)?;
        Self::open_at(&root, &id, &secret, &instanceid)
    }

    /// Opens the master key `id` under `root`.
    pub fn open_at(
        root: &Path,
        id: &str,
        secret: &str,
        instanceid: &str,
    ) -> Result<MasterKey, Error> {
        let path = system_key_dir(root).join(format!("{id}.privateKey"));
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::new(format!(
                "Cannot read the master key {}: {e}",
                path.display()
            ))
        })?;
        let pass = format::private_key_passphrase(secret, id, instanceid, secret);
        let private = format::decrypt_private_key(&bytes, &pass).map_err(|e| {
            Error::new(format!(
                "{} does not open with this instance's secret: {e}",
                path.display()
            ))
        })?;
        Ok(MasterKey {
            id: id.to_string(),
            public: private.to_public_key(),
            private,
            root: root.to_path_buf(),
            opened: HashMap::new(),
        })
    }

    /// The folder of a file's keys: `<root>/<uid>/files_encryption/keys/<path>/OC_DEFAULT_MODULE`,
    /// `path` being relative to the user's home (`files/a.txt`).
    pub fn file_key_dir(&self, uid: &str, path: &str) -> PathBuf {
        file_key_dir(&self.root, uid, path)
    }

    /// The file key of `uid`'s `path`, from its `fileKey` and the master's share key; `Ok(None)`
    /// when the file has no `fileKey`.
    pub fn file_key(&mut self, uid: &str, path: &str) -> Result<Option<[u8; 32]>, String> {
        let dir = self.file_key_dir(uid, path);
        let sealed = match std::fs::read(dir.join("fileKey")) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read its file key: {e}")),
        };
        let share_path = dir.join(format!("{}.shareKey", self.id));
        let share = std::fs::read(&share_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("its file key has no share key for {}", self.id)
            } else {
                format!("cannot read its share key: {e}")
            }
        })?;
        let envelope = match self.opened.get(&share) {
            Some(e) => *e,
            None => {
                let e = format::open_envelope(&self.private, &share).map_err(|e| e.0)?;
                if self.opened.len() >= OPENED_KEPT {
                    self.opened.clear();
                }
                self.opened.insert(share, e);
                e
            }
        };
        format::envelope_apply(&envelope, &sealed)
            .map(Some)
            .map_err(|e| e.0)
    }

    /// Remembers an envelope this run sealed, so its files open without the RSA step.
    pub fn remember(&mut self, share: &[u8], envelope: [u8; 16]) {
        if self.opened.len() >= OPENED_KEPT {
            self.opened.clear();
        }
        self.opened.insert(share.to_vec(), envelope);
    }
}

/// See [`MasterKey::file_key_dir`].
pub fn file_key_dir(root: &Path, uid: &str, path: &str) -> PathBuf {
    root.join(uid)
        .join(KEY_DIR)
        .join("keys")
        .join(path)
        .join(MODULE_ID)
}

/// Removes a file's key folder and the folders above it that it leaves empty, up to the
/// user's `keys` folder.
pub fn remove_file_keys(root: &Path, uid: &str, path: &str) -> Result<(), String> {
    let dir = file_key_dir(root, uid, path);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot remove {}: {e}", dir.display())),
    }
    let stop = root.join(uid).join(KEY_DIR);
    let mut cur = dir.parent();
    while let Some(d) = cur {
        if d == stop || !d.starts_with(&stop) || std::fs::remove_dir(d).is_err() {
            break;
        }
        cur = d.parent();
    }
    Ok(())
}
