//! Forwards the plugin's `tracing` events into the host's log.
//!
//! A cdylib has its own copy of `tracing`'s dispatcher, so its events would vanish. While the
//! plugin handles a request, a small subscriber is installed that turns each event into a
//! `log` call on the host.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use abi_stable::std_types::RStr;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Metadata, Subscriber};

use crate::abi::HostHandle;
use crate::protocol::{HostRequest, Log};

struct Bridge {
    host: HostHandle,
    max: Level,
    next_id: AtomicU64,
    /// The thread that received the request; events from any other thread are dropped.
    owner: std::thread::ThreadId,
    /// Cleared when the request ends; a dispatcher kept past it forwards nothing.
    alive: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

// SAFETY: the host handle is only used from `owner` while `alive` is set (checked in
// `event`), that is on the request's own thread while the host state it points to exists;
// a copy of the dispatcher carried elsewhere or kept longer never calls it.
unsafe impl Send for Bridge {}
unsafe impl Sync for Bridge {}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let sep = if self.0.is_empty() { "" } else { " " };
            let _ = write!(self.0, "{sep}{}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        _ => "trace",
    }
}

impl Subscriber for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }
    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed).max(1))
    }
    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if std::thread::current().id() != self.owner || !self.alive.load(Ordering::Acquire) {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let record = Log {
            level: Cow::Borrowed(level_name(event.metadata().level())),
            message: Cow::Owned(v.0),
            target: Some(Cow::Borrowed(event.metadata().target())),
        };
        if let Ok(body) = record.body() {
            let _ = (self.host.call)(
                self.host.ctx,
                RStr::from_str(Log::METHOD),
                RStr::from_str(&body),
            );
        }
    }
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}

fn parse_level(s: &str) -> Level {
    match s {
        "error" => Level::ERROR,
        "info" => Level::INFO,
        "debug" => Level::DEBUG,
        "trace" => Level::TRACE,
        _ => Level::WARN,
    }
}

/// Runs `f` with the plugin's `tracing` events forwarded to the host.
pub fn with_bridge<T>(host: HostHandle, max_level: &str, f: impl FnOnce() -> T) -> T {
    let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let bridge = Bridge {
        host,
        max: parse_level(max_level),
        next_id: AtomicU64::new(1),
        owner: std::thread::current().id(),
        alive: alive.clone(),
    };
    let out = tracing::subscriber::with_default(bridge, f);
    alive.store(false, Ordering::Release);
    out
}
