/**
 * The PostgreSQL history answers every query exactly as the embedded (SQLite) history does,
 * page for page and cursor for cursor, once it has been brought up to it; copying in any chunks,
 * and again (a replay after a crash), neither loses nor duplicates a row. The copy loop keeps
 * going while PostgreSQL refuses connections and catches up by itself when it is back.
 */
import fc from 'fast-check';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../server/src/core/api.js';
import { openHistoryStore, type HistoryStore } from '../../server/src/history/index.js';
import { PostgresHistory } from '../../server/src/history/postgres-history.js';
import { PostgresHistoryProjection } from '../../server/src/history/postgres-projection.js';
import type { HistoryReader } from '../../server/src/history/reader.js';
import { connectPostgres, type PostgresPool } from '../../server/src/storage/postgres.js';
import { eventually } from '../helpers/eventually.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../helpers/postgres.js';
import { ACCOUNTS, eventsFor, step, SYMBOLS } from './random-history.js';

let database: TestDatabase;
const pools: PostgresPool[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => undefined);
  await database.drop();
});

async function postgresHistory(): Promise<{ history: PostgresHistory; pool: PostgresPool }> {
  const pool = await connectPostgres(database.url, { schema: uniqueSchema(), max: 4 });
  pools.push(pool);
  return { history: new PostgresHistory(pool), pool };
}

async function collectAsync<T>(fetch: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string }>): Promise<{ items: T[]; cursors: (string | undefined)[] }> {
  const items: T[] = [];
  const cursors: (string | undefined)[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetch(cursor);
    items.push(...page.items);
    cursors.push(page.nextCursor);
    if (page.nextCursor === undefined) return { items, cursors };
    cursor = page.nextCursor;
  }
}

/** Every query of the reader, paged with `limit`: what a client could ever see. */
async function everything(reader: HistoryReader, limit: number, events: readonly CoreEvent[]): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (const account of ACCOUNTS) {
    for (const filters of [{}, { symbol: SYMBOLS[0]! }, { status: ['new' as const, 'partially_filled' as const] }, { from: 1_200, to: 1_600 }]) {
      seen.push(await collectAsync(async (cursor) => reader.listOrders(account, filters, cursor, limit)));
    }
    seen.push(await collectAsync(async (cursor) => reader.listFills(account, {}, cursor, limit)));
    seen.push(await collectAsync(async (cursor) => reader.listFills(account, { symbol: SYMBOLS[1]!, from: 1_100 }, cursor, limit)));
    seen.push(await collectAsync(async (cursor) => reader.listBalanceChanges(account, {}, cursor, limit)));
    seen.push(await collectAsync(async (cursor) => reader.listBalanceChanges(account, { asset: 'USD', to: 1_500 }, cursor, limit)));
  }
  for (const e of events) {
    if (e.type !== 'OrderAccepted') continue;
    seen.push(await reader.getOrder(e.order.accountId, { orderId: e.order.orderId }));
    seen.push(await reader.getOrder(e.order.accountId, { clientOrderId: e.order.clientOrderId! }));
    seen.push(await reader.getOrder('someone-else', { orderId: e.order.orderId }));
  }
  return seen;
}

describe('PostgreSQL history', () => {
  it('answers every query as the embedded history does, however the copy was chunked and repeated', async () => {
    const { history: target, pool } = await postgresHistory();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 7 }),
        async (steps, chunks, limit) => {
          await pool.query('TRUNCATE orders, fills, balance_changes; UPDATE history_meta SET value = 0');
          const { events } = eventsFor(steps);
          const local: HistoryStore = openHistoryStore(':memory:');
          try {
            const changes = local.changeReader();
            // The embedded history grows in steps; after each, a copy of some chunk size, once or twice.
            let projected = 0;
            for (const [i, size] of chunks.entries()) {
              const upTo = i === chunks.length - 1 ? events.length : Math.min(events.length, projected + size * 2);
              local.project(events.slice(projected, upTo));
              projected = upTo;
              const from = await target.projectedSeq();
              const chunk = changes.since(from, size);
              await target.apply(chunk);
              if (size % 2 === 0) await target.apply(changes.since(Math.max(0, from - size), size * 2)); // a replay over rows already copied
            }
            for (let from = await target.projectedSeq(); from < local.projectedSeq; from = await target.projectedSeq()) await target.apply(changes.since(from, 5));
            expect(await target.projectedSeq()).toBe(local.projectedSeq);
            expect(await everything(target, limit, events)).toEqual(await everything(local, limit, events));
          } finally {
            local.close();
          }
        }),
      { numRuns: 25 },
    );
  });

  it('retention prunes the same rows as in the embedded history, in bounded batches, and keeps every live order', async () => {
    const { history: target, pool } = await postgresHistory();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1_000, max: 1_600 }), fc.integer({ min: 1, max: 7 }),
        async (steps, before, batch) => {
          await pool.query('TRUNCATE orders, fills, balance_changes; UPDATE history_meta SET value = 0');
          const { events, orders } = eventsFor(steps);
          const local = openHistoryStore(':memory:');
          try {
            local.project(events);
            await target.apply(local.changeReader().since(0, local.projectedSeq));
            let pruned = 0;
            for (let n; (n = await target.prune(before, batch)) > 0;) {
              expect(n).toBeLessThanOrEqual(3 * batch);
              pruned += n;
            }
            let prunedLocally = 0;
            for (let n; (n = local.prune(before, batch)) > 0;) prunedLocally += n;
            expect(pruned).toBe(prunedLocally);
            expect(await everything(target, 50, events)).toEqual(await everything(local, 50, events));
            for (const order of orders.values()) {
              if (order.status === 'new' || order.status === 'partially_filled') {
                expect(await target.getOrder(order.accountId, { orderId: order.orderId })).toEqual(order);
              }
            }
          } finally {
            local.close();
          }
        }),
      { numRuns: 20 },
    );
  });

  it('carries the quote of a fill that executed an OTC quote', async () => {
    const { history: target } = await postgresHistory();
    const local = openHistoryStore(':memory:');
    try {
      const { events } = eventsFor(fc.sample(step, { numRuns: 30, seed: 3 }));
      const order = { orderId: 'oq', clientOrderId: 'cq', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'IOC', postOnly: false,
        stp: 'cancel_newest', price: '10', quantity: '1', filledQuantity: '1', remainingQuantity: '0', filledQuote: '10', status: 'filled', createdAt: 5000, updatedAt: 5000, quoteId: '7' };
      const seq = events.length + 1;
      const quoteFill = { type: 'OrderFilled', seq, ts: 5000, order, tradeId: 900, price: '10', quantity: '1', liquidity: 'taker', fee: '0.02', feeAsset: 'USD' } as unknown as CoreEvent;
      local.project([...events, quoteFill]);
      await target.apply(local.changeReader().since(0, seq));
      const fills = await target.listFills('alice', {}, undefined, 1);
      expect(fills.items[0]).toMatchObject({ seq, quoteId: '7' });
      expect(fills).toEqual(local.listFills('alice', {}, undefined, 1));
    } finally {
      local.close();
    }
  });

  it('the copy loop goes on while PostgreSQL refuses connections, answers 503 meanwhile, and catches up without a gap', async () => {
    const admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    const local = openHistoryStore(':memory:');
    const { history: target } = await postgresHistory();
    const wakes = new Set<() => void>();
    const projection = new PostgresHistoryProjection({
      source: local.changeReader(), target, localSynced: async () => {}, localSeq: () => local.projectedSeq,
      subscribe: (wake) => {
        wakes.add(wake);
        return () => wakes.delete(wake);
      },
      logger: pino({ level: 'silent' }), retryMs: 50, syncTimeoutMs: 3000,
    });
    const { events } = eventsFor(fc.sample(step, { numRuns: 400, seed: 7 }));
    const half = Math.floor(events.length / 2);
    try {
      local.project(events.slice(0, half));
      wakes.forEach((wake) => wake());
      await projection.synced();
      expect(await target.projectedSeq()).toBe(local.projectedSeq);

      await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database.name]);
      local.project(events.slice(half));
      wakes.forEach((wake) => wake());
      await eventually(() => expect(projection.status().ok).toBe(false));
      await expect(projection.synced()).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      await expect(target.listFills(ACCOUNTS[0]!)).rejects.toMatchObject({ status: 503 });

      await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`);
      await eventually(() => expect(projection.status()).toEqual({ ok: true, seq: local.projectedSeq }));
      await projection.synced();
      expect(await everything(target, 50, events)).toEqual(await everything(local, 50, events));
    } finally {
      await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
      await projection.close();
      local.close();
    }
  });
});
