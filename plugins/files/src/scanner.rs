//! The scanner: brings a user's file cache in line with `<datadir>/<uid>/files`, folder by
//! folder. A depth-first walk keeps one frame per open folder (memory bounded by depth, never
//! by the tree); each folder is listed once, compared with its cached children read in one
//! query, and only differences are written. Folder sizes and etags are settled when a folder
//! closes (post-order), so changes propagate to the root. Writes are committed in chunks.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use occ_plugin_api::wire::method;
use occ_plugin_api::{Context, Error};
use serde_json::json;

use crate::cache::{self, Children, Dialect, Mimetypes, NewRow};

/// What a scan did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    /// Folders listed.
    pub folders: u64,
    /// Files seen.
    pub files: u64,
    /// Rows inserted.
    pub new: u64,
    /// Rows updated.
    pub updated: u64,
    /// Rows removed.
    pub removed: u64,
    /// Entries that could not be read.
    pub errors: u64,
}

/// How to scan.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// Only the start folder's direct children.
    pub shallow: bool,
    /// Only folders not fully scanned yet.
    pub unscanned: bool,
}

/// Row writes between commits: bounds the write lock and the WAL on big first scans.
const COMMIT_EVERY: u64 = 20_000;
/// Sibling folders whose cached children are read in one statement (bounds the memory it
/// holds; saves a round trip to the database per folder).
const PREFETCH: usize = 64;

/// A folder to visit: what the cache says of it and what the disk said when its parent was
/// listed (so it is not stat'ed twice).
#[derive(Debug, Clone)]
struct Sub {
    name: String,
    fileid: i64,
    cached_size: i64,
    cached_mtime: i64,
    mtime: i64,
}

struct Frame {
    fileid: i64,
    fs: PathBuf,
    path: String,
    /// Subfolders still to visit: (name, fileid, cached size, cached mtime).
    pending: Vec<Sub>,
    size: i64,
    changed: bool,
    cached_size: i64,
    cached_mtime: i64,
    mtime: i64,
}

/// A folder's readable entries, and the names of those that exist but could not be read.
type Listing = (Vec<Entry>, HashSet<String>);

struct Entry {
    name: String,
    is_dir: bool,
    size: i64,
    mtime: i64,
}

/// One scan run over one or more users.
pub struct Scanner<'a> {
    ctx: &'a Context,
    dialect: Dialect,
    mimes: Mimetypes,
    dir_mime: i64,
    storage: i64,
    opts: Options,
    writes: u64,
    euid: u32,
    egid: u32,
    /// Totals.
    pub stats: Stats,
    reported: u64,
    /// Cached children read ahead for folders about to be visited.
    prefetched: HashMap<i64, Children>,
    /// Folders created in this run: they have no cached children to read.
    fresh: std::collections::HashSet<i64>,
    /// The walk of the tree being scanned.
    walker: Option<Walker>,
}

/// Something listing a folder has to say: a problem (counted under Errors) or a notice.
enum Note {
    Error(String),
    Notice(String),
}

/// One folder as listed: its entries (`None` when it could not be listed) and what to say.
struct Listed {
    dir: PathBuf,
    listing: Option<Listing>,
    notes: Vec<Note>,
}

/// Lists a folder: each entry stat'ed (symlinks not followed), sorted by name, with the names
/// of entries that exist but could not be read (their cached rows must stay).
fn list_dir(dir: &Path, euid: u32, egid: u32) -> Listed {
    let mut notes = Vec::new();
    let listing = list_into(dir, euid, egid, &mut notes);
    Listed {
        dir: dir.to_path_buf(),
        listing,
        notes,
    }
}

fn list_into(dir: &Path, euid: u32, egid: u32, notes: &mut Vec<Note>) -> Option<Listing> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            notes.push(Note::Error(format!(
                "Cannot read the folder {}: {e}",
                dir.display()
            )));
            return None;
        }
    };
    let mut out = Vec::new();
    let mut unreadable = HashSet::new();
    for de in rd {
        let de = match de {
            Ok(de) => de,
            Err(e) => {
                // The listing broke off: what was not seen must not count as deleted.
                notes.push(Note::Error(format!(
                    "Cannot read an entry of {}: {e}",
                    dir.display()
                )));
                return None;
            }
        };
        let Ok(name) = de.file_name().into_string() else {
            notes.push(Note::Error(format!(
                "Skipped an entry of {} whose name is not valid UTF-8: {:?}",
                dir.display(),
                de.file_name()
            )));
            continue;
        };
        let meta = match de.metadata() {
            Ok(m) => m,
            Err(e) => {
                notes.push(Note::Error(format!(
                    "Cannot read {}: {e}",
                    de.path().display()
                )));
                unreadable.insert(name);
                continue;
            }
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            // Never followed: it could lead anywhere, including out of the data directory.
            notes.push(Note::Notice(format!(
                "Symlink not followed: {}",
                de.path().display()
            )));
            continue;
        }
        if !ft.is_dir() && !ft.is_file() {
            notes.push(Note::Error(format!(
                "Skipped {}: not a regular file or folder",
                de.path().display()
            )));
            continue;
        }
        if !readable(&meta, euid, egid, ft.is_dir()) {
            notes.push(Note::Error(format!(
                "Cannot read {}: permission denied",
                de.path().display()
            )));
            unreadable.insert(name);
            continue;
        }
        out.push(Entry {
            name,
            is_dir: ft.is_dir(),
            size: if ft.is_dir() { 0 } else { meta.size() as i64 },
            mtime: meta.mtime(),
        });
    }
    // Name order: new folders get ascending ids in the order they are visited, so their
    // children's rows append to the parent indexes instead of landing all over them.
    out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Some((out, unreadable))
}

/// Folders listed ahead of the scanner (bounds what the walk holds in memory).
const WALK_AHEAD: usize = 64;

/// Lists folders on a second thread, in the order the scanner visits them (depth first, by
/// name), so the disk walk overlaps the database work.
struct Walker {
    rx: std::sync::mpsc::Receiver<Listed>,
}

impl Walker {
    /// Starts walking `root` (only `root` itself when `shallow`). The thread ends when the
    /// walk does or when the walker is dropped (its next send fails).
    fn start(root: PathBuf, shallow: bool, euid: u32, egid: u32) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(WALK_AHEAD);
        std::thread::spawn(move || {
            let mut stack = vec![root];
            while let Some(dir) = stack.pop() {
                let listed = list_dir(&dir, euid, egid);
                let subdirs: Vec<PathBuf> = match (&listed.listing, shallow) {
                    (Some((entries, _)), false) => entries
                        .iter()
                        .filter(|e| e.is_dir)
                        .map(|e| dir.join(&e.name))
                        .collect(),
                    _ => Vec::new(),
                };
                if tx.send(listed).is_err() {
                    return;
                }
                stack.extend(subdirs.into_iter().rev());
            }
        });
        Self { rx }
    }

    /// The listing of `dir`, skipping folders the scanner did not visit; `None` when the walk
    /// has nothing more (the caller lists the folder itself).
    fn take(&self, dir: &Path) -> Option<Listed> {
        loop {
            match self.rx.recv() {
                Ok(l) if l.dir == dir => return Some(l),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
}

/// A path's mtime (0 when it cannot be read).
fn mtime_of(path: &Path) -> i64 {
    fs::metadata(path).map(|m| m.mtime()).unwrap_or(0)
}

fn readable(meta: &fs::Metadata, euid: u32, egid: u32, is_dir: bool) -> bool {
    if euid == 0 {
        return true;
    }
    let mode = meta.mode();
    let (r, x) = if meta.uid() == euid {
        (0o400, 0o100)
    } else if meta.gid() == egid {
        (0o040, 0o010)
    } else {
        (0o004, 0o001)
    };
    mode & r != 0 && (!is_dir || mode & x != 0)
}

impl<'a> Scanner<'a> {
    /// Prepares a scanner (mimetypes loaded, transaction opened).
    pub fn new(ctx: &'a Context, opts: Options) -> Result<Self, Error> {
        let db = ctx.db();
        let dialect = Dialect::of(&db)?;
        let mut mimes = Mimetypes::load(&db)?;
        let dir_mime = mimes.id(&db, cache::DIR_MIME)?;
        ctx.call(method::DB_BEGIN, json!({}))?;
        Ok(Self {
            ctx,
            dialect,
            mimes,
            dir_mime,
            storage: 0,
            opts,
            writes: 0,
            euid: nix::unistd::geteuid().as_raw(),
            egid: nix::unistd::getegid().as_raw(),
            stats: Stats::default(),
            reported: 0,
            prefetched: HashMap::new(),
            fresh: std::collections::HashSet::new(),
            walker: None,
        })
    }

    /// Commits what is pending.
    pub fn finish(self) -> Result<Stats, Error> {
        self.ctx.call(method::DB_COMMIT, json!({}))?;
        Ok(self.stats)
    }

    fn wrote(&mut self, n: u64) -> Result<(), Error> {
        self.writes += n;
        if self.writes >= COMMIT_EVERY {
            self.ctx.call(method::DB_COMMIT, json!({}))?;
            self.ctx.call(method::DB_BEGIN, json!({}))?;
            self.writes = 0;
        }
        Ok(())
    }

    fn error(&mut self, what: String) -> Result<(), Error> {
        self.stats.errors += 1;
        self.ctx.message(&what)
    }

    fn progress(&mut self) -> Result<(), Error> {
        let seen = self.stats.files + self.stats.folders;
        if seen >= self.reported + 2000 {
            self.reported = seen;
            self.ctx.call(
                method::OUTPUT_PROGRESS,
                json!({"message": format!("{} folders, {} files", self.stats.folders, self.stats.files)}),
            )?;
        }
        Ok(())
    }

    /// The row of a folder on the way down from the storage root, created when missing.
    fn ensure_dir_row(
        &mut self,
        path: &str,
        parent: i64,
        fs_path: &Path,
    ) -> Result<cache::Row, Error> {
        let db = self.ctx.db();
        if let Some(found) = cache::row_at(&db, self.storage, path)? {
            return Ok(found);
        }
        let meta = fs::metadata(fs_path)
            .map_err(|e| Error::new(format!("Cannot read {}: {e}", fs_path.display())))?;
        let name = path.rsplit('/').next().unwrap_or("").to_string();
        let row = NewRow {
            path: path.into(),
            name,
            is_dir: true,
            mime: self.mimes.ids_for(&db, "", true)?,
            size: -1,
            mtime: meta.mtime(),
        };
        cache::insert(&db, self.storage, parent, std::slice::from_ref(&row))?;
        self.stats.new += 1;
        self.wrote(1)?;
        cache::row_at(&db, self.storage, path)?
            .ok_or_else(|| Error::new(format!("the cache row for {path} could not be created")))
    }

    /// Settles the folders above `path` (a scanned folder), deepest first: each gets the sum
    /// of its children and, when anything below changed, a new etag.
    fn settle_ancestors(
        &mut self,
        home: &Path,
        path: &str,
        mut changed: bool,
    ) -> Result<(), Error> {
        let mut p = path.to_string();
        while !p.is_empty() {
            p = p
                .rsplit_once('/')
                .map(|(parent, _)| parent.to_string())
                .unwrap_or_default();
            let Some(cache::Row {
                fileid: id,
                size: cur,
                ..
            }) = cache::row_at(&self.ctx.db(), self.storage, &p)?
            else {
                break;
            };
            let size = cache::children_size(&self.ctx.db(), id)?;
            if !changed && size == cur {
                break;
            }
            let mtime = mtime_of(&home.join(&p));
            cache::update(&self.ctx.db(), id, size, mtime)?;
            self.wrote(1)?;
            changed = true;
        }
        Ok(())
    }

    /// Scans a user's home below `files`, or below `sub` (a path inside `files`).
    pub fn scan_user(&mut self, uid: &str, datadir: &Path, sub: Option<&str>) -> Result<(), Error> {
        let home = datadir.join(uid);
        let db = self.ctx.db();
        self.storage = cache::ensure_storage(&db, &format!("home::{uid}"))?;
        let root = self.ensure_dir_row("", -1, &home)?;
        // Walk down to the start folder, making rows for folders on the way.
        let mut start = self.ensure_dir_row("files", root.fileid, &home.join("files"))?;
        let mut path = "files".to_string();
        if let Some(sub) = sub {
            for part in sub.split('/').filter(|p| !p.is_empty()) {
                path = format!("{path}/{part}");
                start = self.ensure_dir_row(&path, start.fileid, &home.join(&path))?;
            }
        }
        if self.opts.unscanned && start.size >= 0 {
            // Only folders that were never fully scanned.
            let rows = db.query(
                "SELECT fileid, path, size FROM *PREFIX*filecache WHERE storage = ? AND mimetype = ? AND size < 0 AND substr(path, 1, ?) = ? ORDER BY path",
                &[json!(self.storage), json!(self.dir_mime), json!(path.chars().count() + 1), json!(format!("{path}/"))],
            )?;
            for r in rows {
                let (Some(id), Some(p)) = (
                    r.get("fileid").and_then(|v| v.as_i64()),
                    r.get("path").and_then(|v| v.as_str()),
                ) else {
                    continue;
                };
                let sub = Sub {
                    name: String::new(),
                    fileid: id,
                    cached_size: -1,
                    cached_mtime: 0,
                    mtime: mtime_of(&home.join(p)),
                };
                let changed = self.scan_tree(sub, home.join(p), p.to_string())?;
                self.settle_ancestors(&home, p, changed)?;
            }
        } else {
            let sub = Sub {
                name: String::new(),
                fileid: start.fileid,
                cached_size: start.size,
                cached_mtime: start.mtime,
                mtime: mtime_of(&home.join(&path)),
            };
            let changed = self.scan_tree(sub, home.join(&path), path.clone())?;
            self.settle_ancestors(&home, &path, changed)?;
        }
        Ok(())
    }

    /// Lists one folder, writes what differs, and returns its frame with the subfolders to visit.
    fn open(&mut self, sub: &Sub, fs_path: PathBuf, path: String) -> Result<Frame, Error> {
        let (fileid, cached_size, cached_mtime, mtime) =
            (sub.fileid, sub.cached_size, sub.cached_mtime, sub.mtime);
        let listed = match self.walker.as_ref().and_then(|w| w.take(&fs_path)) {
            Some(l) => l,
            None => {
                self.walker = None;
                list_dir(&fs_path, self.euid, self.egid)
            }
        };
        for note in listed.notes {
            match note {
                Note::Error(m) => self.error(m)?,
                Note::Notice(m) => self.ctx.message(&m)?,
            }
        }
        let listing = listed.listing;
        let db = self.ctx.db();
        let mut cached: Children = match self.prefetched.remove(&fileid) {
            Some(c) => c,
            None if self.fresh.contains(&fileid) => HashMap::new(),
            None => cache::children_of(&db, self.dialect, &[fileid], self.dir_mime)?
                .remove(&fileid)
                .unwrap_or_default(),
        };
        let mut frame = Frame {
            fileid,
            fs: fs_path,
            path,
            pending: Vec::new(),
            size: 0,
            changed: false,
            cached_size,
            cached_mtime,
            mtime,
        };
        let mut new_rows = Vec::new();
        self.stats.folders += 1;
        let Some((entries, unreadable)) = listing else {
            // The folder could not be listed: its cache stays exactly as it is.
            frame.size = cached_size.max(0);
            frame.mtime = cached_mtime;
            return Ok(frame);
        };
        // Entries that exist but could not be read keep their rows (and count with their
        // cached size), so an I/O or permission problem never deletes cache entries.
        for name in &unreadable {
            if let Some(c) = cached.remove(name) {
                frame.size += c.size.max(0);
            }
        }
        for e in entries {
            let child_path = format!("{}/{}", frame.path, e.name);
            match cached.remove(&e.name) {
                Some(c) if c.is_dir == e.is_dir => {
                    if e.is_dir {
                        frame.pending.push(Sub {
                            name: e.name,
                            fileid: c.fileid,
                            cached_size: c.size,
                            cached_mtime: c.mtime,
                            mtime: e.mtime,
                        });
                    } else {
                        self.stats.files += 1;
                        frame.size += e.size;
                        if c.mtime != e.mtime || c.size != e.size {
                            cache::update(&db, c.fileid, e.size, e.mtime)?;
                            self.stats.updated += 1;
                            frame.changed = true;
                            self.wrote(1)?;
                        }
                    }
                }
                other => {
                    if let Some(c) = other {
                        // A file became a folder or the other way round.
                        self.stats.removed +=
                            cache::delete_subtree(&db, self.storage, c.fileid, &child_path)?;
                    }
                    if !e.is_dir {
                        self.stats.files += 1;
                        frame.size += e.size;
                    }
                    let mime = self.mimes.ids_for(&db, &e.name, e.is_dir)?;
                    new_rows.push(NewRow {
                        path: child_path,
                        name: e.name,
                        is_dir: e.is_dir,
                        mime,
                        size: if e.is_dir { -1 } else { e.size },
                        mtime: e.mtime,
                    });
                }
            }
        }
        for (name, c) in cached {
            let gone = cache::delete_subtree(
                &db,
                self.storage,
                c.fileid,
                &format!("{}/{name}", frame.path),
            )?;
            self.stats.removed += gone;
            frame.changed = true;
            self.wrote(gone)?;
        }
        if !new_rows.is_empty() {
            cache::insert(&db, self.storage, fileid, &new_rows)?;
            self.stats.new += new_rows.len() as u64;
            frame.changed = true;
            self.wrote(new_rows.len() as u64)?;
            if new_rows.iter().any(|r| r.is_dir) {
                let ids = cache::child_dirs(&db, fileid, self.dir_mime)?;
                for r in new_rows.into_iter().filter(|r| r.is_dir) {
                    if let Some(id) = ids.get(&r.name) {
                        self.fresh.insert(*id);
                        frame.pending.push(Sub {
                            name: r.name,
                            fileid: *id,
                            cached_size: -1,
                            cached_mtime: r.mtime,
                            mtime: r.mtime,
                        });
                    }
                }
            }
        }
        // Visit subfolders in name order (pending is popped from the end).
        frame.pending.sort_by(|a, b| b.name.cmp(&a.name));
        self.progress()?;
        Ok(frame)
    }

    /// Settles a closed folder: its size, mtime and etag; true when it changed.
    fn close(&mut self, f: &Frame) -> Result<bool, Error> {
        if f.changed || f.size != f.cached_size || f.mtime != f.cached_mtime {
            let was_new = f.cached_size < 0;
            cache::update(&self.ctx.db(), f.fileid, f.size, f.mtime)?;
            if !was_new {
                self.stats.updated += 1;
            }
            self.wrote(1)?;
            return Ok(true);
        }
        Ok(false)
    }

    fn scan_tree(&mut self, start: Sub, fs_path: PathBuf, path: String) -> Result<bool, Error> {
        self.walker = Some(Walker::start(
            fs_path.clone(),
            self.opts.shallow,
            self.euid,
            self.egid,
        ));
        let r = self.scan_walked(start, fs_path, path);
        self.walker = None;
        r
    }

    fn scan_walked(&mut self, start: Sub, fs_path: PathBuf, path: String) -> Result<bool, Error> {
        let root = self.open(&start, fs_path, path)?;
        let mut stack = vec![root];
        loop {
            let next = match stack.last_mut() {
                None => break,
                Some(_) if self.opts.shallow => None,
                Some(top) => {
                    // Read the cached children of the next siblings in one statement.
                    if let Some(id) = top.pending.last().map(|p| p.fileid) {
                        if !self.prefetched.contains_key(&id) && !self.fresh.contains(&id) {
                            let ids: Vec<i64> = top
                                .pending
                                .iter()
                                .rev()
                                .map(|p| p.fileid)
                                .filter(|i| {
                                    !self.fresh.contains(i) && !self.prefetched.contains_key(i)
                                })
                                .take(PREFETCH)
                                .collect();
                            let got = cache::children_of(
                                &self.ctx.db(),
                                self.dialect,
                                &ids,
                                self.dir_mime,
                            )?;
                            self.prefetched.extend(got);
                        }
                    }
                    top.pending.pop().map(|sub| {
                        (
                            top.fs.join(&sub.name),
                            format!("{}/{}", top.path, sub.name),
                            sub,
                        )
                    })
                }
            };
            if let Some((fs_path, path, sub)) = next {
                let child = self.open(&sub, fs_path, path)?;
                stack.push(child);
                continue;
            }
            let Some(mut done) = stack.pop() else { break };
            // Shallow: subfolders are not visited and keep their cached size.
            for sub in done.pending.drain(..) {
                done.size += sub.cached_size.max(0);
            }
            let changed = self.close(&done)?;
            match stack.last_mut() {
                Some(parent) => {
                    parent.size += done.size;
                    parent.changed |= changed;
                }
                None => return Ok(changed),
            }
        }
        Ok(false)
    }
}
