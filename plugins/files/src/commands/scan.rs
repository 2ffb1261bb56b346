//! `files:scan [-p|--path=] [--all] [--unscanned] [--shallow] [user_id]...`: brings the file
//! cache in line with the users' files. Every user and path is checked before anything is
//! scanned.

use std::path::PathBuf;
use std::time::Instant;

use occ_plugin_api::prelude::*;

use crate::scanner::{Options, Scanner};

/// The command.
pub struct Scan;

fn user_exists(ctx: &Context, uid: &str) -> Result<bool, Error> {
    Ok(ctx
        .service("user.exists", json!({ "uid": uid }))?
        .as_bool()
        .unwrap_or(false))
}

/// `/alice/files/Music` -> ("alice", Some("Music")); refuses `..`, `.` and paths outside `files`.
pub fn parse_path(raw: &str) -> Result<(String, Option<String>), Error> {
    let bad = || {
        Error::new(format!("Invalid path \"{}\": it must look like /<user>/files/<folder> and stay inside the data directory.", raw.escape_default()))
    };
    // Path::components would drop "." silently: look at the raw parts.
    if !raw.starts_with('/') || raw.split('/').any(|c| c == "." || c == "..") || raw.contains('\0')
    {
        return Err(bad());
    }
    let parts: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        [uid, "files", rest @ ..] => Ok((
            uid.to_string(),
            if rest.is_empty() {
                None
            } else {
                Some(rest.join("/"))
            },
        )),
        _ => Err(bad()),
    }
}

fn hms(secs: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

impl Command for Scan {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("files:scan", "Scans the filesystem for changes and updates the file cache accordingly.")
            .arg(Arg::optional("user_id", "Will rescan all files of the given user(s).").multiple())
            .opt(Opt::output_format())
            .opt(Opt::value("path", "Limit rescan to this path, e.g., --path=\"/alice/files/Music\", the user_id is determined by the path and the user_id parameter and --all are ignored.").short("p"))
            .opt(Opt::flag("all", "Will rescan all files of all known users."))
            .opt(Opt::flag("unscanned", "Only scan files which are marked as not fully scanned."))
            .opt(Opt::flag("shallow", "Do not scan folders recursively."))
    }

    fn run(&self, input: &Input, ctx: &mut Context) -> CmdResult {
        let datadir = PathBuf::from(ctx.instance()?.data_dir.unwrap_or_default());
        let mut targets: Vec<(String, Option<String>, bool)> = Vec::new();
        if let Some(raw) = input.opt_str("path") {
            let (uid, sub) = parse_path(&raw)?;
            if !user_exists(ctx, &uid)? {
                return Err(Error::new(format!("Unknown user {uid}")));
            }
            let full = datadir
                .join(&uid)
                .join("files")
                .join(sub.as_deref().unwrap_or(""));
            let inside = full
                .canonicalize()
                .ok()
                .zip(datadir.canonicalize().ok())
                .is_some_and(|(f, d)| f.starts_with(d));
            if !full.is_dir() || !inside {
                return Err(Error::new(format!(
                    "Path \"{raw}\" does not exist or is not a folder inside the data directory."
                )));
            }
            targets.push((uid, sub, true));
        } else if input.flag("all") {
            let all = ctx.service("user.list", json!({}))?;
            targets = all
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u.as_str())
                .map(|u| (u.to_string(), None, false))
                .collect();
        } else {
            let users = input.arg_list("user_id");
            if users.is_empty() {
                return Err(Error::usage("Please specify the user id to scan, \"--all\" to scan for all users or \"--path=...\""));
            }
            for uid in users {
                if !user_exists(ctx, &uid)? {
                    return Err(Error::new(format!("Unknown user {}", uid.escape_default())));
                }
                targets.push((uid, None, true));
            }
        }
        let json_out = matches!(
            input.opt_str("output").as_deref(),
            Some("json" | "json_pretty")
        );
        let n = targets.len();
        if !json_out {
            ctx.line("")?;
            ctx.line(&format!("Scanning files for {n} users"))?;
        }
        let started = Instant::now();
        let opts = Options {
            shallow: input.flag("shallow"),
            unscanned: input.flag("unscanned"),
        };
        let mut scanner = Scanner::new(ctx, opts)?;
        let mut missing_home = false;
        for (i, (uid, sub, named)) in targets.iter().enumerate() {
            if !json_out {
                ctx.line(&format!(
                    "Starting scan for user {} out of {n} ({uid})",
                    i + 1
                ))?;
            }
            let files = datadir.join(uid).join("files");
            if !files.is_dir() {
                ctx.message(&format!(
                    "User {uid} has no home folder yet ({}): nothing to scan",
                    files.display()
                ))?;
                missing_home |= *named;
                continue;
            }
            scanner.scan_user(uid, &datadir, sub.as_deref())?;
        }
        let stats = scanner.finish()?;
        ctx.progress_done()?;
        let elapsed = started.elapsed();
        let items = stats.folders + stats.files;
        let per_second = (items as f64 / elapsed.as_secs_f64().max(0.001)).round() as u64;
        if json_out {
            ctx.data(json!({
                "folders": stats.folders,
                "files": stats.files,
                "new": stats.new,
                "updated": stats.updated,
                "removed": stats.removed,
                "errors": stats.errors,
                "elapsed_seconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                "items_per_second": per_second,
            }))?;
        } else {
            ctx.line("")?;
            ctx.table(
                &[
                    "Folders",
                    "Files",
                    "New",
                    "Updated",
                    "Removed",
                    "Errors",
                    "Elapsed time",
                    "Items per second",
                ],
                vec![vec![
                    json!(stats.folders),
                    json!(stats.files),
                    json!(stats.new),
                    json!(stats.updated),
                    json!(stats.removed),
                    json!(stats.errors),
                    json!(hms(elapsed.as_secs())),
                    json!(per_second),
                ]],
            )?;
        }
        // Unlike ownCloud, a scan that could not read everything says so in its exit code.
        Ok(if stats.errors > 0 || missing_home {
            1
        } else {
            0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("/alice/files/Music").unwrap(),
            ("alice".into(), Some("Music".into()))
        );
        assert_eq!(parse_path("/alice/files/").unwrap(), ("alice".into(), None));
        assert!(parse_path("/alice/files/../../etc").is_err());
        assert!(parse_path("alice/files").is_err());
        assert!(parse_path("/alice/cache/x").is_err());
        assert!(parse_path("/alice/files/./x").is_err());
    }
}
