//! `user:list [pattern] [-l|--limit] [-o|--offset]`: users and their display names.

use occ_plugin_api::prelude::*;

/// `{"uid": {"displayName": ...}, ...}` as ownCloud's json output, serialized from the list.
struct ByUid<'a>(&'a [(String, String)]);

impl serde::Serialize for ByUid<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            #[serde(rename = "displayName")]
            display_name: &'a str,
        }
        s.collect_map(
            self.0
                .iter()
                .map(|(uid, d)| (uid, Entry { display_name: d })),
        )
    }
}

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
        let plain = !matches!(
            input.opt_str("output").as_deref(),
            Some("json" | "json_pretty")
        );
        if plain {
            // ownCloud's plain layout ("  - uid: display name"), built here as one block
            // straight from the host's answer: 10,000 users are one write instead of a map the
            // host must take apart again.
            let mut text = String::new();
            users::each_name(&ctx.db(), &pattern, limit, offset, |uid, display_name| {
                text.push_str("  - ");
                text.push_str(uid);
                text.push_str(": ");
                text.push_str(display_name);
                text.push('\n');
            })?;
            if !text.is_empty() {
                text.pop();
                ctx.line(&text)?;
            }
            return Ok(0);
        }
        let mut list = Vec::new();
        users::each_name(&ctx.db(), &pattern, limit, offset, |uid, display_name| {
            list.push((uid.to_string(), display_name.to_string()));
        })?;
        if list.is_empty() {
            // PHP's json_encode of an empty array.
            ctx.data(json!([]))?;
        } else {
            ctx.data_of(&ByUid(&list))?;
        }
        Ok(0)
    }
}
