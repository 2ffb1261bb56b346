//! occ: the administration console of a self-hosted file-sync server instance, as a plugin host.
//!
//! The binary parses the console's global options, finds the instance, discovers the command
//! providers (stable-ABI plugin libraries), and runs one command. It knows no domain: users,
//! files, LDAP and the rest live in plugins.

mod app;
mod builtins;
mod console {
    pub mod describe;
    pub mod finder;
    pub mod input;
    pub mod json;
    pub mod shell;
}
mod instance;
mod logging;
mod plugins;
mod services;

fn main() {
    let mut args = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(bad) => {
                let mut sh = console::shell::Shell::new(0, None);
                sh.error_line(&format!("The argument {bad:?} is not valid UTF-8."));
                std::process::exit(2);
            }
        }
    }
    let code = app::run(args);
    std::process::exit(code.clamp(0, 255));
}
