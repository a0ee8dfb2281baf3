-- Up Migration
-- FIX: a SenderCompID belongs to one account, the first to bind a key to it; the row outlives
-- every key (revoked or expired), so the CompID stays its owner's. Keys also carry the settings
-- of the FIX sessions they log on (JSON: resetOnLogon, cancelOnDisconnect, dropCopy, HeartBtInt bounds).
CREATE TABLE fix_comp_ids (
  sender_comp_id  TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL
);
INSERT INTO fix_comp_ids (sender_comp_id, account_id)
  SELECT DISTINCT ON (sender_comp_id) sender_comp_id, account_id FROM api_keys
  WHERE sender_comp_id IS NOT NULL ORDER BY sender_comp_id, created_at;
ALTER TABLE api_keys ADD COLUMN fix_session JSONB;

-- Down Migration
ALTER TABLE api_keys DROP COLUMN fix_session;
DROP TABLE fix_comp_ids;
