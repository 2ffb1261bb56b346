//! `user:list [pattern] [-l|--limit] [-o|--offset] [-a|--attributes=]... [--show-all-attributes]`:
//! users (of every backend) and their display names, or the attributes asked for, as ownCloud
//! 10 shows them (another backend's users by its short name, `LDAP`, as ownCloud does).

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
            .opt(
                Opt::value("attributes", "Adds more details to the output")
                    .short("a")
                    .multiple(),
            )
            .opt(Opt::flag("show-all-attributes", "Show all attributes"))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let limit = number(input, "limit", 500)?;
        let offset = number(input, "offset", 0)?;
        let pattern = input.arg_str("search-pattern").unwrap_or_default();
        let plain = !matches!(
            input.opt_str("output").as_deref(),
            Some("json" | "json_pretty")
        );
        let asked: Vec<String> = if input.flag("show-all-attributes") {
            ATTRIBUTES.iter().map(|a| a.to_string()).collect()
        } else {
            input.opt_list("attributes")
        };
        if !asked.is_empty() {
            return with_attributes(ctx, &asked, &pattern, limit, offset);
        }
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

/// Every attribute ownCloud 10's `user:list` knows, in its order.
const ATTRIBUTES: &[&str] = &[
    "uid",
    "displayName",
    "email",
    "quota",
    "enabled",
    "lastLogin",
    "creationTime",
    "home",
    "backend",
    "cloudId",
    "searchTerms",
];

/// The users with the attributes asked for, by uid.
fn with_attributes(
    ctx: &Context,
    asked: &[String],
    pattern: &str,
    limit: i64,
    offset: i64,
) -> CmdResult {
    if let Some(bad) = asked.iter().find(|a| !ATTRIBUTES.contains(&a.as_str())) {
        return Err(Error::usage(format!(
            "Unknown attribute \"{bad}\"; known: {}",
            ATTRIBUTES.join(", ")
        )));
    }
    // Backends by their short names: core's "Database", the others' as their plugins say.
    let mut names: std::collections::HashMap<String, String> =
        [(users::DATABASE_BACKEND.to_string(), "Database".to_string())].into();
    if asked.iter().any(|a| a == "backend") {
        for b in crate::backends::user_backends(ctx)? {
            if let Some(short) = b.display {
                names.insert(b.class, short);
            }
        }
    }
    let host = ctx
        .system_config("overwrite.cli.url")?
        .and_then(|v| v.as_str().map(str::to_string))
        .map(|u| {
            let u = u
                .split_once("://")
                .map_or(u.as_str(), |(_, h)| h)
                .to_string();
            u.split('/').next().unwrap_or_default().to_string()
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    let mut out = serde_json::Map::new();
    for u in users::list(&ctx.db(), pattern, limit, offset)? {
        let mut m = serde_json::Map::new();
        for a in asked {
            let v = match a.as_str() {
                "uid" => json!(u.uid),
                "displayName" => json!(u.display_name),
                "email" => json!(u.email),
                "quota" => json!(u.quota.clone().unwrap_or_else(|| "default".into())),
                "enabled" => json!(u.enabled),
                "lastLogin" => json!(u.last_login),
                "creationTime" => json!(u.creation_time),
                "home" => json!(u.home),
                "backend" => json!(names.get(&u.backend).unwrap_or(&u.backend)),
                "cloudId" => json!(format!("{}@{host}", u.uid)),
                _ => json!([]),
            };
            m.insert(a.clone(), v);
        }
        out.insert(u.uid.clone(), Value::Object(m));
    }
    ctx.data(if out.is_empty() {
        json!([])
    } else {
        Value::Object(out)
    })?;
    Ok(0)
}
