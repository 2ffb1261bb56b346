//! `files:cleanup`: delete file cache entries whose storage no longer exists.

use occ_plugin_api::prelude::*;

/// The command.
pub struct Cleanup;

impl Command for Cleanup {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("files:cleanup", "Deletes orphaned file cache entries.")
    }

    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        let n = ctx.db().execute(
            "DELETE FROM *PREFIX*filecache WHERE storage NOT IN (SELECT numeric_id FROM *PREFIX*storages)",
            &[],
        )?;
        ctx.line(&format!("{n} orphaned file cache entries deleted"))?;
        Ok(0)
    }
}
