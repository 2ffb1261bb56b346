//! The command table: plugin files read through the index, validated (API version, unique id,
//! namespaces, name clashes) and loaded only when one of their commands runs. A bad plugin
//! costs one warning line; every other command keeps working.

use std::cell::{Cell, OnceCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::{RResult, RStr, RString};
use occ_plugin_abi::{HostCtx, HostHandle, PluginMod_Ref};
use occ_plugin_api::wire::{kind, Reply};
use occ_plugin_api::{CommandSpec, Manifest};
use serde_json::Value;

use super::discover::{Candidate, Origin};
use super::index::{self, Index};

/// A usable plugin.
pub struct LoadedPlugin {
    /// Its file (`<in-process id>` for one linked into this process).
    pub file: PathBuf,
    /// What it declared.
    pub manifest: Manifest,
    /// Shipped by an app (`apps/<id>/plugin/`).
    pub app: bool,
    /// Refused after loading (a version older than the instance's, or an app the upgrade
    /// disabled): it runs nothing and takes no part in an upgrade.
    pub refused: Cell<bool>,
    code: Code,
}

/// Where a plugin's code is.
enum Code {
    /// A library file, dlopened on first use.
    Library {
        /// The file version whose layout check passed in an earlier run (the index says so).
        checked: Option<index::Stamp>,
        module: OnceCell<Result<PluginMod_Ref, String>>,
    },
    /// A plugin linked into this process (the test harness): called through the same request
    /// handler its exported library would use.
    InProcess(&'static dyn occ_plugin_api::Plugin),
}

/// Who runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// The console itself: index into the host's builtin table.
    Builtin(usize),
    /// A plugin: index into [`Registry::plugins`].
    Plugin(usize),
}

/// A registered command and who provides it: what name resolution needs (as the index keeps
/// it), and the whole spec, parsed from the index's text when first asked for.
pub struct Registered {
    /// Name, description, aliases, visibility, states and the spec's text.
    pub command: Rc<index::Command>,
    /// Who runs it.
    pub provider: Provider,
    spec: OnceCell<CommandSpec>,
}

impl Registered {
    /// The whole spec. Text the index wrote that no longer parses (a damaged cache file) leaves
    /// the name and description only.
    pub fn spec(&self) -> &CommandSpec {
        self.spec.get_or_init(|| {
            let c = &self.command;
            serde_json::from_str(c.spec_text()).unwrap_or_else(|_| CommandSpec {
                aliases: c.aliases.clone(),
                hidden: c.hidden,
                states: c.states.clone(),
                ..CommandSpec::new(&c.name, &c.description)
            })
        })
    }
}

/// All plugins and commands of this invocation.
#[derive(Default)]
pub struct Registry {
    /// Usable plugins, in precedence order.
    pub plugins: Vec<LoadedPlugin>,
    /// Commands, from plugins in precedence order.
    pub commands: Vec<Registered>,
    /// Files that could not be used, and why.
    pub problems: Vec<(PathBuf, String)>,
    owners: HashMap<String, usize>,
}

extern "C" fn no_host(_: HostCtx, _: RStr<'_>, _: RStr<'_>) -> RResult<RString, RString> {
    RResult::RErr(RString::from("no host services while describing a plugin"))
}

/// A host handle that refuses every call.
pub fn null_host() -> HostHandle {
    HostHandle {
        ctx: std::ptr::null(),
        call: no_host,
    }
}

fn short_error(e: &LibraryError) -> String {
    match e {
        LibraryError::OpenError { .. } => {
            // The loader's own reason is the last line ("<path>: invalid ELF header"); the
            // path is already in the warning.
            let text = e.to_string();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            let reason = last.rsplit_once(": ").map(|(_, r)| r).unwrap_or(last);
            format!(
                "not a loadable library ({})",
                reason.chars().take(160).collect::<String>()
            )
        }
        LibraryError::GetSymbolError { .. } => {
            "not an occ plugin (no abi_stable root module)".into()
        }
        LibraryError::AbiInstability(_) => {
            "incompatible plugin ABI (abi_stable layout check failed)".into()
        }
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => {
            format!("incompatible plugin ABI version {actual_version} (this host expects {expected_version})")
        }
        LibraryError::InvalidAbiHeader(_) => "incompatible abi_stable version".into(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or("unusable")
            .chars()
            .take(160)
            .collect(),
    }
}

/// dlopens a file and checks its root module's layout.
pub fn load_module(path: &Path) -> Result<PluginMod_Ref, String> {
    let header = lib_header_from_path(path).map_err(|e| short_error(&e))?;
    header
        .init_root_module::<PluginMod_Ref>()
        .map_err(|e| short_error(&e))
}

/// dlopens a file whose layout check passed before: the plugin index holds its manifest,
/// recorded after a full [`load_module`] by this very host binary, for this version of the
/// file (`stamp`: size, times, inode). The abi_stable version is still checked; the type-layout
/// walk (a tenth of a short command's start-up) is not repeated, as abi_stable documents for a
/// cache of checked libraries. If the file changed since it was stamped (an upgrade between
/// start-up and now), the full check runs.
fn load_checked_module(path: &Path, stamp: index::Stamp) -> Result<PluginMod_Ref, String> {
    let header = lib_header_from_path(path).map_err(|e| short_error(&e))?;
    // Stamped again after dlopen: whatever was opened is at least as old as this stamp.
    if index::stamp(path) != Some(stamp) {
        return header
            .init_root_module::<PluginMod_Ref>()
            .map_err(|e| short_error(&e));
    }
    // SAFETY: the layout of this version of the file was checked against this host binary's
    // `PluginMod_Ref` when its index entry was written (see above); the file is unchanged
    // since (same stamp after it was opened).
    unsafe { header.init_root_module_with_unchecked_layout::<PluginMod_Ref>() }
        .map_err(|e| short_error(&e))
}

/// Sends one request to a loaded module and decodes the reply.
pub fn request(
    module: PluginMod_Ref,
    kind_name: &str,
    payload: &str,
    host: HostHandle,
) -> Result<Reply, String> {
    let handle = module.handle();
    let out = handle(RStr::from_str(kind_name), RStr::from_str(payload), host);
    read_reply(out.as_str())
}

fn read_reply(text: &str) -> Result<Reply, String> {
    serde_json::from_str::<Reply>(text)
        .map_err(|e| format!("the plugin answered something unreadable: {e}"))
}

fn describe(path: &Path) -> Result<Manifest, String> {
    let module = load_module(path)?;
    match request(module, kind::MANIFEST, "{}", null_host())? {
        Reply::Ok(v) => serde_json::from_value(v).map_err(|e| format!("unreadable manifest: {e}")),
        Reply::Error { message, .. } => Err(format!("manifest failed: {message}")),
        Reply::Panic(m) => Err(format!("panicked while describing itself: {m}")),
    }
}

/// Reads a plugin file's manifest and checks its API version, without registering it
/// (`app:check-code`).
pub fn inspect(path: &Path) -> crate::error::Result<Manifest> {
    let m = describe(path)?;
    check_api(&m)?;
    Ok(m)
}

fn check_api(m: &Manifest) -> Result<(), String> {
    let host = semver::Version::parse(occ_plugin_api::API_VERSION).map_err(|e| e.to_string())?;
    let Ok(v) = semver::Version::parse(&m.api_version) else {
        return Err(format!(
            "declares an invalid plugin-api version \"{}\"",
            m.api_version
        ));
    };
    if v.major != host.major {
        return Err(format!(
            "built against plugin-api {v}; this host supports {}.x",
            host.major
        ));
    }
    if v.minor > host.minor {
        return Err(format!(
            "built against plugin-api {v}, newer than this host's {host}"
        ));
    }
    if m.id.is_empty() {
        return Err("declares no plugin id".into());
    }
    Ok(())
}

fn namespace_of(name: &str) -> &str {
    name.rsplit_once(':').map(|(ns, _)| ns).unwrap_or("")
}

/// Whether namespace `ns` is one of `owned` or lies below one (`a:b` below `a`).
fn within(ns: &str, owned: &[String]) -> bool {
    owned.iter().any(|o| {
        ns == o
            || (!o.is_empty()
                && ns
                    .strip_prefix(o.as_str())
                    .is_some_and(|rest| rest.starts_with(':')))
    })
}

impl Registry {
    /// Reads each candidate (through the index) and registers what is valid.
    pub fn add_candidates(&mut self, candidates: Vec<Candidate>, index: &mut Index) {
        for c in candidates {
            let Some(stamp) = index::stamp(&c.path) else {
                continue;
            };
            // A file read now is loaded again with the full check (the module was not kept).
            let fresh = index.get(&c.path, stamp).is_none();
            if fresh {
                index.put(&c.path, index::Entry::new(stamp, describe(&c.path)));
            }
            let checked = !fresh && index.trusted();
            let Some(entry) = index.get(&c.path, stamp) else {
                continue;
            };
            match (&entry.manifest, &entry.error) {
                (Some(m), _) => {
                    for why in &entry.refused {
                        self.problems.push((c.path.clone(), why.clone()));
                    }
                    let commands = entry.commands.iter().map(Rc::clone).collect();
                    let code = Code::Library {
                        checked: checked.then_some(stamp),
                        module: OnceCell::new(),
                    };
                    self.register(c, m.clone(), commands, code);
                }
                (None, Some(err)) => self.problems.push((c.path, err.clone())),
                (None, None) => self.problems.push((c.path, "unusable".into())),
            }
        }
    }

    /// Registers a plugin linked into this process (the test harness), after the ones found
    /// so far, with the same checks as a library's.
    pub fn add_in_process(&mut self, plugin: &'static dyn occ_plugin_api::Plugin) {
        occ_plugin_api::export::running_in_process();
        let manifest = plugin.manifest();
        let file = PathBuf::from(format!("<in-process {}>", manifest.id));
        let entry = index::Entry::new(index::Stamp::default(), Ok(manifest));
        for why in entry.refused {
            self.problems.push((file.clone(), why));
        }
        let (Some(m), commands) = (entry.manifest, entry.commands) else {
            let why = entry.error.unwrap_or_else(|| "unusable".into());
            self.problems.push((file, why));
            return;
        };
        let c = Candidate {
            path: file,
            origin: Origin::Build,
        };
        self.register(c, m, commands, Code::InProcess(plugin));
    }

    /// Withdraws the commands of plugin `idx`; with a reason, the plugin is refused (it takes
    /// no part in an upgrade either) and the reason is shown like any unusable file's.
    pub fn withdraw(&mut self, idx: usize, refused: Option<String>) {
        self.commands
            .retain(|r| r.provider != Provider::Plugin(idx));
        if let Some(why) = refused {
            if let Some(p) = self.plugins.get_mut(idx) {
                p.refused.set(true);
                self.problems.push((p.file.clone(), why));
            }
        }
    }

    /// A digest of the plugins that take part in an upgrade (id, version and migration ids of
    /// each, apart from `leaving`): the config keeps the one the last install or upgrade made,
    /// so a start-up whose plugins are the same need not read the database's records.
    pub fn digest(&self, leaving: &[String]) -> String {
        let mut items: Vec<String> = self
            .plugins
            .iter()
            .filter(|p| !p.refused.get() && !leaving.contains(&p.manifest.id))
            .map(|p| {
                let m = &p.manifest;
                format!("{}={}:{}", m.id, m.version, m.migrations.join(","))
            })
            .collect();
        items.sort();
        let h = crate::fnv1a(items.join(";").as_bytes());
        format!("{h:016x}")
    }

    /// Puts the console's own commands first in the table (they win over a plugin command of
    /// the same name, which is never reached).
    pub fn add_builtins(&mut self, specs: Vec<CommandSpec>) {
        let builtins = specs.into_iter().enumerate().map(|(i, spec)| Registered {
            command: Rc::new(index::Command::record(&spec)),
            provider: Provider::Builtin(i),
            spec: OnceCell::from(spec),
        });
        self.commands.splice(0..0, builtins);
    }

    fn register(
        &mut self,
        c: Candidate,
        m: Manifest,
        commands: Vec<Rc<index::Command>>,
        code: Code,
    ) {
        if let Err(e) = check_api(&m) {
            self.problems.push((c.path, e));
            return;
        }
        if let Some(other) = self.plugins.iter().find(|p| p.manifest.id == m.id) {
            let msg = format!(
                "duplicate plugin id \"{}\" (already provided by {})",
                m.id,
                other.file.display()
            );
            self.problems.push((c.path, msg));
            return;
        }
        if let Origin::App(app) = &c.origin {
            if m.id != *app {
                let msg = format!("plugin id \"{}\" does not match its app \"{app}\"", m.id);
                self.problems.push((c.path, msg));
                return;
            }
        }
        let idx = self.plugins.len();
        let mut owned = Vec::new();
        for ns in &m.namespaces {
            match self.owners.get(ns) {
                Some(&o) if o != idx => {
                    let msg = format!(
                        "namespace \"{ns}\" is already owned by plugin \"{}\" ({})",
                        self.plugins[o].manifest.id,
                        self.plugins[o].file.display()
                    );
                    self.problems.push((c.path.clone(), msg));
                }
                _ => {
                    self.owners.insert(ns.clone(), idx);
                    owned.push(ns.clone());
                }
            }
        }
        for cmd in commands {
            let ns = namespace_of(&cmd.name);
            if !within(ns, &m.namespaces) {
                let msg = format!(
                    "command \"{}\" lies outside the plugin's namespaces ({})",
                    cmd.name,
                    m.namespaces
                        .iter()
                        .map(|n| if n.is_empty() { "global" } else { n })
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                self.problems.push((c.path.clone(), msg));
                continue;
            }
            if !within(ns, &owned) {
                continue; // its namespace went to an earlier plugin (warned above)
            }
            let names = std::iter::once(&cmd.name).chain(cmd.aliases.iter());
            let clash = names.clone().find_map(|n| {
                self.commands.iter().find_map(|r| match r.provider {
                    Provider::Plugin(p)
                        if r.command.name == *n || r.command.aliases.contains(n) =>
                    {
                        Some((n.clone(), p))
                    }
                    _ => None,
                })
            });
            if let Some((n, other)) = clash {
                let msg = format!(
                    "command \"{n}\" clashes with the one of plugin \"{}\"",
                    self.plugins[other].manifest.id
                );
                self.problems.push((c.path.clone(), msg));
                continue;
            }
            self.commands.push(Registered {
                command: cmd,
                provider: Provider::Plugin(idx),
                spec: OnceCell::new(),
            });
        }
        self.plugins.push(LoadedPlugin {
            app: matches!(c.origin, Origin::App(_)),
            file: c.path,
            manifest: m,
            refused: Cell::new(false),
            code,
        });
    }

    /// Sends one request to a plugin (its library dlopened on first use) and decodes the reply.
    fn send(
        &self,
        idx: usize,
        kind_name: &str,
        payload: &str,
        host: HostHandle,
    ) -> crate::error::Result<Reply> {
        use crate::error::Error;
        let p = &self.plugins[idx];
        match &p.code {
            Code::Library { checked, module } => {
                let module = module
                    .get_or_init(|| match checked {
                        Some(stamp) => load_checked_module(&p.file, *stamp),
                        None => load_module(&p.file),
                    })
                    .clone()
                    .map_err(|e| Error::new(format!("plugin {}: {e}", p.file.display())))?;
                request(module, kind_name, payload, host)
            }
            Code::InProcess(plugin) => {
                let out = occ_plugin_api::export::handle_request(
                    *plugin,
                    RStr::from_str(kind_name),
                    RStr::from_str(payload),
                    host,
                );
                read_reply(out.as_str())
            }
        }
        .map_err(|e| Error::new(format!("plugin \"{}\": {e}", p.manifest.id)))
    }

    /// Sends a request to a plugin: its answer, or its error with the exit code it asked for.
    pub fn call(
        &self,
        idx: usize,
        kind_name: &str,
        payload: &Value,
        host: HostHandle,
    ) -> crate::error::Result<Value> {
        use crate::error::Error;
        let p = &self.plugins[idx];
        match self.send(idx, kind_name, &payload.to_string(), host)? {
            Reply::Ok(v) => Ok(v),
            Reply::Error { message, code } => {
                Err(Error::new(message).with_code(if code == 0 { 1 } else { code }))
            }
            Reply::Panic(m) => Err(Error::new(format!(
                "The plugin \"{}\" crashed: {m}",
                p.manifest.id
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn a_namespace_is_within_itself_and_its_parents_only() {
        let owned = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(within("files", &owned(&["files"])));
        assert!(within("files:trashbin", &owned(&["user", "files"])));
        assert!(!within("filesx", &owned(&["files"])));
        assert!(!within("files", &owned(&["files:trashbin"])));
        assert!(within("", &owned(&[""])));
        assert!(!within("user", &owned(&[""])));
    }
}
