-- tokenstore schema for SQL Server 2016 or later and Azure SQL: tokens, codes, clients, purge lease.
--
-- Run by the migration runner, in one transaction with its row in tokenstore_schema_version, or by
-- hand: sqlcmd -b -I -d <database> -i 001_tokens.sql
-- (-I: QUOTED_IDENTIFIER ON, which filtered indexes and every statement that writes their tables
-- need; tedious, the driver, has it on by default). The file is not idempotent: the runner records
-- that it ran.
--
-- Conventions, the same on every dialect:
--   * token_key is the lookup key the service derived from the value (the value itself in plain
--     mode, an HMAC in hash/encrypt mode): ASCII, at most 512 characters, compared byte-wise
--     (varchar COLLATE Latin1_General_BIN2). token_value is what the service kept of the value
--     (plaintext, sealed, or NULL).
--   * Identifiers (consumer keys, user ids, grant ids) are nvarchar and compare exactly
--     (Latin1_General_BIN2), never case- or accent-insensitively.
--   * Times are epoch milliseconds (bigint). expires_at NULL means "never expires". Booleans are bit.
--   * scopes is the normalised scope set joined by single spaces (scope tokens contain no space).
--   * row_id is a surrogate, increasing row number: the order of paged scans (rewrap) and their
--     cursor, so a cursor never carries a lookup key. Re-keying a row keeps its row_id.
--   * Every lookup has an index: token key (primary key), reuse key, user, consumer key, grant,
--     expiry, and the retired-row index purge uses. No statement of the store scans a table.

CREATE TABLE tokenstore_access_token (
  token_key        varchar(512)  COLLATE Latin1_General_BIN2 NOT NULL,
  row_id           bigint        IDENTITY(1, 1) NOT NULL,
  token_value      nvarchar(max) NULL,
  consumer_key     nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  user_id          nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  user_type        varchar(16)   NOT NULL,
  scopes           nvarchar(max) NOT NULL,
  grant_id         nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  grant_type       nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  -- Digest of (consumer key, user, user type, scope set); not secret.
  reuse_key        varchar(128)  COLLATE Latin1_General_BIN2 NOT NULL,
  -- Issued under the reuse policy: at most one ACTIVE exclusive token per reuse_key.
  is_exclusive     bit           NOT NULL,
  state            varchar(16)   NOT NULL,
  issued_at        bigint        NOT NULL,
  expires_at       bigint        NULL,
  state_changed_at bigint        NOT NULL,
  CONSTRAINT tokenstore_access_token_pkey PRIMARY KEY (token_key),
  CONSTRAINT tokenstore_access_token_state CHECK (state IN ('ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'))
);

CREATE UNIQUE INDEX tokenstore_access_token_row_id ON tokenstore_access_token (row_id);
-- One ACTIVE exclusive token per reuse key: a filtered unique index over active exclusive rows
-- only. (A plain unique index would not do even over a NULL-when-inactive column: SQL Server
-- treats NULLs as equal in unique indexes.) It also serves the reuse lookup, whose WHERE clause
-- repeats the filter as literals. Concurrent inserts queue on its key range (UPDLOCK, HOLDLOCK).
CREATE UNIQUE INDEX tokenstore_access_token_active_reuse
  ON tokenstore_access_token (reuse_key) WHERE state = 'ACTIVE' AND is_exclusive = 1;
CREATE INDEX tokenstore_access_token_user ON tokenstore_access_token (user_id, consumer_key);
CREATE INDEX tokenstore_access_token_consumer ON tokenstore_access_token (consumer_key);
CREATE INDEX tokenstore_access_token_grant ON tokenstore_access_token (grant_id);
CREATE INDEX tokenstore_access_token_expires_at ON tokenstore_access_token (expires_at);
-- Purge of revoked/inactive/expired-state rows past the retention window. Filtered: live rows,
-- the vast majority, are not in it.
CREATE INDEX tokenstore_access_token_retired
  ON tokenstore_access_token (state_changed_at) WHERE state <> 'ACTIVE';

CREATE TABLE tokenstore_refresh_token (
  token_key        varchar(512)  COLLATE Latin1_General_BIN2 NOT NULL,
  row_id           bigint        IDENTITY(1, 1) NOT NULL,
  token_value      nvarchar(max) NULL,
  consumer_key     nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  user_id          nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  user_type        varchar(16)   NOT NULL,
  scopes           nvarchar(max) NOT NULL,
  grant_id         nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  state            varchar(16)   NOT NULL,
  issued_at        bigint        NOT NULL,
  expires_at       bigint        NULL,
  state_changed_at bigint        NOT NULL,
  -- Set when the token is rotated (becomes INACTIVE); drives the reuse grace window.
  rotated_at       bigint        NULL,
  -- Grace-window presentations after rotation.
  reuse_count      int           NOT NULL DEFAULT 0,
  CONSTRAINT tokenstore_refresh_token_pkey PRIMARY KEY (token_key),
  CONSTRAINT tokenstore_refresh_token_state CHECK (state IN ('ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'))
);

CREATE UNIQUE INDEX tokenstore_refresh_token_row_id ON tokenstore_refresh_token (row_id);
CREATE INDEX tokenstore_refresh_token_user ON tokenstore_refresh_token (user_id, consumer_key);
CREATE INDEX tokenstore_refresh_token_consumer ON tokenstore_refresh_token (consumer_key);
CREATE INDEX tokenstore_refresh_token_grant ON tokenstore_refresh_token (grant_id);
CREATE INDEX tokenstore_refresh_token_expires_at ON tokenstore_refresh_token (expires_at);
CREATE INDEX tokenstore_refresh_token_retired
  ON tokenstore_refresh_token (state_changed_at) WHERE state <> 'ACTIVE';

CREATE TABLE tokenstore_authorization_code (
  token_key             varchar(512)   COLLATE Latin1_General_BIN2 NOT NULL,
  row_id                bigint         IDENTITY(1, 1) NOT NULL,
  token_value           nvarchar(max)  NULL,
  consumer_key          nvarchar(255)  COLLATE Latin1_General_BIN2 NOT NULL,
  user_id               nvarchar(255)  COLLATE Latin1_General_BIN2 NOT NULL,
  user_type             varchar(16)    NOT NULL,
  scopes                nvarchar(max)  NOT NULL,
  grant_id              nvarchar(255)  COLLATE Latin1_General_BIN2 NOT NULL,
  state                 varchar(16)    NOT NULL,
  issued_at             bigint         NOT NULL,
  expires_at            bigint         NULL,
  state_changed_at      bigint         NOT NULL,
  redirect_uri          nvarchar(2048) NULL,
  code_challenge        varchar(128)   NULL,
  code_challenge_method varchar(8)     NULL,
  nonce                 nvarchar(255)  NULL,
  CONSTRAINT tokenstore_authorization_code_pkey PRIMARY KEY (token_key),
  CONSTRAINT tokenstore_authorization_code_state CHECK (state IN ('ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'))
);

CREATE UNIQUE INDEX tokenstore_authorization_code_row_id ON tokenstore_authorization_code (row_id);
CREATE INDEX tokenstore_authorization_code_user ON tokenstore_authorization_code (user_id, consumer_key);
CREATE INDEX tokenstore_authorization_code_consumer ON tokenstore_authorization_code (consumer_key);
CREATE INDEX tokenstore_authorization_code_grant ON tokenstore_authorization_code (grant_id);
CREATE INDEX tokenstore_authorization_code_expires_at ON tokenstore_authorization_code (expires_at);
CREATE INDEX tokenstore_authorization_code_retired
  ON tokenstore_authorization_code (state_changed_at) WHERE state <> 'ACTIVE';

CREATE TABLE tokenstore_client (
  consumer_key                      nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  row_id                            bigint        IDENTITY(1, 1) NOT NULL,
  -- Lookup key (digest) of the consumer secret, and what was kept of it (plaintext, sealed, NULL).
  secret_key                        varchar(512)  COLLATE Latin1_General_BIN2 NOT NULL,
  secret_value                      nvarchar(max) NULL,
  client_name                       nvarchar(255) NULL,
  -- JSON arrays of strings.
  grant_types                       nvarchar(max) NOT NULL,
  redirect_uris                     nvarchar(max) NOT NULL,
  -- Per-client validity overrides in seconds (negative = never expires); NULL = service default.
  application_access_token_validity bigint        NULL,
  user_access_token_validity        bigint        NULL,
  refresh_token_validity            bigint        NULL,
  authorization_code_validity       bigint        NULL,
  created_at                        bigint        NOT NULL,
  updated_at                        bigint        NOT NULL,
  CONSTRAINT tokenstore_client_pkey PRIMARY KEY (consumer_key)
);

CREATE UNIQUE INDEX tokenstore_client_row_id ON tokenstore_client (row_id);

-- One row per lease name ('purge'): the node whose holder id is in it purges until expires_at.
-- Taken by UPDATE ... WHERE holder = ? OR expires_at <= now, so a dead node's lease lapses.
CREATE TABLE tokenstore_lease (
  lease_name varchar(64)   NOT NULL,
  holder     nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  expires_at bigint        NOT NULL,
  CONSTRAINT tokenstore_lease_pkey PRIMARY KEY (lease_name)
);
