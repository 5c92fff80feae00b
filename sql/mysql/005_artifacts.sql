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
-- Run by the migration runner, or by hand:  mysql <database> < 005_artifacts.sql

CREATE TABLE IF NOT EXISTS tokenstore_artifact (
  model          VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  artifact_key   VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  artifact_value TEXT,
  payload        MEDIUMTEXT   NOT NULL,
  is_sealed      BOOLEAN      NOT NULL,
  grant_id       VARCHAR(255),
  uid_key        VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin,
  user_code_key  VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin,
  expires_at     BIGINT,
  consumed_at    BIGINT,
  updated_at     BIGINT       NOT NULL,
  PRIMARY KEY (model, artifact_key),
  INDEX tokenstore_artifact_grant (grant_id),
  INDEX tokenstore_artifact_uid (model, uid_key),
  INDEX tokenstore_artifact_user_code (model, user_code_key),
  INDEX tokenstore_artifact_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
