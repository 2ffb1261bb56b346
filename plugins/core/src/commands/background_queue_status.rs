//! `background:queue:status` (alias `background-job:list`): the job queue as a table, with
//! ownCloud's columns; `--display-invalid-jobs` adds the jobs no loaded plugin provides.

use occ_plugin_api::prelude::*;

use crate::jobs;

/// The command.
pub struct QueueStatus;

const HEADERS: [&str; 7] = [
    "Job ID",
    "Job",
    "Job Arguments",
    "Last Run",
    "Last Checked",
    "Reserved At",
    "Execution Duration (s)",
];

fn date_or_na(ts: i64) -> Value {
    if ts == 0 {
        json!("N/A")
    } else {
        json!(jobs::iso8601(ts))
    }
}

impl Command for QueueStatus {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("background:queue:status", "List queue status")
            .alias("background-job:list")
            .opt(Opt::flag(
                "display-invalid-jobs",
                "Also display jobs that are no longer valid",
            ))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let with_invalid = input.flag("display-invalid-jobs");
        let declared = jobs::declared(ctx)?;
        let mut headers: Vec<&str> = HEADERS.to_vec();
        if with_invalid {
            headers.push("Status");
        }
        let mut rows = Vec::new();
        // On an ownCloud server in place, ownCloud's own jobs (PHP classes) are valid: its
        // cron runs them.
        let owncloud = ctx.instance()?.owncloud.is_some();
        for j in jobs::list(ctx)? {
            let valid = declared.contains_key(&j.class) || owncloud && jobs::is_php_class(&j.class);
            if !valid && !with_invalid {
                continue;
            }
            let mut row = vec![
                json!(j.id),
                // ownCloud names its classes without the leading `\`, as PHP's get_class().
                json!(j.class.trim_start_matches('\\')),
                json!(j.argument_display()),
                date_or_na(j.last_run),
                // ownCloud prints the last check even when it is 0.
                json!(jobs::iso8601(j.last_checked)),
                date_or_na(j.reserved_at),
                if j.execution_duration == -1 {
                    json!("N/A")
                } else {
                    json!(j.execution_duration)
                },
            ];
            if with_invalid {
                row.push(json!(if valid { "" } else { "invalid" }));
            }
            rows.push(row);
        }
        ctx.table(&headers, rows)?;
        Ok(0)
    }
}
