//! `encryption:encrypt-all [-y]` and `encryption:decrypt-all [-c yes|no] [user]`, with
//! ownCloud's texts, over the [`bulk`](crate::bulk) engine: every user with files, whether or
//! not they ever logged in; failures named by path and exit 1; a complete decrypt-all turns
//! encryption off. One bulk run at a time (`<datadir>/.occ-encryption.lock`).

use std::fs::File;
use std::io::IsTerminal;

use occ_plugin_api::prelude::*;

use crate::bulk::{Mode, Report, Run};
use crate::keys;

/// Whether server-side encryption is on (core's `encryption_enabled`).
pub(crate) fn enabled(ctx: &Context) -> Result<bool, Error> {
    Ok(ctx.app_config("core", "encryption_enabled")?.as_deref() == Some("yes"))
}

/// Turns server-side encryption on or off (core's `encryption_enabled`).
pub(crate) fn set_enabled(ctx: &Context, on: bool) -> Result<(), Error> {
    ctx.set_app_config(
        "core",
        "encryption_enabled",
        Some(if on { "yes" } else { "no" }),
    )
}

/// The module's name in headlines.
pub(crate) const DISPLAY_NAME: &str = "Default encryption module";

/// Takes the bulk lock for the rest of the process (released when it exits, however it ends).
pub(crate) fn lock(ctx: &Context) -> Result<File, Error> {
    let path = keys::data_dir(ctx)?.join(".occ-encryption.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::new(format!("Cannot open {}: {e}", path.display())))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
            "Another encryption:encrypt-all, decrypt-all or recreate-master-key is running: nothing was changed",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::new(format!(
            "Cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// Whether a question can be asked: not under `-n`, and with a terminal to answer it.
pub(crate) fn can_ask(ctx: &Context) -> bool {
    ctx.env().interactive && std::io::stdin().is_terminal()
}

pub(crate) fn json_wanted(input: &Input) -> bool {
    matches!(
        input.opt_str("output").as_deref(),
        Some("json" | "json_pretty")
    )
}

/// Home storages (`home::<uid>`) and their users, in uid order; only `only`'s when given.
pub(crate) fn homes(ctx: &Context, only: Option<&str>) -> Result<Vec<(String, i64)>, Error> {
    #[derive(serde::Deserialize)]
    struct S {
        id: String,
        numeric_id: i64,
    }
    let rows: Vec<S> = match only {
        Some(uid) => ctx.db().query_as(
            "SELECT id, numeric_id FROM *PREFIX*storages WHERE id = ?",
            &[json!(format!("home::{uid}"))],
        )?,
        None => ctx.db().query_as(
            "SELECT id, numeric_id FROM *PREFIX*storages WHERE id LIKE 'home::%' ORDER BY id",
            &[],
        )?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|s| Some((s.id.strip_prefix("home::")?.to_string(), s.numeric_id)))
        // A uid that is no folder name of its own is no home occ can find.
        .filter(|(uid, _)| !uid.is_empty() && uid != "." && uid != ".." && !uid.contains('/'))
        .collect())
}

/// How many files the cache says are encrypted.
pub fn encrypted_count(ctx: &Context) -> Result<i64, Error> {
    ctx.db()
        .query(
            "SELECT COUNT(*) AS n FROM *PREFIX*filecache WHERE encrypted > 0",
            &[],
        )?
        .first()
        .and_then(|r| r.get("n"))
        .and_then(Value::as_i64)
        .ok_or_else(|| Error::new("Cannot count the encrypted files"))
}

/// Whether a user's key folder holds a file key: files an encryption stopped before recording.
fn keys_left(ctx: &Context) -> Result<bool, Error> {
    let root = keys::key_root(ctx)?;
    for (uid, _) in homes(ctx, None)? {
        let mut stack = vec![root.join(&uid).join(keys::KEY_DIR).join("keys")];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(e.path());
                } else if e.file_name() == "fileKey" {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

pub(crate) fn report_json(ctx: &Context, mode: Mode, r: &Report) -> Result<(), Error> {
    let failed: Vec<Value> = r
        .failed
        .iter()
        .flat_map(|(_, files)| files.iter())
        .map(|(path, why)| json!({"path": path, "error": why}))
        .collect();
    let (done, already) = match mode {
        Mode::Encrypt => ("encrypted", "alreadyEncrypted"),
        Mode::Decrypt => ("decrypted", "alreadyDecrypted"),
    };
    ctx.data(json!({
        "users": r.users,
        done: r.done,
        already: r.already,
        "missing": r.missing,
        "failed": failed,
    }))
}

pub(crate) fn summary(ctx: &Context, mode: Mode, r: &Report, secs: f64) -> Result<(), Error> {
    let (done, already) = match mode {
        Mode::Encrypt => ("encrypted", "already encrypted"),
        Mode::Decrypt => ("decrypted", "already decrypted"),
    };
    ctx.verbose(
        1,
        &format!(
            "{} files {done}, {} {already}, {} missing on disk, {} failed, for {} users in {secs:.2} s",
            r.done,
            r.already,
            r.missing,
            r.failures(),
            r.users
        ),
    )
}

/// The module's lines before it encrypts (ownCloud's `EncryptAll::encryptAll`).
pub(crate) fn encrypt_intro(say: &dyn Fn(&str) -> Result<(), Error>) -> Result<(), Error> {
    let headline = format!("Encrypt all files with the {DISPLAY_NAME}");
    for line in [
        "\n",
        &headline,
        &"=".repeat(headline.len()),
        "\n",
        "Use master key to encrypt all files.",
        "\n",
        "Start to encrypt users files",
        "----------------------------",
        "",
        "\n",
    ] {
        say(line)?;
    }
    Ok(())
}

/// The lines before decryption (ownCloud's `DecryptAll::decryptAll` and the module's
/// `prepareDecryptAll`), around opening the master key: the run that decrypts.
pub(crate) fn decrypt_prepare<'a>(
    ctx: &'a Context,
    say: &dyn Fn(&str) -> Result<(), Error>,
) -> Result<Run<'a>, Error> {
    say("prepare encryption modules...")?;
    say("")?;
    say(&format!("Prepare \"{DISPLAY_NAME}\""))?;
    say("")?;
    let run = Run::new(ctx, Mode::Decrypt)?;
    say("Using master key for decryption")?;
    say(" done.")?;
    say("\n")?;
    Ok(run)
}

/// ownCloud's head of decrypt-all's failures (its trailing spaces included).
pub(crate) const DECRYPT_FAILED: &[&str] = &[
    "Files for following users couldn't be decrypted, ",
    "maybe the user is not set up in a way that supports this operation: ",
];

/// The head of encrypt-all's failures.
pub(crate) const ENCRYPT_FAILED: &[&str] =
    &["Files for following users couldn't be encrypted; they were left as they are:"];

/// What a decryption says of rows it left encrypted that no failure names.
pub(crate) fn still_encrypted(n: i64) -> String {
    format!("{n} files are still encrypted where occ does not decrypt (storages other than users' homes, or folders other than files, versions and trash bin)")
}

pub(crate) fn list_failures(ctx: &Context, r: &Report, head: &[&str]) -> Result<(), Error> {
    for h in head {
        ctx.line(h)?;
    }
    for (uid, files) in &r.failed {
        ctx.line(&format!("    {uid}"))?;
        for (path, why) in files {
            ctx.line(&format!("           {path} - {why}"))?;
        }
    }
    ctx.line("")
}

/// `encryption:encrypt-all`.
pub struct EncryptAll;

impl Command for EncryptAll {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("encryption:encrypt-all", "Encrypt all files for all users.")
            .help("This will encrypt all files for all users. Please make sure that no user accesses their files during this process!")
            .opt(Opt::flag("yes", "Answer yes to all questions").short("y"))
            .opt(Opt::output_format())
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        if !enabled(ctx)? {
            return Err(Error::new("Server side encryption is not enabled"));
        }
        let master = ctx
            .app_config("encryption", "useMasterKey")?
            .unwrap_or_default();
        let user_keys = ctx
            .app_config("encryption", "userSpecificKey")?
            .unwrap_or_default();
        if master.is_empty() && user_keys.is_empty() {
            return Err(Error::new("None of the encryption modules is enabled"));
        }
        if master != "1" {
            return Err(Error::new(
                "Only master key encryption (useMasterKey) is supported: nothing was changed",
            ));
        }
        if ctx
            .app_config("encryption", "encryptHomeStorage")?
            .as_deref()
            == Some("0")
        {
            return Err(Error::new(
                "The encryption app is set not to encrypt users' home storages (encryptHomeStorage is 0): nothing to encrypt",
            ));
        }
        let yes = input.flag("yes");
        if !yes && !can_ask(ctx) {
            return Err(Error::new(
                "encryption:encrypt-all asks before it starts and cannot ask here (no terminal, or --no-interaction): pass --yes to start it; nothing was changed",
            ));
        }
        let json = json_wanted(input);
        let say = |text: &str| if json { Ok(()) } else { ctx.line(text) };
        let _lock = lock(ctx)?;
        say("\n")?;
        say("You are about to encrypt all files stored in your ownCloud installation.")?;
        say("Depending on the number of available files, and their size, this may take quite some time.")?;
        say("Please ensure that no user accesses their files during this time!")?;
        say("Note: The encryption module you use determines which files get encrypted.")?;
        say("")?;
        if !yes && !ctx.confirm("Do you really want to continue? (y/n)", false)? {
            say("aborted")?;
            return Ok(1);
        }
        let started = std::time::Instant::now();
        let mut run = Run::new(ctx, Mode::Encrypt)?;
        encrypt_intro(&say)?;
        run.users(&homes(ctx, None)?)?;
        say("\n")?;
        let r = run.report;
        if json {
            report_json(ctx, Mode::Encrypt, &r)?;
        } else if !r.failed.is_empty() {
            list_failures(ctx, &r, ENCRYPT_FAILED)?;
        }
        summary(ctx, Mode::Encrypt, &r, started.elapsed().as_secs_f64())?;
        Ok(if r.failed.is_empty() { 0 } else { 1 })
    }
}

/// `encryption:decrypt-all`.
pub struct DecryptAll;

impl Command for DecryptAll {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("encryption:decrypt-all", "Disable server-side encryption and decrypt all files.")
            .help("This will disable server-side encryption and decrypt all files for all users if it is supported by your encryption module. Please make sure that no user accesses their files during this process!")
            .arg(Arg::optional("user", "User for whom you want to decrypt all files (optional).").default_value(""))
            .opt(Opt::optional_value("method", "Use recovery or password. If recovery method is chosen then the recovery password will be used to decrypt files. If password method is chosen then individual user passwords will be used to decrypt files.").short("m"))
            .opt(Opt::optional_value("continue", "Provide yes or no. Whether to ask for permission to continue.").short("c").default_value("no"))
            .opt(Opt::output_format())
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let confirmed = input.opt_str("continue").unwrap_or_else(|| "no".into());
        if confirmed != "yes" && confirmed != "no" {
            ctx.line("Continue can accept either yes or no")?;
            return Ok(2);
        }
        if input.opt_str("method").is_some_and(|m| !m.is_empty()) {
            return Err(Error::new(
                "--method applies to per-user keys; this instance uses the master key: nothing was changed",
            ));
        }
        let uid = input.arg_str("user").unwrap_or_default();
        let was_enabled = enabled(ctx)?;
        let encrypted = encrypted_count(ctx)?;
        let json = json_wanted(input);
        let say = |text: &str| if json { Ok(()) } else { ctx.line(text) };
        if !was_enabled && encrypted == 0 && !keys_left(ctx)? {
            say("Server side encryption not enabled. Nothing to do.")?;
            if json {
                report_json(ctx, Mode::Decrypt, &Report::default())?;
            }
            return Ok(0);
        }
        if confirmed != "yes" && !can_ask(ctx) {
            return Err(Error::new(
                "encryption:decrypt-all asks before it starts and cannot ask here (no terminal, or --no-interaction): pass --continue=yes to start it; nothing was changed",
            ));
        }
        if !uid.is_empty()
            && !ctx
                .service("user.exists", json!({ "uid": uid }))?
                .as_bool()
                .unwrap_or(false)
        {
            // Checked before anything changes (ownCloud turned encryption off first).
            return Err(Error::new(format!(
                "User \"{uid}\" does not exist. Please check the username and try again"
            )));
        }
        let _lock = lock(ctx)?;
        if was_enabled {
            say("Disable server side encryption... done.")?;
        } else {
            // A run that stopped halfway left encryption off and files encrypted.
            say(&format!(
                "Server side encryption is disabled, but {encrypted} files are still encrypted: decrypting them."
            ))?;
        }
        let whose = if uid.is_empty() {
            "your ownCloud".to_string()
        } else {
            format!("{uid}'s account")
        };
        say("\n")?;
        say(&format!(
            "You are about to start to decrypt all files stored in {whose}."
        ))?;
        say("It will depend on the encryption module and your setup if this is possible.")?;
        say("Depending on the number and size of your files this can take some time")?;
        say("Please make sure that no user accesses their files during this process!")?;
        say("")?;
        if confirmed != "yes" && !ctx.confirm("Do you really want to continue? (y/n)", false)? {
            if was_enabled {
                say("Enable server side encryption... done.")?;
            }
            say("aborted")?;
            return Ok(0);
        }
        // New files are stored as they come while the old ones are decrypted.
        set_enabled(ctx, false)?;
        let started = std::time::Instant::now();
        let result = (|| -> Result<(Report, bool), Error> {
            let mut run = decrypt_prepare(ctx, &say)?;
            run.users(&homes(ctx, (!uid.is_empty()).then_some(uid.as_str()))?)?;
            let r = run.report;
            // Rows still encrypted that no failure names (other storages, folders other than
            // files, versions and trash bin): the run is not complete, whatever it did.
            let elsewhere = if uid.is_empty() && r.failed.is_empty() {
                encrypted_count(ctx)?
            } else {
                0
            };
            say("\n\n")?;
            say("\n\n")?;
            if json {
                report_json(ctx, Mode::Decrypt, &r)?;
            } else if r.failed.is_empty() && elsewhere == 0 {
                say("all files could be decrypted successfully!")?;
            } else if !r.failed.is_empty() {
                list_failures(ctx, &r, DECRYPT_FAILED)?;
            }
            if elsewhere > 0 {
                ctx.styled(Style::Error, &still_encrypted(elsewhere))?;
            }
            Ok((r, elsewhere == 0))
        })();
        let (r, nothing_left) = match result {
            Ok(v) => v,
            Err(e) => {
                // Whatever stopped the run, encryption is as it was found.
                set_enabled(ctx, was_enabled)?;
                return Err(e);
            }
        };
        let complete = r.failed.is_empty() && nothing_left;
        if !complete || !uid.is_empty() {
            set_enabled(ctx, was_enabled || !complete)?;
            if was_enabled || !complete {
                say("Server side encryption remains enabled")?;
            }
        }
        // Otherwise every user's files are plaintext again: encryption stays off (the master
        // key and `useMasterKey` are kept, as ownCloud keeps them, for a later encrypt-all).
        summary(ctx, Mode::Decrypt, &r, started.elapsed().as_secs_f64())?;
        Ok(if complete { 0 } else { 1 })
    }
}
