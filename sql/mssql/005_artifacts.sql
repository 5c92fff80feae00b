-- tokenstore schema, version 5: provider artifacts (oidc-provider models; issue 14).
--
-- One table for every model (Session, AccessToken, AuthorizationCode, Grant, Interaction, …, and any
-- future one), keyed by (model, artifact_key). artifact_key is the lookup key of the id, never the id
-- itself outside plain mode; artifact_value is what the service kept of the id (plaintext, sealed or
-- NULL); payload is the JSON payload (sealed in encrypt mode, is_sealed = 1); uid_key and
-- user_code_key are lookup keys too. Times are epoch milliseconds; expires_at NULL never expires.
-- Indexes: grant (revokeByGrantId across models), uid (Session.findByUid), user code
-- (DeviceCode.findByUserCode), expiry (purge in bounded batches by the same purger as tokens).
-- Index keys stay under SQL Server's 900-byte clustered key limit (64 + 512 bytes of varchar).
--
-- Run by the migration runner, or by hand:  sqlcmd -b -d <database> -i 005_artifacts.sql

CREATE TABLE tokenstore_artifact (
  model          varchar(64)   COLLATE Latin1_General_BIN2 NOT NULL,
  artifact_key   varchar(512)  COLLATE Latin1_General_BIN2 NOT NULL,
  artifact_value nvarchar(max) NULL,
  payload        nvarchar(max) NOT NULL,
  is_sealed      bit           NOT NULL,
  grant_id       nvarchar(255) COLLATE Latin1_General_BIN2 NULL,
  uid_key        varchar(512)  COLLATE Latin1_General_BIN2 NULL,
  user_code_key  varchar(512)  COLLATE Latin1_General_BIN2 NULL,
  expires_at     bigint        NULL,
  consumed_at    bigint        NULL,
  updated_at     bigint        NOT NULL,
  CONSTRAINT tokenstore_artifact_pkey PRIMARY KEY (model, artifact_key)
);

CREATE INDEX tokenstore_artifact_grant ON tokenstore_artifact (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX tokenstore_artifact_uid ON tokenstore_artifact (model, uid_key) WHERE uid_key IS NOT NULL;
CREATE INDEX tokenstore_artifact_user_code ON tokenstore_artifact (model, user_code_key) WHERE user_code_key IS NOT NULL;
CREATE INDEX tokenstore_artifact_expires_at ON tokenstore_artifact (expires_at) WHERE expires_at IS NOT NULL;
