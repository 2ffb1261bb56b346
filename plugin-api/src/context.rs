//! The host, as a plugin sees it during one request: output, prompts, config, database, logs,
//! events and services. Every method is a JSON call through the frozen [`crate::abi::HostHandle`].

use abi_stable::std_types::{RResult, RStr};
use serde::de::{Deserialize, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::abi::HostHandle;
use crate::export::Error;
use crate::wire::{method, Env, InstallRequest, InstanceInfo};

/// How a line is styled (Symfony's `<info>`, `<comment>`, `<error>` tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unstyled.
    Plain,
    /// Green.
    Info,
    /// Yellow.
    Comment,
    /// White on red.
    Error,
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Plain => "plain",
            Style::Info => "info",
            Style::Comment => "comment",
            Style::Error => "error",
        }
    }
}

/// The host services available to a plugin while it handles one request.
pub struct Context {
    host: HostHandle,
    env: Env,
}

impl Context {
    /// Wraps a host handle (done by [`crate::export_plugin!`]).
    pub fn new(host: HostHandle, env: Env) -> Self {
        Self { host, env }
    }

    /// Invocation facts: verbosity, interactivity.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Calls a host method with a JSON payload and returns its JSON answer.
    pub fn call(&self, method: &str, payload: Value) -> Result<Value, Error> {
        self.call_as(method, payload)
    }

    /// Calls a host method and decodes its answer straight into `T` (no intermediate
    /// [`Value`] tree: for large answers such as query results this is most of the cost).
    pub fn call_as<T: DeserializeOwned>(&self, method: &str, payload: Value) -> Result<T, Error> {
        self.call_text(method, &payload.to_string())
    }

    /// Calls a host method with a payload already serialized as JSON text.
    fn call_text<T: DeserializeOwned>(&self, method: &str, body: &str) -> Result<T, Error> {
        self.call_reading(method, body, |text| {
            serde_json::from_str(text).map_err(Error::from)
        })
    }

    /// Calls a host method and hands its answer's JSON text to `read`.
    fn call_reading<R>(
        &self,
        method: &str,
        body: &str,
        read: impl FnOnce(&str) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let reply = (self.host.call)(self.host.ctx, RStr::from_str(method), RStr::from_str(body));
        match reply {
            RResult::ROk(s) => read(s.as_str()),
            RResult::RErr(e) => Err(Error::new(e.as_str())),
        }
    }

    fn write(&self, stream: &str, text: &str, style: Style, verbosity: i32) -> Result<(), Error> {
        // The text travels after the JSON header as it is (a command's whole output may be one
        // text: escaping it and unescaping it again was most of the cost of printing it).
        #[derive(serde::Serialize)]
        struct Header<'a> {
            stream: &'a str,
            newline: bool,
            style: &'a str,
            verbosity: i32,
        }
        let mut body = serde_json::to_string(&Header {
            stream,
            newline: true,
            style: style.name(),
            verbosity,
        })?;
        body.reserve(text.len() + 1);
        body.push('\n');
        body.push_str(text);
        self.call_text::<Value>(method::OUTPUT_TEXT, &body)
            .map(|_| ())
    }

    /// Prints a result line on stdout (suppressed by `-q`).
    pub fn line(&self, text: &str) -> Result<(), Error> {
        self.write("out", text, Style::Plain, 0)
    }

    /// Prints a styled line on stdout.
    pub fn styled(&self, style: Style, text: &str) -> Result<(), Error> {
        self.write("out", text, style, 0)
    }

    /// Prints a line on stdout only at `-v` or more (1), `-vv` (2), `-vvv` (3).
    pub fn verbose(&self, level: i32, text: &str) -> Result<(), Error> {
        self.write("out", text, Style::Plain, level)
    }

    /// Prints a message line on stderr.
    pub fn message(&self, text: &str) -> Result<(), Error> {
        self.write("err", text, Style::Plain, 0)
    }

    /// Reports data; the host renders it per `--output` (plain list, json, json_pretty).
    pub fn data(&self, value: Value) -> Result<(), Error> {
        self.call(method::OUTPUT_DATA, json!({ "value": value }))
            .map(|_| ())
    }

    /// Like [`Context::data`], for any serializable value: it is written straight into the
    /// request, without a [`Value`] tree (for large reports). Since plugin-api 1.2.
    pub fn data_of<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        #[derive(Serialize)]
        struct Payload<'a, T: ?Sized> {
            value: &'a T,
        }
        let body = serde_json::to_string(&Payload { value })?;
        self.call_text::<Value>(method::OUTPUT_DATA, &body)
            .map(|_| ())
    }

    /// Reports a table; plain output draws it, json outputs an array of row objects.
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<Value>>) -> Result<(), Error> {
        self.call(
            method::OUTPUT_TABLE,
            json!({"headers": headers, "rows": rows}),
        )
        .map(|_| ())
    }

    /// Asks a question (`hidden` for passwords). Fails under `-n`.
    pub fn prompt(&self, question: &str, hidden: bool) -> Result<String, Error> {
        self.call_as(
            method::PROMPT,
            json!({"question": question, "hidden": hidden}),
        )
    }

    /// Asks a yes/no question (`default` when the answer is empty). Fails under `-n`: give
    /// the command an option (such as `--force`) for the non-interactive path.
    pub fn confirm(&self, question: &str, default: bool) -> Result<bool, Error> {
        self.call_as(
            method::CONFIRM,
            json!({"question": question, "default": default}),
        )
    }

    /// A system config value (`config/config.json`), `None` when not set.
    pub fn system_config(&self, key: &str) -> Result<Option<Value>, Error> {
        let v = self.call(method::SYSTEM_CONFIG_GET, json!({ "key": key }))?;
        Ok(if v.is_null() { None } else { Some(v) })
    }

    /// The whole system config.
    pub fn system_config_all(&self) -> Result<Map<String, Value>, Error> {
        self.call_as(method::SYSTEM_CONFIG_ALL, json!({}))
    }

    /// Sets and deletes system config keys in one atomic write.
    pub fn update_system_config(
        &self,
        set: Map<String, Value>,
        delete: &[&str],
    ) -> Result<(), Error> {
        self.call(
            method::SYSTEM_CONFIG_UPDATE,
            json!({"set": set, "delete": delete}),
        )
        .map(|_| ())
    }

    /// An app config value (`oc_appconfig`).
    pub fn app_config(&self, app: &str, key: &str) -> Result<Option<String>, Error> {
        self.call_as(method::APP_CONFIG_GET, json!({"app": app, "key": key}))
    }

    /// Sets (or with `None` deletes) an app config value.
    pub fn set_app_config(&self, app: &str, key: &str, value: Option<&str>) -> Result<(), Error> {
        self.call(
            method::APP_CONFIG_SET,
            json!({"app": app, "key": key, "value": value}),
        )
        .map(|_| ())
    }

    /// The database.
    pub fn db(&self) -> Db<'_> {
        Db { ctx: self }
    }

    /// Facts about the instance.
    pub fn instance(&self) -> Result<InstanceInfo, Error> {
        self.call_as(method::INSTANCE_INFO, json!({}))
    }

    /// Creates the database and every plugin's schema for a new install (not yet permanent).
    pub fn install_begin(&self, req: &InstallRequest) -> Result<(), Error> {
        self.call(method::INSTANCE_INSTALL_BEGIN, serde_json::to_value(req)?)
            .map(|_| ())
    }

    /// Makes an install permanent: the database moves into place and the config is written.
    pub fn install_finish(&self) -> Result<(), Error> {
        self.call(method::INSTANCE_INSTALL_FINISH, json!({}))
            .map(|_| ())
    }

    /// Writes a log record into the host's log.
    pub fn log(&self, level: &str, message: &str) -> Result<(), Error> {
        self.call(method::LOG, json!({"level": level, "message": message}))
            .map(|_| ())
    }

    /// Emits an event to every plugin that subscribed to it.
    pub fn emit(&self, name: &str, payload: Value) -> Result<(), Error> {
        self.call(
            method::EVENT_EMIT,
            json!({"name": name, "payload": payload}),
        )
        .map(|_| ())
    }

    /// Calls a named service another plugin provides.
    pub fn service(&self, name: &str, payload: Value) -> Result<Value, Error> {
        self.call(
            method::SERVICE_CALL,
            json!({"name": name, "payload": payload}),
        )
    }
}

/// Database access through the host: parameters bound with `?`, `*PREFIX*` for the table prefix.
pub struct Db<'a> {
    ctx: &'a Context,
}

impl Db<'_> {
    /// Runs a query and returns its rows as column -> value maps.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Map<String, Value>>, Error> {
        self.ctx
            .call_as(method::DB_QUERY, json!({"sql": sql, "params": params}))
    }

    /// Runs a query and decodes each row straight into `T`, a struct (or map) whose field
    /// names are the query's column names; missing columns need `Option` or `#[serde(default)]`.
    /// Much cheaper than [`Db::query`] for many rows: no map per row. Since plugin-api 1.2
    /// (the same host method as `query`).
    ///
    /// ```ignore
    /// #[derive(serde::Deserialize)]
    /// struct Name { uid: String, displayname: Option<String> }
    /// let rows: Vec<Name> = ctx.db().query_as("SELECT uid, displayname FROM *PREFIX*users", &[])?;
    /// ```
    pub fn query_as<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<Vec<T>, Error> {
        self.ctx
            .call_as(method::DB_QUERY, json!({"sql": sql, "params": params}))
    }

    /// Runs a query and hands the rows' JSON text to `read`: an array with one array per row,
    /// of the row's values in the order of the select list. `read` decodes it with
    /// [`for_each_row`], one row at a time into a struct whose fields follow the select list
    /// (a sequence fills a struct's fields in declaration order) and may borrow their strings
    /// from the text: no row is collected, no key repeated or matched, no string copied. For
    /// long results. Since plugin-api 1.3.
    ///
    /// ```ignore
    /// #[derive(serde::Deserialize)]
    /// struct Name<'a> { #[serde(borrow)] uid: std::borrow::Cow<'a, str> }
    /// let mut text = String::new();
    /// ctx.db().query_with("SELECT uid FROM *PREFIX*users", &[], |rows| {
    ///     for_each_row(rows, |n: Name<'_>| text.push_str(&n.uid))
    /// })?;
    /// ```
    pub fn query_with<R>(
        &self,
        sql: &str,
        params: &[Value],
        read: impl FnOnce(&str) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let body = json!({"sql": sql, "params": params, "rows": "arrays"}).to_string();
        self.ctx.call_reading(method::DB_QUERY, &body, read)
    }

    /// Runs a statement and returns the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        self.ctx
            .call_as(method::DB_EXECUTE, json!({"sql": sql, "params": params}))
    }

    /// Runs one statement for each parameter row in a single host call. Outside a
    /// transaction a 1.2 host runs them all or none; inside one, a failure leaves the rows
    /// before it to the transaction (roll it back, as [`Db::transaction`] does on `Err`).
    pub fn execute_many(&self, sql: &str, rows: &[Vec<Value>]) -> Result<u64, Error> {
        self.execute_many_of(sql, rows)
    }

    /// Like [`Db::execute_many`] for rows of any type that serializes as a sequence of
    /// parameters (tuples, arrays, `Vec`s): they are written straight into the request, with
    /// no [`Value`] per parameter. For bulk inserts: one prepared statement, one host call.
    /// Since plugin-api 1.2.
    ///
    /// ```ignore
    /// let rows = vec![(1, "a.txt"), (2, "b.txt")];
    /// ctx.db().execute_many_of("INSERT INTO *PREFIX*t (id, name) VALUES (?, ?)", &rows)?;
    /// ```
    pub fn execute_many_of<R: Serialize>(&self, sql: &str, rows: &[R]) -> Result<u64, Error> {
        #[derive(Serialize)]
        struct Payload<'a, R> {
            sql: &'a str,
            rows: &'a [R],
        }
        let body = serde_json::to_string(&Payload { sql, rows })?;
        self.ctx.call_text(method::DB_EXECUTE_MANY, &body)
    }

    /// `sqlite`, `pgsql` or `mysql`, and the table prefix.
    pub fn info(&self) -> Result<Value, Error> {
        self.ctx.call(method::DB_INFO, json!({}))
    }

    /// The database type: `sqlite`, `pgsql` or `mysql` (the `type` of [`Db::info`]).
    pub fn kind(&self) -> Result<String, Error> {
        Ok(self
            .info()?
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    /// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T, Error>) -> Result<T, Error> {
        self.ctx.call(method::DB_BEGIN, json!({}))?;
        match f(self) {
            Ok(v) => {
                self.ctx.call(method::DB_COMMIT, json!({}))?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = self.ctx.call(method::DB_ROLLBACK, json!({}));
                Err(e)
            }
        }
    }
}

/// Decodes the rows of a query's JSON text (see [`Db::query_with`]) one at a time and hands
/// each to `each`, in order, without collecting them. A row type may borrow from `text`:
/// `&str` fields, or `Cow<str>` with `#[serde(borrow)]` for strings that may hold escapes.
/// A row that does not fit the type (a missing column, a wrong type) is an error.
pub fn for_each_row<'de, T: Deserialize<'de>>(
    text: &'de str,
    each: impl FnMut(T),
) -> Result<(), Error> {
    struct Rows<F, T>(F, std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>, F: FnMut(T)> Visitor<'de> for Rows<F, T> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of rows")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            while let Some(row) = seq.next_element::<T>()? {
                (self.0)(row);
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_seq(Rows(each, std::marker::PhantomData))?;
    de.end()?;
    Ok(())
}
