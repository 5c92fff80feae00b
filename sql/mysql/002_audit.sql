-- tokenstore archive tables for MySQL 8.0+ and MariaDB 10.6+ (like WSO2's IDN_OAUTH2_ACCESS_TOKEN_AUDIT).
--
-- Used only when the store is created with archive: true: each purge batch locks its rows, copies
-- them here and deletes them in one transaction, stamping the time they were archived. Nothing
-- reads these tables; prune them by archived_at when the audit retention of your organisation
-- allows. The columns are those of the live tables; audit_id is only InnoDB's clustered key (a key
-- may be archived, re-issued and archived again, so token_key cannot be the primary key).

CREATE TABLE IF NOT EXISTS tokenstore_access_token_audit (
  audit_id         BIGINT       NOT NULL AUTO_INCREMENT,
  token_key        VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_value      TEXT,
  consumer_key     VARCHAR(255) NOT NULL,
  user_id          VARCHAR(255) NOT NULL,
  user_type        VARCHAR(16)  NOT NULL,
  scopes           TEXT         NOT NULL,
  grant_id         VARCHAR(255) NOT NULL,
  grant_type       VARCHAR(255) NOT NULL,
  reuse_key        VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  is_exclusive     BOOLEAN      NOT NULL,
  state            VARCHAR(16)  NOT NULL,
  issued_at        BIGINT       NOT NULL,
  expires_at       BIGINT,
  state_changed_at BIGINT       NOT NULL,
  archived_at      BIGINT       NOT NULL,
  PRIMARY KEY (audit_id),
  KEY tokenstore_access_token_audit_key (token_key),
  KEY tokenstore_access_token_audit_archived_at (archived_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS tokenstore_refresh_token_audit (
  audit_id         BIGINT       NOT NULL AUTO_INCREMENT,
  token_key        VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_value      TEXT,
  consumer_key     VARCHAR(255) NOT NULL,
  user_id          VARCHAR(255) NOT NULL,
  user_type        VARCHAR(16)  NOT NULL,
  scopes           TEXT         NOT NULL,
  grant_id         VARCHAR(255) NOT NULL,
  state            VARCHAR(16)  NOT NULL,
  issued_at        BIGINT       NOT NULL,
  expires_at       BIGINT,
  state_changed_at BIGINT       NOT NULL,
  rotated_at       BIGINT,
  reuse_count      INT          NOT NULL,
  archived_at      BIGINT       NOT NULL,
  PRIMARY KEY (audit_id),
  KEY tokenstore_refresh_token_audit_key (token_key),
  KEY tokenstore_refresh_token_audit_archived_at (archived_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS tokenstore_authorization_code_audit (
  audit_id              BIGINT       NOT NULL AUTO_INCREMENT,
  token_key             VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_value           TEXT,
  consumer_key          VARCHAR(255) NOT NULL,
  user_id               VARCHAR(255) NOT NULL,
  user_type             VARCHAR(16)  NOT NULL,
  scopes                TEXT         NOT NULL,
  grant_id              VARCHAR(255) NOT NULL,
  state                 VARCHAR(16)  NOT NULL,
  issued_at             BIGINT       NOT NULL,
  expires_at            BIGINT,
  state_changed_at      BIGINT       NOT NULL,
  redirect_uri          VARCHAR(2048),
  code_challenge        VARCHAR(128),
  code_challenge_method VARCHAR(8),
  nonce                 VARCHAR(255),
  archived_at           BIGINT       NOT NULL,
  PRIMARY KEY (audit_id),
  KEY tokenstore_authorization_code_audit_key (token_key),
  KEY tokenstore_authorization_code_audit_archived_at (archived_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
