//! `user:lastseen`: when a user last logged in.

use occ_plugin_api::prelude::*;

use crate::users;

/// The command.
pub struct UserLastSeen;

/// `dd.mm.YYYY HH:MM` (UTC) from seconds since the epoch, as ownCloud prints it.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{d:02}.{m:02}.{y} {:02}:{:02}", rem / 3600, rem % 3600 / 60)
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
