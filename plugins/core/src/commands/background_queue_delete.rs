//! `background:queue:delete <Job ID>`: removes one job from the queue.

use occ_plugin_api::prelude::*;

use crate::jobs;

/// The command.
pub struct QueueDelete;

impl Command for QueueDelete {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("background:queue:delete", "Delete a job from the queue")
            .arg(Arg::required("Job ID", "ID of the job to be deleted"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let id = jobs::parse_id(input.arg_str("Job ID").as_deref())?;
        if !jobs::delete(ctx, id)? {
            return Err(Error::new(format!("Job with ID <{id}> is not known.")));
        }
        ctx.line("Job has been deleted.")?;
        Ok(0)
    }
}
