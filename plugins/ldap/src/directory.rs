//! Reading the directory: filters as ownCloud builds them (the search term escaped per RFC
//! 4515 by ldap3's `ldap_escape`, prefix matching), paged searches (Simple Paged Results,
//! so results past the server's size limit arrive), and entries mapped to ownCloud names in
//! `oc_ldap_user_mapping` / `oc_ldap_group_mapping` (by DN, then by UUID; a new entry gets
//! the username attribute's value, or its UUID, as ownCloud names it).

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{ldap_escape, LdapConn, Scope, SearchEntry};
use occ_plugin_api::prelude::*;
use occ_plugin_api::Db;
use serde_json::json;

use crate::config::{self, Config};
use crate::conn;

/// The attributes that carry an entry's UUID, in the order ownCloud tries them.
const UUID_ATTRS: &[&str] = &[
    "entryuuid",
    "nsuniqueid",
    "objectguid",
    "guid",
    "ipauniqueid",
];

/// Warns on every command that connects when certificates are not checked.
pub fn warn_cert_check(ctx: &Context, c: &Config) -> Result<(), Error> {
    if c.get("turnOffCertCheck") == "1" {
        ctx.message(&format!(
                "Warning: configuration {} does not check the LDAP server's TLS certificate (turnOffCertCheck).",
            c.id
        ))?;
    }
    Ok(())
}

/// Every base DN of a configuration (users' and groups' bases fall back to the base).
pub fn all_bases(c: &Config) -> Vec<String> {
    let mut all = c.list("ldapBase");
    for b in user_bases(c).into_iter().chain(group_bases(c)) {
        if !all.contains(&b) {
            all.push(b);
        }
    }
    all
}

fn user_bases(c: &Config) -> Vec<String> {
    let b = c.list("ldapBaseUsers");
    if b.is_empty() {
        c.list("ldapBase")
    } else {
        b
    }
}

fn group_bases(c: &Config) -> Vec<String> {
    let b = c.list("ldapBaseGroups");
    if b.is_empty() {
        c.list("ldapBase")
    } else {
        b
    }
}

/// Whether a base DN exists (an error line naming it when it does not).
pub fn base_exists(ldap: &mut LdapConn, base: &str) -> Result<(), String> {
    match ldap.search(base, Scope::Base, "(objectClass=*)", vec!["1.1"]) {
        Ok(r) if r.1.rc == 0 => Ok(()),
        Ok(r) if r.1.rc == 32 => Err(format!(
            "The base DN \"{base}\" does not exist on the LDAP server."
        )),
        Ok(r) => Err(format!(
            "The base DN \"{base}\" cannot be read: {} ({}).",
            r.1.text, r.1.rc
        )),
        Err(e) => Err(format!("The base DN \"{base}\" cannot be read: {e}.")),
    }
}

/// `(&a(b)...)` of the parts that are not empty, each in parentheses.
fn and(parts: &[String]) -> String {
    let parts: Vec<String> = parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with('(') {
                p.clone()
            } else {
                format!("({p})")
            }
        })
        .collect();
    format!("(&{})", parts.concat())
}

/// The search term as a filter value: escaped (a leading `*` stays a wildcard, as in
/// ownCloud), then matched as a prefix; empty matches everything.
fn term_value(term: &str) -> String {
    if term.is_empty() {
        return "*".into();
    }
    let (lead, rest) = match term.strip_prefix('*') {
        Some(rest) => ("*", rest),
        None => ("", term),
    };
    format!("{lead}{}*", ldap_escape(rest))
}

/// The part of a filter that matches the term in the search attributes (or the display
/// name attribute when none are set).
fn term_part(attrs: Vec<String>, fallback: &str, term: &str) -> String {
    let attrs = if attrs.is_empty() {
        vec![fallback.to_string()]
    } else {
        attrs
    };
    let value = term_value(term);
    let parts: Vec<String> = attrs
        .iter()
        .filter(|a| !a.is_empty())
        .map(|a| format!("({a}={value})"))
        .collect();
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        _ => format!("(|{})", parts.concat()),
    }
}

fn first(entry: &SearchEntry, attr: &str) -> Option<String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .and_then(|(_, v)| v.first().cloned())
}

/// Entries of a paged subtree search under each base, in the server's order.
fn paged(
    ldap: &mut LdapConn,
    bases: &[String],
    filter: &str,
    attrs: &[String],
    page: i32,
) -> Result<Vec<SearchEntry>, Error> {
    let mut out = Vec::new();
    for base in bases {
        let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(page.max(1))),
        ];
        let mut stream = ldap
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs.to_vec())
            .map_err(|e| Error::new(format!("LDAP search under \"{base}\" failed: {e}")))?;
        while let Some(entry) = stream
            .next()
            .map_err(|e| Error::new(format!("LDAP search under \"{base}\" failed: {e}")))?
        {
            out.push(SearchEntry::construct(entry));
        }
        let done = stream.result();
        if done.rc != 0 && done.rc != 32 {
            return Err(Error::new(format!(
                "LDAP search under \"{base}\" failed: {} ({})",
                done.text, done.rc
            )));
        }
    }
    Ok(out)
}

/// Which mapping table, and what names an entry there.
struct Kind {
    table: &'static str,
    name_attr: &'static str,
}

const USERS: Kind = Kind {
    table: "ldap_user_mapping",
    name_attr: "ldapExpertUsernameAttr",
};
const GROUPS: Kind = Kind {
    table: "ldap_group_mapping",
    name_attr: "ldapExpertGroupnameAttr",
};

/// A name as ownCloud makes it from an attribute: spaces as `_`, only `a-zA-Z0-9+_.@-`.
fn sanitize(name: &str) -> String {
    name.trim()
        .replace(' ', "_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+_.@-".contains(*c))
        .collect()
}

/// The ownCloud name of an entry, mapping it first if it is new (`None`: not mappable, or
/// its name belongs to an account of another backend).
fn map_entry(
    db: &Db<'_>,
    c: &mut Config,
    kind: &Kind,
    e: &SearchEntry,
) -> Result<Option<String>, Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        owncloud_name: String,
    }
    let dn = e.dn.to_lowercase();
    let by_dn: Vec<Row> = db.query_as(
        &format!(
            "SELECT owncloud_name FROM *PREFIX*{} WHERE ldap_dn = ?",
            kind.table
        ),
        &[json!(dn)],
    )?;
    if let Some(r) = by_dn.into_iter().next() {
        return Ok(Some(r.owncloud_name));
    }
    let Some((uuid_attr, uuid)) = UUID_ATTRS.iter().find_map(|a| first(e, a).map(|v| (*a, v)))
    else {
        return Ok(None);
    };
    let by_uuid: Vec<Row> = db.query_as(
        &format!(
            "SELECT owncloud_name FROM *PREFIX*{} WHERE directory_uuid = ?",
            kind.table
        ),
        &[json!(uuid)],
    )?;
    if let Some(r) = by_uuid.into_iter().next() {
        // Renamed or moved in the directory: the same account, at its new DN.
        db.execute(
            &format!(
                "UPDATE *PREFIX*{} SET ldap_dn = ? WHERE directory_uuid = ?",
                kind.table
            ),
            &[json!(dn), json!(uuid)],
        )?;
        return Ok(Some(r.owncloud_name));
    }
    let attr = c.get(kind.name_attr);
    let name = if attr.is_empty() {
        uuid.clone()
    } else {
        match first(e, &attr) {
            Some(v) => sanitize(&v),
            None => return Ok(None),
        }
    };
    if name.is_empty() {
        return Ok(None);
    }
    if kind.table == USERS.table {
        let local: Vec<Row> = db.query_as(
            "SELECT uid AS owncloud_name FROM *PREFIX*users WHERE LOWER(uid) = LOWER(?)",
            &[json!(name)],
        )?;
        if !local.is_empty() {
            return Ok(None);
        }
        if c.get("ldapExpertUUIDUserAttr").is_empty() {
            // ownCloud records the UUID attribute it detected.
            if let Some(k) = config::key("ldapExpertUUIDUserAttr") {
                c.set(k, uuid_attr);
                c.save(db)?;
            }
        }
    }
    db.execute(
        &format!(
            "INSERT INTO *PREFIX*{} (owncloud_name, ldap_dn, directory_uuid) VALUES (?, ?, ?)",
            kind.table
        ),
        &[json!(name), json!(dn), json!(uuid)],
    )?;
    Ok(Some(name))
}

/// `ldap:search`: the lines to print (`Display Name (uid)` for users, the group's name for
/// groups) from every active configuration, in the server's order.
pub fn search(
    ctx: &Context,
    db: &Db<'_>,
    term: &str,
    groups: bool,
    offset: usize,
    limit: Option<usize>,
) -> Result<Vec<String>, Error> {
    let mut lines: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in config::ids(db, true)? {
        let mut c = Config::read(db, &id)?;
        warn_cert_check(ctx, &c)?;
        let mut ldap = conn::connect(&c).map_err(|f| Error::new(f.message()))?;
        let page = c.get("ldapPagingSize").trim().parse::<i32>().unwrap_or(500);
        let (kind, filter, bases, display) = if groups {
            let display = c.get("ldapGroupDisplayName");
            let part = term_part(c.list("ldapAttributesForGroupSearch"), &display, term);
            (
                &GROUPS,
                and(&[c.get("ldapGroupFilter"), part]),
                group_bases(&c),
                display,
            )
        } else {
            let display = c.get("ldapUserDisplayName");
            let part = term_part(c.list("ldapAttributesForUserSearch"), &display, term);
            (
                &USERS,
                and(&[c.get("ldapUserFilter"), format!("{display}=*"), part]),
                user_bases(&c),
                display,
            )
        };
        let mut attrs: Vec<String> = UUID_ATTRS.iter().map(|a| a.to_string()).collect();
        attrs.push(display.clone());
        let name_attr = c.get(kind.name_attr);
        if !name_attr.is_empty() {
            attrs.push(name_attr);
        }
        let entries = paged(&mut ldap, &bases, &filter, &attrs, page)?;
        let _ = ldap.unbind();
        for e in entries {
            let Some(name) = map_entry(db, &mut c, kind, &e)? else {
                continue;
            };
            if !seen.insert(name.clone()) {
                continue;
            }
            lines.push(if groups {
                name
            } else {
                let shown = first(&e, &display)
                    .map(|d| d.trim().to_string())
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| name.clone());
                format!("{shown} ({name})")
            });
        }
    }
    Ok(lines
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_built_as_owncloud_builds_them() {
        assert_eq!(
            and(&[
                "(objectclass=inetOrgPerson)".into(),
                "displayName=*".into(),
                term_part(vec![], "displayName", "rob"),
            ]),
            "(&(objectclass=inetOrgPerson)(displayName=*)(displayName=rob*))"
        );
        assert_eq!(term_part(vec![], "cn", ""), "(cn=*)");
        assert_eq!(
            term_part(vec!["uid".into(), "mail".into()], "cn", "a"),
            "(|(uid=a*)(mail=a*))"
        );
    }

    #[test]
    fn the_term_cannot_change_the_filter() {
        assert_eq!(term_value("*)(uid=*"), "*\\29\\28uid=\\2a*");
        assert_eq!(term_value("a\\b\0"), "a\\5cb\\00*");
    }

    #[test]
    fn names_are_sanitized_as_owncloud_does() {
        assert_eq!(sanitize(" Jo Doe!x@y "), "Jo_Doex@y");
    }
}
