//! The one place that prints (cargo's `Shell`): stdout/stderr, verbosity, ANSI styles, the
//! Symfony error block, and rendering of plugin data as plain/json/json_pretty and tables.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::cell::RefCell;
use std::io::{self, IsTerminal, Write};
use std::rc::Rc;

use serde_json::Value;

use super::json;

/// Verbosity: -1 quiet, 0 normal, 1..3 verbose.
pub type Verbosity = i32;

/// Where and how output goes for this invocation.
pub struct Shell {
    /// -1 quiet, 0 normal, 1..3 for -v..-vvv.
    pub verbosity: Verbosity,
    /// ANSI colours on stdout.
    pub decorate_out: bool,
    /// ANSI colours on stderr.
    pub decorate_err: bool,
    /// Set once stdout is closed (broken pipe): further output is dropped silently.
    broken: bool,
    /// A progress line on a terminal's stderr, while a long command runs.
    progress: Option<indicatif::ProgressBar>,
    /// Where output goes instead of the process's stdout and stderr (the in-process test
    /// harness).
    capture: Option<Rc<RefCell<Captured>>>,
}

/// Output kept in memory instead of printed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Captured {
    /// What went to stdout.
    pub stdout: String,
    /// What went to stderr.
    pub stderr: String,
}

/// Symfony's named styles.
pub fn style_code(style: &str) -> Option<&'static str> {
    match style {
        "info" => Some("32"),
        "comment" => Some("33"),
        "error" => Some("37;41"),
        "question" => Some("30;46"),
        _ => None,
    }
}

impl Shell {
    /// A shell honouring `--ansi`/`--no-ansi` (None: colour when the stream is a terminal).
    pub fn new(verbosity: Verbosity, ansi: Option<bool>) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let auto_out = !no_color && io::stdout().is_terminal();
        let auto_err = !no_color && io::stderr().is_terminal();
        Self {
            verbosity,
            decorate_out: ansi.unwrap_or(auto_out),
            decorate_err: ansi.unwrap_or(auto_err),
            broken: false,
            progress: None,
            capture: None,
        }
    }

    /// A shell that keeps its output in `into` (never decorated, no progress line).
    pub fn capturing(verbosity: Verbosity, into: Rc<RefCell<Captured>>) -> Self {
        Self {
            verbosity,
            decorate_out: false,
            decorate_err: false,
            broken: false,
            progress: None,
            capture: Some(into),
        }
    }

    fn write_err(&self, text: &str) {
        match &self.capture {
            Some(c) => c.borrow_mut().stderr.push_str(text),
            None => {
                let mut e = io::stderr().lock();
                let _ = e.write_all(text.as_bytes());
                let _ = e.flush();
            }
        }
    }

    /// Shows or updates the progress line (only on a terminal, never under `-q`).
    pub fn progress(&mut self, message: &str) {
        if self.verbosity < 0 || self.capture.is_some() || !io::stderr().is_terminal() {
            return;
        }
        let bar = self.progress.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        bar.set_message(message.to_string());
    }

    /// Removes the progress line, if any.
    pub fn progress_done(&mut self) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
    }

    /// Wraps `text` in the style's ANSI codes when decorating.
    pub fn paint(&self, err: bool, style: &str, text: &str) -> String {
        let mut out = String::new();
        self.paint_into(&mut out, err, style, text);
        out
    }

    /// [`Shell::paint`], appended to `out`.
    pub fn paint_into(&self, out: &mut String, err: bool, style: &str, text: &str) {
        let on = if err {
            self.decorate_err
        } else {
            self.decorate_out
        };
        match (on, style_code(style)) {
            (true, Some(code)) if !text.is_empty() => {
                let _ = std::fmt::Write::write_fmt(out, format_args!("\x1b[{code}m{text}\x1b[0m"));
            }
            _ => out.push_str(text),
        }
    }

    /// Writes raw text to stdout when not quiet.
    pub fn out(&mut self, text: &str) {
        if self.verbosity < 0 || self.broken {
            return;
        }
        if let Some(c) = &self.capture {
            c.borrow_mut().stdout.push_str(text);
            return;
        }
        let mut o = io::stdout().lock();
        if o.write_all(text.as_bytes())
            .and_then(|_| o.flush())
            .is_err()
        {
            // A closed pipe (`occ list | head`) is not an error: stop writing.
            self.broken = true;
        }
    }

    /// Writes one line to stdout.
    pub fn out_line(&mut self, text: &str) {
        self.out(&format!("{text}\n"));
    }

    /// Writes raw text to stderr when not quiet.
    pub fn err(&mut self, text: &str) {
        if self.verbosity < 0 {
            return;
        }
        self.write_err(text);
    }

    /// Writes one line to stderr.
    pub fn err_line(&mut self, text: &str) {
        self.err(&format!("{text}\n"));
    }

    /// Writes an error line on stderr; shown even under `-q` (a failing script wants to know why).
    pub fn error_line(&mut self, text: &str) {
        let mut painted = self.paint(true, "error", text);
        painted.push('\n');
        self.write_err(&painted);
    }

    /// Symfony's error block on stderr (console-level errors: unknown command, bad option).
    pub fn error_block(&mut self, message: &str, synopsis: Option<&str>) {
        let width = terminal_width().saturating_sub(5).max(20);
        let mut lines = Vec::new();
        for line in message.trim().lines() {
            let chars: Vec<char> = line.chars().collect();
            if chars.is_empty() {
                lines.push(String::new());
            }
            for chunk in chars.chunks(width) {
                lines.push(chunk.iter().collect::<String>());
            }
        }
        let len = lines
            .iter()
            .map(|l| l.chars().count() + 4)
            .max()
            .unwrap_or(4);
        let mut text = String::from("\n");
        let blank = " ".repeat(len);
        text.push_str(&self.paint(true, "error", &blank));
        text.push('\n');
        for l in &lines {
            let pad = " ".repeat(len - l.chars().count() - 4);
            text.push_str(&self.paint(true, "error", &format!("  {l}  {pad}")));
            text.push('\n');
        }
        text.push_str(&self.paint(true, "error", &blank));
        text.push_str("\n\n");
        if let Some(s) = synopsis {
            text.push_str(&self.paint(true, "info", s));
            text.push_str("\n\n");
        }
        self.write_err(&text);
    }

    /// Renders a plugin's data per `--output`.
    pub fn data(&mut self, format: &str, value: &Value) {
        match format {
            "json" => self.out_line(&json::compact(value)),
            "json_pretty" => self.out_line(&json::pretty(value)),
            _ => {
                let mut s = String::new();
                plain(&mut s, value, "  - ");
                self.out(&s);
            }
        }
    }

    /// Renders a table per `--output` (json: an array of objects keyed by header).
    pub fn table(&mut self, format: &str, headers: &[String], rows: &[Vec<Value>]) {
        if format == "json" || format == "json_pretty" {
            let arr: Vec<Value> = rows
                .iter()
                .map(|r| Value::Object(headers.iter().cloned().zip(r.iter().cloned()).collect()))
                .collect();
            self.data(format, &Value::Array(arr));
            return;
        }
        self.out(&draw_table(headers, rows));
    }
}

/// The width Symfony assumes: `$COLUMNS`, else 80.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|w| *w > 0)
        .unwrap_or(80)
}

/// A scalar as ownCloud's `valueToString` prints it (`true`, `false`; null is `None`).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// ownCloud's `writeArrayInOutputFormat` plain branch: `  - key: value`, nested lists indented.
fn plain(out: &mut String, value: &Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if v.is_object() || v.is_array() {
                    out.push_str(&format!("{prefix}{k}:\n"));
                    plain(out, v, &format!("  {prefix}"));
                } else {
                    match scalar(v) {
                        Some(s) => out.push_str(&format!("{prefix}{k}: {s}\n")),
                        None => out.push_str(&format!("{prefix}{k}\n")),
                    }
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                if v.is_object() || v.is_array() {
                    plain(out, v, &format!("  {prefix}"));
                } else {
                    out.push_str(&format!("{prefix}{}\n", scalar(v).unwrap_or_default()));
                }
            }
        }
        other => out.push_str(&format!(
            "{}\n",
            scalar(other).unwrap_or_else(|| "null".into())
        )),
    }
}

/// A Symfony Console table (`+---+` borders, one space of padding).
pub fn draw_table(headers: &[String], rows: &[Vec<Value>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|v| scalar(v).unwrap_or_default()).collect())
        .collect();
    let cols = headers
        .len()
        .max(cells.iter().map(Vec::len).max().unwrap_or(0));
    let mut widths = vec![0usize; cols];
    for (i, h) in headers.iter().enumerate() {
        widths[i] = widths[i].max(h.chars().count());
    }
    for r in &cells {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let border: String = {
        let mut b = String::from("+");
        for w in &widths {
            b.push_str(&"-".repeat(w + 2));
            b.push('+');
        }
        b.push('\n');
        b
    };
    let row = |vals: &[String]| {
        let mut s = String::from("|");
        for (i, w) in widths.iter().enumerate() {
            let v = vals.get(i).map(String::as_str).unwrap_or("");
            s.push_str(&format!(" {v}{} |", " ".repeat(w - v.chars().count())));
        }
        s.push('\n');
        s
    };
    let mut out = border.clone();
    if !headers.is_empty() {
        out.push_str(&row(headers));
        out.push_str(&border);
    }
    for r in &cells {
        out.push_str(&row(r));
    }
    out.push_str(&border);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_lists_like_owncloud() {
        let mut s = String::new();
        plain(
            &mut s,
            &json!({"installed": true, "n": null, "l": {"a": 1}}),
            "  - ",
        );
        assert_eq!(s, "  - installed: true\n  - n\n  - l:\n    - a: 1\n");
    }

    #[test]
    fn table_layout() {
        let t = draw_table(&["A".into(), "Bee".into()], &[vec![json!(1), json!("x")]]);
        assert_eq!(
            t,
            "+---+-----+\n| A | Bee |\n+---+-----+\n| 1 | x   |\n+---+-----+\n"
        );
    }
}
