//! The `core` plugin: the global commands (`status`, `check`, `upgrade`), the `maintenance`,
//! `user`, `group`, `config`, `app` and background job namespaces, the core schema, and the
//! operations behind them.
//!
//! Library modules own their tables and form a DAG: `time`, `sql`, `password` and
//! `migrations` use no other module; `config`, `groups` -> `sql`; `jobs` -> `sql`, `time`;
//! `users` -> `groups`, `sql`, `time`; `apps` -> `config`; `repair_steps` -> `groups`.
//! `commands` (one file per command) may use any of them; none of them uses `commands`.

pub mod apps;
pub mod backends;
pub mod commands;
pub mod config;
pub mod groups;
pub mod jobs;
pub mod migrations;
pub mod password;
pub mod repair_steps;
pub mod sql;
pub mod time;
pub mod users;

use occ_plugin_api::prelude::*;

/// The plugin.
pub struct Core;

/// Every command of the plugin: its one registry list.
static COMMANDS: &[&dyn Command] = &[
    &commands::status::Status,
    &commands::check::Check,
    &commands::upgrade::Upgrade,
    &commands::install::Install,
    &commands::mode::Mode,
    &commands::singleuser::SingleUser,
    &commands::repair::Repair,
    // background jobs
    &commands::background_mode::Ajax,
    &commands::background_mode::Cron,
    &commands::background_mode::WebCron,
    &commands::background_queue_status::QueueStatus,
    &commands::background_queue_execute::QueueExecute,
    &commands::background_queue_delete::QueueDelete,
    &commands::system_cron::SystemCron,
    // users
    &commands::user_add::UserAdd,
    &commands::user_delete::UserDelete,
    &commands::user_resetpassword::UserResetPassword,
    &commands::user_lastseen::UserLastSeen,
    &commands::user_report::UserReport,
    &commands::user_sync::UserSync,
    &commands::user_list::UserList,
    &commands::user_list_groups::UserListGroups,
    &commands::user_info::UserInfo,
    &commands::user_enable::UserEnable,
    &commands::user_enable::UserDisable,
    &commands::user_setting::UserSetting,
    // groups
    &commands::group_add::GroupAdd,
    &commands::group_delete::GroupDelete,
    &commands::group_list::GroupList,
    &commands::group_members::GroupListMembers,
    &commands::group_members::GroupAddUser,
    &commands::group_members::GroupRemoveUser,
    // config
    &commands::config_system::SystemGet,
    &commands::config_system::SystemSet,
    &commands::config_system::SystemDelete,
    &commands::config_app::AppGet,
    &commands::config_app::AppSet,
    &commands::config_app::AppDelete,
    &commands::config_list::ConfigList,
    &commands::config_import::ConfigImport,
    // database
    &commands::db_convert_type::DbConvertType,
    // apps
    &commands::app_list::AppList,
    &commands::app_enable::AppEnable,
    &commands::app_disable::AppDisable,
    &commands::app_check_code::AppCheckCode,
    &commands::app_getpath::AppGetPath,
];

impl Plugin for Core {
    fn id(&self) -> &str {
        "core"
    }
    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }
    fn namespaces(&self) -> Vec<String> {
        vec![
            "".into(),
            "maintenance".into(),
            "user".into(),
            "group".into(),
            "config".into(),
            "app".into(),
            "background".into(),
            "background-job".into(),
            "system".into(),
            "db".into(),
        ]
    }
    fn commands(&self) -> &[&dyn Command] {
        COMMANDS
    }
    fn migrations(&self) -> Vec<Migration> {
        migrations::all()
    }
    fn repair_steps(&self) -> &[&dyn RepairStep] {
        repair_steps::STEPS
    }
    fn services(&self) -> Vec<String> {
        ["user.exists", "user.list", "user.home"]
            .map(String::from)
            .to_vec()
    }
    /// Users for other plugins (files scans homes, ldap maps accounts).
    fn service(&self, name: &str, payload: &Value, ctx: &mut Context) -> Result<Value, Error> {
        let uid = payload
            .get("uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match name {
            "user.exists" => Ok(json!(
                users::validate_uid(uid).is_ok() && users::get(&ctx.db(), uid)?.is_some()
            )),
            "user.list" => Ok(json!(users::list(&ctx.db(), "", i64::MAX, 0)?
                .into_iter()
                .map(|u| u.uid)
                .collect::<Vec<_>>())),
            "user.home" => Ok(json!(users::require(&ctx.db(), uid)?.home)),
            other => Err(Error::new(format!("unknown service {other}"))),
        }
    }
}

/// The exported instance.
pub static CORE: Core = Core;

occ_plugin_api::export_plugin!(CORE);
