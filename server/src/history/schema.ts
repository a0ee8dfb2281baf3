/**
 * Tables of the history store. Every row is keyed by the core's event sequence number, which
 * is also the pagination order, so pages are stable while new rows arrive.
 */
import type { SqliteDatabase } from '../storage/sqlite.js';

export const HISTORY_SCHEMA_VERSION = 1;

export function createHistorySchema(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS history_meta (
      key   TEXT PRIMARY KEY,
      value INTEGER NOT NULL
    );
    -- One row per order, updated in place by each order event; view is the latest OrderView.
    CREATE TABLE IF NOT EXISTS orders (
      order_id        TEXT PRIMARY KEY,
      account_id      TEXT NOT NULL,
      client_order_id TEXT,
      symbol          TEXT NOT NULL,
      status          TEXT NOT NULL,
      created_at      INTEGER NOT NULL,
      first_seq       INTEGER NOT NULL UNIQUE,
      last_seq        INTEGER NOT NULL,
      view            TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS orders_by_account ON orders (account_id, first_seq);
    CREATE INDEX IF NOT EXISTS orders_by_account_symbol ON orders (account_id, symbol, first_seq);
    CREATE INDEX IF NOT EXISTS orders_by_client_order_id ON orders (account_id, client_order_id, first_seq);

    CREATE TABLE IF NOT EXISTS fills (
      seq             INTEGER PRIMARY KEY,
      account_id      TEXT NOT NULL,
      order_id        TEXT NOT NULL,
      client_order_id TEXT,
      symbol          TEXT NOT NULL,
      side            TEXT NOT NULL,
      trade_id        INTEGER NOT NULL,
      price           TEXT NOT NULL,
      quantity        TEXT NOT NULL,
      liquidity       TEXT NOT NULL,
      fee             TEXT NOT NULL,
      fee_asset       TEXT NOT NULL,
      ts              INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS fills_by_account ON fills (account_id, seq);
    CREATE INDEX IF NOT EXISTS fills_by_account_symbol ON fills (account_id, symbol, seq);

    CREATE TABLE IF NOT EXISTS balance_changes (
      seq        INTEGER PRIMARY KEY,
      account_id TEXT NOT NULL,
      asset      TEXT NOT NULL,
      total      TEXT NOT NULL,
      available  TEXT NOT NULL,
      hold       TEXT NOT NULL,
      reason     TEXT NOT NULL,
      ts         INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS balance_changes_by_account ON balance_changes (account_id, seq);
    CREATE INDEX IF NOT EXISTS balance_changes_by_account_asset ON balance_changes (account_id, asset, seq);

    -- OTC: one row per quote (its latest view), and one per fill of an executed quote (keyed like fills).
    CREATE TABLE IF NOT EXISTS quotes (
      quote_id      INTEGER PRIMARY KEY,
      account_id    TEXT NOT NULL,
      client_rfq_id TEXT,
      symbol        TEXT NOT NULL,
      status        TEXT NOT NULL,
      created_at    INTEGER NOT NULL,
      view          TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS quotes_by_account ON quotes (account_id, quote_id);
    CREATE TABLE IF NOT EXISTS quote_trades (
      seq             INTEGER PRIMARY KEY,
      account_id      TEXT NOT NULL,
      quote_id        TEXT NOT NULL,
      order_id        TEXT NOT NULL,
      client_order_id TEXT,
      symbol          TEXT NOT NULL,
      side            TEXT NOT NULL,
      trade_id        INTEGER NOT NULL,
      price           TEXT NOT NULL,
      quantity        TEXT NOT NULL,
      liquidity       TEXT NOT NULL,
      fee             TEXT NOT NULL,
      fee_asset       TEXT NOT NULL,
      ts              INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS quote_trades_by_account ON quote_trades (account_id, seq);
  `);
  db.prepare(`INSERT INTO history_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING`).run(HISTORY_SCHEMA_VERSION);
  db.prepare(`INSERT INTO history_meta (key, value) VALUES ('projected_seq', 0) ON CONFLICT (key) DO NOTHING`).run();
}
