/**
 * Prices and quantities around 2^53 units, where the core's amounts change form (a number up to
 * 2^53 - 1, a bigint beyond): an instrument whose quantities run to twice that and whose prices
 * sit on either side of it, against a plain price-time model in bigint. After every order the
 * fills, each open order's remaining quantity and every book level's total (which crosses 2^53
 * as orders of nearly that size join one price) must be exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../server/src/core/api.js';
import { decimal, units } from './decimal-model.js';
import { Harness } from './harness.js';

const TWO_53 = 2n ** 53n;
/** Whole units on both sides, so that every price and quantity is its count of units. */
const BASE_DECIMALS = 0;
const ACCOUNTS = ['a', 'b', 'c'];
/** Low prices go with quantities near 2^53 units, prices near 2^53 units with a few units, so every notional stays payable. */
const LOW_PRICES = [1n, 2n, 3n];
const HIGH_PRICES = [TWO_53 - 1n, TWO_53, TWO_53 + 1n];

interface Resting { id: string; account: string; price: bigint; remaining: bigint }

type Step = { acct: number; buy: boolean; high: boolean; price: number; size: bigint };

const step: fc.Arbitrary<Step> = fc.record({
  acct: fc.integer({ min: 0, max: ACCOUNTS.length - 1 }),
  buy: fc.boolean(),
  high: fc.boolean(),
  price: fc.integer({ min: 0, max: 2 }),
  size: fc.oneof(fc.bigInt({ min: TWO_53 - 1_024n, max: TWO_53 + 1_024n }), fc.bigInt({ min: 1n, max: 5n })),
});

/** A limit order of `o` against the model book: price-time matching, the taker's remainder canceled at its own resting order (cancel_newest). */
function matchModel(book: Resting[], o: Resting, buy: boolean): { fills: bigint[]; rests: boolean } {
  const fills: bigint[] = [];
  for (;;) {
    if (o.remaining === 0n) return { fills, rests: false };
    const opposite = book.filter((r) => (buy ? r.id.startsWith('s') : r.id.startsWith('b')));
    const crossing = opposite.filter((r) => (buy ? r.price <= o.price : r.price >= o.price));
    if (crossing.length === 0) return { fills, rests: true };
    // Best price first; within a price, the earliest (book order is arrival order).
    const best = crossing.reduce((x, r) => ((buy ? r.price < x.price : r.price > x.price) ? r : x));
    if (best.account === o.account) return { fills, rests: false };
    const q = best.remaining < o.remaining ? best.remaining : o.remaining;
    fills.push(q);
    best.remaining -= q;
    o.remaining -= q;
    if (best.remaining === 0n) book.splice(book.indexOf(best), 1);
  }
}

function takerFills(events: readonly CoreEvent[]): bigint[] {
  return events.flatMap((e) => (e.type === 'OrderFilled' && e.liquidity === 'taker' ? [units(e.quantity, BASE_DECIMALS)] : []));
}

describe('amounts around 2^53 units', () => {
  it('stay exact in fills, open orders and book levels as they cross from numbers to bigints and back', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
      const h = new Harness({ defaultMakerBps: 0, defaultTakerBps: 0 });
      h.ok({ type: 'AddAsset', spec: { asset: 'BIG', decimals: BASE_DECIMALS } });
      h.ok({ type: 'AddAsset', spec: { asset: 'PTS', decimals: 0 } });
      h.ok({
        type: 'AddInstrument',
        spec: { symbol: 'BIG-PTS', base: 'BIG', quote: 'PTS', tickSize: '1', lotSize: '1', minQuantity: '1', maxQuantity: '20000000000000000', minNotional: '0', priceBandBps: 0, status: 'open' },
      });
      for (const id of ACCOUNTS) {
        h.ok({ type: 'CreateAccount', accountId: id });
        h.ok({ type: 'Deposit', accountId: id, asset: 'BIG', amount: '99999999999999999999' });
        h.ok({ type: 'Deposit', accountId: id, asset: 'PTS', amount: '99999999999999999999' });
      }
      const book: Resting[] = [];
      let n = 0;
      for (const s of steps) {
        const price = (s.high ? HIGH_PRICES : LOW_PRICES)[s.price]!;
        const quantity = s.high ? 1n + (s.size % 5n) : s.size;
        const account = ACCOUNTS[s.acct]!;
        const r = h.run({
          type: 'PlaceOrder', accountId: account, symbol: 'BIG-PTS', side: s.buy ? 'buy' : 'sell', orderType: 'limit', timeInForce: 'GTC',
          price: price.toString(), quantity: decimal(quantity, BASE_DECIMALS),
        });
        expect(r.ok).toBe(true);
        const accepted = r.events.find((e) => e.type === 'OrderAccepted');
        const id = accepted?.type === 'OrderAccepted' ? accepted.order.orderId : '';
        const taker: Resting = { id: `${s.buy ? 'b' : 's'}${n++}:${id}`, account, price, remaining: quantity };
        const { fills, rests } = matchModel(book, taker, s.buy);
        expect(takerFills(r.events)).toEqual(fills);
        if (rests) book.push(taker);

        // Every open order's remaining quantity.
        const open = ACCOUNTS.flatMap((a) => h.core.openOrders(a)).map((o) => [o.orderId, o.remainingQuantity]).sort();
        const expected = book.map((o) => [o.id.split(':')[1]!, decimal(o.remaining, BASE_DECIMALS)]).sort();
        expect(open).toEqual(expected);
        // Every level's total, best first.
        const snapshot = h.core.book('BIG-PTS')!;
        const levels = (buy: boolean) => {
          const totals = new Map<bigint, bigint>();
          for (const o of book) if (o.id.startsWith(buy ? 'b' : 's')) totals.set(o.price, (totals.get(o.price) ?? 0n) + o.remaining);
          return [...totals].sort(([x], [y]) => (buy ? (x > y ? -1 : 1) : x < y ? -1 : 1)).map(([p, q]) => [p.toString(), decimal(q, BASE_DECIMALS)]);
        };
        expect(snapshot.bids.map((l) => [l.price, l.quantity])).toEqual(levels(true));
        expect(snapshot.asks.map((l) => [l.price, l.quantity])).toEqual(levels(false));
      }
    }), { numRuns: 150 });
  });
});
