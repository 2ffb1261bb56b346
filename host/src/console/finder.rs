//! Command name resolution as Symfony's `Application::find`: exact names and aliases, unique
//! abbreviation of each `:`-part (`maint:mode`), and the "not defined" / "ambiguous" /
//! "no commands in namespace" errors with "Did you mean ...?" alternatives.

use std::collections::BTreeSet;

use crate::plugins::index::Command;

/// A resolution failure; the message is Symfony's.
#[derive(Debug, Clone, PartialEq)]
pub struct NotFound(pub String);

fn pattern_parts(name: &str) -> Vec<String> {
    name.split(':').map(str::to_string).collect()
}

/// `^a[^:]*:b[^:]*` — each part a prefix of the corresponding part; `exact` anchors the end.
fn matches(parts: &[String], candidate: &str, ci: bool, exact: bool) -> bool {
    let cparts: Vec<&str> = candidate.split(':').collect();
    if cparts.len() < parts.len() || (exact && cparts.len() != parts.len()) {
        return false;
    }
    parts.iter().zip(&cparts).all(|(p, c)| {
        if ci {
            c.to_lowercase().starts_with(&p.to_lowercase())
        } else {
            c.starts_with(p.as_str())
        }
    })
}

/// Every namespace (and parent namespace) of the given command names.
pub fn namespaces(names: &[String]) -> Vec<String> {
    let mut set = BTreeSet::new();
    for n in names {
        let parts: Vec<&str> = n.split(':').collect();
        for i in 1..parts.len() {
            set.insert(parts[..i].join(":"));
        }
    }
    set.into_iter().collect()
}

fn suggestions(prefix: &str, alts: &[String]) -> String {
    match alts.len() {
        0 => prefix.to_string(),
        1 => format!("{prefix}\n\nDid you mean this?\n    {}", alts[0]),
        _ => format!(
            "{prefix}\n\nDid you mean one of these?\n    {}",
            alts.join("\n    ")
        ),
    }
}

/// Symfony's `findAlternatives`: close names by Levenshtein distance per part and whole.
pub fn alternatives(name: &str, collection: &[String]) -> Vec<String> {
    const T: usize = 1000;
    let mut alts: std::collections::BTreeMap<String, i64> = Default::default();
    for (i, sub) in name.split(':').enumerate() {
        for item in collection {
            let parts: Vec<&str> = item.split(':').collect();
            let exists = alts.contains_key(item);
            let Some(part) = parts.get(i) else {
                if exists {
                    *alts.entry(item.clone()).or_default() += T as i64;
                }
                continue;
            };
            let lev = strsim::levenshtein(sub, part);
            if lev * 3 <= sub.len() || (!sub.is_empty() && part.contains(sub)) {
                *alts.entry(item.clone()).or_default() += lev as i64;
            } else if exists {
                *alts.entry(item.clone()).or_default() += T as i64;
            }
        }
    }
    for item in collection {
        let lev = strsim::levenshtein(name, item);
        if lev * 3 <= name.len() || item.contains(name) {
            match alts.get_mut(item) {
                Some(v) => *v -= lev as i64,
                None => {
                    alts.insert(item.clone(), lev as i64);
                }
            }
        }
    }
    let mut out: Vec<String> = alts
        .into_iter()
        .filter(|(_, v)| *v < 2 * T as i64)
        .map(|(k, _)| k)
        .collect();
    out.sort_by_key(|a| a.to_lowercase());
    out
}

/// Resolves a namespace the way `list <namespace>` and `find` do.
pub fn find_namespace(ns: &str, all_names: &[String]) -> Result<String, NotFound> {
    let all = namespaces(all_names);
    let parts = pattern_parts(ns);
    let found: Vec<&String> = all
        .iter()
        .filter(|n| matches(&parts, n, false, false))
        .collect();
    if found.is_empty() {
        let msg = format!("There are no commands defined in the \"{ns}\" namespace.");
        return Err(NotFound(suggestions(&msg, &alternatives(ns, &all))));
    }
    let exact = found.iter().any(|n| n.as_str() == ns);
    if found.len() > 1 && !exact {
        let list: Vec<String> = found.iter().map(|s| s.to_string()).collect();
        return Err(NotFound(format!(
            "The namespace \"{ns}\" is ambiguous.\nDid you mean one of these?\n    {}.",
            list.join("\n    ")
        )));
    }
    Ok(if exact {
        ns.to_string()
    } else {
        found[0].clone()
    })
}

/// Finds the canonical name for what the user typed among the commands' records (hidden ones
/// are found, never suggested).
pub fn find(name: &str, entries: &[&Command]) -> Result<String, NotFound> {
    for e in entries {
        if e.name == name || e.aliases.iter().any(|a| a == name) {
            return Ok(e.name.to_string());
        }
    }
    let all: Vec<String> = entries
        .iter()
        .flat_map(|e| std::iter::once(e.name.to_string()).chain(e.aliases.iter().cloned()))
        .collect();
    let parts = pattern_parts(name);
    let mut found: Vec<String> = all
        .iter()
        .filter(|c| matches(&parts, c, false, false))
        .cloned()
        .collect();
    if found.is_empty() {
        found = all
            .iter()
            .filter(|c| matches(&parts, c, true, false))
            .cloned()
            .collect();
    }
    if found.is_empty() || !found.iter().any(|c| matches(&parts, c, true, true)) {
        if let Some(pos) = name.rfind(':') {
            find_namespace(&name[..pos], &all)?;
        }
        let visible: Vec<String> = entries
            .iter()
            .filter(|e| !e.hidden)
            .flat_map(|e| std::iter::once(e.name.to_string()).chain(e.aliases.iter().cloned()))
            .collect();
        let msg = format!("Command \"{name}\" is not defined.");
        return Err(NotFound(suggestions(&msg, &alternatives(name, &visible))));
    }
    // Aliases of a command already on the list count once.
    let canonical = |n: &str| {
        entries
            .iter()
            .find(|e| e.name == n || e.aliases.iter().any(|a| a == n))
            .copied()
    };
    let mut uniq: Vec<&Command> = Vec::new();
    for n in &found {
        if let Some(e) = canonical(n) {
            if !uniq.iter().any(|u| u.name == e.name) {
                uniq.push(e);
            }
        }
    }
    // Only full matches of the last part compete when several match.
    if uniq.len() > 1 {
        let max = uniq
            .iter()
            .map(|e| e.name.chars().count())
            .max()
            .unwrap_or(0);
        let usable = super::shell::terminal_width().saturating_sub(10);
        let abbrevs: Vec<String> = uniq
            .iter()
            .filter(|e| !e.hidden)
            .map(|e| {
                let line = format!("{:<max$} {}", e.name, e.description);
                if line.chars().count() > usable {
                    let cut: String = line.chars().take(usable.saturating_sub(3)).collect();
                    format!("{cut}...")
                } else {
                    line
                }
            })
            .collect();
        return Err(NotFound(format!(
            "Command \"{name}\" is ambiguous.\nDid you mean one of these?\n    {}.",
            abbrevs.join("\n    ")
        )));
    }
    uniq.pop()
        .map(|e| e.name.to_string())
        .ok_or_else(|| NotFound(format!("Command \"{name}\" is not defined.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(n: &str, d: &str) -> Command {
        Command::record(&occ_plugin_api::CommandSpec::new(n, d))
    }

    fn records() -> Vec<Command> {
        vec![
            e("maintenance:mode", "Set maintenance mode."),
            e("maintenance:install", "Install."),
            e("user:report", "shows how many users have access"),
            e(
                "user:resetpassword",
                "Resets the password of the named user.",
            ),
            e("status", "Show status information."),
        ]
    }

    fn table() -> Vec<&'static Command> {
        records()
            .into_iter()
            .map(|c| &*Box::leak(Box::new(c)))
            .collect()
    }

    #[test]
    fn abbreviations() {
        assert_eq!(find("maint:mode", &table()).unwrap(), "maintenance:mode");
        assert_eq!(find("stat", &table()).unwrap(), "status");
    }

    #[test]
    fn ambiguous_matches_reference() {
        let err = find("user:re", &table()).unwrap_err().0;
        assert_eq!(
            err,
            "Command \"user:re\" is ambiguous.\nDid you mean one of these?\n    user:report        shows how many users have access\n    user:resetpassword Resets the password of the named user.."
        );
    }

    #[test]
    fn unknown_namespace() {
        assert_eq!(
            find("foo:bar", &table()).unwrap_err().0,
            "There are no commands defined in the \"foo\" namespace."
        );
        assert!(find("statsu", &table())
            .unwrap_err()
            .0
            .contains("Did you mean this?\n    status"));
    }
}
