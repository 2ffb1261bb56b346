//! Logging: `tracing` in the host, `-v/-vv/-vvv` raising stderr verbosity, and a JSON-lines log
//! file in the data directory shaped like `owncloud.log`. Plugin records arrive through the
//! `log` host call (the plugin-side bridge forwards their `tracing` events) and land here too.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The log file layer: ownCloud's JSON line format, ownCloud's numeric levels.
struct FileLayer {
    path: PathBuf,
    min_level: u8,
    req_id: String,
    file: Mutex<Option<std::fs::File>>,
}

#[derive(Default)]
struct Fields {
    message: String,
    app: Option<String>,
    extra: Vec<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            "app" => self.app = Some(value.to_string()),
            n => self.extra.push(format!("{n}={value}")),
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "app" => self.app = Some(format!("{value:?}").trim_matches('"').to_string()),
            n => self.extra.push(format!("{n}={value:?}")),
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

impl<S: Subscriber> Layer<S> for FileLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = oc_level(event.metadata().level());
        if level < self.min_level {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let mut message = f.message;
        if !f.extra.is_empty() {
            message = format!("{message} {}", f.extra.join(" "));
        }
        let time = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let line = json!({
            "reqId": self.req_id,
            "level": level,
            "time": time,
            "remoteAddr": "",
            "user": "--",
            "app": f.app.unwrap_or_else(|| "occ".into()),
            "method": "--",
            "url": "--",
            "message": message,
        });
        let Ok(mut guard) = self.file.lock() else {
            return;
        };
        if guard.is_none() {
            *guard = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o640)
                .open(&self.path)
                .ok();
        }
        if let Some(file) = guard.as_mut() {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// Installs the subscriber: stderr by verbosity, and the log file when the instance has one.
pub fn init(verbosity: i32, log_file: Option<(PathBuf, u8)>) {
    let stderr_level = match verbosity {
        i32::MIN..=-1 => LevelFilter::OFF,
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_filter(stderr_level);
    let file = log_file.map(|(path, min_level)| {
        let mut id = [0u8; 10];
        let _ = getrandom::getrandom(&mut id);
        let req_id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        FileLayer {
            path,
            min_level,
            req_id,
            file: Mutex::new(None),
        }
    });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
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
