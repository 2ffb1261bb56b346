//! The console as Symfony/ownCloud users know it: list, help, version, name resolution and
//! its errors, option parsing errors, verbosity, quiet, ANSI, completion.

use occ_tests::{error_block, plugin_dir, Instance, GLOBAL_OPTIONS};
use serde::Deserialize;

fn version() -> String {
    // The host's version, as `occ -V` prints it.
    let o = Instance::new().run(&["-V"]);
    o.stdout
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("occ ")
        .to_string()
}

#[test]
fn no_arguments_before_install_lists_the_install_time_subset() {
    let i = Instance::new();
    let o = i.run(&[]);
    let v = version();
    let expected = format!(
        "occ is not installed - only a limited number of commands are available
occ {v}

Usage:
  command [options] [arguments]

Options:
{GLOBAL_OPTIONS}

Available commands:
  check                Check the server environment's dependencies.
  completion           Dump the shell completion script
  help                 Display help for a command
  list                 List commands
  status               Show status information.
 app
  app:check-code       Check code compliance.
 l10n
  l10n:createjs        Create javascript translation files for a given app
 maintenance
  maintenance:install  Install occ.
"
    );
    assert_eq!(o.stdout, expected);
    assert_eq!(o.stderr, "");
    assert_eq!(o.code, 0);
    assert_eq!(i.run(&["list"]).stdout, expected);
}

#[test]
fn version_before_and_after_install() {
    let i = Instance::new();
    let v = version();
    let o = i.run(&["-V"]);
    assert_eq!(
        o.stdout,
        format!(
            "occ is not installed - only a limited number of commands are available\nocc {v}\n"
        )
    );
    i.install();
    for flag in ["-V", "--version"] {
        let o = i.run(&[flag]);
        assert_eq!(
            (o.stdout.as_str(), o.code),
            (format!("occ {v}\n").as_str(), 0)
        );
    }
}

#[test]
fn list_after_install_and_by_namespace() {
    let i = Instance::installed();
    let o = i.run(&["list"]);
    assert_eq!(o.code, 0);
    // The column is as wide as the longest name or alias (encryption:change-key-storage-root)
    // plus two.
    assert!(o.stdout.contains("\nAvailable commands:\n  check                               Check the server environment's dependencies.\n"), "{}", o.stdout);
    assert!(o.stdout.contains(
        "\n maintenance\n  maintenance:data-dir                Point the instance at its data directory's new place\n  maintenance:mode                    Set maintenance mode.\n  maintenance:repair                  Repair the installation.\n  maintenance:singleuser              Set single user mode.\n"
    ));
    assert!(o.stdout.contains(
        "  background:queue:status             [background-job:list] List queue status\n"
    ));
    assert!(
        !o.stdout.contains("maintenance:install"),
        "install is only there before install"
    );
    assert!(!o.stdout.contains("not installed"));
    let o = i.run(&["list", "maintenance"]);
    assert!(o.stdout.ends_with(
        "Available commands for the \"maintenance\" namespace:\n  maintenance:data-dir    Point the instance at its data directory's new place\n  maintenance:mode        Set maintenance mode.\n  maintenance:repair      Repair the installation.\n  maintenance:singleuser  Set single user mode.\n"
    ));
    let o = i.run(&["list", "nope"]);
    assert_eq!(o.code, 1);
    assert!(o
        .stderr
        .contains("  There are no commands defined in the \"nope\" namespace.  "));
}

#[derive(Deserialize)]
struct ListJson {
    application: App,
    commands: Vec<CommandJson>,
    namespaces: Vec<NamespaceJson>,
}
#[derive(Deserialize)]
struct App {
    name: String,
    version: String,
}
#[derive(Deserialize)]
struct CommandJson {
    name: String,
    description: String,
    usage: Vec<String>,
    definition: DefinitionJson,
    hidden: bool,
}
#[derive(Deserialize)]
struct DefinitionJson {
    options: serde_json::Map<String, serde_json::Value>,
}
#[derive(Deserialize)]
struct NamespaceJson {
    id: String,
    commands: Vec<String>,
}

#[test]
fn list_json_describes_every_command() {
    let i = Instance::installed();
    let o = i.run(&["list", "--format=json"]);
    assert_eq!(o.code, 0);
    let l: ListJson = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(l.application.name, "occ");
    assert_eq!(l.application.version, version());
    let status = l.commands.iter().find(|c| c.name == "status").unwrap();
    assert_eq!(status.description, "Show status information.");
    assert_eq!(
        status.usage,
        vec!["status [--output [OUTPUT]] [-e|--exit-code]"]
    );
    assert!(!status.hidden);
    assert_eq!(status.definition.options["output"]["default"], "plain");
    assert_eq!(
        status.definition.options["verbose"]["shortcut"],
        "-v|-vv|-vvv"
    );
    let global = l.namespaces.iter().find(|n| n.id == "_global").unwrap();
    assert!(global.commands.contains(&"status".to_string()));
    assert!(l.namespaces.iter().any(|n| n.id == "maintenance"));
}

#[test]
fn help_of_a_command_matches_symfony_layout() {
    let i = Instance::installed();
    let expected = format!(
        "Description:
  Set maintenance mode.

Usage:
  maintenance:mode [options]

Options:
      --on              Enable maintenance mode.
      --off             Disable maintenance mode.
{GLOBAL_OPTIONS}
"
    );
    for args in [
        &["help", "maintenance:mode"][..],
        &["maintenance:mode", "--help"],
        &["maint:mode", "-h"],
    ] {
        let o = i.run(args);
        assert_eq!(o.stdout, expected, "{args:?}");
        assert_eq!(o.code, 0);
    }
    let o = i.run(&["help", "status"]);
    assert!(o.stdout.contains(
        "  -e, --exit-code        Exit with 0 if running in normal mode, 1 when in maintenance mode, 2 when `occ upgrade` is needed. Does not write any output.\n"
    ), "{}", o.stdout);
    assert!(o.stdout.contains("      --output[=OUTPUT]  The output format to use (plain, json or json_pretty). [default: \"plain\"]\n"));
}

#[test]
fn unknown_command_and_namespace_errors() {
    let i = Instance::installed();
    let o = i.run(&["foo:bar"]);
    assert_eq!(o.stdout, "");
    assert_eq!(
        o.stderr,
        "\n                                                         \n  There are no commands defined in the \"foo\" namespace.  \n                                                         \n\n"
    );
    assert_eq!(o.code, 1);
    let o = i.run(&["statsu"]);
    assert_eq!(o.code, 1);
    assert!(o
        .stderr
        .contains("  Command \"statsu\" is not defined.  \n"));
    assert!(o
        .stderr
        .contains("  Did you mean this?                \n      status                        \n"));
}

#[test]
fn abbreviations_resolve_when_unique_and_ambiguity_is_explained() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    let o = i.run(&["maint:mode"]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        ("Maintenance mode is currently disabled\n", 0)
    );
    let o = i.run(&["hel:gr", "Zoe"]);
    assert_eq!((o.stdout.as_str(), o.code), ("Hello, Zoe!\n", 0));
    let o = i.run(&["hel:"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        error_block(&[
            "Command \"hel:\" is ambiguous.",
            "Did you mean one of these?",
            "    hello:greet Greets someone and counts the greeting.",
            "    hello:list  Lists who was greeted how often..",
        ])
    );
}

#[test]
fn option_and_argument_errors_are_usage_errors() {
    let i = Instance::installed();
    let o = i.run(&["status", "--x"]);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.stderr,
        "\n                                    \n  The \"--x\" option does not exist.  \n                                    \n\nstatus [options]\n\n"
    );
    let o = i.run(&["status", "-z"]);
    assert!(o.stderr.contains("  The \"-z\" option does not exist.  "));
    let o = i.run(&["maintenance:mode", "--on=yes"]);
    assert!(o
        .stderr
        .contains("The \"--on\" option does not accept a value."));
    assert_eq!(o.code, 2);
    let o = i.run(&["list", "a", "b"]);
    assert!(o
        .stderr
        .contains("Too many arguments to \"list\" command, expected arguments \"namespace\"."));
    assert_eq!(o.code, 2);
    let o = i.run(&["status", "x"]);
    assert!(o
        .stderr
        .contains("No arguments expected for \"status\" command, got \"x\"."));
    // Nothing changed by a rejected command line.
    let o = i.run(&["maintenance:mode", "--on", "--bogus"]);
    assert_eq!(o.code, 2);
    assert_eq!(i.config().get("maintenance"), None);
}

#[test]
fn double_dash_ends_options() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    let o = i.run(&["hello:greet", "--", "-x"]);
    assert_eq!((o.stdout.as_str(), o.code), ("Hello, -x!\n", 0));
    let o = i.run(&["hello:greet", "-s", "ann"]);
    assert_eq!(o.stdout, "HELLO, ANN!\n");
}

#[test]
fn quiet_verbose_and_ansi() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    let o = i.run(&["-q", "status"]);
    assert_eq!((o.stdout.as_str(), o.stderr.as_str(), o.code), ("", "", 0));
    // Plugin logs travel through the host's subscriber: visible with -v only.
    let o = i.run(&["hello:greet", "Ann"]);
    assert_eq!(o.stderr, "");
    let o = i.run(&["-v", "hello:greet", "Ann"]);
    assert!(o.stderr.contains("greeted Ann"), "{}", o.stderr);
    let o = i.run(&["--ansi", "list"]);
    assert!(o.stdout.contains("\u{1b}[32mstatus\u{1b}[0m"));
    assert!(o.stdout.contains("\u{1b}[33mAvailable commands:\u{1b}[0m"));
    let o = i.run(&["--no-ansi", "list"]);
    assert!(!o.stdout.contains('\u{1b}'));
}

#[test]
fn prompts_are_refused_under_no_interaction() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    let o = i.run(&["hello:greet", "-n"]);
    assert_eq!(
        o.stderr,
        "Cannot ask \"Who should I greet?\" with --no-interaction\n"
    );
    assert_eq!(o.code, 1);
    let o = i.run_stdin(&["hello:greet"], Some("Bea\n"));
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        ("Hello, Bea!\n", "Who should I greet? ", 0)
    );
}

/// Completions bash gives for the words of a command line, as bash splits them
/// (`COMP_WORDBREAKS` has `:`): the script sourced into a real bash, its function called.
fn bash_completes(script: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source /dev/stdin\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\n$(complete -p occ | sed -E 's/.*-F ([^ ]+) .*/\\1/')\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1
    );
    let mut child = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn completion_scripts_include_plugin_commands() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    let o = i.run(&["completion", "bash"]);
    assert_eq!(o.code, 0);
    let bash = o.stdout;
    // `occ user:a<TAB>`: bash hands over `user`, `:`, `a` and replaces the `a`.
    assert_eq!(bash_completes(&bash, &["occ", "user", ":", "a"]), ["add"]);
    assert_eq!(
        bash_completes(&bash, &["occ", "hel"]),
        ["help", "hello:greet", "hello:list"]
    );
    assert_eq!(
        bash_completes(&bash, &["occ", "hello", ":", "greet", "--sh"]),
        ["--shout"]
    );
    assert_eq!(
        bash_completes(&bash, &["occ", "user", ":", "list", "--output", ""]),
        ["plain", "json", "json_pretty"]
    );
    let o = i.run(&["completion", "zsh"]);
    assert!(o.stdout.starts_with("#compdef occ\n"), "{}", o.stdout);
    // zsh's `name:description` with the name's `:` escaped.
    assert!(
        o.stdout
            .contains("'hello\\:greet:Greets someone and counts the greeting.' \\\n"),
        "{}",
        o.stdout
    );
    let o = i.run(&["completion", "fish"]);
    assert!(
        o.stdout
            .contains("-a \"hello:greet\" -d 'Greets someone and counts the greeting.'"),
        "{}",
        o.stdout
    );
    let o = i.run(&["completion", "elvish"]);
    assert!(o.stdout.contains("hello:greet"));
    let o = i.run(&["completion", "powershell"]);
    assert!(o.stdout.contains("'hello:greet'"), "{}", o.stdout);
    let o = i.run(&["completion", "tcsh"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("Detected shell \"tcsh\""));
    let o = i.run(&["completion"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.starts_with("Shell not detected"));
}

#[test]
fn completion_works_on_a_real_terminal() {
    // bash at a terminal (tmux), the script sourced, `occ user:a` and a TAB.
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("tmux is not installed: tests/run.sh installs it");
        return;
    }
    let i = Instance::installed();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("occ.bash");
    std::fs::write(&script, i.run(&["completion", "bash"]).stdout).unwrap();
    let session = format!("occ-completion-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &session])
            .args(args)
            .output()
            .unwrap()
    };
    tmux(&[
        "new-session",
        "-d",
        "-x",
        "120",
        "-y",
        "10",
        "bash --norc --noprofile -i",
    ]);
    tmux(&[
        "send-keys",
        &format!("source {}", script.display()),
        "Enter",
    ]);
    tmux(&["send-keys", "occ user:a", "Tab"]);
    let mut screen = String::new();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
        if screen.contains("occ user:add") {
            break;
        }
    }
    tmux(&["kill-server"]);
    assert!(screen.contains("occ user:add"), "{screen}");
}

#[test]
fn broken_pipe_is_not_an_error() {
    let i = Instance::installed();
    // stdout is a pipe whose reader is gone before occ starts: every write fails with EPIPE
    // (SIGPIPE is ignored), and occ still exits cleanly instead of dying of the signal.
    let (reader, writer) = nix::unistd::pipe().unwrap();
    drop(reader);
    let o = i
        .command(&["list"])
        .stdout(std::process::Stdio::from(writer))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{:?}", o.status);
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

#[test]
fn list_short_leaves_out_the_definitions_and_list_raw_is_names_and_descriptions() {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Short {
        name: String,
        description: String,
        usage: Vec<String>,
        hidden: bool,
    }
    #[derive(Deserialize)]
    struct ShortList {
        commands: Vec<Short>,
    }
    let i = Instance::installed();
    let o = i.run(&["list", "--format=json", "--short"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let l: ShortList = serde_json::from_str(&o.stdout).unwrap();
    let status = l.commands.iter().find(|c| c.name == "status").unwrap();
    assert_eq!(status.description, "Show status information.");
    assert!(status.usage.is_empty());
    assert!(!status.hidden);
    // Symfony's short usage is the aliases.
    let list = l
        .commands
        .iter()
        .find(|c| c.name == "background:queue:status")
        .unwrap();
    assert_eq!(list.usage, ["background-job:list"]);
    let o = i.run(&["list", "--raw", "maintenance"]);
    assert_eq!(
        o.stdout,
        "maintenance:data-dir   Point the instance at its data directory's new place
maintenance:mode       Set maintenance mode.
maintenance:repair     Repair the installation.
maintenance:singleuser Set single user mode.
"
    );
}

#[test]
fn help_raw_is_never_styled() {
    let i = Instance::installed();
    let styled = i.run(&["--ansi", "help", "maintenance:mode"]);
    assert!(styled.stdout.contains("\u{1b}[33mUsage:\u{1b}[0m"));
    let raw = i.run(&["--ansi", "help", "--raw", "maintenance:mode"]);
    assert!(!raw.stdout.contains('\u{1b}'), "{}", raw.stdout);
    assert_eq!(raw.stdout, i.run(&["help", "maintenance:mode"]).stdout);
}

#[test]
fn bad_input_is_a_usage_error_and_changes_nothing() {
    let mut i = Instance::new();
    let plugins = plugin_dir(&["occ_example_hello"]);
    i.set_env("OCC_PLUGIN_PATH", plugins.path());
    i.install();
    let before = i.dump();
    let config = std::fs::read(i.config_path()).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["hello:greet", "--bogus", "Ann"],
            "The \"--bogus\" option does not exist.",
        ),
        (
            &["config:system:set", "x", "--value"],
            "The \"--value\" option requires a value.",
        ),
        (
            &["hello:greet", "--shout=yes", "Ann"],
            "The \"--shout\" option does not accept a value.",
        ),
        (
            &["user:list", "--output=xml"],
            "The \"--output\" option takes plain, json or json_pretty, not \"xml\".",
        ),
        (&["user:add"], "Not enough arguments (missing: \"uid\")."),
    ];
    for (args, message) in cases {
        let o = i.run(args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert_eq!(o.stdout, "", "{args:?}");
        // The message on one line of Symfony's block, then the synopsis.
        assert_eq!(
            o.stderr.lines().filter(|l| l.contains(message)).count(),
            1,
            "{args:?}: {}",
            o.stderr
        );
    }
    // An argument that is no UTF-8 never reaches a command.
    use std::os::unix::ffi::OsStrExt;
    let o = i
        .command(&["hello:greet"])
        .arg(std::ffi::OsStr::from_bytes(b"\xffAnn"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "The argument \"\\xFFAnn\" is not valid UTF-8.\n"
    );
    assert_eq!(i.dump(), before);
    assert_eq!(std::fs::read(i.config_path()).unwrap(), config);
}
