-- Up Migration
-- The order, fill and balance-change history, as in the embedded store (history/schema.ts):
-- every row is keyed by the core's event sequence number, which is also the page order.
-- projected_seq is written in the same transaction as the rows it covers.
CREATE TABLE history_meta (
  key   TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO history_meta (key, value) VALUES ('projected_seq', 0);

CREATE TABLE orders (
  order_id        TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  client_order_id TEXT,
  symbol          TEXT NOT NULL,
  status          TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  first_seq       BIGINT NOT NULL UNIQUE,
  last_seq        BIGINT NOT NULL,
  view            TEXT NOT NULL
);
CREATE INDEX orders_by_account ON orders (account_id, first_seq);
CREATE INDEX orders_by_account_symbol ON orders (account_id, symbol, first_seq);
CREATE INDEX orders_by_client_order_id ON orders (account_id, client_order_id, first_seq);

CREATE TABLE fills (
  seq             BIGINT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  order_id        TEXT NOT NULL,
  client_order_id TEXT,
  symbol          TEXT NOT NULL,
  side            TEXT NOT NULL,
  trade_id        BIGINT NOT NULL,
  price           TEXT NOT NULL,
  quantity        TEXT NOT NULL,
  liquidity       TEXT NOT NULL,
  fee             TEXT NOT NULL,
  fee_asset       TEXT NOT NULL,
  ts              BIGINT NOT NULL
);
CREATE INDEX fills_by_account ON fills (account_id, seq);
CREATE INDEX fills_by_account_symbol ON fills (account_id, symbol, seq);

CREATE TABLE balance_changes (
  seq        BIGINT PRIMARY KEY,
  account_id TEXT NOT NULL,
  asset      TEXT NOT NULL,
  total      TEXT NOT NULL,
  available  TEXT NOT NULL,
  hold       TEXT NOT NULL,
  reason     TEXT NOT NULL,
  ts         BIGINT NOT NULL
);
CREATE INDEX balance_changes_by_account ON balance_changes (account_id, seq);
CREATE INDEX balance_changes_by_account_asset ON balance_changes (account_id, asset, seq);

-- Down Migration
DROP TABLE balance_changes;
DROP TABLE fills;
DROP TABLE orders;
DROP TABLE history_meta;
