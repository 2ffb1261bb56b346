//! The SQLite floor of `files:scan` (tests/bench/files.sh): the rows of a tree of folders of
//! 100 files into the file cache table with its indexes (copied from an installed instance),
//! through one cached prepared statement in one transaction, with the SQLite occ links.
//! Prints seconds.
//!
//! Usage: sqlite_floor <instance database (for the schema)> <scratch database> <folders>

use std::time::Instant;

use md5::{Digest, Md5};

fn hex(path: &str) -> String {
    Md5::digest(path.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

type Row = (String, String, i64, String, i64, i64, i64, i64);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, src, dst, folders] = args.as_slice() else {
        return Err("usage: sqlite_floor <instance db> <scratch db> <folders>".into());
    };
    let folders: i64 = folders.parse()?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{dst}{suffix}"));
    }
    // The table and its indexes (their names do not contain "filecache": match the table).
    let schema: Vec<String> = {
        let s = rusqlite::Connection::open(src)?;
        let mut st = s.prepare(
            "SELECT sql FROM sqlite_master WHERE sql NOT NULL AND tbl_name LIKE '%filecache' ORDER BY type DESC",
        )?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let db = rusqlite::Connection::open(dst)?;
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    for s in &schema {
        db.execute_batch(s)?;
    }
    let mut rows: Vec<Row> = Vec::new();
    for d in 0..folders {
        let dp = format!("files/d{d:05}");
        rows.push((hex(&dp), dp.clone(), 1, format!("d{d:05}"), 2, 1, -1, 31));
        let parent = rows.len() as i64;
        for f in 0..100 {
            let p = format!("{dp}/f{f:03}.txt");
            rows.push((hex(&p), p, parent, format!("f{f:03}.txt"), 3, 4, f % 7, 27));
        }
    }
    let t = Instant::now();
    db.execute_batch("BEGIN")?;
    {
        let mut st = db.prepare_cached("INSERT INTO oc_filecache (storage, path, path_hash, parent, name, mimetype, mimepart, size, mtime, storage_mtime, etag, permissions) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 1700000000, 1700000000, '0123456789abc', ?)")?;
        for (hash, path, parent, name, mime, part, size, perm) in &rows {
            st.execute(rusqlite::params![
                path, hash, parent, name, mime, part, size, perm
            ])?;
        }
    }
    db.execute_batch("COMMIT")?;
    let line = format!("{:.2}\n", t.elapsed().as_secs_f64());
    std::io::Write::write_all(&mut std::io::stdout().lock(), line.as_bytes())?;
    Ok(())
}
