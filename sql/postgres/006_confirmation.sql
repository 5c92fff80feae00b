-- tokenstore schema, version 6: the confirmation claim (cnf) of sender-constrained tokens.
--
-- Run by the migration runner (which records it in tokenstore_schema_version), or by hand:
--   psql -v ON_ERROR_STOP=1 -d <database> -f 006_confirmation.sql
--
--   * confirmation: the RFC 7800 cnf of a DPoP-bound (RFC 9449: {"jkt":"…"}) or certificate-bound
--     (RFC 8705: {"x5t#S256":"…"}) access or refresh token, as JSON text; NULL for a bearer token
--     (every row written before this file). Thumbprints are public values, stored as they are in
--     every protection mode. The audit tables get the column too, so purge archives it.
-- Every statement is idempotent (IF NOT EXISTS), so running it twice is harmless.

ALTER TABLE tokenstore_access_token ADD COLUMN IF NOT EXISTS confirmation VARCHAR(255);

ALTER TABLE tokenstore_refresh_token ADD COLUMN IF NOT EXISTS confirmation VARCHAR(255);

ALTER TABLE tokenstore_access_token_audit ADD COLUMN IF NOT EXISTS confirmation VARCHAR(255);

ALTER TABLE tokenstore_refresh_token_audit ADD COLUMN IF NOT EXISTS confirmation VARCHAR(255);
