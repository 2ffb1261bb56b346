//! `check`: one line per problem of the environment (config, data directory, database,
//! plugins); nothing and exit 0 when all is well.

use std::fs;
use std::path::Path;

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::PluginProblems;

/// The command.
pub struct Check;

fn writable_dir(dir: &Path) -> bool {
    let probe = dir.join(format!(".occ-check-{}", std::process::id()));
    let ok = fs::write(&probe, b"").is_ok();
    let _ = fs::remove_file(&probe);
    ok
}

impl Command for Check {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("check", "Check the server environment's dependencies.")
            .opt(Opt::output_format())
            .states(State::ALL)
    }

    fn run(&self, _input: &Input, ctx: &mut Context) -> CmdResult {
        let i = ctx.instance()?;
        let mut problems: Vec<String> = Vec::new();
        let config = Path::new(&i.config_file);
        if let Some(e) = &i.config_error {
            problems.push(e.clone());
        }
        if let Some(dir) = config.parent() {
            if dir.exists() && !writable_dir(dir) {
                problems.push(format!(
                    "Cannot write into the config directory {}",
                    dir.display()
                ));
            }
        }
        if i.installed {
            match &i.data_dir {
                Some(d) if !Path::new(d).is_dir() => {
                    problems.push(format!("The data directory {d} does not exist"))
                }
                Some(d) if !writable_dir(Path::new(d)) => {
                    problems.push(format!("The data directory {d} is not writable"))
                }
                Some(_) => {}
                None => problems.push("No data directory is configured (datadirectory)".into()),
            }
            if let Err(e) = ctx.db().query("SELECT 1 AS ok", &[]) {
                problems.push(format!("The database is not reachable: {}", e.message));
            }
        }
        for p in ctx.request(&PluginProblems {})? {
            problems.push(format!("Plugin {}: {}", p.file, p.problem));
        }
        if problems.is_empty() {
            return Ok(0);
        }
        ctx.data(Value::Array(
            problems.into_iter().map(Value::String).collect(),
        ))?;
        Ok(1)
    }
}
