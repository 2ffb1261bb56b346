//! Between plugins: events (`event.emit`), named services (`service.call`) and the log
//! records plugins forward (`log`).

use occ_plugin_api::protocol::{EventEmit, Log, ServiceCall};
use occ_plugin_api::wire::{kind, EventRequest, ServiceRequest};
use serde_json::Value;

use super::Host;
use crate::error::{Error, Result};

/// `log`: into the host's log, under the plugin that is running.
pub fn log(host: &Host, r: Log<'_>) -> Result<()> {
    let app = host
        .current_plugin
        .borrow()
        .last()
        .cloned()
        .unwrap_or_default();
    crate::logging::plugin_event(&app, &r.level, &r.message);
    Ok(())
}

/// `event.emit`: delivered to every plugin that subscribed, in plugin order.
pub fn emit(host: &Host, r: EventEmit) -> Result<()> {
    let targets: Vec<usize> = (0..host.registry.plugins.len())
        .filter(|&i| {
            let p = &host.registry.plugins[i];
            !p.refused.get() && p.manifest.events.contains(&r.name)
        })
        .collect();
    let req = serde_json::to_value(EventRequest {
        name: r.name,
        payload: r.payload,
        env: host.env.clone(),
    })
    .map_err(|e| Error::new(e.to_string()))?;
    for i in targets {
        host.call_plugin(i, kind::EVENT, &req)?;
    }
    Ok(())
}

/// `service.call`: answered by the first plugin that provides the service.
pub fn service(host: &Host, r: ServiceCall) -> Result<Value> {
    let Some(i) = (0..host.registry.plugins.len()).find(|&i| {
        let p = &host.registry.plugins[i];
        !p.refused.get() && p.manifest.services.contains(&r.name)
    }) else {
        return Err(Error::new(format!(
            "no plugin provides the service \"{}\"",
            r.name
        )));
    };
    let req = serde_json::to_value(ServiceRequest {
        name: r.name,
        payload: r.payload,
        env: host.env.clone(),
    })
    .map_err(|e| Error::new(e.to_string()))?;
    host.call_plugin(i, kind::SERVICE, &req)
}
