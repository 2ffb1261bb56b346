//! The instance: `instance.info`, and installing and upgrading it (`instance.install.*`,
//! `instance.upgrade`) over [`crate::instance::install`], with the migrations collected from
//! the loaded plugins.

use occ_plugin_api::protocol::admin::{
    ConvertType, Converted, InstallBegin, InstallFinish, Upgrade, Upgraded,
};
use occ_plugin_api::protocol::InstanceInfoRequest;
use occ_plugin_api::wire::{kind, InstanceInfo};
use occ_plugin_api::{DbKind, Migration};
use serde_json::json;

use super::Host;
use crate::error::{Error, Result};
use crate::instance::db::{Database, DbParams, Endpoint};
use crate::instance::{convert, install, upgrade, version4, PRODUCT, VERSION};
use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

/// `instance.info`.
pub fn info(host: &Host, _: InstanceInfoRequest) -> Result<InstanceInfo> {
    let inst = host.instance.borrow();
    Ok(InstanceInfo {
        product: PRODUCT.into(),
        version: VERSION.into(),
        root: inst.root.display().to_string(),
        config_file: inst.config.path.display().to_string(),
        data_dir: inst.config.get_str("datadirectory"),
        installed: inst.installed(),
        maintenance: inst.maintenance(),
        needs_upgrade: inst.needs_upgrade(),
        config_error: inst.config_error.clone(),
        owncloud: inst.owncloud_version(),
    })
}

/// Every loaded plugin's migrations, in plugin order (a refused plugin's are not).
fn migrations(host: &Host) -> Result<Vec<(String, Vec<Migration>)>> {
    let mut out = Vec::new();
    for (i, p) in host.registry.plugins.iter().enumerate() {
        if p.refused.get() {
            continue;
        }
        let id = p.manifest.id.clone();
        let list = host.call_plugin(i, kind::MIGRATIONS, &serde_json::json!({}))?;
        let list: Vec<Migration> = serde_json::from_value(list)
            .map_err(|e| Error::new(format!("plugin \"{id}\": bad migrations: {e}")))?;
        out.push((id, list));
    }
    Ok(out)
}

/// Install and upgrade are answered only to the console's own commands for them, whichever
/// plugin provides those.
fn only_for(host: &Host, method: &str, command: &str) -> Result<()> {
    if host.running.borrow().as_deref() == Some(command) {
        return Ok(());
    }
    Err(Error::new(format!(
        "{method} is answered only to the {command} command"
    )))
}

/// An ownCloud server's config.php (installed or not) is ownCloud's: occ neither installs
/// nor upgrades it, whatever state it is in.
fn refuse_owncloud(host: &Host, what: &str) -> Result<()> {
    let i = host.instance.borrow();
    if !i.owncloud() {
        return Ok(());
    }
    Err(Error::new(format!(
        "{} is ownCloud's: {PRODUCT} administers an installed ownCloud server in place and never {what} one; use ownCloud's own tools for that",
        i.config.path.display()
    )))
}

/// `instance.install.begin`: the database and every plugin's schema, not yet permanent.
pub fn install_begin(host: &Host, r: InstallBegin) -> Result<()> {
    only_for(host, "instance.install.begin", "maintenance:install")?;
    refuse_owncloud(host, "installs")?;
    if host.instance.borrow().installed() {
        return Err(Error::new(format!("{PRODUCT} is already installed.")));
    }
    if host.install.borrow().is_some() {
        return Err(Error::new("an install is already in progress"));
    }
    let (db, pending) = install::begin(&r.0, &mut |line| host.shell.borrow_mut().err_line(line))?;
    *host.db.borrow_mut() = Some(db);
    *host.install.borrow_mut() = Some(pending);
    let plugins = migrations(host)?;
    host.with_db(|db| {
        install::migrate(db, &plugins)?;
        // Every plugin's version, as installed (core's is written again by core).
        for p in host.registry.plugins.iter().filter(|p| !p.refused.get()) {
            upgrade::record_version(db, &p.manifest.id, &p.manifest.version)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `instance.install.finish`: the database in place, then the config saying `installed`.
pub fn install_finish(host: &Host, _: InstallFinish) -> Result<()> {
    only_for(host, "instance.install.finish", "maintenance:install")?;
    let Some(pending) = host.install.borrow_mut().take() else {
        return Err(Error::new("no install in progress"));
    };
    let db = host.db.borrow_mut().take().ok_or("no database")?;
    let kept = install::finish(pending, db, &mut host.instance.borrow_mut().config)?;
    *host.db.borrow_mut() = kept;
    // The plugins are as this install made them: start-ups with the same ones need not read
    // the records (a failure here only means they do).
    let mut set = serde_json::Map::new();
    set.insert(PLUGINS_DIGEST.into(), json!(host.registry.digest(&[])));
    let _ = host.instance.borrow_mut().config.update(set, &[]);
    Ok(())
}

/// Undoes an install that began and did not finish (when the command ends).
pub fn abort_install(host: &Host) {
    if let Some(pending) = host.install.borrow_mut().take() {
        install::abort(pending, host.db.borrow_mut().take());
    }
}

/// Set by SIGINT, SIGTERM and SIGHUP while an upgrade runs.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: nix::libc::c_int) {
    INTERRUPTED.store(true, AtomicOrdering::SeqCst);
}

/// While alive, Ctrl-C (and SIGTERM, SIGHUP) only sets [`INTERRUPTED`]: the upgrade stops at
/// the next statement and removes its copy or undoes its changes. A second signal acts as
/// usual (the handler resets itself), so a statement that never ends can still be stopped;
/// a signal the process ignores (`nohup`) stays ignored. The previous handlers come back on
/// drop.
struct CatchInterrupts(Vec<(Signal, SigAction)>);

impl CatchInterrupts {
    fn new() -> Self {
        INTERRUPTED.store(false, AtomicOrdering::SeqCst);
        let action = SigAction::new(
            SigHandler::Handler(on_interrupt),
            SaFlags::SA_RESTART | SaFlags::SA_RESETHAND,
            SigSet::empty(),
        );
        let mut previous = Vec::new();
        for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            if let Ok(old) = unsafe { sigaction(s, &action) } {
                if old.handler() == SigHandler::SigIgn {
                    // SAFETY: puts back the handler that was there.
                    let _ = unsafe { sigaction(s, &old) };
                    continue;
                }
                previous.push((s, old));
            }
        }
        Self(previous)
    }
}

/// Held while an upgrade runs: a second `occ upgrade` of the instance refuses instead of
/// removing the first one's copy or backups.
fn upgrade_lock(data_dir: &std::path::Path) -> Result<Flock<std::fs::File>> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(".occ-upgrade.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::new(format!("Cannot open {}: {e}", path.display())))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|_| {
        Error::new(format!(
            "Another occ upgrade of this instance is running (it holds {})",
            path.display()
        ))
    })
}

impl Drop for CatchInterrupts {
    fn drop(&mut self) {
        for (s, old) in &self.0 {
            // SAFETY: puts back the handler that was there before.
            let _ = unsafe { sigaction(*s, old) };
        }
    }
}

/// The config key holding [`crate::plugins::registry::Registry::digest`] of the plugins the
/// last install or upgrade brought up to date.
pub const PLUGINS_DIGEST: &str = "plugins_digest";

/// `instance.upgrade`: the migration test on a copy, then every pending migration, the apps
/// to disable and the new versions, as [`upgrade::run`] does them; then core's version and the
/// plugins' digest in the config. Prints the sequence's lines; a failure is answered in
/// [`Upgraded::failed`]. One upgrade of an instance at a time.
pub fn upgrade(host: &Host, r: Upgrade) -> Result<Upgraded> {
    only_for(host, "instance.upgrade", "upgrade")?;
    refuse_owncloud(host, "upgrades")?;
    let mut codes = Vec::new();
    for (id, migrations) in migrations(host)? {
        if r.disable_apps.contains(&id) {
            continue;
        }
        let version = host
            .registry
            .plugins
            .iter()
            .find(|p| p.manifest.id == id)
            .map(|p| p.manifest.version.clone())
            .unwrap_or_default();
        codes.push(upgrade::Code {
            id,
            version,
            migrations,
        });
    }
    // Core first: the seed's `Updated database` comes before the apps.
    codes.sort_by_key(|c| c.id != "core");
    let params = host.db_params()?;
    let data_dir = host.instance.borrow().data_dir();
    let sqlite_file =
        (params.dbtype == DbKind::Sqlite).then(|| data_dir.join(format!("{}.db", params.name)));
    struct Shown<'a>(&'a Host);
    impl upgrade::Report for Shown<'_> {
        fn line(&mut self, text: &str) {
            let mut sh = self.0.shell.borrow_mut();
            sh.progress_done();
            let styled = sh.paint(false, "info", text);
            sh.out_line(&styled);
        }
        fn verbose(&mut self, text: &str) {
            if self.0.shell.borrow().verbosity >= 1 {
                self.line(text);
            }
        }
        fn progress(&mut self, text: &str) {
            self.0.shell.borrow_mut().progress(text);
        }
        fn interrupted(&self) -> bool {
            INTERRUPTED.load(AtomicOrdering::SeqCst)
        }
    }
    let failed = |e: Error| Upgraded {
        failed: Some(e.message),
        ..Upgraded::default()
    };
    let _lock = match upgrade_lock(&data_dir) {
        Ok(l) => l,
        Err(e) => return Ok(failed(e)),
    };
    let mut shown = Shown(host);
    for app in &r.disable_apps {
        let verb = if r.dry_run {
            "Would disable"
        } else {
            "Disabled"
        };
        upgrade::Report::line(&mut shown, &format!("{verb} incompatible app: {app}"));
    }
    // Until the run is settled the records decide at start-up, not the digest.
    let old_digest = host.instance.borrow().config.get(PLUGINS_DIGEST).cloned();
    let update_config = |set: serde_json::Map<String, serde_json::Value>, delete: &[&str]| {
        let delete: Vec<String> = delete.iter().map(|d| d.to_string()).collect();
        host.instance.borrow_mut().config.update(set, &delete)
    };
    if !r.dry_run && old_digest.is_some() {
        if let Err(e) = update_config(serde_json::Map::new(), &[PLUGINS_DIGEST]) {
            return Ok(failed(e));
        }
    }
    let catching = CatchInterrupts::new();
    let o = upgrade::Options {
        test: !r.skip_migration_test,
        dry_run: r.dry_run,
        disable_apps: &r.disable_apps,
        sqlite_file: sqlite_file.as_deref(),
    };
    let ran = host.with_db(|db| Ok(upgrade::run(db, &codes, &o, &mut shown)))?;
    drop(catching);
    host.shell.borrow_mut().progress_done();
    if r.dry_run {
        return Ok(match ran {
            Ok(o) => Upgraded {
                applied: o.applied,
                plugins: o.plugins,
                ..Upgraded::default()
            },
            Err(f) => failed(f.error),
        });
    }
    match ran {
        Ok(outcome) => {
            // The apps disabled take part in nothing more (the repair steps that follow).
            for p in &host.registry.plugins {
                if r.disable_apps.contains(&p.manifest.id) {
                    p.refused.set(true);
                }
            }
            let mut set = serde_json::Map::new();
            set.insert("version".into(), json!(version4()));
            set.insert(
                PLUGINS_DIGEST.into(),
                json!(host.registry.digest(&r.disable_apps)),
            );
            // The database is upgraded; a config that cannot say so is completed by the next
            // `upgrade`, which runs no migration twice.
            if let Err(e) = update_config(set, &[]) {
                return Ok(failed(e));
            }
            Ok(Upgraded {
                applied: outcome.applied,
                plugins: outcome.plugins,
                ..Upgraded::default()
            })
        }
        Err(f) => {
            if !f.unsettled {
                if let Some(d) = old_digest {
                    let mut set = serde_json::Map::new();
                    set.insert(PLUGINS_DIGEST.into(), d);
                    let _ = update_config(set, &[]);
                }
            }
            Ok(Upgraded {
                unsettled: f.unsettled,
                ..failed(f.error)
            })
        }
    }
}

/// `instance.convert_type`: the tables copied and verified, then the config switched to the
/// target in one atomic write. The source is only read; a failure leaves the config as it was.
pub fn convert_type(host: &Host, r: ConvertType) -> Result<Converted> {
    only_for(host, "instance.convert_type", "db:convert-type")?;
    let Some(kind) = DbKind::parse(&r.dbtype) else {
        return Err(Error::new(format!(
            "Database type \"{}\" is not supported: use pgsql or mysql.",
            r.dbtype
        )));
    };
    if kind == DbKind::Sqlite {
        return Err(Error::new(
            "Converting to SQLite (sqlite3) is currently not supported.",
        ));
    }
    let source = host.db_params()?;
    let dbhost = match r.port {
        Some(p) if !r.host.contains('/') => format!("{}:{p}", r.host),
        _ => r.host.clone(),
    };
    let target = DbParams {
        dbtype: kind,
        name: r.database.clone(),
        host: dbhost.clone(),
        user: r.user.clone(),
        password: r.password.clone(),
        prefix: source.prefix.clone(),
    };
    let onto_itself = || {
        Error::new(
            "The target is the instance's own database: convert to another server or database.",
        )
    };
    if source.dbtype == kind && source.name == target.name && same_server(&source, &target) {
        return Err(onto_itself());
    }
    let plugins = migrations(host)?;
    let mut target_db = Database::open_server(&target, true)?;
    // However the host was written: the servers say whether it is the same database.
    if host.with_db(|source_db| source_db.is_same_database(&mut target_db))? {
        let _ = target_db.drop_created(&target);
        return Err(onto_itself());
    }
    let opts = convert::Options {
        target_created: target_db.created(),
        clear_schema: r.clear_schema,
        chunk_size: r.chunk_size.clamp(1, 100_000) as usize,
        owncloud: host.instance.borrow().owncloud(),
    };
    struct Shown<'a>(&'a Host);
    impl convert::Progress for Shown<'_> {
        fn line(&mut self, text: &str) {
            let mut sh = self.0.shell.borrow_mut();
            sh.progress_done();
            sh.out_line(text);
        }
        fn rows(&mut self, table: &str, rows: u64, of: u64) {
            self.0
                .shell
                .borrow_mut()
                .progress(&format!("{table}: {rows} of {of} rows"));
        }
    }
    // No write may be left behind on the source. SQLite: the conversion holds its write lock
    // from the first read until the config names the target. A server: maintenance mode while
    // the tables are copied (kept if the run is killed, as ownCloud's), the source read as one
    // snapshot.
    let sqlite_source = source.dbtype == DbKind::Sqlite;
    let maintenance_before = host.instance.borrow().config.get("maintenance").cloned();
    let set_maintenance = |on: Option<serde_json::Value>| -> Result<()> {
        let mut config = host.instance.borrow_mut();
        match on {
            Some(v) => {
                let mut set = serde_json::Map::new();
                set.insert("maintenance".into(), v);
                config.config.update(set, &[])
            }
            None => config
                .config
                .update(serde_json::Map::new(), &["maintenance".to_string()]),
        }
    };
    let toggled = !sqlite_source && !host.instance.borrow().maintenance();
    if toggled {
        set_maintenance(Some(json!(true)))?;
    }
    let mut switch = serde_json::Map::new();
    switch.insert("dbtype".into(), json!(kind.as_str()));
    switch.insert("dbhost".into(), json!(dbhost));
    switch.insert("dbname".into(), json!(r.database));
    switch.insert("dbuser".into(), json!(r.user));
    switch.insert("dbpassword".into(), json!(r.password));
    // ownCloud talks utf8 (three bytes) to MySQL unless told that the tables are utf8mb4, as
    // the copy's are: emoji in names would read back as '?'.
    if kind == DbKind::Mysql && host.instance.borrow().owncloud() {
        switch.insert("mysql.utf8mb4".into(), json!(true));
    }
    if toggled {
        if let Some(v) = &maintenance_before {
            switch.insert("maintenance".into(), v.clone());
        }
    }
    let copied = host.with_db(|source_db| {
        if sqlite_source {
            source_db.begin()?; // BEGIN IMMEDIATE: writers wait
        } else {
            source_db.begin_snapshot()?;
        }
        let r = convert::convert(source_db, &mut target_db, &plugins, &opts, &mut Shown(host))
            .and_then(|copied| {
                // The config names the target before the source lets writers in again.
                let mut delete = vec!["dbport".to_string()];
                if toggled && maintenance_before.is_none() {
                    delete.push("maintenance".to_string());
                }
                host.instance
                    .borrow_mut()
                    .config
                    .update(switch.clone(), &delete)?;
                Ok(copied)
            });
        let _ = source_db.rollback();
        r
    });
    let copied = match copied {
        Ok(c) => {
            let _ = target_db.close();
            c
        }
        Err(e) => {
            // A database this run made goes again, with whatever MySQL committed into it.
            let _ = target_db.drop_created(&target);
            if toggled {
                let _ = set_maintenance(maintenance_before.clone());
            }
            return Err(e);
        }
    };
    Ok(Converted {
        tables: copied.into_iter().map(|c| (c.table, c.rows)).collect(),
    })
}

/// Whether two connections name the same server (same host and port, or the same socket).
fn same_server(a: &DbParams, b: &DbParams) -> bool {
    a.dbtype == b.dbtype && Endpoint::of(a) == Endpoint::of(b)
}

/// Closes the database at the end of the command. A process that ends now leaves SQLite's
/// connection open (`leave`; see [`crate::instance::db::Database::leave_sqlite`]: a short WAL stays
/// for the next command); one that goes on (the test harness) closes it.
pub fn close_db(host: &mut Host, leave: bool) {
    if let Some(db) = host.db.get_mut().take() {
        if leave && db.kind == DbKind::Sqlite {
            db.leave_sqlite();
        } else {
            let _ = db.close();
        }
    }
}
