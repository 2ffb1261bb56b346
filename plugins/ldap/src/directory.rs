//! Reading the directory: filters as ownCloud builds them (the search term escaped per RFC
//! 4515 by ldap3's `ldap_escape`, prefix matching), paged searches (Simple Paged Results,
//! so results past the server's size limit arrive), and entries mapped to ownCloud names in
//! `oc_ldap_user_mapping` / `oc_ldap_group_mapping` (by DN, then by UUID; a new entry gets
//! the username attribute's value, or its UUID, as ownCloud names it).

use std::collections::{HashMap, HashSet};

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
        .or_else(|| {
            // Binary values (Active Directory's objectGUID) arrive apart from the text ones.
            let bytes = entry
                .bin_attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(attr))
                .and_then(|(_, v)| v.first())?;
            guid_text(bytes)
        })
}

/// A binary GUID as ownCloud writes it (its `convertObjectGUID2Str`): the first three groups
/// byte-reversed, upper-case hex, `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`.
fn guid_text(b: &[u8]) -> Option<String> {
    if b.len() != 16 {
        return None;
    }
    let hex = |r: &[u8]| r.iter().map(|x| format!("{x:02X}")).collect::<String>();
    let rev = |r: &[u8]| hex(&r.iter().rev().copied().collect::<Vec<_>>());
    Some(format!(
        "{}-{}-{}-{}-{}",
        rev(&b[0..4]),
        rev(&b[4..6]),
        rev(&b[6..8]),
        hex(&b[8..10]),
        hex(&b[10..16])
    ))
}

/// A UUID as a filter value for its attribute: a GUID in ownCloud's text form goes back to
/// its bytes, each escaped (`\hh`), for the binary attributes; others are escaped text.
fn uuid_value(attr: &str, uuid: &str) -> String {
    let binary = attr.eq_ignore_ascii_case("objectguid") || attr.eq_ignore_ascii_case("guid");
    let hex: String = uuid.chars().filter(|c| *c != '-').collect();
    if binary && hex.len() == 32 && hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        let byte = |i: usize| hex.get(2 * i..2 * i + 2).unwrap_or("00").to_string();
        let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
        return order.iter().map(|&i| format!("\\{}", byte(i))).collect();
    }
    ldap_escape(uuid).into_owned()
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
        // A base that is not there (32) is an error too: a listing that feeds removals must
        // never take a missing base for an empty one.
        let done = stream.result();
        if done.rc != 0 {
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

/// Entries to ownCloud names for one mapping table: its rows read once (by DN and by UUID),
/// new mappings written together at the end ([`Mapper::finish`]), in one transaction.
struct Mapper {
    kind: &'static Kind,
    by_dn: HashMap<String, String>,
    by_uuid: HashMap<String, String>,
    taken: Option<HashSet<String>>,
    names: HashSet<String>,
    new: Vec<(String, String, String)>,
}

impl Mapper {
    fn load(db: &Db<'_>, kind: &'static Kind) -> Result<Mapper, Error> {
        #[derive(serde::Deserialize)]
        struct Row {
            owncloud_name: String,
            ldap_dn: String,
            directory_uuid: String,
        }
        let rows: Vec<Row> = db.query_as(
            &format!(
                "SELECT owncloud_name, ldap_dn, directory_uuid FROM *PREFIX*{}",
                kind.table
            ),
            &[],
        )?;
        let mut m = Mapper {
            kind,
            by_dn: HashMap::with_capacity(rows.len()),
            by_uuid: HashMap::with_capacity(rows.len()),
            taken: None,
            names: HashSet::with_capacity(rows.len()),
            new: Vec::new(),
        };
        for r in rows {
            m.names.insert(r.owncloud_name.to_lowercase());
            m.by_dn.insert(r.ldap_dn, r.owncloud_name.clone());
            m.by_uuid.insert(r.directory_uuid, r.owncloud_name);
        }
        Ok(m)
    }

    /// The names another backend's accounts hold (lower-cased), read once when needed.
    fn taken(&mut self, db: &Db<'_>) -> Result<&HashSet<String>, Error> {
        if self.taken.is_none() {
            #[derive(serde::Deserialize)]
            struct U {
                uid: String,
            }
            // Core's users, and other backends' accounts.
            let users: Vec<U> = db.query_as(
                "SELECT uid FROM *PREFIX*users UNION SELECT lower_user_id AS uid FROM *PREFIX*accounts WHERE backend <> ?",
                &[json!(crate::BACKEND)],
            )?;
            self.taken = Some(users.into_iter().map(|u| u.uid.to_lowercase()).collect());
        }
        Ok(self.taken.get_or_insert_with(HashSet::new))
    }

    /// The ownCloud name of an entry, mapping it if it is new (`None`: not mappable, or its
    /// name belongs to an account of another backend).
    fn name(
        &mut self,
        db: &Db<'_>,
        c: &mut Config,
        e: &SearchEntry,
    ) -> Result<Option<String>, Error> {
        let dn = e.dn.to_lowercase();
        if let Some(n) = self.by_dn.get(&dn) {
            return Ok(Some(n.clone()));
        }
        // The configured UUID attribute first (as `presence` reads it), then ownCloud's.
        let configured = c.get(if self.kind.table == USERS.table {
            "ldapExpertUUIDUserAttr"
        } else {
            "ldapExpertUUIDGroupAttr"
        });
        let Some((uuid_attr, uuid)) = std::iter::once(configured.as_str())
            .filter(|a| !a.is_empty())
            .chain(UUID_ATTRS.iter().copied())
            .find_map(|a| first(e, a).map(|v| (a.to_string(), v)))
        else {
            return Ok(None);
        };
        if let Some(n) = self.by_uuid.get(&uuid).cloned() {
            // Renamed or moved in the directory: the same account, at its new DN.
            db.execute(
                &format!(
                    "UPDATE *PREFIX*{} SET ldap_dn = ? WHERE directory_uuid = ?",
                    self.kind.table
                ),
                &[json!(dn), json!(uuid)],
            )?;
            self.by_dn.insert(dn, n.clone());
            return Ok(Some(n));
        }
        let attr = c.get(self.kind.name_attr);
        let name = if attr.is_empty() {
            uuid.clone()
        } else {
            match first(e, &attr) {
                Some(v) => sanitize(&v),
                None => return Ok(None),
            }
        };
        // A name that is no valid user name (`.`, `..`, over 64 characters), or one another
        // entry is mapped to already, in any case (ownCloud would number it; occ leaves the
        // entry unmapped).
        if name.is_empty()
            || name == "."
            || name == ".."
            || name.chars().count() > 64
            || self.names.contains(&name.to_lowercase())
        {
            return Ok(None);
        }
        if self.kind.table == USERS.table {
            if self.taken(db)?.contains(&name.to_lowercase()) {
                return Ok(None);
            }
            if c.get("ldapExpertUUIDUserAttr").is_empty() {
                // ownCloud records the UUID attribute it detected.
                if let Some(k) = config::key("ldapExpertUUIDUserAttr") {
                    c.set(k, &uuid_attr);
                    c.save(db)?;
                }
            }
        }
        self.by_dn.insert(dn.clone(), name.clone());
        self.by_uuid.insert(uuid.clone(), name.clone());
        self.names.insert(name.to_lowercase());
        self.new.push((name.clone(), dn, uuid));
        Ok(Some(name))
    }

    /// Writes the new mappings.
    fn finish(self, db: &Db<'_>) -> Result<(), Error> {
        if self.new.is_empty() {
            return Ok(());
        }
        let tx = db.begin()?;
        tx.execute_many_of(
            &format!(
                "INSERT INTO *PREFIX*{} (owncloud_name, ldap_dn, directory_uuid) VALUES (?, ?, ?)",
                self.kind.table
            ),
            &self.new,
        )?;
        tx.commit()
    }
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
    let mut seen = HashSet::new();
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
        let mut attrs = uuid_attrs(&c);
        attrs.push(display.clone());
        let name_attr = c.get(kind.name_attr);
        if !name_attr.is_empty() {
            attrs.push(name_attr);
        }
        let entries = paged(&mut ldap, &bases, &filter, &attrs, page)?;
        let _ = ldap.unbind();
        let mut mapper = Mapper::load(db, kind)?;
        for e in entries {
            let Some(name) = mapper.name(db, &mut c, &e)? else {
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
        mapper.finish(db)?;
    }
    Ok(lines
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect())
}

/// A directory user as `user:sync` takes it from the `ldap.user_backend` service.
#[derive(serde::Serialize)]
pub struct BackendUser {
    /// The ownCloud user name (mapped).
    pub uid: String,
    /// The display name attribute's value (the name without one).
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// The email attribute's value.
    pub email: Option<String>,
    /// The quota attribute's value, else the configured default.
    pub quota: Option<String>,
}

/// The users of every active configuration (with `only`, just the one mapped to that name or
/// whose username attribute has that value), mapped, by name.
pub fn users(ctx: &Context, db: &Db<'_>, only: Option<&str>) -> Result<Vec<BackendUser>, Error> {
    let mut out: Vec<BackendUser> = Vec::new();
    let mut seen = HashSet::new();
    for id in config::ids(db, true)? {
        let mut c = Config::read(db, &id)?;
        warn_cert_check(ctx, &c)?;
        let display = c.get("ldapUserDisplayName");
        let (email_attr, quota_attr) = (c.get("ldapEmailAttribute"), c.get("ldapQuotaAttribute"));
        let name_attr = c.get("ldapExpertUsernameAttr");
        let mut parts = vec![c.get("ldapUserFilter"), format!("{display}=*")];
        let mut mapper = Mapper::load(db, &USERS)?;
        let mut bases = user_bases(&c);
        let mut scope_base = false;
        if let Some(uid) = only {
            // A mapped user is read at its DN; another by its username attribute.
            match mapper.by_dn.iter().find(|(_, n)| n.as_str() == uid) {
                Some((dn, _)) => {
                    bases = vec![dn.clone()];
                    scope_base = true;
                }
                None if !name_attr.is_empty() => {
                    parts.push(format!("({name_attr}={})", ldap_escape(uid)))
                }
                None => continue,
            }
        }
        let filter = and(&parts);
        let mut attrs = uuid_attrs(&c);
        for a in [&display, &email_attr, &quota_attr, &name_attr] {
            if !a.is_empty() {
                attrs.push(a.clone());
            }
        }
        let mut ldap = conn::connect(&c).map_err(|f| Error::new(f.message()))?;
        let entries = if scope_base {
            match ldap.search(&bases[0], Scope::Base, &filter, attrs.clone()) {
                Ok(r) if r.1.rc == 0 => r.0.into_iter().map(SearchEntry::construct).collect(),
                Ok(r) if r.1.rc == 32 => {
                    // Renamed or moved: found again by its UUID (the mapping then follows).
                    let uuid = mapper
                        .by_uuid
                        .iter()
                        .find(|(_, n)| Some(n.as_str()) == only)
                        .map(|(u, _)| u.clone())
                        .unwrap_or_default();
                    let attr = match c.get("ldapExpertUUIDUserAttr") {
                        a if a.is_empty() => "entryuuid".to_string(),
                        a => a,
                    };
                    let f = format!("(&{filter}({attr}={}))", uuid_value(&attr, &uuid));
                    paged(&mut ldap, &user_bases(&c), &f, &attrs, 10)?
                }
                Ok(r) => {
                    return Err(Error::new(format!(
                        "LDAP read of \"{}\" failed: {} ({})",
                        bases[0], r.1.text, r.1.rc
                    )))
                }
                Err(e) => {
                    return Err(Error::new(format!(
                        "LDAP read of \"{}\" failed: {e}",
                        bases[0]
                    )))
                }
            }
        } else {
            let page = c.get("ldapPagingSize").trim().parse::<i32>().unwrap_or(500);
            paged(&mut ldap, &bases, &filter, &attrs, page)?
        };
        let _ = ldap.unbind();
        let quota_default = c.get("ldapQuotaDefault");
        for e in entries {
            let Some(uid) = mapper.name(db, &mut c, &e)? else {
                continue;
            };
            if only.is_some_and(|o| o != uid) || !seen.insert(uid.clone()) {
                continue;
            }
            let value = |a: &str| {
                (!a.is_empty())
                    .then(|| first(&e, a))
                    .flatten()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            out.push(BackendUser {
                display_name: value(&display).unwrap_or_else(|| uid.clone()),
                email: value(&email_attr),
                quota: value(&quota_attr)
                    .or_else(|| (!quota_default.is_empty()).then(|| quota_default.clone())),
                uid,
            });
        }
        mapper.finish(db)?;
    }
    out.sort_by(|a, b| a.uid.cmp(&b.uid));
    Ok(out)
}

/// Forgets a user's mapping (its account was removed).
pub fn unmap(db: &Db<'_>, uid: &str) -> Result<(), Error> {
    db.execute(
        "DELETE FROM *PREFIX*ldap_user_mapping WHERE owncloud_name = ?",
        &[json!(uid)],
    )?;
    db.execute(
        "DELETE FROM *PREFIX*preferences WHERE userid = ? AND appid = ?",
        &[json!(uid), json!(config::APP)],
    )?;
    Ok(())
}

/// The groups of every active configuration whose names contain `pattern`
/// (case-insensitive), mapped, in the server's order.
pub fn groups(ctx: &Context, db: &Db<'_>, pattern: &str) -> Result<Vec<String>, Error> {
    let all = search(ctx, db, "", true, 0, None)?;
    let needle = pattern.to_lowercase();
    Ok(all
        .into_iter()
        .filter(|g| g.to_lowercase().contains(&needle))
        .collect())
}

/// The members of mapped group `gid` (user names, mapped as found; members outside the user
/// bases or the user filter left out), or `None` when it is not an LDAP group.
pub fn members(ctx: &Context, db: &Db<'_>, gid: &str) -> Result<Option<Vec<String>>, Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        ldap_dn: String,
    }
    let rows: Vec<Row> = db.query_as(
        "SELECT ldap_dn FROM *PREFIX*ldap_group_mapping WHERE owncloud_name = ?",
        &[json!(gid)],
    )?;
    let Some(group) = rows.into_iter().next() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for id in config::ids(db, true)? {
        let mut c = Config::read(db, &id)?;
        warn_cert_check(ctx, &c)?;
        let assoc = c.get("ldapGroupMemberAssocAttr");
        let mut ldap = conn::connect(&c).map_err(|f| Error::new(f.message()))?;
        let r = ldap
            .search(
                &group.ldap_dn,
                Scope::Base,
                "(objectClass=*)",
                vec![assoc.as_str()],
            )
            .map_err(|e| Error::new(format!("LDAP read of \"{}\" failed: {e}", group.ldap_dn)))?;
        let Some(entry) = r.0.into_iter().next().map(SearchEntry::construct) else {
            continue;
        };
        let values: Vec<String> = entry
            .attrs
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(&assoc))
            .flat_map(|(_, v)| v.clone())
            .collect();
        let display = c.get("ldapUserDisplayName");
        let user_filter = and(&[c.get("ldapUserFilter"), format!("{display}=*")]);
        let mut attrs = uuid_attrs(&c);
        let name_attr = c.get("ldapExpertUsernameAttr");
        if !name_attr.is_empty() {
            attrs.push(name_attr.clone());
        }
        let bases: Vec<String> = user_bases(&c).iter().map(|b| b.to_lowercase()).collect();
        let mut mapper = Mapper::load(db, &USERS)?;
        for v in values {
            // memberUid holds user names; member and uniqueMember hold DNs.
            let found = if assoc.eq_ignore_ascii_case("memberUid") {
                if name_attr.is_empty() {
                    continue;
                }
                let f = format!("(&{user_filter}({name_attr}={}))", ldap_escape(v.as_str()));
                paged(&mut ldap, &user_bases(&c), &f, &attrs, 10)?
            } else {
                let dn = v.to_lowercase();
                if !bases.iter().any(|b| dn.ends_with(b.as_str())) {
                    continue;
                }
                if let Some(n) = mapper.by_dn.get(&dn) {
                    out.push(n.clone());
                    continue;
                }
                match ldap.search(&v, Scope::Base, &user_filter, attrs.clone()) {
                    Ok(r) if r.1.rc == 0 => r.0.into_iter().map(SearchEntry::construct).collect(),
                    _ => Vec::new(),
                }
            };
            for e in found {
                if let Some(n) = mapper.name(db, &mut c, &e)? {
                    out.push(n);
                }
            }
        }
        mapper.finish(db)?;
        let _ = ldap.unbind();
    }
    out.sort();
    out.dedup();
    Ok(Some(out))
}

/// The attributes that may carry an entry's UUID: the configured ones, then ownCloud's.
fn uuid_attrs(c: &Config) -> Vec<String> {
    ["ldapExpertUUIDUserAttr", "ldapExpertUUIDGroupAttr"]
        .iter()
        .map(|k| c.get(k))
        .filter(|a| !a.is_empty())
        .chain(UUID_ATTRS.iter().map(|a| a.to_string()))
        .collect()
}

/// Where a mapped user stands in the directory.
pub enum Presence {
    /// Not a mapped LDAP user.
    Unknown,
    /// Still in the directory (at its mapped DN, or found again by its UUID and remapped).
    Present,
    /// Gone from the directory (recorded as a remnant).
    Gone,
}

/// Whether mapped user `uid` is still in the directory of the active configurations (all of
/// them with `all`): a base read of its DN with the user filter, else a search for its UUID
/// under the user bases (a user renamed or moved keeps its account: the mapping follows).
/// A user found gone is recorded as a remnant, with the time (ownCloud's `isDeleted`
/// preference, and `foundDeleted`).
pub fn presence(db: &Db<'_>, uid: &str, all: bool) -> Result<Presence, Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        ldap_dn: String,
        directory_uuid: String,
    }
    let rows: Vec<Row> = db.query_as(
        "SELECT ldap_dn, directory_uuid FROM *PREFIX*ldap_user_mapping WHERE owncloud_name = ?",
        &[json!(uid)],
    )?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(Presence::Unknown);
    };
    let ids = config::ids(db, !all)?;
    if ids.is_empty() {
        return Err(Error::new(
            "There is no LDAP configuration to check against.",
        ));
    }
    for id in ids {
        let c = Config::read(db, &id)?;
        let mut ldap = conn::connect(&c).map_err(|f| Error::new(f.message()))?;
        let filter = and(&[c.get("ldapUserFilter")]);
        let filter = if filter == "(&)" {
            "(objectClass=*)".to_string()
        } else {
            filter
        };
        let at_dn = ldap
            .search(&row.ldap_dn, Scope::Base, &filter, vec!["1.1"])
            .map_err(|e| Error::new(format!("LDAP read of \"{}\" failed: {e}", row.ldap_dn)))?;
        if at_dn.1.rc == 0 && !at_dn.0.is_empty() {
            return Ok(Presence::Present);
        }
        if at_dn.1.rc != 0 && at_dn.1.rc != 32 {
            // Busy, no access, a limit: no answer, so nothing is recorded.
            return Err(Error::new(format!(
                "LDAP read of \"{}\" failed: {} ({})",
                row.ldap_dn, at_dn.1.text, at_dn.1.rc
            )));
        }
        let attr = match c.get("ldapExpertUUIDUserAttr") {
            a if a.is_empty() => "entryuuid".to_string(),
            a => a,
        };
        let by_uuid = format!(
            "(&{filter}({attr}={}))",
            uuid_value(&attr, &row.directory_uuid)
        );
        let found = paged(
            &mut ldap,
            &user_bases(&c),
            &by_uuid,
            &["1.1".to_string()],
            10,
        )?;
        if let Some(e) = found.first() {
            db.execute(
                "UPDATE *PREFIX*ldap_user_mapping SET ldap_dn = ? WHERE owncloud_name = ?",
                &[json!(e.dn.to_lowercase()), json!(uid)],
            )?;
            return Ok(Presence::Present);
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let tx = db.begin()?;
    for (key, value) in [
        ("isDeleted", "1".to_string()),
        ("foundDeleted", now.to_string()),
    ] {
        if key == "foundDeleted" {
            // The first detection's time stays.
            tx.execute(
                "INSERT INTO *PREFIX*preferences (userid, appid, configkey, configvalue) VALUES (?, ?, ?, ?) ON CONFLICT (userid, appid, configkey) DO NOTHING",
                &[json!(uid), json!(config::APP), json!(key), json!(value)],
            )?;
        } else {
            tx.execute(
                "INSERT INTO *PREFIX*preferences (userid, appid, configkey, configvalue) VALUES (?, ?, ?, ?) ON CONFLICT (userid, appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
                &[json!(uid), json!(config::APP), json!(key), json!(value)],
            )?;
        }
    }
    tx.commit()?;
    Ok(Presence::Gone)
}

/// A mapped user no longer in the directory, as `ldap:show-remnants` lists it.
#[derive(serde::Serialize)]
pub struct Remnant {
    /// The ownCloud user name.
    #[serde(rename = "ocName")]
    pub uid: String,
    /// The account's display name (the user name without an account).
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// The DN it was mapped to.
    pub dn: String,
    /// When it was first found gone (UTC, RFC 3339).
    #[serde(rename = "detectedOn")]
    pub detected: String,
}

/// The remnants: mapped users recorded as gone, by name.
pub fn remnants(db: &Db<'_>) -> Result<Vec<Remnant>, Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        owncloud_name: String,
        ldap_dn: String,
        display_name: Option<String>,
        found: Option<String>,
    }
    let rows: Vec<Row> = db.query_as(
        "SELECT m.owncloud_name, m.ldap_dn, a.display_name, f.configvalue AS found FROM *PREFIX*ldap_user_mapping m JOIN *PREFIX*preferences d ON d.userid = m.owncloud_name AND d.appid = ? AND d.configkey = 'isDeleted' AND d.configvalue = '1' LEFT JOIN *PREFIX*preferences f ON f.userid = m.owncloud_name AND f.appid = ? AND f.configkey = 'foundDeleted' LEFT JOIN *PREFIX*accounts a ON a.user_id = m.owncloud_name ORDER BY m.owncloud_name",
        &[json!(config::APP), json!(config::APP)],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Remnant {
            display_name: r
                .display_name
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| r.owncloud_name.clone()),
            detected: r
                .found
                .and_then(|f| f.trim().parse::<i64>().ok())
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default(),
            uid: r.owncloud_name,
            dn: r.ldap_dn,
        })
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
    fn guids_read_and_search_as_owncloud_writes_them() {
        let bytes: Vec<u8> = (0u8..16).collect();
        let text = guid_text(&bytes).unwrap();
        assert_eq!(text, "03020100-0504-0706-0809-0A0B0C0D0E0F");
        assert_eq!(
            uuid_value("objectGUID", &text),
            "\\00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0A\\0B\\0C\\0D\\0E\\0F"
        );
        assert_eq!(uuid_value("entryuuid", "a*b"), "a\\2ab");
        assert_eq!(guid_text(&[1, 2]), None);
    }

    #[test]
    fn names_are_sanitized_as_owncloud_does() {
        assert_eq!(sanitize(" Jo Doe!x@y "), "Jo_Doex@y");
    }
}
