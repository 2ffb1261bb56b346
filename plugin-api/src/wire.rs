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
/// them: each is the [`crate::protocol`] request type's [`HostRequest::METHOD`](crate::protocol::HostRequest::METHOD).
pub mod method {
    use crate::protocol::*;

    /// [`OutputWrite`].
    pub const OUTPUT_WRITE: &str = <OutputWrite<'static> as HostRequest>::METHOD;
    /// [`OutputText`].
    pub const OUTPUT_TEXT: &str = <OutputText<'static> as HostRequest>::METHOD;
    /// [`OutputData`].
    pub const OUTPUT_DATA: &str = <OutputData<()> as HostRequest>::METHOD;
    /// [`OutputTable`].
    pub const OUTPUT_TABLE: &str = <OutputTable as HostRequest>::METHOD;
    /// [`OutputProgress`].
    pub const OUTPUT_PROGRESS: &str = <OutputProgress as HostRequest>::METHOD;
    /// [`Prompt`].
    pub const PROMPT: &str = <Prompt as HostRequest>::METHOD;
    /// [`Confirm`].
    pub const CONFIRM: &str = <Confirm as HostRequest>::METHOD;
    /// [`SystemConfigGet`].
    pub const SYSTEM_CONFIG_GET: &str = <SystemConfigGet as HostRequest>::METHOD;
    /// [`SystemConfigAll`].
    pub const SYSTEM_CONFIG_ALL: &str = <SystemConfigAll as HostRequest>::METHOD;
    /// [`SystemConfigUpdate`].
    pub const SYSTEM_CONFIG_UPDATE: &str = <SystemConfigUpdate as HostRequest>::METHOD;
    /// [`AppConfigGet`].
    pub const APP_CONFIG_GET: &str = <AppConfigGet as HostRequest>::METHOD;
    /// [`AppConfigSet`].
    pub const APP_CONFIG_SET: &str = <AppConfigSet as HostRequest>::METHOD;
    /// [`DbQuery`].
    pub const DB_QUERY: &str = <DbQuery<'static> as HostRequest>::METHOD;
    /// [`DbExecute`].
    pub const DB_EXECUTE: &str = <DbExecute<'static> as HostRequest>::METHOD;
    /// [`DbExecuteMany`].
    pub const DB_EXECUTE_MANY: &str = <DbExecuteMany<'static, ()> as HostRequest>::METHOD;
    /// [`DbBegin`].
    pub const DB_BEGIN: &str = <DbBegin as HostRequest>::METHOD;
    /// [`DbCommit`].
    pub const DB_COMMIT: &str = <DbCommit as HostRequest>::METHOD;
    /// [`DbRollback`].
    pub const DB_ROLLBACK: &str = <DbRollback as HostRequest>::METHOD;
    /// [`DbInfoRequest`].
    pub const DB_INFO: &str = <DbInfoRequest as HostRequest>::METHOD;
    /// [`Log`].
    pub const LOG: &str = <Log<'static> as HostRequest>::METHOD;
    /// [`EventEmit`].
    pub const EVENT_EMIT: &str = <EventEmit as HostRequest>::METHOD;
    /// [`ServiceCall`].
    pub const SERVICE_CALL: &str = <ServiceCall as HostRequest>::METHOD;
    /// [`InstanceInfoRequest`].
    pub const INSTANCE_INFO: &str = <InstanceInfoRequest as HostRequest>::METHOD;
    /// [`RepairList`].
    pub const REPAIR_LIST: &str = <RepairList as HostRequest>::METHOD;
    /// [`RepairRun`].
    pub const REPAIR_RUN: &str = <RepairRun as HostRequest>::METHOD;
    /// [`PluginProblems`].
    pub const PLUGIN_PROBLEMS: &str = <PluginProblems as HostRequest>::METHOD;
    /// [`PluginsList`].
    pub const PLUGINS_LIST: &str = <PluginsList as HostRequest>::METHOD;
    /// [`PluginsInspect`].
    pub const PLUGINS_INSPECT: &str = <PluginsInspect as HostRequest>::METHOD;
    /// [`JobRun`].
    pub const JOB_RUN: &str = <JobRun as HostRequest>::METHOD;
    /// `protocol::admin::InstallBegin` (the `admin` feature).
    pub const INSTANCE_INSTALL_BEGIN: &str = "instance.install.begin";
    /// `protocol::admin::InstallFinish` (the `admin` feature).
    pub const INSTANCE_INSTALL_FINISH: &str = "instance.install.finish";
    /// `protocol::admin::Upgrade` (the `admin` feature).
    pub const INSTANCE_UPGRADE: &str = "instance.upgrade";
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

// Where plugin-api 1.0-1.3 had them: now request and response types of `protocol`.
pub use crate::protocol::{InstallRequest, InstanceInfo};
