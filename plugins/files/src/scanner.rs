//! The scanner: brings a user's file cache in line with `<datadir>/<uid>/files`, folder by
//! folder. A depth-first walk keeps one frame per open folder (memory bounded by depth, never
//! by the tree); each folder is listed once (ahead of the scan, by the lister's threads),
//! merged with its cached children (read for up to 64 folders in one query, both sides sorted
//! by name), and only differences are written. Folder sizes and etags are settled when a folder
//! closes (post-order), so changes propagate to the root. Writes are committed in chunks; a
//! big first scan into a nearly empty cache (SQLite) loads in bulk instead, its secondary
//! indexes dropped and built again inside one transaction.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use occ_plugin_api::{Context, DbKind, Error, Transaction};

use crate::cache::{self, Children, Mimetypes, NewRow};
use crate::lister::{list_dir, Lister, Note};

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

/// Row writes between commits: bounds the write lock and the WAL on big first scans. Not
/// fewer: each commit's checkpoint rewrites most of the random `path_hash` index. Measured on
/// 1M files: the scan took 37 s committing every 20k writes and 23-24 s every 250k; SQLite's
/// own insert floor 29.7 s every 20k rows, 17.8 s every 100k, 17.0 s in one transaction. At
/// 250k the write lock is held for a few seconds at a time.
const COMMIT_EVERY: u64 = 250_000;
/// A first scan into a nearly empty file cache (SQLite) drops the cache's secondary indexes
/// once it has written this many rows, and builds them when the tree is done: sorting each
/// index once costs a fraction of keeping the random `path_hash` index in order row by row
/// (1M files: 12-14 s against 24 s). Small trees are not worth the rebuild.
const BULK_AFTER: u64 = 10_000;
/// ... only when the whole file cache holds at most this many rows (indexed again too).
const BULK_MAX_EXISTING: i64 = 50_000;
/// A bulk load ends (indexes built, then committed) after this many rows and the scan goes
/// on in chunks: it holds the write lock and grows the WAL while it lasts.
const BULK_MAX_ROWS: u64 = 2_000_000;
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
    /// Subfolders still to visit, the next one last.
    pending: Vec<Sub>,
    /// How many of the last `pending` were asked of the lister.
    asked: usize,
    size: i64,
    changed: bool,
    cached_size: i64,
    cached_mtime: i64,
    mtime: i64,
}

/// Where a scan stands with bulk loading (see [`BULK_AFTER`]).
enum Bulk {
    Off,
    /// Allowed: the indexes go once `rows` reaches [`BULK_AFTER`].
    Eligible {
        rows: u64,
    },
    /// Indexes dropped; `build` makes them again.
    On {
        build: Vec<String>,
        rows: u64,
    },
}

/// One scan run over one or more users.
pub struct Scanner<'a> {
    ctx: &'a Context,
    /// The scan's transaction (committed every [`COMMIT_EVERY`] writes, rolled back if the
    /// scan fails).
    tx: Transaction<'a>,
    mimes: Mimetypes,
    dir_mime: i64,
    storage: i64,
    opts: Options,
    writes: u64,
    sqlite: bool,
    bulk: Bulk,
    euid: u32,
    egid: u32,
    /// Totals.
    pub stats: Stats,
    reported: u64,
    /// Cached children read ahead for folders about to be visited.
    prefetched: HashMap<i64, Children>,
    /// Folders created in this run: they have no cached children to read.
    fresh: std::collections::HashSet<i64>,
    /// Lists the folders the scan will visit next.
    lister: Option<Lister>,
}

/// A path's mtime (0 when it cannot be read).
fn mtime_of(path: &Path) -> i64 {
    fs::metadata(path).map(|m| m.mtime()).unwrap_or(0)
}

impl<'a> Scanner<'a> {
    /// Prepares a scanner (mimetypes loaded, transaction opened).
    pub fn new(ctx: &'a Context, opts: Options) -> Result<Self, Error> {
        let db = ctx.db();
        let root = ctx.instance()?.root;
        let mut mimes = Mimetypes::load(&db, Path::new(&root))?;
        let dir_mime = mimes.id(&db, cache::DIR_MIME)?;
        let sqlite = db.kind()? == DbKind::Sqlite;
        let tx = db.begin()?;
        Ok(Self {
            ctx,
            tx,
            mimes,
            dir_mime,
            storage: 0,
            opts,
            writes: 0,
            sqlite,
            bulk: Bulk::Off,
            euid: nix::unistd::geteuid().as_raw(),
            egid: nix::unistd::getegid().as_raw(),
            stats: Stats::default(),
            reported: 0,
            prefetched: HashMap::new(),
            fresh: std::collections::HashSet::new(),
            lister: None,
        })
    }

    /// Commits what is pending.
    pub fn finish(self) -> Result<Stats, Error> {
        self.tx.commit()?;
        Ok(self.stats)
    }

    fn wrote(&mut self, n: u64) -> Result<(), Error> {
        self.writes += n;
        match &mut self.bulk {
            Bulk::Off => {}
            Bulk::Eligible { rows } => {
                *rows += n;
                if *rows >= BULK_AFTER {
                    let rows = *rows;
                    let build = cache::drop_indexes(&self.ctx.db())?;
                    self.bulk = Bulk::On { build, rows };
                }
            }
            Bulk::On { rows, .. } => {
                *rows += n;
                if *rows < BULK_MAX_ROWS {
                    // No commit while the indexes are gone.
                    return Ok(());
                }
                self.end_bulk()?;
            }
        }
        if self.writes >= COMMIT_EVERY {
            self.tx.commit_and_continue()?;
            self.writes = 0;
        }
        Ok(())
    }

    /// Builds the indexes a bulk load dropped, if it did.
    fn end_bulk(&mut self) -> Result<(), Error> {
        if let Bulk::On { build, .. } = std::mem::replace(&mut self.bulk, Bulk::Off) {
            cache::build_indexes(&self.ctx.db(), &build)?;
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
            self.ctx.progress(&format!(
                "{} folders, {} files",
                self.stats.folders, self.stats.files
            ))?;
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
            ino_dev: (0, 0),
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
            cache::update(&self.ctx.db(), id, size, mtime, None)?;
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
            let rows = cache::rows_below(&db, self.storage, &path, Some(self.dir_mime))?;
            for (id, p, _) in rows {
                let p = p.as_str();
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
            if self.sqlite
                && !self.opts.shallow
                && cache::bulk_worthy(&db, start.fileid, BULK_MAX_EXISTING)?
            {
                self.bulk = Bulk::Eligible { rows: 0 };
            }
            let changed = self.scan_tree(sub, home.join(&path), path.clone());
            // Before anything reads the cache by path again; after a failed scan too, so that
            // nothing could ever commit the table without its indexes.
            let ended = self.end_bulk();
            let changed = changed?;
            ended?;
            self.settle_ancestors(&home, &path, changed)?;
        }
        Ok(())
    }

    /// Lists one folder, writes what differs, and returns its frame with the subfolders to visit.
    fn open(&mut self, sub: &Sub, fs_path: PathBuf, path: String) -> Result<Frame, Error> {
        let (fileid, cached_size, cached_mtime, mtime) =
            (sub.fileid, sub.cached_size, sub.cached_mtime, sub.mtime);
        let listed = match self.lister.as_mut() {
            Some(l) => l.take(&fs_path),
            None => list_dir(&fs_path, self.euid, self.egid),
        };
        for note in listed.notes {
            match note {
                Note::Error(m) => self.error(m)?,
                Note::Notice(m) => self.ctx.message(&m)?,
            }
        }
        let listing = listed.listing;
        let db = self.ctx.db();
        let cached: Children = match self.prefetched.remove(&fileid) {
            Some(c) => c,
            None if self.fresh.contains(&fileid) => Vec::new(),
            None => cache::children_of(&db, &[fileid], self.dir_mime)?
                .remove(&fileid)
                .unwrap_or_default(),
        };
        let mut frame = Frame {
            fileid,
            fs: fs_path,
            path,
            pending: Vec::new(),
            asked: 0,
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
        // Both sides are sorted by name: one merge pass, no map.
        let mut cached = cached.into_iter().peekable();
        for e in entries {
            while let Some(c) = cached.next_if(|c| c.name < e.name) {
                self.vanished(&mut frame, c, &unreadable)?;
            }
            let mut found = cached.next_if(|c| c.name == e.name);
            if found.is_some() && cached.peek().is_some_and(|c| c.name == e.name) {
                let mut same: Vec<cache::Cached> = found.take().into_iter().collect();
                while let Some(c) = cached.next_if(|c| c.name == e.name) {
                    same.push(c);
                }
                found = Some(self.one_of(&frame.path, same)?);
            }
            match found {
                Some(c) if c.is_dir() == e.is_dir => {
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
                        let size = if c.encrypted > 0 {
                            encrypted_size(
                                &frame.fs.join(&e.name),
                                e.size,
                                c.size,
                                c.mtime == e.mtime,
                            )
                        } else {
                            e.size
                        };
                        frame.size += size;
                        if c.mtime != e.mtime || c.size != size {
                            let etag = cache::file_etag(e.mtime, e.ino_dev, e.size);
                            cache::update(&db, c.fileid, size, e.mtime, Some(etag))?;
                            self.stats.updated += 1;
                            frame.changed = true;
                            self.wrote(1)?;
                        }
                    }
                }
                other => {
                    let child_path = format!("{}/{}", frame.path, e.name);
                    if let Some(c) = other {
                        // A file became a folder or the other way round.
                        let gone = cache::delete_subtree(&db, self.storage, c.fileid, &child_path)?;
                        self.stats.removed += gone;
                        self.wrote(gone)?;
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
                        ino_dev: e.ino_dev,
                    });
                }
            }
        }
        for c in cached {
            self.vanished(&mut frame, c, &unreadable)?;
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

    /// A cached child the listing did not show: kept (with its cached size) when it exists
    /// but could not be read, so an I/O or permission problem never deletes cache entries;
    /// otherwise deleted with everything below it.
    fn vanished(
        &mut self,
        frame: &mut Frame,
        c: cache::Cached,
        unreadable: &HashSet<String>,
    ) -> Result<(), Error> {
        if unreadable.contains(&c.name) {
            frame.size += c.size.max(0);
            return Ok(());
        }
        let db = self.ctx.db();
        let path = format!("{}/{}", frame.path, c.name);
        let gone = cache::delete_subtree(&db, self.storage, c.fileid, &path)?;
        self.stats.removed += gone;
        frame.changed = true;
        self.wrote(gone)
    }

    /// Several cached rows of one name below one folder (a damaged cache; their stored paths
    /// differ, as paths are unique): keeps the one whose stored path is the entry's (else the
    /// oldest) and deletes each other one with what lies below its own stored path.
    fn one_of(&mut self, dir_path: &str, same: Vec<cache::Cached>) -> Result<cache::Cached, Error> {
        let db = self.ctx.db();
        let ids: Vec<i64> = same.iter().map(|c| c.fileid).collect();
        let paths = cache::paths_of(&db, &ids)?;
        let want = same
            .first()
            .map(|c| format!("{dir_path}/{}", c.name))
            .unwrap_or_default();
        let keep = same
            .iter()
            .position(|c| paths.get(&c.fileid) == Some(&want))
            .unwrap_or(0);
        let mut kept = None;
        for (i, c) in same.into_iter().enumerate() {
            if i == keep {
                kept = Some(c);
                continue;
            }
            let gone = match paths.get(&c.fileid).filter(|p| !p.is_empty()) {
                Some(p) => cache::delete_subtree(&db, self.storage, c.fileid, p)?,
                None => cache::delete_row(&db, c.fileid)?,
            };
            self.stats.removed += gone;
            self.wrote(gone)?;
        }
        kept.ok_or_else(|| Error::new("no cached row to keep"))
    }

    /// Settles a closed folder: its size, mtime and etag; true when it changed.
    fn close(&mut self, f: &Frame) -> Result<bool, Error> {
        if f.changed || f.size != f.cached_size || f.mtime != f.cached_mtime {
            let was_new = f.cached_size < 0;
            cache::update(&self.ctx.db(), f.fileid, f.size, f.mtime, None)?;
            if !was_new {
                self.stats.updated += 1;
            }
            self.wrote(1)?;
            return Ok(true);
        }
        Ok(false)
    }

    fn scan_tree(&mut self, start: Sub, fs_path: PathBuf, path: String) -> Result<bool, Error> {
        if !self.opts.shallow {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
            self.lister = Some(Lister::start(threads, self.euid, self.egid));
        }
        let r = self.scan_walked(start, fs_path, path);
        self.lister = None;
        r
    }

    fn scan_walked(&mut self, start: Sub, fs_path: PathBuf, path: String) -> Result<bool, Error> {
        let root = self.open(&start, fs_path, path)?;
        let mut stack = vec![root];
        loop {
            if let Some(lister) = self.lister.as_mut() {
                ask_ahead(lister, &mut stack);
            }
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
                            let got = cache::children_of(&self.ctx.db(), &ids, self.dir_mime)?;
                            self.prefetched.extend(got);
                        }
                    }
                    top.asked = top.asked.saturating_sub(1);
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

/// The size an encrypted file's row keeps: its plaintext's (ownCloud's cache holds that). An
/// unchanged file of the length its plaintext size gives is not read; a changed one is read
/// for its header (a file replaced by plaintext counts its bytes).
fn encrypted_size(path: &Path, len: i64, cached: i64, same_mtime: bool) -> i64 {
    let plain = cache::encrypted_plain_size(len);
    if same_mtime && plain == Some(cached) {
        return cached;
    }
    let mut head = [0u8; 7];
    let has_header = fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && &head == b"HBEGIN:";
    match plain {
        Some(p) if has_header => p,
        _ => len,
    }
}

/// Asks the lister for the next folders the scan will visit, in that order (the top frame's
/// pending subfolders, then those of the frames below), as far as it has room.
fn ask_ahead(lister: &mut Lister, stack: &mut [Frame]) {
    for f in stack.iter_mut().rev() {
        while f.asked < f.pending.len() {
            if !lister.has_room() {
                return;
            }
            let sub = &f.pending[f.pending.len() - 1 - f.asked];
            lister.ask(f.fs.join(&sub.name));
            f.asked += 1;
        }
    }
}
