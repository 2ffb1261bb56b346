//! What a plugin author implements: [`Plugin`], its [`Command`]s and [`RepairStep`]s.

use serde_json::Value;

use crate::context::Context;
use crate::error::{CmdResult, Error};
use crate::input::Input;
use crate::spec::{CommandSpec, Manifest, Migration, RepairSpec};

/// One command: its spec and how it runs.
pub trait Command: Sync {
    /// The command's definition.
    fn spec(&self) -> CommandSpec;
    /// Runs it with validated input.
    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult;
}

/// One repair step for `maintenance:repair`.
pub trait RepairStep: Sync {
    /// Its id, name and cost.
    fn spec(&self) -> RepairSpec;
    /// Runs it, reporting progress with `ctx.line(...)`.
    fn run(&self, ctx: &mut Context) -> Result<(), Error>;
}

/// A command provider. Implement it and export it with [`crate::export_plugin!`].
pub trait Plugin: Sync {
    /// Plugin id (unique among loaded plugins).
    fn id(&self) -> &str;
    /// The plugin's version.
    fn version(&self) -> &str;
    /// Namespaces the plugin owns; its commands must lie inside them.
    fn namespaces(&self) -> Vec<String>;
    /// The plugin's commands: the one registry list of the plugin.
    fn commands(&self) -> &[&dyn Command];
    /// Schema migrations it owns, in order.
    fn migrations(&self) -> Vec<Migration> {
        Vec::new()
    }
    /// Repair steps it provides, in order.
    fn repair_steps(&self) -> &[&dyn RepairStep] {
        &[]
    }
    /// Events it subscribes to.
    fn events(&self) -> Vec<String> {
        Vec::new()
    }
    /// Handles a subscribed event.
    fn on_event(&self, _name: &str, _payload: &Value, _ctx: &mut Context) -> Result<(), Error> {
        Ok(())
    }
    /// Named services it answers.
    fn services(&self) -> Vec<String> {
        Vec::new()
    }
    /// Answers a named service.
    fn service(&self, name: &str, _payload: &Value, _ctx: &mut Context) -> Result<Value, Error> {
        Err(Error::new(format!("unknown service {name}")))
    }
    /// Background jobs it runs (since 1.1).
    fn jobs(&self) -> Vec<crate::spec::JobSpec> {
        Vec::new()
    }
    /// Runs one of its background jobs (since 1.1).
    fn run_job(&self, name: &str, _argument: &Value, _ctx: &mut Context) -> Result<(), Error> {
        Err(Error::new(format!("unknown job {name}")))
    }
    /// The manifest the host reads (built from the above).
    fn manifest(&self) -> Manifest {
        Manifest {
            id: self.id().into(),
            version: self.version().into(),
            api_version: crate::API_VERSION.into(),
            namespaces: self.namespaces(),
            commands: self.commands().iter().map(|c| c.spec()).collect(),
            repair_steps: self.repair_steps().iter().map(|r| r.spec()).collect(),
            events: self.events(),
            services: self.services(),
            jobs: self.jobs(),
            migrations: self.migrations().into_iter().map(|m| m.id).collect(),
        }
    }
}
