//! `app:getpath <app>`: the absolute path of an app's directory.

use occ_plugin_api::prelude::*;

use crate::apps;

/// The command.
pub struct AppGetPath;

impl Command for AppGetPath {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("app:getpath", "Get the absolute path to the app directory.")
            .arg(Arg::required("app", "The name of the app."))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let id = input.arg_str("app").unwrap_or_default();
        apps::validate_id(&id).map_err(Error::new)?;
        let info = ctx.instance()?;
        let dir = apps::find(&apps::roots(ctx, &info)?, &id)
            .ok_or_else(|| Error::new(format!("{id} not found")))?;
        ctx.data(json!(dir.display().to_string()))?;
        Ok(0)
    }
}
