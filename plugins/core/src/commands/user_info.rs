//! `user:info <uid>`: one user's details (from `users`) and groups (from `groups`).

use occ_plugin_api::prelude::*;

use crate::{groups, users};

/// The command.
pub struct UserInfo;

impl Command for UserInfo {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:info", "show user info")
            .arg(Arg::required("user", "user to show"))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let uid = input.arg_str("user").unwrap_or_default();
        let u = users::require(&ctx.db(), &uid)?;
        let groups = groups::of_user(&ctx.db(), &uid)?;
        ctx.data(json!({
            "user_id": u.uid,
            "display_name": u.display_name,
            "email": u.email,
            "enabled": u.enabled,
            "groups": groups,
            "last_seen": if u.last_login > 0 { crate::commands::user_lastseen::format_time(u.last_login) } else { "never".into() },
            "user_directory": u.home,
            "backend": u.backend,
        }))?;
        Ok(0)
    }
}
