//! `user:delete`: remove an account, its memberships, preferences and home directory, and
//! tell other plugins (`user.deleted`) so they drop what they keep for it.

use occ_plugin_api::prelude::*;

use crate::users;

/// The command.
pub struct UserDelete;

impl Command for UserDelete {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:delete", "Deletes the specified user.")
            .arg(Arg::required("uid", "the username"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let uid = input.arg_str("uid").unwrap_or_default();
        let user = users::require(&ctx.db(), &uid)?;
        users::delete(&ctx.db(), &uid)?;
        ctx.emit("user.deleted", json!({"uid": uid, "home": user.home}))?;
        // The home goes last: once the account is gone nothing refers to it.
        let datadir = ctx.instance()?.data_dir.unwrap_or_default();
        let home = std::path::Path::new(&datadir).join(&uid);
        if !datadir.is_empty() && home.is_dir() {
            std::fs::remove_dir_all(&home).map_err(|e| {
                Error::new(format!(
                    "The user was deleted, but its home {} could not be removed: {e}",
                    home.display()
                ))
            })?;
        }
        ctx.styled(Style::Info, "The specified user was deleted")?;
        Ok(0)
    }
}
