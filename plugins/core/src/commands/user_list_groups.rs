//! `user:list-groups <uid>`: the groups a user belongs to, as ownCloud 10's command lists them:
//! core's (sorted by name: ownCloud's order is whatever its database returns), then those of
//! the other backends (LDAP's).

use occ_plugin_api::prelude::*;

use crate::{backends, groups, users};

/// The command.
pub struct UserListGroups;

impl Command for UserListGroups {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:list-groups", "Lists the groups a user belongs to")
            .arg(Arg::required("uid", "User ID."))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let uid = input.arg_str("uid").unwrap_or_default();
        let db = ctx.db();
        if users::validate_uid(&uid).is_err() || users::get(&db, &uid)?.is_none() {
            return Err(Error::new(format!("User {uid} does not exist.")));
        }
        // Core's groups, then those of the other backends (LDAP's) the user is in.
        let mut list = groups::of_user(&db, &uid)?;
        for gid in backends::groups_of(ctx, &uid)? {
            if !list.contains(&gid) {
                list.push(gid);
            }
        }
        ctx.data(json!(list))?;
        Ok(0)
    }
}
