//! The host side of plugin calls: one [`Host`] per invocation holds the shell, the instance,
//! the registry and the lazily opened database, and answers every `host.call(method, payload)`.

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal};
use std::panic::{self, AssertUnwindSafe};

use abi_stable::std_types::{RResult, RStr, RString};
use occ_plugin_abi::{HostCtx, HostHandle};
use occ_plugin_api::wire::{kind, method, Env, InstallRequest, InstanceInfo};
use serde_json::{json, Map, Value};

use crate::console::shell::Shell;
use crate::instance::db::{Db, DbParams};
use crate::instance::{install, Instance, PRODUCT, VERSION};
use crate::plugins::registry::Registry;

/// How a text is printed (`output.write`, `output.text`).
#[derive(serde::Deserialize)]
struct Printing<'a> {
    #[serde(borrow, default)]
    stream: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    style: std::borrow::Cow<'a, str>,
    #[serde(default)]
    verbosity: i32,
    #[serde(default = "yes")]
    newline: bool,
}

fn yes() -> bool {
    true
}

/// Everything one invocation shares with the plugins it calls.
pub struct Host {
    /// Output.
    pub shell: RefCell<Shell>,
    /// Root and config.
    pub instance: RefCell<Instance>,
    /// Plugins and commands.
    pub registry: Registry,
    /// The database, opened on first use.
    pub db: RefCell<Option<Db>>,
    /// `--output` of the running command.
    pub output_format: RefCell<String>,
    /// Facts passed to plugins.
    pub env: Env,
    /// An install in progress (between begin and finish).
    pub install: RefCell<Option<install::Pending>>,
    /// The plugin currently being called (for log records).
    pub current_plugin: RefCell<Vec<String>>,
}

extern "C" fn host_call(ctx: HostCtx, m: RStr<'_>, payload: RStr<'_>) -> RResult<RString, RString> {
    // SAFETY: ctx is the `&Host` that `Host::handle` put there; it outlives every plugin call
    // because plugins only run inside `Host::call_plugin`, which borrows the host.
    let host = unsafe { &*(ctx as *const Host) };
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        host.answer(m.as_str(), payload.as_str())
    }));
    match r {
        Ok(Ok(v)) => RResult::ROk(RString::from(v)),
        Ok(Err(e)) => RResult::RErr(RString::from(e)),
        Err(_) => RResult::RErr(RString::from(format!(
            "internal error in host service {}",
            m.as_str()
        ))),
    }
}

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn params(v: &Value) -> Vec<Value> {
    v.get("params")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

impl Host {
    /// The handle plugins receive.
    pub fn handle(&self) -> HostHandle {
        HostHandle {
            ctx: self as *const Host as HostCtx,
            call: host_call,
        }
    }

    /// The index of a loaded plugin by id.
    fn plugin_index(&self, id: &str) -> Result<usize, String> {
        self.registry
            .plugins
            .iter()
            .position(|x| x.manifest.id == id)
            .ok_or_else(|| format!("no plugin \"{id}\" is loaded"))
    }

    /// Calls a plugin, remembering who is running for log records.
    pub fn call_plugin(
        &self,
        idx: usize,
        kind_name: &str,
        payload: &Value,
    ) -> Result<Value, (String, i32)> {
        self.current_plugin
            .borrow_mut()
            .push(self.registry.plugins[idx].manifest.id.clone());
        let r = self.registry.call(idx, kind_name, payload, self.handle());
        self.current_plugin.borrow_mut().pop();
        r
    }

    /// Answers a host call with its reply text. Bulk methods (query rows, bulk statements,
    /// reports) go between the request text, the database and the reply text without a value
    /// tree; the rest are answered as values.
    fn answer(&self, m: &str, payload: &str) -> Result<String, String> {
        match m {
            method::DB_QUERY => self.db_query_text(payload),
            method::DB_EXECUTE_MANY => self.db_execute_many(payload).map(|n| n.to_string()),
            method::OUTPUT_DATA => self.output_data(payload).map(|()| "null".to_string()),
            method::OUTPUT_WRITE => self.output_write(payload).map(|()| "null".to_string()),
            method::OUTPUT_TEXT => self.output_text(payload).map(|()| "null".to_string()),
            _ => self.dispatch(m, payload).map(|v| v.to_string()),
        }
    }

    /// `db.query`: the rows as the JSON text of an array of column -> value objects.
    fn db_query_text(&self, payload: &str) -> Result<String, String> {
        #[derive(serde::Deserialize)]
        struct Request {
            sql: String,
            #[serde(default)]
            params: Vec<Value>,
            /// `arrays` (since 1.3): each row an array of values in the select list's order.
            #[serde(default)]
            rows: Option<String>,
        }
        let r: Request = serde_json::from_str(payload)
            .map_err(|e| format!("bad request to {}: {e}", method::DB_QUERY))?;
        let arrays = match r.rows.as_deref() {
            None | Some("objects") => false,
            Some("arrays") => true,
            Some(other) => {
                return Err(format!(
                    "bad request to {}: rows must be \"objects\" or \"arrays\", not \"{other}\"",
                    method::DB_QUERY
                ))
            }
        };
        self.with_db(|db| db.query_json(&r.sql, &r.params, arrays))
    }

    /// `db.execute_many`: parameters decoded straight from the request (no value tree).
    fn db_execute_many(&self, payload: &str) -> Result<u64, String> {
        #[derive(serde::Deserialize)]
        struct Request<'a> {
            #[serde(borrow)]
            sql: std::borrow::Cow<'a, str>,
            #[serde(default, borrow)]
            rows: Vec<Vec<crate::instance::db::Param<'a>>>,
        }
        let r: Request = serde_json::from_str(payload)
            .map_err(|e| format!("bad request to {}: {e}", method::DB_EXECUTE_MANY))?;
        self.with_db(|db| db.execute_many(&r.sql, &r.rows))
    }

    /// `output.data`: JSON formats are re-encoded from the payload's text as it streams by
    /// (10,000 users are no value tree on this side); plain output needs the tree.
    fn output_data(&self, payload: &str) -> Result<(), String> {
        #[derive(serde::Deserialize)]
        struct Request<'a> {
            #[serde(borrow)]
            value: Option<&'a serde_json::value::RawValue>,
        }
        let r: Request = serde_json::from_str(payload)
            .map_err(|e| format!("bad request to {}: {e}", method::OUTPUT_DATA))?;
        let text = r.value.map_or("null", serde_json::value::RawValue::get);
        let fmt = self.output_format.borrow().clone();
        let mut sh = self.shell.borrow_mut();
        match fmt.as_str() {
            "json" | "json_pretty" => {
                let out = crate::console::json::reencode(text, fmt == "json_pretty")?;
                sh.out_line(&out);
            }
            _ => {
                let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
                sh.data(&fmt, &v);
            }
        }
        Ok(())
    }

    /// `output.write`: a line or text, decoded without a value tree (a command's whole output
    /// may come as one text).
    fn output_write(&self, payload: &str) -> Result<(), String> {
        #[derive(serde::Deserialize)]
        struct Request<'a> {
            #[serde(borrow, default)]
            text: std::borrow::Cow<'a, str>,
            #[serde(flatten, borrow)]
            how: Printing<'a>,
        }
        let r: Request = serde_json::from_str(payload)
            .map_err(|e| format!("bad request to {}: {e}", method::OUTPUT_WRITE))?;
        self.print(&r.how, &r.text);
        Ok(())
    }

    /// `output.text`: the header line, then the text as it is.
    fn output_text(&self, payload: &str) -> Result<(), String> {
        let bad =
            |e: &dyn std::fmt::Display| format!("bad request to {}: {e}", method::OUTPUT_TEXT);
        let (header, text) = payload
            .split_once('\n')
            .ok_or_else(|| bad(&"no line break after the header"))?;
        let how: Printing = serde_json::from_str(header).map_err(|e| bad(&e))?;
        self.print(&how, text);
        Ok(())
    }

    fn print(&self, how: &Printing<'_>, text: &str) {
        let mut sh = self.shell.borrow_mut();
        if how.verbosity > sh.verbosity {
            return;
        }
        sh.progress_done();
        let err = how.stream == "err";
        // One buffer of the right size (a command's whole output may be this text).
        let mut line = String::with_capacity(text.len() + 16);
        sh.paint_into(&mut line, err, &how.style, text);
        if how.newline {
            line.push('\n');
        }
        if err {
            sh.err(&line);
        } else {
            sh.out(&line);
        }
    }

    fn dispatch(&self, m: &str, payload: &str) -> Result<Value, String> {
        let p: Value =
            serde_json::from_str(payload).map_err(|e| format!("bad request to {m}: {e}"))?;
        match m {
            method::OUTPUT_PROGRESS => {
                let mut sh = self.shell.borrow_mut();
                if p.get("done").and_then(Value::as_bool).unwrap_or(false) {
                    sh.progress_done();
                } else {
                    sh.progress(&s(&p, "message"));
                }
                Ok(Value::Null)
            }
            method::OUTPUT_TABLE => {
                let headers: Vec<String> =
                    serde_json::from_value(p.get("headers").cloned().unwrap_or_default())
                        .unwrap_or_default();
                let rows: Vec<Vec<Value>> =
                    serde_json::from_value(p.get("rows").cloned().unwrap_or_default())
                        .unwrap_or_default();
                let fmt = self.output_format.borrow().clone();
                self.shell.borrow_mut().table(&fmt, &headers, &rows);
                Ok(Value::Null)
            }
            method::PROMPT => self
                .prompt(
                    &s(&p, "question"),
                    p.get("hidden").and_then(Value::as_bool).unwrap_or(false),
                )
                .map(Value::String),
            method::CONFIRM => {
                let default = p.get("default").and_then(Value::as_bool).unwrap_or(false);
                if !self.env.interactive {
                    // Refused like every prompt: a script must say what it wants explicitly.
                    return Err(format!(
                        "Cannot ask \"{}\" with --no-interaction",
                        s(&p, "question").trim()
                    ));
                }
                let hint = if default { "[Y/n]" } else { "[y/N]" };
                let answer = self.prompt(&format!("{} {hint} ", s(&p, "question")), false)?;
                let a = answer.trim().to_lowercase();
                Ok(Value::Bool(if a.is_empty() {
                    default
                } else {
                    a.starts_with('y')
                }))
            }
            method::SYSTEM_CONFIG_GET => Ok(self
                .instance
                .borrow()
                .config
                .get(&s(&p, "key"))
                .cloned()
                .unwrap_or(Value::Null)),
            method::SYSTEM_CONFIG_ALL => {
                Ok(Value::Object(self.instance.borrow().config.values.clone()))
            }
            method::SYSTEM_CONFIG_UPDATE => {
                let set: Map<String, Value> = p
                    .get("set")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let delete: Vec<String> =
                    serde_json::from_value(p.get("delete").cloned().unwrap_or(json!([])))
                        .unwrap_or_default();
                self.instance.borrow_mut().config.update(set, &delete)?;
                Ok(Value::Null)
            }
            method::APP_CONFIG_GET => {
                let rows = self.with_db(|db| {
                    db.query(
                        "SELECT configvalue FROM *PREFIX*appconfig WHERE appid = ? AND configkey = ?",
                        &[json!(s(&p, "app")), json!(s(&p, "key"))],
                    )
                })?;
                Ok(rows
                    .first()
                    .and_then(|r| r.get("configvalue").cloned())
                    .unwrap_or(Value::Null))
            }
            method::APP_CONFIG_SET => {
                let (app, key) = (s(&p, "app"), s(&p, "key"));
                let value = p.get("value").cloned().unwrap_or(Value::Null);
                // One transaction: concurrent writers of the same key queue instead of colliding.
                self.with_db(|db| {
                    db.begin()?;
                    let r = db
                        .execute("DELETE FROM *PREFIX*appconfig WHERE appid = ? AND configkey = ?", &[json!(app), json!(key)])
                        .and_then(|_| {
                            if value.is_null() {
                                return Ok(0);
                            }
                            db.execute(
                                "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES (?, ?, ?)",
                                &[json!(app), json!(key), value.clone()],
                            )
                        });
                    match r {
                        Ok(_) => db.commit(),
                        Err(e) => {
                            let _ = db.rollback();
                            Err(e)
                        }
                    }
                })?;
                Ok(Value::Null)
            }
            method::DB_EXECUTE => Ok(json!(
                self.with_db(|db| db.execute(&s(&p, "sql"), &params(&p)))?
            )),
            method::DB_BEGIN => self.with_db(|db| db.begin()).map(|_| Value::Null),
            method::DB_COMMIT => self.with_db(|db| db.commit()).map(|_| Value::Null),
            method::DB_ROLLBACK => self.with_db(|db| db.rollback()).map(|_| Value::Null),
            method::DB_INFO => self.with_db(|db| Ok(json!({"type": db.kind, "prefix": db.prefix}))),
            method::LOG => {
                let app = self
                    .current_plugin
                    .borrow()
                    .last()
                    .cloned()
                    .unwrap_or_default();
                crate::logging::plugin_event(&app, &s(&p, "level"), &s(&p, "message"));
                Ok(Value::Null)
            }
            method::EVENT_EMIT => {
                let name = s(&p, "name");
                let payload = p.get("payload").cloned().unwrap_or(Value::Null);
                let targets: Vec<usize> = (0..self.registry.plugins.len())
                    .filter(|&i| self.registry.plugins[i].manifest.events.contains(&name))
                    .collect();
                for i in targets {
                    let req = json!({"name": name, "payload": payload, "env": self.env});
                    self.call_plugin(i, kind::EVENT, &req).map_err(|(m, _)| m)?;
                }
                Ok(Value::Null)
            }
            method::SERVICE_CALL => {
                let name = s(&p, "name");
                let Some(i) = (0..self.registry.plugins.len())
                    .find(|&i| self.registry.plugins[i].manifest.services.contains(&name))
                else {
                    return Err(format!("no plugin provides the service \"{name}\""));
                };
                let req = json!({"name": name, "payload": p.get("payload").cloned().unwrap_or(Value::Null), "env": self.env});
                self.call_plugin(i, kind::SERVICE, &req).map_err(|(m, _)| m)
            }
            method::INSTANCE_INFO => {
                let inst = self.instance.borrow();
                let info = InstanceInfo {
                    product: PRODUCT.into(),
                    version: VERSION.into(),
                    root: inst.root.display().to_string(),
                    config_file: inst.config.path.display().to_string(),
                    data_dir: inst.config.get_str("datadirectory"),
                    installed: inst.installed(),
                    maintenance: inst.maintenance(),
                    needs_upgrade: inst.needs_upgrade(),
                    config_error: inst.config_error.clone(),
                };
                serde_json::to_value(info).map_err(|e| e.to_string())
            }
            method::INSTANCE_INSTALL_BEGIN => {
                let req: InstallRequest = serde_json::from_value(p).map_err(|e| e.to_string())?;
                install::begin(self, &req).map(|_| Value::Null)
            }
            method::INSTANCE_INSTALL_FINISH => install::finish(self).map(|_| Value::Null),
            method::INSTANCE_UPGRADE => install::upgrade(self).map(|n| json!({"applied": n})),
            method::REPAIR_LIST => {
                let mut out = Vec::new();
                for p in &self.registry.plugins {
                    for r in &p.manifest.repair_steps {
                        out.push(json!({"plugin": p.manifest.id, "id": r.id, "name": r.name, "expensive": r.expensive}));
                    }
                }
                Ok(Value::Array(out))
            }
            method::REPAIR_RUN => {
                let id = s(&p, "plugin");
                let i = self.plugin_index(&id)?;
                let req = json!({"id": s(&p, "id"), "env": self.env});
                self.call_plugin(i, kind::REPAIR, &req).map_err(|(m, _)| m)
            }
            method::PLUGINS_LIST => Ok(Value::Array(
                self.registry
                    .plugins
                    .iter()
                    .map(|p| {
                        json!({
                            "id": p.manifest.id,
                            "version": p.manifest.version,
                            "file": p.file.display().to_string(),
                            "namespaces": p.manifest.namespaces,
                            "services": p.manifest.services,
                            "jobs": p.manifest.jobs,
                        })
                    })
                    .collect(),
            )),
            method::PLUGINS_INSPECT => {
                let path = std::path::PathBuf::from(s(&p, "path"));
                let m = crate::plugins::registry::inspect(&path)?;
                serde_json::to_value(m).map_err(|e| e.to_string())
            }
            method::JOB_RUN => {
                let id = s(&p, "plugin");
                let i = self.plugin_index(&id)?;
                let req = json!({"name": s(&p, "name"), "argument": p.get("argument").cloned().unwrap_or(Value::Null), "env": self.env});
                self.call_plugin(i, kind::JOB, &req).map_err(|(m, _)| m)
            }
            method::PLUGIN_PROBLEMS => Ok(Value::Array(
                self.registry
                    .problems
                    .iter()
                    .map(|(f, e)| json!({"file": f.display().to_string(), "problem": e}))
                    .collect(),
            )),
            other => Err(format!("unknown host service \"{other}\"")),
        }
    }

    /// Asks on stderr, reads from the terminal (hidden) or stdin. Refused under `-n`.
    pub fn prompt(&self, question: &str, hidden: bool) -> Result<String, String> {
        if !self.env.interactive {
            return Err(format!(
                "Cannot ask \"{}\" with --no-interaction",
                question.trim()
            ));
        }
        let q = self.shell.borrow().paint(true, "question", question);
        if hidden && std::io::stdin().is_terminal() {
            return rpassword::prompt_password(q)
                .map_err(|e| format!("Cannot read the answer: {e}"));
        }
        self.shell.borrow_mut().err(&q);
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("Cannot read the answer: {e}"))?;
        if line.is_empty() {
            return Err(format!(
                "No answer to \"{}\" (end of input)",
                question.trim()
            ));
        }
        if hidden {
            self.shell.borrow_mut().err("\n");
        }
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    }

    /// The connection parameters of the installed instance.
    pub fn db_params(&self) -> DbParams {
        let inst = self.instance.borrow();
        let c = &inst.config;
        DbParams {
            dbtype: c.get_str("dbtype").unwrap_or_else(|| "sqlite".into()),
            name: c.get_str("dbname").unwrap_or_else(|| "owncloud".into()),
            host: match (c.get_str("dbhost"), c.get_str("dbport")) {
                (Some(h), Some(p)) if !p.is_empty() && !h.contains(':') => format!("{h}:{p}"),
                (h, _) => h.unwrap_or_default(),
            },
            user: c.get_str("dbuser").unwrap_or_default(),
            password: c.get_str("dbpassword").unwrap_or_default(),
            prefix: c.get_str("dbtableprefix").unwrap_or_else(|| "oc_".into()),
        }
    }

    /// Runs `f` on the database, opening it on first use.
    pub fn with_db<T>(&self, f: impl FnOnce(&mut Db) -> Result<T, String>) -> Result<T, String> {
        let mut slot = self.db.borrow_mut();
        if slot.is_none() {
            if !self.instance.borrow().installed() {
                return Err(format!(
                    "{PRODUCT} is not installed: there is no database yet"
                ));
            }
            let p = self.db_params();
            let db = if p.dbtype == "sqlite" {
                let file = self
                    .instance
                    .borrow()
                    .data_dir()
                    .join(format!("{}.db", p.name));
                if !file.exists() {
                    return Err(format!("The database {} does not exist", file.display()));
                }
                Db::open_sqlite(&file, &p.prefix, false, None)?
            } else {
                Db::open_server(&p)?
            };
            *slot = Some(db);
        }
        match slot.as_mut() {
            Some(db) => f(db),
            None => Err("no database".into()),
        }
    }
}
