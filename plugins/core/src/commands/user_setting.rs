//! `user:setting <uid> [<app> [<key>]]`: read, set and delete a user's preferences
//! (`oc_preferences`), as Nextcloud's command does.

use occ_plugin_api::prelude::*;

use crate::{ops, users};

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

fn get(ctx: &Context, uid: &str, app: &str, key: &str) -> Result<Option<String>, Error> {
    Ok(ctx
        .db()
        .query("SELECT configvalue FROM *PREFIX*preferences WHERE userid = ? AND appid = ? AND configkey = ?", &[json!(uid), json!(app), json!(key)])?
        .first()
        .and_then(|r| r.get("configvalue").and_then(Value::as_str).map(str::to_string)))
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
        ops::validate_uid(&uid).map_err(Error::new)?;
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
            let rows = ctx.db().query(
                "SELECT appid, configkey, configvalue FROM *PREFIX*preferences WHERE userid = ? AND (? = '' OR appid = ?) ORDER BY appid, configkey",
                &[json!(uid), json!(app), json!(app)],
            )?;
            let out = crate::config::group_by_app(rows);
            ctx.data(Value::Object(out))?;
            return Ok(0);
        }
        validate_key(&key)?;
        let current = get(ctx, &uid, &app, &key)?;
        let missing = || Error::new(format!("The setting does not exist for user \"{uid}\"."));
        if let Some(v) = value {
            if input.flag("update-only") && current.is_none() {
                return Err(missing());
            }
            ctx.db().transaction(|db| {
                db.execute("DELETE FROM *PREFIX*preferences WHERE userid = ? AND appid = ? AND configkey = ?", &[json!(uid), json!(app), json!(key)])?;
                db.execute(
                    "INSERT INTO *PREFIX*preferences (userid, appid, configkey, configvalue) VALUES (?, ?, ?, ?)",
                    &[json!(uid), json!(app), json!(key), json!(v)],
                )?;
                Ok(())
            })?;
            return Ok(0);
        }
        if delete {
            if current.is_none() && input.flag("error-if-not-exists") {
                return Err(missing());
            }
            ctx.db().execute(
                "DELETE FROM *PREFIX*preferences WHERE userid = ? AND appid = ? AND configkey = ?",
                &[json!(uid), json!(app), json!(key)],
            )?;
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
