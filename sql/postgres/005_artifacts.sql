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
-- Run by the migration runner, or by hand:  psql -v ON_ERROR_STOP=1 -d <database> -f 005_artifacts.sql

CREATE TABLE IF NOT EXISTS tokenstore_artifact (
  model          VARCHAR(64)  COLLATE "C" NOT NULL,
  artifact_key   VARCHAR(512) COLLATE "C" NOT NULL,
  artifact_value TEXT,
  payload        TEXT         NOT NULL,
  is_sealed      BOOLEAN      NOT NULL,
  grant_id       VARCHAR(255),
  uid_key        VARCHAR(512) COLLATE "C",
  user_code_key  VARCHAR(512) COLLATE "C",
  expires_at     BIGINT,
  consumed_at    BIGINT,
  updated_at     BIGINT       NOT NULL,
  CONSTRAINT tokenstore_artifact_pkey PRIMARY KEY (model, artifact_key)
);

CREATE INDEX IF NOT EXISTS tokenstore_artifact_grant ON tokenstore_artifact (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tokenstore_artifact_uid ON tokenstore_artifact (model, uid_key) WHERE uid_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS tokenstore_artifact_user_code ON tokenstore_artifact (model, user_code_key) WHERE user_code_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS tokenstore_artifact_expires_at ON tokenstore_artifact (expires_at) WHERE expires_at IS NOT NULL;
