//! `app:enable <app-id>...`: enables apps after checking all of them (known, valid manifest,
//! this server's version in their range); nothing changes unless every one passes.

use std::path::Path;

use occ_plugin_api::prelude::*;

use crate::apps;

/// The command.
pub struct AppEnable;

impl Command for AppEnable {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("app:enable", "Enable an app.")
            .arg(Arg::required("app-id", "Enable the specified app.").multiple())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let info = ctx.instance()?;
        let root = Path::new(&info.root);
        let mut ids: Vec<String> = Vec::new();
        for id in input.arg_list("app-id") {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut checked: Vec<(String, String)> = Vec::new();
        for id in ids {
            apps::validate_id(&id).map_err(Error::new)?;
            let dir =
                apps::app_path(root, &id).ok_or_else(|| Error::new(format!("{id} not found")))?;
            let refuse = |why: String| Error::new(format!("App \"{id}\" cannot be enabled: {why}"));
            let manifest = apps::read_info(&dir).map_err(|e| refuse(format!("{e}.")))?;
            apps::check_server_version(&manifest, &info.version).map_err(refuse)?;
            checked.push((id, manifest.version));
        }
        apps::enable(&ctx.db(), &checked)?;
        for (id, _) in &checked {
            ctx.line(&format!("{id} enabled"))?;
        }
        Ok(0)
    }
}
