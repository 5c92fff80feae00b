-- tokenstore schema, version 6: the confirmation claim (cnf) of sender-constrained tokens.
--
-- Run by the migration runner (which records it in tokenstore_schema_version), or by hand:
--   sqlcmd -b -d <database> -i 006_confirmation.sql
--
--   * confirmation: the RFC 7800 cnf of a DPoP-bound (RFC 9449: {"jkt":"…"}) or certificate-bound
--     (RFC 8705: {"x5t#S256":"…"}) access or refresh token, as JSON text; NULL for a bearer token
--     (every row written before this file). Thumbprints are public values, stored as they are in
--     every protection mode. The audit tables get the column too, so purge archives it.
-- The runner applies the file in one transaction with its row in tokenstore_schema_version.

ALTER TABLE tokenstore_access_token ADD confirmation nvarchar(255) NULL;

ALTER TABLE tokenstore_refresh_token ADD confirmation nvarchar(255) NULL;

ALTER TABLE tokenstore_access_token_audit ADD confirmation nvarchar(255) NULL;

ALTER TABLE tokenstore_refresh_token_audit ADD confirmation nvarchar(255) NULL;
