//! One invocation: global options, the instance and its state, the command table, name
//! resolution, input parsing, state gating, and running a builtin or a plugin command.

use std::cell::RefCell;
use std::path::PathBuf;

use occ_plugin_api::wire::{kind, Env, RunRequest};
use occ_plugin_api::{CommandSpec, Input, State};
use serde_json::Value;

use crate::builtins;
use crate::console::describe::{self, CmdInfo};
use crate::console::finder::{self, Entry};
use crate::console::input::{self, ArgDef, Definition};
use crate::console::shell::Shell;
use crate::instance::{owner, Instance, PRODUCT, VERSION};
use crate::logging;
use crate::plugins::discover;
use crate::plugins::index::Index;
use crate::plugins::registry::{Registered, Registry};
use crate::services::{self, Host};

/// Where a command comes from.
#[derive(Clone, Copy)]
enum Source {
    Builtin,
    Plugin(usize),
}

/// A command as dispatch sees it, borrowed from the builtins or the registry: what name
/// resolution needs, and the whole spec on demand (a plugin command's is parsed when asked).
#[derive(Clone, Copy)]
struct Cmd<'a> {
    name: &'a str,
    description: &'a str,
    aliases: &'a [String],
    hidden: bool,
    states: &'a [State],
    full: Full<'a>,
    source: Source,
}

#[derive(Clone, Copy)]
enum Full<'a> {
    Builtin(&'a CommandSpec),
    Plugin(&'a Registered),
}

impl<'a> Cmd<'a> {
    fn builtin(spec: &'a CommandSpec) -> Self {
        Self {
            name: &spec.name,
            description: &spec.description,
            aliases: &spec.aliases,
            hidden: spec.hidden,
            states: &spec.states,
            full: Full::Builtin(spec),
            source: Source::Builtin,
        }
    }

    fn plugin(r: &'a Registered) -> Self {
        let c = &r.command;
        Self {
            name: &c.name,
            description: &c.description,
            aliases: &c.aliases,
            hidden: c.hidden,
            states: &c.states,
            full: Full::Plugin(r),
            source: Source::Plugin(r.plugin),
        }
    }

    fn spec(&self) -> &'a CommandSpec {
        match self.full {
            Full::Builtin(s) => s,
            Full::Plugin(r) => r.spec(),
        }
    }

    /// Whether it runs in state `s` (no states declared: [`State::DEFAULT`]).
    fn runs_in(&self, s: State) -> bool {
        let states = if self.states.is_empty() {
            State::DEFAULT
        } else {
            self.states
        };
        states.contains(&s)
    }
}

fn info(c: &Cmd) -> CmdInfo {
    CmdInfo {
        name: c.name.to_string(),
        description: c.description.to_string(),
        help: c.spec().help.clone(),
        aliases: c.aliases.to_vec(),
        hidden: c.hidden,
        def: Definition::from_spec(c.spec()),
    }
}

fn entry<'a>(c: &Cmd<'a>) -> Entry<'a> {
    Entry {
        name: c.name,
        aliases: c.aliases,
        description: c.description,
        hidden: c.hidden,
    }
}

fn state_text(s: State) -> String {
    match s {
        State::NotInstalled => {
            format!("{PRODUCT} is not installed - run \"occ maintenance:install\" first")
        }
        State::UpgradePending => "an upgrade is pending - run \"occ upgrade\" first".to_string(),
        State::Maintenance => format!("{PRODUCT} is in maintenance mode"),
        State::Installed => format!("{PRODUCT} is already installed"),
        State::Unknown => "the instance is in an unknown state".into(),
    }
}

/// Lines `list` and `-V` print first in a restricted state (ownCloud prints them to stdout).
fn state_banner(s: State) -> Option<String> {
    match s {
        State::NotInstalled => Some(format!("{PRODUCT} is not installed - only a limited number of commands are available\n")),
        State::UpgradePending => Some(format!(
            "{PRODUCT} or one of the apps require upgrade - only a limited number of commands are available\nYou may use the occ upgrade command to do the upgrade\n"
        )),
        _ => None,
    }
}

/// Enabled apps (`oc_appconfig`), asked only when some app ships a plugin.
fn enabled_apps(host: &Host) -> Vec<String> {
    host
        .with_db(|db| db.query("SELECT appid FROM *PREFIX*appconfig WHERE configkey = 'enabled' AND configvalue <> 'no'", &[]))
        .map(|rows| rows.iter().filter_map(|r| r.get("appid").and_then(Value::as_str).map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Runs occ with `args` (without the program name); returns the exit code.
pub fn run(args: Vec<String>) -> i32 {
    let verbosity = input::verbosity(&args);
    let ansi = if input::has_flag(&args, "no-ansi", None) {
        Some(false)
    } else if input::has_flag(&args, "ansi", None) {
        Some(true)
    } else {
        None
    };
    let mut shell = Shell::new(verbosity, ansi);
    let interactive = !input::has_flag(&args, "no-interaction", Some('n'));
    let no_warnings = input::has_flag(&args, "no-warnings", None);

    let root = match input::root_option(&args)
        .or_else(|| std::env::var("OCC_ROOT").ok().filter(|s| !s.is_empty()))
    {
        Some(given) => std::fs::canonicalize(&given).unwrap_or_else(|_| PathBuf::from(given)),
        // Already absolute, with no symbolic link left in it (getcwd).
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    let instance = Instance::open(&root);
    if let Err(msg) = owner::check(&instance.config.path) {
        // Several lines, shown even under -q: the command did not run.
        for l in msg.message.lines() {
            shell.error_line(l);
        }
        return 1;
    }
    let state = instance.state();
    // The version needs no plugins: answer before discovering them.
    if input::has_flag(&args, "version", Some('V')) {
        if let Some(b) = state_banner(state) {
            shell.out(&b);
        }
        shell.out_line(&format!("{PRODUCT} {VERSION}"));
        return 0;
    }
    let file_level = instance
        .config
        .get("loglevel")
        .and_then(Value::as_u64)
        .map(|l| l.min(4) as u8)
        .unwrap_or(2);
    let log_file = if instance.installed() {
        let path = instance
            .config
            .get_str("logfile")
            .map(PathBuf::from)
            .unwrap_or_else(|| instance.data_dir().join("occ.log"));
        path.parent()
            .filter(|d| d.is_dir())
            .map(|_| (path.clone(), file_level))
    } else {
        None
    };
    let file_level_opt = log_file.as_ref().map(|(_, l)| *l);
    logging::init(verbosity, log_file);

    let mut index = Index::load();
    let mut registry = Registry::default();
    registry.add_candidates(discover::system_candidates(), &mut index);

    let env = Env {
        verbosity,
        interactive,
        log_level: logging::plugin_max_level(verbosity, file_level_opt).into(),
    };
    let mut host = Host {
        shell: RefCell::new(shell),
        instance: RefCell::new(instance),
        registry,
        db: RefCell::new(None),
        output_format: RefCell::new("plain".into()),
        env,
        install: RefCell::new(None),
        current_plugin: RefCell::new(Vec::new()),
    };
    // Apps' plugins: only on a running instance, and the database is asked only if an app ships one.
    if state == State::Installed {
        let apps = discover::app_candidates(&root);
        if !apps.is_empty() {
            let enabled = enabled_apps(&host);
            let files: Vec<_> = apps
                .into_iter()
                .filter(|(id, _)| enabled.contains(id))
                .flat_map(|(_, f)| f)
                .collect();
            host.registry.add_candidates(files, &mut index);
        }
    }
    index.save();

    if !no_warnings {
        let mut sh = host.shell.borrow_mut();
        for (file, reason) in &host.registry.problems {
            sh.err_line(&format!(
                "occ: ignoring plugin {}: {reason}",
                file.display()
            ));
        }
        if state == State::Maintenance {
            sh.err(&format!(
                "{PRODUCT} is in maintenance mode - no app have been loaded\n\n"
            ));
        }
    }

    let code = dispatch(&host, &args, state);
    host.shell.borrow_mut().progress_done();
    services::instance::abort_install(&host);
    services::instance::close_db(&mut host);
    code
}

fn dispatch(host: &Host, args: &[String], state: State) -> i32 {
    let builtin_specs = builtins::specs();
    let mut all: Vec<Cmd> = builtin_specs.iter().map(Cmd::builtin).collect();
    all.extend(host.registry.commands.iter().map(Cmd::plugin));
    let available: Vec<Cmd> = all.iter().filter(|c| c.runs_in(state)).copied().collect();

    let help_flag = input::has_flag(args, "help", Some('h'));
    let typed = input::first_argument(args);
    let (name, help_for) = match (&typed, help_flag) {
        (None, true) => ("help".to_string(), Some("list".to_string())),
        (None, false) => ("list".to_string(), None),
        (Some(n), _) => (n.clone(), None),
    };
    let entries: Vec<Entry> = available.iter().map(entry).collect();
    let resolved = match finder::find(&name, &entries) {
        Ok(n) => n,
        Err(nf) => {
            // A command that exists, but not in this state: one clear line.
            let all_entries: Vec<Entry> = all.iter().map(entry).collect();
            if let Ok(n) = finder::find(&name, &all_entries) {
                host.shell.borrow_mut().error_line(&format!(
                    "Command \"{n}\" is not available: {}.",
                    state_text(state)
                ));
                return 1;
            }
            host.shell.borrow_mut().error_block(&nf.0, None);
            return 1;
        }
    };
    let Some(cmd) = available
        .iter()
        .find(|c| c.name == resolved.as_str())
        .cloned()
    else {
        return 1;
    };
    // An unreadable config: nothing may act on the instance; `check` reports it.
    if let Some(e) = &host.instance.borrow().config_error {
        if !matches!(cmd.name, "check" | "help" | "list") {
            host.shell.borrow_mut().error_line(e);
            return 1;
        }
    }

    // `occ <command> --help` shows that command's help.
    if help_flag && typed.is_some() {
        return help(host, &available, cmd.name, "txt");
    }

    let mut def = Definition::from_spec(cmd.spec());
    def.args.insert(
        0,
        ArgDef {
            name: "command".into(),
            required: true,
            multiple: false,
            description: String::new(),
            default: None,
        },
    );
    let full = def.with_globals();
    let parse_args: Vec<String> = if typed.is_none() {
        std::iter::once(name.clone())
            .chain(args.iter().cloned())
            .collect()
    } else {
        args.to_vec()
    };
    let parsed = match input::parse(&parse_args, &full) {
        Ok(p) => p,
        Err(msg) => {
            let syn = describe::synopsis(cmd.name, &Definition::from_spec(cmd.spec()), true);
            host.shell.borrow_mut().error_block(&msg, Some(&syn));
            return 2;
        }
    };
    let own = Definition::from_spec(cmd.spec());
    let (arguments, options) = input::complete(&parsed, &own);
    let input = Input { arguments, options };

    match cmd.source {
        Source::Builtin => match cmd.name {
            "help" => {
                let target = help_for
                    .or_else(|| input.arg_str("command_name"))
                    .unwrap_or_else(|| "help".into());
                let entries: Vec<Entry> = available.iter().map(entry).collect();
                match finder::find(&target, &entries) {
                    Ok(t) => help(
                        host,
                        &available,
                        &t,
                        &input.opt_str("format").unwrap_or_else(|| "txt".into()),
                    ),
                    Err(nf) => {
                        host.shell.borrow_mut().error_block(&nf.0, None);
                        1
                    }
                }
            }
            "list" => list(host, &available, state, &input),
            "completion" => completion(host, &available, &input),
            _ => 1,
        },
        Source::Plugin(idx) => {
            if let Some(Value::String(f)) = input.options.get("output") {
                *host.output_format.borrow_mut() = f.clone();
            }
            let req = RunRequest {
                command: cmd.name.to_string(),
                input,
                env: host.env.clone(),
            };
            let payload = serde_json::to_value(&req).unwrap_or(Value::Null);
            match host.call_plugin(idx, kind::RUN, &payload) {
                Ok(v) => v.as_i64().map(|c| c as i32).unwrap_or(0),
                Err(e) => {
                    for l in e.message.lines() {
                        host.shell.borrow_mut().error_line(l);
                    }
                    e.code
                }
            }
        }
    }
}

fn help(host: &Host, available: &[Cmd], name: &str, format: &str) -> i32 {
    let Some(c) = available.iter().find(|c| c.name == name) else {
        return 1;
    };
    let mut sh = host.shell.borrow_mut();
    match format {
        "json" => {
            let v = describe::help_json(&info(c));
            sh.out(&crate::console::json::compact(&v));
        }
        "txt" => {
            let paint = |style: &str, text: &str| sh.paint(false, style, text);
            let text = describe::help_text(&info(c), &paint);
            sh.out(&text);
        }
        other => {
            sh.error_block(&format!("Unsupported format \"{other}\"."), None);
            return 1;
        }
    }
    0
}

fn list(host: &Host, available: &[Cmd], state: State, input: &Input) -> i32 {
    let infos: Vec<CmdInfo> = available.iter().map(info).collect();
    let names: Vec<String> = available.iter().map(|c| c.name.to_string()).collect();
    let ns = match input.arg_str("namespace") {
        Some(ns) => match finder::find_namespace(&ns, &names) {
            Ok(_) => Some(ns),
            Err(nf) => {
                host.shell.borrow_mut().error_block(&nf.0, None);
                return 1;
            }
        },
        None => None,
    };
    let format = input.opt_str("format").unwrap_or_else(|| "txt".into());
    let mut sh = host.shell.borrow_mut();
    if input.flag("raw") {
        let shown: Vec<&CmdInfo> = infos
            .iter()
            .filter(|c| {
                !c.hidden
                    && ns
                        .as_deref()
                        .is_none_or(|n| c.name.starts_with(&format!("{n}:")))
            })
            .collect();
        let w = shown
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut sorted = shown;
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for c in sorted {
            sh.out_line(&format!("{:<w$} {}", c.name, c.description));
        }
        return 0;
    }
    match format.as_str() {
        "json" => {
            let v = describe::list_json(PRODUCT, VERSION, &infos, ns.as_deref());
            sh.out(&crate::console::json::compact(&v));
            0
        }
        "txt" => {
            if let Some(b) = state_banner(state) {
                sh.out(&b);
            }
            let header = format!("{PRODUCT} {}", sh.paint(false, "info", VERSION));
            let paint = |style: &str, text: &str| sh.paint(false, style, text);
            let text = describe::list_text(&header, &infos, ns.as_deref(), &paint);
            sh.out(&text);
            0
        }
        other => {
            sh.error_block(&format!("Unsupported format \"{other}\"."), None);
            1
        }
    }
}

fn completion(host: &Host, available: &[Cmd], input: &Input) -> i32 {
    let shell_name = input
        .arg_str("shell")
        .or_else(|| {
            std::env::var("SHELL")
                .ok()
                .and_then(|s| s.rsplit('/').next().map(str::to_string))
        })
        .unwrap_or_default();
    let mut cmds: Vec<&Cmd> = available.iter().filter(|c| !c.hidden).collect();
    cmds.sort_by(|a, b| a.name.cmp(b.name));
    let opts = |c: &Cmd| -> Vec<String> {
        c.spec()
            .options
            .iter()
            .map(|o| format!("--{}", o.name))
            .collect()
    };
    let script = match shell_name.as_str() {
        "bash" => builtins::bash(
            &cmds
                .iter()
                .map(|c| (c.name.to_string(), opts(c)))
                .collect::<Vec<_>>(),
        ),
        "zsh" => builtins::zsh(
            &cmds
                .iter()
                .map(|c| (c.name.to_string(), c.description.to_string(), opts(c)))
                .collect::<Vec<_>>(),
        ),
        "fish" => builtins::fish(
            &cmds
                .iter()
                .map(|c| (c.name.to_string(), c.description.to_string(), opts(c)))
                .collect::<Vec<_>>(),
        ),
        "" => {
            host.shell.borrow_mut().error_line("Shell not detected, occ shell completion only supports \"bash\", \"zsh\", \"fish\".");
            return 2;
        }
        other => {
            host.shell.borrow_mut().error_line(&format!(
                "Detected shell \"{other}\", which is not supported by occ shell completion (supported shells: \"bash\", \"zsh\", \"fish\")."
            ));
            return 2;
        }
    };
    host.shell.borrow_mut().out(&script);
    0
}
