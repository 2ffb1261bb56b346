//! `user:sync [<backend-class>] [-l] [-u uid] [-s] [-c] [-m disable|remove] [-r]`: accounts
//! brought in line with a user backend, with ownCloud 10's texts. Core knows no backend but
//! its own: another plugin's is reached through its `<plugin>.user_backend` service (`name`,
//! `list`, `get`, `forget`), so `ldap` is the LDAP plugin's. Accounts gone from the backend
//! are disabled or removed (removal as `user:delete` does it, `user.deleted` included); `-r`
//! enables returning ones.

use std::collections::HashMap;

use occ_plugin_api::prelude::*;

use crate::users::{self, Account, Synced};

/// A user as a backend lists it.
#[derive(Debug, Clone, serde::Deserialize)]
struct BackendUser {
    uid: String,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    quota: Option<String>,
}

/// A user backend: core's database, or a plugin's service.
struct Backend {
    class: String,
    service: Option<String>,
}

impl Backend {
    fn list(&self, ctx: &Context) -> Result<Vec<BackendUser>, Error> {
        let Some(service) = &self.service else {
            // Core's own users only (`oc_users`), not the accounts of other backends.
            return Ok(users::database_users(&ctx.db())?
                .into_iter()
                .map(|(uid, display)| BackendUser {
                    uid,
                    display_name: Some(display),
                    email: None,
                    quota: None,
                })
                .collect());
        };
        let r = ctx.service(service, json!({"op": "list"}))?;
        serde_json::from_value(r.get("users").cloned().unwrap_or(Value::Array(vec![])))
            .map_err(|e| Error::new(format!("{service}: {e}")))
    }

    fn get(&self, ctx: &Context, uid: &str) -> Result<Option<BackendUser>, Error> {
        if self.service.is_none() {
            return Ok(self.list(ctx)?.into_iter().find(|u| u.uid == uid));
        }
        let service = self.service.as_deref().unwrap_or_default();
        let r = ctx.service(service, json!({"op": "get", "uid": uid}))?;
        match r.get("user") {
            None | Some(Value::Null) => Ok(None),
            Some(u) => serde_json::from_value(u.clone())
                .map(Some)
                .map_err(|e| Error::new(format!("{service}: {e}"))),
        }
    }

    fn forget(&self, ctx: &Context, uid: &str) -> Result<(), Error> {
        if let Some(service) = &self.service {
            ctx.service(service, json!({"op": "forget", "uid": uid}))?;
        }
        Ok(())
    }
}

/// Core's backend, then every plugin backend that is available now.
fn backends(ctx: &Context) -> Result<Vec<Backend>, Error> {
    let mut out = vec![Backend {
        class: users::DATABASE_BACKEND.to_string(),
        service: None,
    }];
    out.extend(
        crate::backends::user_backends(ctx)?
            .into_iter()
            .map(|b| Backend {
                class: b.class,
                service: Some(b.service),
            }),
    );
    Ok(out)
}

/// What happens to accounts whose users the backend no longer has.
#[derive(Clone, Copy, PartialEq)]
enum Missing {
    Disable,
    Remove,
}

/// The command.
pub struct UserSync;

impl Command for UserSync {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "user:sync",
            "Synchronize users from a given backend to the accounts table.",
        )
        .arg(Arg::optional(
            "backend-class",
            "The quoted PHP class name for the backend, eg\n- LDAP:\t\t\"OCA\\User_LDAP\\User_Proxy\"\n- Samba:\t\t\"OCA\\User\\SMB\"\n- Shibboleth:\t\"OCA\\User_Shibboleth\\UserBackend\"\nFor easier usage of these three cases you can also use 'ldap', 'samba' or 'shibboleth",
        ))
        .opt(Opt::flag("list", "List all enabled backend classes").short("l"))
        .opt(Opt::value("uid", "Sync only the user with the given user id").short("u"))
        .opt(Opt::flag("seenOnly", "Sync only seen users").short("s"))
        .opt(Opt::flag("showCount", "Calculate user count before syncing").short("c"))
        .opt(
            Opt::value(
                "missing-account-action",
                "Action to take if the account isn't connected to a backend any longer. Options are \"disable\" and \"remove\". Note that removing the account will also remove the stored data and files for that account.",
            )
            .short("m"),
        )
        .opt(
            Opt::flag(
                "re-enable",
                "When syncing multiple accounts re-enable accounts that are disabled in ownCloud but available in the synced backend.",
            )
            .short("r"),
        )
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let all = backends(ctx)?;
        if input.flag("list") {
            for b in &all {
                ctx.line(&b.class)?;
            }
            return Ok(0);
        }
        let Some(arg) = input.arg_str("backend-class").filter(|a| !a.is_empty()) else {
            ctx.line("No backend class name given. Please run ./occ help user:sync to understand how this command works.")?;
            return Ok(1);
        };
        let class = match arg.as_str() {
            "ldap" => "OCA\\User_LDAP\\User_Proxy",
            "samba" => "OCA\\User\\SMB",
            "shibboleth" => "OCA\\User_Shibboleth\\UserBackend",
            other => other,
        };
        let Some(backend) = all.into_iter().find(|b| b.class == class) else {
            ctx.line(&format!(
                "The backend <{arg}> does not exist. Did you forget to enable the app?"
            ))?;
            return Ok(1);
        };
        let missing = match input.opt_str("missing-account-action").as_deref() {
            Some("disable") => Missing::Disable,
            Some("remove") => Missing::Remove,
            Some(_) => {
                ctx.line("Unknown action. Choose between \"disable\" or \"remove\"")?;
                return Ok(1);
            }
            None => ask(ctx)?,
        };
        let re_enable = input.flag("re-enable");
        if let Some(uid) = input.opt_str("uid").filter(|u| !u.is_empty()) {
            return sync_one(ctx, &backend, &uid, missing, re_enable);
        }
        sync_all(ctx, &backend, missing, re_enable, input.flag("seenOnly"))
    }
}

/// ownCloud's question when `-m` is not given; its default (and under `-n`, or without an
/// answer): disable.
fn ask(ctx: &Context) -> Result<Missing, Error> {
    if !ctx.env().interactive {
        return Ok(Missing::Disable);
    }
    let answer = ctx.prompt(
        "If unknown users are found, what do you want to do with their accounts? (removing the account will also remove its data)\n  [0] disable\n  [1] remove\n > ",
        false,
    );
    Ok(match answer.as_deref().map(str::trim) {
        Ok("1" | "remove") => Missing::Remove,
        _ => Missing::Disable,
    })
}

/// Disables or removes accounts whose users are gone (ownCloud's texts).
fn handle_missing(
    ctx: &Context,
    backend: &Backend,
    gone: &[Account],
    missing: Missing,
) -> Result<(), Error> {
    if gone.is_empty() {
        return ctx.line("No removed users have been detected.");
    }
    let db = ctx.db();
    match missing {
        Missing::Disable => {
            ctx.line("Disabling accounts:")?;
            for a in gone {
                if a.state == Some(1) {
                    users::set_enabled(&db, &a.user_id, false)?;
                    ctx.line(&format!("{} disabled", a.label()))?;
                } else {
                    ctx.line(&format!("{} skipped, already disabled", a.label()))?;
                }
            }
        }
        Missing::Remove => {
            ctx.line("Deleting accounts:")?;
            let datadir = ctx.instance()?.data_dir.unwrap_or_default();
            for a in gone {
                let home = users::get(&db, &a.user_id)?.map(|u| u.home);
                users::delete(&db, &a.user_id)?;
                ctx.emit("user.deleted", json!({"uid": a.user_id, "home": home}))?;
                backend.forget(ctx, &a.user_id)?;
                let dir = std::path::Path::new(&datadir).join(&a.user_id);
                // The home is the data directory's entry of that one name, never `..` or a
                // path.
                let one_name = matches!(
                    std::path::Path::new(&a.user_id)
                        .components()
                        .collect::<Vec<_>>()[..],
                    [std::path::Component::Normal(_)]
                );
                if !datadir.is_empty() && one_name && dir.is_dir() {
                    std::fs::remove_dir_all(&dir).map_err(|e| {
                        Error::new(format!(
                            "The account {} was deleted, but its home {} could not be removed: {e}",
                            a.user_id,
                            dir.display()
                        ))
                    })?;
                }
                ctx.line(&format!("{} deleted", a.label()))?;
            }
        }
    }
    Ok(())
}

/// Enables accounts whose users are back in the backend.
fn handle_returning(ctx: &Context, back: &[Account]) -> Result<(), Error> {
    if back.is_empty() {
        return ctx.line("No existing accounts to re-enable.");
    }
    ctx.line("Re-enabling accounts:")?;
    for a in back {
        users::set_enabled(&ctx.db(), &a.user_id, true)?;
        ctx.line(&format!("{} enabled", a.label()))?;
    }
    Ok(())
}

fn synced(u: &BackendUser) -> Synced<'_> {
    Synced {
        uid: &u.uid,
        display_name: u.display_name.as_deref().unwrap_or(&u.uid),
        email: u.email.as_deref(),
        quota: u.quota.as_deref(),
    }
}

fn sync_all(
    ctx: &Context,
    backend: &Backend,
    missing: Missing,
    re_enable: bool,
    seen_only: bool,
) -> CmdResult {
    let db = ctx.db();
    ctx.line("Analysing known accounts ...")?;
    let listed = backend.list(ctx)?;
    let present: std::collections::HashSet<&str> = listed.iter().map(|u| u.uid.as_str()).collect();
    let accounts = users::accounts(&db)?;
    let (mut gone, mut back) = (Vec::new(), Vec::new());
    for a in accounts.iter().filter(|a| a.backend == backend.class) {
        if !present.contains(a.user_id.as_str()) {
            gone.push(a.clone());
        } else if a.state != Some(1) {
            back.push(a.clone());
        }
    }
    ctx.line("")?;
    ctx.line("")?;
    handle_missing(ctx, backend, &gone, missing)?;
    ctx.line("")?;
    if re_enable {
        handle_returning(ctx, &back)?;
    }
    ctx.line("")?;
    ctx.line(&if seen_only {
        format!("Updating seen accounts from {} ...", backend.class)
    } else {
        format!(
            "Inserting new and updating all known users from {} ...",
            backend.class
        )
    })?;
    // Read once, before the removals: the users removed are not the backend's, so nothing
    // below looks them up, and a state changed above does not matter to the sync.
    let existing: HashMap<String, Account> = accounts
        .into_iter()
        .map(|a| (a.user_id.to_lowercase(), a))
        .collect();
    let chosen: Vec<&BackendUser> = listed
        .iter()
        .filter(|u| {
            !seen_only
                || existing
                    .get(&u.uid.to_lowercase())
                    .is_some_and(|a| a.last_login.unwrap_or(0) > 0)
        })
        .collect();
    let datadir = ctx.instance()?.data_dir.unwrap_or_default();
    let list: Vec<Synced<'_>> = chosen.into_iter().map(synced).collect();
    let errors = users::sync_accounts(&db, &backend.class, &datadir, &existing, &list)?;
    ctx.line("")?;
    for (uid, why) in &errors {
        ctx.line(&format!("Sync error for {uid}: {why}"))?;
    }
    ctx.line("")?;
    ctx.line("")?;
    ctx.line(&format!(
        "Sync of users finished, encountered {} errors.",
        errors.len()
    ))?;
    Ok(if errors.is_empty() { 0 } else { 1 })
}

fn sync_one(
    ctx: &Context,
    backend: &Backend,
    uid: &str,
    missing: Missing,
    re_enable: bool,
) -> CmdResult {
    let db = ctx.db();
    ctx.line(&format!("Searching for {uid} ..."))?;
    let existing: HashMap<String, Account> = users::accounts(&db)?
        .into_iter()
        .map(|a| (a.user_id.to_lowercase(), a))
        .collect();
    let found = backend.get(ctx, uid)?;
    match &found {
        Some(u) => {
            ctx.line(&format!("Syncing {uid} ..."))?;
            let datadir = ctx.instance()?.data_dir.unwrap_or_default();
            let errors =
                users::sync_accounts(&db, &backend.class, &datadir, &existing, &[synced(u)])?;
            if let Some((_, why)) = errors.first() {
                ctx.line(&format!("Sync error for {uid} : {why}"))?;
                ctx.line(&format!("Sync for {uid} failed!"))?;
                return Ok(1);
            }
            ctx.line(&format!("Synced {uid} "))?;
        }
        None => {
            ctx.line(&format!(
                "Exact match for user {uid} not found in the backend."
            ))?;
            // Only the account of exactly this name and backend (the backend's answer was
            // for this exact name).
            match existing.get(&uid.to_lowercase()) {
                Some(a) if a.user_id == uid && a.backend == backend.class => {
                    handle_missing(ctx, backend, std::slice::from_ref(a), missing)?
                }
                _ => ctx.line(&format!("{uid}, ,  (no longer exists in the backend)"))?,
            }
        }
    }
    ctx.line("")?;
    if re_enable {
        // Only a user the backend has: its account as it was before this run.
        let back: Vec<Account> = existing
            .get(&uid.to_lowercase())
            .filter(|a| {
                found.is_some()
                    && a.user_id == uid
                    && a.backend == backend.class
                    && a.state != Some(1)
            })
            .cloned()
            .into_iter()
            .collect();
        handle_returning(ctx, &back)?;
    }
    Ok(0)
}
