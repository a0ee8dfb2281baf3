/**
 * The compact events of `execute` against the public events of `apply`: two cores take the same
 * random order flow (limit, market, stop and IOC orders, amends, cancels, with fees and STP), one
 * through each door. Results and events must be identical, and every id and integer a compact
 * record answers must be what its public event says, in the event's own moment (an order's
 * OrderAccepted still shows it new after the same command filled it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command, CompactEvents, CoreEvent } from '../../server/src/core/api.js';
import { formatFixed } from '../../server/src/core/fixed.js';
import { market } from './harness.js';

type Step =
  | { k: 'place'; acct: number; side: 'buy' | 'sell'; kind: 'limit' | 'market' | 'ioc' | 'stop' | 'stop_limit'; ticks: number; lots: number; stp: number }
  | { k: 'cancel'; pick: number }
  | { k: 'amend'; pick: number; ticks: number; lots: number; priceOnly: boolean };

const ACCOUNTS = ['alice', 'bob', 'carol'];
const STP = ['cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'] as const;
const price = (ticks: number): string => (100 + ticks / 100).toFixed(2);
const qty = (lots: number): string => (lots / 10_000).toFixed(4);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('place' as const), acct: fc.nat(2), side: fc.constantFrom('buy' as const, 'sell' as const), kind: fc.constantFrom('limit' as const, 'limit' as const, 'market' as const, 'ioc' as const, 'stop' as const, 'stop_limit' as const), ticks: fc.integer({ min: -6, max: 6 }), lots: fc.integer({ min: 1, max: 40 }), stp: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('amend' as const), pick: fc.nat(), ticks: fc.integer({ min: -6, max: 6 }), lots: fc.integer({ min: 1, max: 40 }), priceOnly: fc.boolean() }) },
);

function command(s: Step, live: { id: string; account: string }[]): Command | undefined {
  if (s.k === 'place') {
    const accountId = ACCOUNTS[s.acct]!;
    const base = { type: 'PlaceOrder' as const, accountId, symbol: 'BTC-USD', side: s.side, quantity: qty(s.lots), stp: STP[s.stp] };
    const stopPrice = price(s.side === 'buy' ? 8 + Math.abs(s.ticks) : -8 - Math.abs(s.ticks));
    switch (s.kind) {
      case 'limit': return { ...base, orderType: 'limit', timeInForce: 'GTC', price: price(s.ticks) };
      case 'ioc': return { ...base, orderType: 'limit', timeInForce: 'IOC', price: price(s.ticks) };
      case 'market': return { ...base, orderType: 'market', timeInForce: 'IOC' };
      case 'stop': return { ...base, orderType: 'stop', timeInForce: 'GTC', stopPrice };
      case 'stop_limit': return { ...base, orderType: 'stop_limit', timeInForce: 'GTC', stopPrice, price: stopPrice };
    }
  }
  if (live.length === 0) return undefined;
  const o = live[s.pick % live.length]!;
  if (s.k === 'cancel') return { type: 'CancelOrder', accountId: o.account, orderId: o.id };
  return s.priceOnly
    ? { type: 'AmendOrder', accountId: o.account, orderId: o.id, newPrice: price(s.ticks) }
    : { type: 'AmendOrder', accountId: o.account, orderId: o.id, newQuantity: qty(s.lots) };
}

const ORDER_EVENTS = new Set(['OrderAccepted', 'OrderAmended', 'OrderTriggered', 'OrderCanceled', 'OrderFilled']);

/** What each compact record answers, checked against its public event. */
function expectRecordsMatch(compact: CompactEvents, events: readonly CoreEvent[]): void {
  expect(compact.length).toBe(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    expect(compact.type(i)).toBe(e.type);
    expect(compact.seq(i)).toBe(e.seq);
    if (!ORDER_EVENTS.has(e.type)) {
      expect(() => compact.orderId(i)).toThrow(RangeError);
      continue;
    }
    const o = (e as Extract<CoreEvent, { order: unknown }>).order;
    expect(String(compact.orderId(i))).toBe(o.orderId);
    expect([compact.accountId(i), compact.symbol(i), compact.side(i), compact.orderType(i), compact.timeInForce(i)])
      .toEqual([o.accountId, o.symbol, o.side, o.orderType, o.timeInForce]);
    expect(formatFixed(compact.orderRemaining(i), 8)).toBe(o.remainingQuantity);
    expect(compact.orderStatus(i)).toBe(o.status);
    if (o.price !== undefined) expect(formatFixed(compact.orderPrice(i), 6)).toBe(o.price);
  }
}

describe('compact events (execute) against public events (apply)', () => {
  it('give the same results, and each record answers what its event says', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
      const viaApply = market({ defaultMakerBps: -2, defaultTakerBps: 7 }, { priceBandBps: 500 });
      const viaExecute = market({ defaultMakerBps: -2, defaultTakerBps: 7 }, { priceBandBps: 500 });
      const live: { id: string; account: string }[] = [];
      let ts = viaApply.ts;
      for (const s of steps) {
        const c = command(s, live);
        if (c === undefined) continue;
        ts += 1;
        const expected = viaApply.core.apply({ ts, command: c });
        const got = viaExecute.core.execute!({ ts, command: c });
        expect({ ok: got.ok, code: got.code, message: got.message, details: got.details })
          .toEqual({ ok: expected.ok, code: expected.ok ? undefined : expected.code, message: expected.ok ? undefined : expected.message, details: expected.ok ? undefined : expected.details });
        expectRecordsMatch(got.events, expected.events);
        expect(got.events.views()).toStrictEqual(expected.events);
        for (const e of expected.events) {
          if (e.type === 'OrderAccepted' && e.order.status !== 'filled') live.push({ id: e.order.orderId, account: e.order.accountId });
          if ((e.type === 'OrderCanceled' || e.type === 'OrderFilled') && (e.order.status === 'filled' || e.order.status === 'canceled' || e.order.status === 'expired')) {
            const at = live.findIndex((x) => x.id === e.order.orderId);
            if (at >= 0) live.splice(at, 1);
          }
        }
      }
      expect(viaExecute.core.snapshot()).toEqual(viaApply.core.snapshot());
    }), { numRuns: 60 });
  }, 120_000);

  it('records an order as it was at each event, though the same command changes it later', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    const r = h.core.execute!({ ts: h.ts + 1, command: { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1' } });
    const types = Array.from({ length: r.events.length }, (_, i) => r.events.type(i));
    const accepted = types.indexOf('OrderAccepted');
    const takerFill = types.lastIndexOf('OrderFilled');
    expect(r.events.orderStatus(accepted)).toBe('new');
    expect(r.events.orderRemaining(accepted)).toBe(100_000_000n);
    expect(r.events.orderStatus(takerFill)).toBe('filled');
    expect(r.events.orderRemaining(takerFill)).toBe(0n);
    const view = r.events.view(accepted);
    expect(view.type === 'OrderAccepted' && [view.order.status, view.order.remainingQuantity, view.order.filledQuantity]).toEqual(['new', '1', '0']);
  });
});
