//! `background:ajax`, `background:cron`, `background:webcron`: how background jobs are
//! triggered (app config `core`/`backgroundjobs_mode`), as ownCloud's three commands.

use occ_plugin_api::prelude::*;

fn spec(mode: &str) -> CommandSpec {
    CommandSpec::new(
        &format!("background:{mode}"),
        &format!("Use {mode} to run background jobs."),
    )
}

fn set_mode(mode: &str, ctx: &mut Context) -> CmdResult {
    ctx.set_app_config("core", "backgroundjobs_mode", Some(mode))?;
    ctx.line(&format!("Set mode for background jobs to '{mode}'"))?;
    Ok(0)
}

/// `background:ajax`.
pub struct Ajax;

impl Command for Ajax {
    fn spec(&self) -> CommandSpec {
        spec("ajax")
    }
    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        set_mode("ajax", ctx)
    }
}

/// `background:cron`.
pub struct Cron;

impl Command for Cron {
    fn spec(&self) -> CommandSpec {
        spec("cron")
    }
    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        set_mode("cron", ctx)
    }
}

/// `background:webcron`.
pub struct WebCron;

impl Command for WebCron {
    fn spec(&self) -> CommandSpec {
        spec("webcron")
    }
    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        set_mode("webcron", ctx)
    }
}
