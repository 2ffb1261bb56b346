//! `user:setting <uid> [<app> [<key>]]`: read, set and delete a user's preferences
//! (`oc_preferences`, through `users`), as Nextcloud's command does; also the app id and key
//! rules the `config:*` commands share.

use occ_plugin_api::prelude::*;

use crate::users;

/// The command.
pub struct UserSetting;

/// Checks an app id as stored in config tables: 1-32 of `a-z A-Z 0-9 _ . -`.
pub fn validate_app_id(app: &str) -> Result<(), Error> {
    if app.is_empty()
        || app.len() > 32
        || !app
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        || app.starts_with('.')
    {
        return Err(Error::new(format!(
            "Invalid app name \"{}\": use 1-32 letters, digits, '_', '.' or '-'.",
            app.escape_default()
        )));
    }
    Ok(())
}

/// Checks a config key: 1-64 characters without control characters.
pub fn validate_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.chars().count() > 64 || key.chars().any(char::is_control) {
        return Err(Error::new(format!(
            "Invalid config key \"{}\": use 1-64 characters without control characters.",
            key.escape_default()
        )));
    }
    Ok(())
}

impl Command for UserSetting {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:setting", "Read and modify user settings.")
            .arg(Arg::required("uid", "User ID used to login."))
            .arg(Arg::optional("app", "Restrict the settings to a given app.").default_value(""))
            .arg(Arg::optional("key", "Setting key to set, get or delete").default_value(""))
            .opt(Opt::output_format())
            .opt(Opt::flag("ignore-missing-user", "Use this option to ignore errors when the user does not exist."))
            .opt(Opt::value("default-value", "If no default value is set and the config does not exist, the command will exit with 1. Only applicable on get."))
            .opt(Opt::value("value", "The new value of the setting."))
            .opt(Opt::flag("update-only", "Only updates the value, if it is not set before, it is not being added."))
            .opt(Opt::flag("delete", "Specify this option to delete the config."))
            .opt(Opt::flag("error-if-not-exists", "Checks whether the setting exists before deleting it."))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let uid = input.arg_str("uid").unwrap_or_default();
        users::validate_uid(&uid).map_err(Error::new)?;
        if !input.flag("ignore-missing-user") && users::get(&ctx.db(), &uid)?.is_none() {
            return Err(Error::new(format!("The user \"{uid}\" does not exist.")));
        }
        let app = input.arg_str("app").unwrap_or_default();
        let key = input.arg_str("key").unwrap_or_default();
        let value = input.opt_str("value");
        let delete = input.flag("delete");
        if !app.is_empty() {
            validate_app_id(&app)?;
        }
        if key.is_empty() {
            if value.is_some()
                || delete
                || input.flag("update-only")
                || input.opt_str("default-value").is_some()
            {
                return Err(Error::usage("Please specify an app and a setting key."));
            }
            let out = users::preferences(&ctx.db(), &uid, &app)?;
            ctx.data(Value::Object(out))?;
            return Ok(0);
        }
        validate_key(&key)?;
        let current = users::preference(&ctx.db(), &uid, &app, &key)?;
        let missing = || Error::new(format!("The setting does not exist for user \"{uid}\"."));
        if let Some(v) = value {
            if input.flag("update-only") && current.is_none() {
                return Err(missing());
            }
            users::set_preference(&ctx.db(), &uid, &app, &key, &v)?;
            return Ok(0);
        }
        if delete {
            if current.is_none() && input.flag("error-if-not-exists") {
                return Err(missing());
            }
            users::delete_preference(&ctx.db(), &uid, &app, &key)?;
            return Ok(0);
        }
        match current.or_else(|| input.opt_str("default-value")) {
            Some(v) => {
                ctx.line(&v)?;
                Ok(0)
            }
            None => Err(missing()),
        }
    }
}
