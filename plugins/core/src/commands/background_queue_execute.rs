//! `background:queue:execute <Job ID> [--force] [--accept-warning]` (alias
//! `background-job:execute`): runs one queued job now, as ownCloud's command does; a job that
//! is not due or is being run by a cron is refused unless `--force`.

use occ_plugin_api::prelude::*;

use crate::jobs::{self, Reservation};

/// The command.
pub struct QueueExecute;

/// ownCloud's warning, shown unless `--accept-warning`, then [`QUESTION`] is asked.
const WARNING: [&str; 3] = [
    "This command is for maintenance and support purposes.",
    "This will run the specified background job now. Regular scheduled runs of the job will",
    "continue to happen at their scheduled times.",
];
const QUESTION: &str =
    "If you still want to use this command please confirm the usage by entering: yes";

impl Command for QueueExecute {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "background:queue:execute",
            "Run a single background job from the queue",
        )
        .alias("background-job:execute")
        .arg(Arg::required("Job ID", "ID of the job to run"))
        .opt(Opt::flag("force", "Force run the job even if within timing interval").short("f"))
        .opt(Opt::flag(
            "accept-warning",
            "No warning about the usage of this command will be displayed",
        ))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let id = jobs::parse_id(input.arg_str("Job ID").as_deref())?;
        let force = input.flag("force");
        let Some(job) = jobs::get(ctx, id)? else {
            return Err(Error::new("Job not found"));
        };
        if !input.flag("accept-warning") {
            if !ctx.env().interactive {
                return Err(Error::new(
                    "This command is for maintenance and support purposes: add --accept-warning to run a job with --no-interaction.",
                ));
            }
            for l in WARNING {
                ctx.message(l)?;
            }
            if !ctx.confirm(QUESTION, false)? {
                return Ok(1);
            }
        }
        ctx.styled(
            Style::Info,
            &format!("Found job: {} with ID {id}", job.class),
        )?;
        let declared = jobs::declared(ctx)?;
        let Some(&interval) = declared.get(&job.class) else {
            if jobs::is_php_class(&job.class) && ctx.instance()?.owncloud.is_some() {
                return Err(Error::new(format!(
                    "Job {id} is ownCloud's \"{}\": ownCloud's own cron runs it, occ runs only its plugins' jobs.",
                    job.class
                )));
            }
            return Err(Error::new(format!(
                "Job {id} cannot run: no loaded plugin provides \"{}\".",
                job.class
            )));
        };
        if force {
            ctx.styled(Style::Info, "Forcing run, resetting last run value to 0")?;
        }
        let job = match jobs::reserve(ctx, id, interval, crate::time::now(), force)? {
            Reservation::Reserved(j) => j,
            Reservation::Gone => return Err(Error::new("Job not found")),
            Reservation::Busy(j) => {
                return Err(Error::new(format!(
                    "Job {id} is being run by another process since {}; use --force to run it anyway.",
                    jobs::iso8601(j.reserved_at)
                )))
            }
            Reservation::NotDue(j) => {
                return Err(Error::new(format!(
                    "Job {id} is not due: it last ran at {} and runs every {interval} seconds; use --force to run it now.",
                    jobs::iso8601(j.last_run)
                )))
            }
        };
        ctx.styled(Style::Info, "Running job...")?;
        // A failure is logged (and so shown on stderr) by `execute`.
        let Ok(secs) = jobs::execute(ctx, &job) else {
            return Ok(1);
        };
        ctx.styled(Style::Info, &format!("Finished in {secs} seconds"))?;
        Ok(0)
    }
}
