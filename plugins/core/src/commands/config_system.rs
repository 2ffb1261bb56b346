//! `config:system:get|set|delete <name>...`: system config values, nested keys allowed
//! (`config:system:set trusted_domains 1 --value=example.org`).

use occ_plugin_api::prelude::*;
use serde_json::Map;

use crate::config;

/// `config:system:get`.
pub struct SystemGet;
/// `config:system:set`.
pub struct SystemSet;
/// `config:system:delete`.
pub struct SystemDelete;

fn path(input: &Input) -> Result<Vec<String>, Error> {
    let p = input.arg_list("name");
    config::validate_path(&p)?;
    Ok(p)
}

/// Prints a config value: scalars as text, lists and objects per `--output`.
pub fn print_value(ctx: &Context, v: &Value) -> Result<(), Error> {
    match v {
        Value::String(s) => ctx.line(s),
        Value::Bool(b) => ctx.line(&b.to_string()),
        Value::Number(n) => ctx.line(&n.to_string()),
        Value::Null => ctx.line("null"),
        other => ctx.data(other.clone()),
    }
}

impl Command for SystemGet {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:system:get", "Get a system config value.")
            .arg(Arg::required("name", "Name of the config to get, specify multiple for array parameter").multiple())
            .opt(Opt::output_format())
            .opt(Opt::value("default-value", "If no default value is set and the config does not exist, the command will exit with 1"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let p = path(input)?;
        let all = ctx.system_config_all()?;
        match (config::get_path(&all, &p), input.opt_str("default-value")) {
            (Some(v), _) => print_value(ctx, v)?,
            (None, Some(d)) => ctx.line(&d)?,
            // Missing and no default: exit 1 without output, so scripts can test for a key.
            (None, None) => return Ok(1),
        }
        Ok(0)
    }
}

impl Command for SystemSet {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:system:set", "Set a system config value.")
            .arg(
                Arg::required(
                    "name",
                    "Name of the config parameter, specify multiple for array parameter",
                )
                .multiple(),
            )
            .opt(
                Opt::value("type", "Value type [string, integer, float, boolean, json]")
                    .default_value("string"),
            )
            .opt(Opt::value("value", "The new value of the config"))
            .opt(Opt::flag(
                "update-only",
                "Only updates the value, if it is not set before, it is not being added",
            ))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let p = path(input)?;
        let ty = input.opt_str("type").unwrap_or_else(|| "string".into());
        let raw = input
            .opt_str("value")
            .ok_or_else(|| Error::usage("Give the new value with --value."))?;
        let value = config::typed_value(&raw, &ty)?;
        let all = ctx.system_config_all()?;
        if input.flag("update-only") && config::get_path(&all, &p).is_none() {
            return Err(Error::new(
                "Value not updated, as it has not been set before.",
            ));
        }
        let top = config::set_in(all.get(&p[0]).cloned(), &p[1..], value.clone())?;
        let mut set = Map::new();
        set.insert(p[0].clone(), top);
        ctx.update_system_config(set, &[])?;
        ctx.styled(
            Style::Info,
            &format!(
                "System config value {} set to {}",
                p.join(" => "),
                config::readable(&value)
            ),
        )?;
        Ok(0)
    }
}

impl Command for SystemDelete {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:system:delete", "Delete a system config value.")
            .arg(
                Arg::required(
                    "name",
                    "Name of the config to delete, specify multiple for array parameter",
                )
                .multiple(),
            )
            .opt(Opt::flag(
                "error-if-not-exists",
                "Checks whether the config exists before deleting it",
            ))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let p = path(input)?;
        let all = ctx.system_config_all()?;
        let name = p.join(" => ");
        if config::get_path(&all, &p).is_none() {
            if input.flag("error-if-not-exists") {
                return Err(Error::new(format!(
                    "System config {name} could not be deleted because it did not exist"
                )));
            }
        } else if p.len() == 1 {
            ctx.update_system_config(Map::new(), &[p[0].as_str()])?;
        } else if let Some(top) = all.get(&p[0]).and_then(|t| config::delete_in(t, &p[1..])) {
            let mut set = Map::new();
            set.insert(p[0].clone(), top);
            ctx.update_system_config(set, &[])?;
        }
        ctx.styled(Style::Info, &format!("System config value {name} deleted"))?;
        Ok(0)
    }
}
