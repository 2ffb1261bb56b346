//! `upgrade [--skip-migration-test] [--dry-run] [--no-app-disable] [--major]`: brings the
//! instance's schema to the code's version, as ownCloud's command does and with its exit
//! codes. This command decides (the state, the incompatible apps), switches maintenance mode
//! and runs the repair steps; the host runs the migration test and the migrations
//! (`instance.upgrade`) and prints their lines.
//!
//! The sequence, as the seed prints it: `Turned on maintenance mode`, `Checked database schema
//! update`, `Checked database schema update for apps` (the test on a copy), `Updated
//! database`, `Updating <app> ...` and `Updated <app> to x.y.z` per plugin, `Update
//! successful`, `Turned off maintenance mode`. Maintenance mode ends as the upgrade found it,
//! also after a failure (ownCloud keeps it on then; the failed upgrade changed nothing here).

use std::path::Path;

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::admin;
use occ_plugin_api::protocol::{RepairList, RepairRun};

use crate::apps;

/// The command.
pub struct Upgrade;

/// Exit codes as ownCloud's upgrade command.
const SUCCESS: i32 = 0;
const MAINTENANCE_MODE: i32 = 2;
const UP_TO_DATE: i32 = 3;
const INVALID_ARGUMENTS: i32 = 4;
const FAILURE: i32 = 5;

/// Enabled apps whose `max-version` (or `min-version`) excludes this server's version; apps
/// that ship with the server are never among them.
fn incompatible_apps(ctx: &Context, root: &Path, server: &str) -> Result<Vec<String>, Error> {
    let states = apps::states(&ctx.db())?;
    let mut out = Vec::new();
    for (id, state) in states {
        if !state.enabled || apps::validate_id(&id).is_err() {
            continue;
        }
        let Some(dir) = apps::app_path(root, &id) else {
            continue;
        };
        let Ok(info) = apps::read_info(&dir) else {
            continue;
        };
        if apps::is_core_app(&id, Some(&info)) {
            continue;
        }
        if apps::check_server_version(&info, server).is_err() {
            out.push(id);
        }
    }
    Ok(out)
}

/// Sets `maintenance` to `value`, or removes it.
fn set_maintenance(ctx: &Context, value: Option<Value>) -> Result<(), Error> {
    let mut m = serde_json::Map::new();
    match value {
        Some(v) => {
            m.insert("maintenance".into(), v);
            ctx.update_system_config(m, &[])
        }
        None => ctx.update_system_config(m, &["maintenance"]),
    }
}

/// The repair steps of every plugin after a successful upgrade, as ownCloud runs them: their
/// own lines only with `-v`; an error is printed and does not undo the upgrade.
fn repair(ctx: &Context, verbose: bool) -> Result<(), Error> {
    for s in ctx.request(&RepairList {})? {
        if s.expensive {
            continue;
        }
        if verbose {
            ctx.styled(Style::Info, &format!("Repair step: {}", s.name))?;
        }
        let ran = ctx.request(&RepairRun {
            plugin: s.plugin.clone(),
            id: s.id.clone(),
            quiet: !verbose,
        });
        if let Err(e) = ran {
            ctx.styled(Style::Error, &format!("Repair error: {}", e.message))?;
        }
    }
    Ok(())
}

impl Command for Upgrade {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "upgrade",
            "Run upgrade routines after upgrading to a new release.",
        )
        .opt(Opt::flag(
            "skip-migration-test",
            "Skips the database schema migration simulation and updates directly.",
        ))
        .opt(Opt::flag(
            "dry-run",
            "Only runs the database schema migration simulation, does not actually update.",
        ))
        .opt(Opt::flag(
            "no-app-disable",
            "Skip disabling of third party apps.",
        ))
        .opt(Opt::flag(
            "major",
            "Automatically update apps to new major versions during minor updates of the server",
        ))
        .states(&[State::Installed, State::Maintenance, State::UpgradePending])
        .usage_exit_code(INVALID_ARGUMENTS)
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let dry_run = input.flag("dry-run");
        let skip_test = input.flag("skip-migration-test");
        if dry_run && skip_test {
            ctx.styled(
                Style::Error,
                "--dry-run runs only the migration test: it cannot be combined with --skip-migration-test",
            )?;
            return Ok(INVALID_ARGUMENTS);
        }
        let i = ctx.instance()?;
        if !i.needs_upgrade {
            if i.maintenance {
                let file = Path::new(&i.config_file)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ctx.styled(
                    Style::Comment,
                    &format!("{} is in maintenance mode", i.product),
                )?;
                ctx.styled(
                    Style::Comment,
                    &format!("Maybe an upgrade is already in process. Please check the logfile (data/occ.log). If you want to re-run the upgrade procedure, remove the \"maintenance mode\" from {file} and call this script again."),
                )?;
                return Ok(MAINTENANCE_MODE);
            }
            ctx.styled(
                Style::Info,
                &format!("{} is already latest version", i.product),
            )?;
            return Ok(UP_TO_DATE);
        }

        let incompatible = incompatible_apps(ctx, Path::new(&i.root), &i.version)?;
        if !incompatible.is_empty() && input.flag("no-app-disable") {
            ctx.styled(
                Style::Error,
                &format!(
                    "These enabled apps are incompatible with {} {}, and --no-app-disable keeps them: {}",
                    i.product,
                    i.version,
                    incompatible.join(", ")
                ),
            )?;
            ctx.styled(Style::Error, "Update failed")?;
            return Ok(FAILURE);
        }

        let was_on = i.maintenance;
        let before = ctx.system_config("maintenance")?;
        if !dry_run && !was_on {
            set_maintenance(ctx, Some(Value::Bool(true)))?;
            ctx.styled(Style::Info, "Turned on maintenance mode")?;
        }
        let upgraded = ctx.request(&admin::Upgrade {
            skip_migration_test: skip_test,
            dry_run,
            disable_apps: incompatible,
        });
        let (failed, unsettled) = match upgraded {
            Ok(r) => (r.failed, r.unsettled),
            Err(e) => (Some(e.message), false),
        };
        // From here on output errors (a closed pipe) must not keep maintenance mode from
        // being put back: they are ignored until it is.
        if failed.is_none() && !dry_run {
            if let Err(e) = repair(ctx, ctx.env().verbosity >= 1) {
                let _ = ctx.styled(Style::Error, &format!("Repair error: {}", e.message));
            }
        }
        if let Some(why) = &failed {
            for l in why.lines() {
                let _ = ctx.styled(Style::Error, l);
            }
        }
        let _ = if dry_run {
            match failed {
                None => ctx.styled(Style::Info, "Dry run: nothing was changed"),
                Some(_) => Ok(()),
            }
        } else if failed.is_none() {
            ctx.styled(Style::Info, "Update successful")
        } else {
            ctx.styled(Style::Error, "Update failed")
        };
        if !dry_run {
            if was_on || unsettled {
                // Unsettled: the database is between two states until the next upgrade.
                let _ = ctx.styled(Style::Info, "Maintenance mode is kept active");
            } else {
                set_maintenance(ctx, before)?;
                let _ = ctx.styled(Style::Info, "Turned off maintenance mode");
            }
        }
        Ok(if failed.is_none() { SUCCESS } else { FAILURE })
    }
}
