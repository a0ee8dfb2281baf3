/**
 * History files and databases written before fills and quote trades were one table are upgraded
 * when opened: each fill of an executed OTC quote keeps its quote id, book fills stay without one,
 * the old copy table is gone, and the upgraded store goes on projecting and answering as a new one.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreEvent, OrderView } from '../../server/src/core/api.js';
import { openHistoryStore } from '../../server/src/history/index.js';
import { PostgresHistory } from '../../server/src/history/postgres-history.js';
import { HISTORY_SCHEMA_VERSION } from '../../server/src/history/schema.js';
import { market } from '../core/harness.js';
import { migrate, MIGRATIONS_DIR, postgresConfig } from '../../server/src/storage/postgres.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../helpers/postgres.js';

const newDir = tempDirs('history-upgrade');

/** Three fills of alice (seq 1..3); seq 2 executed quote 7. As version 1 stored them: fills, plus the quote fill again in quote_trades. */
const FILLS = [1, 2, 3].map((seq) => ({
  seq, account_id: 'alice', order_id: `o${seq}`, client_order_id: `c${seq}`, symbol: 'BTC-USD', side: 'buy', trade_id: 100 + seq,
  price: '10', quantity: '1', liquidity: seq === 2 ? 'rfq' : 'taker', fee: '0.01', fee_asset: 'USD', ts: 1000 + seq,
}));
const QUOTE_FILL = { ...FILLS[1]!, quote_id: '7' };

const V1_SQLITE = `
  CREATE TABLE history_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO history_meta VALUES ('schema_version', 1), ('projected_seq', 3);
  CREATE TABLE fills (
    seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, order_id TEXT NOT NULL, client_order_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL,
    trade_id INTEGER NOT NULL, price TEXT NOT NULL, quantity TEXT NOT NULL, liquidity TEXT NOT NULL, fee TEXT NOT NULL, fee_asset TEXT NOT NULL, ts INTEGER NOT NULL);
  CREATE TABLE quote_trades (
    seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, quote_id TEXT NOT NULL, order_id TEXT NOT NULL, client_order_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL,
    trade_id INTEGER NOT NULL, price TEXT NOT NULL, quantity TEXT NOT NULL, liquidity TEXT NOT NULL, fee TEXT NOT NULL, fee_asset TEXT NOT NULL, ts INTEGER NOT NULL);
  CREATE INDEX quote_trades_by_account ON quote_trades (account_id, seq);
`;
const FILL_COLUMNS = 'seq, account_id, order_id, client_order_id, symbol, side, trade_id, price, quantity, liquidity, fee, fee_asset, ts';
const QUOTE_TRADE_COLUMNS = 'seq, account_id, quote_id, order_id, client_order_id, symbol, side, trade_id, price, quantity, liquidity, fee, fee_asset, ts';

/** A fill of quote 9 at seq 4, projected after the upgrade. */
function laterQuoteFill(): CoreEvent {
  const order = {
    orderId: 'o4', clientOrderId: 'c4', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'IOC', postOnly: false,
    stp: 'cancel_newest', price: '10', quantity: '1', filledQuantity: '1', remainingQuantity: '0', filledQuote: '10', status: 'filled',
    createdAt: 1004, updatedAt: 1004, quoteId: '9',
  } as OrderView;
  return { type: 'OrderFilled', seq: 4, ts: 1004, order, tradeId: 104, price: '10', quantity: '1', liquidity: 'rfq', fee: '0.01', feeAsset: 'USD' } as CoreEvent;
}

/** The tables of version 2: an order's view as JSON. */
const V2_SQLITE = `
  CREATE TABLE history_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  CREATE TABLE orders (
    order_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, client_order_id TEXT, symbol TEXT NOT NULL, status TEXT NOT NULL,
    created_at INTEGER NOT NULL, first_seq INTEGER NOT NULL UNIQUE, last_seq INTEGER NOT NULL, view TEXT NOT NULL);
  CREATE INDEX orders_by_account ON orders (account_id, first_seq);
  CREATE INDEX orders_by_account_symbol ON orders (account_id, symbol, first_seq);
  CREATE INDEX orders_by_client_order_id ON orders (account_id, client_order_id, first_seq);
  CREATE TABLE fills (
    seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, order_id TEXT NOT NULL, client_order_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL,
    trade_id INTEGER NOT NULL, price TEXT NOT NULL, quantity TEXT NOT NULL, liquidity TEXT NOT NULL, fee TEXT NOT NULL, fee_asset TEXT NOT NULL, ts INTEGER NOT NULL,
    quote_id TEXT);
  CREATE TABLE balance_changes (
    seq INTEGER PRIMARY KEY, account_id TEXT NOT NULL, asset TEXT NOT NULL, total TEXT NOT NULL, available TEXT NOT NULL, hold TEXT NOT NULL,
    reason TEXT NOT NULL, ts INTEGER NOT NULL);
  CREATE TABLE quotes (
    quote_id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, client_rfq_id TEXT, symbol TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, view TEXT NOT NULL);
`;

/** Views of alice's orders as the core makes them (resting, triggered stop, GTD, amended, filled), in order, with their seqs. */
function coreViews(): { seq: number; view: OrderView }[] {
  const h = market();
  h.placeOk('bob', { side: 'sell', price: '101', quantity: '1' });
  h.placeOk('alice', { side: 'buy', orderType: 'stop_limit', price: '102', stopPrice: '101', quantity: '0.5', clientOrderId: 'stop-1' });
  h.placeOk('alice', { side: 'buy', price: '99', quantity: '2', timeInForce: 'GTD', expireAt: h.ts + 60_000, clientOrderId: 'gtd-1' });
  const amendable = h.placeOk('alice', { side: 'buy', price: '98', quantity: '1', postOnly: true, stp: 'cancel_oldest', clientOrderId: 'first' });
  h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: amendable, newQuantity: '0.75', newClientOrderId: 'second' });
  h.placeOk('carol', { side: 'buy', price: '101', quantity: '0.25', timeInForce: 'IOC' });
  const latest = new Map<string, { seq: number; view: OrderView }>();
  for (const e of h.log) if ('order' in e && e.order.accountId === 'alice') latest.set(e.order.orderId, { seq: latest.get(e.order.orderId)?.seq ?? e.seq, view: e.order });
  return [...latest.values()];
}

describe('history schema upgrade (version 2: views as JSON)', () => {
  it('SQLite: packs each view that reads back the same, keeps the others as JSON, and every query answers as before', () => {
    const views = coreViews();
    expect(views.some((v) => v.view.triggerState === 'triggered')).toBe(true);
    const last = views[views.length - 1]!;
    // Views the packed form cannot give back as the same text: fields in another order (an older build), a separator in a value.
    const reordered = { seq: last.seq + 1, view: { ...last.view, orderId: 'old-1', clientOrderId: undefined, quoteId: '7' } as OrderView };
    const separator = { seq: last.seq + 2, view: { ...last.view, orderId: 'odd-1', clientOrderId: 'odd', price: '1|2' } as OrderView };
    const rows = [...views, reordered, separator];
    const file = join(newDir(), 'history.db');
    const old = new Database(file);
    old.exec(V2_SQLITE);
    old.exec(`INSERT INTO history_meta VALUES ('schema_version', 2), ('projected_seq', ${separator.seq})`);
    const insert = old.prepare(`INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const { seq, view } of rows) {
      insert.run(view.orderId, view.accountId, view.clientOrderId ?? null, view.symbol, view.status, view.createdAt, seq, seq, JSON.stringify(view));
    }
    old.close();

    const store = openHistoryStore(file);
    try {
      const listed = store.listOrders('alice').items.map((v) => JSON.stringify(v));
      expect(listed).toEqual(rows.map((r) => JSON.stringify(r.view)).reverse());
      for (const { view } of rows) {
        expect(JSON.stringify(store.getOrder('alice', { orderId: view.orderId }))).toBe(JSON.stringify(view));
        if (view.clientOrderId !== undefined) expect(JSON.stringify(store.getOrder('alice', { clientOrderId: view.clientOrderId }))).toBe(JSON.stringify(view));
      }
      const copied = store.changeReader().since(0, separator.seq).orders;
      expect(new Map(copied.map((o) => [o.order_id, o.view]))).toEqual(new Map(rows.map((r) => [r.view.orderId, JSON.stringify(r.view)])));
      // An upgraded row takes its next update as any other.
      const gtd = views.find((v) => v.view.timeInForce === 'GTD')!.view;
      const canceled = { ...gtd, status: 'canceled', remainingQuantity: '0.00000000', cancelReason: 'user', updatedAt: gtd.updatedAt + 5 } as OrderView;
      store.project([{ type: 'OrderCanceled', seq: separator.seq + 1, ts: canceled.updatedAt, order: canceled, reason: 'user' }]);
      expect(JSON.stringify(store.getOrder('alice', { clientOrderId: 'gtd-1' }))).toBe(JSON.stringify(canceled));
    } finally {
      store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare(`SELECT value FROM history_meta WHERE key = 'schema_version'`).get()).toEqual({ value: HISTORY_SCHEMA_VERSION });
      const kept = db.prepare(`SELECT order_id, substr(packed_view, 1, 1) = '{' AS json FROM orders ORDER BY first_seq`).all();
      expect(kept).toEqual(rows.map(({ view }) => ({ order_id: view.orderId, json: view === reordered.view || view === separator.view ? 1 : 0 })));
    } finally {
      db.close();
    }
  });
});

describe('history schema upgrade (version 1: fills copied into quote_trades)', () => {
  it('SQLite: moves each quote id onto its fill, drops quote_trades, and keeps projecting', () => {
    const file = join(newDir(), 'history.db');
    const old = new Database(file);
    old.exec(V1_SQLITE);
    const insertFill = old.prepare(`INSERT INTO fills (${FILL_COLUMNS}) VALUES (${FILL_COLUMNS.replace(/\w+/g, (c) => `@${c}`)})`);
    for (const fill of FILLS) insertFill.run(fill);
    old.prepare(`INSERT INTO quote_trades (${QUOTE_TRADE_COLUMNS}) VALUES (${QUOTE_TRADE_COLUMNS.replace(/\w+/g, (c) => `@${c}`)})`).run(QUOTE_FILL);
    old.close();

    const store = openHistoryStore(file);
    try {
      expect(store.projectedSeq).toBe(3);
      const fills = store.listFills('alice').items;
      expect(fills.map((f) => [f.seq, f.quoteId])).toEqual([[3, undefined], [2, '7'], [1, undefined]]);
      expect(store.listQuoteTrades('alice').items).toEqual([fills[1]]);
      store.project([laterQuoteFill()]);
      expect(store.listQuoteTrades('alice').items.map((f) => [f.seq, f.quoteId])).toEqual([[4, '9'], [2, '7']]);
    } finally {
      store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'quote_trades'`).all()).toEqual([]);
      expect(db.prepare(`SELECT value FROM history_meta WHERE key = 'schema_version'`).get()).toEqual({ value: HISTORY_SCHEMA_VERSION });
    } finally {
      db.close();
    }
    // Opening an upgraded file again changes nothing.
    const again = openHistoryStore(file);
    try {
      expect(again.listFills('alice').items.map((f) => [f.seq, f.quoteId])).toEqual([[4, '9'], [3, undefined], [2, '7'], [1, undefined]]);
    } finally {
      again.close();
    }
  });

  it('SQLite: refuses a file of a newer schema version than this build reads', () => {
    const file = join(newDir(), 'history.db');
    const newer = new Database(file);
    newer.exec(`CREATE TABLE history_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL); INSERT INTO history_meta VALUES ('schema_version', ${HISTORY_SCHEMA_VERSION + 1});`);
    newer.close();
    expect(() => openHistoryStore(file)).toThrow(/schema version/);
  });

  describe('PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database.drop();
    });

    it('the migration moves each quote id onto its fill and drops quote_trades; its down migration restores them', async () => {
      const schema = uniqueSchema();
      const pool = new pg.Pool(postgresConfig(database.url, { schema, max: 2 }));
      try {
        const client = await pool.connect();
        const run = (options: { direction: 'up' | 'down'; count?: number; timestamp?: boolean }) => runner({
          dbClient: client, schema, createSchema: true, dir: MIGRATIONS_DIR, migrationsTable: 'schema_migrations', checkOrder: true, log: () => {}, ...options,
        });
        try {
          // The migrations before this one: the version 1 tables.
          await run({ direction: 'up', count: 1765001499999, timestamp: true });
          for (const fill of FILLS) {
            await client.query(`INSERT INTO fills (${FILL_COLUMNS}) VALUES (${FILL_COLUMNS.split(', ').map((_, i) => `$${i + 1}`).join(', ')})`,
              FILL_COLUMNS.split(', ').map((c) => fill[c as keyof typeof fill]));
          }
          await client.query(`INSERT INTO quote_trades (${QUOTE_TRADE_COLUMNS}) VALUES (${QUOTE_TRADE_COLUMNS.split(', ').map((_, i) => `$${i + 1}`).join(', ')})`,
            QUOTE_TRADE_COLUMNS.split(', ').map((c) => QUOTE_FILL[c as keyof typeof QUOTE_FILL]));
          await client.query(`UPDATE history_meta SET value = 3`);
        } finally {
          client.release();
        }
        await migrate(pool, schema);

        const history = new PostgresHistory(pool);
        const fills = (await history.listFills('alice')).items;
        expect(fills.map((f) => [f.seq, f.quoteId])).toEqual([[3, undefined], [2, '7'], [1, undefined]]);
        const tables = await pool.query(`SELECT to_regclass('quote_trades') AS quote_trades`);
        expect(tables.rows[0]).toEqual({ quote_trades: null });

        // The same rows as the embedded store holds after its own upgrade.
        const local = openHistoryStore(':memory:');
        try {
          const order = (seq: number): OrderView => ({
            ...(laterQuoteFill() as Extract<CoreEvent, { type: 'OrderFilled' }>).order, orderId: `o${seq}`, clientOrderId: `c${seq}`, quoteId: seq === 2 ? '7' : undefined,
          });
          local.project(FILLS.map((f) => ({
            type: 'OrderFilled', seq: f.seq, ts: f.ts, order: order(f.seq), tradeId: f.trade_id, price: f.price, quantity: f.quantity,
            liquidity: f.liquidity, fee: f.fee, feeAsset: f.fee_asset,
          }) as unknown as CoreEvent));
          expect(fills).toEqual(local.listFills('alice').items);
        } finally {
          local.close();
        }

        const down = await pool.connect();
        try {
          await runner({ dbClient: down, schema, dir: MIGRATIONS_DIR, migrationsTable: 'schema_migrations', direction: 'down', count: 1765001500000, timestamp: true, log: () => {} });
          const { rows } = await down.query(`SELECT seq, quote_id FROM quote_trades`);
          expect(rows).toEqual([{ seq: 2, quote_id: '7' }]);
          const columns = await down.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'fills' AND column_name = 'quote_id'`, [schema]);
          expect(columns.rows).toEqual([]);
        } finally {
          down.release();
        }
      } finally {
        await pool.end();
      }
    });
  });
});
