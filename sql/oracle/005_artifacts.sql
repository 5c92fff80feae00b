-- tokenstore schema, version 5: provider artifacts (oidc-provider models; issue 14).
--
-- One table for every model (Session, AccessToken, AuthorizationCode, Grant, Interaction, …, and any
-- future one), keyed by (model, artifact_key). artifact_key is the lookup key of the id, never the id
-- itself outside plain mode; artifact_value is what the service kept of the id (plaintext, sealed or
-- NULL); payload is the JSON payload (sealed in encrypt mode, is_sealed = 1); uid_key and
-- user_code_key are lookup keys too. Times are epoch milliseconds; expires_at NULL never expires.
-- Indexes: grant (revokeByGrantId across models), uid (Session.findByUid), user code
-- (DeviceCode.findByUserCode), expiry (purge in bounded batches by the same purger as tokens).
-- Oracle leaves rows whose indexed columns are all NULL out of an index, so the grant, uid, user code
-- and expiry indexes hold only the rows that have one.
--
-- Run by the migration runner, or by hand in SQL*Plus:  @005_artifacts.sql

CREATE TABLE tokenstore_artifact (
  model          VARCHAR2(64 BYTE)   NOT NULL,
  artifact_key   VARCHAR2(512 BYTE)  NOT NULL,
  artifact_value CLOB,
  payload        CLOB                NOT NULL,
  is_sealed      NUMBER(1)           NOT NULL,
  grant_id       VARCHAR2(255 CHAR),
  uid_key        VARCHAR2(512 BYTE),
  user_code_key  VARCHAR2(512 BYTE),
  expires_at     NUMBER(19),
  consumed_at    NUMBER(19),
  updated_at     NUMBER(19)          NOT NULL,
  CONSTRAINT tokenstore_artifact_pkey PRIMARY KEY (model, artifact_key)
);

CREATE INDEX tokenstore_artifact_grant ON tokenstore_artifact (grant_id);
CREATE INDEX tokenstore_artifact_uid ON tokenstore_artifact (uid_key, model);
CREATE INDEX tokenstore_artifact_user_code ON tokenstore_artifact (user_code_key, model);
CREATE INDEX tokenstore_artifact_expires_at ON tokenstore_artifact (expires_at);
