//! `app:enable <app-id>...`: enables apps after checking all of them (known, valid manifest,
//! this server's version in their range); nothing changes unless every one passes.

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
        let roots = apps::roots(ctx, &info)?;
        // On an ownCloud server in place, its apps' dependencies name ownCloud's version.
        let server = info
            .owncloud
            .clone()
            .unwrap_or_else(|| info.version.clone());
        let states = apps::states(&ctx.db())?;
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
                apps::find(&roots, &id).ok_or_else(|| Error::new(format!("{id} not found")))?;
            let refuse = |why: String| Error::new(format!("App \"{id}\" cannot be enabled: {why}"));
            let manifest = apps::read_info(&dir).map_err(|e| refuse(format!("{e}.")))?;
            apps::check_server_version(&manifest, &server).map_err(refuse)?;
            // ownCloud installs an app (its tables, its steps) when it first enables it;
            // occ can only switch an installed one back on.
            if info.owncloud.is_some()
                && states
                    .get(&id)
                    .and_then(|s| s.installed_version.as_ref())
                    .is_none()
            {
                return Err(refuse(
                    "it was never installed on this ownCloud server; enable it with ownCloud's own occ, which installs it.".into(),
                ));
            }
            checked.push((id, manifest.version));
        }
        apps::enable(&ctx.db(), &checked)?;
        for (id, _) in &checked {
            ctx.line(&format!("{id} enabled"))?;
        }
        Ok(0)
    }
}
