//! Other plugins' user and group backends: core knows none of them by name. A plugin that
//! keeps users elsewhere (LDAP's directory) answers a `<plugin>.user_backend` service with
//! `name` (`{"name": class|null, "display"}`: none while it has nothing to offer), `list`,
//! `get` and `forget` (see `user:sync`); one that keeps groups answers `<plugin>.group_backend`
//! with `list` (`{"pattern"}` -> `{"groups": [name]}`) and `members` (`{"gid"}` ->
//! `{"members": [uid]}`, or `null` when the group is not its). Their groups are read-only
//! beside core's.

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::PluginsList;

/// The `<plugin>.<kind>` services the loaded plugins provide, in plugin order.
fn services(ctx: &Context, kind: &str) -> Result<Vec<String>, Error> {
    Ok(ctx
        .request(&PluginsList {})?
        .into_iter()
        .map(|p| (format!("{}.{kind}", p.id), p.services))
        .filter(|(s, all)| all.contains(s))
        .map(|(s, _)| s)
        .collect())
}

/// A plugin's user backend that is available now.
pub struct UserBackend {
    /// Its class name as ownCloud stores it in `oc_accounts.backend`.
    pub class: String,
    /// Its short name (`LDAP`), as `user:list -a backend` shows it.
    pub display: Option<String>,
    /// The service that answers for it.
    pub service: String,
}

/// The plugins' user backends that are available now (LDAP's with an active configuration).
pub fn user_backends(ctx: &Context) -> Result<Vec<UserBackend>, Error> {
    let mut out = Vec::new();
    for service in services(ctx, "user_backend")? {
        let r = ctx.service(&service, json!({"op": "name"}))?;
        if let Some(class) = r.get("name").and_then(Value::as_str) {
            out.push(UserBackend {
                class: class.to_string(),
                display: r.get("display").and_then(Value::as_str).map(str::to_string),
                service,
            });
        }
    }
    Ok(out)
}

/// The backends' groups whose names contain `pattern` (case-insensitive), in their order. A
/// backend that fails (its server down) is warned about and left out: core's groups still
/// list.
pub fn list(ctx: &Context, pattern: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for s in services(ctx, "group_backend")? {
        let r = match ctx.service(&s, json!({"op": "list", "pattern": pattern})) {
            Ok(r) => r,
            Err(e) => {
                ctx.message(&format!("Warning: the groups of {s} are left out: {e}"))?;
                continue;
            }
        };
        let names: Vec<String> =
            serde_json::from_value(r.get("groups").cloned().unwrap_or(json!([])))
                .map_err(|e| Error::new(format!("{s}: {e}")))?;
        out.extend(names);
    }
    Ok(out)
}

/// The members of a backend's group (`None`: no backend has it).
pub fn members(ctx: &Context, gid: &str) -> Result<Option<Vec<String>>, Error> {
    members_in(ctx, &services(ctx, "group_backend")?, gid)
}

/// [`members`], asking the group backend services `backends`.
fn members_in(ctx: &Context, backends: &[String], gid: &str) -> Result<Option<Vec<String>>, Error> {
    for s in backends {
        let r = ctx.service(s, json!({"op": "members", "gid": gid}))?;
        if let Some(m) = r.get("members").filter(|m| !m.is_null()) {
            return serde_json::from_value(m.clone())
                .map(Some)
                .map_err(|e| Error::new(format!("{s}: {e}")));
        }
    }
    Ok(None)
}

/// The backends' groups that have `uid` as a member, in their order: each group's members
/// asked for, one request per group (a directory of thousands of groups is slow here). A
/// backend or group that fails is warned about and left out, as in [`list`].
pub fn groups_of(ctx: &Context, uid: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let backends = services(ctx, "group_backend")?;
    for gid in list(ctx, "")? {
        match members_in(ctx, &backends, &gid) {
            Ok(Some(m)) if m.iter().any(|u| u == uid) => out.push(gid),
            Ok(_) => {}
            Err(e) => ctx.message(&format!(
                "Warning: the members of group {gid} are left out: {e}"
            ))?,
        }
    }
    Ok(out)
}
