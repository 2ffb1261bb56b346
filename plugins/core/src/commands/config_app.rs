//! `config:app:get|set|delete <app> <name>`: app config values (`oc_appconfig`, through
//! `config`).

use occ_plugin_api::prelude::*;

use crate::commands::user_setting::{validate_app_id, validate_key};
use crate::config;

/// `config:app:get`.
pub struct AppGet;
/// `config:app:set`.
pub struct AppSet;
/// `config:app:delete`.
pub struct AppDelete;

fn target(input: &Input) -> Result<(String, String), Error> {
    let app = input.arg_str("app").unwrap_or_default();
    let name = input.arg_str("name").unwrap_or_default();
    validate_app_id(&app)?;
    validate_key(&name)?;
    Ok((app, name))
}

impl Command for AppGet {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:app:get", "Get an app config value.")
            .arg(Arg::required("app", "Name of the app"))
            .arg(Arg::required("name", "Name of the config to get"))
            .opt(Opt::output_format())
            .opt(Opt::value("default-value", "If no default value is set and the config does not exist, the command will exit with 1"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let (app, name) = target(input)?;
        match (
            config::app_get(&ctx.db(), &app, &name)?,
            input.opt_str("default-value"),
        ) {
            (Some(v), _) | (None, Some(v)) => ctx.line(&v)?,
            (None, None) => return Ok(1),
        }
        Ok(0)
    }
}

impl Command for AppSet {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:app:set", "Set an app config value.")
            .arg(Arg::required("app", "Name of the app"))
            .arg(Arg::required("name", "Name of the config to set"))
            .opt(Opt::value("value", "The new value of the config"))
            .opt(Opt::flag(
                "update-only",
                "Only updates the value, if it is not set before, it is not being added",
            ))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let (app, name) = target(input)?;
        let value = input
            .opt_str("value")
            .ok_or_else(|| Error::usage("Give the new value with --value."))?;
        if input.flag("update-only") && config::app_get(&ctx.db(), &app, &name)?.is_none() {
            return Err(Error::new(
                "Config value were not updated, as it has not been set before.",
            ));
        }
        config::app_set(&ctx.db(), &app, &name, &value)?;
        ctx.styled(
            Style::Info,
            &format!("Config value {name} for app {app} set to {value}"),
        )?;
        Ok(0)
    }
}

impl Command for AppDelete {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:app:delete", "Delete an app config value.")
            .arg(Arg::required("app", "Name of the app"))
            .arg(Arg::required("name", "Name of the config to delete"))
            .opt(Opt::flag(
                "error-if-not-exists",
                "Checks whether the config exists before deleting it",
            ))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let (app, name) = target(input)?;
        if config::app_get(&ctx.db(), &app, &name)?.is_none() && input.flag("error-if-not-exists") {
            return Err(Error::new(format!(
                "Config {name} of app {app} could not be deleted because it did not exist"
            )));
        }
        config::app_delete(&ctx.db(), &app, &name)?;
        ctx.styled(
            Style::Info,
            &format!("Config value {name} of app {app} deleted"),
        )?;
        Ok(0)
    }
}
