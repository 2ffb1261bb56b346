//! `db:convert-type [--port=] [--password=] [--clear-schema] [--all-apps] [--chunk-size=]
//! <type> <username> <hostname> <database>`: the instance's database copied to PostgreSQL or
//! MySQL/MariaDB, verified table by table, and the config switched to it (the host does the
//! work; this command asks for the password and reports).

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::admin::ConvertType;

/// The command.
pub struct DbConvertType;

impl Command for DbConvertType {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "db:convert-type",
            "Convert the occ database to the newly configured one.",
        )
        .arg(Arg::required("type", "The type of the database to convert to."))
        .arg(Arg::required("username", "The username of the database to convert to."))
        .arg(Arg::required("hostname", "The hostname of the database to convert to."))
        .arg(Arg::required("database", "The name of the database to convert to."))
        .opt(Opt::value("port", "The port of the database to convert to."))
        .opt(Opt::value("password", "The password of the database to convert to. Will be asked when not specified. Can also be passed via stdin."))
        .opt(Opt::flag("clear-schema", "Remove all tables from the destination database."))
        .opt(Opt::flag("all-apps", "Whether to create schema for all apps instead of only installed apps."))
        .opt(
            Opt::value("chunk-size", "The maximum number of database rows to handle in a single query, bigger tables will be handled in chunks of this size. Lower this if the process runs out of memory during conversion.")
                .default_value(1000),
        )
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let dbtype = input.arg_str("type").unwrap_or_default();
        match dbtype.as_str() {
            "sqlite" | "sqlite3" => {
                return Err(Error::new(
                    "Converting to SQLite (sqlite3) is currently not supported.",
                ))
            }
            "pgsql" | "mysql" => {}
            other => {
                return Err(Error::new(format!(
                    "Database type \"{other}\" is not supported: use pgsql or mysql."
                )))
            }
        }
        let port = match input.opt_str("port").filter(|p| !p.is_empty()) {
            Some(p) => Some(p.parse::<u16>().map_err(|_| {
                Error::usage(format!("Invalid port \"{p}\": a number from 1 to 65535."))
            })?),
            None => None,
        };
        let chunk_size = input.opt_str("chunk-size").unwrap_or_else(|| "1000".into());
        let chunk_size = chunk_size
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                Error::usage(format!(
                    "Invalid chunk size \"{chunk_size}\": a positive number of rows."
                ))
            })?;
        // The password: the option, else asked (hidden), or read from standard input when that
        // is no terminal; under -n without the option, a clear error before any connection.
        let password = match input.opt_str("password") {
            Some(p) => p,
            None => ctx.prompt("What is the database password? ", true)?,
        };
        let r = ctx.request(&ConvertType {
            dbtype,
            user: input.arg_str("username").unwrap_or_default(),
            password,
            host: input.arg_str("hostname").unwrap_or_default(),
            port,
            database: input.arg_str("database").unwrap_or_default(),
            clear_schema: input.flag("clear-schema"),
            chunk_size,
        })?;
        let rows: u64 = r.tables.iter().map(|(_, n)| n).sum();
        ctx.styled(
            Style::Info,
            &format!(
                "Converted {} tables, {rows} rows; the instance now uses the new database.",
                r.tables.len()
            ),
        )?;
        Ok(0)
    }
}
