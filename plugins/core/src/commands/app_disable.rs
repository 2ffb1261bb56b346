//! `app:disable <app-id>...`: disables apps after checking all of them (known, not a core
//! app); nothing changes unless every one passes.

use occ_plugin_api::prelude::*;

use crate::apps;

/// The command.
pub struct AppDisable;

impl Command for AppDisable {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("app:disable", "Disable an app.")
            .arg(Arg::required("app-id", "Disable the specified app.").multiple())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let info = ctx.instance()?;
        let roots = apps::roots(ctx, &info)?;
        let states = apps::states(&ctx.db())?;
        let mut ids: Vec<String> = Vec::new();
        for id in input.arg_list("app-id") {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        // (id, whether it is enabled now)
        let mut checked: Vec<(String, bool)> = Vec::new();
        for id in ids {
            apps::validate_id(&id).map_err(Error::new)?;
            let core = || {
                Error::new(format!(
                    "App \"{id}\" is a core app and cannot be disabled."
                ))
            };
            if apps::is_core_app(&id, None) {
                return Err(core());
            }
            let dir =
                apps::find(&roots, &id).ok_or_else(|| Error::new(format!("{id} not found")))?;
            // A broken manifest does not keep an app from being disabled.
            if apps::is_core_app(&id, apps::read_info(&dir).ok().as_ref()) {
                return Err(core());
            }
            let enabled = states.get(&id).is_some_and(|s| s.enabled);
            checked.push((id, enabled));
        }
        let to_disable: Vec<String> = checked
            .iter()
            .filter(|(_, enabled)| *enabled)
            .map(|(id, _)| id.clone())
            .collect();
        if !to_disable.is_empty() {
            apps::disable(&ctx.db(), &to_disable)?;
        }
        for (id, enabled) in &checked {
            if *enabled {
                ctx.line(&format!("{id} disabled"))?;
            } else {
                ctx.line(&format!("No such app enabled: {id}"))?;
            }
        }
        Ok(0)
    }
}
