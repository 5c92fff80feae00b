-- tokenstore archive tables for Oracle (like WSO2's IDN_OAUTH2_ACCESS_TOKEN_AUDIT).
--
-- Used only when the store is created with archive: true: each purge batch copies the rows it
-- deletes here, in the same transaction, with the time they were archived. Nothing reads these
-- tables; prune them by archived_at when the audit retention of your organisation allows.
-- The columns are those of the live tables (no row_id, no key: a key may be archived, re-issued
-- and archived again). Not transactional, like 001_tokens.sql.

CREATE TABLE tokenstore_access_token_audit (
  token_key        VARCHAR2(512 BYTE)  NOT NULL,
  token_value      CLOB,
  consumer_key     VARCHAR2(255 CHAR)  NOT NULL,
  user_id          VARCHAR2(255 CHAR)  NOT NULL,
  user_type        VARCHAR2(16 BYTE)   NOT NULL,
  scopes           CLOB,
  grant_id         VARCHAR2(255 CHAR)  NOT NULL,
  grant_type       VARCHAR2(255 CHAR)  NOT NULL,
  reuse_key        VARCHAR2(128 BYTE)  NOT NULL,
  is_exclusive     NUMBER(1)           NOT NULL,
  state            VARCHAR2(16 BYTE)   NOT NULL,
  issued_at        NUMBER(19)          NOT NULL,
  expires_at       NUMBER(19),
  state_changed_at NUMBER(19)          NOT NULL,
  archived_at      NUMBER(19)          NOT NULL
);

CREATE INDEX tokenstore_access_token_audit_key ON tokenstore_access_token_audit (token_key);
CREATE INDEX tokenstore_access_token_audit_archived_at ON tokenstore_access_token_audit (archived_at);

CREATE TABLE tokenstore_refresh_token_audit (
  token_key        VARCHAR2(512 BYTE)  NOT NULL,
  token_value      CLOB,
  consumer_key     VARCHAR2(255 CHAR)  NOT NULL,
  user_id          VARCHAR2(255 CHAR)  NOT NULL,
  user_type        VARCHAR2(16 BYTE)   NOT NULL,
  scopes           CLOB,
  grant_id         VARCHAR2(255 CHAR)  NOT NULL,
  state            VARCHAR2(16 BYTE)   NOT NULL,
  issued_at        NUMBER(19)          NOT NULL,
  expires_at       NUMBER(19),
  state_changed_at NUMBER(19)          NOT NULL,
  rotated_at       NUMBER(19),
  reuse_count      NUMBER(10)          NOT NULL,
  archived_at      NUMBER(19)          NOT NULL
);

CREATE INDEX tokenstore_refresh_token_audit_key ON tokenstore_refresh_token_audit (token_key);
CREATE INDEX tokenstore_refresh_token_audit_archived_at ON tokenstore_refresh_token_audit (archived_at);

CREATE TABLE tokenstore_authorization_code_audit (
  token_key             VARCHAR2(512 BYTE)  NOT NULL,
  token_value           CLOB,
  consumer_key          VARCHAR2(255 CHAR)  NOT NULL,
  user_id               VARCHAR2(255 CHAR)  NOT NULL,
  user_type             VARCHAR2(16 BYTE)   NOT NULL,
  scopes                CLOB,
  grant_id              VARCHAR2(255 CHAR)  NOT NULL,
  state                 VARCHAR2(16 BYTE)   NOT NULL,
  issued_at             NUMBER(19)          NOT NULL,
  expires_at            NUMBER(19),
  state_changed_at      NUMBER(19)          NOT NULL,
  redirect_uri          VARCHAR2(2048 CHAR),
  code_challenge        VARCHAR2(128 BYTE),
  code_challenge_method VARCHAR2(8 BYTE),
  nonce                 VARCHAR2(255 CHAR),
  archived_at           NUMBER(19)          NOT NULL
);

CREATE INDEX tokenstore_authorization_code_audit_key ON tokenstore_authorization_code_audit (token_key);
CREATE INDEX tokenstore_authorization_code_audit_archived_at ON tokenstore_authorization_code_audit (archived_at);
