//! `upgrade`: run every pending schema migration and record the new version.

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::admin;

/// The command.
pub struct Upgrade;

/// Exit codes as ownCloud's upgrade command.
const UP_TO_DATE: i32 = 3;
const MAINTENANCE_MODE: i32 = 2;

impl Command for Upgrade {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "upgrade",
            "Run upgrade routines after upgrading to a new release.",
        )
        .opt(Opt::flag(
            "no-app-disable",
            "Skip disabling of third party apps.",
        ))
        .opt(Opt::flag(
            "major",
            "Automatically update apps to new major versions during minor updates of the server",
        ))
        .states(&[State::Installed, State::Maintenance, State::UpgradePending])
    }

    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        let i = ctx.instance()?;
        if i.maintenance {
            ctx.line("occ is in maintenance mode")?;
            ctx.line("Maybe an upgrade is already in process. Please check the log file. If you want to re-run the upgrade procedure, turn maintenance mode off (occ maintenance:mode --off) and call this command again.")?;
            return Ok(MAINTENANCE_MODE);
        }
        if !i.needs_upgrade {
            ctx.styled(Style::Info, "occ is already latest version")?;
            return Ok(UP_TO_DATE);
        }
        ctx.line("Updating database schema")?;
        let r = ctx.request(&admin::Upgrade {})?;
        ctx.line(&format!(
            "Updated database ({} migrations applied)",
            r.applied
        ))?;
        ctx.line("Update successful")?;
        Ok(0)
    }
}
