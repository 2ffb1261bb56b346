//! `group:list [pattern]`: core's groups, then other backends' (LDAP's, say).

use occ_plugin_api::prelude::*;

use crate::{backends, groups};

/// The command.
pub struct GroupList;

impl Command for GroupList {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("group:list", "List groups.")
            .arg(
                Arg::optional(
                    "search-pattern",
                    "Restrict the list of groups to those whose name contains the pattern",
                )
                .default_value(""),
            )
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let pattern = input.arg_str("search-pattern").unwrap_or_default();
        let mut list = groups::list(&ctx.db(), &pattern)?;
        // Other backends' groups after core's, as ownCloud lists them.
        for g in backends::list(ctx, &pattern)? {
            if !list.contains(&g) {
                list.push(g);
            }
        }
        ctx.data(Value::Array(list.into_iter().map(Value::String).collect()))?;
        Ok(0)
    }
}
