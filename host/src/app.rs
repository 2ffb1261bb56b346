//! One invocation: global options, the instance and its state, the command table, name
//! resolution, input parsing, state gating, running a console or plugin command, and printing
//! the error it ended with (the one place errors are printed).

use std::cell::RefCell;
use std::path::PathBuf;

use occ_plugin_api::wire::{kind, Env, RunRequest};
use occ_plugin_api::{DbKind, State};
use serde_json::Value;

use crate::builtins::{self, state_banner, Console};
use crate::console::input;
use crate::console::shell::Shell;
use crate::console::{cli, describe, finder};
use crate::error::{Error, Result, Shown};
use crate::instance::upgrade::{Need, Recorded};
use crate::instance::{owner, Instance, PRODUCT, VERSION};
use crate::logging;
use crate::plugins::discover;
use crate::plugins::index::Index;
use crate::plugins::registry::{Provider, Registered, Registry};
use crate::services::instance::PLUGINS_DIGEST;
use crate::services::{self, Host};

/// Where an invocation's plugins come from.
pub enum Plugins<'a> {
    /// Discovered on disk (`OCC_PLUGIN_PATH`, the distribution's directory, the build
    /// directory, enabled apps), through the plugin index.
    Discover,
    /// Linked into this process (the test harness); nothing is read from disk or logged.
    InProcess(&'a [&'static dyn occ_plugin_api::Plugin]),
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

/// What an installed instance records about its plugins and apps (none when the database
/// cannot be read: the command that needs it says why).
fn recorded(host: &Host) -> Option<Recorded> {
    host.with_db(Recorded::read).ok()
}

/// Measures each plugin against the records: a plugin older than the version the instance
/// records is refused (no downgrades); one newer, or with migrations that have not run, makes
/// the instance need an upgrade. Returns the state that results. In maintenance mode the
/// apps' plugins take part in the measure but run no command, as ownCloud loads no app then.
fn measure_plugins(host: &mut Host, recorded: Option<&Recorded>, state: State) -> State {
    let Some(rec) = recorded else {
        return state;
    };
    let mut due = rec.interrupted;
    let mut refuse = Vec::new();
    for (i, p) in host.registry.plugins.iter().enumerate() {
        let m = &p.manifest;
        match rec.need(&m.id, &m.version, &m.migrations) {
            Need::Current => {}
            Need::Upgrade => due = true,
            Need::Downgrade { recorded } => refuse.push((
                i,
                format!(
                    "its version {} is older than the installed version {recorded} of \"{}\": downgrades are not supported",
                    m.version, m.id
                ),
            )),
        }
    }
    for (i, why) in refuse {
        host.registry.withdraw(i, Some(why));
    }
    host.instance.get_mut().plugins_due = due;
    let state = host.instance.get_mut().state();
    if state == State::Maintenance {
        let apps: Vec<usize> = (0..host.registry.plugins.len())
            .filter(|&i| host.registry.plugins[i].app)
            .collect();
        for i in apps {
            host.registry.withdraw(i, None);
        }
    }
    state
}

/// Prints an error the way its shape says; shown even under `-q`.
fn report(shell: &mut Shell, e: &Error) {
    match &e.shown {
        Shown::Lines => {
            for l in e.message.lines() {
                shell.error_line(l);
            }
        }
        Shown::Block { synopsis } => shell.error_block(&e.message, synopsis.as_deref()),
    }
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
    run_with(args, Plugins::Discover, Shell::new(verbosity, ansi))
}

/// Runs occ with `args`, the given plugins and shell; returns the exit code.
pub fn run_with(args: Vec<String>, plugins: Plugins<'_>, mut shell: Shell) -> i32 {
    let verbosity = shell.verbosity;
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
    if let Err(e) = owner::check(&instance.config.path) {
        // Several lines: the command did not run.
        report(&mut shell, &e);
        return e.code;
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
    let env = Env {
        verbosity,
        interactive,
        log_level: logging::plugin_max_level(verbosity, file_level_opt).into(),
    };
    let mut host = new_host(instance, shell, env);
    let leave_db = matches!(plugins, Plugins::Discover);
    let (usable, owncloud) = {
        let i = host.instance.borrow();
        (i.installed() && i.config_error.is_none(), i.owncloud())
    };
    let mut records = None;
    match plugins {
        Plugins::Discover => {
            logging::init(verbosity, log_file);
            let mut index = Index::load();
            host.registry
                .add_candidates(discover::system_candidates(), &mut index);
            // Enabled apps' plugins, on an installed instance: the database says which.
            if usable {
                let apps = discover::app_candidates(&root);
                if !apps.is_empty() {
                    records = recorded(&host);
                    let enabled = records.as_ref().map(|r| r.enabled.as_slice());
                    let files: Vec<_> = apps
                        .into_iter()
                        .filter(|(id, _)| enabled.unwrap_or_default().contains(id))
                        .flat_map(|(_, f)| f)
                        .collect();
                    host.registry.add_candidates(files, &mut index);
                }
            }
            index.save();
        }
        Plugins::InProcess(list) => {
            for p in list {
                host.registry.add_in_process(*p);
            }
        }
    }
    // The records are read when the plugins are not those the last install or upgrade
    // brought up to date (their digest in the config), or were read for the apps above.
    // An ownCloud instance's records are ownCloud's apps', not the plugins': its schema is
    // ownCloud's, which occ neither migrates nor upgrades.
    if usable && records.is_none() && !owncloud {
        let digest = host.registry.digest(&[]);
        let known = host.instance.borrow().config.get_str(PLUGINS_DIGEST);
        if known.as_deref() != Some(digest.as_str()) {
            records = recorded(&host);
        }
    }
    let state = measure_plugins(&mut host, records.as_ref().filter(|_| !owncloud), state);
    host.registry.add_builtins(builtins::specs());

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

    let code = match run_command(&host, &args, state, no_warnings) {
        Ok(code) => code,
        Err(e) => {
            report(&mut host.shell.borrow_mut(), &e);
            e.code
        }
    };
    host.shell.borrow_mut().progress_done();
    services::instance::abort_install(&host);
    services::instance::close_db(&mut host, leave_db);
    code
}

fn new_host(instance: Instance, shell: Shell, env: Env) -> Host {
    Host {
        shell: RefCell::new(shell),
        instance: RefCell::new(instance),
        registry: Registry::default(),
        db: RefCell::new(None),
        output_format: RefCell::new("plain".into()),
        env,
        install: RefCell::new(None),
        current_plugin: RefCell::new(Vec::new()),
        running: RefCell::new(None),
    }
}

/// A host for the instance at `root` with `plugins` linked into this process, as
/// [`run_with`] builds it for [`Plugins::InProcess`]: for handing a plugin's own functions a
/// real `Context` in tests. Non-interactive; close its database with
/// [`services::instance::close_db`].
pub fn in_process_host(
    root: &std::path::Path,
    plugins: &[&'static dyn occ_plugin_api::Plugin],
    shell: Shell,
) -> Host {
    let env = Env {
        verbosity: shell.verbosity,
        interactive: false,
        log_level: "warn".into(),
    };
    let mut host = new_host(Instance::open(root), shell, env);
    for p in plugins {
        host.registry.add_in_process(*p);
    }
    host
}

/// Resolves, parses and runs the command `args` name.
fn run_command(host: &Host, args: &[String], state: State, no_warnings: bool) -> Result<i32> {
    let commands = &host.registry.commands;
    let available: Vec<&Registered> = commands
        .iter()
        .filter(|r| r.command.runs_in(state))
        .collect();
    let globals = input::global_options();
    let all: Vec<&Registered> = commands.iter().collect();
    let console = Console {
        host,
        available: &available,
        all: &all,
        state,
        globals: &globals,
    };

    let help_flag = input::has_flag(args, "help", Some('h'));
    let typed = input::first_argument(args);
    let name = typed.clone().unwrap_or_else(|| {
        // `occ` lists the commands; `occ --help` is the help of `list`.
        if help_flag { "help" } else { "list" }.to_string()
    });
    // A config that exists but cannot be read (or an instance occ may not administer): every
    // command says so, rather than "not installed"; `check` reports it.
    if let Some(e) = &host.instance.borrow().config_error {
        let records: Vec<_> = all.iter().map(|r| &*r.command).collect();
        let found = finder::find(&name, &records).ok();
        if !matches!(found.as_deref(), Some("check" | "help" | "list")) {
            return Err(Error::new(e.clone()));
        }
    }
    let resolved = match finder::find(&name, &console.records()) {
        Ok(n) => n,
        Err(nf) => {
            // A command that exists, but not in this state: one clear line.
            let records: Vec<_> = all.iter().map(|r| &*r.command).collect();
            if let Ok(n) = finder::find(&name, &records) {
                // While an upgrade is pending, ownCloud's banner says why.
                if let (State::UpgradePending, Some(b)) = (state, state_banner(state)) {
                    return Err(Error::new(format!(
                        "{b}Command \"{n}\" is not available until then."
                    )));
                }
                return Err(Error::new(format!(
                    "Command \"{n}\" is not available: {}.",
                    state_text(state)
                )));
            }
            return Err(Error::block(nf.0, 1, None));
        }
    };
    let Some(cmd) = available
        .iter()
        .copied()
        .find(|r| r.command.name == resolved)
    else {
        return Ok(1);
    };
    let name = cmd.command.name.as_str();
    // An installed instance whose data directory is missing (an ownCloud server's, or one
    // whose SQLite database lives there): nothing acts on it but what reports it, moves it or
    // sets it in the config.
    {
        let i = host.instance.borrow();
        let data = i.data_dir();
        let sqlite = i
            .config
            .get_str("dbtype")
            .is_none_or(|t| DbKind::parse(&t) == Some(DbKind::Sqlite));
        if i.installed()
            && (i.owncloud() || sqlite)
            && !help_flag
            && !data.is_dir()
            && !matches!(
                name,
                "check"
                    | "help"
                    | "list"
                    | "completion"
                    | "maintenance:data-dir"
                    | "config:system:get"
                    | "config:system:set"
                    | "config:system:delete"
            )
        {
            return Err(Error::new(format!(
                "The data directory {} does not exist (datadirectory in {}); if it moved, run occ maintenance:data-dir <new directory>",
                data.display(),
                i.config.path.display()
            )));
        }
    }

    // While an upgrade is pending, ownCloud's banner heads each command's output (not that of
    // the ones that report: their output stays as it is).
    if state == State::UpgradePending
        && !no_warnings
        && !help_flag
        && !matches!(name, "status" | "check" | "help" | "list" | "completion")
    {
        if let Some(b) = state_banner(state) {
            host.shell.borrow_mut().out(&b);
        }
    }

    // `occ <command> --help` shows that command's help.
    if help_flag && typed.is_some() {
        return builtins::help::show(&console, name, "txt", false);
    }

    let spec = cmd.spec();
    let parse_args: Vec<String> = match &typed {
        None => std::iter::once(name.to_string())
            .chain(args.iter().cloned())
            .collect(),
        Some(_) => args.to_vec(),
    };
    let mut input = cli::parse(&parse_args, spec, &globals).map_err(|msg| {
        let code = spec.usage_exit_code.unwrap_or(2);
        Error::block(msg, code, Some(describe::synopsis(spec, true)))
    })?;
    if typed.is_none() && help_flag {
        input
            .arguments
            .insert("command_name".into(), Value::String("list".into()));
    }

    match cmd.provider {
        Provider::Builtin(i) => (builtins::TABLE[i].run)(&console, &input),
        Provider::Plugin(idx) => {
            if let Some(Value::String(f)) = input.options.get("output") {
                *host.output_format.borrow_mut() = f.clone();
            }
            *host.running.borrow_mut() = Some(name.to_string());
            let req = RunRequest {
                command: name.to_string(),
                input,
                env: host.env.clone(),
            };
            let payload = serde_json::to_value(&req).map_err(|e| Error::new(e.to_string()))?;
            let v = host.call_plugin(idx, kind::RUN, &payload)?;
            Ok(v.as_i64().map(|c| c as i32).unwrap_or(0))
        }
    }
}
