//! `user:report`: accounts per backend as ownCloud counts them (its class name, disabled
//! accounts included: core's database users and the accounts `user:sync` made for other
//! backends, such as LDAP's), total users and user directories.

use occ_plugin_api::prelude::*;

use crate::users;

/// The command.
pub struct UserReport;

impl Command for UserReport {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("user:report", "shows how many users have access")
            .opt(Opt::output_format())
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let backends = users::count_by_backend(&ctx.db())?;
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
