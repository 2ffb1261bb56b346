//! `list [<namespace>] [--format=txt|json] [--raw] [--short]`: the commands available in the
//! instance's state, by namespace.

use occ_plugin_api::{Arg, CommandSpec, Input, Opt, State};

use super::{state_banner, unsupported_format, Console};
use crate::console::describe::{self, Listing};
use crate::console::{finder, json};
use crate::error::{Error, Result};
use crate::instance::{PRODUCT, VERSION};

/// The spec.
pub fn spec() -> CommandSpec {
    CommandSpec::new("list", "List commands")
            .help("The list command lists all commands:\n\n  occ list\n\nYou can also display the commands for a specific namespace:\n\n  occ list test\n\nYou can also output the information in other formats by using the --format option:\n\n  occ list --format=json\n\nIt's also possible to get raw list of commands (useful for embedding command runner):\n\n  occ list --raw")
            .arg(Arg::optional("namespace", "The namespace name"))
            .opt(Opt::flag("raw", "To output raw command list"))
            .opt(Opt::value("format", "The output format (txt or json)").default_value("txt"))
            .opt(Opt::flag("short", "To skip describing commands' arguments"))
            .states(State::ALL)
}

/// Lists the commands: text, `--raw` (name and description a line) or JSON (`--short`
/// without the definitions).
pub fn run(c: &Console<'_>, input: &Input) -> Result<i32> {
    let specs = c.specs();
    let namespace = match input.arg_str("namespace") {
        Some(ns) => {
            let names: Vec<String> = c.available.iter().map(|r| r.command.name.clone()).collect();
            finder::find_namespace(&ns, &names).map_err(|nf| Error::block(nf.0, 1, None))?;
            Some(ns)
        }
        None => None,
    };
    let ns = namespace.as_deref();
    let format = input.opt_str("format").unwrap_or_else(|| "txt".into());
    let mut sh = c.host.shell.borrow_mut();
    if input.flag("raw") {
        sh.out(&describe::list_raw(&specs, ns));
        return Ok(0);
    }
    match format.as_str() {
        "json" => {
            let listing = Listing {
                cmds: &specs,
                globals: c.globals,
                namespace: ns,
                short: input.flag("short"),
            };
            let v = describe::list_json(PRODUCT, VERSION, &listing);
            sh.out(&json::compact(&v));
        }
        "txt" => {
            if let Some(b) = state_banner(c.state) {
                sh.out(&b);
            }
            let header = format!("{PRODUCT} {}", sh.paint(false, "info", VERSION));
            let paint = |style: &str, text: &str| sh.paint(false, style, text);
            let text = describe::list_text(&header, &specs, c.globals, ns, &paint);
            sh.out(&text);
        }
        other => return Err(unsupported_format(other)),
    }
    Ok(0)
}
