//! `config:import [file|-]`: import `{"system": {...}, "apps": {"app": {"key": value}}}`
//! (what `config:list --private` prints). The whole file is checked first; then app values
//! and the system config are written together, or nothing is.

use std::io::Read;

use occ_plugin_api::prelude::*;
use serde_json::Map;

use crate::commands::user_setting::{validate_app_id, validate_key};
use crate::config;

/// The command.
pub struct ConfigImport;

/// Checks an import document; returns the system values and the app values to write.
pub fn validate(doc: &Value) -> Result<(Map<String, Value>, config::AppValues), Error> {
    let bad = |why: String| Error::new(format!("Invalid config file: {why}"));
    let Value::Object(top) = doc else {
        return Err(bad("the top level must be an object".into()));
    };
    let mut system = Map::new();
    let mut apps = Vec::new();
    for (k, v) in top {
        match (k.as_str(), v) {
            ("system", Value::Object(m)) => {
                for key in m.keys() {
                    config::validate_path(std::slice::from_ref(key)).map_err(|e| bad(e.message))?;
                }
                system = m.clone();
            }
            ("apps", Value::Object(m)) => {
                for (app, values) in m {
                    validate_app_id(app).map_err(|e| bad(e.message))?;
                    let Value::Object(values) = values else {
                        return Err(bad(format!(
                            "the values of app \"{app}\" must be an object"
                        )));
                    };
                    for (key, value) in values {
                        validate_key(key).map_err(|e| bad(e.message))?;
                        if value.is_object() || value.is_array() || value.is_null() {
                            return Err(bad(format!(
                                "the value of {app}/{key} must be a string, number or boolean"
                            )));
                        }
                        apps.push((app.clone(), key.clone(), config::as_config_text(value)));
                    }
                }
            }
            ("system" | "apps", _) => return Err(bad(format!("\"{k}\" must be an object"))),
            (other, _) => {
                return Err(bad(format!(
                    "unknown key \"{}\" (only \"system\" and \"apps\" are allowed)",
                    other.escape_default()
                )))
            }
        }
    }
    Ok((system, apps))
}

impl Command for ConfigImport {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("config:import", "Import a list of configs.").arg(Arg::optional(
            "file",
            "File with the json array to import (\"-\" or none: standard input)",
        ))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let file = input.arg_str("file").unwrap_or_else(|| "-".into());
        let text = if file == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::new(format!("Cannot read standard input: {e}")))?;
            s
        } else {
            std::fs::read_to_string(&file)
                .map_err(|e| Error::new(format!("Cannot read {file}: {e}")))?
        };
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| Error::new(format!("Invalid config file: not valid JSON ({e})")))?;
        let (system, apps) = validate(&doc)?;
        config::import(ctx, system, apps)?;
        ctx.styled(
            Style::Info,
            &format!("Config successfully imported from: {file}"),
        )?;
        Ok(0)
    }
}
