//! The file cache tables as the scanner needs them: storages, mimetype ids, the cached
//! children of several folders in one read, bulk inserts, updates and subtree deletes.
//!
//! Statements are coarse on purpose: every one is a call through the host (and on PostgreSQL
//! and MariaDB a round trip to the server), so children are read for up to 64 folders at
//! once as typed rows, and new rows go in through one prepared statement per folder.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use md5::{Digest, Md5};
use occ_plugin_api::{Db, Error};
use serde_json::{json, Value};

/// ownCloud's permissions: read, update, create, delete, share for folders; no create for files.
pub const PERMISSIONS_DIR: i64 = 31;
/// See [`PERMISSIONS_DIR`].
pub const PERMISSIONS_FILE: i64 = 27;
/// The mimetype of folders.
pub const DIR_MIME: &str = "httpd/unix-directory";

/// md5 of a cache path, as ownCloud's `path_hash`.
pub fn path_hash(path: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = Md5::digest(path.as_bytes());
    let mut s = String::with_capacity(32);
    for b in d {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// A file's etag as ownCloud's local storage makes it: the md5 of its mtime, inode, device and
/// size written one after the other in decimal.
pub fn file_etag(mtime: i64, (ino, dev): (u64, u64), size: i64) -> String {
    path_hash(&format!("{mtime}{ino}{dev}{size}"))
}

/// A new etag (13 hex characters, like PHP's `uniqid`), unique within and across runs: a
/// SplitMix64 sequence (a bijection of a counter) from a seed of the start time and pid.
pub fn new_etag() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        t ^ (u64::from(std::process::id()) << 40)
    });
    let mut z = seed.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("{:013x}", z & ((1 << 52) - 1))
}

/// A cached child of a folder, as the scanner compares it with the disk.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Cached {
    /// Parent folder's row id.
    #[serde(rename = "p")]
    pub parent: i64,
    /// Name.
    #[serde(rename = "n")]
    pub name: String,
    /// Row id.
    #[serde(rename = "i")]
    pub fileid: i64,
    /// storage_mtime.
    #[serde(rename = "m")]
    pub mtime: i64,
    /// size (-1: folder not fully scanned).
    #[serde(rename = "s")]
    pub size: i64,
    /// 1 for a folder.
    #[serde(rename = "d")]
    pub dir: i64,
    /// `encrypted`: the version of an encrypted file's blocks, 0 for plaintext.
    #[serde(rename = "e", default)]
    pub encrypted: i64,
}

/// The plaintext size of a file of `len` bytes in ownCloud's default encryption format: an
/// 8,192-byte header, then blocks of 8,192 bytes holding 8,096 plaintext bytes each, the last
/// one with 96 bytes of IV and signature after its plaintext. `None` for a length no such file
/// has. (The encryption plugin owns the format; the scanner needs only this.)
pub fn encrypted_plain_size(len: i64) -> Option<i64> {
    let body = len.checked_sub(8192).filter(|b| *b >= 0)?;
    let tail = match body % 8192 {
        0 => 0,
        r if r > 96 => r - 96,
        _ => return None,
    };
    Some(body / 8192 * 8096 + tail)
}

impl Cached {
    /// Whether it is a folder.
    pub fn is_dir(&self) -> bool {
        self.dir != 0
    }
}

fn int(v: Option<&Value>) -> i64 {
    v.and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
    .unwrap_or(0)
}

/// The storage's numeric id, created when missing.
pub fn ensure_storage(db: &Db<'_>, id: &str) -> Result<i64, Error> {
    let q = "SELECT numeric_id FROM *PREFIX*storages WHERE id = ?";
    if let Some(r) = db.query(q, &[json!(id)])?.first() {
        return Ok(int(r.get("numeric_id")));
    }
    db.execute(
        "INSERT INTO *PREFIX*storages (id, available) VALUES (?, 1)",
        &[json!(id)],
    )?;
    db.query(q, &[json!(id)])?
        .first()
        .map(|r| int(r.get("numeric_id")))
        .ok_or_else(|| Error::new("the storage could not be created"))
}

/// Mimetype ids, loaded once and extended as new types appear, and the mapping that names a
/// file's type.
pub struct Mimetypes {
    ids: HashMap<String, i64>,
    mapping: crate::mimetypes::Mapping,
}

impl Mimetypes {
    /// Loads the known mimetypes, and the mapping of the instance at `root`.
    pub fn load(db: &Db<'_>, root: &std::path::Path) -> Result<Self, Error> {
        let ids = db
            .query("SELECT id, mimetype FROM *PREFIX*mimetypes", &[])?
            .iter()
            .filter_map(|r| Some((r.get("mimetype")?.as_str()?.to_string(), int(r.get("id")))))
            .collect();
        Ok(Self {
            ids,
            mapping: crate::mimetypes::Mapping::load(root),
        })
    }

    /// The id of a mimetype, inserted when new.
    pub fn id(&mut self, db: &Db<'_>, mime: &str) -> Result<i64, Error> {
        if let Some(id) = self.ids.get(mime) {
            return Ok(*id);
        }
        db.execute(
            "INSERT INTO *PREFIX*mimetypes (mimetype) VALUES (?)",
            &[json!(mime)],
        )?;
        let id = db
            .query(
                "SELECT id FROM *PREFIX*mimetypes WHERE mimetype = ?",
                &[json!(mime)],
            )?
            .first()
            .map(|r| int(r.get("id")))
            .ok_or_else(|| Error::new(format!("the mimetype {mime} could not be stored")))?;
        self.ids.insert(mime.to_string(), id);
        Ok(id)
    }

    /// (mimetype id, mimepart id) of a file name or of a folder.
    pub fn ids_for(&mut self, db: &Db<'_>, name: &str, is_dir: bool) -> Result<(i64, i64), Error> {
        let mime = if is_dir {
            DIR_MIME.to_string()
        } else {
            self.mapping.of(name).to_string()
        };
        let part = mime.split('/').next().unwrap_or("application").to_string();
        // The part first, as ownCloud stores a new type.
        let part = self.id(db, &part)?;
        Ok((self.id(db, &mime)?, part))
    }
}

/// A folder's cached children, sorted by name (byte order, as the scanner's listings).
pub type Children = Vec<Cached>;

/// The cached children of several folders, by parent, in one statement: typed rows with
/// one-letter column names (the host writes SQLite rows straight into the reply).
pub fn children_of(
    db: &Db<'_>,
    parents: &[i64],
    dir_mime: i64,
) -> Result<HashMap<i64, Children>, Error> {
    let mut out: HashMap<i64, Children> = parents.iter().map(|p| (*p, Vec::new())).collect();
    if parents.is_empty() {
        return Ok(out);
    }
    let marks = vec!["?"; parents.len()].join(",");
    // A NULL name (the column allows it) reads as "": no entry has it, so the row goes.
    let sql = format!("SELECT parent AS p, COALESCE(name, '') AS n, fileid AS i, storage_mtime AS m, size AS s, CASE WHEN mimetype = ? THEN 1 ELSE 0 END AS d, encrypted AS e FROM *PREFIX*filecache WHERE parent IN ({marks}) ORDER BY parent, name, fileid");
    let mut params = vec![json!(dir_mime)];
    params.extend(parents.iter().map(|p| json!(p)));
    for row in db.query_as::<Cached>(&sql, &params)? {
        out.entry(row.parent).or_default().push(row);
    }
    // Byte order whatever the database's collation: the scanner merges by it.
    for children in out.values_mut() {
        children.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    }
    Ok(out)
}

/// A row to insert.
pub struct NewRow {
    /// Cache path.
    pub path: String,
    /// Name.
    pub name: String,
    /// Folder or file.
    pub is_dir: bool,
    /// Mimetype and mimepart ids.
    pub mime: (i64, i64),
    /// Size (-1 for a folder not scanned yet).
    pub size: i64,
    /// mtime.
    pub mtime: i64,
    /// A file's inode and device, for its etag.
    pub ino_dev: (u64, u64),
}

/// Inserts rows below one parent: one prepared single-row INSERT run for every row, in one
/// host call. (Tried: multi-row INSERTs of up to 400 rows, which made SQLite keep a statement
/// journal of every page they touched, about a fifth of a first scan; and one JSON parameter
/// expanded by SQLite's `json_each`, slower still.)
pub fn insert(db: &Db<'_>, storage: i64, parent: i64, rows: &[NewRow]) -> Result<(), Error> {
    type Params<'a> = (
        i64,
        &'a str,
        String,
        i64,
        &'a str,
        i64,
        i64,
        i64,
        i64,
        i64,
        String,
        i64,
    );
    let params: Vec<Params<'_>> = rows
        .iter()
        .map(|r| {
            (
                storage,
                r.path.as_str(),
                path_hash(&r.path),
                parent,
                r.name.as_str(),
                r.mime.0,
                r.mime.1,
                r.size,
                r.mtime,
                r.mtime,
                if r.is_dir {
                    new_etag()
                } else {
                    file_etag(r.mtime, r.ino_dev, r.size)
                },
                if r.is_dir {
                    PERMISSIONS_DIR
                } else {
                    PERMISSIONS_FILE
                },
            )
        })
        .collect();
    db.execute_many_of(
        "INSERT INTO *PREFIX*filecache (storage, path, path_hash, parent, name, mimetype, mimepart, size, mtime, storage_mtime, etag, permissions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        &params,
    )?;
    Ok(())
}

/// Ids of the folders directly below `parent`, by name.
pub fn child_dirs(db: &Db<'_>, parent: i64, dir_mime: i64) -> Result<HashMap<String, i64>, Error> {
    Ok(db
        .query(
            "SELECT fileid, name FROM *PREFIX*filecache WHERE parent = ? AND mimetype = ?",
            &[json!(parent), json!(dir_mime)],
        )?
        .iter()
        .filter_map(|r| Some((r.get("name")?.as_str()?.to_string(), int(r.get("fileid")))))
        .collect())
}

/// Updates a changed file or folder with a new etag (a folder's when `etag` is `None`).
pub fn update(
    db: &Db<'_>,
    fileid: i64,
    size: i64,
    mtime: i64,
    etag: Option<String>,
) -> Result<(), Error> {
    let etag = etag.unwrap_or_else(new_etag);
    db.execute(
        "UPDATE *PREFIX*filecache SET size = ?, mtime = ?, storage_mtime = ?, etag = ? WHERE fileid = ?",
        &[json!(size), json!(mtime), json!(mtime), json!(etag), json!(fileid)],
    )?;
    Ok(())
}

/// Escapes LIKE's wildcards with `!` (a backslash is no escape character on MySQL without
/// NO_BACKSLASH_ESCAPES).
fn like_escape(s: &str) -> String {
    s.replace('!', "!!").replace('%', "!%").replace('_', "!_")
}

/// The rows below folder `path` (at any depth): LIKE narrows, the exact prefix decides. The
/// same query on every database (SQLite's LIKE ignores ASCII case, so `photos/x` comes along
/// with `Photos/`; the prefix check keeps it out).
pub fn rows_below(
    db: &Db<'_>,
    storage: i64,
    path: &str,
    only_unscanned_folders_of: Option<i64>,
) -> Result<Vec<(i64, String, i64)>, Error> {
    #[derive(serde::Deserialize)]
    struct Below {
        fileid: i64,
        path: String,
        size: i64,
    }
    let prefix = format!("{path}/");
    let pattern = format!("{}%", like_escape(&prefix));
    let rows: Vec<Below> = match only_unscanned_folders_of {
        None => db.query_as(
            "SELECT fileid, path, size FROM *PREFIX*filecache WHERE storage = ? AND path LIKE ? ESCAPE '!'",
            &[json!(storage), json!(pattern)],
        )?,
        Some(dir_mime) => db.query_as(
            "SELECT fileid, path, size FROM *PREFIX*filecache WHERE storage = ? AND mimetype = ? AND size < 0 AND path LIKE ? ESCAPE '!' ORDER BY path",
            &[json!(storage), json!(dir_mime), json!(pattern)],
        )?,
    };
    Ok(rows
        .into_iter()
        .filter(|r| r.path.starts_with(&prefix))
        .map(|r| (r.fileid, r.path, r.size))
        .collect())
}

/// Deletes a row and, for a folder, everything below it; returns how many rows went.
pub fn delete_subtree(db: &Db<'_>, storage: i64, fileid: i64, path: &str) -> Result<u64, Error> {
    let ids: Vec<serde_json::Value> = rows_below(db, storage, path, None)?
        .into_iter()
        .map(|(id, _, _)| json!(id))
        .collect();
    // A statement per thousand rows (a round trip per row is what a server would cost).
    let mut below = 0;
    for part in ids.chunks(1000) {
        let marks = vec!["?"; part.len()].join(",");
        below += db.execute(
            &format!("DELETE FROM *PREFIX*filecache WHERE fileid IN ({marks})"),
            part,
        )?;
    }
    Ok(below + delete_row(db, fileid)?)
}

/// The stored paths of some rows, by id (a NULL path reads as "").
pub fn paths_of(db: &Db<'_>, ids: &[i64]) -> Result<HashMap<i64, String>, Error> {
    #[derive(serde::Deserialize)]
    struct P {
        i: i64,
        t: String,
    }
    let marks = vec!["?"; ids.len()].join(",");
    let rows: Vec<P> = db.query_as(
        &format!("SELECT fileid AS i, COALESCE(path, '') AS t FROM *PREFIX*filecache WHERE fileid IN ({marks})"),
        &ids.iter().map(|i| json!(i)).collect::<Vec<_>>(),
    )?;
    Ok(rows.into_iter().map(|r| (r.i, r.t)).collect())
}

/// Deletes one row (and nothing below it); returns how many rows went.
pub fn delete_row(db: &Db<'_>, fileid: i64) -> Result<u64, Error> {
    db.execute(
        "DELETE FROM *PREFIX*filecache WHERE fileid = ?",
        &[json!(fileid)],
    )
}

/// What the cache holds for one path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Row id.
    pub fileid: i64,
    /// size (-1: folder not fully scanned).
    pub size: i64,
    /// storage_mtime.
    pub mtime: i64,
}

/// Whether a scan starting at folder `start` may load in bulk (see [`drop_indexes`]): the
/// folder has no cached children and the whole file cache holds at most `max_rows` rows
/// (they are indexed again too).
pub fn bulk_worthy(db: &Db<'_>, start: i64, max_rows: i64) -> Result<bool, Error> {
    let rows = db.query(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM *PREFIX*filecache LIMIT ?)) AS n, EXISTS (SELECT 1 FROM *PREFIX*filecache WHERE parent = ?) AS c",
        &[json!(max_rows + 1), json!(start)],
    )?;
    let r = rows.first();
    Ok(int(r.and_then(|r| r.get("n"))) <= max_rows && int(r.and_then(|r| r.get("c"))) == 0)
}

/// Drops the file cache's secondary indexes (SQLite, inside the scan's transaction), all but
/// (parent, name), which the scan reads; returns the statements that build them again. Other
/// connections never see the table without them: the transaction builds them again before it
/// commits, or rolls back.
pub fn drop_indexes(db: &Db<'_>) -> Result<Vec<String>, Error> {
    let rows = db.query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '*PREFIX*filecache' AND sql IS NOT NULL AND name <> '*PREFIX*fs_parent_name_hash' ORDER BY name",
        &[],
    )?;
    let mut build = Vec::with_capacity(rows.len());
    for r in &rows {
        let (Some(name), Some(sql)) = (
            r.get("name").and_then(Value::as_str),
            r.get("sql").and_then(Value::as_str),
        ) else {
            continue;
        };
        db.execute(
            &format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")),
            &[],
        )?;
        build.push(sql.to_string());
    }
    Ok(build)
}

/// Builds the indexes [`drop_indexes`] dropped. SQLite sorts each in one pass: in runs of
/// 1 MiB (its sorter takes the page cache's size as the run size; at the scan's 16 MiB, peak
/// memory grew by 60 MiB at 1M files, and small runs sort faster), spilled to a temporary file,
/// with one helper thread.
pub fn build_indexes(db: &Db<'_>, build: &[String]) -> Result<(), Error> {
    let setting = |name: &str| -> Result<i64, Error> {
        let rows = db.query(&format!("PRAGMA {name}"), &[])?;
        Ok(int(rows.first().and_then(|r| r.get(name))))
    };
    let (cache_size, temp_store) = (setting("cache_size")?, setting("temp_store")?);
    db.execute("PRAGMA temp_store = FILE", &[])?;
    db.query("PRAGMA threads = 1", &[])?;
    db.execute("PRAGMA cache_size = -1024", &[])?;
    let r = build
        .iter()
        .try_for_each(|sql| db.execute(sql, &[]).map(|_| ()));
    db.execute(&format!("PRAGMA cache_size = {cache_size}"), &[])?;
    db.query("PRAGMA threads = 0", &[])?;
    db.execute(&format!("PRAGMA temp_store = {temp_store}"), &[])?;
    r
}

/// The row at a cache path.
pub fn row_at(db: &Db<'_>, storage: i64, path: &str) -> Result<Option<Row>, Error> {
    Ok(db
        .query(
            "SELECT fileid, size, storage_mtime FROM *PREFIX*filecache WHERE storage = ? AND path_hash = ?",
            &[json!(storage), json!(path_hash(path))],
        )?
        .first()
        .map(|r| Row { fileid: int(r.get("fileid")), size: int(r.get("size")), mtime: int(r.get("storage_mtime")) }))
}

/// Sum of the sizes of a folder's children.
pub fn children_size(db: &Db<'_>, parent: i64) -> Result<i64, Error> {
    Ok(db
        .query("SELECT COALESCE(SUM(CASE WHEN size > 0 THEN size ELSE 0 END), 0) AS s FROM *PREFIX*filecache WHERE parent = ?", &[json!(parent)])?
        .first()
        .map(|r| int(r.get("s")))
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_etags() {
        assert_eq!(path_hash("files"), "45b963397aa40d4a0063e0d85e4fe7a1");
        assert_eq!(path_hash(""), "d41d8cd98f00b204e9800998ecf8427e");
        let (a, b) = (new_etag(), new_etag());
        assert_eq!(a.len(), 13);
        assert_ne!(a, b);
        // ownCloud's: md5 of mtime, inode, device and size in decimal.
        assert_eq!(file_etag(1, (2, 3), 4), path_hash("1234"));
    }
}
