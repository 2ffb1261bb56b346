//! The core schema, with ownCloud 10's table and column names. Never edit a migration that
//! has run: add a new one.

use occ_plugin_api::Migration;

/// All core migrations, in order.
pub fn all() -> Vec<Migration> {
    vec![Migration {
        id: "20261128000001".into(),
        description: "users, groups, accounts, app config, preferences, jobs".into(),
        sqlite: [
            r#"CREATE TABLE "*PREFIX*users" ("uid" VARCHAR(64) DEFAULT '' NOT NULL, "displayname" VARCHAR(64) DEFAULT NULL, "password" VARCHAR(255) DEFAULT '' NOT NULL, PRIMARY KEY("uid"))"#,
            r#"CREATE TABLE "*PREFIX*groups" ("gid" VARCHAR(64) DEFAULT '' NOT NULL, PRIMARY KEY("gid"))"#,
            r#"CREATE TABLE "*PREFIX*group_user" ("gid" VARCHAR(64) DEFAULT '' NOT NULL, "uid" VARCHAR(64) DEFAULT '' NOT NULL, PRIMARY KEY("gid", "uid"))"#,
            r#"CREATE INDEX "*PREFIX*gu_uid_index" ON "*PREFIX*group_user" ("uid")"#,
            r#"CREATE TABLE "*PREFIX*appconfig" ("appid" VARCHAR(32) DEFAULT '' NOT NULL, "configkey" VARCHAR(64) DEFAULT '' NOT NULL, "configvalue" CLOB DEFAULT NULL, PRIMARY KEY("appid", "configkey"))"#,
            r#"CREATE INDEX "*PREFIX*appconfig_config_key_index" ON "*PREFIX*appconfig" ("configkey")"#,
            r#"CREATE INDEX "*PREFIX*appconfig_appid_key" ON "*PREFIX*appconfig" ("appid")"#,
            r#"CREATE TABLE "*PREFIX*preferences" ("userid" VARCHAR(64) DEFAULT '' NOT NULL, "appid" VARCHAR(32) DEFAULT '' NOT NULL, "configkey" VARCHAR(64) DEFAULT '' NOT NULL, "configvalue" CLOB DEFAULT NULL, PRIMARY KEY("userid", "appid", "configkey"))"#,
            r#"CREATE TABLE "*PREFIX*jobs" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "class" VARCHAR(255) DEFAULT '' NOT NULL, "argument" VARCHAR(4000) DEFAULT '' NOT NULL, "last_run" INTEGER DEFAULT 0, "last_checked" INTEGER DEFAULT 0, "reserved_at" INTEGER DEFAULT 0, "execution_duration" INTEGER DEFAULT -1 NOT NULL)"#,
            r#"CREATE INDEX "*PREFIX*job_class_index" ON "*PREFIX*jobs" ("class")"#,
            r#"CREATE TABLE "*PREFIX*accounts" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "email" VARCHAR(255) DEFAULT NULL, "user_id" VARCHAR(255) NOT NULL, "lower_user_id" VARCHAR(255) NOT NULL, "display_name" VARCHAR(255) DEFAULT NULL, "quota" VARCHAR(32) DEFAULT NULL, "last_login" INTEGER DEFAULT 0 NOT NULL, "backend" VARCHAR(64) NOT NULL, "home" VARCHAR(1024) NOT NULL, "state" SMALLINT DEFAULT 0 NOT NULL, "creation_time" INTEGER DEFAULT 0 NOT NULL)"#,
            r#"CREATE UNIQUE INDEX "*PREFIX*accounts_user_id" ON "*PREFIX*accounts" ("user_id")"#,
            r#"CREATE UNIQUE INDEX "*PREFIX*lower_user_id_index" ON "*PREFIX*accounts" ("lower_user_id")"#,
            r#"CREATE INDEX "*PREFIX*display_name_index" ON "*PREFIX*accounts" ("display_name")"#,
            r#"CREATE INDEX "*PREFIX*email_index" ON "*PREFIX*accounts" ("email")"#,
        ]
        .map(String::from)
        .to_vec(),
        pgsql: [
            r#"CREATE TABLE "*PREFIX*users" ("uid" VARCHAR(64) DEFAULT '' NOT NULL, "displayname" VARCHAR(64) DEFAULT NULL, "password" VARCHAR(255) DEFAULT '' NOT NULL, PRIMARY KEY("uid"))"#,
            r#"CREATE TABLE "*PREFIX*groups" ("gid" VARCHAR(64) DEFAULT '' NOT NULL, PRIMARY KEY("gid"))"#,
            r#"CREATE TABLE "*PREFIX*group_user" ("gid" VARCHAR(64) DEFAULT '' NOT NULL, "uid" VARCHAR(64) DEFAULT '' NOT NULL, PRIMARY KEY("gid", "uid"))"#,
            r#"CREATE INDEX "*PREFIX*gu_uid_index" ON "*PREFIX*group_user" ("uid")"#,
            r#"CREATE TABLE "*PREFIX*appconfig" ("appid" VARCHAR(32) DEFAULT '' NOT NULL, "configkey" VARCHAR(64) DEFAULT '' NOT NULL, "configvalue" TEXT DEFAULT NULL, PRIMARY KEY("appid", "configkey"))"#,
            r#"CREATE INDEX "*PREFIX*appconfig_config_key_index" ON "*PREFIX*appconfig" ("configkey")"#,
            r#"CREATE INDEX "*PREFIX*appconfig_appid_key" ON "*PREFIX*appconfig" ("appid")"#,
            r#"CREATE TABLE "*PREFIX*preferences" ("userid" VARCHAR(64) DEFAULT '' NOT NULL, "appid" VARCHAR(32) DEFAULT '' NOT NULL, "configkey" VARCHAR(64) DEFAULT '' NOT NULL, "configvalue" TEXT DEFAULT NULL, PRIMARY KEY("userid", "appid", "configkey"))"#,
            r#"CREATE TABLE "*PREFIX*jobs" ("id" BIGSERIAL PRIMARY KEY, "class" VARCHAR(255) DEFAULT '' NOT NULL, "argument" VARCHAR(4000) DEFAULT '' NOT NULL, "last_run" INTEGER DEFAULT 0, "last_checked" INTEGER DEFAULT 0, "reserved_at" INTEGER DEFAULT 0, "execution_duration" INTEGER DEFAULT -1 NOT NULL)"#,
            r#"CREATE INDEX "*PREFIX*job_class_index" ON "*PREFIX*jobs" ("class")"#,
            r#"CREATE TABLE "*PREFIX*accounts" ("id" BIGSERIAL PRIMARY KEY, "email" VARCHAR(255) DEFAULT NULL, "user_id" VARCHAR(255) NOT NULL, "lower_user_id" VARCHAR(255) NOT NULL, "display_name" VARCHAR(255) DEFAULT NULL, "quota" VARCHAR(32) DEFAULT NULL, "last_login" INTEGER DEFAULT 0 NOT NULL, "backend" VARCHAR(64) NOT NULL, "home" VARCHAR(1024) NOT NULL, "state" SMALLINT DEFAULT 0 NOT NULL, "creation_time" INTEGER DEFAULT 0 NOT NULL)"#,
            r#"CREATE UNIQUE INDEX "*PREFIX*accounts_user_id" ON "*PREFIX*accounts" ("user_id")"#,
            r#"CREATE UNIQUE INDEX "*PREFIX*lower_user_id_index" ON "*PREFIX*accounts" ("lower_user_id")"#,
            r#"CREATE INDEX "*PREFIX*display_name_index" ON "*PREFIX*accounts" ("display_name")"#,
            r#"CREATE INDEX "*PREFIX*email_index" ON "*PREFIX*accounts" ("email")"#,
        ]
        .map(String::from)
        .to_vec(),
        mysql: [
            "CREATE TABLE `*PREFIX*users` (`uid` VARCHAR(64) DEFAULT '' NOT NULL, `displayname` VARCHAR(64) DEFAULT NULL, `password` VARCHAR(255) DEFAULT '' NOT NULL, PRIMARY KEY(`uid`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
            "CREATE TABLE `*PREFIX*groups` (`gid` VARCHAR(64) DEFAULT '' NOT NULL, PRIMARY KEY(`gid`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
            "CREATE TABLE `*PREFIX*group_user` (`gid` VARCHAR(64) DEFAULT '' NOT NULL, `uid` VARCHAR(64) DEFAULT '' NOT NULL, PRIMARY KEY(`gid`, `uid`), INDEX `gu_uid_index` (`uid`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
            "CREATE TABLE `*PREFIX*appconfig` (`appid` VARCHAR(32) DEFAULT '' NOT NULL, `configkey` VARCHAR(64) DEFAULT '' NOT NULL, `configvalue` LONGTEXT DEFAULT NULL, PRIMARY KEY(`appid`, `configkey`), INDEX `appconfig_config_key_index` (`configkey`), INDEX `appconfig_appid_key` (`appid`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
            "CREATE TABLE `*PREFIX*preferences` (`userid` VARCHAR(64) DEFAULT '' NOT NULL, `appid` VARCHAR(32) DEFAULT '' NOT NULL, `configkey` VARCHAR(64) DEFAULT '' NOT NULL, `configvalue` LONGTEXT DEFAULT NULL, PRIMARY KEY(`userid`, `appid`, `configkey`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
            "CREATE TABLE `*PREFIX*jobs` (`id` BIGINT UNSIGNED AUTO_INCREMENT NOT NULL, `class` VARCHAR(255) DEFAULT '' NOT NULL, `argument` VARCHAR(4000) DEFAULT '' NOT NULL, `last_run` INT DEFAULT 0, `last_checked` INT DEFAULT 0, `reserved_at` INT DEFAULT 0, `execution_duration` INT DEFAULT -1 NOT NULL, PRIMARY KEY(`id`), INDEX `job_class_index` (`class`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
            "CREATE TABLE `*PREFIX*accounts` (`id` BIGINT UNSIGNED AUTO_INCREMENT NOT NULL, `email` VARCHAR(255) DEFAULT NULL, `user_id` VARCHAR(255) NOT NULL, `lower_user_id` VARCHAR(255) NOT NULL, `display_name` VARCHAR(255) DEFAULT NULL, `quota` VARCHAR(32) DEFAULT NULL, `last_login` INT DEFAULT 0 NOT NULL, `backend` VARCHAR(64) NOT NULL, `home` VARCHAR(1024) NOT NULL, `state` SMALLINT DEFAULT 0 NOT NULL, `creation_time` INT DEFAULT 0 NOT NULL, PRIMARY KEY(`id`), UNIQUE INDEX `accounts_user_id` (`user_id`), UNIQUE INDEX `lower_user_id_index` (`lower_user_id`), INDEX `display_name_index` (`display_name`), INDEX `email_index` (`email`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
        ]
        .map(String::from)
        .to_vec(),
    },
    Migration {
        id: "20261130000001".into(),
        description: "accounts by backend (lists ask whether other backends have accounts)".into(),
        sqlite: vec![r#"CREATE INDEX "*PREFIX*accounts_backend_index" ON "*PREFIX*accounts" ("backend")"#.into()],
        pgsql: vec![r#"CREATE INDEX "*PREFIX*accounts_backend_index" ON "*PREFIX*accounts" ("backend")"#.into()],
        mysql: vec!["CREATE INDEX `accounts_backend_index` ON `*PREFIX*accounts` (`backend`)".into()],
    }]
}
