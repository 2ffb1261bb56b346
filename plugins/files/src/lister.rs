//! Listing folders for the scanner: each entry stat'ed (symlinks never followed), sorted by
//! name, with what to report; and a small pool of threads that lists the folders the scanner
//! asks for ahead of time, so the disk walk runs beside the database work and on every core.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A folder's readable entries, and the names of those that exist but could not be read.
pub type Listing = (Vec<Entry>, HashSet<String>);

pub struct Entry {
    /// Name.
    pub name: String,
    /// Folder or file.
    pub is_dir: bool,
    /// Size (0 for a folder).
    pub size: i64,
    /// mtime.
    pub mtime: i64,
    /// Inode and device (a file's etag is made of them, as ownCloud's local storage makes it).
    pub ino_dev: (u64, u64),
}

/// Something listing a folder has to say: a problem (counted under Errors) or a notice.
pub enum Note {
    /// Counted under Errors.
    Error(String),
    /// Only said.
    Notice(String),
}

/// One folder as listed: its entries (`None` when it could not be listed) and what to say.
pub struct Listed {
    /// The folder.
    pub dir: PathBuf,
    /// Its entries and unreadable names; `None` when it could not be listed.
    pub listing: Option<Listing>,
    /// What to say, in order.
    pub notes: Vec<Note>,
}

/// Lists a folder: each entry stat'ed (symlinks not followed), sorted by name, with the names
/// of entries that exist but could not be read (their cached rows must stay).
pub fn list_dir(dir: &Path, euid: u32, egid: u32) -> Listed {
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
            ino_dev: (meta.ino(), meta.dev()),
        });
    }
    // Name order: new folders get ascending ids in the order they are visited, so their
    // children's rows append to the parent indexes instead of landing all over them.
    out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Some((out, unreadable))
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

/// Folders asked for and not yet taken (bounds what the pool holds).
pub const AHEAD: usize = 64;
/// Entries the pool may hold listed before it waits for the scanner (bounds memory when
/// folders are huge).
const MAX_BUFFERED: usize = 200_000;

#[derive(Default)]
struct State {
    /// Asked for, not started: oldest first, which is the order the scanner needs them.
    queue: VecDeque<PathBuf>,
    /// Listed, not yet taken (keyed by the path's bytes: hashing a `Path` walks components).
    done: HashMap<OsString, Listed>,
    /// Entries held in `done`.
    buffered: usize,
    /// The scanner has gone: workers stop.
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// A folder was asked for, taken, or the pool closed.
    work: Condvar,
    /// A listing is ready.
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No thread holds the lock across a listing or anything that can panic: a poisoned
        // lock still guards consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Threads listing the folders the scanner will visit next. The scanner asks for folders in
/// the order it will need them ([`Lister::ask`]) and takes each listing when it gets there
/// ([`Lister::take`]); a folder still waiting in the queue is listed by the scanner itself,
/// so a full pool never stalls it. Dropping the lister stops the threads.
pub struct Lister {
    shared: Arc<Shared>,
    /// Asked for and not yet taken.
    asked: HashSet<OsString>,
    euid: u32,
    egid: u32,
}

impl Lister {
    /// Starts `threads` listing threads (none: the scanner lists everything itself).
    pub fn start(threads: usize, euid: u32, egid: u32) -> Self {
        let shared = Arc::new(Shared::default());
        for _ in 0..threads {
            let shared = Arc::clone(&shared);
            // A thread that cannot be made is a slower scan, not a failed one: the scanner
            // lists whatever no thread takes.
            let _ = std::thread::Builder::new()
                .name("occ-lister".into())
                .spawn(move || work(&shared, euid, egid));
        }
        Self {
            shared,
            asked: HashSet::new(),
            euid,
            egid,
        }
    }

    /// Whether more folders can be asked for now.
    pub fn has_room(&self) -> bool {
        self.asked.len() < AHEAD
    }

    /// Asks for `dir` to be listed ahead.
    pub fn ask(&mut self, dir: PathBuf) {
        if self.asked.insert(dir.clone().into_os_string()) {
            self.shared.lock().queue.push_back(dir);
            self.shared.work.notify_one();
        }
    }

    /// The listing of `dir`: ready, awaited (listing other folders asked for meanwhile), or
    /// made now when no thread has started it.
    pub fn take(&mut self, dir: &Path) -> Listed {
        if self.asked.remove(dir.as_os_str()) {
            let mut st = self.shared.lock();
            loop {
                if let Some(l) = st.done.remove(dir.as_os_str()) {
                    st.buffered -= l.listing.as_ref().map_or(0, |(e, _)| e.len());
                    drop(st);
                    self.shared.work.notify_all();
                    return l;
                }
                if let Some(i) = st
                    .queue
                    .iter()
                    .position(|d| d.as_os_str() == dir.as_os_str())
                {
                    st.queue.remove(i);
                    break;
                }
                // A thread is listing it: rather than wait idle, list the next folder asked
                // for (the one needed soonest after this).
                if st.buffered < MAX_BUFFERED {
                    if let Some(next) = st.queue.pop_front() {
                        drop(st);
                        let listed = list_dir(&next, self.euid, self.egid);
                        st = self.shared.lock();
                        st.buffered += listed.listing.as_ref().map_or(0, |(e, _)| e.len());
                        st.done.insert(next.into_os_string(), listed);
                        continue;
                    }
                }
                st = self
                    .shared
                    .ready
                    .wait(st)
                    .unwrap_or_else(|p| p.into_inner());
            }
        }
        list_dir(dir, self.euid, self.egid)
    }
}

impl Drop for Lister {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_all();
    }
}

fn work(shared: &Shared, euid: u32, egid: u32) {
    loop {
        let dir = {
            let mut st = shared.lock();
            loop {
                if st.closed {
                    return;
                }
                if st.buffered < MAX_BUFFERED {
                    if let Some(d) = st.queue.pop_front() {
                        break d;
                    }
                }
                st = shared.work.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        };
        // A panic while listing must still answer for the folder, or the scanner would wait
        // for it forever: it becomes a folder that could not be listed (its cache is kept).
        let listed =
            std::panic::catch_unwind(|| list_dir(&dir, euid, egid)).unwrap_or_else(|_| Listed {
                notes: vec![Note::Error(format!(
                    "Cannot read the folder {}: the listing failed",
                    dir.display()
                ))],
                dir: dir.clone(),
                listing: None,
            });
        let mut st = shared.lock();
        st.buffered += listed.listing.as_ref().map_or(0, |(e, _)| e.len());
        st.done.insert(dir.into_os_string(), listed);
        drop(st);
        shared.ready.notify_all();
    }
}
