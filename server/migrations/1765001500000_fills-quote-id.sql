-- Up Migration
-- A fill of an executed OTC quote is a row of fills with its quote_id set; quote_trades kept a
-- second copy of those rows and goes (the embedded store does the same, history/schema.ts v2).
ALTER TABLE fills ADD COLUMN quote_id TEXT;
UPDATE fills SET quote_id = q.quote_id FROM quote_trades q WHERE q.seq = fills.seq;
DROP TABLE quote_trades;
CREATE INDEX fills_of_quotes_by_account ON fills (account_id, seq) WHERE quote_id IS NOT NULL;

-- Down Migration
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
INSERT INTO quote_trades
  SELECT seq, account_id, quote_id, order_id, client_order_id, symbol, side, trade_id, price, quantity, liquidity, fee, fee_asset, ts
  FROM fills WHERE quote_id IS NOT NULL;
CREATE INDEX quote_trades_by_account ON quote_trades (account_id, seq);
DROP INDEX fills_of_quotes_by_account;
ALTER TABLE fills DROP COLUMN quote_id;
