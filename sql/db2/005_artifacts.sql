-- tokenstore schema, version 5: provider artifacts (oidc-provider models; issue 14).
--
-- One table for every model (Session, AccessToken, AuthorizationCode, Grant, Interaction, …, and any
-- future one), keyed by (model, artifact_key). artifact_key is the lookup key of the id, never the id
-- itself outside plain mode; artifact_value is what the service kept of the id (plaintext, sealed or
-- NULL); payload is the JSON payload (sealed in encrypt mode, is_sealed = 1); uid_key and
-- user_code_key are lookup keys too. Times are epoch milliseconds; expires_at NULL never expires.
-- Indexes: grant (revokeByGrantId across models), uid (Session.findByUid), user code
-- (DeviceCode.findByUserCode), expiry (purge in bounded batches by the same purger as tokens).
--
-- Run by the migration runner, or by hand:  db2 -tvf 005_artifacts.sql

CREATE TABLE tokenstore_artifact (
  model          VARCHAR(64)   NOT NULL,
  artifact_key   VARCHAR(512)  NOT NULL,
  artifact_value CLOB(1M),
  payload        CLOB(2M)      NOT NULL,
  is_sealed      SMALLINT      NOT NULL,
  grant_id       VARCHAR(255),
  uid_key        VARCHAR(512),
  user_code_key  VARCHAR(512),
  expires_at     BIGINT,
  consumed_at    BIGINT,
  updated_at     BIGINT        NOT NULL,
  CONSTRAINT tokenstore_artifact_pkey PRIMARY KEY (model, artifact_key)
);

CREATE INDEX tokenstore_artifact_grant ON tokenstore_artifact (grant_id) EXCLUDE NULL KEYS;
CREATE INDEX tokenstore_artifact_uid ON tokenstore_artifact (model, uid_key);
CREATE INDEX tokenstore_artifact_user_code ON tokenstore_artifact (model, user_code_key);
CREATE INDEX tokenstore_artifact_expires_at ON tokenstore_artifact (expires_at) EXCLUDE NULL KEYS;
