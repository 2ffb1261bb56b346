//! Symfony-compatible command-line parsing: an input definition (arguments, options, the global
//! options every command shares) and `ArgvInput`'s rules and messages.
//!
//! clap is not used here on purpose: commands arrive at run time from plugins, and admins'
//! scripts rely on Symfony's exact semantics (options anywhere, `-abc` sets, a value-taking
//! option swallowing the next word, `--` ending options) and on its exact error texts.

use occ_plugin_api::{CommandSpec, ValueMode};
use serde_json::{Map, Value};

/// An option in a definition.
#[derive(Debug, Clone)]
pub struct OptDef {
    /// Long name.
    pub name: String,
    /// Shortcuts (`v`, `vv`, `vvv`).
    pub shorts: Vec<String>,
    /// Value mode.
    pub mode: ValueMode,
    /// Repeatable.
    pub multiple: bool,
    /// Has a `--no-` form.
    pub negatable: bool,
    /// Description.
    pub description: String,
    /// Default.
    pub default: Option<Value>,
}

/// A positional argument in a definition.
#[derive(Debug, Clone)]
pub struct ArgDef {
    /// Name.
    pub name: String,
    /// Must be given.
    pub required: bool,
    /// Takes the rest.
    pub multiple: bool,
    /// Description.
    pub description: String,
    /// Default.
    pub default: Option<Value>,
}

/// Arguments and options a command accepts.
#[derive(Debug, Clone, Default)]
pub struct Definition {
    /// Positional arguments in order.
    pub args: Vec<ArgDef>,
    /// Options in display order.
    pub opts: Vec<OptDef>,
}

fn gopt(
    name: &str,
    shorts: &[&str],
    mode: ValueMode,
    negatable: bool,
    description: &str,
) -> OptDef {
    OptDef {
        name: name.into(),
        shorts: shorts.iter().map(|s| s.to_string()).collect(),
        mode,
        multiple: false,
        negatable,
        description: description.into(),
        default: None,
    }
}

/// The options every command accepts (Symfony 5.4's plus ownCloud's `--no-warnings` and `--root`).
pub fn global_options() -> Vec<OptDef> {
    vec![
        gopt("help", &["h"], ValueMode::None, false, "Display help for the given command. When no command is given display help for the list command"),
        gopt("quiet", &["q"], ValueMode::None, false, "Do not output any message"),
        gopt("verbose", &["v", "vv", "vvv"], ValueMode::None, false, "Increase the verbosity of messages: 1 for normal output, 2 for more verbose output and 3 for debug"),
        gopt("version", &["V"], ValueMode::None, false, "Display this application version"),
        gopt("ansi", &[], ValueMode::None, true, "Force (or disable --no-ansi) ANSI output"),
        gopt("no-interaction", &["n"], ValueMode::None, false, "Do not ask any interactive question"),
        gopt("no-warnings", &[], ValueMode::None, false, "Skip global warnings, show command output only"),
        gopt("root", &[], ValueMode::Required, false, "The instance root directory (default: $OCC_ROOT, else the current directory)"),
    ]
}

impl Definition {
    /// The definition of a plugin command (without the global options).
    pub fn from_spec(spec: &CommandSpec) -> Self {
        Self {
            args: spec
                .arguments
                .iter()
                .map(|a| ArgDef {
                    name: a.name.clone(),
                    required: a.required,
                    multiple: a.multiple,
                    description: a.description.clone(),
                    default: a.default.clone(),
                })
                .collect(),
            opts: spec
                .options
                .iter()
                .map(|o| OptDef {
                    name: o.name.clone(),
                    shorts: o.short.iter().cloned().collect(),
                    mode: o.value,
                    multiple: o.multiple,
                    negatable: false,
                    description: o.description.clone(),
                    default: o.default.clone(),
                })
                .collect(),
        }
    }

    /// This definition with the global options appended (help's "Options:" list).
    pub fn with_globals(&self) -> Self {
        let mut d = self.clone();
        for g in global_options() {
            if !d.opts.iter().any(|o| o.name == g.name) {
                d.opts.push(g);
            }
        }
        d
    }

    fn opt(&self, name: &str) -> Option<&OptDef> {
        self.opts.iter().find(|o| o.name == name)
    }

    fn negation(&self, name: &str) -> Option<&OptDef> {
        name.strip_prefix("no-")
            .and_then(|n| self.opts.iter().find(|o| o.negatable && o.name == n))
    }

    fn short(&self, s: &str) -> Option<&OptDef> {
        self.opts.iter().find(|o| o.shorts.iter().any(|x| x == s))
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

/// Parses `tokens` (without the program name) against `def` whose first argument is `command`.
pub fn parse(tokens: &[String], def: &Definition) -> Result<Parsed, String> {
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
    def: &'a Definition,
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
                if o.mode != ValueMode::None {
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
                if o.mode != ValueMode::None {
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
        if value.is_some() && o.mode == ValueMode::None {
            return Err(format!("The \"--{name}\" option does not accept a value."));
        }
        if value.as_deref().is_none_or(str::is_empty) && o.mode != ValueMode::None {
            if let Some(next) = self.parsed.pop() {
                if next.is_empty() || !next.starts_with('-') {
                    value = Some(next);
                } else {
                    self.parsed.push(next);
                }
            }
        }
        let v = match value {
            None if o.mode == ValueMode::Required => {
                return Err(format!("The \"--{name}\" option requires a value."));
            }
            None if o.mode == ValueMode::None => Value::Bool(true),
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

/// Fills in defaults so every declared argument and option is present.
pub fn complete(parsed: &Parsed, def: &Definition) -> (Map<String, Value>, Map<String, Value>) {
    let mut args = Map::new();
    for a in &def.args {
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
    for o in &def.opts {
        let v = match parsed.opts.get(&o.name) {
            Some(Value::Null) if o.mode == ValueMode::Optional => Value::Null,
            Some(v) => v.clone(),
            None => o.default.clone().unwrap_or(if o.multiple {
                Value::Array(Vec::new())
            } else if o.mode == ValueMode::None {
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

    fn def() -> Definition {
        let mut d = Definition {
            args: vec![
                ArgDef {
                    name: "command".into(),
                    required: true,
                    multiple: false,
                    description: String::new(),
                    default: None,
                },
                ArgDef {
                    name: "uid".into(),
                    required: true,
                    multiple: false,
                    description: String::new(),
                    default: None,
                },
            ],
            opts: vec![OptDef {
                name: "group".into(),
                shorts: vec!["g".into()],
                mode: ValueMode::Optional,
                multiple: true,
                negatable: false,
                description: String::new(),
                default: None,
            }],
        };
        d.opts.extend(global_options());
        d
    }

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn parses_symfony_style() {
        let p = parse(&toks("user:add -g a --group=b -vvq x"), &def()).unwrap();
        assert_eq!(p.args["uid"], "x");
        assert_eq!(p.opts["group"], serde_json::json!(["a", "b"]));
        assert_eq!(p.opts["quiet"], true);
    }

    #[test]
    fn errors_match_symfony() {
        assert_eq!(
            parse(&toks("user:add --x"), &def()).unwrap_err(),
            "The \"--x\" option does not exist."
        );
        assert_eq!(
            parse(&toks("user:add -z"), &def()).unwrap_err(),
            "The \"-z\" option does not exist."
        );
        assert_eq!(
            parse(&toks("user:add --quiet=1 a"), &def()).unwrap_err(),
            "The \"--quiet\" option does not accept a value."
        );
        assert_eq!(
            parse(&toks("user:add"), &def()).unwrap_err(),
            "Not enough arguments (missing: \"uid\")."
        );
        assert_eq!(
            parse(&toks("user:add a b"), &def()).unwrap_err(),
            "Too many arguments to \"user:add\" command, expected arguments \"uid\"."
        );
        assert_eq!(
            parse(&toks("user:add --root"), &def()).unwrap_err(),
            "The \"--root\" option requires a value."
        );
    }

    #[test]
    fn double_dash_ends_options() {
        let p = parse(&toks("user:add -- -x"), &def()).unwrap();
        assert_eq!(p.args["uid"], "-x");
    }
}
