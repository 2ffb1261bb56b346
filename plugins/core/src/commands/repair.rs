//! `maintenance:repair [--list] [--single=STEP] [--include-expensive]`: runs the repair steps
//! of every loaded plugin, in plugin order, printing ` - Step: <name>` before each. Only in
//! maintenance mode (ownCloud exits 0 when refusing; occ exits 1). A failing step prints
//! `     - ERROR: <message>`, the others still run, and the exit code is 1.

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::{RepairEntry as Step, RepairList, RepairRun};

/// The command.
pub struct Repair;

/// How `--list` names a step and `--single` selects it.
fn key(s: &Step) -> String {
    format!("{}::{}", s.plugin, s.id)
}

fn steps(ctx: &Context) -> Result<Vec<Step>, Error> {
    ctx.request(&RepairList {})
}

impl Command for Repair {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("maintenance:repair", "Repair the installation.")
            .opt(Opt::flag("list", "Lists all possible repair steps"))
            .opt(
                Opt::value(
                    "single",
                    "Run just one repair step given its name as --list shows it",
                )
                .short("s"),
            )
            .opt(Opt::flag(
                "include-expensive",
                "Use this option when you want to include resource and load expensive tasks.",
            ))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let all = steps(ctx)?;
        if input.flag("list") {
            ctx.line(&format!("Found {} repair steps", all.len()))?;
            ctx.line("")?;
            for s in &all {
                ctx.line(&format!("{} -> {}", key(s), s.name))?;
            }
            return Ok(0);
        }
        if !ctx.instance()?.maintenance {
            return Err(Error::new("Turn on maintenance mode to use this command."));
        }
        let run: Vec<&Step> = match input.opt_str("single") {
            Some(single) => {
                let Some(s) = all.iter().find(|s| key(s) == single) else {
                    return Err(Error::new(
                        "Repair step not found. Use --list to show available steps.",
                    ));
                };
                vec![s]
            }
            None => {
                let expensive = input.flag("include-expensive");
                all.iter().filter(|s| expensive || !s.expensive).collect()
            }
        };
        if run.is_empty() {
            ctx.line("     - INFO: No repair steps available")?;
            return Ok(0);
        }
        let mut failed = false;
        for s in run {
            ctx.line(&format!(" - Step: {}", s.name))?;
            if let Err(e) = ctx.request(&RepairRun {
                plugin: s.plugin.clone(),
                id: s.id.clone(),
                quiet: false,
            }) {
                for l in e.message.lines() {
                    ctx.message(&format!("     - ERROR: {l}"))?;
                }
                failed = true;
            }
        }
        Ok(if failed { 1 } else { 0 })
    }
}
