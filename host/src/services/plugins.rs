//! The loaded plugins, for the core plugin's administration commands: their repair steps
//! (`repair.*`), background jobs (`job.run`), the list of plugins and of unusable plugin files
//! (`plugins.*`).

use occ_plugin_api::protocol::{
    JobRun, PluginInfo, PluginProblem, PluginProblems, PluginsInspect, PluginsList, RepairEntry,
    RepairList, RepairRun,
};
use occ_plugin_api::wire::{kind, JobRequest, RepairRequest};
use occ_plugin_api::Manifest;
use serde_json::Value;

use super::Host;
use crate::error::{Error, Result};

/// `repair.list`.
pub fn repair_list(host: &Host, _: RepairList) -> Result<Vec<RepairEntry>> {
    Ok(host
        .registry
        .plugins
        .iter()
        .filter(|p| !p.refused.get())
        .flat_map(|p| {
            p.manifest.repair_steps.iter().map(|r| RepairEntry {
                plugin: p.manifest.id.clone(),
                id: r.id.clone(),
                name: r.name.clone(),
                expensive: r.expensive,
            })
        })
        .collect())
}

/// `repair.run`.
pub fn repair_run(host: &Host, r: RepairRun) -> Result<Value> {
    let i = host.plugin_index(&r.plugin)?;
    let req = RepairRequest {
        id: r.id,
        env: host.env.clone(),
    };
    if !r.quiet {
        return host.call_plugin(i, kind::REPAIR, &to_value(&req)?);
    }
    let verbosity = std::mem::replace(&mut host.shell.borrow_mut().verbosity, -1);
    let ran = host.call_plugin(i, kind::REPAIR, &to_value(&req)?);
    host.shell.borrow_mut().verbosity = verbosity;
    ran
}

/// `job.run`.
pub fn job_run(host: &Host, r: JobRun) -> Result<Value> {
    let i = host.plugin_index(&r.plugin)?;
    let req = JobRequest {
        name: r.name,
        argument: r.argument,
        env: host.env.clone(),
    };
    host.call_plugin(i, kind::JOB, &to_value(&req)?)
}

/// `plugins.problems`.
pub fn problems(host: &Host, _: PluginProblems) -> Result<Vec<PluginProblem>> {
    Ok(host
        .registry
        .problems
        .iter()
        .map(|(f, e)| PluginProblem {
            file: f.display().to_string(),
            problem: e.clone(),
        })
        .collect())
}

/// `plugins.list`.
pub fn list(host: &Host, _: PluginsList) -> Result<Vec<PluginInfo>> {
    Ok(host
        .registry
        .plugins
        .iter()
        .filter(|p| !p.refused.get())
        .map(|p| PluginInfo {
            id: p.manifest.id.clone(),
            version: p.manifest.version.clone(),
            file: p.file.display().to_string(),
            namespaces: p.manifest.namespaces.clone(),
            services: p.manifest.services.clone(),
            jobs: p.manifest.jobs.clone(),
        })
        .collect())
}

/// `plugins.inspect`: a file's manifest without registering it.
pub fn inspect(_: &Host, r: PluginsInspect) -> Result<Manifest> {
    crate::plugins::registry::inspect(std::path::Path::new(&r.path))
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::new(e.to_string()))
}
