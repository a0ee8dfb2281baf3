-- Up Migration
-- FIX session state shared by the gateways (stores: external), as in fix-sessions.sqlite: each
-- session's next sequence numbers, the application messages it sent (for ResendRequest; the raw
-- bytes, latin1), and which session placed which order (its ExecutionReports go there).
CREATE TABLE fix_session (
  session_key  TEXT PRIMARY KEY,
  next_sender  BIGINT NOT NULL,
  next_target  BIGINT NOT NULL
);
CREATE TABLE fix_message (
  session_key  TEXT NOT NULL,
  seq          BIGINT NOT NULL,
  raw          BYTEA NOT NULL,
  PRIMARY KEY (session_key, seq)
);
CREATE TABLE fix_order_owner (
  order_id     TEXT PRIMARY KEY,
  session_key  TEXT NOT NULL
);

-- Down Migration
DROP TABLE fix_order_owner;
DROP TABLE fix_message;
DROP TABLE fix_session;
