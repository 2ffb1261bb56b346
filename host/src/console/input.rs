//! Symfony-compatible command-line parsing: an input definition (arguments, options, the global
//! options every command shares) and `ArgvInput`'s rules and messages.
//!
//! clap is not used here on purpose: commands arrive at run time from plugins, and admins'
//! scripts rely on Symfony's exact semantics (options anywhere, `-abc` sets, a value-taking
//! option swallowing the next word, `--` ending options) and on its exact error texts.

use occ_plugin_api::{Arg, CommandSpec, Opt, ValueMode};
use serde_json::{Map, Value};

/// The options every command accepts (Symfony 5.4's plus ownCloud's `--no-warnings` and `--root`).
pub fn global_options() -> Vec<Opt> {
    vec![
        Opt::flag("help", "Display help for the given command. When no command is given display help for the list command").short("h"),
        Opt::flag("quiet", "Do not output any message").short("q"),
        Opt::flag("verbose", "Increase the verbosity of messages: 1 for normal output, 2 for more verbose output and 3 for debug").short("v|vv|vvv"),
        Opt::flag("version", "Display this application version").short("V"),
        Opt::flag("ansi", "Force (or disable --no-ansi) ANSI output").negatable(),
        Opt::flag("no-interaction", "Do not ask any interactive question").short("n"),
        Opt::flag("no-warnings", "Skip global warnings, show command output only"),
        Opt::value("root", "The instance root directory (default: $OCC_ROOT, else the current directory)"),
    ]
}

/// A command's options followed by the global options it does not redefine: what help's
/// "Options:" block lists and what the parser accepts.
pub fn options_with_globals<'a>(spec: &'a CommandSpec, globals: &'a [Opt]) -> Vec<&'a Opt> {
    let mut opts: Vec<&Opt> = spec.options.iter().collect();
    for g in globals {
        if !opts.iter().any(|o| o.name == g.name) {
            opts.push(g);
        }
    }
    opts
}

/// What the parser reads a command line against: the `command` argument, the command's own
/// arguments, and its options with the globals.
struct Definition<'a> {
    args: Vec<&'a Arg>,
    opts: Vec<&'a Opt>,
}

impl Definition<'_> {
    fn opt(&self, name: &str) -> Option<&Opt> {
        self.opts.iter().copied().find(|o| o.name == name)
    }

    fn negation(&self, name: &str) -> Option<&Opt> {
        name.strip_prefix("no-").and_then(|n| {
            self.opts
                .iter()
                .copied()
                .find(|o| o.negatable && o.name == n)
        })
    }

    fn short(&self, s: &str) -> Option<&Opt> {
        self.opts
            .iter()
            .copied()
            .find(|o| o.shorts().any(|x| x == s))
    }
}

/// The result of parsing.
#[derive(Debug, Default, Clone)]
pub struct Parsed {
    /// Arguments given (the first is the command name).
    pub args: Map<String, Value>,
    /// Options given.
    pub opts: Map<String, Value>,
}

/// Parses `tokens` (without the program name): the command's name (the first argument), then
/// what `spec` and the global options define.
pub fn parse(tokens: &[String], spec: &CommandSpec, globals: &[Opt]) -> Result<Parsed, String> {
    let command = Arg::required("command", "");
    let def = &Definition {
        args: std::iter::once(&command)
            .chain(spec.arguments.iter())
            .collect(),
        opts: options_with_globals(spec, globals),
    };
    let mut p = Parser {
        def,
        parsed: tokens.iter().rev().cloned().collect(),
        out: Parsed::default(),
        nargs: 0,
    };
    p.run()?;
    let missing: Vec<&str> = def
        .args
        .iter()
        .filter(|a| a.required && !p.out.args.contains_key(&a.name))
        .map(|a| a.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Not enough arguments (missing: \"{}\").",
            missing.join(", ")
        ));
    }
    Ok(p.out)
}

struct Parser<'a> {
    def: &'a Definition<'a>,
    /// Remaining tokens, reversed (pop takes the next).
    parsed: Vec<String>,
    out: Parsed,
    nargs: usize,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), String> {
        let mut options = true;
        while let Some(tok) = self.parsed.pop() {
            if options && tok.is_empty() {
                self.argument(tok)?;
            } else if options && tok == "--" {
                options = false;
            } else if options && tok.starts_with("--") {
                self.long(&tok[2..])?;
            } else if options && tok.starts_with('-') && tok != "-" {
                self.short(&tok[1..])?;
            } else {
                self.argument(tok)?;
            }
        }
        Ok(())
    }

    fn short(&mut self, name: &str) -> Result<(), String> {
        let mut chars = name.chars();
        let Some(first) = chars.next() else {
            return Ok(());
        };
        let rest = chars.as_str();
        if !rest.is_empty() {
            if let Some(o) = self.def.short(&first.to_string()) {
                if o.value != ValueMode::None {
                    let n = o.name.clone();
                    return self.add_long(&n, Some(rest.to_string()));
                }
            }
            // A set such as -vvv or -nq: flags until one takes a value (it gets the rest).
            for (i, c) in name.char_indices() {
                let Some(o) = self.def.short(&c.to_string()) else {
                    return Err(format!("The \"-{c}\" option does not exist."));
                };
                let n = o.name.clone();
                if o.value != ValueMode::None {
                    let tail = &name[i + c.len_utf8()..];
                    return self.add_long(
                        &n,
                        if tail.is_empty() {
                            None
                        } else {
                            Some(tail.to_string())
                        },
                    );
                }
                self.add_long(&n, None)?;
            }
            return Ok(());
        }
        let Some(o) = self.def.short(name) else {
            return Err(format!("The \"-{name}\" option does not exist."));
        };
        let n = o.name.clone();
        self.add_long(&n, None)
    }

    fn long(&mut self, name: &str) -> Result<(), String> {
        match name.split_once('=') {
            Some((n, v)) => {
                if v.is_empty() {
                    self.parsed.push(String::new());
                }
                self.add_long(n, Some(v.to_string()))
            }
            None => self.add_long(name, None),
        }
    }

    fn add_long(&mut self, name: &str, value: Option<String>) -> Result<(), String> {
        let Some(o) = self.def.opt(name) else {
            if let Some(neg) = self.def.negation(name) {
                if value.is_some() {
                    return Err(format!("The \"--{name}\" option does not accept a value."));
                }
                self.out.opts.insert(neg.name.clone(), Value::Bool(false));
                return Ok(());
            }
            return Err(format!("The \"--{name}\" option does not exist."));
        };
        let o = o.clone();
        let mut value = value;
        if value.is_some() && o.value == ValueMode::None {
            return Err(format!("The \"--{name}\" option does not accept a value."));
        }
        if value.as_deref().is_none_or(str::is_empty) && o.value != ValueMode::None {
            if let Some(next) = self.parsed.pop() {
                if next.is_empty() || !next.starts_with('-') {
                    value = Some(next);
                } else {
                    self.parsed.push(next);
                }
            }
        }
        let v = match value {
            None if o.value == ValueMode::Required => {
                return Err(format!("The \"--{name}\" option requires a value."));
            }
            None if o.value == ValueMode::None => Value::Bool(true),
            None => Value::Null,
            Some(s) => Value::String(s),
        };
        if o.multiple {
            match self
                .out
                .opts
                .entry(o.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(a) => a.push(v),
                slot => *slot = Value::Array(vec![v]),
            }
        } else {
            self.out.opts.insert(o.name.clone(), v);
        }
        Ok(())
    }

    fn argument(&mut self, tok: String) -> Result<(), String> {
        let c = self.nargs;
        if let Some(a) = self.def.args.get(c) {
            let v = if a.multiple {
                Value::Array(vec![Value::String(tok)])
            } else {
                Value::String(tok)
            };
            self.out.args.insert(a.name.clone(), v);
            self.nargs += 1;
            return Ok(());
        }
        if let Some(a) = c
            .checked_sub(1)
            .and_then(|i| self.def.args.get(i))
            .filter(|a| a.multiple)
        {
            if let Some(Value::Array(list)) = self.out.args.get_mut(&a.name) {
                list.push(Value::String(tok));
            }
            return Ok(());
        }
        let command = self
            .out
            .args
            .get("command")
            .and_then(Value::as_str)
            .map(str::to_string);
        let rest: Vec<&str> = self
            .def
            .args
            .iter()
            .skip(1)
            .map(|a| a.name.as_str())
            .collect();
        Err(match (command, rest.is_empty()) {
            (Some(cmd), false) => format!(
                "Too many arguments to \"{cmd}\" command, expected arguments \"{}\".",
                rest.join("\" \"")
            ),
            (None, false) => format!(
                "Too many arguments, expected arguments \"{}\".",
                rest.join("\" \"")
            ),
            (Some(cmd), true) => {
                format!("No arguments expected for \"{cmd}\" command, got \"{tok}\".")
            }
            (None, true) => format!("No arguments expected, got \"{tok}\"."),
        })
    }
}

/// Fills in defaults so every argument and option `spec` declares is present (the globals and
/// the command's name are the host's, not the command's).
pub fn complete(parsed: &Parsed, spec: &CommandSpec) -> (Map<String, Value>, Map<String, Value>) {
    let mut args = Map::new();
    for a in &spec.arguments {
        let v = parsed
            .args
            .get(&a.name)
            .cloned()
            .or_else(|| a.default.clone())
            .unwrap_or(if a.multiple {
                Value::Array(Vec::new())
            } else {
                Value::Null
            });
        args.insert(a.name.clone(), v);
    }
    let mut opts = Map::new();
    for o in &spec.options {
        let v = match parsed.opts.get(&o.name) {
            Some(Value::Null) if o.value == ValueMode::Optional => Value::Null,
            Some(v) => v.clone(),
            None => o.default.clone().unwrap_or(if o.multiple {
                Value::Array(Vec::new())
            } else if o.value == ValueMode::None {
                Value::Bool(false)
            } else {
                Value::Null
            }),
        };
        opts.insert(o.name.clone(), v);
    }
    (args, opts)
}

/// The command name: the first word that is not an option (or the value of `--root`).
pub fn first_argument(tokens: &[String]) -> Option<String> {
    let mut skip_next = false;
    let mut options = true;
    for t in tokens {
        if skip_next {
            skip_next = false;
            continue;
        }
        if options && t == "--" {
            options = false;
            continue;
        }
        if options && t.starts_with('-') && t != "-" {
            skip_next = t == "--root";
            continue;
        }
        return Some(t.clone());
    }
    None
}

/// Whether a global flag appears before `--` (Symfony's `hasParameterOption`).
pub fn has_flag(tokens: &[String], long: &str, short: Option<char>) -> bool {
    for t in tokens {
        if t == "--" {
            break;
        }
        if t == &format!("--{long}") {
            return true;
        }
        if let (Some(c), Some(rest)) = (short, t.strip_prefix('-')) {
            if !rest.starts_with('-') && rest.starts_with(c) {
                return true;
            }
        }
    }
    false
}

/// Verbosity from the tokens: -1 with `-q`, else 0..3 (`-v`, `-vv`, `-vvv`, `--verbose[=N]`).
pub fn verbosity(tokens: &[String]) -> i32 {
    let mut v = 0;
    for t in tokens {
        if t == "--" {
            break;
        }
        match t.as_str() {
            "-q" | "--quiet" => return -1,
            "-vvv" | "--verbose=3" => v = v.max(3),
            "-vv" | "--verbose=2" => v = v.max(2),
            "-v" | "--verbose" | "--verbose=1" => v = v.max(1),
            _ => {}
        }
    }
    v
}

/// The value of `--root=DIR` / `--root DIR`, if given.
pub fn root_option(tokens: &[String]) -> Option<String> {
    let mut it = tokens.iter();
    while let Some(t) = it.next() {
        if t == "--" {
            break;
        }
        if let Some(v) = t.strip_prefix("--root=") {
            return Some(v.to_string());
        }
        if t == "--root" {
            return it.next().cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CommandSpec {
        CommandSpec::new("user:add", "")
            .arg(Arg::required("uid", ""))
            .opt(Opt::optional_value("group", "").short("g").multiple())
    }

    fn parse_line(s: &str) -> Result<Parsed, String> {
        let toks: Vec<String> = s.split(' ').map(String::from).collect();
        parse(&toks, &spec(), &global_options())
    }

    #[test]
    fn parses_symfony_style() {
        let p = parse_line("user:add -g a --group=b -vvq x").unwrap();
        assert_eq!(p.args["uid"], "x");
        assert_eq!(p.opts["group"], serde_json::json!(["a", "b"]));
        assert_eq!(p.opts["quiet"], true);
    }

    #[test]
    fn errors_match_symfony() {
        let err = |s| parse_line(s).unwrap_err();
        assert_eq!(err("user:add --x"), "The \"--x\" option does not exist.");
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
            err("user:add --root"),
            "The \"--root\" option requires a value."
        );
        assert_eq!(
            err("user:add --no-quiet"),
            "The \"--no-quiet\" option does not exist."
        );
    }

    #[test]
    fn negatable_flags_have_a_no_form() {
        let p = parse_line("user:add --no-ansi x").unwrap();
        assert_eq!(p.opts["ansi"], false);
    }

    #[test]
    fn double_dash_ends_options() {
        let p = parse_line("user:add -- -x").unwrap();
        assert_eq!(p.args["uid"], "-x");
    }
}
