-- tokenstore schema for Oracle Database, version 3: per-client scope allow-list and resource-server
-- flag.
--
-- Run by the migration runner (which records it in tokenstore_schema_version), or by hand in
-- SQL*Plus or SQLcl as the schema owner: @003_client_policy.sql
-- One statement, so it either adds both columns or neither.
--
--   * allowed_scopes: JSON array of the scopes the client may request ("device_*" stands for every
--     device_<id> scope). NULL (every client registered before this file) allows no scope: scopes are
--     denied unless allowed, so give existing clients their scopes (updateClient, or the CLI's
--     clients file) after running it.
--   * resource_server: the client may introspect other clients' tokens (RFC 7662 §4).

ALTER TABLE tokenstore_client ADD (
  allowed_scopes  CLOB,
  resource_server NUMBER(1) DEFAULT 0 NOT NULL CONSTRAINT tokenstore_client_rs CHECK (resource_server IN (0, 1))
);
