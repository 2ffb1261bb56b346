//! `help [<command_name>] [--format=txt|json] [--raw]`: one command's description, usage,
//! arguments, options and help text.

use occ_plugin_api::{Arg, CommandSpec, Input, Opt, State};

use super::{unsupported_format, Console};
use crate::console::{describe, finder, json};
use crate::error::{Error, Result};

/// The spec.
pub fn spec() -> CommandSpec {
    CommandSpec::new("help", "Display help for a command")
            .help("The help command displays help for a given command:\n\n  occ help list\n\nYou can also output the help in other formats by using the --format option:\n\n  occ help --format=json list\n\nTo display the list of available commands, please use the list command.")
            .arg(Arg::optional("command_name", "The command name").default_value("help"))
            .opt(Opt::value("format", "The output format (txt or json)").default_value("txt"))
            .opt(Opt::flag("raw", "To output raw command help"))
            .states(State::ALL)
}

/// Resolves the command named and shows its help.
pub fn run(c: &Console<'_>, input: &Input) -> Result<i32> {
    let target = input
        .arg_str("command_name")
        .unwrap_or_else(|| "help".into());
    let name = finder::find(&target, &c.records()).map_err(|nf| Error::block(nf.0, 1, None))?;
    let format = input.opt_str("format").unwrap_or_else(|| "txt".into());
    show(c, &name, &format, input.flag("raw"))
}

/// Shows a command's help in `format`; `raw` text is never styled (Symfony's `--raw`).
pub fn show(c: &Console<'_>, name: &str, format: &str, raw: bool) -> Result<i32> {
    let Some(spec) = c.spec_of(name) else {
        return Ok(1);
    };
    let mut sh = c.host.shell.borrow_mut();
    match format {
        "json" => {
            let v = describe::help_json(spec, c.globals);
            sh.out(&json::compact(&v));
        }
        "txt" => {
            let paint = |style: &str, text: &str| {
                if raw {
                    text.to_string()
                } else {
                    sh.paint(false, style, text)
                }
            };
            let text = describe::help_text(spec, c.globals, &paint);
            sh.out(&text);
        }
        other => return Err(unsupported_format(other)),
    }
    Ok(0)
}
