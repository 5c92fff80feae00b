-- tokenstore archive tables for PostgreSQL (like WSO2's IDN_OAUTH2_ACCESS_TOKEN_AUDIT).
--
-- Used only when the store is created with archive: true: each purge batch copies the rows it
-- deletes here, in the same statement, with the time they were archived. Nothing reads these
-- tables; prune them by archived_at when the audit retention of your organisation allows.
-- The columns are those of the live tables (no row_id, no constraints: a key may be archived,
-- re-issued and archived again).

CREATE TABLE IF NOT EXISTS tokenstore_access_token_audit (
  token_key        VARCHAR(512) COLLATE "C" NOT NULL,
  token_value      TEXT,
  consumer_key     VARCHAR(255) NOT NULL,
  user_id          VARCHAR(255) NOT NULL,
  user_type        VARCHAR(16)  NOT NULL,
  scopes           TEXT         NOT NULL,
  grant_id         VARCHAR(255) NOT NULL,
  grant_type       VARCHAR(255) NOT NULL,
  reuse_key        VARCHAR(128) COLLATE "C" NOT NULL,
  is_exclusive     BOOLEAN      NOT NULL,
  state            VARCHAR(16)  NOT NULL,
  issued_at        BIGINT       NOT NULL,
  expires_at       BIGINT,
  state_changed_at BIGINT       NOT NULL,
  archived_at      BIGINT       NOT NULL
);

CREATE INDEX IF NOT EXISTS tokenstore_access_token_audit_key ON tokenstore_access_token_audit (token_key);
CREATE INDEX IF NOT EXISTS tokenstore_access_token_audit_archived_at ON tokenstore_access_token_audit (archived_at);

CREATE TABLE IF NOT EXISTS tokenstore_refresh_token_audit (
  token_key        VARCHAR(512) COLLATE "C" NOT NULL,
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
  rotated_at       BIGINT,
  reuse_count      INTEGER      NOT NULL,
  archived_at      BIGINT       NOT NULL
);

CREATE INDEX IF NOT EXISTS tokenstore_refresh_token_audit_key ON tokenstore_refresh_token_audit (token_key);
CREATE INDEX IF NOT EXISTS tokenstore_refresh_token_audit_archived_at ON tokenstore_refresh_token_audit (archived_at);

CREATE TABLE IF NOT EXISTS tokenstore_authorization_code_audit (
  token_key             VARCHAR(512) COLLATE "C" NOT NULL,
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
  archived_at           BIGINT       NOT NULL
);

CREATE INDEX IF NOT EXISTS tokenstore_authorization_code_audit_key ON tokenstore_authorization_code_audit (token_key);
CREATE INDEX IF NOT EXISTS tokenstore_authorization_code_audit_archived_at ON tokenstore_authorization_code_audit (archived_at);
