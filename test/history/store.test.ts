import { statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoreEvent, OrderStatus, OrderView } from '../../server/src/core/api.js';
import { InvalidCursorError, openHistoryStore, type HistoryStore, type Page } from '../../server/src/history/index.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { ACCOUNTS, collect, eventsFor, step, SYMBOLS } from './random-history.js';

const newDir = tempDirs('history');
function withStore<T>(run: (store: HistoryStore) => T): T {
  const store = openHistoryStore(':memory:');
  try {
    return run(store);
  } finally {
    store.close();
  }
}

describe('history store', () => {
  it('pages through every order exactly once, newest first, with any page size and filter', () => {
    const statuses: OrderStatus[][] = [[], ['new'], ['filled', 'canceled'], ['new', 'partially_filled']];
    fc.assert(fc.property(fc.array(step, { maxLength: 80 }), fc.integer({ min: 1, max: 7 }), fc.nat(3), fc.option(fc.nat(1)), fc.option(fc.nat(200)),
      (steps, limit, statusPick, symbolPick, fromOffset) => {
        const { events, orders } = eventsFor(steps);
        withStore((store) => {
          store.project(events);
          for (const account of ACCOUNTS) {
            const filters = {
              ...(statusPick > 0 ? { status: statuses[statusPick]! } : {}),
              ...(symbolPick !== null ? { symbol: SYMBOLS[symbolPick]! } : {}),
              ...(fromOffset !== null ? { from: 1_000 + fromOffset * 10 } : {}),
            };
            const expected = [...orders.values()]
              .filter((o) => o.accountId === account)
              .filter((o) => filters.status === undefined || filters.status.includes(o.status))
              .filter((o) => filters.symbol === undefined || o.symbol === filters.symbol)
              .filter((o) => filters.from === undefined || o.createdAt >= filters.from)
              .reverse();
            expect(collect((cursor) => store.listOrders(account, filters, cursor, limit))).toEqual(expected);
          }
        });
      }));
  });

  it('lists fills and balance changes by account, symbol/asset and time range, newest first', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 80 }), fc.integer({ min: 1, max: 9 }), fc.nat(100), fc.nat(100), (steps, limit, a, b) => {
      const { events } = eventsFor(steps);
      const [from, to] = [1_000 + Math.min(a, b) * 10, 1_000 + Math.max(a, b) * 10];
      withStore((store) => {
        store.project(events);
        for (const account of ACCOUNTS) {
          const fills = collect((cursor) => store.listFills(account, { symbol: 'BTC-USD', from, to }, cursor, limit));
          const expectedFills = events.filter((e) => e.type === 'OrderFilled' && e.order.accountId === account && e.order.symbol === 'BTC-USD' && e.ts >= from && e.ts < to);
          expect(fills.map((f) => f.seq)).toEqual(expectedFills.map((e) => e.seq).reverse());
          for (const fill of fills) expect(fill).toMatchObject({ accountId: account, symbol: 'BTC-USD', price: '10', quantity: '1', fee: '0.01', feeAsset: 'USD' });

          const changes = collect((cursor) => store.listBalanceChanges(account, { asset: 'USD' }, cursor, limit));
          const expectedChanges = events.filter((e) => e.type === 'BalanceChanged' && e.accountId === account && e.asset === 'USD');
          expect(changes.map((c) => [c.seq, c.total])).toEqual(expectedChanges.map((e) => [e.seq, String(e.seq)]).reverse());
        }
      });
    }));
  });

  it('projecting overlapping batches again changes nothing (resume after a crash)', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.nat(), (steps, cutSeed) => {
      const { events } = eventsFor(steps);
      const once = withStore((store) => {
        store.project(events);
        return [store.listOrders('alice', {}, undefined, 1000), store.listFills('bob', {}, undefined, 1000), store.projectedSeq];
      });
      const twice = withStore((store) => {
        const cut = events.length === 0 ? 0 : cutSeed % events.length;
        store.project(events.slice(0, cut));
        store.project(events);
        store.project(events.slice(cut));
        return [store.listOrders('alice', {}, undefined, 1000), store.listFills('bob', {}, undefined, 1000), store.projectedSeq];
      });
      expect(twice).toEqual(once);
    }));
  });

  it('finds an order by id or client order id, only for its own account', () => {
    const { events, orders } = eventsFor([{ kind: 'place', account: 0, symbol: 0 }, { kind: 'fill', pick: 0 }, { kind: 'cancel', pick: 0 }]);
    withStore((store) => {
      store.project(events);
      const order = orders.get('o1')!;
      expect(order.status).toBe('canceled');
      expect(store.getOrder('alice', { orderId: 'o1' })).toEqual(order);
      expect(store.getOrder('alice', { clientOrderId: 'c-o1' })).toEqual(order);
      expect(store.getOrder('bob', { orderId: 'o1' })).toBeUndefined();
      expect(store.getOrder('alice', { orderId: 'o2' })).toBeUndefined();
    });
  });

  it('rejects cursors it did not make, and bad limits', () => {
    withStore((store) => {
      for (const bad of ['', 'abc', Buffer.from('h1.-5').toString('base64url'), Buffer.from('h1.zzzzzzzzzzzzz').toString('base64url'), 'aDEuMQ==', 'aDIuMQ']) {
        expect(() => store.listFills('alice', {}, bad, 10)).toThrow(InvalidCursorError);
      }
      expect(() => store.listFills('alice', {}, undefined, 0)).toThrow(RangeError);
      expect(() => store.listFills('alice', {}, undefined, 1.5)).toThrow(RangeError);
    });
  });

  it('lists balance changes as a ledger: movements of the total, not order holds and releases', () => {
    const reasons = ['deposit', 'order_hold', 'trade', 'fee', 'order_release', 'withdrawal'] as const;
    const events: CoreEvent[] = reasons.map((reason, i) => ({
      type: 'BalanceChanged', seq: i + 1, ts: 1_000 + i, accountId: 'alice', asset: 'USD', total: `${i}`, available: `${i}`, hold: '0', reason,
    }));
    withStore((store) => {
      store.project(events);
      expect(store.listBalanceChanges('alice').items.map((c) => c.reason)).toEqual(['withdrawal', 'fee', 'trade', 'deposit']);
      expect(store.projectedSeq).toBe(6);
    });
  });

  it('keeps the projected seq in the file, committed with the rows', () => {
    const file = join(newDir(), 'history.db');
    const { events } = eventsFor([{ kind: 'place', account: 0, symbol: 0 }, { kind: 'balance', account: 1, asset: 0 }]);
    const first = openHistoryStore(file);
    first.project(events.slice(0, 1));
    first.close();
    const second = openHistoryStore(file);
    expect(second.projectedSeq).toBe(1);
    second.project(events);
    expect(second.projectedSeq).toBe(2);
    expect(second.listOrders('alice').items).toHaveLength(1);
    expect(second.listBalanceChanges('bob').items).toHaveLength(1);
    second.close();
  });

  it('checkpoints its WAL into the database file on demand', () => {
    const file = join(newDir(), 'history.db');
    const { events } = eventsFor([{ kind: 'place', account: 0, symbol: 0 }, { kind: 'fill', pick: 0 }, { kind: 'balance', account: 1, asset: 0 }]);
    const store = openHistoryStore(file);
    store.project(events);
    const before = statSync(file).size;
    const done = store.checkpoint();
    expect(done.walPages).toBeGreaterThan(0);
    expect(done.checkpointedPages).toBe(done.walPages);
    expect(statSync(file).size).toBeGreaterThan(before);
    // Nothing new since: the next one copies no page it had not already copied.
    expect(store.checkpoint().checkpointedPages).toBe(done.checkpointedPages);
    store.close();
    const reopened = openHistoryStore(file);
    expect(reopened.listFills('alice').items.length + reopened.listFills('bob').items.length).toBeGreaterThan(0);
    reopened.close();
  });

  it('records the seq it was told it has reached, past the last event given, and skips events up to it later', () => {
    const file = join(newDir(), 'history.db');
    const { events } = eventsFor([{ kind: 'place', account: 0, symbol: 0 }, { kind: 'balance', account: 1, asset: 0 }]);
    const first = openHistoryStore(file);
    // Events 2..5 were of types the history does not keep, so the caller left them out.
    first.project(events.slice(0, 1), 5);
    expect(first.projectedSeq).toBe(5);
    first.project([], 7);
    expect(first.projectedSeq).toBe(7);
    first.project([], 6);
    expect(first.projectedSeq).toBe(7);
    first.close();
    const second = openHistoryStore(file);
    expect(second.projectedSeq).toBe(7);
    // Seq 2 is at or below what the store has reached: not projected again.
    second.project(events);
    expect(second.listBalanceChanges('bob').items).toHaveLength(0);
    expect(second.listOrders('alice').items).toHaveLength(1);
    second.close();
  });
});
