//! Output and questions: `output.*`, `prompt` and `confirm`. Everything a plugin prints goes
//! through the one [`crate::console::shell::Shell`].

use std::io::{BufRead, IsTerminal};

use occ_plugin_api::protocol::{
    Confirm, OutputData, OutputProgress, OutputTable, OutputText, OutputWrite, Printing, Prompt,
    Stream,
};
use serde_json::value::RawValue;
use serde_json::Value;

use super::Host;
use crate::error::{Error, Result};

/// `output.write`: a line or text inside the JSON (plugin-api 1.0-1.2).
pub fn write(host: &Host, r: OutputWrite<'_>) -> Result<()> {
    print(host, &r.how, &r.text);
    Ok(())
}

/// `output.text`: the header line, then the text as it is.
pub fn text(host: &Host, payload: &str) -> Result<()> {
    let r = OutputText::decode(payload)
        .map_err(|e| Error::new(format!("bad request to output.text: {e}")))?;
    print(host, &r.how, r.text);
    Ok(())
}

fn print(host: &Host, how: &Printing<'_>, text: &str) {
    let mut sh = host.shell.borrow_mut();
    if how.verbosity > sh.verbosity {
        return;
    }
    sh.progress_done();
    let err = how.stream == Stream::Err;
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

/// `output.data`: JSON formats are re-encoded from the payload's text as it streams by
/// (10,000 users are no value tree on this side); plain output needs the tree.
pub fn data(host: &Host, r: OutputData<&RawValue>) -> Result<()> {
    let text = r.value.get();
    let fmt = host.output_format.borrow().clone();
    let mut sh = host.shell.borrow_mut();
    match fmt.as_str() {
        "json" | "json_pretty" => {
            let out = crate::console::json::reencode(text, fmt == "json_pretty")?;
            sh.out_line(&out);
        }
        _ => {
            let v: Value = serde_json::from_str(text).map_err(|e| Error::new(e.to_string()))?;
            sh.data(&fmt, &v);
        }
    }
    Ok(())
}

/// `output.table`.
pub fn table(host: &Host, r: OutputTable) -> Result<()> {
    let fmt = host.output_format.borrow().clone();
    host.shell.borrow_mut().table(&fmt, &r.headers, &r.rows);
    Ok(())
}

/// `output.progress`.
pub fn progress(host: &Host, r: OutputProgress) -> Result<()> {
    let mut sh = host.shell.borrow_mut();
    match r.message {
        Some(m) if !r.done => sh.progress(&m),
        _ => sh.progress_done(),
    }
    Ok(())
}

/// `prompt`.
pub fn prompt_request(host: &Host, r: Prompt) -> Result<String> {
    prompt(host, &r.question, r.hidden)
}

/// `confirm`: refused under `-n` like every question (a script says what it wants).
pub fn confirm(host: &Host, r: Confirm) -> Result<bool> {
    if !host.env.interactive {
        return Err(no_interaction(&r.question));
    }
    let hint = if r.default { "[Y/n]" } else { "[y/N]" };
    let answer = prompt(host, &format!("{} {hint} ", r.question), false)?;
    let a = answer.trim().to_lowercase();
    Ok(if a.is_empty() {
        r.default
    } else {
        a.starts_with('y')
    })
}

fn no_interaction(question: &str) -> Error {
    Error::new(format!(
        "Cannot ask \"{}\" with --no-interaction",
        question.trim()
    ))
}

/// Asks on stderr, reads from the terminal (hidden) or stdin. Refused under `-n`.
pub fn prompt(host: &Host, question: &str, hidden: bool) -> Result<String> {
    if !host.env.interactive {
        return Err(no_interaction(question));
    }
    let q = host.shell.borrow().paint(true, "question", question);
    if hidden && std::io::stdin().is_terminal() {
        return rpassword::prompt_password(q)
            .map_err(|e| Error::new(format!("Cannot read the answer: {e}")));
    }
    host.shell.borrow_mut().err(&q);
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::new(format!("Cannot read the answer: {e}")))?;
    if line.is_empty() {
        return Err(Error::new(format!(
            "No answer to \"{}\" (end of input)",
            question.trim()
        )));
    }
    if hidden {
        host.shell.borrow_mut().err("\n");
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}
