//! Encrypting and decrypting users' files in bulk, so that no file is ever lost or torn, and a
//! run stopped at any point (Ctrl-C, kill -9, a crash) is resumed by the next:
//!
//! - A file's new form is written to a temporary file of its user's `.occ-encryption/` folder
//!   (0600), its keys beside their final names; after a batch, the file system is synced, the
//!   keys are renamed into place and synced, then the files, and synced again; only then are
//!   the batch's cache rows updated, in one transaction. On disk every file is at every moment
//!   its old form or its new form, and an encrypted file's keys are in place before it is.
//! - The file itself says what it is: a file with ownCloud's header is encrypted (never
//!   encrypted twice). One without is plaintext when its row says so, or when the user's
//!   journal (`.occ-encryption.journal`, the ids of every batch, written and synced before its
//!   renames, removed when the user's pass is done) shows a stopped run put it there; a
//!   header-less file whose row says encrypted is otherwise ownCloud's format before 8.1 and is
//!   refused, never taken for plaintext. A rerun brings the rows in line and removes the
//!   temporary files.
//! - A file that changed while it was processed (a user's write) is not replaced: it is
//!   reported, and a rerun does it. Symlinked folders are never followed, and a folder on
//!   another file system than the user's home is reported.
//! - A file that cannot be done (no key, a bad signature, a cut file, an unknown module) is
//!   left as it is and reported with its path and the reason.
//!
//! Files keep their modification time and mode, so clients and the scanner see them unchanged.
//!
//! Sealing a file key for the master key costs an RSA operation, and opening it costs one
//! ~10 ms RSA-4096 private key operation: per file, that is what made ownCloud take 19 s for
//! 1,000 small files. So the small files one run encrypts for a user share one envelope key
//! (one share key) per group of up to [`GROUP_FILES`]; each still has its own file key. A file
//! larger than [`GROUP_MAX_SIZE`] gets its own envelope. ownCloud opens them as any other.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use occ_plugin_api::prelude::*;

use crate::format;
use crate::keys::{self, MasterKey};

/// How many small files share one envelope key.
pub const GROUP_FILES: usize = 256;
/// Files larger than this get an envelope key of their own.
pub const GROUP_MAX_SIZE: u64 = 1 << 20;
/// A batch is settled (synced, renamed, recorded) after this many files...
const BATCH_FILES: usize = 256;
/// ...or this many bytes written.
const BATCH_BYTES: u64 = 64 << 20;
/// Rows read from the cache at a time.
const PAGE: i64 = 2000;
/// The version a freshly encrypted file's blocks are signed with (ownCloud's first write).
const FIRST_VERSION: u64 = 1;
/// The user's folder of this module's temporary files.
pub const TEMP_DIR: &str = ".occ-encryption";
/// The user's journal of the batches put in place (see the module's doc).
pub const JOURNAL: &str = ".occ-encryption.journal";

/// Encrypting or decrypting.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// encrypt-all.
    Encrypt,
    /// decrypt-all.
    Decrypt,
}

/// What a run did.
#[derive(Default, Debug)]
pub struct Report {
    /// Files encrypted or decrypted by this run.
    pub done: u64,
    /// Files found already in the wanted form (a rerun's, or never encrypted).
    pub already: u64,
    /// Files with a cache row but none on disk (left to `files:scan`).
    pub missing: u64,
    /// Per user, the files that could not be done: `/uid/path` and why.
    pub failed: Vec<(String, Vec<(String, String)>)>,
    /// Users whose files were looked at.
    pub users: u64,
}

impl Report {
    /// How many files failed.
    pub fn failures(&self) -> usize {
        self.failed.iter().map(|(_, f)| f.len()).sum()
    }
}

/// A cache row of a file.
#[derive(serde::Deserialize)]
struct Row {
    fileid: i64,
    path: String,
    encrypted: i64,
}

/// One file's new form, written and waiting to be put in place.
struct Staged {
    fileid: i64,
    target: PathBuf,
    temp: PathBuf,
    /// Key files to put in place first: (temporary, final).
    keys: Vec<(PathBuf, PathBuf)>,
    /// Key folder to remove once the file is in place (decryption).
    drop_keys: Option<String>,
    /// The row's new `encrypted` and `size`.
    version: u64,
    size: u64,
    /// The original as it was read: a file that changed since is not replaced.
    was: Identity,
    /// The path shown in reports.
    shown: String,
}

/// What tells a file's version apart: a user's write or a replacement changes one of them.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(m: &std::fs::Metadata) -> Identity {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    fn still(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok_and(|m| Identity::of(&m) == *self)
    }
}

/// A row to bring in line with its file, which is already in the wanted form.
struct Fix {
    fileid: i64,
    version: u64,
    size: u64,
    drop_keys: Option<String>,
}

/// The envelope key small files share.
struct Group {
    envelope: [u8; 16],
    share: Vec<u8>,
    left: usize,
}

/// A bulk run over users' files.
pub struct Run<'a> {
    ctx: &'a Context,
    mode: Mode,
    master: MasterKey,
    data: PathBuf,
    key_root: PathBuf,
    dir_mime: i64,
    /// The progress line's prefix (`encrypt files for user admin (1)`).
    label: String,
    uid: String,
    staged: Vec<Staged>,
    fixes: Vec<Fix>,
    staged_bytes: u64,
    group: Option<Group>,
    failed: Vec<(String, String)>,
    /// The modification times of the folders this batch renames files in, to put back.
    dir_times: HashMap<PathBuf, SystemTime>,
    ivs: Ivs,
    /// Ids of the files a stopped run put in place (the user's journal).
    resumed: HashSet<i64>,
    /// Folders checked: inside the home, on its file system (or why not).
    dirs: HashMap<PathBuf, Result<(), String>>,
    /// The home, resolved, and its file system.
    home_real: PathBuf,
    home_dev: u64,
    /// Descriptors of the file systems to sync, opened before anything is written (so a
    /// write error in between is reported by the sync).
    home_fd: Option<File>,
    key_fd: File,
    /// What the run did so far.
    pub report: Report,
}

fn now_fail(path: &Path, what: &str, e: std::io::Error) -> String {
    format!("cannot {what} {}: {e}", path.display())
}

/// Flushes every file system the run wrote to (the user's home and the key root), through
/// descriptors opened before the writes, so an error writing back in between is reported.
fn sync_all(fds: &[&File]) -> Result<(), String> {
    let mut seen = Vec::new();
    for f in fds {
        let dev = f.metadata().map_err(|e| format!("cannot sync: {e}"))?.dev();
        if seen.contains(&dev) {
            continue;
        }
        seen.push(dev);
        // SAFETY: syncfs takes any open descriptor of the file system; `f` is one.
        if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
            return Err(format!("cannot sync: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

impl<'a> Run<'a> {
    /// Prepares a run: opens the master key.
    pub fn new(ctx: &'a Context, mode: Mode) -> Result<Run<'a>, Error> {
        let master = MasterKey::open(ctx)?;
        let dir_mime = ctx
            .db()
            .query(
                "SELECT id FROM *PREFIX*mimetypes WHERE mimetype = 'httpd/unix-directory'",
                &[],
            )?
            .first()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_i64)
            .unwrap_or(-1);
        let key_root = keys::key_root(ctx)?;
        let key_fd = File::open(&key_root)
            .map_err(|e| Error::new(format!("Cannot open {}: {e}", key_root.display())))?;
        Ok(Run {
            ctx,
            mode,
            master,
            data: keys::data_dir(ctx)?,
            key_root,
            dir_mime,
            label: String::new(),
            uid: String::new(),
            staged: Vec::new(),
            fixes: Vec::new(),
            staged_bytes: 0,
            group: None,
            failed: Vec::new(),
            dir_times: HashMap::new(),
            ivs: Ivs::default(),
            resumed: HashSet::new(),
            dirs: HashMap::new(),
            home_real: PathBuf::new(),
            home_dev: 0,
            home_fd: None,
            key_fd,
            report: Report::default(),
        })
    }

    fn home(&self) -> PathBuf {
        self.data.join(&self.uid)
    }

    fn temp_dir(&self) -> PathBuf {
        self.home().join(TEMP_DIR)
    }

    /// Runs over the users' files in turn, each headed on the progress line as ownCloud heads
    /// it (`admin (1)` when encrypting, `admin (1 of 2)` when decrypting).
    pub fn users(&mut self, users: &[(String, i64)]) -> Result<(), Error> {
        let count = users.len();
        for (n, (uid, storage)) in users.iter().enumerate() {
            let label = match self.mode {
                Mode::Encrypt => format!("{uid} ({})", n + 1),
                Mode::Decrypt => format!("{uid} ({} of {count})", n + 1),
            };
            self.user(uid, *storage, &label)?;
        }
        self.ctx.progress_done()
    }

    /// Runs over one user's files; `label` heads the progress line.
    fn user(&mut self, uid: &str, storage: i64, label: &str) -> Result<(), Error> {
        self.uid = uid.to_string();
        self.label = label.to_string();
        self.group = None;
        self.report.users += 1;
        // What a stopped run left: temporary files of files not put in place, and the journal
        // of those it put in place.
        let temp = self.temp_dir();
        let home = self.home();
        let home_time = modified(&home);
        let _ = std::fs::remove_dir_all(&temp);
        self.resumed = match std::fs::read_to_string(home.join(JOURNAL)) {
            Ok(text) => text.lines().filter_map(|l| l.trim().parse().ok()).collect(),
            Err(_) => HashSet::new(),
        };
        self.dirs.clear();
        self.home_fd = File::open(&home).ok();
        self.home_real = std::fs::canonicalize(&home).unwrap_or_else(|_| home.clone());
        self.home_dev = self
            .home_fd
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.dev());
        let prefixes: &[&str] = match self.mode {
            // ownCloud encrypts the files folder; versions and the trash bin stay as they are.
            Mode::Encrypt => &["files/"],
            Mode::Decrypt => &["files/", "files_versions/", "files_trashbin/"],
        };
        let mut last = 0i64;
        loop {
            let rows: Vec<Row> = self.ctx.db().query_as(
                "SELECT fileid, path, encrypted FROM *PREFIX*filecache WHERE storage = ? AND fileid > ? AND mimetype <> ? ORDER BY fileid LIMIT ?",
                &[json!(storage), json!(last), json!(self.dir_mime), json!(PAGE)],
            )?;
            let Some(end) = rows.last().map(|r| r.fileid) else {
                break;
            };
            last = end;
            for row in rows {
                if prefixes.iter().any(|p| row.path.starts_with(p)) {
                    self.file(row)?;
                }
            }
        }
        self.settle()?;
        let _ = std::fs::remove_dir(&temp);
        // Every batch of this pass is in place and recorded: the journal has done its work.
        let _ = std::fs::remove_file(home.join(JOURNAL));
        self.resumed.clear();
        if let Some(t) = home_time {
            set_modified(&home, t);
        }
        if !self.failed.is_empty() {
            self.report
                .failed
                .push((uid.to_string(), std::mem::take(&mut self.failed)));
        }
        Ok(())
    }

    fn file(&mut self, row: Row) -> Result<(), Error> {
        let shown = format!("/{}/{}", self.uid, row.path);
        if !Path::new(&row.path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            self.failed.push((
                shown,
                "its path is not a plain path inside the user's folder".into(),
            ));
            return Ok(());
        }
        let verb = match self.mode {
            Mode::Encrypt => "encrypt",
            Mode::Decrypt => "decrypt",
        };
        // A decrypt-all looks at rows the cache says are plaintext only when the file has
        // keys: an encryption stopped between putting the file in place and recording it.
        if self.mode == Mode::Decrypt
            && row.encrypted == 0
            && !self
                .master
                .file_key_dir(&self.uid, &row.path)
                .join("fileKey")
                .exists()
        {
            return Ok(());
        }
        self.ctx
            .progress(&format!("{verb} files for user {}: {shown}", self.label))?;
        let outcome = match self.mode {
            Mode::Encrypt => self.encrypt(&row),
            Mode::Decrypt => self.decrypt(&row),
        };
        if let Err(why) = outcome {
            self.failed.push((shown, why));
        }
        if self.staged.len() >= BATCH_FILES || self.staged_bytes >= BATCH_BYTES {
            self.settle()?;
        }
        Ok(())
    }

    /// Opens a file and tells whether it starts with an encryption header; `None` when it is
    /// gone or not a file.
    fn open(&mut self, path: &Path) -> Result<Option<(File, std::fs::Metadata, bool)>, String> {
        if let Some(dir) = path.parent() {
            self.check_dir(dir)?;
        }
        // A symlink is never followed: the file system outside a user's files is not theirs.
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path);
        let mut f = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.report.missing += 1;
                return Ok(None);
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err("it is a symbolic link, which is never followed".into())
            }
            Err(e) => return Err(format!("cannot open it: {e}")),
        };
        let meta = f.metadata().map_err(|e| format!("cannot stat it: {e}"))?;
        if !meta.is_file() {
            self.report.missing += 1;
            return Ok(None);
        }
        let mut head = [0u8; 7];
        let mut got = 0;
        while got < head.len() {
            match f.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => return Err(format!("cannot read it: {e}")),
            }
        }
        f.seek(SeekFrom::Start(0))
            .map_err(|e| format!("cannot read it: {e}"))?;
        Ok(Some((f, meta, &head[..got] == b"HBEGIN:")))
    }

    /// A folder a file is replaced in must be the home's own: reached without a symlink, on
    /// the home's file system (the temporary files are renamed from there).
    fn check_dir(&mut self, dir: &Path) -> Result<(), String> {
        if let Some(known) = self.dirs.get(dir) {
            return known.clone();
        }
        let verdict = match std::fs::canonicalize(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot resolve its folder: {e}")),
            Ok(real) if !real.starts_with(&self.home_real) => {
                Err("its folder is reached through a symbolic link, which is never followed".into())
            }
            Ok(real) => match std::fs::metadata(&real) {
                Ok(m) if m.dev() != self.home_dev => Err(format!(
                    "its folder is on another file system than {}: files are replaced by renaming",
                    self.home().display()
                )),
                _ => Ok(()),
            },
        };
        self.dirs.insert(dir.to_path_buf(), verdict.clone());
        verdict
    }

    /// Checks an encrypted file's header and finds the version its blocks are signed with:
    /// the row's, else the neighbours a lost row update or ownCloud's own slips leave.
    fn check(
        &mut self,
        f: &mut File,
        len: u64,
        path: &str,
        recorded: i64,
    ) -> Result<([u8; 32], u64, u64), String> {
        let mut head = vec![0u8; format::HEADER_SIZE.min(len as usize)];
        f.read_exact(&mut head)
            .map_err(|e| format!("cannot read it: {e}"))?;
        let header = format::Header::parse(&head)
            .map_err(|e| e.0)?
            .ok_or("its encryption header is cut")?;
        format::check_file_header(&header).map_err(|e| e.0)?;
        let size = format::plain_size(len).ok_or_else(|| {
            format!("it is {len} bytes long, which no encrypted file is (cut or padded)")
        })?;
        let key = self
            .master
            .file_key(&self.uid, path)?
            .ok_or("it has no file key")?;
        let r = recorded.max(0) as u64;
        let mut candidates = vec![r, r + 1, FIRST_VERSION];
        if r > 1 {
            candidates.push(r - 1);
        }
        for v in candidates.into_iter().filter(|v| *v > 0) {
            if format::first_block_verifies(&key, v, size, f).map_err(|e| e.0)? {
                return Ok((key, v, size));
            }
        }
        Err("bad signature: it does not verify with its file key".into())
    }

    /// A file without a header whose row says encrypted, and which no stopped run of occ's
    /// put there: ownCloud's format from before 8.1, refused and left as it is.
    fn refuse_legacy(&self, row: &Row, encrypted: bool) -> Result<(), String> {
        if !encrypted && row.encrypted > 0 && !self.resumed.contains(&row.fileid) {
            return Err(LEGACY.into());
        }
        Ok(())
    }

    fn encrypt(&mut self, row: &Row) -> Result<(), String> {
        let target = self.home().join(&row.path);
        let Some((mut f, meta, encrypted)) = self.open(&target)? else {
            return Ok(());
        };
        self.refuse_legacy(row, encrypted)?;
        if encrypted {
            // Encrypted by an earlier run, or by ownCloud: it must open, and is never
            // encrypted again. A row that missed the update is brought in line.
            let (_, version, size) = self.check(&mut f, meta.len(), &row.path, row.encrypted)?;
            self.report.already += 1;
            if row.encrypted as u64 != version {
                self.fixes.push(Fix {
                    fileid: row.fileid,
                    version,
                    size,
                    drop_keys: None,
                });
            }
            return Ok(());
        }
        let size = meta.len();
        let key: [u8; 32] = format::random().map_err(|e| e.0)?;
        let (envelope, share) = self.envelope(size)?;
        let sealed = format::envelope_apply(&envelope, &key).map_err(|e| e.0)?;
        let temp = self.new_temp(row.fileid)?;
        let key_dir = self.master.file_key_dir(&self.uid, &row.path);
        let file_key = key_dir.join("fileKey");
        let share_key = key_dir.join(format!("{}.shareKey", self.master.id));
        let mut staged_keys = Vec::new();
        let keys_written = keys::make_dir(&key_dir).and_then(|_| {
            for (path, bytes) in [(&file_key, &sealed[..]), (&share_key, &share[..])] {
                let tmp = path.with_extension("part");
                staged_keys.push((tmp.clone(), path.clone()));
                keys::write_private(&tmp, bytes)?;
            }
            Ok(())
        });
        let ivs = &mut self.ivs;
        let written = keys_written.and_then(|()| {
            let mut out = Output::new(temp.1, size)?;
            format::encrypt_stream(
                &key,
                FIRST_VERSION,
                size,
                &mut BufReader::with_capacity(1 << 20, &mut f),
                &mut out,
                &mut || ivs.next(),
            )
            .map_err(|e| e.0)?;
            let file = out.finish()?;
            keep_times_and_mode(&file, &meta)
        });
        if let Err(e) = written {
            discard(&temp.0, &staged_keys);
            return Err(e);
        }
        self.keep_dir_time(&target);
        self.staged_bytes += format::encrypted_size(size);
        self.staged.push(Staged {
            fileid: row.fileid,
            target,
            temp: temp.0,
            keys: staged_keys,
            drop_keys: None,
            version: FIRST_VERSION,
            size,
            was: Identity::of(&meta),
            shown: format!("/{}/{}", self.uid, row.path),
        });
        Ok(())
    }

    fn decrypt(&mut self, row: &Row) -> Result<(), String> {
        let target = self.home().join(&row.path);
        let Some((mut f, meta, encrypted)) = self.open(&target)? else {
            return if row.encrypted > 0 {
                Err(
                    "its row says it is encrypted, but there is no such file (run files:scan)"
                        .into(),
                )
            } else {
                Ok(())
            };
        };
        self.refuse_legacy(row, encrypted)?;
        if !encrypted {
            // Plaintext: decrypted by an earlier run (or never encrypted). Its row and keys are
            // brought in line; it is never "decrypted".
            self.report.already += 1;
            self.fixes.push(Fix {
                fileid: row.fileid,
                version: 0,
                size: meta.len(),
                drop_keys: Some(row.path.clone()),
            });
            return Ok(());
        }
        let (key, version, size) = self.check(&mut f, meta.len(), &row.path, row.encrypted)?;
        let temp = self.new_temp(row.fileid)?;
        let written = (|| {
            let mut out = Output::new(temp.1, size)?;
            format::decrypt_stream(&key, version, size, &mut f, &mut out).map_err(|e| e.0)?;
            let file = out.finish()?;
            keep_times_and_mode(&file, &meta)
        })();
        if let Err(e) = written {
            discard(&temp.0, &[]);
            return Err(e);
        }
        self.keep_dir_time(&target);
        self.staged_bytes += size;
        self.staged.push(Staged {
            fileid: row.fileid,
            target,
            temp: temp.0,
            keys: Vec::new(),
            drop_keys: Some(row.path.clone()),
            version: 0,
            size,
            was: Identity::of(&meta),
            shown: format!("/{}/{}", self.uid, row.path),
        });
        Ok(())
    }

    /// The envelope key and share key for a file of `size` bytes.
    fn envelope(&mut self, size: u64) -> Result<([u8; 16], Vec<u8>), String> {
        if size <= GROUP_MAX_SIZE {
            if let Some(g) = self.group.as_mut().filter(|g| g.left > 0) {
                g.left -= 1;
                return Ok((g.envelope, g.share.clone()));
            }
        }
        let envelope: [u8; 16] = format::random().map_err(|e| e.0)?;
        let share = format::seal_envelope(&self.master.public, &envelope).map_err(|e| e.0)?;
        self.master.remember(&share, envelope);
        if size <= GROUP_MAX_SIZE {
            self.group = Some(Group {
                envelope,
                share: share.clone(),
                left: GROUP_FILES - 1,
            });
        }
        Ok((envelope, share))
    }

    /// Notes the modification time of `file`'s folder before the batch renames in it.
    fn keep_dir_time(&mut self, file: &Path) {
        if let Some(dir) = file.parent() {
            if !self.dir_times.contains_key(dir) {
                if let Some(t) = modified(dir) {
                    self.dir_times.insert(dir.to_path_buf(), t);
                }
            }
        }
    }

    /// A new temporary file for the file `fileid`: 0600, in the user's temporary folder.
    fn new_temp(&self, fileid: i64) -> Result<(PathBuf, File), String> {
        let dir = self.temp_dir();
        keys::make_dir(&dir)?;
        let path = dir.join(format!("{fileid}.part"));
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| now_fail(&path, "create", e))?;
        Ok((path, f))
    }

    /// Puts the batch in place: sync, keys, sync, files, sync, the keys of what was decrypted,
    /// rows.
    pub fn settle(&mut self) -> Result<(), Error> {
        if self.staged.is_empty() && self.fixes.is_empty() {
            return Ok(());
        }
        let home = self.home();
        let fail = |e: String| Error::new(format!("Stopped, nothing of this batch is lost: {e}"));
        let mut staged = std::mem::take(&mut self.staged);
        self.staged_bytes = 0;
        let mut fds: Vec<&File> = vec![&self.key_fd];
        fds.extend(self.home_fd.as_ref());
        let mut changed = Vec::new();
        if !staged.is_empty() {
            // A file a user changed meanwhile keeps the user's version.
            staged.retain(|s| {
                let same = s.was.still(&s.target);
                if !same {
                    changed.push((s.temp.clone(), s.keys.clone(), s.shown.clone()));
                }
                same
            });
            // The journal names the batch before anything is renamed.
            let journal: String = staged.iter().map(|s| format!("{}\n", s.fileid)).collect();
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(home.join(JOURNAL))
                .and_then(|mut j| std::io::Write::write_all(&mut j, journal.as_bytes()))
                .map_err(|e| fail(now_fail(&home.join(JOURNAL), "write", e)))?;
            sync_all(&fds).map_err(fail)?;
            if staged.iter().any(|s| !s.keys.is_empty()) {
                for s in &staged {
                    for (tmp, path) in &s.keys {
                        std::fs::rename(tmp, path).map_err(|e| fail(now_fail(path, "write", e)))?;
                    }
                }
                sync_all(&fds).map_err(fail)?;
            }
            staged.retain(|s| {
                if !s.was.still(&s.target) {
                    changed.push((s.temp.clone(), Vec::new(), s.shown.clone()));
                    return false;
                }
                true
            });
            for s in &staged {
                std::fs::rename(&s.temp, &s.target)
                    .map_err(|e| fail(now_fail(&s.target, "replace", e)))?;
            }
            // Renaming a file in changed its folder's modification time: its entries did not
            // change, as the scanner and clients see them.
            for (dir, t) in std::mem::take(&mut self.dir_times) {
                set_modified(&dir, t);
            }
        }
        for (temp, keys, shown) in changed {
            discard(&temp, &keys);
            self.failed.push((
                shown,
                "it changed while it was processed and was left as the user left it: run the command again".into(),
            ));
        }
        // What is plaintext now is on disk before its keys go; the keys go before the rows
        // say so: a run stopped in between leaves rows that a rerun finds plaintext (journal)
        // and settles.
        let fixes = std::mem::take(&mut self.fixes);
        let mut drop = staged
            .iter()
            .filter_map(|s| s.drop_keys.as_deref())
            .chain(fixes.iter().filter_map(|f| f.drop_keys.as_deref()))
            .peekable();
        if !staged.is_empty() || drop.peek().is_some() {
            sync_all(&fds).map_err(fail)?;
        }
        for path in drop {
            if let Err(e) = keys::remove_file_keys(&self.key_root, &self.uid, path) {
                self.failed.push((
                    format!("/{}/{path}", self.uid),
                    format!("decrypted, but {e}"),
                ));
            }
        }
        let mut rows: Vec<(u64, u64, i64)> = staged
            .iter()
            .map(|s| (s.version, s.size, s.fileid))
            .collect();
        rows.extend(fixes.iter().map(|f| (f.version, f.size, f.fileid)));
        self.ctx.db().execute_many_of(
            "UPDATE *PREFIX*filecache SET encrypted = ?, unencrypted_size = 0, size = ? WHERE fileid = ?",
            &rows,
        )?;
        self.report.done += staged.len() as u64;
        Ok(())
    }
}

/// Why a header-less file whose row says encrypted is left alone.
const LEGACY: &str = "it has no encryption header, but its row says it is encrypted: ownCloud's format before 8.1, which occ does not read (left as it is)";

/// Random IVs, fetched from the operating system 256 at a time (one syscall per block was a
/// tenth of a large file's time).
struct Ivs {
    pool: Vec<u8>,
    at: usize,
}

impl Default for Ivs {
    fn default() -> Ivs {
        Ivs {
            pool: vec![0; 4096],
            at: 4096,
        }
    }
}

impl Ivs {
    fn next(&mut self) -> Result<[u8; 16], format::FormatError> {
        if self.at == self.pool.len() {
            getrandom::getrandom(&mut self.pool)
                .map_err(|e| format::FormatError(format!("no randomness: {e}")))?;
            self.at = 0;
        }
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.pool[self.at..self.at + 16]);
        // Each IV is used once: its bytes leave the pool.
        self.pool[self.at..self.at + 16].fill(0);
        self.at += 16;
        Ok(iv)
    }
}

/// Files larger than this are handed to the kernel by a writer thread.
const PIPE_FROM: u64 = 16 << 20;
/// The chunks the writer thread is handed.
const CHUNK: usize = 1 << 20;

/// Where a file's new form is written: through a buffer for a small file; for a large one,
/// in 1 MiB chunks to a thread that only passes them to the kernel (`write` copies them into
/// the page cache, about a third of the time here), while the cryptography goes on, on this
/// thread alone.
enum Output {
    Buffered(BufWriter<Writeback>),
    Piped(Pipe),
}

impl Output {
    fn new(file: File, size: u64) -> Result<Output, String> {
        Ok(if size > PIPE_FROM {
            Output::Piped(Pipe::new(file)?)
        } else {
            Output::Buffered(BufWriter::with_capacity(CHUNK, Writeback::new(file)))
        })
    }

    /// Writes what is left and gives the file back.
    fn finish(self) -> Result<File, String> {
        match self {
            Output::Buffered(b) => b
                .into_inner()
                .map(|w| w.file)
                .map_err(|e| e.error().to_string()),
            Output::Piped(p) => p.finish(),
        }
    }
}

impl std::io::Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Buffered(b) => b.write(buf),
            Output::Piped(p) => p.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// See [`Output`]: chunks go to the writer thread (at most four in flight) and come back to
/// be filled again.
struct Pipe {
    buf: Vec<u8>,
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    back: std::sync::mpsc::Receiver<Vec<u8>>,
    worker: Option<std::thread::JoinHandle<std::io::Result<File>>>,
}

impl Pipe {
    fn new(file: File) -> Result<Pipe, String> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let (back_tx, back) = std::sync::mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("occ-writer".into())
            .spawn(move || {
                let mut w = Writeback::new(file);
                for chunk in rx {
                    std::io::Write::write_all(&mut w, &chunk)?;
                    let _ = back_tx.send(chunk);
                }
                Ok(w.file)
            })
            .map_err(|e| format!("cannot start a writer: {e}"))?;
        Ok(Pipe {
            buf: Vec::with_capacity(CHUNK),
            tx: Some(tx),
            back,
            worker: Some(worker),
        })
    }

    fn send(&mut self) -> std::io::Result<()> {
        let next = self
            .back
            .try_recv()
            .map(|mut v| {
                v.clear();
                v
            })
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.buf, next);
        match &self.tx {
            Some(tx) if tx.send(full).is_ok() => Ok(()),
            // The writer stopped: its error comes with `finish`.
            _ => Err(std::io::Error::other("the writer stopped")),
        }
    }

    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn finish(mut self) -> Result<File, String> {
        let sent = if self.buf.is_empty() {
            Ok(())
        } else {
            self.send()
        };
        self.tx = None;
        let worker = self.worker.take().ok_or("the writer is gone")?;
        let file = worker
            .join()
            .map_err(|_| "the writer panicked".to_string())?
            .map_err(|e| format!("cannot write: {e}"))?;
        sent.map_err(|e| format!("cannot write: {e}"))?;
        Ok(file)
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // An abandoned write (an error on this side) stops the writer before the temporary
        // file is removed.
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// A temporary file whose written pages the kernel starts writing out every
/// [`WRITEBACK_EVERY`] bytes (`sync_file_range`, which does not wait), so the batch's sync finds
/// a large file mostly on disk instead of writing it all then.
struct Writeback {
    file: File,
    written: u64,
    started: u64,
}

/// See [`Writeback`].
const WRITEBACK_EVERY: u64 = 8 << 20;

impl Writeback {
    fn new(file: File) -> Writeback {
        Writeback {
            file,
            written: 0,
            started: 0,
        }
    }
}

impl std::io::Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_EVERY {
            let fd = self.file.as_raw_fd();
            // SAFETY: the descriptor is this open file's; the ranges are what was written.
            // Best effort: a failure here only leaves the work to the sync. (Waiting for the
            // range before, to bound what is in flight, measured slower: the encryption
            // stalled behind the disk.)
            unsafe {
                libc::sync_file_range(
                    fd,
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
            self.started = self.written;
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Puts a folder's modification time back (best effort: a folder that cannot take it is only
/// scanned again).
fn set_modified(dir: &Path, t: SystemTime) {
    let _ = File::open(dir).and_then(|d| d.set_times(std::fs::FileTimes::new().set_modified(t)));
}

/// Gives the new form the file's modification time and mode: its content, as users see it, did
/// not change.
/// Removes a file's temporary new form and its staged key files (`.part`, beside their
/// places): what a file that is not put in place leaves behind.
fn discard(temp: &Path, keys: &[(PathBuf, PathBuf)]) {
    let _ = std::fs::remove_file(temp);
    for (tmp, _) in keys {
        let _ = std::fs::remove_file(tmp);
    }
}

fn keep_times_and_mode(file: &File, meta: &std::fs::Metadata) -> Result<(), String> {
    let mtime = meta.modified().map_err(|e| e.to_string())?;
    file.set_times(std::fs::FileTimes::new().set_modified(mtime))
        .map_err(|e| format!("cannot keep its modification time: {e}"))?;
    file.set_permissions(std::fs::Permissions::from_mode(
        meta.permissions().mode() & 0o7777,
    ))
    .map_err(|e| format!("cannot keep its mode: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_writer_thread_writes_everything_in_order_and_reports_its_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let data: Vec<u8> = (0..(3 * CHUNK + 12345)).map(|i| (i % 251) as u8).collect();
        let mut p = Output::new(File::create(&path).unwrap(), PIPE_FROM + 1).unwrap();
        for piece in data.chunks(8192) {
            p.write_all(piece).unwrap();
        }
        p.finish().unwrap();
        assert!(std::fs::read(&path).unwrap() == data);
        // A file it cannot write to: the writer's error, not silence.
        let mut p = Output::new(File::open(&path).unwrap(), PIPE_FROM + 1).unwrap();
        let mut failed = false;
        for piece in data.chunks(8192) {
            failed |= p.write_all(piece).is_err();
        }
        let e = p.finish().unwrap_err();
        assert!(e.starts_with("cannot write: "), "{e} {failed}");
    }
}
