//! The files plugin's repair steps for `maintenance:repair`.

use occ_plugin_api::prelude::*;

use crate::cache::{self, Mimetypes};

/// "Repair mime types": every file's mimetype and mimepart from its name, as the scanner
/// would set them now.
pub struct RepairMimeTypes;

/// "Detect file cache entries with path that does not match parent-child relationships":
/// re-parents an entry under the folder its path names, or removes it when there is none.
pub struct RepairParents;

impl RepairStep for RepairMimeTypes {
    fn spec(&self) -> RepairSpec {
        RepairSpec {
            id: "mimetypes".into(),
            name: "Repair mime types".into(),
            expensive: false,
        }
    }

    fn run(&self, ctx: &mut Context) -> Result<(), Error> {
        #[derive(serde::Deserialize)]
        struct Row {
            fileid: i64,
            name: Option<String>,
            mimetype: i64,
            mimepart: i64,
        }
        // Pages in fileid order: memory stays that of one page, whatever the cache's size.
        const PAGE: i64 = 5000;
        let db = ctx.db();
        let root = ctx.instance()?.root;
        let mut mimes = Mimetypes::load(&db, std::path::Path::new(&root))?;
        let dir = mimes.id(&db, cache::DIR_MIME)?;
        let mut fixed = 0;
        db.transaction(|db| {
            let mut after = i64::MIN;
            loop {
                let rows: Vec<Row> = db.query_as(
                    "SELECT fileid, name, mimetype, mimepart FROM *PREFIX*filecache WHERE mimetype <> ? AND fileid > ? ORDER BY fileid LIMIT ?",
                    &[json!(dir), json!(after), json!(PAGE)],
                )?;
                let Some(last) = rows.last() else { break };
                after = last.fileid;
                let full = rows.len() as i64 == PAGE;
                for r in rows {
                    let (m, p) = mimes.ids_for(db, r.name.as_deref().unwrap_or_default(), false)?;
                    if (r.mimetype, r.mimepart) != (m, p) {
                        db.execute(
                            "UPDATE *PREFIX*filecache SET mimetype = ?, mimepart = ? WHERE fileid = ?",
                            &[json!(m), json!(p), json!(r.fileid)],
                        )?;
                        fixed += 1;
                    }
                }
                if !full {
                    break;
                }
            }
            Ok(())
        })?;
        ctx.line(&format!(
            "     - INFO: {fixed} file cache entries with a wrong mimetype fixed."
        ))
    }
}

impl RepairStep for RepairParents {
    fn spec(&self) -> RepairSpec {
        RepairSpec {
            id: "parents".into(),
            name:
                "Detect file cache entries with path that does not match parent-child relationships"
                    .into(),
            expensive: false,
        }
    }

    fn run(&self, ctx: &mut Context) -> Result<(), Error> {
        let db = ctx.db();
        // Entries whose parent's path + "/" + name is not their own path (root rows excepted).
        let bad = db.query(
            "SELECT c.fileid, c.storage, c.path FROM *PREFIX*filecache c LEFT JOIN *PREFIX*filecache p ON p.fileid = c.parent \
             WHERE c.path <> '' AND (p.fileid IS NULL OR c.storage <> p.storage OR \
             (CASE WHEN p.path = '' THEN c.name ELSE p.path || '/' || c.name END) <> c.path)",
            &[],
        )?;
        let (mut moved, mut removed) = (0, 0);
        db.transaction(|db| {
            for r in bad {
                let id = r.get("fileid").cloned().unwrap_or(Value::Null);
                let storage = r.get("storage").and_then(Value::as_i64).unwrap_or(0);
                let path = r.get("path").and_then(Value::as_str).unwrap_or_default();
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                match cache::row_at(db, storage, dir)? {
                    Some(parent) => {
                        db.execute(
                            "UPDATE *PREFIX*filecache SET parent = ?, name = ? WHERE fileid = ?",
                            &[json!(parent.fileid), json!(name), id],
                        )?;
                        moved += 1;
                    }
                    None => {
                        removed +=
                            cache::delete_subtree(db, storage, id.as_i64().unwrap_or(0), path)?;
                    }
                }
            }
            Ok(())
        })?;
        ctx.line(&format!(
            "     - INFO: Fixed {moved} entries, removed {removed} entries without a parent."
        ))
    }
}
