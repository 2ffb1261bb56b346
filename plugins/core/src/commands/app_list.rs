//! `app:list [<search-pattern>] [--enabled] [--disabled] [--output=..]`: the apps under
//! `<root>/apps` (an ownCloud server's `apps_paths`), enabled ones first, each with its installed version and path, laid out as
//! ownCloud's `app:list`.

use occ_plugin_api::prelude::*;
use serde_json::Map;

use crate::apps;

/// The command.
pub struct AppList;

impl Command for AppList {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("app:list", "List all available apps.")
            .arg(Arg::optional(
                "search-pattern",
                "Restrict the list of apps to those whose name matches the given regular expression.",
            ))
            .opt(Opt::flag("enabled", "Only display enabled apps.").short("e"))
            .opt(
                Opt::flag(
                    "disabled",
                    "Only display disabled apps. If the app was previously enabled, the app version is also displayed.",
                )
                .short("d"),
            )
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let pattern = match input.arg_str("search-pattern") {
            Some(p) => Some(regex_lite::Regex::new(&p).map_err(|_| {
                Error::usage(format!(
                    "The search pattern \"{}\" is not a valid regular expression.",
                    p.escape_default()
                ))
            })?),
            None => None,
        };
        let only_enabled = input.flag("enabled");
        let only_disabled = input.flag("disabled");
        let neither = !only_enabled && !only_disabled;
        let info = ctx.instance()?;
        let roots = apps::roots(ctx, &info)?;
        let states = apps::states(&ctx.db())?;
        let mut enabled = Map::new();
        let mut disabled = Map::new();
        for (id, dir) in apps::all_apps_in(&roots) {
            if pattern.as_ref().is_some_and(|re| !re.is_match(&id)) {
                continue;
            }
            let state = states.get(&id).cloned().unwrap_or_default();
            let path = dir.display().to_string();
            let mut record = Map::new();
            if state.enabled {
                if !(only_enabled || neither) {
                    continue;
                }
                if let Some(v) = state.installed_version {
                    record.insert("Version".into(), json!(v));
                }
                record.insert("Path".into(), json!(path));
                enabled.insert(id, Value::Object(record));
            } else {
                if !(only_disabled || neither) {
                    continue;
                }
                // As ownCloud: the version of a disabled app only when asked for disabled ones.
                if let (true, Some(v)) = (only_disabled, state.installed_version) {
                    record.insert("Version".into(), json!(v));
                }
                record.insert("Path".into(), json!(path));
                disabled.insert(id, Value::Object(record));
            }
        }
        match input.opt_str("output").as_deref() {
            Some("json" | "json_pretty") => {
                ctx.data(json!({"enabled": enabled, "disabled": disabled}))?;
            }
            _ => {
                for (title, list) in [("Enabled:", enabled), ("Disabled:", disabled)] {
                    if !list.is_empty() {
                        ctx.line(title)?;
                        ctx.data(Value::Object(list))?;
                    }
                }
            }
        }
        Ok(0)
    }
}
