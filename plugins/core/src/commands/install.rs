//! `maintenance:install`: validate every option before touching anything, then let the host
//! create the database and every plugin's schema, create the admin account (through `users`,
//! `groups` and `config`) and core's version record, and make it all permanent in one final
//! step.

use std::path::{Path, PathBuf};

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::admin::{InstallBegin, InstallFinish, InstallRequest};

use crate::{config, groups, password, users};

/// The command.
pub struct Install;

fn valid_prefix(p: &str) -> bool {
    p.len() <= 32 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Creates the first admin account (in group `admin`) and records core as installed and
/// enabled, inside the install transaction. Its home directory is made on first use, as
/// ownCloud does.
fn create_admin(ctx: &Context, uid: &str, password: &str, datadir: &str) -> Result<(), Error> {
    let hash = password::hash_password(password)?;
    let db = ctx.db();
    db.transaction(|db| {
        users::create(
            db,
            &users::NewUser {
                uid,
                hash: &hash,
                display_name: None,
                email: None,
                groups: &[groups::ADMIN.to_string()],
                datadir,
            },
        )?;
        for (k, v) in [
            ("installed_version", env!("CARGO_PKG_VERSION")),
            ("enabled", "yes"),
        ] {
            config::app_put(db, "core", k, v)?;
        }
        Ok(())
    })?;
    // ownCloud's marker that this is a data directory.
    std::fs::write(Path::new(datadir).join(".ocdata"), b"").map_err(|e| {
        Error::new(format!(
            "Cannot write into the data directory {datadir}: {e}"
        ))
    })?;
    Ok(())
}

fn valid_db_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && !n.starts_with('.')
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl Command for Install {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("maintenance:install", "Install occ.")
            .opt(Opt::value("database", "Supported database type.").default_value("sqlite"))
            .opt(Opt::value("database-name", "Name of the database."))
            .opt(
                Opt::value("database-host", "Hostname of the database.").default_value("localhost"),
            )
            .opt(Opt::value(
                "database-user",
                "User name to connect to the database.",
            ))
            .opt(Opt::optional_value(
                "database-pass",
                "Password of the database user.",
            ))
            .opt(Opt::optional_value(
                "database-table-prefix",
                "Prefix for all tables (default: oc_).",
            ))
            .opt(Opt::value("admin-user", "User name of the admin account.").default_value("admin"))
            .opt(Opt::value("admin-pass", "Password of the admin account."))
            .opt(Opt::value(
                "data-dir",
                "Path to the data directory (default: <root>/data).",
            ))
            .states(&[State::NotInstalled])
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let info = ctx.instance()?;
        let interactive = ctx.env().interactive;

        let dbtype =
            match input
                .opt_str("database")
                .unwrap_or_else(|| "sqlite".into())
                .to_lowercase()
                .as_str()
            {
                "sqlite" | "sqlite3" => "sqlite".to_string(),
                "mysql" => "mysql".to_string(),
                "pgsql" | "postgres" | "postgresql" => "pgsql".to_string(),
                "oci" => return Err(Error::new(
                    "Database oci (Oracle) is not supported by occ: use sqlite, mysql or pgsql.",
                )),
                other => {
                    return Err(Error::new(format!(
                        "Database \"{other}\" is not supported: use sqlite, mysql or pgsql."
                    )))
                }
            };
        let prefix = input
            .opt_str("database-table-prefix")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "oc_".into());
        if !valid_prefix(&prefix) {
            return Err(Error::new(format!(
                "Invalid table prefix \"{}\": use letters, digits and underscores only.",
                prefix.escape_default()
            )));
        }
        let admin = input
            .opt_str("admin-user")
            .unwrap_or_else(|| "admin".into());
        users::validate_uid(&admin).map_err(Error::new)?;
        let datadir = match input.opt_str("data-dir") {
            Some(d) if d.trim().is_empty() => {
                return Err(Error::new("The data directory must not be empty."))
            }
            Some(d) => {
                let p = PathBuf::from(&d);
                if p.is_absolute() {
                    p
                } else {
                    std::env::current_dir()?.join(p)
                }
            }
            None => Path::new(&info.root).join("data"),
        };
        if datadir
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(Error::new(format!(
                "The data directory must not contain \"..\": {}",
                datadir.display()
            )));
        }
        let dbname = input.opt_str("database-name");
        let (dbname, dbhost, dbuser) = if dbtype == "sqlite" {
            let n = dbname.unwrap_or_else(|| "owncloud".into());
            if !valid_db_name(&n) {
                return Err(Error::new(format!(
                    "Invalid database name \"{}\": use letters, digits, '_', '.' and '-'.",
                    n.escape_default()
                )));
            }
            (n, String::new(), String::new())
        } else {
            let user = input
                .opt_str("database-user")
                .filter(|u| !u.is_empty())
                .ok_or_else(|| Error::new("Database user not provided."))?;
            let n = dbname
                .filter(|n| !n.is_empty())
                .ok_or_else(|| Error::new("Database name not provided."))?;
            (
                n,
                input
                    .opt_str("database-host")
                    .unwrap_or_else(|| "localhost".into()),
                user,
            )
        };
        // Secrets last: prompts only once everything else is known to be valid.
        let dbpass = if dbtype == "sqlite" {
            String::new()
        } else {
            match input.options.get("database-pass") {
                Some(Value::String(p)) => p.clone(),
                _ if input.options.contains_key("database-pass") && !input.options["database-pass"].is_null() => String::new(),
                _ if interactive => ctx.prompt(&format!("What is the password to access the database with user <{dbuser}>? "), true)?,
                _ => return Err(Error::new("Database password not provided: use --database-pass (or --database-pass= for none).")),
            }
        };
        let admin_pass = match input.opt_str("admin-pass") {
            Some(p) => p,
            None if interactive => ctx.prompt(
                &format!("What is the password you like to use for the admin account <{admin}>? "),
                true,
            )?,
            None => {
                return Err(Error::new(
                    "Set an admin password: use --admin-pass (no prompt under --no-interaction).",
                ))
            }
        };
        if admin_pass.is_empty() {
            return Err(Error::new("Set an admin password."));
        }

        let req = InstallRequest {
            dbtype,
            dbname,
            dbhost,
            dbuser,
            dbpass,
            dbtableprefix: prefix,
            datadir: datadir.display().to_string(),
        };
        let datadir = req.datadir.clone();
        let dbtype = req.dbtype.clone();
        ctx.request(&InstallBegin(req))?;
        create_admin(ctx, &admin, &admin_pass, &datadir)?;
        ctx.request(&InstallFinish {})?;
        ctx.line("occ was successfully installed")?;
        tracing::info!("installed with {dbtype} database, admin {admin}");
        Ok(0)
    }
}
