//! `man --dir=DIR` (hidden; for packagers and admins): writes the man pages, `occ(1)` and one
//! page per command (`occ-files-scan(1)`) with every command the plugins provide, by
//! clap_mangen. Prints each file it wrote.

use std::path::{Path, PathBuf};

use occ_plugin_api::{CommandSpec, Input, Opt, State};

use super::Console;
use crate::error::{Error, Result};

/// The spec.
pub fn spec() -> CommandSpec {
    let mut spec = CommandSpec::new("man", "Write the man pages of occ and of every command")
        .help("Writes occ.1 and one page per command (occ-files-scan.1 for files:scan), with the commands of every installed plugin, into --dir:\n\n  occ man --dir=/usr/share/man/man1")
        .opt(Opt::value("dir", "The directory to write the pages into (created if missing)"))
        .states(State::ALL);
    spec.hidden = true;
    spec
}

/// The page name of a command: `occ-` and its name with `:` as `-`.
pub fn page_name(command: &str) -> String {
    format!("occ-{}", command.replace(':', "-"))
}

fn write_page(dir: &Path, name: &str, cmd: clap::Command) -> Result<PathBuf> {
    let mut text = Vec::new();
    clap_mangen::Man::new(cmd)
        .title(name.to_uppercase())
        .section("1")
        .source(format!("occ {}", crate::instance::VERSION))
        .manual("occ manual")
        .render(&mut text)
        .map_err(|e| Error::new(format!("Cannot render the man page {name}: {e}")))?;
    let file = dir.join(format!("{name}.1"));
    std::fs::write(&file, text)
        .map_err(|e| Error::new(format!("Cannot write {}: {e}", file.display())))?;
    Ok(file)
}

/// Writes the pages.
pub fn run(c: &Console<'_>, input: &Input) -> Result<i32> {
    let Some(dir) = input.opt_str("dir").filter(|d| !d.is_empty()) else {
        return Err(Error::new("Name the directory to write into: --dir=DIR").with_code(2));
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::new(format!("Cannot create {}: {e}", dir.display())))?;
    let app = c.application();
    let mut written = vec![write_page(&dir, "occ", app.clone())?];
    for sub in app.get_subcommands() {
        let name = page_name(sub.get_name());
        // The page's synopsis names the command as it is typed.
        let cmd = sub.clone().name(format!("occ {}", sub.get_name()));
        written.push(write_page(&dir, &name, cmd)?);
    }
    let mut sh = c.host.shell.borrow_mut();
    for f in written {
        sh.out_line(&f.display().to_string());
    }
    Ok(0)
}
