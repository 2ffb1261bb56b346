//! `user:enable` and `user:disable`.

use occ_plugin_api::prelude::*;

use crate::users;

/// `user:enable`.
pub struct UserEnable;
/// `user:disable`.
pub struct UserDisable;

fn switch(input: &Input, ctx: &mut Context, enabled: bool) -> CmdResult {
    let uid = input.arg_str("uid").unwrap_or_default();
    users::require(&ctx.db(), &uid)?;
    users::set_enabled(&ctx.db(), &uid, enabled)?;
    ctx.styled(
        Style::Info,
        if enabled {
            "The specified user is enabled"
        } else {
            "The specified user is disabled"
        },
    )?;
    Ok(0)
}

impl Command for UserEnable {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:enable", "Enables the specified user.")
            .arg(Arg::required("uid", "the username"))
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        switch(input, ctx, true)
    }
}

impl Command for UserDisable {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:disable", "Disables the specified user.")
            .arg(Arg::required("uid", "the username"))
    }
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        switch(input, ctx, false)
    }
}
