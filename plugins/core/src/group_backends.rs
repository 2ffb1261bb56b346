//! Other plugins' group backends, read-only beside core's groups: a plugin that keeps groups
//! elsewhere (LDAP's directory) answers a `<plugin>.group_backend` service with `list`
//! (`{"pattern"}` -> `{"groups": [name]}`) and `members` (`{"gid"}` -> `{"members": [uid]}`,
//! or `null` when the group is not its). Core knows none of them by name.

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::PluginsList;

fn services(ctx: &Context) -> Result<Vec<String>, Error> {
    Ok(ctx
        .request(&PluginsList {})?
        .into_iter()
        .map(|p| (format!("{}.group_backend", p.id), p.services))
        .filter(|(s, all)| all.contains(s))
        .map(|(s, _)| s)
        .collect())
}

/// The backends' groups whose names contain `pattern` (case-insensitive), in their order. A
/// backend that fails (its server down) is warned about and left out: core's groups still
/// list.
pub fn list(ctx: &Context, pattern: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for s in services(ctx)? {
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
    for s in services(ctx)? {
        let r = ctx.service(&s, json!({"op": "members", "gid": gid}))?;
        if let Some(m) = r.get("members").filter(|m| !m.is_null()) {
            return serde_json::from_value(m.clone())
                .map(Some)
                .map_err(|e| Error::new(format!("{s}: {e}")));
        }
    }
    Ok(None)
}
