//! Declarative data a plugin hands the host: its manifest, command specs, migrations, repair steps.
//!
//! All of it is serialized as JSON with `#[serde(default)]`, so fields added in a later 1.y are
//! simply absent (and defaulted) when an older plugin describes itself, and ignored by an older host.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a plugin is: identity, the API it was built on, what it owns and offers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Manifest {
    /// Unique plugin id, such as `core` or an app id.
    pub id: String,
    /// The plugin's own version.
    pub version: String,
    /// The plugin-api version it was built against (filled in by [`crate::export_plugin!`]).
    pub api_version: String,
    /// Command namespaces the plugin owns (`user`, `files`, ...); `""` is the global namespace.
    pub namespaces: Vec<String>,
    /// The commands it provides.
    pub commands: Vec<CommandSpec>,
    /// Repair steps it provides, in the order they run.
    pub repair_steps: Vec<RepairSpec>,
    /// Events it wants delivered (`user.deleted`, ...).
    pub events: Vec<String>,
    /// Named services other plugins may call through the host (`user.count`, ...).
    pub services: Vec<String>,
    /// Background jobs it runs (since 1.1); `system:cron` queues and runs them.
    pub jobs: Vec<JobSpec>,
    /// The ids of its schema migrations, in order (since 1.5): with the instance's records
    /// they tell, without loading the plugin, whether `occ upgrade` has work to do for it.
    pub migrations: Vec<String>,
}

/// A background job a plugin runs (since 1.1). Queued in `oc_jobs` with the class
/// `<plugin id>::<name>`; run by `system:cron` when `interval` seconds have passed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct JobSpec {
    /// Name, unique within the plugin.
    pub name: String,
    /// Seconds between runs (0: run once, then removed).
    pub interval: u64,
}

/// An instance state a command may run in. The host enforces the declaration.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Before `maintenance:install`.
    NotInstalled,
    /// Installed, up to date, not in maintenance mode.
    Installed,
    /// Installed and in maintenance mode.
    Maintenance,
    /// Installed but the code is newer than the database: an upgrade is pending.
    UpgradePending,
    /// A state this host does not know (sent by a newer plugin); never matches.
    #[serde(other)]
    Unknown,
}

impl State {
    /// Every state: for commands that run whatever the instance's state (`status`, `check`).
    pub const ALL: &'static [State] = &[
        State::NotInstalled,
        State::Installed,
        State::Maintenance,
        State::UpgradePending,
    ];
    /// The states of a command that declares none: installed and maintenance.
    pub const DEFAULT: &'static [State] = &[State::Installed, State::Maintenance];

    /// Whether a command that declared `states` runs in `self` (none declared:
    /// [`State::DEFAULT`]).
    pub fn allowed_by(self, states: &[State]) -> bool {
        let states = if states.is_empty() {
            State::DEFAULT
        } else {
            states
        };
        states.contains(&self)
    }
}

/// How an option takes a value.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ValueMode {
    /// A flag: `--on`.
    #[default]
    None,
    /// `--name=VALUE` is mandatory once the option is given.
    Required,
    /// `--name[=VALUE]`.
    Optional,
}

/// One positional argument of a command.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Arg {
    /// Name, as shown in help (`uid`).
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Whether it must be given.
    pub required: bool,
    /// Whether it takes all remaining words (only the last argument may).
    pub multiple: bool,
    /// Default when not given.
    pub default: Option<Value>,
}

impl Arg {
    /// A required argument.
    pub fn required(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            required: true,
            ..Self::default()
        }
    }
    /// An optional argument.
    pub fn optional(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            ..Self::default()
        }
    }
    /// Takes every remaining word.
    pub fn multiple(mut self) -> Self {
        self.multiple = true;
        self
    }
    /// Sets the default value.
    pub fn default_value(mut self, v: impl Into<Value>) -> Self {
        self.default = Some(v.into());
        self
    }
}

/// One option of a command.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Opt {
    /// Long name without dashes (`display-name`).
    pub name: String,
    /// Short name without the dash (`g`), if any; several are separated by `|` (`v|vv|vvv`).
    pub short: Option<String>,
    /// One-line description.
    pub description: String,
    /// Whether and how it takes a value.
    pub value: ValueMode,
    /// Whether it may be given several times (values collected in an array).
    pub multiple: bool,
    /// Default when not given.
    pub default: Option<Value>,
    /// A flag that also has a `--no-` form (`--ansi|--no-ansi`); since 1.4.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub negatable: bool,
    /// The only values it takes, when they are fixed (`plain`, `json`, `json_pretty`): any
    /// other is a usage error, and shell completion offers these; since 1.4.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Opt {
    /// A flag (`--on`).
    pub fn flag(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            ..Self::default()
        }
    }
    /// An option with a mandatory value (`--path=PATH`).
    pub fn value(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            value: ValueMode::Required,
            ..Self::default()
        }
    }
    /// An option whose value may be omitted (`--display-name[=DISPLAY-NAME]`).
    pub fn optional_value(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            value: ValueMode::Optional,
            ..Self::default()
        }
    }
    /// The standard `--output[=OUTPUT]` option of commands that report data.
    pub fn output_format() -> Self {
        Self::optional_value(
            "output",
            "The output format to use (plain, json or json_pretty).",
        )
        .default_value("plain")
        .values(&["plain", "json", "json_pretty"])
    }
    /// Restricts it to fixed values (since 1.4).
    pub fn values(mut self, values: &[&str]) -> Self {
        self.values = values.iter().map(|v| v.to_string()).collect();
        self
    }
    /// Sets the short name.
    pub fn short(mut self, s: &str) -> Self {
        self.short = Some(s.into());
        self
    }
    /// May be repeated.
    pub fn multiple(mut self) -> Self {
        self.multiple = true;
        self
    }
    /// Sets the default value.
    pub fn default_value(mut self, v: impl Into<Value>) -> Self {
        self.default = Some(v.into());
        self
    }
    /// A flag with a `--no-` form (since 1.4).
    pub fn negatable(mut self) -> Self {
        self.negatable = true;
        self
    }
    /// The short names (`v`, `vv`, `vvv` for `v|vv|vvv`).
    pub fn shorts(&self) -> impl Iterator<Item = &str> {
        self.short.iter().flat_map(|s| s.split('|'))
    }
}

/// A command: its name, texts, input definition and the instance states it runs in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CommandSpec {
    /// Full name, `namespace:name` (or a bare name in the global namespace).
    pub name: String,
    /// One-line description shown by `list`.
    pub description: String,
    /// Longer help shown by `help <command>`; empty means the description.
    pub help: String,
    /// Positional arguments, in order.
    pub arguments: Vec<Arg>,
    /// Options.
    pub options: Vec<Opt>,
    /// States it may run in; empty means installed and maintenance.
    pub states: Vec<State>,
    /// Hidden from `list` (still runnable).
    pub hidden: bool,
    /// Other names the command answers to (since 1.1).
    pub aliases: Vec<String>,
    /// The exit code of a usage error (an unknown option, a missing argument); none means the
    /// host's (2). Since 1.5: `upgrade` answers 4, as ownCloud documents its codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_exit_code: Option<i32>,
}

impl CommandSpec {
    /// A command with a name and description that runs on an installed instance.
    pub fn new(name: &str, description: &str) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            ..Self::default()
        }
    }
    /// Sets the help text.
    pub fn help(mut self, help: &str) -> Self {
        self.help = help.into();
        self
    }
    /// Adds an argument.
    pub fn arg(mut self, a: Arg) -> Self {
        self.arguments.push(a);
        self
    }
    /// Adds an option.
    pub fn opt(mut self, o: Opt) -> Self {
        self.options.push(o);
        self
    }
    /// Declares the states the command runs in.
    pub fn states(mut self, states: &[State]) -> Self {
        self.states = states.to_vec();
        self
    }
    /// Sets the exit code of a usage error (since 1.5).
    pub fn usage_exit_code(mut self, code: i32) -> Self {
        self.usage_exit_code = Some(code);
        self
    }
    /// Adds an alias (since 1.1).
    pub fn alias(mut self, alias: &str) -> Self {
        self.aliases.push(alias.into());
        self
    }
}

/// One repair step a plugin offers to `maintenance:repair`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RepairSpec {
    /// Stable id used to run it.
    pub id: String,
    /// Name printed as ` - Step: <name>`.
    pub name: String,
    /// Only run with `--include-expensive`.
    pub expensive: bool,
}

/// One schema migration a plugin owns. Never edit one that has run: add a new one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Migration {
    /// Unique, ordered id within the plugin (`001_users`).
    pub id: String,
    /// What it does.
    pub description: String,
    /// Statements for SQLite; `*PREFIX*` stands for the table prefix.
    pub sqlite: Vec<String>,
    /// Statements for PostgreSQL.
    pub pgsql: Vec<String>,
    /// Statements for MySQL/MariaDB.
    pub mysql: Vec<String>,
}

impl Migration {
    /// A migration with the same statements for every database.
    pub fn portable(id: &str, description: &str, statements: &[&str]) -> Self {
        let s: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
        Self {
            id: id.into(),
            description: description.into(),
            sqlite: s.clone(),
            pgsql: s.clone(),
            mysql: s,
        }
    }
}
