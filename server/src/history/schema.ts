/**
 * Tables of the history store. Every row is keyed by the core's event sequence number, which
 * is also the pagination order, so pages are stable while new rows arrive.
 *
 * Version 2: a fill of an executed OTC quote is a row of `fills` with its `quote_id` set
 * (version 1 kept a copy of it in a `quote_trades` table).
 *
 * Version 3: an order's row keeps its view packed (`packed_view`, packed-view.ts) instead of as
 * JSON (`view`): about a third of the bytes, for the rows the projection writes most.
 *
 * An older file is upgraded in place when it is opened, in the same write transaction.
 */
import type { OrderView } from '../core/api.js';
import type { SqliteDatabase } from '../storage/sqlite.js';
import { PACKED_ORDER_COLUMNS, packOrderView, unpackOrderView, type PackedOrderRow } from './packed-view.js';

export const HISTORY_SCHEMA_VERSION = 3;

/** Creates the tables, or brings an older file up to this version, in one write transaction. */
export function createHistorySchema(db: SqliteDatabase): void {
  db.transaction(() => {
    const version = schemaVersion(db);
    if (version > HISTORY_SCHEMA_VERSION) {
      throw new Error(`the history file has schema version ${version}; this build reads up to ${HISTORY_SCHEMA_VERSION}`);
    }
    createTables(db);
    if (version === 1) mergeQuoteTradesIntoFills(db);
    if (version === 1 || version === 2) packOrderViews(db);
    db.exec(`CREATE INDEX IF NOT EXISTS fills_of_quotes_by_account ON fills (account_id, seq) WHERE quote_id IS NOT NULL`);
    db.prepare(`INSERT INTO history_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(HISTORY_SCHEMA_VERSION);
    db.prepare(`INSERT INTO history_meta (key, value) VALUES ('projected_seq', 0) ON CONFLICT (key) DO NOTHING`).run();
  }).immediate();
}

/** 0 for a new file. */
function schemaVersion(db: SqliteDatabase): number {
  const meta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history_meta'`).get();
  if (meta === undefined) return 0;
  const row = db.prepare(`SELECT value FROM history_meta WHERE key = 'schema_version'`).get() as { value: number } | undefined;
  return row?.value ?? 0;
}

/** Version 1 → 2: each quote trade's quote id moves onto its fill (same seq), and the copy goes. */
function mergeQuoteTradesIntoFills(db: SqliteDatabase): void {
  const columns = db.prepare(`SELECT name FROM pragma_table_info('fills')`).all() as { name: string }[];
  if (!columns.some((c) => c.name === 'quote_id')) db.exec(`ALTER TABLE fills ADD COLUMN quote_id TEXT`);
  const quoteTrades = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quote_trades'`).get();
  if (quoteTrades === undefined) return;
  db.exec(`
    UPDATE fills SET quote_id = (SELECT q.quote_id FROM quote_trades q WHERE q.seq = fills.seq)
      WHERE seq IN (SELECT seq FROM quote_trades);
    DROP TABLE quote_trades;
  `);
}

/** Rows converted per statement by the upgrade to version 3, so that no more than these are held at once. */
const UPGRADE_BATCH = 1000;

/**
 * Version 2 → 3: each order's JSON view is packed. A view that does not read back as the very
 * same text (one written by an older build, with its fields in another order) stays JSON, which
 * the packed column also holds, so every query answers exactly as before.
 */
function packOrderViews(db: SqliteDatabase): void {
  const columns = db.prepare(`SELECT name FROM pragma_table_info('orders')`).all() as { name: string }[];
  if (!columns.some((c) => c.name === 'view')) return;
  db.exec(`ALTER TABLE orders RENAME COLUMN view TO packed_view`);
  const next = db.prepare(`SELECT rowid, ${PACKED_ORDER_COLUMNS} FROM orders WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  const save = db.prepare(`UPDATE orders SET packed_view = ? WHERE rowid = ?`);
  let after = 0;
  for (;;) {
    const rows = next.all(after, UPGRADE_BATCH) as (PackedOrderRow & { rowid: number })[];
    if (rows.length === 0) return;
    for (const row of rows) {
      const json = row.packed_view;
      const packed = packOrderView(JSON.parse(json) as OrderView);
      if (JSON.stringify(unpackOrderView({ ...row, packed_view: packed })) === json) save.run(packed, row.rowid);
    }
    after = rows[rows.length - 1]!.rowid;
  }
}

function createTables(db: SqliteDatabase): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS history_meta (
      key   TEXT PRIMARY KEY,
      value INTEGER NOT NULL
    );
    -- One row per order, updated in place by each order event; packed_view is the latest OrderView (packed-view.ts).
    CREATE TABLE IF NOT EXISTS orders (
      order_id        TEXT PRIMARY KEY,
      account_id      TEXT NOT NULL,
      client_order_id TEXT,
      symbol          TEXT NOT NULL,
      status          TEXT NOT NULL,
      created_at      INTEGER NOT NULL,
      first_seq       INTEGER NOT NULL UNIQUE,
      last_seq        INTEGER NOT NULL,
      packed_view     TEXT NOT NULL
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
      ts              INTEGER NOT NULL,
      -- The OTC quote this fill executed (NULL: a fill on the order book).
      quote_id        TEXT
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

    -- OTC: one row per quote (its latest view); the fills of executed quotes are in fills.
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
  `);
}
