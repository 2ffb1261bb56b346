//! The host side of plugin calls: one [`Host`] per invocation holds the shell, the instance,
//! the registry and the lazily opened database, and answers every `host.call(method, payload)`.
//!
//! Each method is a typed request of `occ_plugin_api::protocol`, decoded into its type (a
//! missing or mistyped field is an error naming the method and the field) and answered by one
//! function of the family it belongs to: [`output`], [`config`], [`db`], [`instance`],
//! [`plugins`] and [`events`].

pub mod config;
pub mod db;
pub mod events;
pub mod instance;
pub mod output;
pub mod plugins;

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use abi_stable::std_types::{RResult, RStr, RString};
use occ_plugin_abi::{HostCtx, HostHandle};
use occ_plugin_api::protocol::{self as p, HostRequest};
use occ_plugin_api::wire::Env;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::console::shell::Shell;
use crate::error::{Error, Result};
use crate::instance::db::Database;
use crate::instance::{install, Instance};
use crate::plugins::registry::Registry;

/// Everything one invocation shares with the plugins it calls.
pub struct Host {
    /// Output.
    pub shell: RefCell<Shell>,
    /// Root and config.
    pub instance: RefCell<Instance>,
    /// Plugins and commands.
    pub registry: Registry,
    /// The database, opened on first use.
    pub db: RefCell<Option<Database>>,
    /// `--output` of the running command.
    pub output_format: RefCell<String>,
    /// Facts passed to plugins.
    pub env: Env,
    /// An install in progress (between begin and finish).
    pub install: RefCell<Option<install::Pending>>,
    /// The plugin currently being called (for log records).
    pub current_plugin: RefCell<Vec<String>>,
    /// The command running (install and upgrade are answered only to their own commands).
    pub running: RefCell<Option<String>>,
}

extern "C" fn host_call(ctx: HostCtx, m: RStr<'_>, payload: RStr<'_>) -> RResult<RString, RString> {
    // SAFETY: ctx is the `&Host` that `Host::handle` put there; it outlives every plugin call
    // because plugins only run inside `Host::call_plugin`, which borrows the host.
    let host = unsafe { &*(ctx as *const Host) };
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        host.answer(m.as_str(), payload.as_str())
    }));
    match r {
        Ok(Ok(v)) => RResult::ROk(RString::from(v)),
        Ok(Err(e)) => RResult::RErr(RString::from(e.message)),
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            RResult::RErr(RString::from(format!(
                "internal error in host service {}: {why}",
                m.as_str()
            )))
        }
    }
}

/// Decodes a request into its type. On failure the payload is read again, noting where
/// decoding stopped, so the error names the method and the field.
pub fn decode<'de, R: Deserialize<'de>>(method: &str, payload: &'de str) -> Result<R> {
    serde_json::from_str(payload).map_err(|_| {
        let mut de = serde_json::Deserializer::from_str(payload);
        let why = match serde_path_to_error::deserialize::<_, R>(&mut de) {
            Err(e) if e.path().iter().next().is_some() => {
                format!("field `{}`: {}", e.path(), e.inner())
            }
            Err(e) => e.inner().to_string(),
            Ok(_) => "trailing characters".to_string(),
        };
        Error::new(format!("bad request to {method}: {why}"))
    })
}

/// The JSON text of an answer.
fn reply<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::new(e.to_string()))
}

/// Answers the typed requests listed: `Type => handler`, each handler taking the host and the
/// decoded request and returning the request's response type.
macro_rules! routes {
    ($host:expr, $method:expr, $payload:expr; $($t:ty => $f:path),* $(,)?) => {
        $(
            if $method == <$t as HostRequest>::METHOD {
                let req: $t = decode($method, $payload)?;
                let resp: <$t as HostRequest>::Response = $f($host, req)?;
                return reply(&resp);
            }
        )*
    };
}

impl Host {
    /// The handle plugins receive.
    pub fn handle(&self) -> HostHandle {
        HostHandle {
            ctx: self as *const Host as HostCtx,
            call: host_call,
        }
    }

    /// The index of a loaded plugin by id.
    pub fn plugin_index(&self, id: &str) -> Result<usize> {
        self.registry
            .plugins
            .iter()
            .position(|x| x.manifest.id == id)
            .ok_or_else(|| Error::new(format!("no plugin \"{id}\" is loaded")))
    }

    /// Calls a plugin, remembering who is running for log records.
    pub fn call_plugin(&self, idx: usize, kind_name: &str, payload: &Value) -> Result<Value> {
        if self.registry.plugins[idx].refused.get() {
            return Err(Error::new(format!(
                "plugin \"{}\" is not in use",
                self.registry.plugins[idx].manifest.id
            )));
        }
        self.current_plugin
            .borrow_mut()
            .push(self.registry.plugins[idx].manifest.id.clone());
        let r = self.registry.call(idx, kind_name, payload, self.handle());
        self.current_plugin.borrow_mut().pop();
        r
    }

    /// Answers a host call with its reply text. Bulk methods (query rows, bulk statements,
    /// reports, printed text) go between the request text, the database and the reply text
    /// without a value tree; the rest are answered through their typed responses.
    fn answer(&self, m: &str, payload: &str) -> Result<String> {
        // A request without fields may come as `null` (plugin-api 1.0's `Context::call`).
        let payload = if payload.trim() == "null" {
            "{}"
        } else {
            payload
        };
        if m == <p::OutputText as HostRequest>::METHOD {
            return output::text(self, payload).map(|()| null());
        }
        if m == <p::DbQuery as HostRequest>::METHOD {
            return db::query(self, decode(m, payload)?);
        }
        if m == <p::DbExecuteMany<()> as HostRequest>::METHOD {
            return db::execute_many(self, decode(m, payload)?).map(|n| n.to_string());
        }
        if m == <p::OutputData<()> as HostRequest>::METHOD {
            return output::data(self, decode(m, payload)?).map(|()| null());
        }
        routes!(self, m, payload;
            p::OutputWrite<'_> => output::write,
            p::OutputTable => output::table,
            p::OutputProgress => output::progress,
            p::Prompt => output::prompt_request,
            p::Confirm => output::confirm,
            p::SystemConfigGet => config::system_get,
            p::SystemConfigAll => config::system_all,
            p::SystemConfigUpdate => config::system_update,
            p::AppConfigGet => config::app_get,
            p::AppConfigSet => config::app_set,
            p::DbExecute<'_> => db::execute,
            p::DbBegin => db::begin,
            p::DbCommit => db::commit,
            p::DbRollback => db::rollback,
            p::DbInfoRequest => db::info,
            p::DbLock => db::lock,
            p::Log<'_> => events::log,
            p::EventEmit => events::emit,
            p::ServiceCall => events::service,
            p::InstanceInfoRequest => instance::info,
            p::admin::InstallBegin => instance::install_begin,
            p::admin::InstallFinish => instance::install_finish,
            p::admin::Upgrade => instance::upgrade,
            p::admin::ConvertType => instance::convert_type,
            p::RepairList => plugins::repair_list,
            p::RepairRun => plugins::repair_run,
            p::PluginProblems => plugins::problems,
            p::PluginsList => plugins::list,
            p::PluginsInspect => plugins::inspect,
            p::JobRun => plugins::job_run,
        );
        Err(Error::new(format!(
            "unknown host method \"{m}\" (this host speaks plugin-api {})",
            occ_plugin_api::API_VERSION
        )))
    }
}

fn null() -> String {
    "null".to_string()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::decode;
    use crate::console::shell::{Captured, Shell};
    use occ_plugin_api::protocol::{AppConfigSet, DbQuery, SystemConfigGet};

    fn host(root: &std::path::Path) -> (super::Host, Rc<RefCell<Captured>>) {
        let out = Rc::new(RefCell::new(Captured::default()));
        let shell = Shell::capturing(0, Rc::clone(&out));
        (crate::app::in_process_host(root, &[], shell), out)
    }

    #[test]
    fn an_unknown_method_names_itself_and_the_api_version() {
        let dir = tempfile::tempdir().unwrap();
        let (h, _) = host(dir.path());
        let e = h.answer("files.teleport", "{}").unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "unknown host method \"files.teleport\" (this host speaks plugin-api {})",
                occ_plugin_api::API_VERSION
            )
        );
    }

    #[test]
    fn install_and_upgrade_are_answered_only_to_their_commands() {
        let dir = tempfile::tempdir().unwrap();
        let (h, _) = host(dir.path());
        *h.running.borrow_mut() = Some("hello:greet".into());
        let e = h.answer("instance.upgrade", "{}").unwrap_err();
        assert_eq!(
            e.message,
            "instance.upgrade is answered only to the upgrade command"
        );
        let e = h.answer("instance.install.finish", "null").unwrap_err();
        assert_eq!(
            e.message,
            "instance.install.finish is answered only to the maintenance:install command"
        );
        assert!(!dir.path().join("config").exists());
    }

    #[test]
    fn the_method_names_of_1_0_are_the_typed_requests_names() {
        use occ_plugin_api::protocol::{admin, HostRequest};
        use occ_plugin_api::wire::method;
        assert_eq!(method::INSTANCE_INSTALL_BEGIN, admin::InstallBegin::METHOD);
        assert_eq!(
            method::INSTANCE_INSTALL_FINISH,
            admin::InstallFinish::METHOD
        );
        assert_eq!(method::INSTANCE_UPGRADE, admin::Upgrade::METHOD);
        assert_eq!(method::DB_QUERY, "db.query");
        assert_eq!(method::OUTPUT_TEXT, "output.text");
    }

    #[test]
    fn what_plugin_api_1_0_sends_still_decodes() {
        let dir = tempfile::tempdir().unwrap();
        let (h, out) = host(dir.path());
        // Requests without fields as `null`, and the fields 1.0's host defaulted.
        assert_eq!(h.answer("config.system.all", "null").unwrap(), "{}");
        h.answer("output.write", r#"{"text":"plain"}"#).unwrap();
        assert_eq!(out.borrow().stdout, "plain\n");
    }

    #[test]
    fn requests_are_answered_through_their_types() {
        let dir = tempfile::tempdir().unwrap();
        let (h, out) = host(dir.path());
        assert_eq!(
            h.answer("config.system.get", r#"{"key":"nothing"}"#)
                .unwrap(),
            "null"
        );
        let e = h.answer("config.system.get", r#"{"key":1}"#).unwrap_err();
        assert!(
            e.message
                .starts_with("bad request to config.system.get: field `key`: invalid type"),
            "{}",
            e.message
        );
        h.answer(
            "output.write",
            r#"{"stream":"err","text":"hi","newline":true,"style":"plain","verbosity":0}"#,
        )
        .unwrap();
        h.answer("output.text", "{\"stream\":\"out\",\"newline\":false,\"style\":\"info\",\"verbosity\":0}\nraw \\ text")
            .unwrap();
        assert_eq!(out.borrow().stderr, "hi\n");
        assert_eq!(out.borrow().stdout, "raw \\ text");
        // No database before install: a clear error, not a panic.
        let e = h.answer("db.info", "{}").unwrap_err();
        assert_eq!(e.message, "occ is not installed: there is no database yet");
    }

    #[test]
    fn a_missing_field_names_the_method_and_the_field() {
        let e = decode::<SystemConfigGet>("config.system.get", "{}").unwrap_err();
        assert_eq!(
            e.message,
            "bad request to config.system.get: missing field `key` at line 1 column 2"
        );
    }

    #[test]
    fn a_mistyped_field_names_it() {
        let e = decode::<DbQuery>("db.query", r#"{"sql":"SELECT 1","params":7}"#).unwrap_err();
        assert!(
            e.message
                .starts_with("bad request to db.query: field `params`: invalid type: integer `7`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_null_that_must_be_sent_is_no_default() {
        let e = decode::<AppConfigSet>("config.app.set", r#"{"app":"a","key":"k"}"#).unwrap_err();
        assert!(e.message.contains("missing field `value`"), "{}", e.message);
        let ok: AppConfigSet =
            decode("config.app.set", r#"{"app":"a","key":"k","value":null}"#).unwrap();
        assert_eq!(ok.value, None);
    }
}
