//! `group:add <gid>`: checks the name and creates the group through `groups`.

use occ_plugin_api::prelude::*;

use crate::groups;

/// The command.
pub struct GroupAdd;

impl Command for GroupAdd {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("group:add", "Adds a group.")
            .arg(Arg::required("groupname", "Name of the group"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let gid = input.arg_str("groupname").unwrap_or_default();
        groups::validate_gid(&gid)?;
        ctx.db().transaction(|db| {
            if groups::exists(db, &gid)? {
                return Err(Error::new(format!("Group \"{gid}\" already exists.")));
            }
            groups::create(db, &gid)
        })?;
        ctx.line(&format!("Created group \"{gid}\""))?;
        Ok(0)
    }
}
