//! `user:resetpassword`: set a user's password from a prompt or `OC_PASS`, hashed by
//! `password`.

use occ_plugin_api::prelude::*;

use crate::{password, users};

/// The command.
pub struct UserResetPassword;

impl Command for UserResetPassword {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "user:resetpassword",
            "Resets the password of the named user.",
        )
        .arg(Arg::required("user", "Username to reset password"))
        .opt(Opt::flag(
            "password-from-env",
            "read password from environment variable OC_PASS",
        ))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let uid = input.arg_str("user").unwrap_or_default();
        let user = users::require(&ctx.db(), &uid)?;
        if user.backend != users::DATABASE_BACKEND {
            // Another backend's account (LDAP's): its password lives there.
            return Err(Error::new(format!(
                "The password of {uid} is kept by its backend ({}), not by ownCloud: change it there.",
                user.backend
            )));
        }
        let password = users::password_from(
            ctx,
            input.flag("password-from-env"),
            "Enter a new password: ",
            "Confirm the new password: ",
        )?;
        users::set_password(&ctx.db(), &uid, &password::hash_password(&password)?)?;
        ctx.styled(
            Style::Info,
            &format!("Successfully reset password for {uid}"),
        )?;
        Ok(0)
    }
}
