//! `user:add`: create a database user, optionally with display name, email and groups; the
//! password is hashed (`password`) before `users` creates the account in one transaction.

use occ_plugin_api::prelude::*;

use crate::{groups, password, users};

/// The command.
pub struct UserAdd;

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl Command for UserAdd {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:add", "adds a user")
            .arg(Arg::required("uid", "User ID used to login (must only contain a-z, A-Z, 0-9, \"+_.@-'\")."))
            .opt(Opt::flag("password-from-env", "Read password from the OC_PASS environment variable."))
            .opt(Opt::optional_value("display-name", "User name used in the web UI (can contain any characters)."))
            .opt(Opt::optional_value("email", "Email address for the user."))
            .opt(
                Opt::optional_value("group", "The groups the user should be added to (The group will be created if it does not exist).")
                    .short("g")
                    .multiple(),
            )
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let uid = input.arg_str("uid").unwrap_or_default();
        users::validate_uid(&uid).map_err(Error::new)?;
        let display_name = input.opt_str("display-name").filter(|d| !d.is_empty());
        if let Some(d) = &display_name {
            if d.chars().count() > 64 || d.chars().any(char::is_control) {
                return Err(Error::new(
                    "Invalid display name: at most 64 characters, no control characters.",
                ));
            }
        }
        let email = input.opt_str("email").filter(|e| !e.is_empty());
        if let Some(e) = &email {
            if !valid_email(e) {
                return Err(Error::new(format!(
                    "Invalid email address supplied: \"{}\"",
                    e.escape_default()
                )));
            }
        }
        let mut wanted: Vec<String> = Vec::new();
        for g in input.opt_list("group") {
            groups::validate_gid(&g)?;
            if !wanted.contains(&g) {
                wanted.push(g);
            }
        }
        let from_env = input.flag("password-from-env");
        // The hash is nearly all of this command's time: with the password in the environment
        // it starts now, on another core, while the database is read.
        let early = users::env_password()
            .filter(|_| from_env)
            .map(|p| std::thread::spawn(move || password::hash_password(&p)));
        if users::taken(&ctx.db(), &uid)? {
            return Err(Error::new(format!("The user \"{uid}\" already exists.")));
        }
        let datadir = ctx.instance()?.data_dir.unwrap_or_default();
        let hash = match early {
            Some(h) => h
                .join()
                .map_err(|_| Error::new("Cannot hash the password"))??,
            None => {
                let password =
                    users::password_from(ctx, from_env, "Enter password: ", "Confirm password: ")?;
                password::hash_password(&password)?
            }
        };
        let created = users::create(
            &ctx.db(),
            &users::NewUser {
                uid: &uid,
                hash: &hash,
                display_name: display_name.as_deref(),
                email: email.as_deref(),
                groups: &wanted,
                datadir: &datadir,
            },
        )?;
        ctx.line(&format!("The user \"{uid}\" was created successfully"))?;
        if let Some(d) = &display_name {
            ctx.line(&format!("Display name set to \"{d}\""))?;
        }
        if let Some(e) = &email {
            ctx.line(&format!("Email address set to \"{e}\""))?;
        }
        for g in &wanted {
            if created.new_groups.contains(g) {
                ctx.line(&format!("Created group \"{g}\""))?;
            }
            ctx.line(&format!("User \"{uid}\" added to group \"{g}\""))?;
        }
        Ok(0)
    }
}
