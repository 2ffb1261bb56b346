//! `group:list [pattern]`.

use occ_plugin_api::prelude::*;

use crate::groups;

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
        let list = groups::list(
            &ctx.db(),
            &input.arg_str("search-pattern").unwrap_or_default(),
        )?;
        ctx.data(Value::Array(list.into_iter().map(Value::String).collect()))?;
        Ok(0)
    }
}
