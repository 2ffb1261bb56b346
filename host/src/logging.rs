//! Logging: `tracing` in the host, `-v/-vv/-vvv` raising stderr verbosity, and a JSON-lines log
//! file in the data directory shaped like `owncloud.log`. Plugin records arrive through the
//! `log` host call (the plugin-side bridge forwards their `tracing` events) and land here too.
//!
//! The subscriber is a small one of our own rather than `tracing-subscriber`'s `Registry`: occ
//! uses no spans, and the registry's slab allocation alone cost a measurable part of the
//! start-up budget (see the plugin host issue's notes).

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Where records go: stderr up to a level, and the log file from ownCloud's numeric level on.
struct Logger {
    stderr_max: Option<Level>,
    file: Option<LogFile>,
    next_span: AtomicU64,
}

struct LogFile {
    path: PathBuf,
    min_level: u8,
    req_id: String,
    handle: Mutex<Option<std::fs::File>>,
}

#[derive(Default)]
struct Fields {
    message: String,
    app: Option<String>,
    extra: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            "app" => self.app = Some(value.to_string()),
            n => {
                let _ = write!(self.extra, " {n}={value}");
            }
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "app" => self.app = Some(format!("{value:?}").trim_matches('"').to_string()),
            n => {
                let _ = write!(self.extra, " {n}={value:?}");
            }
        }
    }
}

/// ownCloud's levels: 0 debug, 1 info, 2 warning, 3 error.
fn oc_level(l: &Level) -> u8 {
    match *l {
        Level::ERROR => 3,
        Level::WARN => 2,
        Level::INFO => 1,
        _ => 0,
    }
}

impl Logger {
    fn to_file(&self, level: &Level) -> bool {
        self.file
            .as_ref()
            .is_some_and(|f| oc_level(level) >= f.min_level)
    }
    fn to_stderr(&self, level: &Level) -> bool {
        self.stderr_max.is_some_and(|m| *level <= m)
    }
}

impl Subscriber for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.to_stderr(metadata.level()) || self.to_file(metadata.level())
    }
    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let level = event.metadata().level();
        let mut f = Fields::default();
        event.record(&mut f);
        let message = format!("{}{}", f.message, f.extra);
        let app = f.app.unwrap_or_else(|| "occ".into());
        if self.to_stderr(level) {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{:>5} {app}: {message}", level.as_str());
        }
        let Some(file) = self.file.as_ref().filter(|_| self.to_file(level)) else {
            return;
        };
        let time = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let line = json!({
            "reqId": file.req_id,
            "level": oc_level(level),
            "time": time,
            "remoteAddr": "",
            "user": "--",
            "app": app,
            "method": "--",
            "url": "--",
            "message": message,
        });
        let Ok(mut guard) = file.handle.lock() else {
            return;
        };
        if guard.is_none() {
            *guard = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o640)
                .open(&file.path)
                .ok();
        }
        if let Some(handle) = guard.as_mut() {
            // One write per record: an append of one write is not interleaved with another
            // process's record (a formatted write is one system call per token).
            let mut text = line.to_string();
            text.push('\n');
            let _ = handle.write_all(text.as_bytes());
        }
    }
}

/// Installs the subscriber: stderr by verbosity, and the log file when the instance has one.
pub fn init(verbosity: i32, log_file: Option<(PathBuf, u8)>) {
    let stderr_max = match verbosity {
        i32::MIN..=-1 => None,
        0 => Some(Level::WARN),
        1 => Some(Level::INFO),
        2 => Some(Level::DEBUG),
        _ => Some(Level::TRACE),
    };
    let file = log_file.map(|(path, min_level)| {
        let mut id = [0u8; 10];
        let _ = getrandom::getrandom(&mut id);
        let req_id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        LogFile {
            path,
            min_level,
            req_id,
            handle: Mutex::new(None),
        }
    });
    let _ = tracing::subscriber::set_global_default(Logger {
        stderr_max,
        file,
        next_span: AtomicU64::new(1),
    });
}

/// A record forwarded from a plugin.
pub fn plugin_event(app: &str, level: &str, message: &str) {
    match level {
        "error" => tracing::error!(app = %app, "{message}"),
        "warn" => tracing::warn!(app = %app, "{message}"),
        "info" => tracing::info!(app = %app, "{message}"),
        "debug" => tracing::debug!(app = %app, "{message}"),
        _ => tracing::trace!(app = %app, "{message}"),
    }
}

/// The most verbose level plugins should forward, from the stderr verbosity and file level.
pub fn plugin_max_level(verbosity: i32, file_level: Option<u8>) -> &'static str {
    let stderr = (verbosity + 1).clamp(0, 4);
    let file = match file_level {
        Some(0) => 3,
        Some(1) => 2,
        Some(2) => 1,
        _ => 0,
    };
    match stderr.max(file) {
        0 => "error",
        1 => "warn",
        2 => "info",
        3 => "debug",
        _ => "trace",
    }
}
