//! The plugin side of the ABI: the request dispatcher with its panic barrier, and
//! [`export_plugin!`](crate::export_plugin). Plugins reach it only through the macro.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use abi_stable::std_types::{RStr, RString};
use serde_json::{json, Value};

use crate::abi::HostHandle;
use crate::context::Context;
// Also where plugin-api 1.0-1.3 had them (`occ_plugin_api::export::Error`, ...).
pub use crate::error::{CmdResult, Error};
pub use crate::plugin::{Command, Plugin, RepairStep};
use crate::wire::{
    kind, Env, EventRequest, JobRequest, RepairRequest, Reply, RunRequest, ServiceRequest,
};

thread_local! {
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// How many requests this thread is handling (requests nest: a host call may call a
    /// plugin again).
    static IN_REQUEST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Set when plugins run linked into the host's process (the test harness): the panic hook is
/// then the process's, and panics outside a request belong to whoever was there before.
static IN_PROCESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says that plugins run in the host's process (called by the host for a plugin linked in).
#[doc(hidden)]
pub fn running_in_process() {
    IN_PROCESS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Keeps a plugin's panics quiet: the message is captured and handed back to the host, which
/// prints one line. A cdylib has its own std, so there this hook is the plugin's alone and every
/// panic of it (its threads' too) is quiet. A plugin linked into the host's process (tests)
/// shares the process's hook: a panic outside a request goes to the hook that was there before,
/// such as the test harness's.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_REQUEST.with(|n| n.get()) == 0
                && IN_PROCESS.load(std::sync::atomic::Ordering::Relaxed)
            {
                return previous(info);
            }
            let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "unknown panic".to_string()
            };
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            PANIC_MESSAGE.with(|p| *p.borrow_mut() = Some(format!("{msg}{at}")));
        }));
    });
}

fn result_reply(r: Result<Value, Error>) -> Reply {
    match r {
        Ok(v) => Reply::Ok(v),
        Err(e) => Reply::Error {
            message: e.message,
            code: e.code,
        },
    }
}

/// A request that carries the invocation facts.
trait WithEnv: serde::de::DeserializeOwned {
    fn env(&self) -> &Env;
}

macro_rules! with_env {
    ($($t:ty),*) => {
        $(impl WithEnv for $t {
            fn env(&self) -> &Env {
                &self.env
            }
        })*
    };
}
with_env!(
    RunRequest,
    RepairRequest,
    EventRequest,
    ServiceRequest,
    JobRequest
);

/// Parses a request and runs `f` with a context and the plugin's logs bridged to the host.
fn serve<R: WithEnv>(
    payload: &str,
    host: HostHandle,
    f: impl FnOnce(&R, &mut Context) -> Result<Value, Error>,
) -> Reply {
    let req: R = match serde_json::from_str(payload) {
        Ok(r) => r,
        Err(e) => return result_reply(Err(e.into())),
    };
    let mut ctx = Context::new(host, req.env().clone());
    crate::logbridge::with_bridge(host, &req.env().log_level, || {
        result_reply(f(&req, &mut ctx))
    })
}

fn route<P: Plugin + ?Sized>(
    plugin: &P,
    kind_name: &str,
    payload: &str,
    host: HostHandle,
) -> Reply {
    match kind_name {
        kind::MANIFEST => {
            result_reply(serde_json::to_value(plugin.manifest()).map_err(Error::from))
        }
        kind::MIGRATIONS => {
            result_reply(serde_json::to_value(plugin.migrations()).map_err(Error::from))
        }
        kind::RUN => serve(payload, host, |req: &RunRequest, ctx| {
            let cmd = plugin
                .commands()
                .iter()
                .find(|c| c.spec().name == req.command)
                .ok_or_else(|| Error::new(format!("unknown command {}", req.command)))?;
            cmd.run(&req.input, ctx).map(|code| json!(code))
        }),
        kind::REPAIR => serve(payload, host, |req: &RepairRequest, ctx| {
            let step = plugin
                .repair_steps()
                .iter()
                .find(|s| s.spec().id == req.id)
                .ok_or_else(|| Error::new(format!("unknown repair step {}", req.id)))?;
            step.run(ctx).map(|_| Value::Null)
        }),
        kind::EVENT => serve(payload, host, |req: &EventRequest, ctx| {
            plugin
                .on_event(&req.name, &req.payload, ctx)
                .map(|_| Value::Null)
        }),
        kind::SERVICE => serve(payload, host, |req: &ServiceRequest, ctx| {
            plugin.service(&req.name, &req.payload, ctx)
        }),
        kind::JOB => serve(payload, host, |req: &JobRequest, ctx| {
            plugin
                .run_job(&req.name, &req.argument, ctx)
                .map(|_| Value::Null)
        }),
        other => result_reply(Err(Error::new(format!("unsupported request kind {other}")))),
    }
}

/// Handles one host request with a panic barrier; used by [`crate::export_plugin!`].
///
/// A panic never crosses the ABI (that would abort the host): it becomes [`Reply::Panic`].
pub fn handle_request<P: Plugin + ?Sized>(
    plugin: &P,
    kind_name: RStr<'_>,
    payload: RStr<'_>,
    host: HostHandle,
) -> RString {
    install_panic_hook();
    IN_REQUEST.with(|n| n.set(n.get() + 1));
    let reply = panic::catch_unwind(AssertUnwindSafe(|| {
        route(plugin, kind_name.as_str(), payload.as_str(), host)
    }));
    IN_REQUEST.with(|n| n.set(n.get().saturating_sub(1)));
    let reply = reply.unwrap_or_else(|_| {
        let msg = PANIC_MESSAGE
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".into());
        Reply::Panic(msg)
    });
    let text = serde_json::to_string(&reply).unwrap_or_else(|e| {
        format!("{{\"error\":{{\"message\":\"unencodable reply: {e}\",\"code\":1}}}}")
    });
    RString::from(text)
}

/// Exports a [`Plugin`] value as this library's occ plugin root module.
///
/// ```ignore
/// static PLUGIN: MyPlugin = MyPlugin;
/// occ_plugin_api::export_plugin!(PLUGIN);
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:expr) => {
        fn __occ_plugin_root_module() -> $crate::abi::PluginMod_Ref {
            use $crate::abi_reexport::prefix_type::PrefixTypeTrait;
            $crate::abi::PluginMod {
                handle: __occ_plugin_handle,
            }
            .leak_into_prefix()
        }

        // Panics never unwind out of here: `handle_request` catches them.
        extern "C" fn __occ_plugin_handle(
            kind: $crate::abi_reexport::std_types::RStr<'_>,
            payload: $crate::abi_reexport::std_types::RStr<'_>,
            host: $crate::abi::HostHandle,
        ) -> $crate::abi_reexport::std_types::RString {
            $crate::export::handle_request(&$plugin, kind, payload, host)
        }

        // What `#[abi_stable::export_root_module]` expands to, spelled with paths through this
        // crate so a plugin needs no direct abi_stable dependency. The symbol name is checked
        // against abi_stable's own constant by a unit test of occ-plugin-api.
        #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
        pub static __OCC_PLUGIN_LIB_HEADER: $crate::abi_reexport::library::LibHeader = {
            extern "C" fn erased() -> $crate::abi_reexport::library::RootModuleResult {
                $crate::abi_reexport::library::__call_root_module_loader(__occ_plugin_root_module)
            }
            // SAFETY: `erased` returns the root module type named here.
            unsafe {
                $crate::abi_reexport::library::LibHeader::from_constructor::<
                    $crate::abi::PluginMod_Ref,
                >(erased, $crate::abi_reexport::library::CheckTypeLayout::Yes)
            }
        };
    };
}

/// The symbol abi_stable looks up in a plugin library (its mangled root-module loader name);
/// [`crate::export_plugin!`] exports it without needing `abi_stable` in the plugin's dependencies.
pub const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

#[cfg(test)]
mod tests {
    #[test]
    fn symbol_name_matches_abi_stable() {
        assert_eq!(
            super::ROOT_MODULE_SYMBOL,
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }
}
