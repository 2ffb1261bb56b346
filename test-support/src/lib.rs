//! Tests for occ plugins without the binary: a plugin's rlib runs against the real host,
//! linked into the test process, on a temporary instance with an embedded SQLite database.
//!
//! ```ignore
//! use occ_plugin_test_support::TestInstance;
//!
//! #[test]
//! fn greets() {
//!     let t = TestInstance::installed(&[&my_plugin::PLUGIN]);
//!     let out = t.run(&["hello:greet", "alice"]);
//!     assert_eq!((out.code, out.stdout.as_str()), (0, "Hello, alice!\n"));
//!     // A plugin's own functions get a real `Context`:
//!     let n = t.with_context(|ctx| my_plugin::count(ctx)).unwrap();
//!     assert_eq!(n, 1);
//! }
//! ```
//!
//! Everything the binary does happens here too (name resolution, parsing, state gating,
//! migrations, the host's services, rendering), except that plugins are not loaded from files,
//! nothing is logged, output is captured and every command runs with `--no-interaction`.
//!
//! One test binary links one plugin library built with `export_plugin!`: each exports
//! abi_stable's root-module symbol under the same name, so two would clash at link time. For
//! what other plugins provide (a user backend's service, an event), register a small stand-in
//! `Plugin` of the test's own beside yours, without `export_plugin!` (the files plugin's tests
//! do so for the core plugin's user services).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use occ_host::app::{self, Plugins};
use occ_host::console::shell::{Captured, Shell};
use occ_host::instance::config::Config;
use occ_host::instance::install;
use occ_host::services::instance::close_db;
use occ_plugin_api::wire::Env;
use occ_plugin_api::{Context, Plugin};
use serde_json::{Map, Value};

/// What a command printed and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The exit code.
    pub code: i32,
    /// What went to stdout.
    pub stdout: String,
    /// What went to stderr.
    pub stderr: String,
}

/// A temporary instance root (removed when dropped) and the plugins that serve it.
pub struct TestInstance {
    dir: tempfile::TempDir,
    plugins: Vec<&'static dyn Plugin>,
}

impl TestInstance {
    /// An empty instance root: nothing installed yet (only install-time commands exist).
    ///
    /// # Panics
    /// When no temporary directory can be made.
    #[allow(clippy::expect_used)]
    pub fn new(plugins: &[&'static dyn Plugin]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("occ-test-")
            .tempdir()
            .expect("a temporary directory");
        Self {
            dir,
            plugins: plugins.to_vec(),
        }
    }

    /// An installed instance: SQLite database `owncloud` with table prefix `oc_` in
    /// `<root>/data`, every plugin's migrations run, the config written, as
    /// `maintenance:install` makes it (without an admin account: that is the core plugin's).
    ///
    /// # Panics
    /// When the install fails.
    #[allow(clippy::expect_used)]
    pub fn installed(plugins: &[&'static dyn Plugin]) -> Self {
        let t = Self::new(plugins);
        let req = install::sqlite_request(&t.data_dir());
        let migrations: Vec<_> = plugins
            .iter()
            .map(|p| (p.id().to_string(), p.migrations()))
            .collect();
        let (mut db, pending) = install::begin(&req, &mut |_| {}).expect("install begins");
        install::migrate(&mut db, &migrations).expect("migrations run");
        let mut config = Config::load(t.root()).expect("an empty config");
        install::finish(pending, db, &mut config).expect("install finishes");
        t
    }

    /// The instance root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory (`<root>/data`).
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    /// Runs `occ <args>` on this instance with its plugins; `--no-interaction` is added.
    pub fn run(&self, args: &[&str]) -> Output {
        // First, so that a `--` among the arguments cannot make them arguments.
        let mut argv = vec![
            "--no-interaction".to_string(),
            format!("--root={}", self.root().display()),
        ];
        argv.extend(args.iter().map(|a| a.to_string()));
        let captured = Rc::new(RefCell::new(Captured::default()));
        let verbosity = occ_host::console::input::verbosity(&argv);
        let shell = Shell::capturing(verbosity, Rc::clone(&captured));
        let code = app::run_with(argv, Plugins::InProcess(&self.plugins), shell);
        let Captured { stdout, stderr } = captured.borrow().clone();
        Output {
            code,
            stdout,
            stderr,
        }
    }

    /// Calls `f` with a [`Context`] on this instance, as a command of one of its plugins would
    /// get it: for testing a plugin's own functions. Output it prints is discarded.
    pub fn with_context<T>(&self, f: impl FnOnce(&mut Context) -> T) -> T {
        let captured = Rc::new(RefCell::new(Captured::default()));
        let mut host =
            app::in_process_host(self.root(), &self.plugins, Shell::capturing(0, captured));
        let env = Env {
            verbosity: 0,
            interactive: false,
            log_level: "warn".into(),
        };
        let mut ctx = Context::new(host.handle(), env);
        let out = f(&mut ctx);
        drop(ctx);
        close_db(&mut host, false);
        out
    }

    /// Rows of a query on the instance's database (`*PREFIX*` and `?` as in plugins), as
    /// column -> value maps: for asserting what a command wrote.
    ///
    /// # Panics
    /// When the query fails.
    #[allow(clippy::expect_used)]
    pub fn query(&self, sql: &str, params: &[Value]) -> Vec<Map<String, Value>> {
        self.with_context(|ctx| ctx.db().query(sql, params))
            .expect("the query runs")
    }

    /// The instance's system config (`config/config.json`).
    ///
    /// # Panics
    /// When it cannot be read.
    #[allow(clippy::expect_used)]
    pub fn config(&self) -> Map<String, Value> {
        Config::load(self.root()).expect("a readable config").values
    }
}
