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
        let mut out = Map::new();
        for u in list {
            // Plain output shows the single attribute inline, as ownCloud does.
            let v = if plain {
                json!(u.display_name)
            } else {
                json!({ "displayName": u.display_name })
            };
            out.insert(u.uid, v);
        }
        ctx.data(Value::Object(out))?;
        Ok(0)
    }
}
