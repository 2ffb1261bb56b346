//! The core plugin's own repair steps for `maintenance:repair`; the table work is done by the
//! modules that own the tables (`groups`).

use occ_plugin_api::prelude::*;

use crate::groups;

/// Removes `oc_group_user` rows whose user or group no longer exists. A user exists when it
/// has an `oc_users` row (the database backend) or an `oc_accounts` row (every backend).
pub struct OrphanedGroupMemberships;

impl RepairStep for OrphanedGroupMemberships {
    fn spec(&self) -> RepairSpec {
        RepairSpec {
            id: "orphaned-group-memberships".into(),
            name: "Remove group memberships of users and groups that no longer exist".into(),
            expensive: false,
        }
    }

    fn run(&self, ctx: &mut Context) -> Result<(), Error> {
        let n = groups::remove_orphaned_memberships(&ctx.db())?;
        ctx.line(&format!(
            "     - INFO: {n} orphaned group memberships removed."
        ))?;
        Ok(())
    }
}

/// Every repair step of the core plugin, in the order they run.
pub static STEPS: &[&dyn RepairStep] = &[&OrphanedGroupMemberships];
