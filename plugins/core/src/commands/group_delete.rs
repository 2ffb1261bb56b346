//! `group:delete <gid>`: the admin group cannot be deleted; `groups` removes the group with
//! its memberships.

use occ_plugin_api::prelude::*;

use crate::groups;

/// The command.
pub struct GroupDelete;

impl Command for GroupDelete {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("group:delete", "Deletes the specified group.")
            .arg(Arg::required("group", "Group to delete"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let gid = input.arg_str("group").unwrap_or_default();
        groups::require(&ctx.db(), &gid)?;
        if gid == groups::ADMIN {
            return Err(Error::new(
                "Group \"admin\" could not be deleted: it is the admin group.",
            ));
        }
        groups::delete(&ctx.db(), &gid)?;
        ctx.line(&format!("Group \"{gid}\" was removed"))?;
        Ok(0)
    }
}
