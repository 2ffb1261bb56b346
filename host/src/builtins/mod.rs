//! The console's own commands: `help`, `list`, `completion`, `man` (hidden) and
//! `maintenance:data-dir` (it must open the database where the config does not yet say), one file each
//! with its spec and its run function, in one table. They exist in every instance state and describe whatever
//! the plugins registered.

pub mod completion;
pub mod data_dir;
pub mod help;
pub mod list;
pub mod man;

use occ_plugin_api::{CommandSpec, Input, Opt, State};

use crate::console::cli;
use crate::error::{Error, Result};
use crate::instance::{PRODUCT, VERSION};
use crate::plugins::index::Command;
use crate::plugins::registry::Registered;
use crate::services::Host;

/// What a console command sees: the host, the commands available in the instance's state and
/// the global options.
pub struct Console<'a> {
    /// The host.
    pub host: &'a Host,
    /// The commands available in this state.
    pub available: &'a [&'a Registered],
    /// Every registered command, whatever the state (what completion and man pages describe:
    /// the commands the installed plugins provide).
    pub all: &'a [&'a Registered],
    /// The instance's state.
    pub state: State,
    /// The global options.
    pub globals: &'a [Opt],
}

impl Console<'_> {
    /// The available commands' records (what name resolution reads).
    pub fn records(&self) -> Vec<&Command> {
        self.available.iter().map(|r| &*r.command).collect()
    }

    /// The available commands' specs.
    pub fn specs(&self) -> Vec<&CommandSpec> {
        self.available.iter().map(|r| r.spec()).collect()
    }

    /// `occ` as clap describes it: every command the plugins provide (hidden ones left out)
    /// and the global options; for shell completion and man pages.
    pub fn application(&self) -> clap::Command {
        let specs: Vec<&CommandSpec> = self.all.iter().map(|r| r.spec()).collect();
        cli::application(PRODUCT, VERSION, &specs, self.globals)
    }

    /// The spec of the available command named `name`.
    pub fn spec_of(&self, name: &str) -> Option<&CommandSpec> {
        self.available
            .iter()
            .find(|r| r.command.name == name)
            .map(|r| r.spec())
    }
}

/// A console command: its spec and how it runs.
pub struct Builtin {
    /// The spec.
    pub spec: fn() -> CommandSpec,
    /// Runs it.
    pub run: fn(&Console<'_>, &Input) -> Result<i32>,
}

/// The console's commands, in the order `list` would show them without sorting.
pub static TABLE: &[Builtin] = &[
    Builtin {
        spec: help::spec,
        run: help::run,
    },
    Builtin {
        spec: list::spec,
        run: list::run,
    },
    Builtin {
        spec: completion::spec,
        run: completion::run,
    },
    Builtin {
        spec: man::spec,
        run: man::run,
    },
    Builtin {
        spec: data_dir::spec,
        run: data_dir::run,
    },
];

/// The specs of [`TABLE`], in its order.
pub fn specs() -> Vec<CommandSpec> {
    TABLE.iter().map(|b| (b.spec)()).collect()
}

/// `--format` names a format the command does not have.
pub fn unsupported_format(format: &str) -> Error {
    Error::block(format!("Unsupported format \"{format}\"."), 1, None)
}

/// Lines `list` and `-V` print first in a restricted state (ownCloud prints them to stdout).
pub fn state_banner(s: State) -> Option<String> {
    match s {
        State::NotInstalled => Some(format!("{PRODUCT} is not installed - only a limited number of commands are available\n")),
        State::UpgradePending => Some(format!(
            "{PRODUCT} or one of the apps require upgrade - only a limited number of commands are available\nYou may use the occ upgrade command to do the upgrade\n"
        )),
        _ => None,
    }
}
