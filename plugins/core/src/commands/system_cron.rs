//! `system:cron`: queues every recurring job the loaded plugins declare, then runs each due
//! job once (reserved first, so concurrent crons never run the same job) and records
//! `lastcron`. A failing job is reported and the others still run; the exit code is then 1.

use occ_plugin_api::prelude::*;

use crate::jobs::{self, Reservation};

/// The command.
pub struct SystemCron;

fn is_true(v: Option<Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1" | "yes"),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
        _ => false,
    }
}

impl Command for SystemCron {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("system:cron", "Execute background jobs as cron").opt(
            Opt::flag(
                "progress",
                "Shows each job as it runs - for use in manual execution. Do not use when executing from crontab",
            )
            .short("p"),
        )
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        if ctx.instance()?.maintenance {
            return Err(Error::new("We are in maintenance mode, skipping cron"));
        }
        if is_true(ctx.system_config("singleuser")?) {
            return Err(Error::new("We are in admin only mode, skipping cron"));
        }
        let mode = ctx
            .app_config("core", "backgroundjobs_mode")?
            .unwrap_or_else(|| "ajax".into());
        if mode == "none" {
            return Err(Error::new("Background Jobs are disabled!"));
        }
        if mode != "cron" {
            ctx.set_app_config("core", "backgroundjobs_mode", Some("cron"))?;
        }

        let declared = jobs::declared(ctx)?;
        for class in jobs::ensure_queued(ctx, &declared)? {
            ctx.verbose(1, &format!("Queued {class}"))?;
        }
        let now = crate::time::now();
        let mut queue = jobs::list(ctx)?;
        queue.sort_by_key(|j| (j.last_checked, j.id));
        let mut failed = 0;
        for job in queue {
            let Some(&interval) = declared.get(&job.class) else {
                ctx.verbose(
                    1,
                    &format!(
                        "Skipping {} - {}: no loaded plugin provides it",
                        job.id, job.class
                    ),
                )?;
                continue;
            };
            let job = match jobs::reserve(ctx, job.id, interval, now, false)? {
                Reservation::Reserved(j) => j,
                _ => continue,
            };
            if input.flag("progress") {
                ctx.line(&format!("Executing: {} - {}", job.id, job.class))?;
            } else {
                ctx.verbose(1, &format!("Executing: {} - {}", job.id, job.class))?;
            }
            // A failure is logged (and so shown on stderr) by `execute`.
            if jobs::execute(ctx, &job).is_err() {
                failed += 1;
            }
        }
        if ctx
            .system_config("cron_log")?
            .map(|v| is_true(Some(v)))
            .unwrap_or(true)
        {
            ctx.set_app_config("core", "lastcron", Some(&crate::time::now().to_string()))?;
        }
        Ok(if failed > 0 { 1 } else { 0 })
    }
}
