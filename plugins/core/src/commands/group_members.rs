//! `group:list-members <gid>`, `group:adduser <gid> <uid>`, `group:removeuser <gid> <uid>`:
//! memberships are changed through `groups`; members are listed with their display names by
//! `users`.

use occ_plugin_api::prelude::*;
use serde_json::Map;

use crate::{backends, groups, users};

/// `group:list-members`.
pub struct GroupListMembers;
/// `group:adduser`.
pub struct GroupAddUser;
/// `group:removeuser`.
pub struct GroupRemoveUser;

impl Command for GroupListMembers {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("group:list-members", "List group members.")
            .arg(Arg::required("group", "Name of the group"))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let gid = input.arg_str("group").unwrap_or_default();
        let members: Vec<(String, String)> = if groups::exists(&ctx.db(), &gid)? {
            users::members_of_group(&ctx.db(), &gid)?
        } else if let Some(uids) = backends::members(ctx, &gid)? {
            // Another backend's group: its members by their accounts' display names.
            let mut out = Vec::new();
            for uid in uids {
                let display = users::get(&ctx.db(), &uid)?
                    .map(|u| u.display_name)
                    .unwrap_or_else(|| uid.clone());
                out.push((uid, display));
            }
            out
        } else {
            groups::require(&ctx.db(), &gid)?;
            Vec::new()
        };
        let members: Map<String, Value> = members
            .into_iter()
            .map(|(u, d)| (u, Value::String(d)))
            .collect();
        // PHP's json_encode of an empty array is `[]`, of one keyed by uid an object.
        ctx.data(if members.is_empty() {
            Value::Array(Vec::new())
        } else {
            Value::Object(members)
        })?;
        Ok(0)
    }
}

fn target(input: &Input, ctx: &Context) -> Result<(String, String), Error> {
    let gid = input.arg_str("group").unwrap_or_default();
    let uid = input.arg_str("uid").unwrap_or_default();
    groups::require(&ctx.db(), &gid)?;
    users::require(&ctx.db(), &uid)?;
    Ok((gid, uid))
}

impl Command for GroupAddUser {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("group:adduser", "Add a user to a group.")
            .arg(Arg::required("group", "Name of the group"))
            .arg(Arg::required("uid", "User to add"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let (gid, uid) = target(input, ctx)?;
        ctx.db().transaction(|db| {
            if !groups::is_member(db, &gid, &uid)? {
                groups::add_member(db, &gid, &uid)?;
            }
            Ok(())
        })?;
        ctx.line(&format!("User \"{uid}\" added to group \"{gid}\""))?;
        Ok(0)
    }
}

impl Command for GroupRemoveUser {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("group:removeuser", "Remove a user from a group.")
            .arg(Arg::required("group", "Name of the group"))
            .arg(Arg::required("uid", "User to remove"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let (gid, uid) = target(input, ctx)?;
        if !groups::is_member(&ctx.db(), &gid, &uid)? {
            return Err(Error::new(format!(
                "User \"{uid}\" is not a member of group \"{gid}\"."
            )));
        }
        groups::remove_member(&ctx.db(), &gid, &uid)?;
        ctx.line(&format!("User \"{uid}\" removed from group \"{gid}\""))?;
        Ok(0)
    }
}
