//! `user:list [pattern] [-l|--limit] [-o|--offset]`: users and their display names.

use occ_plugin_api::prelude::*;
use serde_json::Map;

use crate::users;

/// The command.
pub struct UserList;

fn number(input: &Input, name: &str, default: i64) -> Result<i64, Error> {
    match input.opt_str(name) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            Error::usage(format!(
                "--{name} must be a whole number of zero or more, not \"{}\".",
                v.escape_default()
            ))
        }),
    }
}

impl Command for UserList {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:list", "List users and their attributes.")
            .arg(Arg::optional("search-pattern", "Restrict the list of users to those whose user id or display name contains the pattern").default_value(""))
            .opt(Opt::value("limit", "Number of users to retrieve").short("l").default_value("500"))
            .opt(Opt::value("offset", "Offset for retrieving users").short("o").default_value("0"))
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let limit = number(input, "limit", 500)?;
        let offset = number(input, "offset", 0)?;
        let pattern = input.arg_str("search-pattern").unwrap_or_default();
        let list = users::list(&ctx.db(), &pattern, limit, offset)?;
        let plain = !matches!(
            input.opt_str("output").as_deref(),
            Some("json" | "json_pretty")
        );
        if plain {
            // ownCloud's plain layout ("  - uid: display name"), built here as one block:
            // 10,000 users are one write instead of a map the host must take apart again.
            let mut text = String::with_capacity(list.len() * 32);
            for u in &list {
                text.push_str(&format!("  - {}: {}\n", u.uid, u.display_name));
            }
            if !text.is_empty() {
                text.pop();
                ctx.line(&text)?;
            }
            return Ok(0);
        }
        let mut out = Map::new();
        for u in list {
            out.insert(u.uid, json!({ "displayName": u.display_name }));
        }
        ctx.data(Value::Object(out))?;
        Ok(0)
    }
}
