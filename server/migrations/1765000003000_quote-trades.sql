-- Up Migration
-- Fills of executed OTC quotes, keyed like fills: a fill's quote id is read from here.
CREATE TABLE quote_trades (
  seq             BIGINT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  quote_id        TEXT NOT NULL,
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
CREATE INDEX quote_trades_by_account ON quote_trades (account_id, seq);

-- Down Migration
DROP TABLE quote_trades;
