//! files:scan and files:cleanup against trees the tests build: the cache must equal the tree
//! row by row after a scan, after changes, and stay untouched by an unchanged rescan.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use occ_tests::Instance;
use serde::Deserialize;
use serde_json::Value;

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn add_user(i: &Instance, uid: &str) {
    let mut c = i.command(&["user:add", "--password-from-env", uid]);
    c.env("OC_PASS", "pw");
    assert!(c.output().unwrap().status.success());
}

/// A tree with the awkward cases of the issue.
fn build_tree(files: &Path) {
    fs::create_dir_all(files.join("Docs/Deep/Deeper")).unwrap();
    fs::create_dir_all(files.join("Empty folder")).unwrap();
    fs::create_dir_all(files.join("Müsik 🎵")).unwrap();
    fs::write(files.join("Docs/a.txt"), "hello").unwrap();
    fs::write(files.join("Docs/Deep/b.pdf"), vec![7u8; 1000]).unwrap();
    fs::write(files.join("Docs/Deep/Deeper/c.jpg"), vec![1u8; 300]).unwrap();
    fs::write(
        files.join("Müsik 🎵/sång med mellanslag.mp3"),
        vec![2u8; 42],
    )
    .unwrap();
    fs::write(files.join("empty.bin"), "").unwrap();
    fs::write(files.join("line\nbreak.txt"), "nl").unwrap();
    std::os::unix::fs::symlink("/etc", files.join("escape-link")).unwrap();
}

/// An instance where `uid` has the awkward tree, scanned once.
fn scanned_tree(uid: &str) -> Instance {
    let i = Instance::installed();
    add_user(&i, uid);
    build_tree(&i.root().join("data").join(uid).join("files"));
    assert_eq!(i.run(&["files:scan", uid]).code, 0);
    i
}

/// What the cache must hold for `<home>/files`: path -> (is_dir, size, mtime).
fn expected(home: &Path) -> BTreeMap<String, (bool, i64, i64)> {
    fn walk(dir: &Path, path: &str, out: &mut BTreeMap<String, (bool, i64, i64)>) -> i64 {
        let mut total = 0;
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let meta = fs::symlink_metadata(e.path()).unwrap();
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            if meta.file_type().is_symlink() {
                continue;
            }
            let p = format!("{path}/{name}");
            let size = if meta.is_dir() {
                walk(&e.path(), &p, out)
            } else {
                meta.size() as i64
            };
            total += size;
            out.insert(p, (meta.is_dir(), size, meta.mtime()));
        }
        total
    }
    let mut out = BTreeMap::new();
    let size = walk(&home.join("files"), "files", &mut out);
    out.insert(
        "files".into(),
        (
            true,
            size,
            fs::metadata(home.join("files")).unwrap().mtime(),
        ),
    );
    out
}

fn cache_rows(i: &Instance, uid: &str) -> BTreeMap<String, Value> {
    i.query(&format!(
        "SELECT f.fileid, f.path, f.path_hash, f.parent, f.name, m.mimetype, p.mimetype AS mimepart, f.size, f.mtime, f.storage_mtime, f.etag, f.permissions \
         FROM oc_filecache f JOIN oc_storages s ON s.numeric_id = f.storage JOIN oc_mimetypes m ON m.id = f.mimetype JOIN oc_mimetypes p ON p.id = f.mimepart \
         WHERE s.id = 'home::{uid}'"
    ))
    .into_iter()
    .map(|r| (r["path"].as_str().unwrap().to_string(), Value::Object(r)))
    .collect()
}

/// Checks the cache against the tree, row by row.
fn assert_cache_matches_tree(i: &Instance, uid: &str) {
    let home = i.root().join("data").join(uid);
    let want = expected(&home);
    let rows = cache_rows(i, uid);
    let by_id: BTreeMap<i64, String> = rows
        .values()
        .map(|r| {
            (
                r["fileid"].as_i64().unwrap(),
                r["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut got_paths: Vec<&String> = rows.keys().filter(|p| !p.is_empty()).collect();
    got_paths.sort();
    let want_paths: Vec<&String> = want.keys().collect();
    assert_eq!(got_paths, want_paths);
    for (path, (is_dir, size, mtime)) in &want {
        let r = &rows[path];
        assert_eq!(r["path_hash"], md5_hex(path), "{path}");
        assert_eq!(r["name"], path.rsplit('/').next().unwrap(), "{path}");
        let parent_path = path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        assert_eq!(
            by_id[&r["parent"].as_i64().unwrap()],
            parent_path,
            "parent of {path}"
        );
        assert_eq!(r["size"], *size, "size of {path}");
        assert_eq!(r["mtime"], *mtime, "mtime of {path}");
        assert_eq!(r["storage_mtime"], *mtime, "storage_mtime of {path}");
        assert_eq!(r["permissions"], if *is_dir { 31 } else { 27 }, "{path}");
        if *is_dir {
            assert_eq!(r["etag"].as_str().unwrap().len(), 13, "{path}");
        } else {
            // ownCloud's local storage: md5 of mtime, inode, device and size.
            use std::os::unix::fs::MetadataExt;
            let m = fs::metadata(home.join(path)).unwrap();
            let etag = md5_hex(&format!("{}{}{}{}", m.mtime(), m.ino(), m.dev(), m.size()));
            assert_eq!(r["etag"], etag.as_str(), "{path}");
        }
        if *is_dir {
            assert_eq!(r["mimetype"], "httpd/unix-directory", "{path}");
        } else {
            assert_eq!(
                r["mimepart"],
                r["mimetype"].as_str().unwrap().split('/').next().unwrap(),
                "{path}"
            );
        }
    }
    assert_eq!(rows[""]["parent"], -1);
    assert_eq!(rows[""]["size"], want["files"].1);
}

/// The rows at `changed` got new etags between two reads of the cache; those at `kept` did not.
fn assert_etags(
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
    changed: &[&str],
    kept: &[&str],
) {
    for p in changed {
        assert_ne!(after[*p]["etag"], before[*p]["etag"], "{p}");
    }
    for p in kept {
        assert_eq!(after[*p]["etag"], before[*p]["etag"], "{p}");
    }
}

#[derive(Deserialize, Debug, PartialEq)]
struct Summary {
    folders: u64,
    files: u64,
    new: u64,
    updated: u64,
    removed: u64,
    errors: u64,
    elapsed_seconds: f64,
    items_per_second: u64,
}

fn scan_json(i: &Instance, args: &[&str]) -> (Summary, occ_tests::Out) {
    let mut full = vec!["files:scan", "--output=json"];
    full.extend_from_slice(args);
    let o = i.run(&full);
    let s: Summary = serde_json::from_str(o.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    (s, o)
}

#[test]
fn scan_rescan_and_changes_keep_the_cache_equal_to_the_tree() {
    let i = Instance::installed();
    add_user(&i, "alice");
    let home = i.root().join("data/alice");
    build_tree(&home.join("files"));
    let o = i.run(&["files:scan", "alice"]);
    assert_eq!(o.code, 0, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "",
            "Scanning files for 1 users",
            "Starting scan for user 1 out of 1 (alice)",
            ""
        ]
    );
    assert_eq!(
        lines[4],
        "+---------+-------+-----+---------+---------+--------+--------------+------------------+"
    );
    assert_eq!(
        lines[5],
        "| Folders | Files | New | Updated | Removed | Errors | Elapsed time | Items per second |"
    );
    assert!(
        lines[7]
            .starts_with("| 6       | 6     | 13  | 0       | 0       | 0      | 00:00:00     | "),
        "{}",
        lines[7]
    );
    assert_eq!(
        o.stderr,
        format!(
            "Symlink not followed: {}\n",
            home.join("files/escape-link").display()
        )
    );
    assert_cache_matches_tree(&i, "alice");

    // Unchanged: nothing written, every etag kept.
    let before = cache_rows(&i, "alice");
    let (s, _) = scan_json(&i, &["alice"]);
    assert_eq!(
        (s.folders, s.files, s.new, s.updated, s.removed, s.errors),
        (6, 6, 0, 0, 0, 0)
    );
    assert_eq!(cache_rows(&i, "alice"), before);

    // Add, change, remove a file and remove a folder.
    fs::write(home.join("files/Docs/new.md"), "# new").unwrap();
    fs::write(home.join("files/Docs/Deep/b.pdf"), vec![7u8; 2000]).unwrap();
    fs::remove_file(home.join("files/empty.bin")).unwrap();
    fs::remove_dir_all(home.join("files/Müsik 🎵")).unwrap();
    let (s, _) = scan_json(&i, &["alice"]);
    assert_eq!((s.new, s.removed, s.errors), (1, 3, 0), "{s:?}");
    assert!(s.updated >= 1);
    assert_cache_matches_tree(&i, "alice");
    let after = cache_rows(&i, "alice");
    // The changed file and every folder above it got new etags; an untouched sibling did not.
    assert_etags(
        &before,
        &after,
        &[
            "files/Docs/Deep/b.pdf",
            "files/Docs/Deep",
            "files/Docs",
            "files",
            "",
        ],
        &["files/Docs/Deep/Deeper/c.jpg", "files/Docs/Deep/Deeper"],
    );
    // And the next rescan changes nothing again.
    let (s, _) = scan_json(&i, &["alice"]);
    assert_eq!((s.new, s.updated, s.removed), (0, 0, 0));
    assert_eq!(cache_rows(&i, "alice"), after);
}

#[test]
fn entries_that_cannot_be_read_are_errors_and_the_scan_goes_on() {
    let i = Instance::installed();
    add_user(&i, "bob");
    let files = i.root().join("data/bob/files");
    fs::create_dir_all(&files).unwrap();
    fs::write(files.join("ok.txt"), "ok").unwrap();
    let bad = PathBuf::from(std::ffi::OsStr::from_bytes(b"bad-\xff-name.txt"));
    fs::write(files.join(&bad), "x").unwrap();
    let (s, o) = scan_json(&i, &["bob"]);
    assert_eq!((s.files, s.errors), (1, 1), "{o:?}");
    assert_eq!(o.code, 1, "errors make the exit code 1");
    assert!(
        o.stderr.contains("whose name is not valid UTF-8"),
        "{}",
        o.stderr
    );
    assert!(cache_rows(&i, "bob").contains_key("files/ok.txt"));
}

#[test]
fn an_unreadable_file_is_counted_as_an_error() {
    if !nix::unistd::Uid::effective().is_root() || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run occ as another user");
        return;
    }
    let i = Instance::installed();
    add_user(&i, "carol");
    let files = i.root().join("data/carol/files");
    fs::create_dir_all(files.join("sub")).unwrap();
    fs::write(files.join("sub/inner.txt"), "i").unwrap();
    fs::write(files.join("readable.txt"), "r").unwrap();
    fs::write(files.join("secret.txt"), "s").unwrap();
    // A first scan while everything is readable.
    assert_eq!(i.run(&["files:scan", "carol"]).code, 0);
    let before = cache_rows(&i, "carol");
    let cache = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(i.root())
        .arg(cache.path())
        .status()
        .unwrap();
    assert!(st.success());
    for p in ["secret.txt", "sub"] {
        fs::set_permissions(
            files.join(p),
            std::os::unix::fs::PermissionsExt::from_mode(0o000),
        )
        .unwrap();
    }
    let o = std::process::Command::new("/usr/bin/setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(occ_tests::occ_bin())
        .args(["files:scan", "carol", "--output=json"])
        .current_dir(i.root())
        .env("OCC_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let s: Summary = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("{e}: {out} {}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!((s.files, s.errors, s.removed), (1, 2, 0), "{s:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("secret.txt: permission denied"), "{err}");
    assert!(err.contains("sub: permission denied"), "{err}");
    // What could not be read keeps its rows, unchanged: an I/O or permission problem never
    // deletes cache entries.
    assert_eq!(cache_rows(&i, "carol"), before);
}

#[test]
fn bad_input_is_refused_before_anything_is_scanned() {
    let i = Instance::installed();
    add_user(&i, "alice");
    build_tree(&i.root().join("data/alice/files"));
    for (args, msg, code) in [
        (vec!["files:scan", "ghost"], "Unknown user ghost\n", 1),
        (vec!["files:scan", "alice", "ghost"], "Unknown user ghost\n", 1),
        (vec!["files:scan"], "Please specify the user id to scan, \"--all\" to scan for all users or \"--path=...\"\n", 2),
        (vec!["files:scan", "--path=/alice/files/../../../etc"], "Invalid path \"/alice/files/../../../etc\": it must look like /<user>/files/<folder> and stay inside the data directory.\n", 1),
        (vec!["files:scan", "--path=alice/files"], "Invalid path \"alice/files\": it must look like /<user>/files/<folder> and stay inside the data directory.\n", 1),
        (vec!["files:scan", "--path=/ghost/files"], "Unknown user ghost\n", 1),
        (vec!["files:scan", "--path=/alice/files/Nope"], "Path \"/alice/files/Nope\" does not exist or is not a folder inside the data directory.\n", 1),
        (vec!["files:scan", "--path=/alice/files/escape-link"], "Path \"/alice/files/escape-link\" does not exist or is not a folder inside the data directory.\n", 1),
    ] {
        let o = i.run(&args);
        assert_eq!((o.stdout.as_str(), o.stderr.as_str(), o.code), ("", msg, code), "{args:?}");
    }
    assert!(i.query("SELECT * FROM oc_filecache").is_empty());
    // A user without a home folder: a clear line.
    let o = i.run(&["files:scan", "admin"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "User admin has no home folder yet ({}): nothing to scan\n",
            i.root().join("data/admin/files").display()
        )
    );
}

#[test]
fn path_all_quiet_and_json() {
    let i = Instance::installed();
    add_user(&i, "alice");
    add_user(&i, "bob");
    build_tree(&i.root().join("data/alice/files"));
    fs::create_dir_all(i.root().join("data/bob/files/x")).unwrap();
    // --path limits the scan to the subtree (and the folders above it).
    let (s, _) = scan_json(&i, &["--path=/alice/files/Docs/Deep"]);
    assert_eq!((s.folders, s.files), (2, 2));
    let paths: Vec<String> = cache_rows(&i, "alice").into_keys().collect();
    assert_eq!(
        paths,
        [
            "",
            "files",
            "files/Docs",
            "files/Docs/Deep",
            "files/Docs/Deep/Deeper",
            "files/Docs/Deep/Deeper/c.jpg",
            "files/Docs/Deep/b.pdf"
        ]
    );
    // --all: every user (admin has no home: a line, but not an error for --all).
    let o = i.run(&["files:scan", "--all"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.starts_with("\nScanning files for 3 users\nStarting scan for user 1 out of 3 (admin)\nStarting scan for user 2 out of 3 (alice)\nStarting scan for user 3 out of 3 (bob)\n\n"));
    assert_cache_matches_tree(&i, "alice");
    assert_cache_matches_tree(&i, "bob");
    let o = i.run(&["-q", "files:scan", "--all"]);
    assert_eq!((o.stdout.as_str(), o.stderr.as_str(), o.code), ("", "", 0));
    // --shallow lists only the top folder.
    fs::write(
        i.root().join("data/alice/files/Docs/Deep/Deeper/new.txt"),
        "n",
    )
    .unwrap();
    let (s, _) = scan_json(&i, &["alice", "--shallow"]);
    assert_eq!((s.folders, s.new), (1, 0));
    let (s, _) = scan_json(&i, &["alice"]);
    assert_eq!(s.new, 1);
}

#[test]
fn cleanup_deleted_users_and_repair() {
    let i = Instance::installed();
    add_user(&i, "alice");
    add_user(&i, "bob");
    build_tree(&i.root().join("data/alice/files"));
    fs::create_dir_all(i.root().join("data/bob/files/x")).unwrap();
    assert_eq!(i.run(&["files:scan", "--all"]).code, 0);
    // A deleted user's storage and rows go (the files plugin handles core's user.deleted).
    assert_eq!(i.run(&["user:delete", "bob"]).code, 0);
    assert!(cache_rows(&i, "bob").is_empty());
    assert!(i
        .query("SELECT * FROM oc_storages WHERE id = 'home::bob'")
        .is_empty());
    // Orphans: rows whose storage is gone.
    assert_eq!(
        i.run(&["files:cleanup"]).stdout,
        "0 orphaned file cache entries deleted\n"
    );
    let n = cache_rows(&i, "alice").len();
    i.exec("DELETE FROM oc_storages WHERE id = 'home::alice'");
    assert_eq!(
        i.run(&["files:cleanup"]).stdout,
        format!("{n} orphaned file cache entries deleted\n")
    );
    assert!(i.query("SELECT * FROM oc_filecache").is_empty());
    // Repair: an entry whose parent does not match its path is re-parented.
    assert_eq!(i.run(&["files:scan", "alice"]).code, 0);
    let docs = cache_rows(&i, "alice")["files/Docs"]["fileid"]
        .as_i64()
        .unwrap();
    i.exec(&format!(
        "UPDATE oc_filecache SET parent = {docs} WHERE path = 'files/Docs/Deep/b.pdf'"
    ));
    i.run(&["maintenance:mode", "--on"]);
    let o = i.run(&["maintenance:repair"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.contains(" - Step: Repair mime types\n     - INFO: 0 file cache entries with a wrong mimetype fixed.\n"), "{}", o.stdout);
    assert!(o.stdout.contains(" - Step: Detect file cache entries with path that does not match parent-child relationships\n     - INFO: Fixed 1 entries, removed 0 entries without a parent.\n"), "{}", o.stdout);
    i.run(&["maintenance:mode", "--off"]);
    assert_cache_matches_tree(&i, "alice");
}

#[test]
fn deleting_a_folder_keeps_a_sibling_that_differs_only_in_case() {
    let i = Instance::installed();
    add_user(&i, "dave");
    let files = i.root().join("data/dave/files");
    fs::create_dir_all(files.join("Photos")).unwrap();
    fs::create_dir_all(files.join("photos")).unwrap();
    fs::write(files.join("Photos/a.jpg"), "a").unwrap();
    fs::write(files.join("photos/b.jpg"), "b").unwrap();
    assert_eq!(i.run(&["files:scan", "dave"]).code, 0);
    let id = cache_rows(&i, "dave")["files/photos/b.jpg"]["fileid"].clone();
    fs::remove_dir_all(files.join("Photos")).unwrap();
    let (s, _) = scan_json(&i, &["dave"]);
    assert_eq!((s.removed, s.new), (2, 0), "{s:?}");
    assert_eq!(cache_rows(&i, "dave")["files/photos/b.jpg"]["fileid"], id);
    assert_cache_matches_tree(&i, "dave");
}

#[test]
fn a_change_below_path_gives_every_ancestor_a_new_etag() {
    let i = scanned_tree("erin");
    let files = i.root().join("data/erin/files");
    let before = cache_rows(&i, "erin");
    // Same size, new mtime.
    let f = files.join("Docs/Deep/Deeper/c.jpg");
    let t = fs::metadata(&f).unwrap().modified().unwrap() + std::time::Duration::from_secs(5);
    fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(t)
        .unwrap();
    let (s, _) = scan_json(&i, &["--path=/erin/files/Docs/Deep"]);
    assert!(s.updated >= 1, "{s:?}");
    let after = cache_rows(&i, "erin");
    assert_etags(
        &before,
        &after,
        &[
            "files/Docs/Deep/Deeper/c.jpg",
            "files/Docs/Deep/Deeper",
            "files/Docs/Deep",
            "files/Docs",
            "files",
            "",
        ],
        &["files/Docs/a.txt"],
    );
    assert_cache_matches_tree(&i, "erin");
}

#[test]
fn a_wide_and_deep_tree_is_listed_ahead_in_the_order_it_is_scanned() {
    // More folders than the listing threads run ahead (64), nested three deep.
    let i = Instance::installed();
    add_user(&i, "fay");
    let files = i.root().join("data/fay/files");
    for a in 0..3 {
        for b in 0..40 {
            for c in 0..2 {
                let d = files.join(format!("a{a}/b{b:02}/c{c}"));
                fs::create_dir_all(&d).unwrap();
                fs::write(d.join("f.txt"), format!("{a}{b}{c}")).unwrap();
            }
        }
    }
    let (s, o) = scan_json(&i, &["fay"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        (s.folders, s.files, s.new, s.errors),
        (364, 240, 605, 0),
        "{s:?}"
    );
    assert_cache_matches_tree(&i, "fay");
    // Folders were created in the order they were visited: depth first, by name.
    let ids: Vec<(String, i64)> = i
        .query("SELECT path, fileid FROM oc_filecache WHERE path LIKE 'files/a%/b%/c%' AND name LIKE 'c%' ORDER BY path")
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_string(), r["fileid"].as_i64().unwrap()))
        .collect();
    assert_eq!(ids.len(), 240);
    assert!(ids.windows(2).all(|w| w[0].1 < w[1].1), "{ids:?}");

    // Changes spread over the tree, then an unchanged rescan writes nothing.
    fs::remove_dir_all(files.join("a1/b20")).unwrap();
    fs::write(files.join("a2/b39/c1/g.txt"), "new").unwrap();
    fs::write(files.join("a0/b00/c0/f.txt"), "changed").unwrap();
    let (s, _) = scan_json(&i, &["fay"]);
    assert_eq!((s.new, s.removed, s.errors), (1, 5, 0), "{s:?}");
    assert_cache_matches_tree(&i, "fay");
    let before = cache_rows(&i, "fay");
    let (s, _) = scan_json(&i, &["fay"]);
    assert_eq!((s.new, s.updated, s.removed), (0, 0, 0), "{s:?}");
    assert_eq!(cache_rows(&i, "fay"), before);
}

#[test]
fn a_second_cache_row_of_the_same_name_goes_with_what_lies_below_it() {
    // A damaged cache: two rows named Deep below Docs, the extra one older (lower id) with a
    // stale path and a child of its own. The rescan deletes the extra row and its child; the
    // row whose path is the folder's keeps its id and everything below it.
    let i = scanned_tree("gus");
    let before = cache_rows(&i, "gus");
    let docs = before["files/Docs"]["fileid"].as_i64().unwrap();
    let deep = before["files/Docs/Deep"]["fileid"].as_i64().unwrap();
    i.exec(&format!(
        "INSERT INTO oc_filecache (fileid, storage, path, path_hash, parent, name, mimetype, mimepart, size, mtime, storage_mtime, etag, permissions) \
         SELECT -7, storage, 'files/Docs/Deep-copy', '{}', {docs}, 'Deep', mimetype, mimepart, 0, 0, 0, 'x', 31 FROM oc_filecache WHERE fileid = {deep}; \
         INSERT INTO oc_filecache (storage, path, path_hash, parent, name, mimetype, mimepart, size, mtime, storage_mtime, etag, permissions) \
         SELECT storage, 'files/Docs/Deep-copy/x.txt', '{}', -7, 'x.txt', mimetype, mimepart, 1, 0, 0, 'y', 27 FROM oc_filecache WHERE path = 'files/Docs/a.txt'",
        md5_hex("files/Docs/Deep-copy"),
        md5_hex("files/Docs/Deep-copy/x.txt"),
    ));
    let (s, o) = scan_json(&i, &["gus"]);
    assert_eq!((s.new, s.removed, s.errors), (0, 2, 0), "{s:?} {o:?}");
    let after = cache_rows(&i, "gus");
    for p in [
        "files/Docs/Deep",
        "files/Docs/Deep/b.pdf",
        "files/Docs/Deep/Deeper/c.jpg",
    ] {
        assert_eq!(after[p]["fileid"], before[p]["fileid"], "{p}");
    }
    assert_cache_matches_tree(&i, "gus");
}

#[test]
fn a_cache_row_without_a_name_is_removed() {
    let i = scanned_tree("hal");
    let docs = cache_rows(&i, "hal")["files/Docs"]["fileid"]
        .as_i64()
        .unwrap();
    i.exec(&format!(
        "INSERT INTO oc_filecache (storage, path, path_hash, parent, name, mimetype, mimepart, size, mtime, storage_mtime, etag, permissions) \
         SELECT storage, 'files/Docs/nameless', '{}', {docs}, NULL, mimetype, mimepart, 3, 0, 0, 'z', 27 FROM oc_filecache WHERE path = 'files/Docs/a.txt'",
        md5_hex("files/Docs/nameless"),
    ));
    let (s, o) = scan_json(&i, &["hal"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!((s.new, s.removed, s.errors), (0, 1, 0), "{s:?}");
    assert_cache_matches_tree(&i, "hal");
}

#[test]
fn a_first_scan_of_a_big_tree_loads_in_bulk_and_keeps_every_index() {
    if !occ_tests::sqlite_only("the bulk first scan drops and rebuilds SQLite's indexes") {
        return;
    }
    // Over 10,000 rows into an empty cache: the scan drops the cache's secondary indexes and
    // builds them again at the end (see scanner::BULK_AFTER).
    let i = Instance::installed();
    add_user(&i, "bulk");
    add_user(&i, "small");
    let files = i.root().join("data/bulk/files");
    for d in 0..110 {
        let dir = files.join(format!("d{d:03}"));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..100 {
            fs::write(dir.join(format!("f{f:02}.txt")), "x".repeat(f)).unwrap();
        }
    }
    build_tree(&i.root().join("data/small/files"));
    let indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'oc_filecache' ORDER BY name";
    let before = i.query(indexes);
    assert_eq!(before.len(), 6, "{before:?}");

    let (s, o) = scan_json(&i, &["bulk", "small"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        (s.folders, s.files, s.errors),
        (110 + 1 + 6, 11_000 + 6, 0),
        "{s:?}"
    );
    assert_eq!(s.new, 11_112 + 13, "{s:?}");
    assert_cache_matches_tree(&i, "bulk");
    assert_cache_matches_tree(&i, "small");
    // The same indexes, and every entry of each matches the table.
    assert_eq!(i.query(indexes), before);
    let check = i.query("PRAGMA integrity_check");
    assert_eq!(check.len(), 1, "{check:?}");
    assert_eq!(check[0]["integrity_check"], "ok");

    // The unique (storage, path_hash) index holds again.
    let c = rusqlite::Connection::open(i.db_path()).unwrap();
    let dup = c.execute("INSERT INTO oc_filecache (storage, path, path_hash, parent, name) SELECT storage, path, path_hash, parent, name FROM oc_filecache WHERE path = 'files/d000'", []);
    assert!(
        dup.as_ref()
            .is_err_and(|e| e.to_string().contains("UNIQUE")),
        "{dup:?}"
    );
    drop(c);

    // An unchanged rescan writes nothing.
    let rows = cache_rows(&i, "bulk");
    let (s, _) = scan_json(&i, &["bulk"]);
    assert_eq!((s.new, s.updated, s.removed), (0, 0, 0), "{s:?}");
    assert_eq!(cache_rows(&i, "bulk"), rows);
}
