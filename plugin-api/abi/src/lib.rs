//! The frozen binary interface between the `occ` host and its plugins (ABI major 1).
//!
//! This crate is deliberately tiny and never changes within major 1: everything that grows
//! (command specs, host services, events, migrations) travels as JSON messages through the two
//! function pointers defined here, so a plugin built against any plugin-api 1.x loads in every
//! later 1.y host. abi_stable checks the layout of [`PluginMod`] when a library is loaded.
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
    StableAbi,
};

/// Opaque pointer to the host's per-invocation state; only the host dereferences it.
pub type HostCtx = *const ();

/// The host side of a call: `call(ctx, method, json_payload)` returns a JSON reply or an error text.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct HostHandle {
    /// Host state passed back unchanged on every call.
    pub ctx: HostCtx,
    /// Dispatches one host service request (`method` such as `output.write`, payload as JSON).
    pub call: extern "C" fn(
        ctx: HostCtx,
        method: RStr<'_>,
        payload: RStr<'_>,
    ) -> RResult<RString, RString>,
}

/// The root module every plugin library exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginMod_Ref)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// Handles one request from the host (`kind` plus JSON payload) and returns a JSON reply.
    /// Requests: `manifest`, `run`, `migrations`, `repair`, `event`, `service`.
    #[sabi(last_prefix_field)]
    pub handle: extern "C" fn(kind: RStr<'_>, payload: RStr<'_>, host: HostHandle) -> RString,
}

impl RootModule for PluginMod_Ref {
    declare_root_module_statics! {PluginMod_Ref}
    const BASE_NAME: &'static str = "occ_plugin";
    const NAME: &'static str = "occ_plugin";
    // The ABI version, not the crate version of plugin-api: it stays 1.0.0 for all of major 1.
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.0.0");
}
