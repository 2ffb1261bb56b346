//! The files plugin's scanner, in process on a temporary SQLite instance: a first
//! `files:scan` writes one `oc_filecache` row per entry (paths, hashes, parent links, sizes,
//! mtimes, mimetypes, permissions) and prints the reference report; the compare step of a
//! rescan writes only the differences (unchanged rows keep id and etag; a changed file and the
//! folders above it get new etags and sizes; removed entries' rows go; new ones are added; a
//! file that became a folder is replaced); the `Scanner` library's exact counts; refused input;
//! and a deleted user's cache going with it (the `user.deleted` event).
//!
//! Users come from [`Users`], a stand-in for the core plugin's `user.exists` and `user.list`
//! services: two first-party plugin rlibs cannot be linked into one test binary yet (each
//! `export_plugin!` defines the same exported root-module symbol).

// Helpers outside #[test] functions unwrap too (clippy's allow-unwrap-in-tests covers only tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use occ_plugin_api::prelude::*;
use occ_plugin_files::cache::path_hash;
use occ_plugin_files::scanner::{Options, Scanner, Stats};
use occ_plugin_files::FILES;
use occ_plugin_test_support::{Output, TestInstance};
use serde_json::Map;

/// Core's user services over a list of uids kept in the system config (`test_users`).
struct Users;

impl Plugin for Users {
    fn id(&self) -> &str {
        "test-users"
    }
    fn version(&self) -> &str {
        "1.0.0"
    }
    fn namespaces(&self) -> Vec<String> {
        Vec::new()
    }
    fn commands(&self) -> &[&dyn Command] {
        &[]
    }
    fn services(&self) -> Vec<String> {
        vec!["user.exists".into(), "user.list".into()]
    }
    fn service(&self, name: &str, payload: &Value, ctx: &mut Context) -> Result<Value, Error> {
        let all = ctx
            .system_config("test_users")?
            .unwrap_or_else(|| json!([]));
        match name {
            "user.list" => Ok(all),
            "user.exists" => Ok(json!(all
                .as_array()
                .is_some_and(|a| a.contains(&payload["uid"])))),
            other => Err(Error::new(format!("unknown service {other}"))),
        }
    }
}

static USERS: Users = Users;

/// An installed instance (files, and the user services) with these users.
fn instance(uids: &[&str]) -> TestInstance {
    let t = TestInstance::installed(&[&FILES, &USERS]);
    let mut set = Map::new();
    set.insert("test_users".into(), json!(uids));
    t.with_context(|ctx| ctx.update_system_config(set, &[]))
        .unwrap();
    t
}

fn files_dir(t: &TestInstance, uid: &str) -> PathBuf {
    t.data_dir().join(uid).join("files")
}

/// Writes a file and gives it an mtime of `secs` after the epoch-ish base.
fn write(path: &Path, content: &[u8], secs: u64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
    set_mtime(path, secs);
}

fn set_mtime(path: &Path, secs: u64) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn mtime(path: &Path) -> i64 {
    fs::metadata(path).unwrap().mtime()
}

/// The test tree: three levels, an empty folder, an empty file, several mimetypes.
fn build_tree(files: &Path) {
    write(&files.join("Docs/a.txt"), b"hello", 1_700_000_001);
    write(&files.join("Docs/Deep/b.pdf"), &[7u8; 1000], 1_700_000_002);
    write(&files.join("photo.jpg"), &[1u8; 300], 1_700_000_003);
    write(&files.join("empty.bin"), b"", 1_700_000_004);
    fs::create_dir_all(files.join("Empty folder")).unwrap();
}

/// A user's cache rows by path, with mimetype names instead of ids.
fn cache_rows(t: &TestInstance, uid: &str) -> BTreeMap<String, Map<String, Value>> {
    t.query(
        "SELECT f.fileid, f.path, f.path_hash, f.parent, f.name, m.mimetype, p.mimetype AS mimepart, f.size, f.mtime, f.storage_mtime, f.etag, f.permissions \
         FROM *PREFIX*filecache f JOIN *PREFIX*storages s ON s.numeric_id = f.storage \
         JOIN *PREFIX*mimetypes m ON m.id = f.mimetype JOIN *PREFIX*mimetypes p ON p.id = f.mimepart \
         WHERE s.id = ?",
        &[json!(format!("home::{uid}"))],
    )
    .into_iter()
    .map(|r| (r["path"].as_str().unwrap().to_string(), r))
    .collect()
}

fn fileid(rows: &BTreeMap<String, Map<String, Value>>, path: &str) -> i64 {
    rows[path]["fileid"].as_i64().unwrap()
}

/// Checks one row: its parent is the row of the parent path; name, hash, size, mtimes,
/// mimetype and permissions as given.
fn assert_row(
    rows: &BTreeMap<String, Map<String, Value>>,
    path: &str,
    size: i64,
    mtime: i64,
    mime: &str,
) {
    let r = &rows[path];
    let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
    let is_dir = mime == "httpd/unix-directory";
    let want = json!({
        "fileid": r["fileid"],
        "path": path,
        "path_hash": path_hash(path),
        "parent": if path.is_empty() { json!(-1) } else { json!(fileid(rows, parent)) },
        "name": path.rsplit('/').next().unwrap(),
        "mimetype": mime,
        "mimepart": mime.split('/').next().unwrap(),
        "size": size,
        "mtime": mtime,
        "storage_mtime": mtime,
        "etag": r["etag"],
        "permissions": if is_dir { 31 } else { 27 },
    });
    assert_eq!(Value::Object(r.clone()), want, "{path}");
    // A folder's etag is uniqid()'s form, a file's an md5 (ownCloud's local storage).
    let len = if is_dir { 13 } else { 32 };
    assert_eq!(r["etag"].as_str().unwrap().len(), len, "{path}");
}

/// The scan's counts from `--output=json` (timings left out), with the command's output.
fn scan_json(t: &TestInstance, args: &[&str]) -> (Value, Output) {
    let mut full = vec!["files:scan", "--output=json"];
    full.extend_from_slice(args);
    let o = t.run(&full);
    let mut v: Map<String, Value> =
        serde_json::from_str(o.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    assert!(v.remove("elapsed_seconds").unwrap().is_number(), "{o:?}");
    assert!(v.remove("items_per_second").unwrap().is_u64(), "{o:?}");
    (Value::Object(v), o)
}

fn counts(folders: u64, files: u64, new: u64, updated: u64, removed: u64) -> Value {
    json!({"folders": folders, "files": files, "new": new, "updated": updated, "removed": removed, "errors": 0})
}

#[test]
fn a_first_scan_writes_a_row_per_entry_and_prints_the_report() {
    let t = instance(&["alice"]);
    let files = files_dir(&t, "alice");
    build_tree(&files);
    std::os::unix::fs::symlink("/etc", files.join("escape-link")).unwrap();

    let o = t.run(&["files:scan", "alice"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        o.stderr,
        format!(
            "Symlink not followed: {}\n",
            files.join("escape-link").display()
        )
    );
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 9, "{}", o.stdout);
    let rule =
        "+---------+-------+-----+---------+---------+--------+--------------+------------------+";
    assert_eq!(
        lines[..7],
        [
            "",
            "Scanning files for 1 users",
            "Starting scan for user 1 out of 1 (alice)",
            "",
            rule,
            "| Folders | Files | New | Updated | Removed | Errors | Elapsed time | Items per second |",
            rule,
        ]
    );
    // Folders: files, Docs, Deep, Empty folder; new rows: those, the 4 files and the root.
    let prefix = "| 4       | 4     | 9   | 0       | 0       | 0      | 00:00:00     | ";
    assert!(lines[7].starts_with(prefix), "{}", lines[7]);
    let per_second = lines[7][prefix.len()..].trim_end_matches('|').trim();
    assert!(per_second.parse::<u64>().is_ok(), "{}", lines[7]);
    assert_eq!(lines[7].len(), rule.len());
    assert_eq!(lines[8], rule);

    let rows = cache_rows(&t, "alice");
    assert_eq!(
        rows.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "",
            "files",
            "files/Docs",
            "files/Docs/Deep",
            "files/Docs/Deep/b.pdf",
            "files/Docs/a.txt",
            "files/Empty folder",
            "files/empty.bin",
            "files/photo.jpg",
        ]
    );
    let dir = "httpd/unix-directory";
    assert_row(&rows, "files/Docs/a.txt", 5, 1_700_000_001, "text/plain");
    assert_row(
        &rows,
        "files/Docs/Deep/b.pdf",
        1000,
        1_700_000_002,
        "application/pdf",
    );
    assert_row(&rows, "files/photo.jpg", 300, 1_700_000_003, "image/jpeg");
    assert_row(
        &rows,
        "files/empty.bin",
        0,
        1_700_000_004,
        // ownCloud's mapping's type for .bin.
        "application/x-bin",
    );
    assert_row(
        &rows,
        "files/Empty folder",
        0,
        mtime(&files.join("Empty folder")),
        dir,
    );
    assert_row(
        &rows,
        "files/Docs/Deep",
        1000,
        mtime(&files.join("Docs/Deep")),
        dir,
    );
    assert_row(&rows, "files/Docs", 1005, mtime(&files.join("Docs")), dir);
    assert_row(&rows, "files", 1305, mtime(&files), dir);
    assert_row(&rows, "", 1305, mtime(files.parent().unwrap()), dir);
    let mut etags: Vec<&Value> = rows.values().map(|r| &r["etag"]).collect();
    etags.sort_by_key(|e| e.as_str().unwrap());
    etags.dedup();
    assert_eq!(etags.len(), rows.len(), "every etag differs");
    // One storage for the user, every row in it.
    let storages = t.query("SELECT numeric_id, id FROM *PREFIX*storages", &[]);
    assert_eq!(storages.len(), 1);
    assert_eq!(storages[0]["id"], "home::alice");
    assert_eq!(
        t.query("SELECT COUNT(*) AS n FROM *PREFIX*filecache", &[])[0]["n"],
        9
    );
}

#[test]
fn an_unchanged_rescan_writes_nothing() {
    let t = instance(&["alice"]);
    build_tree(&files_dir(&t, "alice"));
    let (c, _) = scan_json(&t, &["alice"]);
    assert_eq!(c, counts(4, 4, 9, 0, 0));
    let before = cache_rows(&t, "alice");
    let (c, o) = scan_json(&t, &["alice"]);
    assert_eq!((o.stderr.as_str(), o.code), ("", 0));
    assert_eq!(c, counts(4, 4, 0, 0, 0));
    assert_eq!(cache_rows(&t, "alice"), before);
}

#[test]
fn a_rescan_writes_only_the_differences() {
    let t = instance(&["alice"]);
    let files = files_dir(&t, "alice");
    build_tree(&files);
    assert_eq!(t.run(&["files:scan", "alice"]).code, 0);
    let before = cache_rows(&t, "alice");

    // Change a file's content and mtime, remove a file, add a folder with a file in it.
    write(&files.join("Docs/a.txt"), b"hello world", 1_700_000_100);
    fs::remove_file(files.join("photo.jpg")).unwrap();
    write(&files.join("New/c.md"), b"# new", 1_700_000_200);
    let (c, o) = scan_json(&t, &["alice"]);
    assert_eq!(o.code, 0, "{o:?}");
    // Updated: a.txt, and the folders whose size changed (Docs, files); New is not counted
    // as updated, it is new.
    assert_eq!(c, counts(5, 4, 2, 3, 1));

    let after = cache_rows(&t, "alice");
    assert_eq!(
        after.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "",
            "files",
            "files/Docs",
            "files/Docs/Deep",
            "files/Docs/Deep/b.pdf",
            "files/Docs/a.txt",
            "files/Empty folder",
            "files/New",
            "files/New/c.md",
            "files/empty.bin",
        ]
    );
    // Untouched entries: their rows exactly as they were.
    for p in [
        "files/Docs/Deep",
        "files/Docs/Deep/b.pdf",
        "files/Empty folder",
        "files/empty.bin",
    ] {
        assert_eq!(after[p], before[p], "{p}");
    }
    // The changed file keeps its id and gets a new etag, size and mtime.
    assert_eq!(
        after["files/Docs/a.txt"]["fileid"],
        before["files/Docs/a.txt"]["fileid"]
    );
    assert_row(&after, "files/Docs/a.txt", 11, 1_700_000_100, "text/plain");
    // Every folder above a change: same id, new etag, new size.
    for (p, size) in [("files/Docs", 1011), ("files", 1016), ("", 1016)] {
        assert_eq!(after[p]["fileid"], before[p]["fileid"], "{p}");
        assert_ne!(after[p]["etag"], before[p]["etag"], "{p}");
        assert_eq!(after[p]["size"], size, "{p}");
    }
    assert_eq!(after["files"]["mtime"], mtime(&files));
    assert_ne!(
        after["files/Docs/a.txt"]["etag"],
        before["files/Docs/a.txt"]["etag"]
    );
    // New entries below their parents, with fresh ids.
    let max_before = before
        .values()
        .map(|r| r["fileid"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_row(
        &after,
        "files/New",
        5,
        mtime(&files.join("New")),
        "httpd/unix-directory",
    );
    assert_row(&after, "files/New/c.md", 5, 1_700_000_200, "text/markdown");
    assert!(fileid(&after, "files/New") > max_before);
    assert!(fileid(&after, "files/New/c.md") > max_before);
    // The removed file's row is gone from the table.
    assert!(t
        .query(
            "SELECT fileid FROM *PREFIX*filecache WHERE fileid = ?",
            &[before["files/photo.jpg"]["fileid"].clone()]
        )
        .is_empty());

    // And the next rescan finds nothing to do.
    let (c, _) = scan_json(&t, &["alice"]);
    assert_eq!(c, counts(5, 4, 0, 0, 0));
    assert_eq!(cache_rows(&t, "alice"), after);
}

#[test]
fn a_new_mtime_alone_is_a_change_and_reaches_the_root() {
    let t = instance(&["erin"]);
    let files = files_dir(&t, "erin");
    build_tree(&files);
    assert_eq!(t.run(&["files:scan", "erin"]).code, 0);
    let before = cache_rows(&t, "erin");
    set_mtime(&files.join("Docs/Deep/b.pdf"), 1_700_000_500);
    let (c, _) = scan_json(&t, &["erin"]);
    // b.pdf; its folders keep their sizes and mtimes, but a change below gives them new
    // etags (Deep, Docs, files are counted; the root is settled after the walk).
    assert_eq!(c, counts(4, 4, 0, 4, 0));
    let after = cache_rows(&t, "erin");
    assert_row(
        &after,
        "files/Docs/Deep/b.pdf",
        1000,
        1_700_000_500,
        "application/pdf",
    );
    for p in [
        "files/Docs/Deep/b.pdf",
        "files/Docs/Deep",
        "files/Docs",
        "files",
        "",
    ] {
        assert_ne!(after[p]["etag"], before[p]["etag"], "{p}");
        assert_eq!(after[p]["fileid"], before[p]["fileid"], "{p}");
        assert_eq!(after[p]["size"], before[p]["size"], "{p}");
    }
    for p in [
        "files/Docs/a.txt",
        "files/photo.jpg",
        "files/Empty folder",
        "files/empty.bin",
    ] {
        assert_eq!(after[p], before[p], "{p}");
    }
}

#[test]
fn a_file_that_became_a_folder_is_replaced_with_what_is_below_it() {
    let t = instance(&["bob"]);
    let files = files_dir(&t, "bob");
    build_tree(&files);
    assert_eq!(t.run(&["files:scan", "bob"]).code, 0);
    let before = cache_rows(&t, "bob");
    // photo.jpg becomes a folder with a file; Docs/Deep (a folder) goes with its file.
    fs::remove_file(files.join("photo.jpg")).unwrap();
    write(&files.join("photo.jpg/inner.txt"), b"abc", 1_700_000_300);
    fs::remove_dir_all(files.join("Docs/Deep")).unwrap();
    let (c, _) = scan_json(&t, &["bob"]);
    // Removed: the file row photo.jpg, Deep and b.pdf; new: the folder photo.jpg, inner.txt.
    assert_eq!(c, counts(4, 3, 2, 2, 3));
    let after = cache_rows(&t, "bob");
    assert_eq!(
        after.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "",
            "files",
            "files/Docs",
            "files/Docs/a.txt",
            "files/Empty folder",
            "files/empty.bin",
            "files/photo.jpg",
            "files/photo.jpg/inner.txt",
        ]
    );
    assert_ne!(
        after["files/photo.jpg"]["fileid"],
        before["files/photo.jpg"]["fileid"]
    );
    assert_row(
        &after,
        "files/photo.jpg",
        3,
        mtime(&files.join("photo.jpg")),
        "httpd/unix-directory",
    );
    assert_row(
        &after,
        "files/photo.jpg/inner.txt",
        3,
        1_700_000_300,
        "text/plain",
    );
    assert_row(
        &after,
        "files/Docs",
        5,
        mtime(&files.join("Docs")),
        "httpd/unix-directory",
    );
    assert_eq!(after["files"]["size"], 8);
    assert_eq!(after[""]["size"], 8);
    assert_eq!(after["files/Docs/a.txt"], before["files/Docs/a.txt"]);
    assert_eq!(
        t.query(
            "SELECT COUNT(*) AS n FROM *PREFIX*filecache WHERE path LIKE 'files/Docs/Deep%'",
            &[]
        )[0]["n"],
        0
    );
}

#[test]
fn the_scanner_library_counts_exactly() {
    let t = instance(&["alice", "bob"]);
    build_tree(&files_dir(&t, "alice"));
    write(&files_dir(&t, "bob").join("x/y.txt"), b"y", 1_700_000_400);
    let datadir = t.data_dir();
    let scan = |uids: &[&str], opts: Options, sub: Option<&str>| -> Stats {
        t.with_context(|ctx| {
            let mut s = Scanner::new(ctx, opts)?;
            for uid in uids {
                s.scan_user(uid, &datadir, sub)?;
            }
            s.finish()
        })
        .unwrap()
    };
    let stats = |folders, files, new, updated, removed| Stats {
        folders,
        files,
        new,
        updated,
        removed,
        errors: 0,
    };
    // Both users in one run: alice as above; bob's files, x, y.txt and the root.
    assert_eq!(
        scan(&["alice", "bob"], Options::default(), None),
        stats(4 + 2, 4 + 1, 9 + 4, 0, 0)
    );
    assert_eq!(
        scan(&["alice", "bob"], Options::default(), None),
        stats(6, 5, 0, 0, 0)
    );
    // Below a path: only that subtree is listed.
    write(
        &files_dir(&t, "alice").join("Docs/Deep/n.txt"),
        b"n",
        1_700_000_401,
    );
    assert_eq!(
        scan(&["alice"], Options::default(), Some("Docs/Deep")),
        stats(1, 2, 1, 1, 0)
    );
    let rows = cache_rows(&t, "alice");
    assert_row(
        &rows,
        "files/Docs/Deep/n.txt",
        1,
        1_700_000_401,
        "text/plain",
    );
    assert_eq!(rows["files/Docs/Deep"]["size"], 1001);
    assert_eq!(rows["files/Docs"]["size"], 1006);
    assert_eq!(rows["files"]["size"], 1306);
    assert_eq!(rows[""]["size"], 1306);
    // Shallow: the top folder's entries only; a new file deeper down is not seen.
    write(
        &files_dir(&t, "alice").join("Docs/later.txt"),
        b"later",
        1_700_000_402,
    );
    let shallow = Options {
        shallow: true,
        unscanned: false,
    };
    assert_eq!(scan(&["alice"], shallow, None), stats(1, 2, 0, 0, 0));
    assert!(!cache_rows(&t, "alice").contains_key("files/Docs/later.txt"));
    assert_eq!(
        scan(&["alice"], Options::default(), None),
        stats(4, 6, 1, 2, 0)
    );
    // Bob's cache was never touched by alice's scans.
    assert_eq!(cache_rows(&t, "bob").len(), 4);
}

#[test]
fn bad_input_is_refused_before_anything_is_scanned() {
    let t = instance(&["alice", "nohome"]);
    build_tree(&files_dir(&t, "alice"));
    for (args, msg, code) in [
        (vec!["files:scan", "ghost"], "Unknown user ghost\n", 1),
        (vec!["files:scan", "alice", "ghost"], "Unknown user ghost\n", 1),
        (
            vec!["files:scan"],
            "Please specify the user id to scan, \"--all\" to scan for all users or \"--path=...\"\n",
            2,
        ),
        (
            vec!["files:scan", "--path=/alice/files/../../../etc"],
            "Invalid path \"/alice/files/../../../etc\": it must look like /<user>/files/<folder> and stay inside the data directory.\n",
            1,
        ),
        (vec!["files:scan", "--path=/ghost/files"], "Unknown user ghost\n", 1),
        (
            vec!["files:scan", "--path=/alice/files/Nope"],
            "Path \"/alice/files/Nope\" does not exist or is not a folder inside the data directory.\n",
            1,
        ),
        (
            vec!["files:scan", "--path=/alice/files/photo.jpg"],
            "Path \"/alice/files/photo.jpg\" does not exist or is not a folder inside the data directory.\n",
            1,
        ),
    ] {
        let o = t.run(&args);
        assert_eq!(
            (o.stdout.as_str(), o.stderr.as_str(), o.code),
            ("", msg, code),
            "{args:?}"
        );
    }
    assert!(t.query("SELECT * FROM *PREFIX*filecache", &[]).is_empty());
    assert!(t.query("SELECT * FROM *PREFIX*storages", &[]).is_empty());
    // A user without a home folder: a line on stderr and exit 1, nothing written.
    let o = t.run(&["files:scan", "nohome"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "User nohome has no home folder yet ({}): nothing to scan\n",
            files_dir(&t, "nohome").display()
        )
    );
    assert!(t.query("SELECT * FROM *PREFIX*filecache", &[]).is_empty());
}

#[test]
fn a_deleted_users_cache_goes_with_the_user_deleted_event() {
    let t = instance(&["alice", "bob"]);
    build_tree(&files_dir(&t, "alice"));
    write(&files_dir(&t, "bob").join("x/y.txt"), b"y", 1_700_000_400);
    let o = t.run(&["files:scan", "--all"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stdout.starts_with(
            "\nScanning files for 2 users\nStarting scan for user 1 out of 2 (alice)\nStarting scan for user 2 out of 2 (bob)\n\n"
        ),
        "{}",
        o.stdout
    );
    let alice = cache_rows(&t, "alice");
    assert_eq!(cache_rows(&t, "bob").len(), 4);

    // What core's user:delete emits; the event reaches the files plugin through the host.
    t.with_context(|ctx| ctx.emit("user.deleted", json!({"uid": "bob", "home": ""})))
        .unwrap();
    assert!(cache_rows(&t, "bob").is_empty());
    assert!(t
        .query("SELECT * FROM *PREFIX*storages WHERE id = 'home::bob'", &[])
        .is_empty());
    assert_eq!(cache_rows(&t, "alice"), alice);
    assert_eq!(
        t.query("SELECT COUNT(*) AS n FROM *PREFIX*filecache", &[])[0]["n"],
        json!(alice.len())
    );
    assert_eq!(
        t.run(&["files:cleanup"]).stdout,
        "0 orphaned file cache entries deleted\n"
    );
}
