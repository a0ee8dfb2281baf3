import { describe, expect, it } from 'vitest';
import type { BookSnapshot, CoreEvent } from '../../server/src/core/api.js';
import { createCore } from '../../server/src/core/index.js';
import { eventsOf, market, T0 } from './harness.js';

describe('event sequencing', () => {
  it('numbers every event strictly +1, across accepted and rejected commands', () => {
    const h = market();
    h.placeOk('alice', { side: 'sell', price: '100', quantity: '1' });
    h.place('bob', { side: 'buy', price: '100.001', quantity: '1' }); // rejected
    h.placeOk('bob', { side: 'buy', price: '100', quantity: '2' });
    h.run({ type: 'CancelOrder', accountId: 'bob', orderId: '77' }); // rejected
    h.log.forEach((e, i) => expect(e.seq).toBe(i + 1));
    expect(h.core.seq).toBe(h.log.length);
  });

  it('stamps events with the command’s time', () => {
    const h = market();
    h.ts = T0 + 12_345;
    const events = h.ok({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: '1' });
    expect(events.every((e) => e.ts === T0 + 12_345)).toBe(true);
  });

  it('numbers book events per instrument, and the L2 deltas rebuild the book', () => {
    const h = market();
    h.ok({ type: 'AddAsset', spec: { asset: 'ETH', decimals: 8 } });
    h.ok({ type: 'AddInstrument', spec: { symbol: 'ETH-USD', base: 'ETH', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '100', minNotional: '0', priceBandBps: 0, status: 'open' } });
    h.ok({ type: 'Deposit', accountId: 'alice', asset: 'ETH', amount: '10' });
    const start = h.log.length;
    h.placeOk('alice', { side: 'sell', price: '101', quantity: '1' });
    h.placeOk('alice', { symbol: 'ETH-USD', side: 'sell', price: '11', quantity: '1' });
    h.placeOk('alice', { side: 'sell', price: '101', quantity: '2' });
    const bid = h.placeOk('bob', { side: 'buy', price: '99', quantity: '1' });
    h.placeOk('carol', { side: 'buy', price: '101', quantity: '1.5' });
    h.ok({ type: 'CancelOrder', accountId: 'bob', orderId: bid });
    const book = eventsOf(h.log.slice(start), 'BookLevelChanged');
    for (const symbol of ['BTC-USD', 'ETH-USD']) {
      const mine = book.filter((e) => e.symbol === symbol);
      mine.forEach((e, i) => expect(e.bookSeq).toBe(i + 1));
      const levels = new Map<string, string>();
      for (const e of mine) {
        if (e.quantity === '0') levels.delete(`${e.side}@${e.price}`);
        else levels.set(`${e.side}@${e.price}`, e.quantity);
      }
      const snap = h.core.book(symbol)!;
      const fromSnap = new Map([...snap.bids.map((l) => [`buy@${l.price}`, l.quantity] as const), ...snap.asks.map((l) => [`sell@${l.price}`, l.quantity] as const)]);
      expect(levels).toEqual(fromSnap);
      expect(snap.bookSeq).toBe(mine.length);
    }
    expect(book.find((e) => e.side === 'buy' && e.price === '99' && e.quantity === '0')).toBeDefined();
  });

  it('book(symbol, depth) gives aggregated levels best first at the current seq', () => {
    const h = market();
    h.placeOk('alice', { side: 'buy', price: '99', quantity: '1' });
    h.placeOk('bob', { side: 'buy', price: '99', quantity: '0.5' });
    h.placeOk('alice', { side: 'buy', price: '98', quantity: '1' });
    h.placeOk('alice', { side: 'sell', price: '101', quantity: '1' });
    h.placeOk('alice', { side: 'sell', price: '102', quantity: '1' });
    const snap: BookSnapshot = h.core.book('BTC-USD', 1)!;
    expect(snap).toEqual({
      symbol: 'BTC-USD', seq: h.core.seq, bookSeq: 5, bids: [{ price: '99', quantity: '1.5', orders: 2 }], asks: [{ price: '101', quantity: '1', orders: 1 }],
    });
    expect(h.core.book('BTC-USD')!.bids.map((l) => l.price)).toEqual(['99', '98']);
    expect(h.core.book('NOPE')).toBeUndefined();
  });

  it('admin commands emit AdminApplied; invalid commands and envelopes emit CommandRejected', () => {
    const core = createCore();
    const ok = core.apply({ ts: T0, command: { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } } });
    expect(ok.events).toEqual([{ type: 'AdminApplied', seq: 1, ts: T0, command: { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } } }]);
    const unknown = core.apply({ ts: T0, command: { type: 'Explode' } as never });
    expect(unknown).toMatchObject({ ok: false, code: 'INVALID_COMMAND', events: [{ type: 'CommandRejected', seq: 2, code: 'INVALID_COMMAND' }] });
    const badTime = core.apply({ ts: Number.NaN, command: { type: 'ExpireOrders' } });
    expect(badTime).toMatchObject({ ok: false, code: 'INVALID_COMMAND', events: [{ type: 'CommandRejected', seq: 3, ts: T0 }] });
  });

  it('every order event carries a full order view', () => {
    const h = market();
    h.ts = T0 + 5;
    const r = h.place('alice', { side: 'buy', price: '100', quantity: '1', clientOrderId: 'v1' });
    const accepted = eventsOf(r.events as CoreEvent[], 'OrderAccepted')[0]!;
    expect(accepted.order).toEqual({
      orderId: '1', clientOrderId: 'v1', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC',
      postOnly: false, stp: 'cancel_newest', price: '100', quantity: '1', quoteQuantity: undefined, filledQuantity: '0',
      remainingQuantity: '1', filledQuote: '0', averagePrice: undefined, status: 'new', expireAt: undefined, createdAt: T0 + 5, updatedAt: T0 + 5,
    });
  });
});
