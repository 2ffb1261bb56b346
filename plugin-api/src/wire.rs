//! The JSON messages that cross the ABI, shared by the host and plugins.
//!
//! Host -> plugin: `handle(kind, payload)` with the kinds in [`kind`]; the reply is a [`Reply`].
//! Plugin -> host: `host.call(method, payload)` with the typed requests of [`crate::protocol`]
//! (their names are also in [`method`]); the reply is the method's JSON result or an error text.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input::Input;

/// Request kinds the host sends to a plugin.
pub mod kind {
    /// Describe yourself: reply `{"ok": Manifest}`.
    pub const MANIFEST: &str = "manifest";
    /// Run a command: payload [`super::RunRequest`], reply `{"ok": exit_code}`.
    pub const RUN: &str = "run";
    /// List your migrations: reply `{"ok": [Migration]}`.
    pub const MIGRATIONS: &str = "migrations";
    /// Run a repair step: payload [`super::RepairRequest`], reply `{"ok": null}`.
    pub const REPAIR: &str = "repair";
    /// Handle an event: payload [`super::EventRequest`], reply `{"ok": null}`.
    pub const EVENT: &str = "event";
    /// Answer a named service: payload [`super::ServiceRequest`], reply `{"ok": value}`.
    pub const SERVICE: &str = "service";
    /// Run a background job (since 1.1): payload [`super::JobRequest`], reply `{"ok": null}`.
    pub const JOB: &str = "job";
}

/// The names of the methods a plugin may call on the host, as plugin-api 1.0-1.3 spelled
/// them; each is a typed request of [`crate::protocol`] now.
pub mod method {
    /// `{"stream":"out"|"err","text":..,"newline":bool,"style":..,"verbosity":n}` -> null.
    pub const OUTPUT_WRITE: &str = "output.write";
    /// The same as [`OUTPUT_WRITE`], with the text outside the JSON (since 1.3): a line of
    /// `{"stream":..,"newline":bool,"style":..,"verbosity":n}`, a line break, then the text as
    /// it is, neither escaped nor unescaped -> null.
    pub const OUTPUT_TEXT: &str = "output.text";
    /// `{"value": any}` rendered as plain/json/json_pretty per `--output` -> null.
    pub const OUTPUT_DATA: &str = "output.data";
    /// `{"headers":[..],"rows":[[..]]}` rendered as a table (or JSON) -> null.
    pub const OUTPUT_TABLE: &str = "output.table";
    /// `{"message":..}` shows or updates a progress line on a terminal (nothing elsewhere or
    /// under `-q`); `{"done":true}` clears it (since 1.1).
    pub const OUTPUT_PROGRESS: &str = "output.progress";
    /// `{"question":..,"hidden":bool}` -> string; refused under `-n`.
    pub const PROMPT: &str = "prompt";
    /// `{"question":..,"default":bool}` -> bool; refused under `-n`.
    pub const CONFIRM: &str = "confirm";
    /// `{"key":..}` -> value or null.
    pub const SYSTEM_CONFIG_GET: &str = "config.system.get";
    /// `{}` -> the whole system config object.
    pub const SYSTEM_CONFIG_ALL: &str = "config.system.all";
    /// `{"set":{k:v},"delete":[k]}` -> null, written atomically in one step.
    pub const SYSTEM_CONFIG_UPDATE: &str = "config.system.update";
    /// `{"app":..,"key":..}` -> string or null.
    pub const APP_CONFIG_GET: &str = "config.app.get";
    /// `{"app":..,"key":..,"value":string|null}` -> null (null deletes).
    pub const APP_CONFIG_SET: &str = "config.app.set";
    /// `{"sql":..,"params":[..]}` -> `[{column: value}]`; with `"rows":"arrays"` (since 1.3)
    /// -> `[[value, ..]]`, each row's values in the order of the select list.
    pub const DB_QUERY: &str = "db.query";
    /// `{"sql":..,"params":[..]}` -> rows affected.
    pub const DB_EXECUTE: &str = "db.execute";
    /// `{"sql":..,"rows":[[..]]}` -> rows affected; one statement run for each parameter row.
    pub const DB_EXECUTE_MANY: &str = "db.execute_many";
    /// `{}` -> null: begin a transaction (write-locking on SQLite).
    pub const DB_BEGIN: &str = "db.begin";
    /// `{}` -> null.
    pub const DB_COMMIT: &str = "db.commit";
    /// `{}` -> null.
    pub const DB_ROLLBACK: &str = "db.rollback";
    /// `{}` -> `{"type":"sqlite"|"pgsql"|"mysql","prefix":..}`.
    pub const DB_INFO: &str = "db.info";
    /// `{"level":"error"|"warn"|"info"|"debug"|"trace","message":..,"target":..}` -> null.
    pub const LOG: &str = "log";
    /// `{"name":..,"payload":..}` -> null; delivered to every subscribed plugin.
    pub const EVENT_EMIT: &str = "event.emit";
    /// `{"name":..,"payload":..}` -> the providing plugin's answer.
    pub const SERVICE_CALL: &str = "service.call";
    /// `{}` -> [`super::InstanceInfo`].
    pub const INSTANCE_INFO: &str = "instance.info";
    /// [`super::InstallRequest`] -> null: create the database and every plugin's schema.
    pub const INSTANCE_INSTALL_BEGIN: &str = "instance.install.begin";
    /// `{}` -> null: make the install permanent (database in place, config written).
    pub const INSTANCE_INSTALL_FINISH: &str = "instance.install.finish";
    /// `{}` -> `{"applied": n}`: run every pending migration and record the new version.
    pub const INSTANCE_UPGRADE: &str = "instance.upgrade";
    /// `{}` -> `[{"plugin":..,"id":..,"name":..,"expensive":bool}]`.
    pub const REPAIR_LIST: &str = "repair.list";
    /// `{"plugin":..,"id":..}` -> null: run one plugin's repair step.
    pub const REPAIR_RUN: &str = "repair.run";
    /// `{}` -> `[{"file":..,"problem":..}]`: plugin files that could not be used.
    pub const PLUGIN_PROBLEMS: &str = "plugins.problems";
    /// `{}` -> `[{"id":..,"version":..,"file":..,"namespaces":[..],"services":[..],"jobs":[..]}]`: the
    /// loaded plugins (since 1.1).
    pub const PLUGINS_LIST: &str = "plugins.list";
    /// `{"path":..}` -> the file's [`crate::Manifest`], or an error saying why it is no usable
    /// plugin (since 1.1; used by `app:check-code`).
    pub const PLUGINS_INSPECT: &str = "plugins.inspect";
    /// `{"plugin":..,"name":..,"argument":..}` -> null: run a plugin's background job (since 1.1).
    pub const JOB_RUN: &str = "job.run";
}

/// What a plugin answers to any request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Success with a value.
    Ok(Value),
    /// A handled failure: the message and the exit code.
    Error {
        /// One-line message.
        message: String,
        /// Exit code (1 failure, 2 usage).
        code: i32,
    },
    /// The plugin panicked; the panic message.
    Panic(String),
}

/// Per-request facts the host passes along.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Env {
    /// -1 quiet, 0 normal, 1..3 for -v..-vvv.
    pub verbosity: i32,
    /// False under `-n`.
    pub interactive: bool,
    /// Most verbose level forwarded to the host's log (`error`..`trace`).
    pub log_level: String,
}

/// Payload of [`kind::RUN`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RunRequest {
    /// The command's full name.
    pub command: String,
    /// Parsed input.
    pub input: Input,
    /// Invocation facts.
    pub env: Env,
}

/// Payload of [`kind::REPAIR`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RepairRequest {
    /// Step id.
    pub id: String,
    /// Invocation facts.
    pub env: Env,
}

/// Payload of [`kind::EVENT`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct EventRequest {
    /// Event name.
    pub name: String,
    /// Event data.
    pub payload: Value,
    /// Invocation facts.
    pub env: Env,
}

/// Payload of [`kind::JOB`] (since 1.1).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct JobRequest {
    /// Job name.
    pub name: String,
    /// The argument stored with the queued job.
    pub argument: Value,
    /// Invocation facts.
    pub env: Env,
}

/// Payload of [`kind::SERVICE`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ServiceRequest {
    /// Service name.
    pub name: String,
    /// Request data.
    pub payload: Value,
    /// Invocation facts.
    pub env: Env,
}

/// What [`method::INSTANCE_INFO`] answers.
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
}

/// Payload of [`method::INSTANCE_INSTALL_BEGIN`]. The password is only ever carried here.
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
