//! The host, as a plugin sees it during one request: output, prompts, config, database, logs,
//! events and services. Every method sends a typed request of [`crate::protocol`] through the
//! frozen [`crate::abi::HostHandle`].

use std::borrow::Cow;

use abi_stable::std_types::{RResult, RStr};
use serde::de::{Deserialize, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::abi::HostHandle;
use crate::error::Error;
use crate::protocol::{
    AppConfigGet, AppConfigSet, Confirm, DbBegin, DbCommit, DbExecute, DbExecuteMany, DbInfo,
    DbInfoRequest, DbKind, DbLock, DbQuery, DbRollback, EventEmit, HostRequest,
    InstanceInfoRequest, Log, OutputData, OutputProgress, OutputTable, OutputText, Printing,
    Prompt, RowShape, ServiceCall, Stream, SystemConfigAll, SystemConfigGet, SystemConfigUpdate,
};
use crate::wire::{Env, InstanceInfo};

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
    /// Wraps a host handle (done by [`crate::export_plugin!`] and by test harnesses).
    #[doc(hidden)]
    pub fn new(host: HostHandle, env: Env) -> Self {
        Self { host, env }
    }

    /// Invocation facts: verbosity, interactivity.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Sends a typed host request ([`crate::protocol`]) and decodes its answer. The methods
    /// of [`Context`] and [`Db`] are built on it; a plugin calls it directly only for requests
    /// that have no method of their own (the core plugin's repair, job and plugin listings).
    pub fn request<R: HostRequest>(&self, req: &R) -> Result<R::Response, Error> {
        self.call_text(R::METHOD, &req.body()?)
    }

    /// Calls a host method by name with a JSON payload: the untyped protocol of plugin-api
    /// 1.0, kept for plugins written against it. Use [`Context::request`].
    #[doc(hidden)]
    pub fn call(&self, method: &str, payload: Value) -> Result<Value, Error> {
        self.call_as(method, payload)
    }

    /// Like [`Context::call`], decoding the answer into `T`. Use [`Context::request`].
    #[doc(hidden)]
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

    fn write(&self, stream: Stream, text: &str, style: Style, verbosity: i32) -> Result<(), Error> {
        // The text travels after the JSON header as it is (a command's whole output may be one
        // text: escaping it and unescaping it again was most of the cost of printing it).
        self.request(&OutputText {
            how: Printing {
                stream,
                newline: true,
                style: Cow::Borrowed(style.name()),
                verbosity,
            },
            text,
        })
    }

    /// Prints a result line on stdout (suppressed by `-q`).
    pub fn line(&self, text: &str) -> Result<(), Error> {
        self.write(Stream::Out, text, Style::Plain, 0)
    }

    /// Prints a styled line on stdout.
    pub fn styled(&self, style: Style, text: &str) -> Result<(), Error> {
        self.write(Stream::Out, text, style, 0)
    }

    /// Prints a line on stdout only at `-v` or more (1), `-vv` (2), `-vvv` (3).
    pub fn verbose(&self, level: i32, text: &str) -> Result<(), Error> {
        self.write(Stream::Out, text, Style::Plain, level)
    }

    /// Prints a message line on stderr.
    pub fn message(&self, text: &str) -> Result<(), Error> {
        self.write(Stream::Err, text, Style::Plain, 0)
    }

    /// Reports data; the host renders it per `--output` (plain list, json, json_pretty).
    pub fn data(&self, value: Value) -> Result<(), Error> {
        self.data_of(&value)
    }

    /// Like [`Context::data`], for any serializable value: it is written straight into the
    /// request, without a [`Value`] tree (for large reports). Since plugin-api 1.2.
    pub fn data_of<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        self.request(&OutputData { value })
    }

    /// Reports a table; plain output draws it, json outputs an array of row objects.
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<Value>>) -> Result<(), Error> {
        self.request(&OutputTable {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        })
    }

    /// Shows or updates a progress line on a terminal (nothing elsewhere or under `-q`).
    pub fn progress(&self, message: &str) -> Result<(), Error> {
        self.request(&OutputProgress {
            message: Some(message.to_string()),
            done: false,
        })
    }

    /// Clears the progress line, if any.
    pub fn progress_done(&self) -> Result<(), Error> {
        self.request(&OutputProgress {
            message: None,
            done: true,
        })
    }

    /// Asks a question (`hidden` for passwords). Fails under `-n`.
    pub fn prompt(&self, question: &str, hidden: bool) -> Result<String, Error> {
        self.request(&Prompt {
            question: question.to_string(),
            hidden,
        })
    }

    /// Asks a yes/no question (`default` when the answer is empty). Fails under `-n`: give
    /// the command an option (such as `--force`) for the non-interactive path.
    pub fn confirm(&self, question: &str, default: bool) -> Result<bool, Error> {
        self.request(&Confirm {
            question: question.to_string(),
            default,
        })
    }

    /// A system config value (`config/config.json`), `None` when not set.
    pub fn system_config(&self, key: &str) -> Result<Option<Value>, Error> {
        let v = self.request(&SystemConfigGet {
            key: key.to_string(),
        })?;
        Ok(v.filter(|v| !v.is_null()))
    }

    /// The whole system config.
    pub fn system_config_all(&self) -> Result<Map<String, Value>, Error> {
        self.request(&SystemConfigAll {})
    }

    /// Sets and deletes system config keys in one atomic write.
    pub fn update_system_config(
        &self,
        set: Map<String, Value>,
        delete: &[&str],
    ) -> Result<(), Error> {
        self.request(&SystemConfigUpdate {
            set,
            delete: delete.iter().map(|d| d.to_string()).collect(),
        })
    }

    /// An app config value (`oc_appconfig`).
    pub fn app_config(&self, app: &str, key: &str) -> Result<Option<String>, Error> {
        self.request(&AppConfigGet {
            app: app.to_string(),
            key: key.to_string(),
        })
    }

    /// Sets (or with `None` deletes) an app config value.
    pub fn set_app_config(&self, app: &str, key: &str, value: Option<&str>) -> Result<(), Error> {
        self.request(&AppConfigSet {
            app: app.to_string(),
            key: key.to_string(),
            value: value.map(str::to_string),
        })
    }

    /// The database.
    pub fn db(&self) -> Db<'_> {
        Db { ctx: self }
    }

    /// Facts about the instance.
    pub fn instance(&self) -> Result<InstanceInfo, Error> {
        self.request(&InstanceInfoRequest {})
    }

    /// Writes a log record into the host's log. The `tracing` macros reach the same log.
    pub fn log(&self, level: &str, message: &str) -> Result<(), Error> {
        self.request(&Log {
            level: Cow::Borrowed(level),
            message: Cow::Borrowed(message),
            target: None,
        })
    }

    /// Emits an event to every plugin that subscribed to it.
    pub fn emit(&self, name: &str, payload: Value) -> Result<(), Error> {
        self.request(&EventEmit {
            name: name.to_string(),
            payload,
        })
    }

    /// Calls a named service another plugin provides.
    pub fn service(&self, name: &str, payload: Value) -> Result<Value, Error> {
        self.request(&ServiceCall {
            name: name.to_string(),
            payload,
        })
    }
}

/// Database access through the host: parameters bound with `?`, `*PREFIX*` for the table
/// prefix, the same SQL on SQLite, PostgreSQL and MySQL.
///
/// The one way to read is [`Db::query_as`], into your own types; write with [`Db::execute`]
/// inside a [`Transaction`] ([`Db::begin`]).
///
/// # Advanced
/// For bulk work: [`Db::execute_many_of`] (one prepared statement for many rows),
/// [`Db::query_with`] with [`for_each_row`] (rows decoded one at a time, borrowing their
/// strings), and [`Db::query`] (rows as maps, for dynamic column lists).
#[derive(Clone, Copy)]
pub struct Db<'a> {
    ctx: &'a Context,
}

impl<'a> Db<'a> {
    /// Runs a query and decodes each row into `T`, a struct whose field names are the query's
    /// column names; missing columns need `Option` or `#[serde(default)]`. Since plugin-api
    /// 1.2.
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
        self.ctx.call_text(
            DbQuery::METHOD,
            &DbQuery {
                sql: Cow::Borrowed(sql),
                params: Cow::Borrowed(params),
                rows: None,
            }
            .body()?,
        )
    }

    /// Runs a statement and returns the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        self.ctx.request(&DbExecute {
            sql: Cow::Borrowed(sql),
            params: Cow::Borrowed(params),
        })
    }

    /// Begins a transaction (write-locking on SQLite). It is rolled back when the guard is
    /// dropped without [`Transaction::commit`], so `?` inside it undoes what it did.
    ///
    /// ```ignore
    /// let tx = ctx.db().begin()?;
    /// tx.execute("DELETE FROM *PREFIX*group_user WHERE gid = ?", &[json!(gid)])?;
    /// tx.execute("DELETE FROM *PREFIX*groups WHERE gid = ?", &[json!(gid)])?;
    /// tx.commit()?;
    /// ```
    pub fn begin(&self) -> Result<Transaction<'a>, Error> {
        self.ctx.request(&DbBegin {})?;
        Ok(Transaction {
            db: *self,
            open: true,
        })
    }

    /// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let tx = self.begin()?;
        let v = f(&tx)?;
        tx.commit()?;
        Ok(v)
    }

    /// Runs a query and returns its rows as column -> value maps (advanced: for dynamic
    /// column lists; prefer [`Db::query_as`]).
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Map<String, Value>>, Error> {
        self.query_as(sql, params)
    }

    /// Runs a query and hands the rows' JSON text to `read` (advanced): an array with one
    /// array per row, of the row's values in the order of the select list. `read` decodes it
    /// with [`for_each_row`], one row at a time into a struct whose fields follow the select
    /// list (a sequence fills a struct's fields in declaration order) and may borrow their
    /// strings from the text: no row is collected, no key repeated or matched, no string
    /// copied. For long results. Since plugin-api 1.3.
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
        let body = DbQuery {
            sql: Cow::Borrowed(sql),
            params: Cow::Borrowed(params),
            rows: Some(RowShape::Arrays),
        }
        .body()?;
        self.ctx.call_reading(DbQuery::METHOD, &body, read)
    }

    /// Runs one statement for each parameter row in a single host call (advanced). Outside
    /// a transaction the host runs them all or none; inside one, a failure leaves the rows
    /// before it to the transaction (whose guard rolls them back when dropped).
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
        self.ctx.request(&DbExecuteMany {
            sql: Cow::Borrowed(sql),
            rows,
        })
    }

    /// Takes a named lock until the transaction ends: other transactions taking the same
    /// name wait for this one. For a check-then-insert that no unique key protects (SQLite's
    /// write transactions are serial anyway; PostgreSQL and MySQL run them side by side).
    /// Since plugin-api 1.4.
    pub fn lock(&self, name: &str) -> Result<(), Error> {
        self.ctx.request(&DbLock {
            name: name.to_string(),
        })
    }

    /// The database type and the table prefix.
    pub fn info(&self) -> Result<DbInfo, Error> {
        self.ctx.request(&DbInfoRequest {})
    }

    /// The database type. Plugins need it only for what SQL cannot say portably (bulk index
    /// management, say); ordinary queries are the same on every database.
    pub fn kind(&self) -> Result<DbKind, Error> {
        Ok(self.info()?.kind)
    }
}

/// An open transaction: [`Db::begin`]'s guard. Queries through it (it dereferences to
/// [`Db`]) run inside the transaction; dropping it without [`Transaction::commit`] rolls it
/// back. A transaction begun inside another is a savepoint of it: commit or roll back the inner
/// one first.
#[must_use = "dropping the guard rolls the transaction back at once"]
pub struct Transaction<'a> {
    db: Db<'a>,
    open: bool,
}

impl Transaction<'_> {
    /// Commits what the transaction did.
    pub fn commit(mut self) -> Result<(), Error> {
        self.open = false;
        self.db.ctx.request(&DbCommit {})
    }

    /// Commits what was done so far and begins the next transaction under the same guard
    /// (long bulk work that commits in batches).
    pub fn commit_and_continue(&mut self) -> Result<(), Error> {
        self.open = false;
        self.db.ctx.request(&DbCommit {})?;
        self.db.ctx.request(&DbBegin {})?;
        self.open = true;
        Ok(())
    }

    /// Rolls the transaction back (what dropping the guard does, with its error reported).
    pub fn rollback(mut self) -> Result<(), Error> {
        self.open = false;
        self.db.ctx.request(&DbRollback {})
    }
}

impl<'a> std::ops::Deref for Transaction<'a> {
    type Target = Db<'a>;
    fn deref(&self) -> &Db<'a> {
        &self.db
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // The error that ended the transaction matters more than a failed rollback.
            let _ = self.db.ctx.request(&DbRollback {});
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
