-- tokenstore schema for MySQL 8.0+ and MariaDB 10.6+ (InnoDB): tokens, codes, clients, purge lease.
--
-- Run by the migration runner (which records it in tokenstore_schema_version), or by hand:
--   mysql <database> < 001_tokens.sql
-- MySQL commits DDL statement by statement, so every statement is idempotent (IF NOT EXISTS,
-- indexes declared inside CREATE TABLE); re-running the file after a failure is safe.
--
-- Conventions, the same on every dialect:
--   * token_key is the lookup key the service derived from the value (the value itself in plain
--     mode, an HMAC in hash/encrypt mode): ASCII, at most 512 characters, compared byte-wise
--     (ascii_bin). token_value is what the service kept of the value (plaintext, sealed, or NULL).
--   * Identifiers (consumer keys, user ids, grant ids) compare exactly: the tables default to
--     utf8mb4_bin, never a case- or accent-insensitive collation.
--   * Times are epoch milliseconds (BIGINT). expires_at NULL means "never expires".
--   * scopes is the normalised scope set joined by single spaces (scope tokens contain no space).
--   * row_id is a surrogate, increasing row number: the order of paged scans (rewrap) and their
--     cursor, so a cursor never carries a lookup key. Re-keying a row keeps its row_id.
--   * Every lookup has an index: token key (primary key), reuse key, user, consumer key, grant,
--     expiry, and the retired-row index purge uses. No statement of the store scans a table.

CREATE TABLE IF NOT EXISTS tokenstore_access_token (
  token_key        VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  row_id           BIGINT       NOT NULL AUTO_INCREMENT,
  token_value      TEXT,
  consumer_key     VARCHAR(255) NOT NULL,
  user_id          VARCHAR(255) NOT NULL,
  user_type        VARCHAR(16)  NOT NULL,
  scopes           TEXT         NOT NULL,
  grant_id         VARCHAR(255) NOT NULL,
  grant_type       VARCHAR(255) NOT NULL,
  -- Digest of (consumer key, user, user type, scope set); not secret.
  reuse_key        VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- Issued under the reuse policy: at most one ACTIVE exclusive token per reuse_key.
  is_exclusive     BOOLEAN      NOT NULL,
  state            VARCHAR(16)  NOT NULL,
  issued_at        BIGINT       NOT NULL,
  expires_at       BIGINT,
  state_changed_at BIGINT       NOT NULL,
  -- One ACTIVE exclusive token per reuse key. MySQL and MariaDB have no partial indexes, so the
  -- constraint is a unique index over a stored generated column that holds the reuse key while the
  -- token is ACTIVE and exclusive, and NULL otherwise (a unique index admits any number of NULLs).
  -- We prefer it to WSO2's TOKEN_STATE_ID technique (a unique key over state plus a state id that
  -- is 'NONE' while active and a fresh UUID once not) because the database derives it from state:
  -- no statement has to remember to change a second column, and the lookup of the active token is
  -- one equality on this index.
  active_reuse_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin
    GENERATED ALWAYS AS (CASE WHEN state = 'ACTIVE' AND is_exclusive = 1 THEN reuse_key END) STORED,
  PRIMARY KEY (token_key),
  UNIQUE KEY tokenstore_access_token_row_id (row_id),
  UNIQUE KEY tokenstore_access_token_active_reuse (active_reuse_key),
  KEY tokenstore_access_token_user (user_id, consumer_key),
  KEY tokenstore_access_token_consumer (consumer_key),
  KEY tokenstore_access_token_grant (grant_id),
  KEY tokenstore_access_token_expires_at (expires_at),
  -- Purge of revoked/inactive/expired-state rows past the retention window: state IN (...) AND
  -- state_changed_at <= ? is a range per retired state, which never touches ACTIVE rows.
  KEY tokenstore_access_token_retired (state, state_changed_at),
  CONSTRAINT tokenstore_access_token_state CHECK (state IN ('ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS tokenstore_refresh_token (
  token_key        VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  row_id           BIGINT       NOT NULL AUTO_INCREMENT,
  token_value      TEXT,
  consumer_key     VARCHAR(255) NOT NULL,
  user_id          VARCHAR(255) NOT NULL,
  user_type        VARCHAR(16)  NOT NULL,
  scopes           TEXT         NOT NULL,
  grant_id         VARCHAR(255) NOT NULL,
  state            VARCHAR(16)  NOT NULL,
  issued_at        BIGINT       NOT NULL,
  expires_at       BIGINT,
  state_changed_at BIGINT       NOT NULL,
  -- Set when the token is rotated (becomes INACTIVE); drives the reuse grace window.
  rotated_at       BIGINT,
  -- Grace-window presentations after rotation.
  reuse_count      INT          NOT NULL DEFAULT 0,
  PRIMARY KEY (token_key),
  UNIQUE KEY tokenstore_refresh_token_row_id (row_id),
  KEY tokenstore_refresh_token_user (user_id, consumer_key),
  KEY tokenstore_refresh_token_consumer (consumer_key),
  KEY tokenstore_refresh_token_grant (grant_id),
  KEY tokenstore_refresh_token_expires_at (expires_at),
  KEY tokenstore_refresh_token_retired (state, state_changed_at),
  CONSTRAINT tokenstore_refresh_token_state CHECK (state IN ('ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS tokenstore_authorization_code (
  token_key             VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  row_id                BIGINT       NOT NULL AUTO_INCREMENT,
  token_value           TEXT,
  consumer_key          VARCHAR(255) NOT NULL,
  user_id               VARCHAR(255) NOT NULL,
  user_type             VARCHAR(16)  NOT NULL,
  scopes                TEXT         NOT NULL,
  grant_id              VARCHAR(255) NOT NULL,
  state                 VARCHAR(16)  NOT NULL,
  issued_at             BIGINT       NOT NULL,
  expires_at            BIGINT,
  state_changed_at      BIGINT       NOT NULL,
  redirect_uri          VARCHAR(2048),
  code_challenge        VARCHAR(128),
  code_challenge_method VARCHAR(8),
  nonce                 VARCHAR(255),
  PRIMARY KEY (token_key),
  UNIQUE KEY tokenstore_authorization_code_row_id (row_id),
  KEY tokenstore_authorization_code_user (user_id, consumer_key),
  KEY tokenstore_authorization_code_consumer (consumer_key),
  KEY tokenstore_authorization_code_grant (grant_id),
  KEY tokenstore_authorization_code_expires_at (expires_at),
  KEY tokenstore_authorization_code_retired (state, state_changed_at),
  CONSTRAINT tokenstore_authorization_code_state CHECK (state IN ('ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS tokenstore_client (
  consumer_key                      VARCHAR(255) NOT NULL,
  row_id                            BIGINT       NOT NULL AUTO_INCREMENT,
  -- Lookup key (digest) of the consumer secret, and what was kept of it (plaintext, sealed, NULL).
  secret_key                        VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret_value                      TEXT,
  client_name                       VARCHAR(255),
  -- JSON arrays of strings.
  grant_types                       TEXT         NOT NULL,
  redirect_uris                     TEXT         NOT NULL,
  -- Per-client validity overrides in seconds (negative = never expires); NULL = service default.
  application_access_token_validity BIGINT,
  user_access_token_validity        BIGINT,
  refresh_token_validity            BIGINT,
  authorization_code_validity       BIGINT,
  created_at                        BIGINT       NOT NULL,
  updated_at                        BIGINT       NOT NULL,
  PRIMARY KEY (consumer_key),
  UNIQUE KEY tokenstore_client_row_id (row_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per lease name ('purge'): the node whose holder id is in it purges until expires_at.
-- Taken by UPDATE ... WHERE holder = ? OR expires_at <= now, so a dead node's lease lapses.
CREATE TABLE IF NOT EXISTS tokenstore_lease (
  lease_name VARCHAR(64)  NOT NULL,
  holder     VARCHAR(255) NOT NULL,
  expires_at BIGINT       NOT NULL,
  PRIMARY KEY (lease_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
