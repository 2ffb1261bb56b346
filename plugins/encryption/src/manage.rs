//! The commands that move or replace keys, with ownCloud's texts:
//! `encryption:change-key-storage-root [<newRoot>]` (every key folder renamed under the new root,
//! all targets checked before anything moves), `encryption:recreate-master-key [-y]` (every
//! user's files decrypted with the old master key, a new key pair, every file encrypted with it:
//! resumable, and the old key is dropped only once nothing needs it) and `encryption:migrate
//! [<user_id>...]`, alias `encryption:migrate-keys` (ownCloud 8.0's key layout moved to 8.1's).

use std::path::{Component, Path, PathBuf};

use occ_plugin_api::prelude::*;

use crate::all::{
    can_ask, decrypt_prepare, enabled, encrypt_intro, encrypted_count, homes, list_failures, lock,
    set_enabled, still_encrypted, summary, DECRYPT_FAILED, ENCRYPT_FAILED,
};
use crate::bulk::{Mode, Run};
use crate::commands::{make_system_keys, new_key_id};
use crate::format::MODULE_ID;
use crate::keys::{self, KEY_DIR};

/// What ownCloud writes into a key storage root it adopts.
const MARKER: &str = ".oc_key_storage";
const MARKER_TEXT: &str =
    "ownCloud will detect this folder as key storage root only if this file exists";

fn describe(root: &str) -> &str {
    if root.is_empty() {
        "default storage location"
    } else {
        root
    }
}

/// A key storage root as given: relative to the data folder, no `..`, no empty parts.
fn clean_root(raw: &str) -> Result<String, Error> {
    let mut parts = Vec::new();
    for c in Path::new(raw).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::RootDir | Component::CurDir => {}
            _ => {
                return Err(Error::new(format!(
                    "Invalid key storage root \"{raw}\": it must stay inside the data folder"
                )))
            }
        }
    }
    Ok(parts.join("/"))
}

/// Every uid whose keys may be under a root: users and home storages.
fn all_uids(ctx: &Context) -> Result<Vec<String>, Error> {
    #[derive(serde::Deserialize)]
    struct U {
        uid: String,
    }
    let mut uids: Vec<String> = ctx
        .db()
        .query_as::<U>("SELECT uid FROM *PREFIX*users", &[])?
        .into_iter()
        .map(|u| u.uid)
        .collect();
    uids.extend(homes(ctx, None)?.into_iter().map(|(u, _)| u));
    uids.sort();
    uids.dedup();
    Ok(uids)
}

/// `encryption:change-key-storage-root`.
pub struct ChangeKeyStorageRoot;

impl Command for ChangeKeyStorageRoot {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "encryption:change-key-storage-root",
            "Change key storage root.",
        )
        .arg(Arg::optional(
            "newRoot",
            "New root of the key storage relative to the data folder.",
        ))
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let old = keys::configured_root(ctx)?;
        let new = match input.arg_str("newRoot") {
            Some(raw) => clean_root(&raw)?,
            None => {
                // ownCloud's default answer is no, and -n takes it.
                if !can_ask(ctx)
                    || !ctx.confirm("No storage root given, do you want to reset the key storage root to the default location? (y/n)", false)?
                {
                    return Ok(0);
                }
                String::new()
            }
        };
        if let Some(first) = new.split('/').next().filter(|f| !f.is_empty()) {
            if first == KEY_DIR
                || first.starts_with(".occ-")
                || all_uids(ctx)?.iter().any(|u| u == first)
            {
                return Err(Error::new(format!(
                    "Invalid key storage root \"{new}\": it must not be inside a user's folder or a key folder"
                )));
            }
        }
        if new == old {
            ctx.line(&format!(
                "The key storage root is already {}: nothing to move",
                describe(&old)
            ))?;
            return Ok(0);
        }
        let data = keys::data_dir(ctx)?;
        let at = |root: &str| -> PathBuf {
            if root.is_empty() {
                data.clone()
            } else {
                data.join(root)
            }
        };
        let (from, to) = (at(&old), at(&new));
        let _lock = lock(ctx)?;
        ctx.line(&format!(
            "Change key storage root from {} to {}",
            describe(&old),
            describe(&new)
        ))?;
        ctx.line("Start to move keys:")?;
        if !from.is_dir() {
            ctx.line("No old keys found: Nothing needs to be moved")?;
            return Ok(1);
        }
        if !to.is_dir() {
            return Err(Error::new("New root folder doesn't exist. Please create the folder or check the permissions and try again."));
        }
        // Every move is a rename: the roots must share a file system. All targets are checked
        // before anything moves, and a target that is there while its source is not was moved
        // by a run that stopped (it is left as it is).
        let dev =
            |p: &Path| std::os::unix::fs::MetadataExt::dev(&std::fs::metadata(p).ok()?).into();
        let same_fs: Option<u64> = dev(&from);
        if same_fs != dev(&to) {
            return Err(Error::new(format!(
                "{} is on another file system than {}: keys are moved by renaming, never copied; nothing was changed",
                to.display(),
                from.display()
            )));
        }
        let mut moves = vec![(from.join(KEY_DIR), to.join(KEY_DIR))];
        for uid in all_uids(ctx)? {
            moves.push((from.join(&uid).join(KEY_DIR), to.join(&uid).join(KEY_DIR)));
        }
        moves.retain(|(src, _)| src.is_dir());
        for (_, target) in &moves {
            if target.exists() {
                return Err(Error::new(format!(
                    "new folder '{}' already exists",
                    target.display()
                )));
            }
        }
        let marker = to.join(MARKER);
        if !marker.exists() {
            keys::write_new_key_file(&marker, MARKER_TEXT.as_bytes()).map_err(|_| {
                Error::new(
                    "Can't write to new root folder. Please check the permissions and try again",
                )
            })?;
        }
        for (src, target) in &moves {
            if let Some(parent) = target.parent() {
                keys::make_dir(parent).map_err(Error::new)?;
            }
            std::fs::rename(src, target).map_err(|e| {
                Error::new(format!(
                    "Cannot move {} to {}: {e}; the keys moved so far are under the new root, run the command again to finish",
                    src.display(),
                    target.display()
                ))
            })?;
        }
        ctx.set_app_config("core", "encryption_key_storage_root", Some(&new))?;
        ctx.line("")?;
        ctx.line(&format!(
            "Key storage root successfully changed to {}",
            describe(&new)
        ))?;
        Ok(0)
    }
}

/// `encryption:recreate-master-key`.
pub struct RecreateMasterKey;

impl Command for RecreateMasterKey {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "encryption:recreate-master-key",
            "Replace existing master key with new one. Encrypt the file system with newly created master key",
        )
        .opt(Opt::flag("yes", "Answer yes to all questions").short("y"))
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        if ctx.app_config("encryption", "useMasterKey")?.as_deref() != Some("1") {
            ctx.line("Master key is not enabled.\n")?;
            return Ok(3);
        }
        let question = "Warning: In order to re-create master key, the entire ownCloud filesystem will be decrypted and then encrypted using new master key. Do you want to continue? (y/n)";
        if !input.flag("yes") && (!can_ask(ctx) || !ctx.confirm(question, false)?) {
            ctx.line("The process is abandoned")?;
            return Ok(2);
        }
        let _lock = lock(ctx)?;
        let started = std::time::Instant::now();
        let was_enabled = enabled(ctx)?;
        let old_id = ctx
            .app_config("encryption", "masterKeyId")?
            .unwrap_or_default();
        let say = |text: &str| ctx.line(text);
        say("Decryption started\n")?;
        let users = homes(ctx, None)?;
        let mut run = decrypt_prepare(ctx, &say)?;
        set_enabled(ctx, false)?;
        if let Err(e) = run.users(&users) {
            set_enabled(ctx, was_enabled)?;
            return Err(e);
        }
        ctx.line("\n\n")?;
        ctx.line("\n\n")?;
        let r = run.report;
        let left = if r.failed.is_empty() {
            encrypted_count(ctx)?
        } else {
            0
        };
        if !r.failed.is_empty() || left > 0 {
            if !r.failed.is_empty() {
                list_failures(ctx, &r, DECRYPT_FAILED)?;
            } else {
                ctx.line(&still_encrypted(left))?;
            }
            // The old key stays: files still need it. What was decrypted is encrypted again
            // with it, so the instance is as it was found.
            ctx.line("The master key was kept: files still need it. Encrypting again what was decrypted:")?;
            set_enabled(ctx, true)?;
            let mut again = Run::new(ctx, Mode::Encrypt)?;
            again.users(&users)?;
            let a = again.report;
            ctx.line(&format!(
                "{} files encrypted again with the kept key{}",
                a.done,
                if a.failed.is_empty() {
                    String::new()
                } else {
                    format!(", {} could not be", a.failures())
                }
            ))?;
            set_enabled(ctx, was_enabled)?;
            return Ok(1);
        }
        ctx.line("all files could be decrypted successfully!")?;
        ctx.line("\nDecryption completed\n")?;
        ctx.line("Waiting for creating new masterkey\n")?;
        // Every file is plaintext now: the new keys replace the old ones.
        let id = new_key_id()?;
        make_system_keys(ctx, Some(&id))?;
        ctx.db().transaction(|db| {
            for (key, value) in [
                ("masterKeyId", format!("master_{id}")),
                ("publicShareKeyId", format!("pubShare_{id}")),
                ("recoveryKeyId", format!("recoveryKey_{id}")),
                ("useMasterKey", "1".to_string()),
            ] {
                db.execute(
                    "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES ('encryption', ?, ?) ON CONFLICT (appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
                    &[json!(key), json!(value)],
                )?;
            }
            db.execute(
                "UPDATE *PREFIX*appconfig SET configvalue = 'yes' WHERE appid = 'core' AND configkey = 'encryption_enabled'",
                &[],
            )
            .map(|_| ())
        })?;
        let dir = keys::system_key_dir(&keys::key_root(ctx)?);
        if let Some(old) = old_id.strip_prefix("master_").filter(|o| *o != id) {
            for name in ["master", "pubShare", "recoveryKey"] {
                for kind in ["privateKey", "publicKey"] {
                    let _ = std::fs::remove_file(dir.join(format!("{name}_{old}.{kind}")));
                }
            }
        }
        ctx.line("New masterkey created successfully\n")?;
        ctx.line("Encryption started\n")?;
        encrypt_intro(&say)?;
        let mut run = Run::new(ctx, Mode::Encrypt)?;
        run.users(&users)?;
        ctx.line("\n")?;
        let r = run.report;
        summary(ctx, Mode::Encrypt, &r, started.elapsed().as_secs_f64())?;
        if !r.failed.is_empty() {
            list_failures(ctx, &r, ENCRYPT_FAILED)?;
            return Ok(1);
        }
        ctx.line("\nEncryption completed successfully\n")?;
        ctx.line("\nNote: All users are required to relogin.\n")?;
        Ok(0)
    }
}

/// Renames `src` to `dst` (making `dst`'s folder) unless `dst` is there; true when moved.
fn move_key(src: &Path, dst: &Path) -> Result<bool, Error> {
    if !src.is_file() || dst.exists() {
        return Ok(false);
    }
    if let Some(parent) = dst.parent() {
        keys::make_dir(parent).map_err(Error::new)?;
    }
    std::fs::rename(src, dst).map_err(|e| {
        Error::new(format!(
            "Cannot move {} to {}: {e}",
            src.display(),
            dst.display()
        ))
    })?;
    Ok(true)
}

/// Moves the file keys under `from` (8.0: `<from>/<path>/{fileKey,<id>.shareKey}`) to
/// `<to>/<path>/OC_DEFAULT_MODULE/`, for the paths whose file is under `files` (ownCloud moves
/// a key only when its file exists: a key already moved is never moved again).
fn move_file_keys(from: &Path, to: &Path, files: &Path) -> Result<u64, Error> {
    let mut moved = 0;
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(from.join(&rel)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let sub = rel.join(&name);
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(sub);
            } else if !rel.as_os_str().is_empty() && files.join(&rel).exists() {
                let dst = to.join(&rel).join(MODULE_ID).join(&name);
                if move_key(&e.path(), &dst)? {
                    moved += 1;
                }
            }
        }
    }
    Ok(moved)
}

/// `encryption:migrate`.
pub struct Migrate;

impl Command for Migrate {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("encryption:migrate", "initial migration to encryption 2.0")
            .alias("encryption:migrate-keys")
            .arg(Arg::optional("user_id", "will migrate keys of the given user(s)").multiple())
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let given = input.arg_list("user_id");
        let known = all_uids(ctx)?;
        if let Some(u) = given.iter().find(|u| !known.contains(u)) {
            return Err(Error::new(format!("Unknown user {u}: nothing was changed")));
        }
        let data = keys::data_dir(ctx)?;
        let system = data.join(KEY_DIR);
        let _lock = lock(ctx)?;
        let installed = ctx.app_config("files_encryption", "installed_version")?;
        if given.is_empty() {
            ctx.line("Reorganize system folder structure")?;
            // System key pairs: files_encryption/<id>.privateKey and public_keys/<id>.publicKey.
            if let Ok(rd) = std::fs::read_dir(&system) {
                for e in rd.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if !e.file_type().is_ok_and(|t| t.is_file()) {
                        continue;
                    }
                    move_key(&e.path(), &system.join(MODULE_ID).join(&name))?;
                    if let Some(base) = name.strip_suffix(".privateKey") {
                        let public = format!("{base}.publicKey");
                        move_key(
                            &system.join("public_keys").join(&public),
                            &system.join(MODULE_ID).join(&public),
                        )?;
                    }
                }
            }
            if installed.is_some() {
                move_settings(ctx)?;
            }
            ctx.line("Migrating keys for users on backend Database")?;
        }
        let uids = if given.is_empty() {
            known
        } else {
            given.clone()
        };
        for uid in &uids {
            if given.is_empty() {
                ctx.line(&format!("   {uid}"))?;
            } else {
                ctx.line(&format!("Migrating keys   {uid}"))?;
            }
            let home = data.join(uid);
            let mine = home.join(KEY_DIR);
            if !mine.is_dir() {
                continue;
            }
            let module = mine.join(MODULE_ID);
            move_key(
                &mine.join(format!("{uid}.privateKey")),
                &module.join(format!("{uid}.privateKey")),
            )?;
            move_key(
                &system.join("public_keys").join(format!("{uid}.publicKey")),
                &module.join(format!("{uid}.publicKey")),
            )?;
            let keys_dir = mine.join("keys");
            move_file_keys(&keys_dir, &keys_dir.join("files"), &home.join("files"))?;
            move_file_keys(
                &home.join("files_trashbin").join("keys"),
                &keys_dir.join("files_trashbin"),
                &home.join("files_trashbin"),
            )?;
        }
        // What is left of 8.0's public key folder goes once it is empty.
        let _ = std::fs::remove_dir(system.join("public_keys"));
        if installed.is_some() {
            ctx.db().transaction(|db| {
                db.execute(
                    "UPDATE *PREFIX*filecache SET size = unencrypted_size WHERE encrypted = 1",
                    &[],
                )?;
                db.execute(
                    "DELETE FROM *PREFIX*appconfig WHERE appid = 'files_encryption' AND configkey = 'installed_version'",
                    &[],
                )
                .map(|_| ())
            })?;
        }
        Ok(0)
    }
}

/// 8.0's `files_encryption` app settings and preferences become the `encryption` app's.
fn move_settings(ctx: &Context) -> Result<(), Error> {
    #[derive(serde::Deserialize)]
    struct Setting {
        configkey: String,
        configvalue: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Pref {
        userid: String,
        configkey: String,
        configvalue: Option<String>,
    }
    ctx.db().transaction(|db| {
        let settings: Vec<Setting> = db.query_as(
            "SELECT configkey, configvalue FROM *PREFIX*appconfig WHERE appid = 'files_encryption' AND configkey NOT IN ('installed_version', 'ocsid', 'types', 'enabled')",
            &[],
        )?;
        for s in settings {
            db.execute(
                "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES ('encryption', ?, ?) ON CONFLICT (appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
                &[json!(s.configkey), json!(s.configvalue)],
            )?;
        }
        db.execute(
            "DELETE FROM *PREFIX*appconfig WHERE appid = 'files_encryption' AND configkey <> 'installed_version'",
            &[],
        )?;
        let prefs: Vec<Pref> = db.query_as(
            "SELECT userid, configkey, configvalue FROM *PREFIX*preferences WHERE appid = 'files_encryption'",
            &[],
        )?;
        for p in prefs {
            db.execute(
                "INSERT INTO *PREFIX*preferences (userid, appid, configkey, configvalue) VALUES (?, 'encryption', ?, ?) ON CONFLICT (userid, appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
                &[json!(p.userid), json!(p.configkey), json!(p.configvalue)],
            )?;
        }
        db.execute(
            "DELETE FROM *PREFIX*preferences WHERE appid = 'files_encryption'",
            &[],
        )
        .map(|_| ())
    })
}
