/**
 * An order's row keeps its view packed (schema version 3): whatever the view, every query, the
 * change reader and the archive give back the view the projection was handed, byte for byte once
 * stringified, and the core's own views are kept packed, not as JSON.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command, CoreEvent, OrderView, TimeInForce } from '../../server/src/core/api.js';
import { exportHistory } from '../../server/src/history/archive.js';
import { openHistoryStore, type HistoryStore } from '../../server/src/history/index.js';
import { packOrderView, unpackOrderView } from '../../server/src/history/packed-view.js';
import { openDatabase } from '../../server/src/storage/sqlite.js';
import { market } from '../core/harness.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { identity, orderView, withClientOrderId } from './order-views.js';

const newDir = tempDirs('history-packed');

/** What every reader of the store says the order is now, as JSON texts. */
function readBack(store: HistoryStore, view: OrderView): string[] {
  const texts = [store.getOrder(view.accountId, { orderId: view.orderId }), store.listOrders(view.accountId).items.find((o) => o.orderId === view.orderId)]
    .map((v) => JSON.stringify(v));
  if (view.clientOrderId !== undefined) texts.push(JSON.stringify(store.getOrder(view.accountId, { clientOrderId: view.clientOrderId })));
  const changed = store.changeReader().since(0, Number.MAX_SAFE_INTEGER).orders.find((o) => o.order_id === view.orderId);
  texts.push(changed!.view);
  return texts;
}

describe('packed order views', () => {
  it('any view reads back as itself: packed, or kept as JSON when a value does not fit', () => {
    fc.assert(fc.property(identity.chain((id) => fc.tuple(orderView(id), orderView(id))), ([first, later]) => {
      const row = {
        order_id: first.orderId, account_id: first.accountId, client_order_id: first.clientOrderId ?? null, symbol: first.symbol,
        status: first.status, created_at: first.createdAt, packed_view: packOrderView(first),
      };
      expect(JSON.stringify(unpackOrderView(row))).toBe(JSON.stringify(first));
    }), { numRuns: 2000 });
  });

  it('the store gives back every view it was handed, after its insert, an update and an amend of its client order id', () => {
    fc.assert(fc.property(identity.chain((id) => fc.tuple(orderView(id), orderView(id), orderView(id))), ([accepted, filled, amended]) => {
      const store = openHistoryStore(':memory:');
      try {
        store.project([{ type: 'OrderAccepted', seq: 1, ts: 1, order: accepted }]);
        for (const text of readBack(store, accepted)) expect(text).toBe(JSON.stringify(accepted));
        // Only an amend changes the client order id.
        const update = withClientOrderId(filled, accepted.clientOrderId);
        store.project([{ type: 'OrderFilled', seq: 2, ts: 2, order: update, tradeId: 1, price: '1', quantity: '1', liquidity: 'maker', fee: '0', feeAsset: 'USD' }]);
        for (const text of readBack(store, update)) expect(text).toBe(JSON.stringify(update));
        store.project([{ type: 'OrderAmended', seq: 3, ts: 3, order: amended, priorityKept: true }]);
        for (const text of readBack(store, amended)) expect(text).toBe(JSON.stringify(amended));
      } finally {
        store.close();
      }
    }), { numRuns: 300 });
  });

  it("the core's views, of every kind of order, are kept packed and read back byte for byte", () => {
    type Step =
      | { kind: 'place'; account: number; type: number; tif: TimeInForce; side: number; price: number; quantity: number; clientId: boolean; postOnly: boolean; stp: number }
      | { kind: 'amend'; pick: number; price: number; quantity: number; clientId: boolean }
      | { kind: 'cancel'; pick: number }
      | { kind: 'expire' }
      | { kind: 'quote'; account: number; side: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 6, arbitrary: fc.record({
        kind: fc.constant('place' as const), account: fc.nat(2), type: fc.nat(3), tif: fc.constantFrom<TimeInForce>('GTC', 'IOC', 'FOK', 'GTD'), side: fc.nat(1),
        price: fc.integer({ min: 95, max: 105 }), quantity: fc.integer({ min: 1, max: 30 }), clientId: fc.boolean(), postOnly: fc.boolean(), stp: fc.nat(3),
      }) },
      fc.record({ kind: fc.constant('amend' as const), pick: fc.nat(), price: fc.integer({ min: 95, max: 105 }), quantity: fc.integer({ min: 1, max: 30 }), clientId: fc.boolean() }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.constant({ kind: 'expire' as const }),
      fc.record({ kind: fc.constant('quote' as const), account: fc.nat(2), side: fc.nat(1) }),
    );
    const ACCOUNTS = ['alice', 'bob', 'carol'];
    const TYPES = ['limit', 'market', 'stop', 'stop_limit'] as const;
    const STP = ['cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'] as const;
    fc.assert(fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), fc.integer({ min: 1, max: 10 }), (steps, perTransaction) => {
      const h = market();
      h.ok({ type: 'CreateAccount', accountId: 'desk' });
      h.ok({ type: 'Deposit', accountId: 'desk', asset: 'USD', amount: '1000000' });
      h.ok({ type: 'Deposit', accountId: 'desk', asset: 'BTC', amount: '100' });
      const file = join(newDir(), 'history.db');
      const store = openHistoryStore(file);
      const latest = new Map<string, OrderView>();
      let clientIds = 0;
      try {
        store.project(h.log);
        let pending: CoreEvent[] = [];
        steps.forEach((s, i) => {
          h.ts += 1_000;
          const live = [...latest.values()].filter((o) => o.status === 'new' || o.status === 'partially_filled');
          let command: Command | undefined;
          if (s.kind === 'place') {
            const orderType = TYPES[s.type]!;
            const side = s.side === 0 ? 'buy' : 'sell';
            const price = (s.price + (side === 'buy' ? -1 : 1) * 0.25).toFixed(2);
            // Each type with the times in force it takes; a market or stop buy now and then by quote amount.
            const timeInForce = orderType === 'market' ? 'IOC'
              : orderType === 'stop' && (s.tif === 'IOC' || s.tif === 'FOK') ? 'GTC'
              : orderType === 'stop_limit' && s.tif === 'FOK' ? 'IOC' : s.tif;
            const byQuote = side === 'buy' && (orderType === 'stop' || (orderType === 'market' && s.quantity % 2 === 0));
            command = {
              type: 'PlaceOrder', accountId: ACCOUNTS[s.account]!, symbol: 'BTC-USD', side, orderType, timeInForce,
              ...(byQuote ? { quoteQuantity: `${s.quantity * 10}` } : { quantity: (s.quantity / 10).toFixed(1) }),
              ...(orderType === 'limit' || orderType === 'stop_limit' ? { price } : {}),
              ...(orderType === 'stop' || orderType === 'stop_limit' ? { stopPrice: String(s.price) } : {}),
              ...(timeInForce === 'GTD' ? { expireAt: h.ts + 2_500 } : {}),
              ...(s.clientId ? { clientOrderId: `c${++clientIds}` } : {}),
              ...(s.postOnly && orderType === 'limit' && (timeInForce === 'GTC' || timeInForce === 'GTD') ? { postOnly: true } : {}), stp: STP[s.stp]!,
            } as Command;
          } else if (s.kind === 'amend' && live.length > 0) {
            const o = live[s.pick % live.length]!;
            command = {
              type: 'AmendOrder', accountId: o.accountId, orderId: o.orderId, newQuantity: (s.quantity / 10).toFixed(1),
              ...(o.price !== undefined ? { newPrice: `${s.price}.50` } : {}), ...(s.clientId ? { newClientOrderId: `c${++clientIds}` } : {}),
            } as Command;
          } else if (s.kind === 'cancel' && live.length > 0) {
            const o = live[s.pick % live.length]!;
            command = { type: 'CancelOrder', accountId: o.accountId, orderId: o.orderId };
          } else if (s.kind === 'expire') {
            command = { type: 'ExpireOrders' };
          } else if (s.kind === 'quote') {
            const accountId = ACCOUNTS[s.account]!;
            const issued = h.run({
              type: 'IssueQuote', accountId, counterpartyId: 'desk', provider: 'pricer', symbol: 'BTC-USD', side: 'two_way',
              bidPrice: '99', askPrice: '101', quantity: '0.5', validUntil: h.ts + 5_000,
            } as Command).events.find((e) => e.type === 'QuoteIssued');
            if (issued?.type === 'QuoteIssued') {
              command = { type: 'AcceptQuote', accountId, quoteId: issued.quote.quoteId, side: s.side === 0 ? 'buy' : 'sell', clientOrderId: `q${++clientIds}` } as Command;
            }
          }
          const events = command === undefined ? [] : h.run(command).events;
          for (const e of events) if ('order' in e) latest.set(e.order.orderId, e.order);
          pending.push(...events);
          if ((i + 1) % perTransaction === 0 || i === steps.length - 1) {
            store.project(pending.length > 0 ? pending : [], h.core.seq);
            pending = [];
          }
        });
        for (const view of latest.values()) {
          const json = JSON.stringify(view);
          expect(JSON.stringify(store.getOrder(view.accountId, { orderId: view.orderId }))).toBe(json);
          if (view.clientOrderId !== undefined) expect(JSON.stringify(store.getOrder(view.accountId, { clientOrderId: view.clientOrderId }))).toBe(json);
        }
        for (const account of ACCOUNTS) {
          for (const o of store.listOrders(account, {}, undefined, 1000).items) expect(JSON.stringify(o)).toBe(JSON.stringify(latest.get(o.orderId)));
        }
      } finally {
        store.close();
      }
      const db = openDatabase(file);
      try {
        const rows = db.prepare(`SELECT packed_view FROM orders`).all() as { packed_view: string }[];
        expect(rows.length).toBe(latest.size);
        for (const row of rows) expect(row.packed_view.startsWith('{')).toBe(false);
        const archived: Record<string, unknown>[] = [];
        exportHistory(db, Number.MAX_SAFE_INTEGER, (line) => {
          const { table, row } = JSON.parse(line) as { table: string; row: Record<string, unknown> };
          if (table === 'orders') archived.push(row);
        });
        for (const row of archived) expect(row.view).toBe(JSON.stringify(latest.get(row.order_id as string)));
      } finally {
        db.close();
      }
    }), { numRuns: 40 });
  });
});
