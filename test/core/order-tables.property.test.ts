/**
 * The core's order tables against plain Maps: the dense table by id (order-table.ts), an
 * account's live orders in id order (live-orders.ts) and the bounded finished orders
 * (finished-orders.ts), whose oldest-first order and eviction are those of a Map with a ring of
 * ids, including after a restore that holds more orders than the retention.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FinishedOrders } from '../../server/src/core/finished-orders.js';
import { LiveOrders } from '../../server/src/core/live-orders.js';
import type { Order } from '../../server/src/core/model.js';
import { OrderTable } from '../../server/src/core/order-table.js';

const order = (id: number): Order => ({ id, liveOlder: null, liveNewer: null }) as unknown as Order;
const ids = (orders: Iterable<Order>): number[] => [...orders].map((o) => o.id);

describe('order tables', () => {
  it('the live list stays in ascending id and the table finds exactly the live orders', () => {
    // Ids spread over several table chunks (4,096 ids each); a delete of an absent order changes nothing.
    const op = fc.oneof(
      fc.record({ k: fc.constant('add' as const), id: fc.integer({ min: 0, max: 20_000 }) }),
      fc.record({ k: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ k: fc.constant('absent' as const), id: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const list = new LiveOrders();
      const table = new OrderTable();
      const model = new Map<number, Order>();
      for (const o of ops) {
        if (o.k === 'add') {
          if (model.has(o.id)) continue;
          const x = order(o.id);
          model.set(o.id, x);
          list.add(x);
          table.set(x);
        } else if (o.k === 'delete') {
          if (model.size === 0) continue;
          const x = [...model.values()][o.pick % model.size]!;
          model.delete(x.id);
          list.delete(x);
          table.delete(x.id);
        } else if (!model.has(o.id)) {
          list.delete(order(o.id));
          table.delete(o.id);
        }
        expect(ids(list.values())).toEqual([...model.keys()].sort((a, b) => a - b));
        expect(list.size).toBe(model.size);
        expect(table.size).toBe(model.size);
      }
      for (let id = 0; id <= 20_000; id += 97) expect(table.get(id)).toBe(model.get(id));
      for (const id of model.keys()) expect(table.get(id)).toBe(model.get(id));
      expect(table.get(-1)).toBeUndefined();
      expect(table.get(1.5)).toBeUndefined();
      expect(table.get(Number.NaN)).toBeUndefined();
    }));
  });

  it('finished orders keep the newest `keep`, oldest first, as a Map with a ring of ids did', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 40 }), (keep, restored, added) => {
      const finished = new FinishedOrders();
      const map = new Map<number, Order>();
      const ring: number[] = [];
      let head = 0;
      let id = 1;
      for (let i = 0; i < restored; i++, id++) {
        const o = order(id);
        finished.restore(o);
        map.set(id, o);
        ring.push(id);
      }
      for (let i = 0; i < added; i++, id++) {
        const o = order(id);
        finished.add(o, keep);
        if (keep <= 0) continue;
        if (ring.length < keep) ring.push(id);
        else {
          map.delete(ring[head]!);
          ring[head] = id;
          head = (head + 1) % keep;
        }
        map.set(id, o);
        expect(ids(finished.values())).toEqual([...map.keys()]);
      }
      expect(ids(finished.values())).toEqual([...map.keys()]);
      expect(finished.size).toBe(map.size);
      for (let k = 0; k <= id; k++) expect(finished.get(k)).toBe(map.get(k));
    }));
  });
});
