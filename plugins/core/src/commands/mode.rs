//! `maintenance:mode [--on|--off]`: switch or report maintenance mode.

use occ_plugin_api::prelude::*;
use serde_json::Map;

/// The command.
pub struct Mode;

impl Command for Mode {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("maintenance:mode", "Set maintenance mode.")
            .opt(Opt::flag("on", "Enable maintenance mode."))
            .opt(Opt::flag("off", "Disable maintenance mode."))
            .states(&[State::Installed, State::Maintenance, State::UpgradePending])
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let set = |on: bool| {
            let mut m = Map::new();
            m.insert("maintenance".into(), Value::Bool(on));
            ctx.update_system_config(m, &[])
        };
        if input.flag("on") {
            set(true)?;
            ctx.line("Maintenance mode enabled")?;
            ctx.line("Please also consider to stop the web server on all occ instances")?;
        } else if input.flag("off") {
            set(false)?;
            ctx.line("Maintenance mode disabled")?;
        } else {
            let on = ctx
                .system_config("maintenance")?
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            ctx.line(&format!(
                "Maintenance mode is currently {}",
                if on { "enabled" } else { "disabled" }
            ))?;
        }
        Ok(0)
    }
}
