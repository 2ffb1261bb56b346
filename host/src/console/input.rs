//! The global options every command shares, and what the console reads of the raw words
//! before it knows the command (Symfony's `getFirstArgument` and `hasParameterOption`): the
//! command's name, `--root`, verbosity and the other global flags. The command line itself is
//! parsed by clap ([`super::cli`]).

use occ_plugin_api::{CommandSpec, Opt};

/// The options every command accepts (Symfony 5.4's plus ownCloud's `--no-warnings` and `--root`).
pub fn global_options() -> Vec<Opt> {
    vec![
        Opt::flag("help", "Display help for the given command. When no command is given display help for the list command").short("h"),
        Opt::flag("quiet", "Do not output any message").short("q"),
        Opt::flag("verbose", "Increase the verbosity of messages: 1 for normal output, 2 for more verbose output and 3 for debug").short("v|vv|vvv"),
        Opt::flag("version", "Display this application version").short("V"),
        Opt::flag("ansi", "Force (or disable --no-ansi) ANSI output").negatable(),
        Opt::flag("no-interaction", "Do not ask any interactive question").short("n"),
        Opt::flag("no-warnings", "Skip global warnings, show command output only"),
        Opt::value("root", "The instance root directory (default: $OCC_ROOT, else the current directory)"),
    ]
}

/// A command's options followed by the global options it does not redefine: what help's
/// "Options:" block lists and what the parser accepts.
pub fn options_with_globals<'a>(spec: &'a CommandSpec, globals: &'a [Opt]) -> Vec<&'a Opt> {
    let mut opts: Vec<&Opt> = spec.options.iter().collect();
    for g in globals {
        if !opts.iter().any(|o| o.name == g.name) {
            opts.push(g);
        }
    }
    opts
}

/// The command name: the first word that is not an option (or the value of `--root`).
pub fn first_argument(tokens: &[String]) -> Option<String> {
    let mut skip_next = false;
    let mut options = true;
    for t in tokens {
        if skip_next {
            skip_next = false;
            continue;
        }
        if options && t == "--" {
            options = false;
            continue;
        }
        if options && t.starts_with('-') && t != "-" {
            skip_next = t == "--root";
            continue;
        }
        return Some(t.clone());
    }
    None
}

/// Whether a global flag appears before `--` (Symfony's `hasParameterOption`).
pub fn has_flag(tokens: &[String], long: &str, short: Option<char>) -> bool {
    for t in tokens {
        if t == "--" {
            break;
        }
        if t == &format!("--{long}") {
            return true;
        }
        if let (Some(c), Some(rest)) = (short, t.strip_prefix('-')) {
            if !rest.starts_with('-') && rest.starts_with(c) {
                return true;
            }
        }
    }
    false
}

/// Verbosity from the tokens: -1 with `-q`, else 0..3 (`-v`, `-vv`, `-vvv`, `--verbose[=N]`).
pub fn verbosity(tokens: &[String]) -> i32 {
    let mut v = 0;
    for t in tokens {
        if t == "--" {
            break;
        }
        match t.as_str() {
            "-q" | "--quiet" => return -1,
            "-vvv" | "--verbose=3" => v = v.max(3),
            "-vv" | "--verbose=2" => v = v.max(2),
            "-v" | "--verbose" | "--verbose=1" => v = v.max(1),
            _ => {}
        }
    }
    v
}

/// The value of `--root=DIR` / `--root DIR`, if given.
pub fn root_option(tokens: &[String]) -> Option<String> {
    let mut it = tokens.iter();
    while let Some(t) = it.next() {
        if t == "--" {
            break;
        }
        if let Some(v) = t.strip_prefix("--root=") {
            return Some(v.to_string());
        }
        if t == "--root" {
            return it.next().cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn globals_are_seen_before_the_command_is_known() {
        let t = toks("--root /srv/oc -vv user:add -n alice -- -q");
        assert_eq!(first_argument(&t).as_deref(), Some("user:add"));
        assert_eq!(root_option(&t).as_deref(), Some("/srv/oc"));
        assert_eq!(verbosity(&t), 2);
        assert!(has_flag(&t, "no-interaction", Some('n')));
        assert!(!has_flag(&t, "quiet", Some('q')));
        assert_eq!(first_argument(&toks("-- -x")).as_deref(), Some("-x"));
    }
}
