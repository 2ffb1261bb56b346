//! Apps: what an app is, reading its manifest, checking the server versions it supports, its
//! enabled state in `oc_appconfig` (read as [`crate::config::AppConfigRow`]s, written through
//! [`crate::config`], the only module it uses), and the compliance checks of `app:check-code`.
//! The `app:*` commands are thin wrappers over this module.
//!
//! # What an app is
//!
//! An app is a directory `<root>/apps/<id>/` holding ownCloud's manifest
//! `appinfo/info.xml`:
//!
//! ```xml
//! <?xml version="1.0"?>
//! <info>
//!     <id>exampleapp</id>
//!     <name>Example</name>
//!     <description>What it does.</description>
//!     <version>1.0.0</version>
//!     <dependencies>
//!         <owncloud min-version="10.0" max-version="10.15"/>
//!     </dependencies>
//! </info>
//! ```
//!
//! The id is the directory name (1 to 32 of `a-z A-Z 0-9 _ -`, the width of
//! `oc_appconfig.appid`); `<id>` in the manifest must match it. First-party plugins of this
//! host are not apps: only directories under `<root>/apps` count.
//!
//! # Server versions
//!
//! `min-version` and `max-version` bound this server's version (`InstanceInfo::version`) by
//! semver rules, read the way ownCloud reads them: a bound with fewer parts covers every version
//! it is a prefix of, so `max-version="10.15"` admits 10.15.2 (semver's `<=10.15`) and
//! `min-version="10"` is `>=10.0.0`. ownCloud-style versions with four parts (`10.15.2.0`) are
//! compared on their first three; a server pre-release (`1.0.0-beta`) is compared as its
//! release. A missing bound does not restrict.
//!
//! # Enabled, installed
//!
//! Like ownCloud, an app is enabled while `oc_appconfig` has the row `appid=<id>,
//! configkey='enabled'` with a `configvalue` other than `no` (`app:enable` writes `yes`,
//! `app:disable` writes `no`). Enabling an app the first time also records its manifest version
//! as `installed_version`, which `app:list` shows.
//!
//! # Plugins shipped by apps
//!
//! An app ships its commands as a plugin library: `apps/<id>/plugin/*.so` (or `*.dylib`). The
//! host loads the plugins of enabled apps on an installed instance outside maintenance mode;
//! disabling the app makes its commands disappear. Such a plugin's id must be the app id and its
//! commands must lie in the app's namespace (the app id, or `<id>:...` below it):
//! `app:check-code` checks that, and every other rule above, before the app is enabled or even
//! before the instance is installed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use occ_plugin_api::{Db, Error, Manifest};
use semver::{Comparator, Op, Version, VersionReq};

use crate::config::{self, AppConfigRow};

/// The folder below the instance root that holds the apps.
pub const APPS_DIR: &str = "apps";

/// The manifest's path inside an app directory.
pub const INFO_XML: &str = "appinfo/info.xml";

/// The folder inside an app directory whose libraries the host loads as the app's plugins.
pub const PLUGIN_DIR: &str = "plugin";

/// Ids that are always core apps, whatever their manifest says.
pub const CORE_APP_IDS: &[&str] = &["core", "files"];

/// The longest app id (`oc_appconfig.appid` is `VARCHAR(32)`).
pub const MAX_ID_LEN: usize = 32;

/// Checks an app id: 1 to 32 of `a-z A-Z 0-9 _ -` (so never a path such as `../x`).
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("The app id must not be empty.".into());
    }
    if id.chars().count() > MAX_ID_LEN
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "Invalid app id \"{}\": an app id is 1 to {MAX_ID_LEN} of the characters \"a-z\", \"A-Z\", \"0-9\", \"_\" and \"-\".",
            id.escape_default()
        ));
    }
    Ok(())
}

/// `<root>/apps`.
pub fn apps_dir(root: &Path) -> PathBuf {
    root.join(APPS_DIR)
}

/// The directory of app `id` under `<root>/apps` if it is an app (it has
/// `appinfo/info.xml`); `id` must be valid.
pub fn app_path(root: &Path, id: &str) -> Option<PathBuf> {
    find(&[apps_dir(root)], id)
}

/// The directories apps live in: on an ownCloud server in place, its `apps_paths` (each
/// entry's `path`, in order) when set; else `<root>/apps`.
pub fn app_roots(root: &Path, apps_paths: Option<&serde_json::Value>) -> Vec<PathBuf> {
    let listed: Vec<PathBuf> = apps_paths
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("path").and_then(|p| p.as_str()))
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default();
    if listed.is_empty() {
        vec![apps_dir(root)]
    } else {
        listed
    }
}

/// The instance's app directories ([`app_roots`]): an ownCloud server's `apps_paths`.
pub fn roots(
    ctx: &occ_plugin_api::Context,
    info: &occ_plugin_api::wire::InstanceInfo,
) -> Result<Vec<PathBuf>, Error> {
    let apps_paths = match info.owncloud {
        Some(_) => ctx.system_config("apps_paths")?,
        None => None,
    };
    Ok(app_roots(Path::new(&info.root), apps_paths.as_ref()))
}

/// The directory of app `id` in `roots`: the first that has it (with `appinfo/info.xml`);
/// `id` must be valid.
pub fn find(roots: &[PathBuf], id: &str) -> Option<PathBuf> {
    roots
        .iter()
        .map(|r| r.join(id))
        .find(|d| d.join(INFO_XML).is_file())
}

/// Every app in `roots` with its directory, sorted by id; where two roots hold one id, the
/// first root's (as ownCloud finds an app).
pub fn all_apps_in(roots: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let mut found = std::collections::BTreeMap::new();
    for r in roots {
        let Ok(rd) = fs::read_dir(r) else {
            continue;
        };
        for e in rd.flatten() {
            let Some(id) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let dir = r.join(&id);
            if validate_id(&id).is_ok() && dir.join(INFO_XML).is_file() {
                found.entry(id).or_insert(dir);
            }
        }
    }
    found.into_iter().collect()
}

/// What `appinfo/info.xml` says (missing elements are empty strings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppInfo {
    /// `<id>`.
    pub id: String,
    /// `<name>`.
    pub name: String,
    /// `<version>`.
    pub version: String,
    /// `<description>`.
    pub description: String,
    /// `<shipped>true</shipped>`: a core app.
    pub shipped: bool,
    /// `<dependencies><owncloud min-version=".."/>`.
    pub min_version: Option<String>,
    /// `<dependencies><owncloud max-version=".."/>`.
    pub max_version: Option<String>,
}

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum InfoError {
    /// There is no `appinfo/info.xml`.
    Missing,
    /// The file could not be read.
    Unreadable(String),
    /// It is not well-formed XML.
    Xml(String),
    /// Its root element is not `<info>` (the name it has).
    NotInfo(String),
}

impl std::fmt::Display for InfoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InfoError::Missing => write!(f, "{INFO_XML} is missing"),
            InfoError::Unreadable(e) => write!(f, "{INFO_XML} cannot be read: {e}"),
            InfoError::Xml(e) => write!(f, "{INFO_XML} is not valid XML: {e}"),
            InfoError::NotInfo(root) => {
                write!(f, "{INFO_XML} has the root element <{root}>, not <info>")
            }
        }
    }
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Parses the text of an `info.xml`.
pub fn parse_info(xml: &str) -> Result<AppInfo, InfoError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| InfoError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "info" {
        return Err(InfoError::NotInfo(root.tag_name().name().to_string()));
    }
    let child = |name: &str| {
        root.children()
            .find(|n| n.is_element() && n.tag_name().name() == name)
    };
    let field = |name: &str| child(name).map(text_of).unwrap_or_default();
    // ownCloud allows a description per language; prefer the one without `lang` or in English.
    let description = root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "description")
        .find(|n| matches!(n.attribute("lang"), None | Some("en")))
        .or_else(|| child("description"))
        .map(text_of)
        .unwrap_or_default();
    let owncloud = child("dependencies").and_then(|d| {
        d.children()
            .find(|n| n.is_element() && n.tag_name().name() == "owncloud")
    });
    let bound = |attr: &str| {
        owncloud
            .and_then(|o| o.attribute(attr))
            .map(|v| v.trim().to_string())
    };
    Ok(AppInfo {
        id: field("id"),
        name: field("name"),
        version: field("version"),
        description,
        shipped: field("shipped") == "true",
        min_version: bound("min-version"),
        max_version: bound("max-version"),
    })
}

/// Reads and parses `<dir>/appinfo/info.xml`.
pub fn read_info(dir: &Path) -> Result<AppInfo, InfoError> {
    let path = dir.join(INFO_XML);
    if !path.is_file() {
        return Err(InfoError::Missing);
    }
    let xml = fs::read_to_string(&path).map_err(|e| InfoError::Unreadable(e.to_string()))?;
    parse_info(&xml)
}

/// Whether an app is a core app, which cannot be disabled.
pub fn is_core_app(id: &str, info: Option<&AppInfo>) -> bool {
    CORE_APP_IDS.contains(&id) || info.is_some_and(|i| i.shipped)
}

/// The numeric parts of an ownCloud-style version (`10`, `10.15`, `10.15.2`, `10.15.2.0`).
fn numeric_parts(s: &str) -> Option<Vec<u64>> {
    let parts: Option<Vec<u64>> = s
        .split('.')
        .map(|p| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect();
    parts.filter(|p| (1..=4).contains(&p.len()))
}

/// Parses a version: semver (`1.2.3-beta`) or 1 to 4 dot-separated numbers, missing parts
/// being 0 and a fourth part ignored.
pub fn parse_version(s: &str) -> Result<Version, String> {
    let s = s.trim();
    if let Ok(v) = Version::parse(s) {
        return Ok(v);
    }
    match numeric_parts(s) {
        Some(p) => Ok(Version::new(
            p[0],
            p.get(1).copied().unwrap_or(0),
            p.get(2).copied().unwrap_or(0),
        )),
        None => Err(format!("\"{s}\" is not a version")),
    }
}

/// A bound as a semver comparator; fewer parts leave the rest open (`<=10.15` admits 10.15.2).
fn comparator(op: Op, bound: &str) -> Result<Comparator, String> {
    let b = bound.trim();
    if let Some(p) = numeric_parts(b) {
        return Ok(Comparator {
            op,
            major: p[0],
            minor: p.get(1).copied(),
            patch: p.get(2).copied(),
            pre: semver::Prerelease::EMPTY,
        });
    }
    let v = Version::parse(b).map_err(|_| format!("\"{b}\" is not a version"))?;
    Ok(Comparator {
        op,
        major: v.major,
        minor: Some(v.minor),
        patch: Some(v.patch),
        pre: v.pre,
    })
}

/// The server versions an app supports.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// `min-version` as written.
    pub min: Option<String>,
    /// `max-version` as written.
    pub max: Option<String>,
    /// The same as a semver requirement.
    pub req: VersionReq,
}

impl Range {
    /// Builds the range of a manifest; an unparsable bound or an empty range is an error
    /// naming it.
    pub fn of(info: &AppInfo) -> Result<Range, String> {
        let lo = match &info.min_version {
            Some(m) => {
                Some(comparator(Op::GreaterEq, m).map_err(|e| format!("its min-version {e}"))?)
            }
            None => None,
        };
        let hi = match &info.max_version {
            Some(m) => Some(comparator(Op::LessEq, m).map_err(|e| format!("its max-version {e}"))?),
            None => None,
        };
        if let (Some(min), Some(max), Some(hi)) = (&info.min_version, &info.max_version, &hi) {
            // Empty when even the lowest version min-version admits is above max-version.
            let v = parse_version(min)?;
            if !hi.matches(&Version::new(v.major, v.minor, v.patch)) {
                return Err(format!(
                    "its version range is empty: min-version {min} is above max-version {max}"
                ));
            }
        }
        Ok(Range {
            min: info.min_version.clone(),
            max: info.max_version.clone(),
            req: VersionReq {
                comparators: lo.into_iter().chain(hi).collect(),
            },
        })
    }

    /// Whether a server version lies in the range.
    pub fn admits(&self, server: &Version) -> bool {
        // Compared as a release so that a pre-release server is not excluded by semver's
        // pre-release rule.
        self.req
            .matches(&Version::new(server.major, server.minor, server.patch))
    }

    /// `between 10.0 and 10.15`, `of at least 10.0`, `of at most 10.15`, `of any kind`.
    pub fn describe(&self) -> String {
        match (&self.min, &self.max) {
            (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
            (Some(lo), None) => format!("of at least {lo}"),
            (None, Some(hi)) => format!("of at most {hi}"),
            (None, None) => "of any kind".into(),
        }
    }
}

/// Checks that an app supports this server's version; the error is the reason, to follow
/// `App "x" cannot be enabled: `.
pub fn check_server_version(info: &AppInfo, server: &str) -> Result<(), String> {
    let range = Range::of(info)?;
    let v = parse_version(server).map_err(|e| format!("this server's version {e}"))?;
    if range.admits(&v) {
        Ok(())
    } else {
        Err(format!(
            "it needs a server version {}, this is {server}.",
            range.describe()
        ))
    }
}

/// An app's state in `oc_appconfig`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppState {
    /// `enabled` is set and not `no`.
    pub enabled: bool,
    /// `installed_version`, when recorded.
    pub installed_version: Option<String>,
}

/// Every app's state as `oc_appconfig` records it, by app id.
pub fn states(db: &Db<'_>) -> Result<BTreeMap<String, AppState>, Error> {
    let rows: Vec<AppConfigRow> = db.query_as(
        "SELECT appid, configkey, configvalue FROM *PREFIX*appconfig WHERE configkey IN ('enabled', 'installed_version')",
        &[],
    )?;
    let mut out: BTreeMap<String, AppState> = BTreeMap::new();
    for r in rows {
        let s = out.entry(r.appid).or_default();
        match r.configkey.as_str() {
            "enabled" => s.enabled = r.configvalue.is_some_and(|v| v != "no"),
            _ => s.installed_version = r.configvalue,
        }
    }
    Ok(out)
}

fn set_value(db: &Db<'_>, app: &str, key: &str, value: &str) -> Result<(), Error> {
    config::app_put(db, app, key, value)
}

/// Enables apps in one transaction: `enabled=yes`, and `installed_version` the first time.
/// `apps` pairs each id with its manifest version.
pub fn enable(db: &Db<'_>, apps: &[(String, String)]) -> Result<(), Error> {
    db.transaction(|db| {
        let known = states(db)?;
        for (id, version) in apps {
            set_value(db, id, "enabled", "yes")?;
            let installed = known.get(id).and_then(|s| s.installed_version.as_ref());
            if installed.is_none() && !version.is_empty() {
                set_value(db, id, "installed_version", version)?;
            }
        }
        Ok(())
    })
}

/// Disables apps in one transaction (`enabled=no`).
pub fn disable(db: &Db<'_>, ids: &[String]) -> Result<(), Error> {
    db.transaction(|db| {
        for id in ids {
            set_value(db, id, "enabled", "no")?;
        }
        Ok(())
    })
}

/// The compliance findings of an app's manifest (none: it is fine).
pub fn check_manifest(dir: &Path, id: &str) -> Vec<String> {
    let info = match read_info(dir) {
        Ok(i) => i,
        Err(InfoError::Missing) => return vec![format!("Mandatory file missing: {INFO_XML}")],
        Err(InfoError::Xml(e)) => return vec![format!("{id} has invalid XML in {INFO_XML}: {e}")],
        Err(e) => return vec![e.to_string()],
    };
    let mut findings = Vec::new();
    for (key, value) in [
        ("id", &info.id),
        ("name", &info.name),
        ("version", &info.version),
    ] {
        if value.is_empty() {
            findings.push(format!("Mandatory field missing: {key}"));
        }
    }
    if !info.id.is_empty() && info.id != id {
        findings.push(format!(
            "The app id \"{}\" in {INFO_XML} does not match the app directory \"{id}\"",
            info.id
        ));
    }
    if !info.version.is_empty() {
        if let Err(e) = parse_version(&info.version) {
            findings.push(format!("Invalid version in {INFO_XML}: {e}"));
        }
    }
    if let Err(e) = Range::of(&info) {
        findings.push(format!("Invalid ownCloud dependency in {INFO_XML}: {e}"));
    }
    findings
}

/// The library files in an app's `plugin/` folder (what the host would load), sorted.
pub fn plugin_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir.join(PLUGIN_DIR)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("so" | "dylib")))
        .collect();
    files.sort();
    files
}

/// The namespace of a command name (`a:b:c` -> `a:b`, `list` -> ``).
fn namespace_of(name: &str) -> &str {
    name.rsplit_once(':').map(|(ns, _)| ns).unwrap_or("")
}

/// Whether a namespace belongs to app `id`: the id itself or below it (`id:...`).
pub fn in_app_namespace(ns: &str, id: &str) -> bool {
    ns == id || ns.strip_prefix(id).is_some_and(|r| r.starts_with(':'))
}

/// The compliance findings of a plugin an app ships, given the manifest the host read from it
/// and the app's version (`appinfo/info.xml`, when readable): the plugin's version is the
/// app's, which the instance records and `upgrade` compares.
pub fn check_plugin(id: &str, m: &Manifest, app_version: Option<&str>) -> Vec<String> {
    let mut findings = Vec::new();
    if m.id != id {
        findings.push(format!(
            "the plugin id \"{}\" is not the app id \"{id}\"",
            m.id
        ));
    }
    if let Some(v) = app_version.filter(|v| *v != m.version) {
        findings.push(format!(
            "the plugin version \"{}\" is not the app version \"{v}\" of appinfo/info.xml",
            m.version
        ));
    }
    for ns in &m.namespaces {
        if !in_app_namespace(ns, id) {
            findings.push(format!(
                "namespace \"{ns}\" is not the app's namespace \"{id}\""
            ));
        }
    }
    for c in &m.commands {
        if !in_app_namespace(namespace_of(&c.name), id) {
            findings.push(format!(
                "command \"{}\" lies outside the app's namespace \"{id}\"",
                c.name
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use occ_plugin_api::CommandSpec;

    fn info(min: Option<&str>, max: Option<&str>) -> AppInfo {
        AppInfo {
            min_version: min.map(Into::into),
            max_version: max.map(Into::into),
            ..AppInfo::default()
        }
    }

    #[test]
    fn ids() {
        assert!(validate_id("files_external").is_ok());
        assert!(validate_id("theme-example").is_ok());
        assert!(validate_id(&"a".repeat(32)).is_ok());
        assert!(validate_id(&"a".repeat(33)).is_err());
        for bad in ["", "../x", ".", "..", "a/b", "a\"b", "a b", "é"] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_id("a\"b").unwrap_err(),
            "Invalid app id \"a\\\"b\": an app id is 1 to 32 of the characters \"a-z\", \"A-Z\", \"0-9\", \"_\" and \"-\"."
        );
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("10").unwrap(), Version::new(10, 0, 0));
        assert_eq!(parse_version("10.15").unwrap(), Version::new(10, 15, 0));
        assert_eq!(parse_version("10.15.2.0").unwrap(), Version::new(10, 15, 2));
        assert_eq!(parse_version("1.0.0-beta").unwrap().pre.as_str(), "beta");
        for bad in ["", "x", "1..2", "1.2.3.4.5", "v1", "1.a"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_read_like_owncloud() {
        let r = Range::of(&info(Some("10.0"), Some("10.15"))).unwrap();
        for ok in ["10.0.0", "10.15.2", "10.15.2.0", "10.3"] {
            assert!(r.admits(&parse_version(ok).unwrap()), "{ok}");
        }
        for no in ["0.1.0", "9.9.9", "10.16.0", "11"] {
            assert!(!r.admits(&parse_version(no).unwrap()), "{no}");
        }
        assert_eq!(r.describe(), "between 10.0 and 10.15");
        let any = Range::of(&info(None, None)).unwrap();
        assert!(any.admits(&Version::new(0, 1, 0)));
        let major = Range::of(&info(Some("0"), Some("0"))).unwrap();
        assert!(major.admits(&Version::new(0, 1, 0)));
        // A pre-release server counts as its release.
        let r = Range::of(&info(Some("0.1"), None)).unwrap();
        assert!(r.admits(&parse_version("0.1.0-dev").unwrap()));
        assert!(Range::of(&info(Some("10.16"), Some("10.15"))).is_err());
        assert!(Range::of(&info(Some("10.15.3"), Some("10.15"))).is_ok());
        assert_eq!(
            Range::of(&info(Some("ten"), None)).unwrap_err(),
            "its min-version \"ten\" is not a version"
        );
        assert_eq!(
            check_server_version(&info(Some("10.0"), Some("10.15")), "0.1.0").unwrap_err(),
            "it needs a server version between 10.0 and 10.15, this is 0.1.0."
        );
    }

    #[test]
    fn manifests() {
        let i = parse_info(
            "<?xml version=\"1.0\"?>\n<info><id>x</id><name> X </name><version>1.0</version>\
             <description lang=\"de\">Was</description><description>What</description>\
             <shipped>true</shipped>\
             <dependencies><owncloud min-version=\"10.0\" max-version=\"10.15\"/></dependencies></info>",
        )
        .unwrap();
        assert_eq!(
            i,
            AppInfo {
                id: "x".into(),
                name: "X".into(),
                version: "1.0".into(),
                description: "What".into(),
                shipped: true,
                min_version: Some("10.0".into()),
                max_version: Some("10.15".into()),
            }
        );
        assert!(matches!(parse_info("<info>"), Err(InfoError::Xml(_))));
        assert_eq!(parse_info("<app/>"), Err(InfoError::NotInfo("app".into())));
        assert!(is_core_app("files", None));
        assert!(is_core_app("x", Some(&i)));
        assert!(!is_core_app("y", Some(&AppInfo::default())));
    }

    #[test]
    fn plugin_namespaces() {
        assert!(in_app_namespace("app", "app"));
        assert!(in_app_namespace("app:sub", "app"));
        assert!(!in_app_namespace("apple", "app"));
        assert!(!in_app_namespace("", "app"));
        let m = Manifest {
            id: "other".into(),
            namespaces: vec!["app".into(), "user".into()],
            commands: vec![
                CommandSpec::new("app:do", ""),
                CommandSpec::new("app:sub:do", ""),
                CommandSpec::new("user:evil", ""),
                CommandSpec::new("status", ""),
            ],
            ..Manifest::default()
        };
        assert_eq!(
            check_plugin("app", &m, None),
            vec![
                "the plugin id \"other\" is not the app id \"app\"",
                "namespace \"user\" is not the app's namespace \"app\"",
                "command \"user:evil\" lies outside the app's namespace \"app\"",
                "command \"status\" lies outside the app's namespace \"app\"",
            ]
        );
        assert!(
            check_plugin(
                "app",
                &Manifest {
                    id: "app".into(),
                    ..m.clone()
                },
                None
            )
            .len()
                == 3
        );
        let versioned = Manifest {
            id: "app".into(),
            version: "1.0.0".into(),
            ..Manifest::default()
        };
        assert!(check_plugin("app", &versioned, Some("1.0.0")).is_empty());
        assert_eq!(
            check_plugin("app", &versioned, Some("1.1.0")),
            ["the plugin version \"1.0.0\" is not the app version \"1.1.0\" of appinfo/info.xml"]
        );
    }
}
