-- Up Migration
-- API keys. `material` holds an HMAC secret sealed with the SecretBox (AES-256-GCM), or an
-- Ed25519 public key. A revocation takes the next number of api_key_revocations, so a process
-- that missed a notification finds it by polling for numbers above the last one it saw.
CREATE SEQUENCE api_key_revocations;
CREATE TABLE api_keys (
  key_id          TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('hmac', 'ed25519')),
  label           TEXT NOT NULL,
  scopes          JSONB NOT NULL,
  ip_allowlist    JSONB NOT NULL,
  expires_at      BIGINT,
  revoked_at      BIGINT,
  revocation      BIGINT UNIQUE,
  created_at      BIGINT NOT NULL,
  sender_comp_id  TEXT,
  material        BYTEA NOT NULL
);
CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at, key_id);

-- Every revocation, by this service or by hand, is announced to every listening process (with
-- its schema: one database may hold several services' tables).
CREATE FUNCTION announce_api_key_revocation() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('api_key_revoked', json_build_object(
    'schema', TG_TABLE_SCHEMA, 'keyId', NEW.key_id, 'accountId', NEW.account_id, 'revokedAt', NEW.revoked_at, 'revocation', NEW.revocation)::text);
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER api_key_revoked AFTER UPDATE OF revoked_at ON api_keys
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION announce_api_key_revocation();

-- Down Migration
DROP TABLE api_keys;
DROP FUNCTION announce_api_key_revocation();
DROP SEQUENCE api_key_revocations;
