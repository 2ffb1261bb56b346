//! The `ldap:` commands: configurations (`create-empty-config`, `show-config`, `set-config`,
//! `delete-config`), `test-config`, `search`, `check-user`, `show-remnants` and
//! `invalidate-cache`, with ownCloud's texts; each error is one line
//! naming the problem, with a non-zero exit and nothing written.

use occ_plugin_api::prelude::*;
use serde_json::json;

use crate::config::{self, Config};
use crate::conn;
use crate::directory;

/// An unknown configID: ownCloud's text and exit code (A25).
fn invalid_id(ctx: &Context, _id: &str) -> CmdResult {
    ctx.line("Invalid configID")?;
    Ok(1)
}

/// `ldap:create-empty-config [-p|--set-prefix=] [<configID>]`.
pub struct CreateEmptyConfig;

impl Command for CreateEmptyConfig {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "ldap:create-empty-config",
            "creates an empty LDAP configuration",
        )
        .arg(Arg::optional(
            "configID",
            "create a configuration with the specified id",
        ))
        .opt(
            Opt::value(
                "set-prefix",
                "create a configuration with the specified id (the 8.1 name of the argument)",
            )
            .short("p"),
        )
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let db = ctx.db();
        let existing = config::ids(&db, false)?;
        let id = input
            .arg_str("configID")
            .or_else(|| input.opt_str("set-prefix"));
        let id = match id {
            Some(id) if id.is_empty() => {
                ctx.line("configID cannot be empty")?;
                return Ok(1);
            }
            Some(id) if existing.contains(&id) => {
                ctx.line("configID already exists")?;
                return Ok(1);
            }
            Some(id) => id,
            None => config::next_id(&existing),
        };
        Config::defaults(&id).save(&db)?;
        ctx.line(&format!("Created new configuration with configID '{id}'"))?;
        Ok(0)
    }
}

/// `ldap:show-config [--output=] [--show-password] [<configID>]`.
pub struct ShowConfig;

impl Command for ShowConfig {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("ldap:show-config", "shows the LDAP configuration")
            .arg(Arg::optional(
                "configID",
                "will show the configuration of the specified id",
            ))
            .opt(Opt::output_format())
            .opt(Opt::flag("show-password", "show ldap bind password"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let db = ctx.db();
        let all = config::ids(&db, false)?;
        let ids = match input.arg_str("configID") {
            Some(id) if !all.contains(&id) => return invalid_id(ctx, &id),
            Some(id) => vec![id],
            None => all,
        };
        let format = input.opt_str("output").unwrap_or_else(|| "plain".into());
        for id in ids {
            let shown = Config::read(&db, &id)?.shown(input.flag("show-password"));
            if format == "plain" {
                let rows = shown
                    .into_iter()
                    .map(|(k, v)| {
                        let cell = match v {
                            Value::String(s) => s,
                            Value::Array(a) => a
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(";"),
                            _ => String::new(),
                        };
                        vec![Value::String(k), Value::String(cell)]
                    })
                    .collect();
                ctx.table(&["Configuration", &id], rows)?;
            } else {
                ctx.data(Value::Object(shown))?;
            }
        }
        Ok(0)
    }
}

/// `ldap:set-config <configID> <configKey> <configValue>`.
pub struct SetConfig;

impl Command for SetConfig {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("ldap:set-config", "modifies an LDAP configuration")
            .arg(Arg::required("configID", "the configuration ID"))
            .arg(Arg::required("configKey", "the configuration key"))
            .arg(Arg::required("configValue", "the new configuration value"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let db = ctx.db();
        let id = input.arg_str("configID").unwrap_or_default();
        if !config::ids(&db, false)?.contains(&id) {
            return invalid_id(ctx, &id);
        }
        let name = input.arg_str("configKey").unwrap_or_default();
        let Some(key) = config::key(&name).filter(|k| k.db.is_some()) else {
            // ownCloud ignores an unknown key silently; occ refuses it.
            return Err(Error::new(format!(
                "Unknown configuration key \"{name}\"; did you mean \"{}\"? (occ ldap:show-config lists them)",
                config::nearest(&name)
            )));
        };
        let mut c = Config::read(&db, &id)?;
        c.set(key, &input.arg_str("configValue").unwrap_or_default());
        c.save(&db)?;
        Ok(0)
    }
}

/// `ldap:delete-config <configID>`.
pub struct DeleteConfig;

impl Command for DeleteConfig {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "ldap:delete-config",
            "deletes an existing LDAP configuration",
        )
        .arg(Arg::required("configID", "the configuration ID"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let db = ctx.db();
        let id = input.arg_str("configID").unwrap_or_default();
        if config::ids(&db, false)?.contains(&id) && config::delete(&db, &id)? {
            ctx.line(&format!("Deleted configuration with configID '{id}'"))?;
            return Ok(0);
        }
        ctx.line(&format!("Cannot delete configuration with configID '{id}'"))?;
        Ok(1)
    }
}

/// `ldap:test-config <configID>`: binds, then looks up each base DN. Exit codes: 0 valid,
/// 1 incomplete configuration, 2 unreachable, 3 credentials refused, 4 TLS, 5 a base DN
/// missing, 6 anything else the server said.
pub struct TestConfig;

impl Command for TestConfig {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("ldap:test-config", "tests an LDAP configuration")
            .arg(Arg::required("configID", "the configuration ID"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let db = ctx.db();
        let id = input.arg_str("configID").unwrap_or_default();
        if !config::ids(&db, false)?.contains(&id) {
            return invalid_id(ctx, &id);
        }
        let c = Config::read(&db, &id)?;
        directory::warn_cert_check(ctx, &c)?;
        let mut ldap = match conn::connect(&c) {
            Ok(l) => l,
            Err(f) => {
                ctx.message(f.message())?;
                return Ok(f.code());
            }
        };
        for base in directory::all_bases(&c) {
            if let Err(line) = directory::base_exists(&mut ldap, &base) {
                ctx.message(&line)?;
                return Ok(5);
            }
        }
        let _ = ldap.unbind();
        ctx.line("The configuration is valid and the connection could be established!")?;
        Ok(0)
    }
}

/// `ldap:search [--group] [--offset=] [--limit=] <search>`.
pub struct Search;

impl Command for Search {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("ldap:search", "executes a user or group search")
            .arg(Arg::required("search", "the search string (can be empty)"))
            .opt(Opt::flag("group", "searches groups instead of users"))
            .opt(
                Opt::value(
                    "offset",
                    "The offset of the result set. Needs to be a multiple of limit. defaults to 0.",
                )
                .default_value("0"),
            )
            .opt(
                Opt::value(
                    "limit",
                    "limit the results. 0 means no limit, defaults to 15",
                )
                .default_value("15"),
            )
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let number = |name: &str, default: i64| -> Result<i64, Error> {
            let v = input.opt_str(name).unwrap_or_default();
            if v.is_empty() {
                return Ok(default);
            }
            v.trim()
                .parse::<i64>()
                .map_err(|_| Error::new(format!("{name} must be a whole number, not \"{v}\"")))
        };
        let (offset, limit) = (number("offset", 0)?, number("limit", 15)?);
        let problem = if limit < 0 {
            Some("limit must be 0 or greater")
        } else if offset < 0 {
            Some("offset must be 0 or greater")
        } else if limit == 0 && offset != 0 {
            Some("offset must be 0 if limit is also set to 0")
        } else if offset > 0 && offset % limit != 0 {
            Some("offset must be a multiple of limit")
        } else {
            None
        };
        if let Some(p) = problem {
            return Err(Error::new(p));
        }
        let term = input.arg_str("search").unwrap_or_default();
        let db = ctx.db();
        let found = directory::search(
            ctx,
            &db,
            &term,
            input.flag("group"),
            offset as usize,
            (limit > 0).then_some(limit as usize),
        )?;
        for line in found {
            ctx.line(&line)?;
        }
        Ok(0)
    }
}

/// `ldap:check-user [--force] <ocName>`: ownCloud's answers (exit 0); a check that cannot be
/// made exits 1.
pub struct CheckUser;

impl Command for CheckUser {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("ldap:check-user", "checks whether a user exists on LDAP")
            .arg(Arg::required("ocName", "the user name as used in ownCloud"))
            .opt(Opt::flag("force", "ignores disabled LDAP configuration"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let db = ctx.db();
        let force = input.flag("force");
        let (all, active) = (config::ids(&db, false)?, config::ids(&db, true)?);
        if !force && (all.is_empty() || all.len() != active.len()) {
            ctx.line(
                "Cannot check user existence, because disabled LDAP configurations are present.",
            )?;
            return Ok(1);
        }
        let uid = input.arg_str("ocName").unwrap_or_default();
        for id in if force && active.is_empty() {
            &all
        } else {
            &active
        } {
            directory::warn_cert_check(ctx, &Config::read(&db, id)?)?;
        }
        match directory::presence(&db, &uid, force && active.is_empty())? {
            directory::Presence::Unknown => {
                ctx.line("The given user is not a recognized LDAP user.")?
            }
            directory::Presence::Present => ctx.line("The user is still available on LDAP.")?,
            directory::Presence::Gone => {
                ctx.line("The user does not exist on LDAP anymore.")?;
                ctx.line(&format!(
                    "Clean up the user's remnants by: ./occ user:delete \"{uid}\""
                ))?;
            }
        }
        Ok(0)
    }
}

/// `ldap:show-remnants [--json]`: mapped users found gone from the directory.
pub struct ShowRemnants;

impl Command for ShowRemnants {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "ldap:show-remnants",
            "shows which users are not available on LDAP anymore, but have remnants in ownCloud.",
        )
        .opt(Opt::flag(
            "json",
            "return JSON array instead of pretty table.",
        ))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let list = directory::remnants(&ctx.db())?;
        if input.flag("json") {
            ctx.line(&serde_json::to_string(&list).map_err(|e| Error::new(e.to_string()))?)?;
            return Ok(0);
        }
        let rows = list
            .into_iter()
            .map(|r| {
                vec![
                    json!(r.uid),
                    json!(r.display_name),
                    json!(r.dn),
                    json!(r.detected),
                ]
            })
            .collect();
        ctx.table(
            &["ownCloud name", "Display Name", "LDAP DN", "Detected on"],
            rows,
        )?;
        Ok(0)
    }
}

/// `ldap:invalidate-cache`: occ keeps no LDAP cache between commands (each asks the
/// server), so there is nothing to clear; kept for ownCloud's scripts.
pub struct InvalidateCache;

impl Command for InvalidateCache {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("ldap:invalidate-cache", "invalidates the LDAP cache")
    }

    fn run(&self, _input: &Input, _ctx: &mut Context) -> CmdResult {
        Ok(0)
    }
}
