//! `maintenance:singleuser [--on|--off]`: switch or report single user mode.

use occ_plugin_api::prelude::*;
use serde_json::Map;

/// The command.
pub struct SingleUser;

impl Command for SingleUser {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("maintenance:singleuser", "Set single user mode.")
            .opt(Opt::flag("on", "Enable single user mode."))
            .opt(Opt::flag("off", "Disable single user mode."))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let set = |on: bool| {
            let mut m = Map::new();
            m.insert("singleuser".into(), Value::Bool(on));
            ctx.update_system_config(m, &[])
        };
        if input.flag("on") {
            set(true)?;
            ctx.line("Single user mode enabled")?;
        } else if input.flag("off") {
            set(false)?;
            ctx.line("Single user mode disabled")?;
        } else {
            let on = ctx
                .system_config("singleuser")?
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            ctx.line(&format!(
                "Single user mode is currently {}",
                if on { "enabled" } else { "disabled" }
            ))?;
        }
        Ok(0)
    }
}
