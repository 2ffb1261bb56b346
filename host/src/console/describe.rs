//! Symfony's text and JSON descriptors: `help <command>`, `list [namespace]`, `list --format=json`,
//! over the commands' specs and the global options.

use occ_plugin_api::{Arg, CommandSpec, Opt, ValueMode};
use serde_json::{json, Map, Value};

use super::input::options_with_globals;

fn width(s: &str) -> usize {
    s.chars().count()
}

fn short_of(o: &Opt) -> &str {
    o.short.as_deref().unwrap_or("")
}

fn options_width(opts: &[&Opt]) -> usize {
    opts.iter()
        .map(|o| {
            let short = short_of(o);
            let mut n = 1 + width(short).max(1) + 4 + width(&o.name);
            if o.negatable {
                n += 6 + width(&o.name);
            } else if o.value != ValueMode::None {
                n += 1 + width(&o.name) + if o.value == ValueMode::Optional { 2 } else { 0 };
            }
            n
        })
        .max()
        .unwrap_or(0)
}

fn default_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn has_default(v: &Option<Value>) -> Option<&Value> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(v) => Some(v),
    }
}

fn indent_desc(desc: &str, total: usize) -> String {
    desc.lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(&format!("\n{}", " ".repeat(total + 4)))
}

/// Paints with Symfony styles (identity when the shell does not decorate).
pub type Painter<'a> = &'a dyn Fn(&str, &str) -> String;

/// The "Arguments:" and "Options:" blocks.
pub fn describe_definition(args: &[Arg], opts: &[&Opt], paint: Painter<'_>) -> String {
    let mut total = options_width(opts);
    for a in args {
        total = total.max(width(&a.name));
    }
    let mut out = String::new();
    if !args.is_empty() {
        out.push_str(&paint("comment", "Arguments:"));
        out.push('\n');
        for a in args {
            let default = has_default(&a.default)
                .map(|d| paint("comment", &format!(" [default: {}]", default_text(d))))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}  {}{}{}\n",
                paint("info", &a.name),
                " ".repeat(total - width(&a.name)),
                indent_desc(&a.description, total),
                default
            ));
        }
    }
    if !args.is_empty() && !opts.is_empty() {
        out.push('\n');
    }
    if !opts.is_empty() {
        out.push_str(&paint("comment", "Options:"));
        let (later, first): (Vec<&Opt>, Vec<&Opt>) = opts
            .iter()
            .copied()
            .partition(|o| short_of(o).chars().count() > 1);
        for o in first.into_iter().chain(later) {
            let value = match o.value {
                ValueMode::None => String::new(),
                ValueMode::Required => format!("={}", o.name.to_uppercase()),
                ValueMode::Optional => format!("[={}]", o.name.to_uppercase()),
            };
            let short = short_of(o);
            let synopsis = format!(
                "{}{}",
                if short.is_empty() {
                    "    ".to_string()
                } else {
                    format!("-{short}, ")
                },
                if o.negatable {
                    format!("--{0}|--no-{0}", o.name)
                } else {
                    format!("--{}{}", o.name, value)
                }
            );
            let default = if o.value != ValueMode::None {
                has_default(&o.default)
                    .map(|d| paint("comment", &format!(" [default: {}]", default_text(d))))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let multi = if o.multiple {
                paint("comment", " (multiple values allowed)")
            } else {
                String::new()
            };
            out.push_str(&format!(
                "\n  {}  {}{}{}{}",
                paint("info", &synopsis),
                " ".repeat(total.saturating_sub(width(&synopsis))),
                indent_desc(&o.description, total),
                default,
                multi
            ));
        }
    }
    out
}

/// Synopsis as Symfony prints it: short (`[options]`) or full (every option spelled out).
pub fn synopsis(spec: &CommandSpec, short: bool) -> String {
    let mut elements: Vec<String> = Vec::new();
    if short {
        // Symfony's: only for a command with options of its own (ownCloud's
        // `encryption:migrate [<user_id>...]`).
        if !spec.options.is_empty() {
            elements.push("[options]".into());
        }
    } else {
        for o in &spec.options {
            let value = match o.value {
                ValueMode::None => String::new(),
                ValueMode::Required => format!(" {}", o.name.to_uppercase()),
                ValueMode::Optional => format!(" [{}]", o.name.to_uppercase()),
            };
            let shortcut = match &o.short {
                None => String::new(),
                Some(s) => format!("-{s}|"),
            };
            let neg = if o.negatable {
                format!("|--no-{}", o.name)
            } else {
                String::new()
            };
            elements.push(format!("[{shortcut}--{}{value}{neg}]", o.name));
        }
    }
    if !elements.is_empty() && !spec.arguments.is_empty() {
        elements.push("[--]".into());
    }
    let mut tail = String::new();
    for a in &spec.arguments {
        let mut e = format!("<{}>", a.name);
        if a.multiple {
            e.push_str("...");
        }
        if !a.required {
            e = format!("[{e}");
            tail.push(']');
        }
        elements.push(e);
    }
    format!("{} {}{tail}", spec.name, elements.join(" "))
        .trim()
        .to_string()
}

/// `help <command>` in text.
pub fn help_text(cmd: &CommandSpec, globals: &[Opt], paint: Painter<'_>) -> String {
    let mut out = String::new();
    if !cmd.description.is_empty() {
        out.push_str(&paint("comment", "Description:"));
        out.push_str(&format!("\n  {}\n\n", cmd.description));
    }
    out.push_str(&paint("comment", "Usage:"));
    out.push_str(&format!("\n  {}", synopsis(cmd, true)));
    for a in &cmd.aliases {
        out.push_str(&format!("\n  {a}"));
    }
    out.push('\n');
    out.push('\n');
    out.push_str(&describe_definition(
        &cmd.arguments,
        &options_with_globals(cmd, globals),
        paint,
    ));
    out.push('\n');
    if !cmd.help.is_empty() && cmd.help != cmd.description {
        out.push('\n');
        out.push_str(&paint("comment", "Help:"));
        out.push_str(&format!("\n  {}\n", cmd.help.replace('\n', "\n  ")));
    }
    out
}

fn namespace_of(name: &str) -> &str {
    match name.split_once(':') {
        Some((ns, _)) => ns,
        None => "_global",
    }
}

/// Commands grouped by first-level namespace, global first, each sorted.
fn grouped<'a>(
    cmds: &[&'a CommandSpec],
    include_hidden: bool,
) -> Vec<(String, Vec<&'a CommandSpec>)> {
    let mut groups: std::collections::BTreeMap<String, Vec<&CommandSpec>> = Default::default();
    for c in cmds.iter().copied().filter(|c| include_hidden || !c.hidden) {
        groups
            .entry(namespace_of(&c.name).to_string())
            .or_default()
            .push(c);
    }
    let mut out: Vec<(String, Vec<&CommandSpec>)> = Vec::new();
    if let Some(g) = groups.remove("_global") {
        out.push(("_global".into(), g));
    }
    out.extend(groups);
    for (_, v) in &mut out {
        v.sort_by(|a, b| a.name.cmp(&b.name));
    }
    out
}

/// The commands in `namespace` (all without one).
fn in_namespace<'a>(cmds: &[&'a CommandSpec], namespace: Option<&str>) -> Vec<&'a CommandSpec> {
    cmds.iter()
        .copied()
        .filter(|c| {
            namespace.is_none_or(|ns| {
                c.name
                    .strip_prefix(ns)
                    .is_some_and(|rest| rest.starts_with(':'))
            })
        })
        .collect()
}

/// `list [namespace]` in text; `header` is the first line (`occ 1.0.0`).
pub fn list_text(
    header: &str,
    cmds: &[&CommandSpec],
    globals: &[Opt],
    namespace: Option<&str>,
    paint: Painter<'_>,
) -> String {
    let mut out = format!("{header}\n\n");
    out.push_str(&paint("comment", "Usage:"));
    out.push_str("\n  command [options] [arguments]\n\n");
    let globals: Vec<&Opt> = globals.iter().collect();
    out.push_str(&describe_definition(&[], &globals, paint));
    out.push_str("\n\n");
    let groups = grouped(&in_namespace(cmds, namespace), false);
    let width = groups
        .iter()
        .flat_map(|(_, v)| v.iter().map(|c| width(&c.name)))
        .max()
        .unwrap_or(0)
        + 2;
    match namespace {
        Some(ns) => out.push_str(&paint(
            "comment",
            &format!("Available commands for the \"{ns}\" namespace:"),
        )),
        None => out.push_str(&paint("comment", "Available commands:")),
    }
    for (ns, list) in &groups {
        if namespace.is_none() && ns != "_global" {
            out.push_str(&format!("\n {}", paint("comment", ns)));
        }
        for c in list {
            let aliases = if c.aliases.is_empty() {
                String::new()
            } else {
                format!("[{}] ", c.aliases.join("|"))
            };
            out.push_str(&format!(
                "\n  {}{}{}{}",
                paint("info", &c.name),
                " ".repeat(width - self::width(&c.name)),
                aliases,
                c.description
            ));
        }
    }
    out.push('\n');
    out
}

fn opt_json(o: &Opt) -> Vec<(String, Value)> {
    let shortcut = o
        .shorts()
        .map(|s| format!("-{s}"))
        .collect::<Vec<_>>()
        .join("|");
    let default = match (&o.default, o.value, o.multiple) {
        (Some(d), _, _) => d.clone(),
        (None, _, true) => json!([]),
        (None, ValueMode::None, _) if !o.negatable => json!(false),
        _ => Value::Null,
    };
    let mut v = vec![(
        o.name.clone(),
        json!({
            "name": format!("--{}", o.name),
            "shortcut": shortcut,
            "accept_value": o.value != ValueMode::None,
            "is_value_required": o.value == ValueMode::Required,
            "is_multiple": o.multiple,
            "description": o.description,
            "default": default,
        }),
    )];
    if o.negatable {
        v.push((
            format!("no-{}", o.name),
            json!({
                "name": format!("--no-{}", o.name),
                "shortcut": "",
                "accept_value": false,
                "is_value_required": false,
                "is_multiple": false,
                "description": format!("Negate the \"--{}\" option", o.name),
                "default": false,
            }),
        ));
    }
    v
}

/// A command in JSON; `short` (`list --short`) leaves out the definition and help, as
/// Symfony's JSON descriptor does.
fn command_json(c: &CommandSpec, globals: &[Opt], short: bool) -> Value {
    if short {
        return json!({
            "name": c.name,
            "description": c.description,
            "usage": c.aliases,
            "hidden": c.hidden,
        });
    }
    let args: Map<String, Value> = c
        .arguments
        .iter()
        .map(|a| {
            let default = a.default.clone().unwrap_or(if a.multiple { json!([]) } else { Value::Null });
            (
                a.name.clone(),
                json!({"name": a.name, "is_required": a.required, "is_array": a.multiple, "description": a.description, "default": default}),
            )
        })
        .collect();
    let opts: Map<String, Value> = options_with_globals(c, globals)
        .into_iter()
        .flat_map(opt_json)
        .collect();
    let mut usage = vec![Value::String(synopsis(c, false))];
    usage.extend(c.aliases.iter().map(|a| Value::String(a.clone())));
    json!({
        "name": c.name,
        "description": c.description,
        "usage": usage,
        "help": if c.help.is_empty() { c.description.clone() } else { c.help.clone() },
        "definition": {
            "arguments": if args.is_empty() { json!([]) } else { Value::Object(args) },
            "options": if opts.is_empty() { json!([]) } else { Value::Object(opts) },
        },
        "hidden": c.hidden,
    })
}

/// What `list` shows.
pub struct Listing<'a> {
    /// The commands available.
    pub cmds: &'a [&'a CommandSpec],
    /// The global options.
    pub globals: &'a [Opt],
    /// Only this namespace's commands.
    pub namespace: Option<&'a str>,
    /// `--short`: no definitions (JSON).
    pub short: bool,
}

/// `list --format=json`.
pub fn list_json(app: &str, version: &str, l: &Listing<'_>) -> Value {
    let namespace = l.namespace;
    let groups = grouped(&in_namespace(l.cmds, namespace), true);
    let commands: Vec<Value> = groups
        .iter()
        .flat_map(|(_, v)| v.iter().map(|c| command_json(c, l.globals, l.short)))
        .collect();
    let namespaces: Vec<Value> = groups
        .iter()
        .map(|(ns, v)| {
            let mut names: Vec<String> = v
                .iter()
                .flat_map(|c| std::iter::once(c.name.clone()).chain(c.aliases.clone()))
                .collect();
            names.sort();
            json!({"id": ns, "commands": names})
        })
        .collect();
    let mut root = json!({"application": {"name": app, "version": version}, "commands": commands});
    if let (Some(ns), Value::Object(m)) = (namespace, &mut root) {
        m.insert("namespace".into(), Value::String(ns.into()));
    } else if let Value::Object(m) = &mut root {
        m.insert("namespaces".into(), Value::Array(namespaces));
    }
    root
}

/// `help <command> --format=json`.
pub fn help_json(c: &CommandSpec, globals: &[Opt]) -> Value {
    command_json(c, globals, false)
}

/// `list --raw`: each command's name and description, one a line, sorted.
pub fn list_raw(cmds: &[&CommandSpec], namespace: Option<&str>) -> String {
    let mut shown: Vec<&CommandSpec> = in_namespace(cmds, namespace)
        .into_iter()
        .filter(|c| !c.hidden)
        .collect();
    shown.sort_by(|a, b| a.name.cmp(&b.name));
    let w = shown.iter().map(|c| width(&c.name)).max().unwrap_or(0);
    let mut out = String::new();
    for c in shown {
        out.push_str(&format!("{:<w$} {}\n", c.name, c.description));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(_: &str, s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn global_options_block_matches_reference() {
        let globals = crate::console::input::global_options();
        let globals: Vec<&Opt> = globals.iter().collect();
        let text = describe_definition(&[], &globals, &plain);
        assert!(text.starts_with("Options:\n  -h, --help            Display help"));
        assert!(text.contains("\n      --ansi|--no-ansi  Force (or disable --no-ansi) ANSI output"));
        assert!(text.ends_with("\n  -v|vv|vvv, --verbose  Increase the verbosity of messages: 1 for normal output, 2 for more verbose output and 3 for debug"));
    }
}
