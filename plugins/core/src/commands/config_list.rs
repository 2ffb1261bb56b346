//! `config:list [app] [--private]`: system and app config as JSON (json_pretty by default),
//! secrets masked unless `--private`.

use occ_plugin_api::prelude::*;
use serde_json::Map;

use crate::commands::user_setting::validate_app_id;
use crate::config;

/// The command.
pub struct ConfigList;

impl Command for ConfigList {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:list", "List all configs.")
            .arg(Arg::optional("app", "Name of the app (\"system\" to get the config.php values, \"all\" for all apps and system)").default_value("all"))
            .opt(Opt::output_format().default_value("json_pretty"))
            .opt(Opt::flag("private", "Use this option when you want to include sensitive configs like passwords, salts, ..."))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let app = input.arg_str("app").unwrap_or_else(|| "all".into());
        let private = input.flag("private");
        let mut out = Map::new();
        if app == "all" || app == "system" {
            let mut system = ctx.system_config_all()?;
            if !private {
                for (k, v) in system.iter_mut() {
                    if config::SENSITIVE_SYSTEM_KEYS.contains(&k.as_str()) {
                        *v = json!(config::MASK);
                    }
                }
            }
            out.insert("system".into(), Value::Object(system));
        }
        if app != "system" {
            let only = if app == "all" {
                None
            } else {
                validate_app_id(&app)?;
                Some(app.as_str())
            };
            let mut apps = config::app_all(&ctx.db(), only)?;
            if !private {
                for values in apps.values_mut() {
                    if let Value::Object(m) = values {
                        for (k, v) in m.iter_mut() {
                            if config::sensitive_app_key(k) {
                                *v = json!(config::MASK);
                            }
                        }
                    }
                }
            }
            out.insert("apps".into(), Value::Object(apps));
        }
        ctx.data(Value::Object(out))?;
        Ok(0)
    }
}
