//! `user:report`: users per backend (core's database backend and any backend a plugin
//! registers as a `<plugin>.user_backend` service), total users and user directories.

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::PluginsList;

use crate::users;

/// The command.
pub struct UserReport;

impl Command for UserReport {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:report", "shows how many users have access")
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let mut backends: Vec<(String, i64)> =
            vec![(users::DATABASE_BACKEND.into(), users::count(&ctx.db())?)];
        for p in ctx.request(&PluginsList {})? {
            let id = p.id.as_str();
            let service = format!("{id}.user_backend");
            if p.services.contains(&service) {
                let r = ctx.service(&service, json!({}))?;
                let name = r
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(id)
                    .to_string();
                backends.push((name, r.get("count").and_then(Value::as_i64).unwrap_or(0)));
            }
        }
        let total: i64 = backends.iter().map(|(_, n)| n).sum();
        let datadir = ctx.instance()?.data_dir.unwrap_or_default();
        let dirs = users::list(&ctx.db(), "", i64::MAX, 0)?
            .iter()
            .filter(|u| !datadir.is_empty() && std::path::Path::new(&datadir).join(&u.uid).is_dir())
            .count();
        if matches!(
            input.opt_str("output").as_deref(),
            Some("json" | "json_pretty")
        ) {
            let mut m = serde_json::Map::new();
            for (name, n) in &backends {
                m.insert(name.clone(), json!(n));
            }
            m.insert("guest users".into(), json!(0));
            m.insert("total users".into(), json!(total));
            m.insert("user directories".into(), json!(dirs));
            ctx.data(Value::Object(m))?;
            return Ok(0);
        }
        let blank = || vec![json!(""), json!("")];
        let mut rows: Vec<Vec<Value>> = Vec::new();
        for (name, n) in backends {
            rows.push(vec![json!(name), json!(n)]);
        }
        rows.push(blank());
        rows.push(vec![json!("guest users"), json!(0)]);
        rows.push(blank());
        rows.push(vec![json!("total users"), json!(total)]);
        rows.push(blank());
        rows.push(vec![json!("user directories"), json!(dirs)]);
        ctx.table(&["User Report", ""], rows)?;
        Ok(0)
    }
}
