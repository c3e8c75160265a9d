-- mod_kdata's own tables in the WHMCS database.
--
-- Install, and upgrade to a new version of mod_kdata, by running this file
-- against the WHMCS database before loading the new module (it is safe to
-- run again: every statement creates only what is missing):
--
--     mariadb whmcs < /usr/share/doc/libapache2-mod-kdata/mod_kdata.sql
--
-- The names carry the mod_ prefix WHMCS addons use for their own tables,
-- so WHMCS's own upgrades never touch them.  The module's database user
-- needs SELECT, INSERT, UPDATE and DELETE on them, as on WHMCS's tables;
-- it never creates or alters a table itself.  While a table is missing,
-- what needs it answers 503 and httpd's error log says which table
-- (KD00307): the module never runs without the state these hold.
--
-- Everything here is state whose loss would let someone in or charge
-- twice, so it lives in the database every Apache host shares, never only
-- in a cache that can evict it.  Rows expire; the module deletes expired
-- rows itself, a few at a time, on the write paths that add them.

-- Tokens ended before their expiry (/logout, /refresh).  Checked in the
-- same statement as the caller on every request.
CREATE TABLE IF NOT EXISTS `mod_kdata_revoked` (
  `jti` varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `expires` int(10) unsigned NOT NULL COMMENT 'unix time the token dies anyway',
  PRIMARY KEY (`jti`),
  KEY `expires` (`expires`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Idempotency-Key: one row per client and key, inserted in the same
-- transaction as the write it guards, so exactly one of any number of
-- concurrent requests, on any number of hosts, runs the write; the answer
-- it gave is replayed to the others.
CREATE TABLE IF NOT EXISTS `mod_kdata_idempotency` (
  `client_id` int(10) unsigned NOT NULL,
  `key_hash` binary(32) NOT NULL COMMENT 'SHA-256 of the Idempotency-Key',
  `route` varchar(32) CHARACTER SET ascii NOT NULL,
  `fingerprint` binary(32) NOT NULL COMMENT 'SHA-256 of the request body',
  `status` smallint(5) unsigned NOT NULL,
  `body` mediumtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `created` int(10) unsigned NOT NULL,
  `expires` int(10) unsigned NOT NULL,
  PRIMARY KEY (`client_id`, `key_hash`),
  KEY `expires` (`expires`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Failed logins per account (leaky buckets), keyed by the account the
-- email resolved to ('u:' tblusers.id on WHMCS 8, 'c:' tblclients.id on
-- WHMCS 7), never by the typed spelling.  Only login attempts on real
-- accounts create rows, so no flood of other traffic can reset them.
-- (A table made by an earlier version also has the columns `held` and
-- `held_until`; they are no longer used and may stay.)
CREATE TABLE IF NOT EXISTS `mod_kdata_login_failures` (
  `account` varchar(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `level` bigint(20) NOT NULL COMMENT 'failures x 1000 at `at`',
  `at` bigint(20) NOT NULL COMMENT 'microseconds since the epoch',
  `expires` int(10) unsigned NOT NULL,
  PRIMARY KEY (`account`),
  KEY `expires` (`expires`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The password checks in flight per account, one row per slot (at most
-- 16), each admitted under the account row's lock only while the bucket
-- could still take its failure, so parallel guesses on any number of
-- hosts cannot pass the limit.  A check deletes its row at its verdict;
-- one that never comes (a process killed, the database gone) leaves a
-- row that stops counting at its own `until`, whatever the account's
-- other logins do.  Rows go with their account's row.
CREATE TABLE IF NOT EXISTS `mod_kdata_login_holds` (
  `account` varchar(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `slot` tinyint(3) unsigned NOT NULL,
  `until` bigint(20) NOT NULL
    COMMENT 'microseconds; a hold older than this is presumed dead',
  PRIMARY KEY (`account`, `slot`),
  CONSTRAINT `mod_kdata_login_holds_account` FOREIGN KEY (`account`)
    REFERENCES `mod_kdata_login_failures` (`account`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The outbox (KdataWhmcsApi): what WHMCS itself must still do after a
-- write (emails, provisioning), as calls to WHMCS's external API.  A
-- write inserts its rows in its own transaction, so they exist exactly
-- when the write committed; a watchdog thread in httpd delivers them
-- later, outside any request (src/kd_deliver.c).  Hosts share the table:
-- a host claims due rows with SELECT ... FOR UPDATE SKIP LOCKED and
-- marks them claimed_by/claimed_until before it calls WHMCS, so two
-- hosts never send one row at once.  A row WHMCS refused or did not
-- answer is retried with exponential backoff, then parked with its last
-- error until an admin re-drives it (scripts/kd-outbox).  Delivered rows
-- stay 'done' for a day, for the admin's view, then go.
CREATE TABLE IF NOT EXISTS `mod_kdata_outbox` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `kind` varchar(32) CHARACTER SET ascii NOT NULL COMMENT 'the WHMCS API action',
  `payload` varchar(8192) CHARACTER SET ascii NOT NULL COMMENT 'its form fields, URL-encoded, never credentials',
  `origin` varchar(64) CHARACTER SET ascii NOT NULL COMMENT 'the write that owes it, for the admin',
  `state` enum('pending','parked','done') CHARACTER SET ascii NOT NULL DEFAULT 'pending',
  `attempts` smallint(5) unsigned NOT NULL DEFAULT 0,
  `next_at` int(10) unsigned NOT NULL COMMENT 'unix time it is due',
  `claimed_by` varchar(128) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',
  `claimed_until` int(10) unsigned NOT NULL DEFAULT 0,
  `last_error` varchar(255) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',
  `created` int(10) unsigned NOT NULL,
  `done_at` int(10) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `due` (`state`, `next_at`),
  KEY `done` (`state`, `done_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
