//! The command line through clap: the `clap::Command` built at run time from a command's spec
//! and the global options, parsing with it into the command's [`Input`], and clap's errors in
//! the texts Symfony's console prints (scripts match on them). The same builder describes
//! every command for shell completion and man pages.
//!
//! What clap has no notion of stays the console's: name resolution (`finder`), the pre-scan
//! of global options before the command is known (`input`), and help and list (`describe`).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg as ClapArg, ArgAction, ArgMatches, Command};
use occ_plugin_api::{Arg, CommandSpec, Input, Opt, ValueMode};
use serde_json::{Map, Value};

use super::input::options_with_globals;

fn arg_id(name: &str) -> String {
    format!("arg:{name}")
}

fn opt_id(name: &str) -> String {
    format!("opt:{name}")
}

/// The clap argument of a positional argument.
fn positional(a: &Arg, index: usize) -> ClapArg {
    let arg = ClapArg::new(arg_id(&a.name))
        .index(index)
        .value_name(a.name.clone())
        .help(a.description.clone())
        .required(a.required);
    if a.multiple {
        arg.action(ArgAction::Append).num_args(1..)
    } else {
        arg.action(ArgAction::Set)
    }
}

/// The clap arguments of an option: one, or two for a negatable flag (`--ansi`, `--no-ansi`).
fn option(o: &Opt) -> Vec<ClapArg> {
    let mut arg = ClapArg::new(opt_id(&o.name))
        .long(o.name.clone())
        .help(o.description.clone());
    let mut shorts = o.shorts();
    if let Some(c) = shorts.next().and_then(single_char) {
        arg = arg.short(c);
    }
    arg = match o.value {
        // `-v|vv|vvv`: one short name given up to three times.
        ValueMode::None if o.short.as_deref().is_some_and(|s| s.contains('|')) => {
            arg.action(ArgAction::Count)
        }
        ValueMode::None => arg.action(ArgAction::SetTrue),
        mode => {
            let arg = arg
                .value_name(o.name.to_uppercase())
                .num_args(if mode == ValueMode::Required {
                    1..=1
                } else {
                    0..=1
                })
                .action(if o.multiple {
                    ArgAction::Append
                } else {
                    ArgAction::Set
                });
            if o.values.is_empty() {
                arg
            } else {
                arg.value_parser(o.values.clone())
            }
        }
    };
    let mut out = vec![arg];
    if o.negatable {
        let no = format!("no-{}", o.name);
        out.push(
            ClapArg::new(opt_id(&no))
                .long(no)
                .help(format!("Negate the \"--{}\" option", o.name))
                .action(ArgAction::SetTrue)
                .overrides_with(opt_id(&o.name)),
        );
        out[0] = out[0]
            .clone()
            .overrides_with(opt_id(&format!("no-{}", o.name)));
    }
    out
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

/// A clap command for `spec`: its arguments after `leading` positionals of the console's own
/// (the command's name), its options and the global ones, nothing added by clap.
fn build(spec: &CommandSpec, globals: &[Opt], leading: usize) -> Command {
    let mut cmd = Command::new(spec.name.clone())
        .about(spec.description.clone())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        // Symfony: an option given twice keeps the last value.
        .args_override_self(true);
    if !spec.help.is_empty() && spec.help != spec.description {
        cmd = cmd.long_about(spec.help.clone());
    }
    for (i, a) in spec.arguments.iter().enumerate() {
        cmd = cmd.arg(positional(a, leading + i + 1));
    }
    // A command's own short name wins over a global option's (`-v` of a command, say).
    let own: Vec<&str> = spec.options.iter().flat_map(Opt::shorts).collect();
    for o in options_with_globals(spec, globals) {
        if o.shorts().any(|s| own.contains(&s)) && !spec.options.iter().any(|c| c.name == o.name) {
            let mut o = o.clone();
            o.short = None;
            cmd = cmd.args(option(&o));
        } else {
            cmd = cmd.args(option(o));
        }
    }
    cmd
}

/// Why clap could not take a command's spec as it is, if it could not: option and argument
/// names unique, short names one character each, a required argument never after an optional
/// one, only the last argument taking several words. Checked when a plugin is first read, so a
/// plugin that breaks these loses that command with a warning instead of the console failing.
pub fn check_spec(spec: &CommandSpec) -> Result<(), String> {
    let bad = |why: String| Err(format!("command \"{}\": {why}", spec.name));
    let mut longs: Vec<String> = Vec::new();
    let mut shorts: Vec<&str> = Vec::new();
    for o in &spec.options {
        if o.name.is_empty() || o.name.starts_with('-') || o.name.contains(['=', ' ']) {
            return bad(format!("invalid option name \"{}\"", o.name));
        }
        let mut names = vec![o.name.clone()];
        if o.negatable {
            names.push(format!("no-{}", o.name));
        }
        for n in names {
            if longs.contains(&n) {
                return bad(format!("option \"--{n}\" declared twice"));
            }
            longs.push(n);
        }
        for s in o.shorts() {
            if single_char(s).is_none() || s == "-" {
                return bad(format!("invalid short name \"{s}\" of \"--{}\"", o.name));
            }
            if shorts.contains(&s) {
                return bad(format!("short name \"-{s}\" declared twice"));
            }
            shorts.push(s);
        }
    }
    let mut seen_optional = false;
    for (i, a) in spec.arguments.iter().enumerate() {
        if a.name.is_empty() || spec.arguments[..i].iter().any(|b| b.name == a.name) {
            return bad(format!("invalid or repeated argument name \"{}\"", a.name));
        }
        if a.required && seen_optional {
            return bad(format!(
                "required argument \"{}\" after an optional one",
                a.name
            ));
        }
        if a.multiple && i + 1 != spec.arguments.len() {
            return bad(format!(
                "argument \"{}\" takes several words but is not the last",
                a.name
            ));
        }
        seen_optional |= !a.required;
    }
    Ok(())
}

/// Parses `tokens` (without the program name: the command's name first, then what `spec` and
/// the global options define) into the command's input, every declared argument and option
/// present (defaults filled in). Errors are Symfony's texts.
pub fn parse(tokens: &[String], spec: &CommandSpec, globals: &[Opt]) -> Result<Input, String> {
    let cmd = build(spec, globals, 1)
        .no_binary_name(true)
        .arg(ClapArg::new("command").index(1).required(true));
    match cmd.try_get_matches_from(tokens) {
        Ok(m) => Ok(input_of(&m, spec)),
        Err(e) => Err(symfony_message(&e, tokens, spec)),
    }
}

/// The command's input from clap's matches: given values, else the spec's defaults.
fn input_of(m: &ArgMatches, spec: &CommandSpec) -> Input {
    let mut arguments = Map::new();
    for a in &spec.arguments {
        let id = arg_id(&a.name);
        let given: Option<Vec<&String>> = m.get_many::<String>(&id).map(Iterator::collect);
        let v = match given {
            Some(vals) if a.multiple => {
                Value::Array(vals.into_iter().map(|v| Value::String(v.clone())).collect())
            }
            Some(vals) => vals
                .first()
                .map(|v| Value::String((*v).clone()))
                .unwrap_or(Value::Null),
            None => a.default.clone().unwrap_or(if a.multiple {
                Value::Array(Vec::new())
            } else {
                Value::Null
            }),
        };
        arguments.insert(a.name.clone(), v);
    }
    let mut options = Map::new();
    for o in &spec.options {
        let id = opt_id(&o.name);
        let given = m
            .value_source(&id)
            .is_some_and(|s| s == clap::parser::ValueSource::CommandLine);
        let negated = o.negatable
            && m.value_source(&opt_id(&format!("no-{}", o.name)))
                .is_some_and(|s| s == clap::parser::ValueSource::CommandLine);
        let v = if negated {
            Value::Bool(false)
        } else if !given {
            o.default.clone().unwrap_or(if o.multiple {
                Value::Array(Vec::new())
            } else if o.value == ValueMode::None {
                Value::Bool(false)
            } else {
                Value::Null
            })
        } else if o.value == ValueMode::None {
            Value::Bool(true)
        } else {
            // Each occurrence: its value, or null for an optional value left out.
            let mut each: Vec<Value> = m
                .get_occurrences::<String>(&id)
                .map(|occ| {
                    occ.map(|mut vals| {
                        vals.next()
                            .map(|v| Value::String(v.clone()))
                            .unwrap_or(Value::Null)
                    })
                    .collect()
                })
                .unwrap_or_default();
            if o.multiple {
                Value::Array(each)
            } else {
                each.pop().unwrap_or(Value::Null)
            }
        };
        options.insert(o.name.clone(), v);
    }
    Input { arguments, options }
}

fn context_str(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        _ => None,
    }
}

/// The option's name as the user typed it (`--root` of `--root <ROOT>`, `--x` of `--x=1`).
fn option_word(invalid_arg: &str) -> &str {
    let word = invalid_arg.split(' ').next().unwrap_or(invalid_arg);
    word.split('=').next().unwrap_or(word)
}

/// Symfony's message for what clap refused.
fn symfony_message(e: &clap::Error, tokens: &[String], spec: &CommandSpec) -> String {
    let invalid = context_str(e, ContextKind::InvalidArg).unwrap_or_default();
    match e.kind() {
        ErrorKind::UnknownArgument => {
            // After `--` every word is an argument, whatever it looks like.
            let after_dashes = tokens
                .iter()
                .position(|t| t == "--")
                .is_some_and(|i| tokens[i + 1..].contains(&invalid));
            if invalid.starts_with('-') && !after_dashes {
                format!("The \"{}\" option does not exist.", option_word(&invalid))
            } else {
                too_many(&spec.name, &spec.arguments, &invalid)
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let names: Vec<&str> = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::Strings(v)) => v
                    .iter()
                    .map(|s| s.trim_start_matches('<').trim_end_matches(['>', '.']))
                    .collect(),
                _ => Vec::new(),
            };
            format!("Not enough arguments (missing: \"{}\").", names.join(", "))
        }
        ErrorKind::TooManyValues => {
            format!(
                "The \"{}\" option does not accept a value.",
                option_word(&invalid)
            )
        }
        ErrorKind::InvalidValue => {
            let value = context_str(e, ContextKind::InvalidValue).unwrap_or_default();
            let name = option_word(&invalid);
            if value.is_empty() {
                format!("The \"{name}\" option requires a value.")
            } else {
                let valid: Vec<String> = match e.get(ContextKind::ValidValue) {
                    Some(ContextValue::Strings(v)) => v.clone(),
                    _ => Vec::new(),
                };
                let valid = match valid.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} or {last}", rest.join(", "))
                    }
                    _ => valid.join(""),
                };
                format!("The \"{name}\" option takes {valid}, not \"{value}\".")
            }
        }
        _ => e
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid command line")
            .trim_start_matches("error: ")
            .to_string(),
    }
}

/// Symfony's "too many arguments" texts.
fn too_many(command: &str, args: &[Arg], got: &str) -> String {
    if args.is_empty() {
        return format!("No arguments expected for \"{command}\" command, got \"{got}\".");
    }
    let names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
    format!(
        "Too many arguments to \"{command}\" command, expected arguments \"{}\".",
        names.join("\" \"")
    )
}

/// `occ` with every command as a subcommand (hidden ones left out) and the global options:
/// what shell completion and man pages describe.
pub fn application(name: &str, version: &str, specs: &[&CommandSpec], globals: &[Opt]) -> Command {
    let mut root = Command::new(name.to_string())
        .version(version.to_string())
        .about("The administration console of a self-hosted file-sync server instance.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true);
    for g in globals {
        for a in option(g) {
            root = root.arg(a.global(true));
        }
    }
    for spec in specs.iter().filter(|s| !s.hidden) {
        let mut sub = build(spec, &[], 0);
        for alias in &spec.aliases {
            sub = sub.visible_alias(alias.clone());
        }
        root = root.subcommand(sub);
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::input::global_options;
    use occ_plugin_api::Arg as SpecArg;

    fn spec() -> CommandSpec {
        CommandSpec::new("user:add", "")
            .arg(SpecArg::required("uid", ""))
            .opt(Opt::optional_value("group", "").short("g").multiple())
            .opt(Opt::output_format())
            .opt(Opt::flag("on", ""))
    }

    fn parse_line(s: &str) -> Result<Input, String> {
        let toks: Vec<String> = s.split(' ').map(String::from).collect();
        parse(&toks, &spec(), &global_options())
    }

    #[test]
    fn parses_symfony_style() {
        let i = parse_line("user:add -g a --group=b -g -vvq x").unwrap();
        assert_eq!(i.arguments["uid"], "x");
        assert_eq!(i.options["group"], serde_json::json!(["a", "b", null]));
        assert_eq!(i.options["output"], "plain");
        assert_eq!(i.options["on"], false);
        // Globals are the host's, not the command's.
        assert!(!i.options.contains_key("quiet"));
        let i = parse_line("user:add x --output").unwrap();
        assert_eq!(i.options["output"], Value::Null);
        let i = parse_line("user:add --output json x --on --on").unwrap();
        assert_eq!(
            (&i.options["output"], &i.options["on"]),
            (&serde_json::json!("json"), &Value::Bool(true))
        );
    }

    #[test]
    fn errors_match_symfony() {
        let err = |s| parse_line(s).unwrap_err();
        assert_eq!(err("user:add --x"), "The \"--x\" option does not exist.");
        assert_eq!(
            err("user:add --x=1 a"),
            "The \"--x\" option does not exist."
        );
        assert_eq!(err("user:add -z"), "The \"-z\" option does not exist.");
        assert_eq!(
            err("user:add --quiet=1 a"),
            "The \"--quiet\" option does not accept a value."
        );
        assert_eq!(err("user:add"), "Not enough arguments (missing: \"uid\").");
        assert_eq!(
            err("user:add a b"),
            "Too many arguments to \"user:add\" command, expected arguments \"uid\"."
        );
        assert_eq!(
            err("user:add a -- -b"),
            "Too many arguments to \"user:add\" command, expected arguments \"uid\"."
        );
        assert_eq!(
            err("user:add a --root"),
            "The \"--root\" option requires a value."
        );
        assert_eq!(
            err("user:add a --output=xml"),
            "The \"--output\" option takes plain, json or json_pretty, not \"xml\"."
        );
        assert_eq!(
            err("user:add --no-quiet a"),
            "The \"--no-quiet\" option does not exist."
        );
    }

    #[test]
    fn a_command_without_arguments() {
        let toks: Vec<String> = ["status", "x"].map(String::from).to_vec();
        let e = parse(&toks, &CommandSpec::new("status", ""), &global_options()).unwrap_err();
        assert_eq!(
            e,
            "No arguments expected for \"status\" command, got \"x\"."
        );
    }

    #[test]
    fn specs_clap_cannot_take_are_refused_with_a_reason() {
        let ok = spec();
        assert_eq!(check_spec(&ok), Ok(()));
        let twice = CommandSpec::new("a:b", "")
            .opt(Opt::flag("x", ""))
            .opt(Opt::flag("x", ""));
        assert_eq!(
            check_spec(&twice).unwrap_err(),
            "command \"a:b\": option \"--x\" declared twice"
        );
        let order = CommandSpec::new("a:b", "")
            .arg(SpecArg::optional("x", ""))
            .arg(SpecArg::required("y", ""));
        assert!(check_spec(&order)
            .unwrap_err()
            .contains("after an optional one"));
        let many = CommandSpec::new("a:b", "")
            .arg(SpecArg::optional("x", "").multiple())
            .arg(SpecArg::optional("y", ""));
        assert!(check_spec(&many).unwrap_err().contains("is not the last"));
        let short = CommandSpec::new("a:b", "").opt(Opt::flag("x", "").short("xy"));
        assert!(check_spec(&short)
            .unwrap_err()
            .contains("invalid short name"));
    }

    #[test]
    fn a_commands_short_name_wins_over_a_globals() {
        let spec = CommandSpec::new("a:b", "").opt(Opt::flag("verbatim", "").short("v"));
        let toks: Vec<String> = ["a:b", "-v"].map(String::from).to_vec();
        let i = parse(&toks, &spec, &global_options()).unwrap();
        assert_eq!(i.options["verbatim"], true);
    }

    #[test]
    fn negatable_flags_have_a_no_form() {
        assert!(parse_line("user:add --no-ansi --ansi x").is_ok());
    }

    #[test]
    fn double_dash_ends_options() {
        let i = parse_line("user:add -- -x").unwrap();
        assert_eq!(i.arguments["uid"], "-x");
    }
}
