//! The `encryption:*` commands that manage the module and its switch, with ownCloud's texts:
//! `status`, `list-modules`, `show-key-storage-root`, `set-default-module`, `enable` (which
//! makes the master and public share key pairs, as ownCloud does on first use) and `disable`
//! (refused while encrypted files remain).

use std::path::Path;

use occ_plugin_api::prelude::*;

use crate::all::{enabled, encrypted_count, DISPLAY_NAME};
use crate::format::{self, MODULE_ID};
use crate::keys;

fn default_module(ctx: &Context) -> Result<String, Error> {
    Ok(ctx
        .app_config("core", "default_encryption_module")?
        .unwrap_or_else(|| MODULE_ID.to_string()))
}

/// `encryption:status`.
pub struct Status;

impl Command for Status {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("encryption:status", "Lists the current encryption status.")
            .opt(Opt::output_format())
    }
    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        ctx.data(json!({"enabled": enabled(ctx)?, "defaultModule": default_module(ctx)?}))?;
        Ok(0)
    }
}

/// `encryption:list-modules`.
pub struct ListModules;

impl Command for ListModules {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "encryption:list-modules",
            "List all available encryption modules.",
        )
        .opt(Opt::output_format())
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let default = default_module(ctx)? == MODULE_ID;
        match input.opt_str("output").as_deref() {
            Some("json" | "json_pretty") => {
                ctx.data(json!({ MODULE_ID: {"displayName": DISPLAY_NAME, "default": default} }))?
            }
            _ => {
                let mark = if default { " [default*]" } else { "" };
                ctx.line(&format!("  - {MODULE_ID}: {DISPLAY_NAME}{mark}"))?
            }
        }
        Ok(0)
    }
}

/// `encryption:show-key-storage-root`.
pub struct ShowKeyStorageRoot;

impl Command for ShowKeyStorageRoot {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "encryption:show-key-storage-root",
            "Show current key storage root.",
        )
    }
    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        let root = ctx
            .app_config("core", "encryption_key_storage_root")?
            .filter(|r| !r.is_empty());
        let shown = root.unwrap_or_else(|| "default storage location (data/)".into());
        ctx.line(&format!("Current key storage root:  {shown}"))?;
        Ok(0)
    }
}

/// `encryption:set-default-module <module>`.
pub struct SetDefaultModule;

impl Command for SetDefaultModule {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "encryption:set-default-module",
            "Set the encryption default module.",
        )
        .arg(Arg::required(
            "module",
            "ID of the encryption module that should be used",
        ))
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let module = input.arg_str("module").unwrap_or_default();
        if module != MODULE_ID {
            ctx.styled(
                Style::Error,
                &format!("The specified module \"{module}\" does not exist"),
            )?;
            return Ok(1);
        }
        if default_module(ctx)? == module {
            // ownCloud prints a stray second quote here ("X"" is ...).
            ctx.styled(
                Style::Info,
                &format!("\"{module}\" is already the default module"),
            )?;
        } else {
            ctx.set_app_config("core", "default_encryption_module", Some(&module))?;
            ctx.styled(Style::Info, &format!("Set default module to \"{module}\""))?;
        }
        Ok(0)
    }
}

/// The id suffix of the instance's system keys: the config's, else the key files' (a run that
/// stopped after writing them), else a new one (eight hex digits, as ownCloud's).
fn key_id(ctx: &Context, dir: &Path) -> Result<String, Error> {
    if let Some(id) = ctx.app_config("encryption", "masterKeyId")? {
        if let Some(suffix) = id.strip_prefix("master_") {
            return Ok(suffix.to_string());
        }
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(s) = name
                .strip_prefix("master_")
                .and_then(|n| n.strip_suffix(".publicKey"))
            {
                return Ok(s.to_string());
            }
        }
    }
    new_key_id()
}

/// Makes the key pair `<name>.publicKey`/`.privateKey` unless it is there; the private key is
/// protected by `passphrase`. A private key that is there is never replaced: it must open, and
/// its public key is written again from it if that is missing. A public key without its
/// private key is refused (files sealed to it could never be opened).
fn ensure_key_pair(dir: &Path, name: &str, passphrase: &[u8; 32]) -> Result<(), Error> {
    let public = dir.join(format!("{name}.publicKey"));
    let private = dir.join(format!("{name}.privateKey"));
    let e = |e: format::FormatError| Error::new(e.0);
    if !private.exists() {
        if public.exists() {
            return Err(Error::new(format!(
                "{} has no private key beside it ({}): restore it from a backup; nothing was changed",
                public.display(),
                private.display()
            )));
        }
        let key = format::new_key_pair().map_err(e)?;
        let sealed = format::encrypt_private_key(&key, passphrase).map_err(e)?;
        // The private key first: a public key is never there without its private key.
        keys::write_new_key_file(&private, &sealed)?;
    }
    // The private key that is there now (this run's, or one made before or meanwhile).
    let bytes = std::fs::read(&private)
        .map_err(|err| Error::new(format!("Cannot read {}: {err}", private.display())))?;
    let key = format::decrypt_private_key(&bytes, passphrase).map_err(|err| {
        Error::new(format!(
            "{} does not open with this instance's secret: {err}",
            private.display()
        ))
    })?;
    let pem = format::public_key_pem(&key.to_public_key()).map_err(e)?;
    if !keys::write_new_key_file(&public, pem.as_bytes())? {
        let there = std::fs::read(&public)
            .map_err(|err| Error::new(format!("Cannot read {}: {err}", public.display())))?;
        if there != pem.as_bytes() {
            return Err(Error::new(format!(
                "{} is not the public key of {}",
                public.display(),
                private.display()
            )));
        }
    }
    Ok(())
}

/// Makes (or checks) the master and public share key pairs; `id` names a new set (a new
/// master key), else the instance's is used, or made. Returns the id suffix.
pub(crate) fn make_system_keys(ctx: &Context, id: Option<&str>) -> Result<String, Error> {
    let (secret, instanceid) = keys::secrets(ctx)?;
    let dir = keys::system_key_dir(&keys::key_root(ctx)?);
    keys::make_dir(&dir).map_err(Error::new)?;
    let id = match id {
        Some(id) => id.to_string(),
        None => key_id(ctx, &dir)?,
    };
    let master = format!("master_{id}");
    ensure_key_pair(
        &dir,
        &master,
        &format::private_key_passphrase(&secret, &master, &instanceid, &secret),
    )?;
    ensure_key_pair(
        &dir,
        &format!("pubShare_{id}"),
        &format::private_key_passphrase("", "", &instanceid, &secret),
    )?;
    Ok(id)
}

/// A new id suffix for system keys (eight hex digits, as ownCloud's).
pub(crate) fn new_key_id() -> Result<String, Error> {
    let bytes: [u8; 4] = format::random().map_err(|e| Error::new(e.0))?;
    Ok(hex::encode(bytes))
}

/// `encryption:enable`.
pub struct Enable;

impl Command for Enable {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("encryption:enable", "Enable encryption.")
    }
    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        let id = make_system_keys(ctx, None)?;
        let master = format!("master_{id}");
        let share = format!("pubShare_{id}");
        let was = enabled(ctx)?;
        let db = ctx.db();
        db.transaction(|db| {
            // The switches are set; what an earlier setup recorded is kept.
            let put = |app: &str, key: &str, value: &str, replace: bool| {
                let conflict = if replace {
                    "DO UPDATE SET configvalue = excluded.configvalue"
                } else {
                    "DO NOTHING"
                };
                db.execute(
                    &format!("INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES (?, ?, ?) ON CONFLICT (appid, configkey) {conflict}"),
                    &[json!(app), json!(key), json!(value)],
                )
                .map(|_| ())
            };
            put("core", "encryption_enabled", "yes", true)?;
            put("encryption", "enabled", "yes", true)?;
            put("encryption", "types", "filesystem", false)?;
            put("encryption", "masterKeyId", &master, false)?;
            put("encryption", "publicShareKeyId", &share, false)?;
            put("encryption", "recoveryKeyId", &format!("recoveryKey_{id}"), false)?;
            put("encryption", "useMasterKey", "1", false)
        })?;
        ctx.styled(
            Style::Info,
            if was {
                "Encryption is already enabled"
            } else {
                "Encryption enabled"
            },
        )?;
        ctx.line("")?;
        ctx.styled(
            Style::Info,
            &format!("Default module: {}", default_module(ctx)?),
        )?;
        Ok(0)
    }
}

/// `encryption:disable`.
pub struct Disable;

impl Command for Disable {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("encryption:disable", "Disable encryption.")
    }
    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        let n = encrypted_count(ctx)
            .map_err(|_| Error::new("Cannot count the encrypted files: nothing was changed"))?;
        if n > 0 {
            let files = if n == 1 { "file" } else { "files" };
            ctx.styled(
                Style::Error,
                &format!("The system still has {n} encrypted {files}. Please decrypt them all before disabling encryption."),
            )?;
            return Ok(1);
        }
        let was = enabled(ctx)?;
        ctx.db().transaction(|db| {
            db.execute(
                "DELETE FROM *PREFIX*appconfig WHERE appid = 'encryption' AND configkey = 'useMasterKey'",
                &[],
            )?;
            db.execute(
                "UPDATE *PREFIX*appconfig SET configvalue = 'no' WHERE appid = 'core' AND configkey = 'encryption_enabled'",
                &[],
            )
            .map(|_| ())
        })?;
        ctx.styled(Style::Info, "Cleaned up config")?;
        ctx.styled(
            Style::Info,
            if was {
                "Encryption disabled"
            } else {
                "Encryption is already disabled"
            },
        )?;
        Ok(0)
    }
}
