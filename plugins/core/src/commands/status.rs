//! `status`: installed, version, edition, maintenance and whether an upgrade is needed; on an
//! ownCloud server in place, ownCloud 10's own lines (its first install version, no more).

use occ_plugin_api::prelude::*;

/// The command.
pub struct Status;

impl Command for Status {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("status", "Show status information.")
            .opt(Opt::output_format())
            .opt(Opt::flag(
                "exit-code",
                "Exit with 0 if running in normal mode, 1 when in maintenance mode, 2 when `occ upgrade` is needed. Does not write any output.",
            )
            .short("e"))
            .states(State::ALL)
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let i = ctx.instance()?;
        if input.flag("exit-code") {
            return Ok(if i.needs_upgrade {
                2
            } else if i.maintenance {
                1
            } else {
                0
            });
        }
        // An ownCloud server in place: ownCloud 10's own status.
        if let (Some(version), true) = (&i.owncloud, i.installed) {
            let first = crate::config::app_get(&ctx.db(), "core", "first_install_version")?;
            let string: Vec<&str> = version.split('.').take(3).collect();
            let string = string.join(".");
            ctx.data(json!({
                "installed": true,
                "first_install_version": first.unwrap_or_else(|| "unknown".into()),
                "version": version,
                "versionstring": string,
                "edition": "Community",
            }))?;
            return Ok(0);
        }
        ctx.data(json!({
            "installed": i.installed,
            "version": format!("{}.0", i.version),
            "versionstring": i.version,
            "edition": "Community",
            "maintenance": i.maintenance,
            "needsDbUpgrade": i.needs_upgrade,
        }))?;
        Ok(0)
    }
}
