-- Exchange 5.5 Key Management Server database, as written by kms-migrate.
-- Schema version 1. Documented in docs/database.md.
-- application_id 0x4B4D3535 is 'KM55' in ASCII: the project's own constant.
-- CHECK constraints list values with OR, not IN (...): SQLite evaluates an IN list of
-- three or more values through a temporary b-tree built for every row inserted
-- (docs/performance.md).
-- 16 KiB pages: records carry 1-4 KB blobs (the archived file, DER, key); measured
-- 8% faster than 4 KiB at 100,000 records (docs/performance.md).
PRAGMA page_size = 16384;
PRAGMA application_id = 1263351093;
PRAGMA user_version = 2;

-- One row per migrated or normalized client record. mailbox_dn is unique
-- (case-insensitive, ASCII): the unique index clients_mailbox_dn, in
-- kms55_indexes.sql, is built after the records are loaded.
CREATE TABLE clients (
  record_id     TEXT PRIMARY KEY,
  mailbox_dn    TEXT NOT NULL COLLATE NOCASE,
  display_name  TEXT,
  alias         TEXT,
  state         TEXT NOT NULL CHECK (state = 'new' OR state = 'active' OR state = 'revoked' OR state = 'recovery'),
  legacy_state  INTEGER NOT NULL CHECK (legacy_state BETWEEN 1 AND 4),
  token         TEXT,
  created_at    TEXT,
  modified_at   TEXT
) STRICT;

-- One row per [SCert<n>] (signing) or [ECert<n>] (encryption) section.
CREATE TABLE certificates (
  record_id       TEXT NOT NULL REFERENCES clients (record_id) ON DELETE CASCADE,
  kind            TEXT NOT NULL CHECK (kind IN ('signing', 'encryption')),
  seq             INTEGER NOT NULL CHECK (seq >= 1),
  serial          TEXT NOT NULL,
  subject         TEXT NOT NULL,
  issuer          TEXT NOT NULL,
  not_before      TEXT NOT NULL,
  not_after       TEXT NOT NULL,
  sha1_thumbprint TEXT NOT NULL,
  revoked         INTEGER NOT NULL CHECK (revoked IN (0, 1)),
  revoked_at      TEXT,
  der             BLOB NOT NULL,
  PRIMARY KEY (record_id, kind, seq)
) STRICT;

-- One row per EscrowedKey of an [ECert<n>] section; seq is that n.
CREATE TABLE escrowed_keys (
  record_id  TEXT NOT NULL REFERENCES clients (record_id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL CHECK (seq >= 1),
  key_blob   BLOB NOT NULL,
  PRIMARY KEY (record_id, seq)
) STRICT;

-- Unknown keys, and the raw text of timestamps that could not be read.
CREATE TABLE extra_attributes (
  record_id  TEXT NOT NULL REFERENCES clients (record_id) ON DELETE CASCADE,
  section    TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (record_id, section, key)
) STRICT;

-- Every entry seen in Clients, with the bytes of every record file that was read.
CREATE TABLE legacy_files (
  path       TEXT PRIMARY KEY,
  record_id  TEXT,
  size       INTEGER,
  sha256     TEXT,
  raw        BLOB,
  outcome    TEXT NOT NULL CHECK (outcome = 'migrated' OR outcome = 'normalized' OR outcome = 'rejected' OR outcome = 'skipped')
) STRICT;

-- The per-file report of the run that wrote this database.
CREATE TABLE migration_report (
  path          TEXT PRIMARY KEY,
  record_id     TEXT,
  mailbox_dn    TEXT,
  sha256        TEXT,  -- as in legacy_files: the report reads from this table alone
  outcome       TEXT NOT NULL CHECK (outcome = 'migrated' OR outcome = 'normalized' OR outcome = 'rejected' OR outcome = 'skipped'),
  state         TEXT,
  legacy_state  INTEGER,
  issues        TEXT NOT NULL,
  verification  TEXT CHECK (verification = 'passed' OR verification = 'failed' OR verification = 'not-applicable'),
  display_name  TEXT,  -- shown forms, as mailbox_dn: what the reports show of the file
  alias         TEXT
) STRICT;

CREATE TABLE migration_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT
) STRICT;

-- The 5.5 KM server's multi-password policy.
CREATE TABLE password_policy (
  task                TEXT PRIMARY KEY,
  passwords_required  INTEGER NOT NULL CHECK (passwords_required BETWEEN 1 AND 4)
) STRICT;

INSERT INTO password_policy (task, passwords_required) VALUES
  ('administer', 1),
  ('recover-keys', 1),
  ('revoke-certificates', 1),
  ('trust-ca-certificate', 1);
