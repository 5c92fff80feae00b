-- tokenstore archive tables for SQL Server (like WSO2's IDN_OAUTH2_ACCESS_TOKEN_AUDIT).
--
-- Used only when the store is created with archive: true: each purge batch copies the rows it
-- deletes here, in the same statement (DELETE ... OUTPUT deleted.* INTO), with the time they were
-- archived. Nothing reads these tables; prune them by archived_at when the audit retention of your
-- organisation allows. The columns are those of the live tables (no row_id, no key: a key may be
-- archived, re-issued and archived again).
--
-- OUTPUT ... INTO requires its target to have no enabled triggers, no CHECK constraints and no
-- foreign keys: keep it that way when adding audit tooling.

CREATE TABLE tokenstore_access_token_audit (
  token_key        varchar(512)  COLLATE Latin1_General_BIN2 NOT NULL,
  token_value      nvarchar(max) NULL,
  consumer_key     nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  user_id          nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  user_type        varchar(16)   NOT NULL,
  scopes           nvarchar(max) NOT NULL,
  grant_id         nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  grant_type       nvarchar(255) COLLATE Latin1_General_BIN2 NOT NULL,
  reuse_key        varchar(128)  COLLATE Latin1_General_BIN2 NOT NULL,
  is_exclusive     bit           NOT NULL,
  state            varchar(16)   NOT NULL,
  issued_at        bigint        NOT NULL,
  expires_at       bigint        NULL,
  state_changed_at bigint        NOT NULL,
  archived_at      bigint        NOT NULL
);

CREATE INDEX tokenstore_access_token_audit_key ON tokenstore_access_token_audit (token_key);
CREATE INDEX tokenstore_access_token_audit_archived_at ON tokenstore_access_token_audit (archived_at);

CREATE TABLE tokenstore_refresh_token_audit (
  token_key        varchar(512)  COLLATE Latin1_General_BIN2 NOT NULL,
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
  rotated_at       bigint        NULL,
  reuse_count      int           NOT NULL,
  archived_at      bigint        NOT NULL
);

CREATE INDEX tokenstore_refresh_token_audit_key ON tokenstore_refresh_token_audit (token_key);
CREATE INDEX tokenstore_refresh_token_audit_archived_at ON tokenstore_refresh_token_audit (archived_at);

CREATE TABLE tokenstore_authorization_code_audit (
  token_key             varchar(512)   COLLATE Latin1_General_BIN2 NOT NULL,
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
  archived_at           bigint         NOT NULL
);

CREATE INDEX tokenstore_authorization_code_audit_key ON tokenstore_authorization_code_audit (token_key);
CREATE INDEX tokenstore_authorization_code_audit_archived_at ON tokenstore_authorization_code_audit (archived_at);
