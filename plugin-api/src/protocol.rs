//! The host methods a plugin calls, each a request type with its response type.
//!
//! Every request serializes to the JSON the host has read since plugin-api 1.0 and names its
//! method ([`HostRequest::METHOD`]); the host decodes each into the same type, so a missing or
//! mistyped field is an error naming the method and the field, never an empty default. Fields
//! added in a later minor are `Option`s (absent from older plugins' requests).
//!
//! Plugin authors rarely name these types: [`crate::Context`] and [`crate::Db`] send them.
//! [`crate::Context::request`] sends one directly (the admin requests of the core plugin).

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::spec::{JobSpec, Manifest};

/// A host method: the request's JSON is the payload, [`HostRequest::Response`] the answer.
pub trait HostRequest: Serialize {
    /// The method's name on the wire (`db.query`, `config.system.get`, ...).
    const METHOD: &'static str;
    /// What the host answers.
    type Response: Serialize + DeserializeOwned;

    /// The payload text (JSON, except for [`OutputText`]).
    fn body(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// A field that must be present even though it may be `null` (serde would otherwise take a
/// missing `Option` for `None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

macro_rules! method {
    ($t:ty, $name:literal, $resp:ty) => {
        impl HostRequest for $t {
            const METHOD: &'static str = $name;
            type Response = $resp;
        }
    };
}

/// Which stream a text goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// Results: stdout.
    Out,
    /// Messages: stderr.
    Err,
}

/// How a text is printed: the fields [`OutputWrite`] and [`OutputText`] share. Each has the
/// default the host has always applied (stdout, a line break, plain, normal verbosity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Printing<'a> {
    /// stdout or stderr.
    #[serde(default = "Stream::out")]
    pub stream: Stream,
    /// Whether a line break follows.
    #[serde(default = "yes")]
    pub newline: bool,
    /// `plain`, `info`, `comment`, `error` (Symfony's styles; unknown ones print plain).
    #[serde(borrow, default)]
    pub style: Cow<'a, str>,
    /// Printed only at this verbosity or above (0 normal, 1..3 for `-v`..`-vvv`).
    #[serde(default)]
    pub verbosity: i32,
}

fn yes() -> bool {
    true
}

impl Stream {
    fn out() -> Self {
        Stream::Out
    }
}

/// `output.write`: a text inside the JSON (plugin-api 1.0-1.2; [`OutputText`] since 1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputWrite<'a> {
    /// The text.
    #[serde(borrow)]
    pub text: Cow<'a, str>,
    /// How it is printed.
    #[serde(flatten, borrow)]
    pub how: Printing<'a>,
}
method!(OutputWrite<'_>, "output.write", ());

/// `output.text` (since 1.3): a line of JSON ([`Printing`]), a line break, then the text as
/// it is, neither escaped nor unescaped (a command's whole output may be one text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputText<'a> {
    /// How it is printed.
    pub how: Printing<'a>,
    /// The text.
    pub text: &'a str,
}

impl<'a> OutputText<'a> {
    /// Reads a payload: the header line, then the text.
    pub fn decode(payload: &'a str) -> Result<Self, String> {
        let (header, text) = payload
            .split_once('\n')
            .ok_or("no line break after the header")?;
        let how = serde_json::from_str(header).map_err(|e| e.to_string())?;
        Ok(Self { how, text })
    }
}

impl HostRequest for OutputText<'_> {
    const METHOD: &'static str = "output.text";
    type Response = ();
    fn body(&self) -> Result<String, serde_json::Error> {
        let mut body = serde_json::to_string(&self.how)?;
        body.reserve(self.text.len() + 1);
        body.push('\n');
        body.push_str(self.text);
        Ok(body)
    }
}

/// `output.data`: a value the host renders as plain, json or json_pretty per `--output`.
/// `V` is any serializable value on the plugin's side, the raw JSON text on the host's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputData<V> {
    /// The value (absent: `null`, as the host has always taken it).
    pub value: V,
}
impl<V: Serialize> HostRequest for OutputData<V> {
    const METHOD: &'static str = "output.data";
    type Response = ();
}

/// `output.table`: a table (plain output draws it; json outputs an array of row objects).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputTable {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of values, one per header.
    pub rows: Vec<Vec<Value>>,
}
method!(OutputTable, "output.table", ());

/// `output.progress` (since 1.1): shows or updates a progress line on a terminal (nothing
/// elsewhere or under `-q`); `done` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputProgress {
    /// The line's text (absent when `done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Clears the line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
}
method!(OutputProgress, "output.progress", ());

/// `prompt`: asks a question on the terminal; refused under `-n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    /// The question.
    pub question: String,
    /// Whether the answer is hidden (passwords).
    pub hidden: bool,
}
method!(Prompt, "prompt", String);

/// `confirm`: a yes/no question; refused under `-n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirm {
    /// The question.
    pub question: String,
    /// The answer when the reply is empty.
    pub default: bool,
}
method!(Confirm, "confirm", bool);

/// `config.system.get`: one system config value, `null` when not set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemConfigGet {
    /// The key.
    pub key: String,
}
method!(SystemConfigGet, "config.system.get", Option<Value>);

/// `config.system.all`: the whole system config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemConfigAll {}
method!(SystemConfigAll, "config.system.all", Map<String, Value>);

/// `config.system.update`: sets and deletes keys in one atomic write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemConfigUpdate {
    /// Keys to set.
    pub set: Map<String, Value>,
    /// Keys to delete.
    pub delete: Vec<String>,
}
method!(SystemConfigUpdate, "config.system.update", ());

/// `config.app.get`: an app config value (`oc_appconfig`), `null` when not set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppConfigGet {
    /// App id.
    pub app: String,
    /// Key.
    pub key: String,
}
method!(AppConfigGet, "config.app.get", Option<String>);

/// `config.app.set`: sets a value, or deletes it when `value` is `null` (which must be sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppConfigSet {
    /// App id.
    pub app: String,
    /// Key.
    pub key: String,
    /// The value; `None` deletes the key.
    #[serde(deserialize_with = "present")]
    pub value: Option<String>,
}
method!(AppConfigSet, "config.app.set", ());

/// How [`DbQuery`] returns rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowShape {
    /// Each row an object of column -> value (the default).
    Objects,
    /// Each row an array of values in the select list's order (since 1.3).
    Arrays,
}

/// `db.query`: runs a query (`?` parameters, `*PREFIX*` for the table prefix) and answers its
/// rows as a JSON array, shaped per `rows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbQuery<'a> {
    /// The statement.
    #[serde(borrow)]
    pub sql: Cow<'a, str>,
    /// Its parameters (absent: none).
    #[serde(default)]
    pub params: Cow<'a, [Value]>,
    /// How rows are shaped (since 1.3; absent: objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowShape>,
}
method!(DbQuery<'_>, "db.query", Vec<Value>);

/// `db.execute`: runs a statement; answers the number of rows it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbExecute<'a> {
    /// The statement.
    #[serde(borrow)]
    pub sql: Cow<'a, str>,
    /// Its parameters (absent: none).
    #[serde(default)]
    pub params: Cow<'a, [Value]>,
}
method!(DbExecute<'_>, "db.execute", u64);

/// `db.execute_many`: one statement run for each parameter row, in one call; answers the rows
/// changed. `R` is the rows: any sequence of sequences of parameters on the plugin's side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbExecuteMany<'a, R> {
    /// The statement.
    #[serde(borrow)]
    pub sql: Cow<'a, str>,
    /// One parameter row per run (absent: none).
    #[serde(default)]
    pub rows: R,
}
impl<R: Serialize> HostRequest for DbExecuteMany<'_, R> {
    const METHOD: &'static str = "db.execute_many";
    type Response = u64;
}

/// `db.begin`: begins a transaction (write-locking on SQLite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbBegin {}
method!(DbBegin, "db.begin", ());

/// `db.commit`: commits the open transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbCommit {}
method!(DbCommit, "db.commit", ());

/// `db.rollback`: rolls the open transaction back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbRollback {}
method!(DbRollback, "db.rollback", ());

/// `db.lock` (since 1.4): a named lock held until the open transaction ends, so concurrent
/// transactions that take the same name run one after the other (a check-then-insert with no
/// unique key to lean on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbLock {
    /// The lock's name, scoped by the host to this instance.
    pub name: String,
}
method!(DbLock, "db.lock", ());

/// A database type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbKind {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL.
    Pgsql,
    /// MySQL or MariaDB.
    Mysql,
}

impl DbKind {
    /// The name ownCloud's `dbtype` uses: `sqlite`, `pgsql`, `mysql`.
    pub fn as_str(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Pgsql => "pgsql",
            DbKind::Mysql => "mysql",
        }
    }

    /// The kind a `dbtype` names (`sqlite3` is ownCloud's other name for SQLite).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "sqlite" | "sqlite3" => Some(DbKind::Sqlite),
            "pgsql" => Some(DbKind::Pgsql),
            "mysql" => Some(DbKind::Mysql),
            _ => None,
        }
    }
}

impl PartialEq<&str> for DbKind {
    /// Compares with a `dbtype` name (`kind == "sqlite"`, as plugin-api 1.2-1.3 returned it).
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for DbKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `db.info`: the database's type and table prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInfoRequest {}
method!(DbInfoRequest, "db.info", DbInfo);

/// What [`DbInfoRequest`] answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInfo {
    /// The database type.
    #[serde(rename = "type")]
    pub kind: DbKind,
    /// The table prefix (`oc_`).
    pub prefix: String,
}

/// `log`: a record for the host's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log<'a> {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    #[serde(borrow)]
    pub level: Cow<'a, str>,
    /// The message.
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    /// The `tracing` target, when it came from a macro (since 1.1).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub target: Option<Cow<'a, str>>,
}
method!(Log<'_>, "log", ());

/// `event.emit`: delivered to every plugin that subscribed to `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEmit {
    /// Event name (`user.deleted`).
    pub name: String,
    /// Event data.
    pub payload: Value,
}
method!(EventEmit, "event.emit", ());

/// `service.call`: a named service another plugin answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCall {
    /// Service name (`user.count`).
    pub name: String,
    /// Request data.
    pub payload: Value,
}
method!(ServiceCall, "service.call", Value);

/// `instance.info`: facts about the instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceInfoRequest {}
method!(InstanceInfoRequest, "instance.info", InstanceInfo);

/// What [`InstanceInfoRequest`] answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct InstanceInfo {
    /// Product name printed in messages.
    pub product: String,
    /// The code's version (`1.0.0`).
    pub version: String,
    /// Instance root directory.
    pub root: String,
    /// `config/config.json` path.
    pub config_file: String,
    /// Data directory, if configured.
    pub data_dir: Option<String>,
    /// Whether the instance is installed.
    pub installed: bool,
    /// Whether maintenance mode is on.
    pub maintenance: bool,
    /// Whether an upgrade is pending.
    pub needs_upgrade: bool,
    /// Why `config/config.json` could not be read, if it could not (since 1.1).
    pub config_error: Option<String>,
    /// On an ownCloud 10 server administered in place (its `config/config.php`), ownCloud's
    /// version from it (`10.15.2.0`): the schema is ownCloud's, and a plugin's own tables and
    /// migrations are not there (since 1.6).
    pub owncloud: Option<String>,
}

/// `repair.list`: every loaded plugin's repair steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairList {}
method!(RepairList, "repair.list", Vec<RepairEntry>);

/// One repair step as [`RepairList`] answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairEntry {
    /// The plugin that provides it.
    pub plugin: String,
    /// Step id.
    pub id: String,
    /// Name printed as ` - Step: <name>`.
    pub name: String,
    /// Runs only with `--include-expensive`.
    pub expensive: bool,
}

/// `repair.run`: runs one plugin's repair step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairRun {
    /// Plugin id.
    pub plugin: String,
    /// Step id.
    pub id: String,
    /// Without the step's own output lines (its error still comes back); since 1.5.
    #[serde(default)]
    pub quiet: bool,
}
method!(RepairRun, "repair.run", Value);

/// `plugins.problems`: plugin files that could not be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginProblems {}
method!(PluginProblems, "plugins.problems", Vec<PluginProblem>);

/// A plugin file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginProblem {
    /// The file.
    pub file: String,
    /// Why.
    pub problem: String,
}

/// `plugins.list` (since 1.1): the loaded plugins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginsList {}
method!(PluginsList, "plugins.list", Vec<PluginInfo>);

/// A loaded plugin as [`PluginsList`] answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Plugin id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its file.
    pub file: String,
    /// Namespaces it owns.
    pub namespaces: Vec<String>,
    /// Named services it answers.
    pub services: Vec<String>,
    /// Its background jobs.
    pub jobs: Vec<JobSpec>,
}

/// `plugins.inspect` (since 1.1): a plugin file's manifest, or why it is no usable plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginsInspect {
    /// The file.
    pub path: String,
}
method!(PluginsInspect, "plugins.inspect", Manifest);

/// `job.run` (since 1.1): runs a plugin's background job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRun {
    /// Plugin id.
    pub plugin: String,
    /// Job name.
    pub name: String,
    /// The argument stored with the queued job.
    pub argument: Value,
}
method!(JobRun, "job.run", Value);

/// Installing and upgrading the instance: for the plugin that owns `maintenance:install` and
/// `upgrade` (the core plugin), behind the `admin` feature of this crate.
#[cfg(any(feature = "admin", doc))]
pub mod admin {
    use serde::{Deserialize, Serialize};

    use super::HostRequest;
    pub use super::InstallRequest;

    /// `instance.install.begin`: creates the database and every plugin's schema for a new
    /// install (not yet permanent).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(transparent)]
    pub struct InstallBegin(pub InstallRequest);
    method!(InstallBegin, "instance.install.begin", ());

    /// `instance.install.finish`: makes the install permanent (database in place, config
    /// written).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct InstallFinish {}
    method!(InstallFinish, "instance.install.finish", ());

    /// `instance.upgrade`: runs every pending migration (first on a scratch copy unless
    /// `skip_migration_test`), disables `disable_apps` and records the new versions; prints
    /// ownCloud's progress lines. A failure leaves the instance as it was and is answered as
    /// [`Upgraded::failed`], already printed.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    pub struct Upgrade {
        /// Run the migrations on the instance directly, without the test on a copy.
        pub skip_migration_test: bool,
        /// Only the test on a copy: report what would change, change nothing.
        pub dry_run: bool,
        /// Enabled apps to disable in the same run (incompatible with the new version).
        pub disable_apps: Vec<String>,
    }
    method!(Upgrade, "instance.upgrade", Upgraded);

    /// `instance.convert_type`: copies the instance's tables to another database (PostgreSQL
    /// or MySQL/MariaDB), verifies them and switches the config to it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct ConvertType {
        /// `pgsql` or `mysql`.
        pub dbtype: String,
        /// The target's user.
        pub user: String,
        /// The target's password.
        pub password: String,
        /// The target's host (ownCloud's `dbhost` forms).
        pub host: String,
        /// The target's port, when not in `host`.
        pub port: Option<u16>,
        /// The target database.
        pub database: String,
        /// Drop the target's tables of the instance's prefix first.
        pub clear_schema: bool,
        /// Rows per statement.
        pub chunk_size: u64,
    }
    method!(ConvertType, "instance.convert_type", Converted);

    /// What [`ConvertType`] answers: each table copied and its rows.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Converted {
        /// `(table, rows)`, in the order copied.
        pub tables: Vec<(String, u64)>,
    }

    /// What [`Upgrade`] answers.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    pub struct Upgraded {
        /// How many migrations ran (or, in a dry run, would run).
        pub applied: usize,
        /// The plugins brought to a new version (or that would be), with that version.
        pub plugins: Vec<(String, String)>,
        /// Why it failed (not printed yet), when it did: nothing was changed, unless
        /// `unsettled`.
        pub failed: Option<String>,
        /// The database could not be put back as it was: maintenance mode must stay on until
        /// the next `occ upgrade` settles it.
        pub unsettled: bool,
    }
}

/// What `maintenance:install` asks the host for (`admin::InstallBegin`). The password is only
/// ever carried here.
/// Every field is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InstallRequest {
    /// `sqlite`, `mysql` or `pgsql`.
    pub dbtype: String,
    /// Database name.
    pub dbname: String,
    /// Database host (`host[:port]`), for mysql/pgsql.
    pub dbhost: String,
    /// Database user.
    pub dbuser: String,
    /// Database password.
    pub dbpass: String,
    /// Table prefix.
    pub dbtableprefix: String,
    /// Data directory (absolute).
    pub datadir: String,
}
