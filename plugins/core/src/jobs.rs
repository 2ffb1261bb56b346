//! The background job queue (`oc_jobs`, ownCloud's columns): which jobs the loaded plugins
//! declare, queueing them, reserving one so two crons never run it at once, running it through
//! the host and recording `last_run`, `last_checked`, `reserved_at` and `execution_duration`.
//!
//! A queued job's `class` is `<plugin id>::<job name>`; its `argument` is JSON text. A job is
//! *valid* when a loaded plugin declares it; only valid jobs run.
//!
//! Every query of `oc_jobs` is decoded as [`JobRow`]; only this module reads or writes the
//! table. It uses `sql` and `time`.

use std::collections::BTreeMap;
use std::time::Instant;

use occ_plugin_api::protocol::{JobRun, PluginsList};
use occ_plugin_api::{Context, Db, Error};
use serde_json::{json, Value};

/// A reservation older than this (seconds) belongs to a cron that died: the job is free again.
pub const RESERVATION_TIMEOUT: i64 = 12 * 3600;

use crate::time::now;

/// One queued job: a row of `oc_jobs` ([`JobRow`]) with the column defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedJob {
    /// Row id.
    pub id: i64,
    /// `<plugin id>::<job name>`.
    pub class: String,
    /// The stored argument (JSON text).
    pub argument: String,
    /// When it last started (unix time, 0: never).
    pub last_run: i64,
    /// When a cron last looked at it.
    pub last_checked: i64,
    /// When a run reserved it (0: free).
    pub reserved_at: i64,
    /// Seconds its last successful run took (-1: unknown).
    pub execution_duration: i64,
}

/// One row of `oc_jobs` as the database hands it back: how every query of the queue is
/// decoded (a query may select fewer columns; they are then `None`). [`QueuedJob`] is the
/// same row with the column defaults applied.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct JobRow {
    /// `id`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub id: Option<i64>,
    /// `class`.
    #[serde(default)]
    pub class: Option<String>,
    /// `argument`.
    #[serde(default)]
    pub argument: Option<String>,
    /// `last_run`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub last_run: Option<i64>,
    /// `last_checked`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub last_checked: Option<i64>,
    /// `reserved_at`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub reserved_at: Option<i64>,
    /// `execution_duration`.
    #[serde(default, deserialize_with = "crate::sql::int")]
    pub execution_duration: Option<i64>,
}

impl From<JobRow> for QueuedJob {
    fn from(r: JobRow) -> Self {
        Self {
            id: r.id.unwrap_or(0),
            class: r.class.unwrap_or_default(),
            argument: r.argument.unwrap_or_default(),
            last_run: r.last_run.unwrap_or(0),
            last_checked: r.last_checked.unwrap_or(0),
            reserved_at: r.reserved_at.unwrap_or(0),
            execution_duration: r.execution_duration.unwrap_or(-1),
        }
    }
}

impl QueuedJob {
    /// The plugin id and job name of its class, if the class has that shape.
    pub fn plugin_and_name(&self) -> Option<(&str, &str)> {
        self.class
            .split_once("::")
            .filter(|(p, n)| !p.is_empty() && !n.is_empty())
    }

    /// The argument as JSON (`null` when empty; text that is no JSON as a string).
    pub fn argument_value(&self) -> Value {
        let a = self.argument.trim();
        if a.is_empty() {
            return Value::Null;
        }
        serde_json::from_str(a).unwrap_or_else(|_| Value::String(self.argument.clone()))
    }

    /// The argument as `background:queue:status` shows it: strings bare, null empty, else JSON.
    pub fn argument_display(&self) -> String {
        match self.argument_value() {
            Value::Null => String::new(),
            Value::String(s) => s,
            other => other.to_string(),
        }
    }

    /// Whether a run holds it (a reservation older than [`RESERVATION_TIMEOUT`] does not count).
    pub fn is_reserved(&self, now: i64) -> bool {
        self.reserved_at > now - RESERVATION_TIMEOUT
    }

    /// Whether its interval has passed since it last ran (interval 0: always).
    pub fn is_due(&self, interval: u64, now: i64) -> bool {
        interval == 0 || now.saturating_sub(self.last_run) >= interval as i64
    }
}

/// Checks a job id typed by the user: a positive integer.
pub fn parse_id(raw: Option<&str>) -> Result<i64, Error> {
    let raw = raw.unwrap_or_default();
    match raw.parse::<i64>() {
        Ok(id) if id > 0 && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(Error::usage(format!(
            "Invalid job ID \"{}\": a job ID is a positive integer.",
            raw.escape_default()
        ))),
    }
}

/// The jobs the loaded plugins declare: class -> interval in seconds.
pub fn declared(ctx: &Context) -> Result<BTreeMap<String, u64>, Error> {
    let mut out = BTreeMap::new();
    for p in ctx.request(&PluginsList {})? {
        for j in p.jobs.iter().filter(|j| !j.name.is_empty()) {
            out.entry(format!("{}::{}", p.id, j.name))
                .or_insert(j.interval);
        }
    }
    Ok(out)
}

/// Whether a job class is ownCloud's (a PHP class, `OCA\\Files\\BackgroundJob\\ScanFiles`), not a
/// plugin's (`plugin::name`).
pub fn is_php_class(class: &str) -> bool {
    class.contains('\\') && !class.contains("::")
}

/// Every queued job, by id.
pub fn list(ctx: &Context) -> Result<Vec<QueuedJob>, Error> {
    let rows: Vec<JobRow> = ctx
        .db()
        .query_as("SELECT * FROM *PREFIX*jobs ORDER BY id ASC", &[])?;
    Ok(rows.into_iter().map(QueuedJob::from).collect())
}

fn get_in(db: &Db<'_>, id: i64) -> Result<Option<QueuedJob>, Error> {
    let rows: Vec<JobRow> = db.query_as("SELECT * FROM *PREFIX*jobs WHERE id = ?", &[json!(id)])?;
    Ok(rows.into_iter().next().map(QueuedJob::from))
}

/// One queued job.
pub fn get(ctx: &Context, id: i64) -> Result<Option<QueuedJob>, Error> {
    get_in(&ctx.db(), id)
}

/// Queues every recurring (interval > 0) declared job whose class is not queued yet; returns
/// the classes added. Jobs with interval 0 run once: their plugin queues them.
pub fn ensure_queued(
    ctx: &Context,
    declared: &BTreeMap<String, u64>,
) -> Result<Vec<String>, Error> {
    let now = now();
    ctx.db().transaction(|db| {
        // oc_jobs has no unique key on class: concurrent crons queue one after the other.
        db.lock("core.jobs.queue")?;
        let rows: Vec<JobRow> = db.query_as("SELECT DISTINCT class FROM *PREFIX*jobs", &[])?;
        let queued: Vec<String> = rows
            .into_iter()
            .map(|r| r.class.unwrap_or_default())
            .collect();
        let mut added = Vec::new();
        for (class, interval) in declared {
            if *interval == 0 || queued.contains(class) {
                continue;
            }
            db.execute(
                "INSERT INTO *PREFIX*jobs (class, argument, last_run, last_checked, reserved_at, execution_duration) VALUES (?, 'null', 0, ?, 0, -1)",
                &[json!(class), json!(now)],
            )?;
            added.push(class.clone());
        }
        Ok(added)
    })
}

/// The outcome of [`reserve`].
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    /// Reserved for this run (a run-once job is already removed from the queue).
    Reserved(QueuedJob),
    /// Its interval has not passed yet.
    NotDue(QueuedJob),
    /// Another run holds it.
    Busy(QueuedJob),
    /// No such job (any more).
    Gone,
}

/// Reserves a job for running, in one transaction: checks it is free and due (`force` skips
/// both checks), stamps `last_checked`, `reserved_at` and `last_run`; a run-once job
/// (interval 0) is taken off the queue instead, as ownCloud's queued jobs are.
pub fn reserve(
    ctx: &Context,
    id: i64,
    interval: u64,
    now: i64,
    force: bool,
) -> Result<Reservation, Error> {
    ctx.db().transaction(|db| {
        let Some(job) = get_in(db, id)? else {
            return Ok(Reservation::Gone);
        };
        if !force && job.is_reserved(now) {
            return Ok(Reservation::Busy(job));
        }
        if !force && !job.is_due(interval, now) {
            db.execute(
                "UPDATE *PREFIX*jobs SET last_checked = ? WHERE id = ?",
                &[json!(now), json!(id)],
            )?;
            return Ok(Reservation::NotDue(job));
        }
        // The reserved_at condition keeps a concurrent run on a server database out.
        let n = if interval == 0 {
            db.execute(
                "DELETE FROM *PREFIX*jobs WHERE id = ? AND reserved_at = ?",
                &[json!(id), json!(job.reserved_at)],
            )?
        } else {
            db.execute(
                "UPDATE *PREFIX*jobs SET reserved_at = ?, last_checked = ?, last_run = ? WHERE id = ? AND reserved_at = ?",
                &[json!(now), json!(now), json!(now), json!(id), json!(job.reserved_at)],
            )?
        };
        Ok(if n == 1 {
            Reservation::Reserved(job)
        } else {
            Reservation::Busy(job)
        })
    })
}

/// The line a failed job reports (and logs).
pub fn failure_message(job: &QueuedJob, message: &str) -> String {
    format!(
        "Error while running background job {} ({}): {}",
        job.id,
        job.class,
        message.trim()
    )
}

/// Runs a reserved job through its plugin, then frees it and records how long it took (only a
/// successful run records a duration). Returns the duration in seconds; a failure has already
/// been logged (at error level: the log file and stderr) when this returns it.
pub fn execute(ctx: &Context, job: &QueuedJob) -> Result<i64, Error> {
    let Some((plugin, name)) = job.plugin_and_name() else {
        let msg = failure_message(job, "invalid job class");
        ctx.log("error", &msg)?;
        return Err(Error::new(msg));
    };
    let start = Instant::now();
    let r = ctx.request(&JobRun {
        plugin: plugin.to_string(),
        name: name.to_string(),
        argument: job.argument_value(),
    });
    let secs = start.elapsed().as_secs() as i64;
    let (sql, params) = if r.is_ok() {
        (
            "UPDATE *PREFIX*jobs SET reserved_at = 0, execution_duration = ? WHERE id = ?",
            vec![json!(secs), json!(job.id)],
        )
    } else {
        (
            "UPDATE *PREFIX*jobs SET reserved_at = 0 WHERE id = ?",
            vec![json!(job.id)],
        )
    };
    ctx.db().execute(sql, &params)?;
    ctx.set_app_config("backgroundjob", "lastjob", Some(&job.id.to_string()))?;
    match r {
        Ok(_) => Ok(secs),
        Err(e) => {
            let msg = failure_message(job, &e.message);
            // An error record reaches the log file and, as one line, stderr.
            ctx.log("error", &msg)?;
            Err(Error::new(msg))
        }
    }
}

/// Removes a job from the queue; false when there is no such job.
pub fn delete(ctx: &Context, id: i64) -> Result<bool, Error> {
    Ok(ctx
        .db()
        .execute("DELETE FROM *PREFIX*jobs WHERE id = ?", &[json!(id)])?
        > 0)
}

/// A unix time as PHP's `date('c')` prints it in UTC (`2024-05-01T12:00:00+00:00`).
pub fn iso8601(ts: i64) -> String {
    let (y, mo, d, h, mi, s) = crate::time::civil(ts);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(last_run: i64, reserved_at: i64) -> QueuedJob {
        QueuedJob {
            id: 1,
            class: "exampleapp::tick".into(),
            argument: "null".into(),
            last_run,
            last_checked: 0,
            reserved_at,
            execution_duration: -1,
        }
    }

    #[test]
    fn dates_are_php_date_c_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00+00:00");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20+00:00");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59+00:00");
    }

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(parse_id(Some("42")), Ok(42));
        for bad in [
            "0",
            "-1",
            "+3",
            "1.5",
            "abc",
            "",
            " 7",
            "99999999999999999999",
        ] {
            let e = parse_id(Some(bad)).unwrap_err();
            assert_eq!(e.code, 2, "{bad}");
        }
        assert_eq!(
            parse_id(Some("x")).unwrap_err().message,
            "Invalid job ID \"x\": a job ID is a positive integer."
        );
    }

    #[test]
    fn due_and_reserved() {
        let now = 100_000;
        assert!(job(0, 0).is_due(3600, now));
        assert!(!job(now - 10, 0).is_due(3600, now));
        assert!(job(now - 3600, 0).is_due(3600, now));
        assert!(job(now, 0).is_due(0, now));
        assert!(job(0, now - 60).is_reserved(now));
        assert!(!job(0, now - RESERVATION_TIMEOUT - 1).is_reserved(now));
        assert!(!job(0, 0).is_reserved(now));
    }

    #[test]
    fn rows_get_the_column_defaults() {
        let full: JobRow = serde_json::from_value(json!({
            "id": 7, "class": "a::b", "argument": "[1]", "last_run": "5",
            "last_checked": 6.0, "reserved_at": 0, "execution_duration": 3
        }))
        .unwrap();
        let j = QueuedJob::from(full);
        assert_eq!(
            (j.id, j.last_run, j.last_checked, j.execution_duration),
            (7, 5, 6, 3)
        );
        assert_eq!((j.class.as_str(), j.argument.as_str()), ("a::b", "[1]"));
        let nulls: JobRow = serde_json::from_value(json!({
            "id": 8, "class": "a::b", "argument": null, "last_run": null,
            "last_checked": null, "reserved_at": null, "execution_duration": null
        }))
        .unwrap();
        let j = QueuedJob::from(nulls);
        assert_eq!(
            (j.last_run, j.reserved_at, j.execution_duration),
            (0, 0, -1)
        );
        assert_eq!(j.argument, "");
        let class_only: JobRow = serde_json::from_value(json!({"class": "x::y"})).unwrap();
        assert_eq!(class_only.class.as_deref(), Some("x::y"));
    }

    #[test]
    fn arguments() {
        let mut j = job(0, 0);
        assert_eq!(j.argument_value(), Value::Null);
        assert_eq!(j.argument_display(), "");
        j.argument = "{\"fail\":true}".into();
        assert_eq!(j.argument_value(), json!({"fail": true}));
        assert_eq!(j.argument_display(), "{\"fail\":true}");
        j.argument = "\"abc\"".into();
        assert_eq!(j.argument_display(), "abc");
        j.argument = "not json".into();
        assert_eq!(j.argument_value(), json!("not json"));
        assert_eq!(j.plugin_and_name(), Some(("exampleapp", "tick")));
    }
}
