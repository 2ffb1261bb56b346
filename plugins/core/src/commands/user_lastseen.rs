//! `user:lastseen`: when a user last logged in.

use occ_plugin_api::prelude::*;

use crate::users;

/// The command.
pub struct UserLastSeen;

/// `dd.mm.YYYY HH:MM` (UTC) from seconds since the epoch, as ownCloud prints it.
pub fn format_time(secs: i64) -> String {
    let (y, m, d, h, mi, _) = crate::time::civil(secs);
    format!("{d:02}.{m:02}.{y} {h:02}:{mi:02}")
}

impl Command for UserLastSeen {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:lastseen", "Shows when the user was last logged in.")
            .arg(Arg::required("uid", "the username"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let uid = input.arg_str("uid").unwrap_or_default();
        let user = users::require(&ctx.db(), &uid)?;
        if user.last_login <= 0 {
            ctx.line(&format!("User {uid} has never logged in."))?;
        } else {
            ctx.line(&format!(
                "{uid}`s last login: {}",
                format_time(user.last_login)
            ))?;
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_like_php_date() {
        assert_eq!(super::format_time(0), "01.01.1970 00:00");
        assert_eq!(super::format_time(1_795_840_200), "28.11.2026 04:30");
    }
}
