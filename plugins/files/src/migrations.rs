//! The files schema: storages, file cache and mimetypes, with ownCloud's names and columns.
//! Never edit a migration that has run: add a new one.

use occ_plugin_api::Migration;

/// All migrations of the files plugin, in order.
pub fn all() -> Vec<Migration> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![Migration {
            id: "20261128000001".into(),
            description: "storages, filecache, mimetypes".into(),
            sqlite: s(&[
                r#"CREATE TABLE "*PREFIX*storages" ("id" VARCHAR(64) DEFAULT NULL, "numeric_id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "available" INTEGER DEFAULT 1 NOT NULL, "last_checked" INTEGER DEFAULT NULL)"#,
                r#"CREATE UNIQUE INDEX "*PREFIX*storages_id_index" ON "*PREFIX*storages" ("id")"#,
                r#"CREATE TABLE "*PREFIX*mimetypes" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "mimetype" VARCHAR(255) DEFAULT '' NOT NULL)"#,
                r#"CREATE UNIQUE INDEX "*PREFIX*mimetype_id_index" ON "*PREFIX*mimetypes" ("mimetype")"#,
                r#"CREATE TABLE "*PREFIX*filecache" ("fileid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "storage" INTEGER DEFAULT 0 NOT NULL, "path" VARCHAR(4000) DEFAULT NULL, "path_hash" VARCHAR(32) DEFAULT '' NOT NULL, "parent" BIGINT DEFAULT 0 NOT NULL, "name" VARCHAR(250) DEFAULT NULL, "mimetype" INTEGER DEFAULT 0 NOT NULL, "mimepart" INTEGER DEFAULT 0 NOT NULL, "size" BIGINT DEFAULT 0 NOT NULL, "encrypted" INTEGER DEFAULT 0 NOT NULL, "unencrypted_size" BIGINT DEFAULT 0 NOT NULL, "etag" VARCHAR(40) DEFAULT NULL, "permissions" INTEGER DEFAULT 0, "checksum" VARCHAR(255) DEFAULT NULL, "mtime" BIGINT DEFAULT 0 NOT NULL, "storage_mtime" BIGINT DEFAULT 0 NOT NULL)"#,
                r#"CREATE UNIQUE INDEX "*PREFIX*fs_storage_path_hash" ON "*PREFIX*filecache" ("storage", "path_hash")"#,
                r#"CREATE INDEX "*PREFIX*fs_parent_name_hash" ON "*PREFIX*filecache" ("parent", "name")"#,
                r#"CREATE INDEX "*PREFIX*fs_storage_mimetype" ON "*PREFIX*filecache" ("storage", "mimetype")"#,
                r#"CREATE INDEX "*PREFIX*fs_storage_mimepart" ON "*PREFIX*filecache" ("storage", "mimepart")"#,
                r#"CREATE INDEX "*PREFIX*fs_storage_size" ON "*PREFIX*filecache" ("storage", "size", "fileid")"#,
                r#"CREATE INDEX "*PREFIX*fs_parent_storage_size" ON "*PREFIX*filecache" ("parent", "storage", "size")"#,
            ]),
            pgsql: s(&[
                r#"CREATE TABLE "*PREFIX*storages" ("id" VARCHAR(64) DEFAULT NULL, "numeric_id" BIGSERIAL PRIMARY KEY, "available" INTEGER DEFAULT 1 NOT NULL, "last_checked" INTEGER DEFAULT NULL)"#,
                r#"CREATE UNIQUE INDEX "*PREFIX*storages_id_index" ON "*PREFIX*storages" ("id")"#,
                r#"CREATE TABLE "*PREFIX*mimetypes" ("id" BIGSERIAL PRIMARY KEY, "mimetype" VARCHAR(255) DEFAULT '' NOT NULL)"#,
                r#"CREATE UNIQUE INDEX "*PREFIX*mimetype_id_index" ON "*PREFIX*mimetypes" ("mimetype")"#,
                r#"CREATE TABLE "*PREFIX*filecache" ("fileid" BIGSERIAL PRIMARY KEY, "storage" INTEGER DEFAULT 0 NOT NULL, "path" VARCHAR(4000) DEFAULT NULL, "path_hash" VARCHAR(32) DEFAULT '' NOT NULL, "parent" BIGINT DEFAULT 0 NOT NULL, "name" VARCHAR(250) DEFAULT NULL, "mimetype" INTEGER DEFAULT 0 NOT NULL, "mimepart" INTEGER DEFAULT 0 NOT NULL, "size" BIGINT DEFAULT 0 NOT NULL, "encrypted" INTEGER DEFAULT 0 NOT NULL, "unencrypted_size" BIGINT DEFAULT 0 NOT NULL, "etag" VARCHAR(40) DEFAULT NULL, "permissions" INTEGER DEFAULT 0, "checksum" VARCHAR(255) DEFAULT NULL, "mtime" BIGINT DEFAULT 0 NOT NULL, "storage_mtime" BIGINT DEFAULT 0 NOT NULL)"#,
                r#"CREATE UNIQUE INDEX "*PREFIX*fs_storage_path_hash" ON "*PREFIX*filecache" ("storage", "path_hash")"#,
                r#"CREATE INDEX "*PREFIX*fs_parent_name_hash" ON "*PREFIX*filecache" ("parent", "name")"#,
                r#"CREATE INDEX "*PREFIX*fs_storage_mimetype" ON "*PREFIX*filecache" ("storage", "mimetype")"#,
                r#"CREATE INDEX "*PREFIX*fs_storage_mimepart" ON "*PREFIX*filecache" ("storage", "mimepart")"#,
                r#"CREATE INDEX "*PREFIX*fs_storage_size" ON "*PREFIX*filecache" ("storage", "size", "fileid")"#,
                r#"CREATE INDEX "*PREFIX*fs_parent_storage_size" ON "*PREFIX*filecache" ("parent", "storage", "size")"#,
            ]),
            mysql: s(&[
                "CREATE TABLE `*PREFIX*storages` (`id` VARCHAR(64) DEFAULT NULL, `numeric_id` BIGINT AUTO_INCREMENT NOT NULL, `available` INT DEFAULT 1 NOT NULL, `last_checked` INT DEFAULT NULL, PRIMARY KEY(`numeric_id`), UNIQUE INDEX `storages_id_index` (`id`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
                "CREATE TABLE `*PREFIX*mimetypes` (`id` BIGINT AUTO_INCREMENT NOT NULL, `mimetype` VARCHAR(255) DEFAULT '' NOT NULL, PRIMARY KEY(`id`), UNIQUE INDEX `mimetype_id_index` (`mimetype`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
                "CREATE TABLE `*PREFIX*filecache` (`fileid` BIGINT AUTO_INCREMENT NOT NULL, `storage` INT DEFAULT 0 NOT NULL, `path` VARCHAR(4000) DEFAULT NULL, `path_hash` VARCHAR(32) DEFAULT '' NOT NULL, `parent` BIGINT DEFAULT 0 NOT NULL, `name` VARCHAR(250) DEFAULT NULL, `mimetype` INT DEFAULT 0 NOT NULL, `mimepart` INT DEFAULT 0 NOT NULL, `size` BIGINT DEFAULT 0 NOT NULL, `encrypted` INT DEFAULT 0 NOT NULL, `unencrypted_size` BIGINT DEFAULT 0 NOT NULL, `etag` VARCHAR(40) DEFAULT NULL, `permissions` INT DEFAULT 0, `checksum` VARCHAR(255) DEFAULT NULL, `mtime` BIGINT DEFAULT 0 NOT NULL, `storage_mtime` BIGINT DEFAULT 0 NOT NULL, PRIMARY KEY(`fileid`), UNIQUE INDEX `fs_storage_path_hash` (`storage`, `path_hash`), INDEX `fs_parent_name_hash` (`parent`, `name`), INDEX `fs_storage_mimetype` (`storage`, `mimetype`), INDEX `fs_storage_mimepart` (`storage`, `mimepart`), INDEX `fs_storage_size` (`storage`, `size`, `fileid`), INDEX `fs_parent_storage_size` (`parent`, `storage`, `size`)) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin",
            ]),
        }]
}
