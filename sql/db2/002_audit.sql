-- tokenstore archive tables for Db2 LUW (like WSO2's IDN_OAUTH2_ACCESS_TOKEN_AUDIT).
--
-- Used only when the store is created with archive: true: each purge batch moves the rows it
-- deletes here in one statement (SELECT ... FROM NEW TABLE (INSERT ... SELECT ... FROM OLD TABLE
-- (DELETE ...))), with the time they were archived. Nothing reads these tables; prune them by
-- archived_at when the audit retention of your organisation allows. The columns are those of the
-- live tables (no row_id, no key: a key may be archived, re-issued and archived again).

CREATE TABLE tokenstore_access_token_audit (
  token_key        VARCHAR(512)  NOT NULL,
  token_value      CLOB(1M),
  consumer_key     VARCHAR(255)  NOT NULL,
  user_id          VARCHAR(255)  NOT NULL,
  user_type        VARCHAR(16)   NOT NULL,
  scopes           CLOB(1M)      NOT NULL,
  grant_id         VARCHAR(255)  NOT NULL,
  grant_type       VARCHAR(255)  NOT NULL,
  reuse_key        VARCHAR(128)  NOT NULL,
  is_exclusive     SMALLINT      NOT NULL,
  state            VARCHAR(16)   NOT NULL,
  issued_at        BIGINT        NOT NULL,
  expires_at       BIGINT,
  state_changed_at BIGINT        NOT NULL,
  archived_at      BIGINT        NOT NULL
);

CREATE INDEX tokenstore_access_token_audit_key ON tokenstore_access_token_audit (token_key);
CREATE INDEX tokenstore_access_token_audit_archived_at ON tokenstore_access_token_audit (archived_at);

CREATE TABLE tokenstore_refresh_token_audit (
  token_key        VARCHAR(512)  NOT NULL,
  token_value      CLOB(1M),
  consumer_key     VARCHAR(255)  NOT NULL,
  user_id          VARCHAR(255)  NOT NULL,
  user_type        VARCHAR(16)   NOT NULL,
  scopes           CLOB(1M)      NOT NULL,
  grant_id         VARCHAR(255)  NOT NULL,
  state            VARCHAR(16)   NOT NULL,
  issued_at        BIGINT        NOT NULL,
  expires_at       BIGINT,
  state_changed_at BIGINT        NOT NULL,
  rotated_at       BIGINT,
  reuse_count      INTEGER       NOT NULL,
  archived_at      BIGINT        NOT NULL
);

CREATE INDEX tokenstore_refresh_token_audit_key ON tokenstore_refresh_token_audit (token_key);
CREATE INDEX tokenstore_refresh_token_audit_archived_at ON tokenstore_refresh_token_audit (archived_at);

CREATE TABLE tokenstore_authorization_code_audit (
  token_key             VARCHAR(512)  NOT NULL,
  token_value           CLOB(1M),
  consumer_key          VARCHAR(255)  NOT NULL,
  user_id               VARCHAR(255)  NOT NULL,
  user_type             VARCHAR(16)   NOT NULL,
  scopes                CLOB(1M)      NOT NULL,
  grant_id              VARCHAR(255)  NOT NULL,
  state                 VARCHAR(16)   NOT NULL,
  issued_at             BIGINT        NOT NULL,
  expires_at            BIGINT,
  state_changed_at      BIGINT        NOT NULL,
  redirect_uri          VARCHAR(2048),
  code_challenge        VARCHAR(128),
  code_challenge_method VARCHAR(8),
  nonce                 VARCHAR(255),
  archived_at           BIGINT        NOT NULL
);

CREATE INDEX tokenstore_authorization_code_audit_key ON tokenstore_authorization_code_audit (token_key);
CREATE INDEX tokenstore_authorization_code_audit_archived_at ON tokenstore_authorization_code_audit (archived_at);
