//! LDAP server configurations, stored where ownCloud's user_ldap stores them: app `user_ldap`
//! in `oc_appconfig`, one row per key named `<configID><dbkey>` (`s01ldap_host`), values as
//! strings, multi-value keys joined by newlines, the agent password in base64. A
//! configuration exists when its `ldap_configuration_active` row does. The key names, defaults
//! and order are user_ldap 0.19.1's, so ownCloud and occ read each other's configurations.

use std::collections::BTreeMap;

use base64::Engine as _;
use occ_plugin_api::prelude::*;
use occ_plugin_api::Db;
use serde_json::json;

/// The app id the configuration rows belong to.
pub const APP: &str = "user_ldap";

/// The key whose row marks a configuration as existing.
const ACTIVE: &str = "ldap_configuration_active";

/// One configuration key: the name `ldap:show-config` shows, the stored key (none for the four
/// keys ownCloud never stores), its default, and whether it holds several values.
pub struct Key {
    /// The name shown and taken by `ldap:set-config` (`ldapHost`).
    pub name: &'static str,
    /// The stored key after the configID (`ldap_host`).
    pub db: Option<&'static str>,
    /// The default stored value.
    pub default: &'static str,
    /// Several values: set split on `;` and newlines, stored joined by newlines.
    pub multi: bool,
}

const fn k(name: &'static str, db: &'static str, default: &'static str) -> Key {
    Key {
        name,
        db: Some(db),
        default,
        multi: false,
    }
}

const fn m(name: &'static str, db: &'static str) -> Key {
    Key {
        name,
        db: Some(db),
        default: "",
        multi: true,
    }
}

const fn unstored(name: &'static str) -> Key {
    Key {
        name,
        db: None,
        default: "",
        multi: false,
    }
}

/// Every key, in the order ownCloud writes them (its rows' order in `oc_appconfig`).
pub const KEYS: &[Key] = &[
    k("ldapHost", "ldap_host", ""),
    k("ldapPort", "ldap_port", ""),
    k("ldapBackupHost", "ldap_backup_host", ""),
    k("ldapBackupPort", "ldap_backup_port", ""),
    m("ldapBase", "ldap_base"),
    m("ldapBaseUsers", "ldap_base_users"),
    m("ldapBaseGroups", "ldap_base_groups"),
    k("ldapAgentName", "ldap_dn", ""),
    k("ldapAgentPassword", "ldap_agent_password", ""),
    k("ldapTLS", "ldap_tls", "0"),
    k("turnOffCertCheck", "ldap_turn_off_cert_check", "0"),
    k("ldapUserName", "ldap_user_name", "samaccountname"),
    k("ldapUserDisplayName", "ldap_display_name", "displayName"),
    k("ldapUserDisplayName2", "ldap_user_display_name_2", ""),
    m("ldapUserFilterObjectclass", "ldap_userfilter_objectclass"),
    m("ldapUserFilterGroups", "ldap_userfilter_groups"),
    k("ldapUserFilter", "ldap_userlist_filter", ""),
    k("ldapUserFilterMode", "ldap_user_filter_mode", "0"),
    k("ldapGroupFilter", "ldap_group_filter", ""),
    k("ldapGroupFilterMode", "ldap_group_filter_mode", "0"),
    m("ldapGroupFilterObjectclass", "ldap_groupfilter_objectclass"),
    m("ldapGroupFilterGroups", "ldap_groupfilter_groups"),
    k("ldapGroupDisplayName", "ldap_group_display_name", "cn"),
    k(
        "ldapGroupMemberAssocAttr",
        "ldap_group_member_assoc_attribute",
        "uniqueMember",
    ),
    k("ldapGroupMemberAlgo", "ldap_group_member_algo", "groupScan"),
    k("ldapLoginFilter", "ldap_login_filter", ""),
    k("ldapLoginFilterMode", "ldap_login_filter_mode", "0"),
    k("ldapLoginFilterEmail", "ldap_loginfilter_email", "0"),
    k("ldapLoginFilterUsername", "ldap_loginfilter_username", "1"),
    m("ldapLoginFilterAttributes", "ldap_loginfilter_attributes"),
    k("ldapQuotaAttribute", "ldap_quota_attr", ""),
    k("ldapQuotaDefault", "ldap_quota_def", ""),
    k("ldapEmailAttribute", "ldap_email_attr", ""),
    k("ldapCacheTTL", "ldap_cache_ttl", "600"),
    k("ldapNetworkTimeout", "ldap_network_timeout", "15"),
    k("ldapOverrideMainServer", "ldap_override_main_server", ""),
    k("ldapConfigurationActive", ACTIVE, "0"),
    m(
        "ldapAttributesForUserSearch",
        "ldap_attributes_for_user_search",
    ),
    m(
        "ldapAttributesForGroupSearch",
        "ldap_attributes_for_group_search",
    ),
    m(
        "ldapExposedAttributesForUser",
        "ldap_exposed_attributes_for_user",
    ),
    k("ldapExperiencedAdmin", "ldap_experienced_admin", "0"),
    k("homeFolderNamingRule", "home_folder_naming_rule", ""),
    k(
        "hasMemberOfFilterSupport",
        "has_memberof_filter_support",
        "0",
    ),
    k(
        "useMemberOfToDetectMembership",
        "use_memberof_to_detect_membership",
        "1",
    ),
    k("ldapExpertUsernameAttr", "ldap_expert_username_attr", ""),
    k("ldapExpertGroupnameAttr", "ldap_expert_groupname_attr", ""),
    k("ldapExpertUUIDUserAttr", "ldap_expert_uuid_user_attr", ""),
    k("ldapExpertUUIDGroupAttr", "ldap_expert_uuid_group_attr", ""),
    k("lastJpegPhotoLookup", "last_jpegPhoto_lookup", "0"),
    k("ldapNestedGroups", "ldap_nested_groups", "0"),
    k("ldapPagingSize", "ldap_paging_size", "500"),
    k(
        "ldapDynamicGroupMemberURL",
        "ldap_dynamic_group_member_url",
        "",
    ),
    unstored("hasPagedResultSupport"),
    unstored("ldapIgnoreNamingRules"),
    unstored("ldapUuidGroupAttribute"),
    unstored("ldapUuidUserAttribute"),
];

/// The key a name given to `ldap:set-config` means: the shown name or the stored one.
pub fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter()
        .find(|k| k.name == name || (name.contains('_') && k.db == Some(name)))
}

/// The known key nearest to an unknown name (for the error that names it).
pub fn nearest(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    KEYS.iter()
        .map(|k| {
            (
                strsim::levenshtein(&lower, &k.name.to_ascii_lowercase()),
                k.name,
            )
        })
        .min()
        .map_or("ldapHost", |(_, n)| n)
}

/// The configIDs that exist (with `active`, only those whose `ldapConfigurationActive` is 1),
/// in the order of their stored keys, as ownCloud lists them.
pub fn ids(db: &Db<'_>, active: bool) -> Result<Vec<String>, Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        configkey: String,
        configvalue: Option<String>,
    }
    let mut rows: Vec<Row> = db.query_as(
        "SELECT configkey, configvalue FROM *PREFIX*appconfig WHERE appid = ? AND configkey LIKE ?",
        &[json!(APP), json!(format!("%{ACTIVE}"))],
    )?;
    rows.sort_by(|a, b| a.configkey.as_bytes().cmp(b.configkey.as_bytes()));
    Ok(rows
        .into_iter()
        .filter(|r| !active || r.configvalue.as_deref() == Some("1"))
        .filter_map(|r| r.configkey.strip_suffix(ACTIVE).map(str::to_string))
        .collect())
}

/// The configID `create-empty-config` picks without one: `s` and the highest existing
/// number plus one, two digits at least (gaps are not reused, as in ownCloud).
pub fn next_id(existing: &[String]) -> String {
    let highest = existing
        .iter()
        .map(|id| {
            id.trim_start_matches('s')
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u64>()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    format!("s{:02}", highest + 1)
}

/// A configuration's stored values, by stored key (missing rows: the defaults).
pub struct Config {
    /// The configID.
    pub id: String,
    values: BTreeMap<&'static str, String>,
}

impl Config {
    /// Reads configuration `id` (which must exist).
    pub fn read(db: &Db<'_>, id: &str) -> Result<Config, Error> {
        #[derive(serde::Deserialize)]
        struct Row {
            configkey: String,
            configvalue: Option<String>,
        }
        let rows: Vec<Row> = db.query_as(
            "SELECT configkey, configvalue FROM *PREFIX*appconfig WHERE appid = ?",
            &[json!(APP)],
        )?;
        let mut values = BTreeMap::new();
        for key in KEYS {
            let Some(db_key) = key.db else { continue };
            let stored = rows
                .iter()
                .find(|r| r.configkey.strip_prefix(id) == Some(db_key))
                .map(|r| r.configvalue.clone().unwrap_or_default());
            values.insert(db_key, stored.unwrap_or_else(|| key.default.to_string()));
        }
        Ok(Config {
            id: id.to_string(),
            values,
        })
    }

    /// A configuration of defaults.
    pub fn defaults(id: &str) -> Config {
        Config {
            id: id.to_string(),
            values: KEYS
                .iter()
                .filter_map(|k| Some((k.db?, k.default.to_string())))
                .collect(),
        }
    }

    /// A stored value as text (the agent password decoded; several values joined by
    /// newlines).
    pub fn get(&self, name: &str) -> String {
        let Some(k) = KEYS.iter().find(|k| k.name == name) else {
            return String::new();
        };
        let Some(db) = k.db else {
            return String::new();
        };
        let raw = self.values.get(db).cloned().unwrap_or_default();
        match name {
            "ldapAgentPassword" => base64::engine::general_purpose::STANDARD
                .decode(raw.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default(),
            "ldapGroupDisplayName" | "ldapUserDisplayName2" => raw.to_lowercase(),
            _ => raw,
        }
    }

    /// A multi-value key's values (empty for `''` and `'0'`, as ownCloud reads them).
    pub fn list(&self, name: &str) -> Vec<String> {
        let v = self.get(name);
        if v.is_empty() || v == "0" {
            return Vec::new();
        }
        v.split(['\n', '\r'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Sets a key as `ldap:set-config` does: values trimmed; several values split on `;` and
    /// newlines; control characters dropped from the password, which is stored in base64;
    /// a home folder rule gains `attr:`.
    pub fn set(&mut self, key: &Key, value: &str) {
        let Some(db) = key.db else { return };
        let stored = if key.multi {
            if value.is_empty() || value == "0" {
                String::new()
            } else {
                value
                    .split(['\n', '\r', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        } else if key.name == "ldapAgentPassword" {
            let clean: String = value.chars().filter(|c| *c >= ' ').collect();
            base64::engine::general_purpose::STANDARD.encode(clean)
        } else if key.name == "homeFolderNamingRule" {
            let t = value.trim();
            if !t.is_empty() && !value.contains("attr:") {
                format!("attr:{t}")
            } else {
                t.to_string()
            }
        } else {
            value.trim().to_string()
        };
        self.values.insert(db, stored);
    }

    /// Writes every stored key (one transaction: a configuration is never half-written).
    pub fn save(&self, db: &Db<'_>) -> Result<(), Error> {
        let tx = db.begin()?;
        for key in KEYS {
            let Some(k) = key.db else { continue };
            let value = self.values.get(k).cloned().unwrap_or_default();
            tx.execute(
                "INSERT INTO *PREFIX*appconfig (appid, configkey, configvalue) VALUES (?, ?, ?) ON CONFLICT (appid, configkey) DO UPDATE SET configvalue = excluded.configvalue",
                &[json!(APP), json!(format!("{}{k}", self.id)), json!(value)],
            )?;
        }
        tx.commit()
    }

    /// The configuration as `ldap:show-config` shows it: every key sorted by name, lists as
    /// arrays (`""` when empty), the password as `***` unless `password`.
    pub fn shown(&self, password: bool) -> serde_json::Map<String, Value> {
        let mut names: Vec<&Key> = KEYS.iter().collect();
        names.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        names
            .into_iter()
            .map(|k| {
                let v = match k.name {
                    "hasPagedResultSupport" => Value::Bool(false),
                    "ldapIgnoreNamingRules" => Value::Null,
                    "ldapUuidGroupAttribute" | "ldapUuidUserAttribute" => json!("auto"),
                    "ldapAgentPassword" if !password => json!("***"),
                    _ if k.multi => {
                        let l = self.list(k.name);
                        if l.is_empty() {
                            json!("")
                        } else {
                            json!(l)
                        }
                    }
                    name => json!(self.get(name)),
                };
                (k.name.to_string(), v)
            })
            .collect()
    }
}

/// Deletes configuration `id`'s rows (never the app's own keys); false when there were none.
pub fn delete(db: &Db<'_>, id: &str) -> Result<bool, Error> {
    let keys: Vec<String> = KEYS
        .iter()
        .filter_map(|k| Some(format!("{id}{}", k.db?)))
        .collect();
    let tx = db.begin()?;
    let mut n = 0;
    for key in keys {
        n += tx.execute(
            "DELETE FROM *PREFIX*appconfig WHERE appid = ? AND configkey = ?",
            &[json!(APP), json!(key)],
        )?;
    }
    tx.commit()?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_ids_follow_owncloud() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(next_id(&ids(&[])), "s01");
        assert_eq!(next_id(&ids(&[""])), "s01");
        assert_eq!(next_id(&ids(&["s01", "s02"])), "s03");
        assert_eq!(next_id(&ids(&["s02"])), "s03");
        assert_eq!(next_id(&ids(&["s09"])), "s10");
        assert_eq!(next_id(&ids(&["s99", "s100"])), "s101");
    }

    #[test]
    fn values_are_stored_as_owncloud_stores_them() {
        let mut c = Config::defaults("s01");
        c.set(key("ldapBase").unwrap(), " dc=a ; dc=b ;");
        c.set(key("ldap_host").unwrap(), " ldap.example ");
        c.set(key("ldapAgentPassword").unwrap(), "admin\tpass");
        c.set(key("homeFolderNamingRule").unwrap(), "cn");
        assert_eq!(c.values["ldap_base"], "dc=a\ndc=b");
        assert_eq!(c.values["ldap_host"], "ldap.example");
        assert_eq!(c.values["ldap_agent_password"], "YWRtaW5wYXNz");
        assert_eq!(c.get("ldapAgentPassword"), "adminpass");
        assert_eq!(c.values["home_folder_naming_rule"], "attr:cn");
        assert_eq!(c.shown(false)["ldapAgentPassword"], "***");
        assert_eq!(c.shown(false)["ldapBase"], json!(["dc=a", "dc=b"]));
        assert_eq!(c.shown(false)["ldapBaseUsers"], json!(""));
        assert_eq!(KEYS.iter().filter(|k| k.db.is_some()).count(), 52);
        assert_eq!(KEYS.len(), 56);
    }

    #[test]
    fn unknown_keys_are_named_by_their_nearest() {
        assert!(key("ldapHots").is_none());
        assert_eq!(nearest("ldapHots"), "ldapHost");
        assert_eq!(nearest("ldapbase"), "ldapBase");
    }
}
