//! `app:check-code <app-id>`: checks an app before it is enabled (also before install): its
//! manifest (valid XML, id, name, version, server version range) and each plugin it ships
//! (usable by this host, its id the app id, its commands in the app's namespace).

use occ_plugin_api::prelude::*;
use occ_plugin_api::protocol::PluginsInspect;

use crate::apps;

/// The command.
pub struct AppCheckCode;

impl Command for AppCheckCode {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("app:check-code", "Check code compliance.")
            .arg(Arg::required("app-id", "Check the specified app."))
            .opt(Opt::output_format())
            .states(State::ALL)
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let id = input.arg_str("app-id").unwrap_or_default();
        apps::validate_id(&id).map_err(Error::new)?;
        let info = ctx.instance()?;
        let roots = apps::roots(ctx, &info)?;
        let Some(dir) = roots.iter().map(|r| r.join(&id)).find(|d| d.is_dir()) else {
            return Err(Error::new(format!("{id} not found")));
        };
        let mut findings = apps::check_manifest(&dir, &id);
        let app_version = apps::read_info(&dir).ok().map(|i| i.version);
        for file in apps::plugin_files(&dir) {
            let shown = file
                .strip_prefix(&dir)
                .unwrap_or(&file)
                .display()
                .to_string();
            let path = file.display().to_string();
            let problems = match ctx.request(&PluginsInspect { path }) {
                Ok(m) => apps::check_plugin(&id, &m, app_version.as_deref()),
                Err(e) => vec![e.message],
            };
            findings.extend(problems.into_iter().map(|p| format!("Plugin {shown}: {p}")));
        }
        let compliant = findings.is_empty();
        match input.opt_str("output").as_deref() {
            Some("json" | "json_pretty") => {
                ctx.data(json!({"app": id, "compliant": compliant, "findings": findings}))?;
            }
            _ => {
                for f in &findings {
                    ctx.styled(Style::Error, f)?;
                }
                if compliant {
                    ctx.styled(Style::Info, "App is compliant.")?;
                } else {
                    ctx.styled(Style::Error, "App is not compliant")?;
                }
            }
        }
        Ok(if compliant { 0 } else { 1 })
    }
}
