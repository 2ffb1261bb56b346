//! `completion [<shell>]`: prints a bash, zsh, fish, elvish or PowerShell completion script
//! (clap_complete) with every command the plugins provide, its options and their fixed values.

use clap_complete::Shell;
use occ_plugin_api::{Arg, CommandSpec, Input, State};

use super::Console;
use crate::error::{Error, Result};

/// The spec.
pub fn spec() -> CommandSpec {
    CommandSpec::new("completion", "Dump the shell completion script")
            .help("The completion command dumps the shell completion script required\nto use shell autocompletion (currently, bash, zsh, fish, elvish and powershell completion is supported).\n\n  Static installation\n  -------------------\n\nDump the script to a global completion file and restart your shell:\n\n    occ completion bash | sudo tee /etc/bash_completion.d/occ\n\n  Dynamic installation\n  --------------------\n\nAdd this to the end of your shell configuration file (e.g. \"~/.bashrc\"):\n\n    eval \"$(occ completion bash)\"")
            .arg(Arg::optional("shell", "The shell type (e.g. \"bash\"), the value of the \"$SHELL\" env var will be used if this is not given"))
            .states(State::ALL)
}

/// The shells a script can be written for.
const SHELLS: &str = "\"bash\", \"zsh\", \"fish\", \"elvish\", \"powershell\"";

/// Prints the script for the shell given, else for `$SHELL`.
pub fn run(c: &Console<'_>, input: &Input) -> Result<i32> {
    let shell_name = input
        .arg_str("shell")
        .or_else(|| {
            std::env::var("SHELL")
                .ok()
                .and_then(|s| s.rsplit('/').next().map(str::to_string))
        })
        .unwrap_or_default();
    let shell = match shell_name.as_str() {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "elvish" => Shell::Elvish,
        "powershell" | "pwsh" => Shell::PowerShell,
        "" => {
            return Err(Error::new(format!(
                "Shell not detected, occ shell completion only supports {SHELLS}."
            ))
            .with_code(2));
        }
        other => {
            return Err(Error::new(format!(
                "Detected shell \"{other}\", which is not supported by occ shell completion (supported shells: {SHELLS})."
            ))
            .with_code(2));
        }
    };
    let script = script(&mut c.application(), shell);
    c.host.shell.borrow_mut().out(&script);
    Ok(0)
}

/// clap_complete's script for `app`; bash's is wrapped so that command names with `:` complete.
pub fn script(app: &mut clap::Command, shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, app, "occ", &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    match shell {
        Shell::Bash => bash_with_colons(&text),
        Shell::Zsh => zsh_escape_colons(app, &text),
        _ => text,
    }
}

/// zsh's `_describe` reads `name:description`, so a `:` in a command's name must be escaped
/// (`'user\:add:adds a user'`); clap_complete leaves it as it is.
fn zsh_escape_colons(app: &clap::Command, generated: &str) -> String {
    let names: Vec<&str> = app
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_visible_aliases()))
        .filter(|n| n.contains(':'))
        .collect();
    let mut out = String::with_capacity(generated.len() + 1024);
    for line in generated.split_inclusive('\n') {
        let hit = names.iter().find(|n| {
            line.strip_prefix('\'')
                .and_then(|rest| rest.strip_prefix(**n))
                .is_some_and(|rest| rest.starts_with(':'))
        });
        match hit {
            Some(n) => {
                out.push('\'');
                out.push_str(&n.replace(':', "\\:"));
                out.push_str(&line[1 + n.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// bash splits the word being completed at `:` (it is in `COMP_WORDBREAKS`), so `user:a`
/// reaches a completion function as `user`, `:`, `a`. The generated function runs on the words
/// joined back, and its answers are cut to what follows the last `:` of the current word, which
/// is what bash replaces (as bash-completion's `__ltrim_colon_completions` does).
fn bash_with_colons(generated: &str) -> String {
    let renamed = generated
        .replace("_occ()", "_occ_words()")
        .replace("-F _occ ", "-F _occ_colons ");
    format!(
        r#"{renamed}
_occ_colons() {{
    local -a words=()
    local i cword=0 w
    for ((i = 0; i < ${{#COMP_WORDS[@]}}; i++)); do
        w=${{COMP_WORDS[i]}}
        if (( i > 1 )) && [[ $w == ":" || ${{COMP_WORDS[i-1]}} == ":" ]]; then
            words[${{#words[@]}}-1]+=$w
        else
            words+=("$w")
        fi
        (( i == COMP_CWORD )) && cword=$(( ${{#words[@]}} - 1 ))
    done
    local cur=${{words[cword]}} prev=${{words[cword-1]}}
    COMP_WORDS=("${{words[@]}}")
    COMP_CWORD=$cword
    _occ_words occ "$cur" "$prev"
    if [[ $cur == *:* ]]; then
        local prefix=${{cur%"${{cur##*:}}"}} k
        for k in "${{!COMPREPLY[@]}}"; do
            COMPREPLY[k]=${{COMPREPLY[k]#"$prefix"}}
        done
    fi
}}
"#
    )
}
