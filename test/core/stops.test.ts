import { describe, expect, it } from 'vitest';
import { restoreCore } from '../../server/src/core/index.js';
import type { CoreEvent } from '../../server/src/core/api.js';
import { eventsOf, market, type Harness } from './harness.js';

/** A market whose last trade printed at 100 (carol bought 1 from bob), with an empty book. */
function tradedAt100(spec = {}): Harness {
  const h = market({}, spec);
  h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
  h.placeOk('carol', { side: 'buy', price: '100', quantity: '1' });
  return h;
}

const kinds = (events: readonly CoreEvent[]) => events.map((e) => e.type);

describe('stop and stop-limit orders: placement', () => {
  it('waits outside the book with its hold reserved, shown untriggered', () => {
    const h = tradedAt100();
    const r = h.place('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '105', price: '106', quantity: '2' });
    expect(r.ok).toBe(true);
    expect(kinds(r.events)).toEqual(['OrderAccepted', 'BalanceChanged']);
    const view = eventsOf(r.events, 'OrderAccepted')[0]!.order;
    expect(view).toMatchObject({ orderType: 'stop_limit', stopPrice: '105', price: '106', triggerState: 'untriggered', status: 'new', remainingQuantity: '2' });
    expect(view.triggeredAt).toBeUndefined();
    expect(h.balance('alice', 'USD').hold).toBe('212');
    expect(h.core.book('BTC-USD')).toMatchObject({ bids: [], asks: [] });
    expect(h.core.openOrders('alice').map((o) => o.orderId)).toEqual([view.orderId]);

    h.placeOk('alice', { orderType: 'stop', side: 'sell', stopPrice: '95', quantity: '3' });
    expect(h.balance('alice', 'BTC').hold).toBe('3');
    h.placeOk('bob', { orderType: 'stop', side: 'buy', stopPrice: '110', quoteQuantity: '500' });
    expect(h.balance('bob', 'USD').hold).toBe('500');
  });

  it('refuses bad stop input with its own codes', () => {
    const h = tradedAt100();
    const code = (o: Parameters<Harness['place']>[1]) => {
      const r = h.place('alice', o);
      return r.ok ? 'accepted' : r.code;
    };
    expect(code({ orderType: 'stop', side: 'sell', quantity: '1' })).toBe('STOP_PRICE_REQUIRED');
    expect(code({ orderType: 'stop_limit', side: 'buy', price: '101', quantity: '1' })).toBe('STOP_PRICE_REQUIRED');
    // A buy stop must wait above the last price, a sell stop below it (equal would trigger at once).
    expect(code({ orderType: 'stop_limit', side: 'buy', stopPrice: '100', price: '101', quantity: '1' })).toBe('STOP_PRICE_WRONG_SIDE');
    expect(code({ orderType: 'stop', side: 'buy', stopPrice: '99', quoteQuantity: '50' })).toBe('STOP_PRICE_WRONG_SIDE');
    expect(code({ orderType: 'stop', side: 'sell', stopPrice: '100', quantity: '1' })).toBe('STOP_PRICE_WRONG_SIDE');
    expect(code({ orderType: 'stop', side: 'sell', stopPrice: '100.001', quantity: '1' })).toBe('PRICE_OFF_TICK');
    expect(code({ orderType: 'stop', side: 'sell', stopPrice: '0', quantity: '1' })).toBe('INVALID_PRICE');
    expect(code({ orderType: 'limit', side: 'buy', price: '90', stopPrice: '95', quantity: '1' })).toBe('INVALID_ORDER');
    expect(code({ orderType: 'stop', side: 'sell', stopPrice: '95', price: '94', quantity: '1' })).toBe('INVALID_ORDER');
    expect(code({ orderType: 'stop_limit', side: 'sell', stopPrice: '95', quantity: '1' })).toBe('INVALID_PRICE');
    expect(code({ orderType: 'stop', side: 'sell', stopPrice: '95', quantity: '1', timeInForce: 'IOC' })).toBe('INVALID_ORDER');
    expect(code({ orderType: 'stop_limit', side: 'sell', stopPrice: '95', price: '94', quantity: '1', timeInForce: 'FOK' })).toBe('INVALID_ORDER');
    expect(code({ orderType: 'stop_limit', side: 'sell', stopPrice: '95', price: '94', quantity: '1', postOnly: true })).toBe('INVALID_ORDER');
    // Without a price band nothing caps a stop buy by quantity: it needs a quote amount.
    expect(code({ orderType: 'stop', side: 'buy', stopPrice: '105', quantity: '1' })).toBe('INVALID_ORDER');
    expect(code({ orderType: 'stop_limit', side: 'buy', stopPrice: '105', price: '1001', quantity: '1000' })).toBe('INSUFFICIENT_FUNDS');
    expect(h.core.openOrders('alice')).toEqual([]);
    expect(h.balance('alice', 'USD').hold).toBe('0');
  });

  it('before the first trade any stop price is accepted; it triggers on the first trade that reaches it', () => {
    const h = market();
    const stop = h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '100', price: '101', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '3' });
    const r = h.place('carol', { side: 'buy', price: '100', quantity: '1' });
    expect(eventsOf(r.events, 'OrderTriggered').map((e) => e.order.orderId)).toEqual([stop]);
    expect(h.core.order('alice', { orderId: stop })).toMatchObject({ status: 'filled', triggerState: 'triggered' });
  });
});

describe('stop and stop-limit orders: triggering', () => {
  it('a trade at the stop price triggers within the same command: the order enters as a taker', () => {
    const h = tradedAt100();
    const stop = h.placeOk('alice', { orderType: 'stop', side: 'buy', stopPrice: '102', quoteQuantity: '1000' });
    h.placeOk('bob', { side: 'sell', price: '102', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '103', quantity: '5' });
    h.ts += 1_000;
    const r = h.place('carol', { side: 'buy', price: '102', quantity: '1' });
    const types = kinds(r.events);
    const trigger = types.indexOf('OrderTriggered');
    // carol's trade first, then the trigger, then the stop's own fills at 103.
    expect(types.indexOf('TradePrinted')).toBeLessThan(trigger);
    const triggered = eventsOf(r.events, 'OrderTriggered')[0]!.order;
    expect(triggered).toMatchObject({ orderId: stop, triggerState: 'triggered', triggeredAt: h.ts });
    const stopFills = eventsOf(r.events, 'OrderFilled').filter((e) => e.order.orderId === stop);
    expect(stopFills.map((f) => [f.price, f.quantity, f.liquidity])).toEqual([['103', '5', 'taker']]);
    // 1000 buys all 5 @ 103 = 515; the budget left is released with the remainder canceled.
    expect(h.core.order('alice', { orderId: stop })).toMatchObject({ status: 'canceled', cancelReason: 'market_no_liquidity', filledQuantity: '5' });
    expect(h.balance('alice', 'USD')).toMatchObject({ hold: '0', total: String(1_000_000 - 515) });
  });

  it('a triggered stop-limit rests with the trigger time as its time in the book', () => {
    const h = tradedAt100();
    const stop = h.placeOk('alice', { orderType: 'stop_limit', side: 'sell', stopPrice: '99', price: '98', quantity: '1' });
    // bob's ask at 98 comes after the stop was placed, yet stays ahead of it: the stop's time is its trigger.
    h.ts += 5;
    const later = h.placeOk('bob', { side: 'sell', price: '98', quantity: '2' });
    h.ts += 5;
    h.placeOk('carol', { side: 'buy', price: '98', quantity: '1' });
    expect(h.core.order('alice', { orderId: stop })).toMatchObject({ triggerState: 'triggered', status: 'new', triggeredAt: h.ts });
    expect(h.core.book('BTC-USD')!.asks).toEqual([{ price: '98', quantity: '2', orders: 2 }]);
    const r = h.place('carol', { side: 'buy', price: '98', quantity: '1' });
    expect(eventsOf(r.events, 'OrderFilled').filter((f) => f.liquidity === 'maker').map((f) => f.order.orderId)).toEqual([later]);
    expect(h.core.order('alice', { orderId: stop })!.remainingQuantity).toBe('1');
  });

  it('stops triggered together go by stop price (nearest the move first), then by time; their trades trigger more', () => {
    const h = tradedAt100();
    const s103 = h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '103', price: '110', quantity: '1' });
    const s101a = h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '110', quantity: '1' });
    const s101b = h.placeOk('carol', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '110', quantity: '1' });
    // Reached only by the triggered orders' own trades (at 105).
    const s105 = h.placeOk('carol', { orderType: 'stop', side: 'buy', stopPrice: '105', quoteQuantity: '200' });
    for (const p of ['103', '104', '105', '106']) h.placeOk('bob', { side: 'sell', price: p, quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '103', quantity: '1' });
    const r = h.place('carol', { side: 'buy', price: '103', quantity: '1' });
    expect(eventsOf(r.events, 'OrderTriggered').map((e) => e.order.orderId)).toEqual([s101a, s101b, s103, s105]);
    // Each triggered order took the best ask left when its turn came.
    const takerPrices = eventsOf(r.events, 'OrderFilled').filter((f) => f.liquidity === 'taker').map((f) => [f.order.orderId, f.price]);
    expect(takerPrices).toEqual([['' + eventsOf(r.events, 'OrderAccepted')[0]!.order.orderId, '103'], [s101a, '103'], [s101b, '104'], [s103, '105'], [s105, '106']]);
  });

  it('a sell stop triggers when the price falls to it and sells into the bids', () => {
    const h = tradedAt100();
    const stop = h.placeOk('alice', { orderType: 'stop', side: 'sell', stopPrice: '97', quantity: '2' });
    h.placeOk('bob', { side: 'buy', price: '97', quantity: '1' });
    h.placeOk('bob', { side: 'buy', price: '96', quantity: '5' });
    const r = h.place('carol', { side: 'sell', price: '98', quantity: '1' });
    expect(eventsOf(r.events, 'OrderTriggered')).toEqual([]);
    const hit = h.place('carol', { side: 'sell', price: '97', quantity: '1' });
    expect(eventsOf(hit.events, 'OrderTriggered').map((e) => e.order.orderId)).toEqual([stop]);
    expect(h.core.order('alice', { orderId: stop })).toMatchObject({ status: 'filled', filledQuantity: '2', averagePrice: '96' });
    expect(h.balance('alice', 'BTC').hold).toBe('0');
  });

  it('a stop buy by quantity holds at its cap (stop price plus the band) and trades no further', () => {
    const h = market({}, { priceBandBps: 500 });
    // An ask at 113 rests from when the price was higher; then the price comes down to 101.
    h.placeOk('bob', { side: 'sell', price: '110', quantity: '1' });
    h.placeOk('carol', { side: 'buy', price: '110', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '113', quantity: '5' });
    for (const p of ['106', '101']) {
      h.placeOk('bob', { side: 'buy', price: p, quantity: '1' });
      h.placeOk('carol', { side: 'sell', price: p, quantity: '1' });
    }
    const stop = h.placeOk('alice', { orderType: 'stop', side: 'buy', stopPrice: '102', quantity: '3' });
    // Cap 102 × 1.05 = 107.1; hold 3 × 107.1.
    expect(h.balance('alice', 'USD').hold).toBe('321.3');
    h.placeOk('bob', { side: 'sell', price: '102', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '104', quantity: '1' });
    const r = h.place('carol', { side: 'buy', price: '102', quantity: '1' });
    expect(eventsOf(r.events, 'OrderFilled').filter((f) => f.order.orderId === stop).map((f) => f.price)).toEqual(['104']);
    expect(h.core.order('alice', { orderId: stop })).toMatchObject({ status: 'canceled', cancelReason: 'price_band', filledQuantity: '1' });
    expect(h.balance('alice', 'USD')).toMatchObject({ hold: '0', total: String(1_000_000 - 104) });
  });

  it('a stop-limit whose price is outside the band when it triggers is canceled (price_band)', () => {
    const h = tradedAt100({ priceBandBps: 500 });
    const stop = h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '120', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '1' });
    const r = h.place('carol', { side: 'buy', price: '101', quantity: '1' });
    expect(eventsOf(r.events, 'OrderCanceled').map((e) => [e.order.orderId, e.reason])).toEqual([[stop, 'price_band']]);
    expect(h.balance('alice', 'USD').hold).toBe('0');
  });

  it('a triggered order meets self-trade prevention like any taker', () => {
    const h = tradedAt100();
    const stop = h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '105', quantity: '1' });
    h.placeOk('alice', { side: 'sell', price: '102', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '1' });
    const r = h.place('carol', { side: 'buy', price: '101', quantity: '1' });
    expect(eventsOf(r.events, 'OrderCanceled').map((e) => [e.order.orderId, e.reason])).toEqual([[stop, 'stp']]);
    expect(eventsOf(r.events, 'TradePrinted')).toHaveLength(1);
  });
});

describe('stop and stop-limit orders: cancel, amend, expiry, kill switch', () => {
  it('a canceled stop releases its hold and never triggers', () => {
    const h = tradedAt100();
    const stop = h.placeOk('alice', { orderType: 'stop', side: 'sell', stopPrice: '99', quantity: '1' });
    expect(h.ok({ type: 'CancelOrder', accountId: 'alice', orderId: stop }).map((e) => e.type)).toEqual(['OrderCanceled', 'BalanceChanged']);
    expect(h.balance('alice', 'BTC').hold).toBe('0');
    h.placeOk('bob', { side: 'buy', price: '99', quantity: '1' });
    expect(eventsOf(h.place('carol', { side: 'sell', price: '99', quantity: '1' }).events, 'OrderTriggered')).toEqual([]);
  });

  it('amends an untriggered stop: stop price (kept on the waiting side), price, quantity, hold', () => {
    const h = tradedAt100();
    const stop = h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '105', price: '106', quantity: '2', clientOrderId: 's1' });
    const amend = (c: object) => h.run({ type: 'AmendOrder', accountId: 'alice', orderId: stop, ...c });
    expect(amend({ newStopPrice: '100' })).toMatchObject({ ok: false, code: 'STOP_PRICE_WRONG_SIDE' });
    expect(amend({ newStopPrice: '105' })).toMatchObject({ ok: false, code: 'AMEND_NO_CHANGE' });
    const r = amend({ newStopPrice: '103', newPrice: '104', newQuantity: '3' });
    expect(r.ok).toBe(true);
    expect(eventsOf(r.events, 'OrderAmended')[0]).toMatchObject({ priorityKept: false, order: { stopPrice: '103', price: '104', quantity: '3', triggerState: 'untriggered' } });
    expect(h.balance('alice', 'USD').hold).toBe('312');
    expect(amend({ newQuantity: '1' })).toMatchObject({ ok: true });
    expect(h.balance('alice', 'USD').hold).toBe('104');
    const stopMarket = h.placeOk('alice', { orderType: 'stop', side: 'buy', stopPrice: '110', quoteQuantity: '50' });
    expect(h.run({ type: 'AmendOrder', accountId: 'alice', orderId: stopMarket, newQuantity: '1' })).toMatchObject({ ok: false, code: 'INVALID_ORDER' });
    expect(h.run({ type: 'AmendOrder', accountId: 'alice', orderId: stopMarket, newPrice: '111' })).toMatchObject({ ok: false, code: 'INVALID_ORDER' });
    // The amended trigger is the one that counts.
    h.placeOk('bob', { side: 'sell', price: '103', quantity: '1' });
    const hit = h.place('carol', { side: 'buy', price: '103', quantity: '1' });
    expect(eventsOf(hit.events, 'OrderTriggered').map((e) => e.order.orderId)).toEqual([stop]);
    // Triggered, its stop price is history: only the resting limit order can be amended.
    expect(h.run({ type: 'AmendOrder', accountId: 'alice', orderId: stop, newStopPrice: '120' })).toMatchObject({ ok: false, code: 'INVALID_ORDER' });
    expect(h.run({ type: 'AmendOrder', accountId: 'alice', orderId: stop, newQuantity: '2' }).ok).toBe(true);
    expect(h.core.book('BTC-USD')!.bids).toEqual([{ price: '104', quantity: '2', orders: 1 }]);
  });

  it('an amend that reprices a stop puts it behind the other stops at its stop price', () => {
    const h = tradedAt100();
    const first = h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '110', quantity: '1' });
    const second = h.placeOk('carol', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '110', quantity: '1' });
    h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: first, newPrice: '111' });
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '3' });
    const hit = h.place('alice', { side: 'buy', price: '101', quantity: '0.5' });
    expect(eventsOf(hit.events, 'OrderTriggered').map((e) => e.order.orderId)).toEqual([second, first]);
  });

  it('GTD stops expire on time untriggered; a due stop reached by the price is expired, not triggered', () => {
    const h = tradedAt100();
    const a = h.placeOk('alice', { orderType: 'stop', side: 'sell', stopPrice: '99', quantity: '1', timeInForce: 'GTD', expireAt: h.ts + 100 });
    const b = h.placeOk('alice', { orderType: 'stop', side: 'sell', stopPrice: '98', quantity: '1', timeInForce: 'GTD', expireAt: h.ts + 200 });
    expect(h.core.nextExpiry!()).toBe(h.ts + 100);
    h.ts += 150;
    const expired = h.ok({ type: 'ExpireOrders' });
    expect(eventsOf(expired, 'OrderCanceled').map((e) => [e.order.orderId, e.reason, e.order.status])).toEqual([[a, 'expired', 'expired']]);
    h.ts += 100;
    h.placeOk('bob', { side: 'buy', price: '97', quantity: '2' });
    const r = h.place('carol', { side: 'sell', price: '97', quantity: '1' });
    expect(eventsOf(r.events, 'OrderTriggered')).toEqual([]);
    expect(eventsOf(r.events, 'OrderCanceled').map((e) => [e.order.orderId, e.reason])).toEqual([[b, 'expired']]);
    expect(h.balance('alice', 'BTC').hold).toBe('0');
  });

  it('cancel-all and the kill switch cancel untriggered stops', () => {
    const h = tradedAt100();
    h.placeOk('alice', { orderType: 'stop', side: 'sell', stopPrice: '99', quantity: '1' });
    h.placeOk('alice', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '101', quantity: '1' });
    expect(eventsOf(h.ok({ type: 'SetKillSwitch', accountId: 'alice', active: true }), 'OrderCanceled').map((e) => e.reason)).toEqual(['kill_switch', 'kill_switch']);
    expect(h.balance('alice', 'BTC').hold).toBe('0');
    expect(h.balance('alice', 'USD').hold).toBe('0');
  });

  it('a snapshot keeps untriggered stops: the restored core triggers them exactly as the original', () => {
    const h = tradedAt100({ priceBandBps: 500 });
    h.placeOk('alice', { orderType: 'stop', side: 'buy', stopPrice: '102', quantity: '1' });
    h.placeOk('carol', { orderType: 'stop_limit', side: 'buy', stopPrice: '101', price: '103', quantity: '1', timeInForce: 'GTD', expireAt: h.ts + 10_000 });
    h.placeOk('bob', { side: 'sell', price: '102', quantity: '3' });
    // One stop triggered earlier (and resting) is restored as triggered, not waiting again.
    const rests = h.placeOk('alice', { orderType: 'stop_limit', side: 'sell', stopPrice: '99', price: '101', quantity: '1' });
    h.placeOk('bob', { side: 'buy', price: '99', quantity: '0.1' });
    h.placeOk('carol', { side: 'sell', price: '99', quantity: '0.1' });
    expect(h.core.order('alice', { orderId: rests })).toMatchObject({ triggerState: 'triggered', status: 'new' });
    const fromJson = restoreCore(JSON.parse(JSON.stringify(h.core.snapshot())));
    const fromBinary = restoreCore(h.core.snapshotBinary!());
    const trade = { type: 'PlaceOrder' as const, accountId: 'carol', symbol: 'BTC-USD', side: 'buy' as const, orderType: 'limit' as const, timeInForce: 'GTC' as const, price: '102', quantity: '0.5' };
    const a = h.core.apply({ ts: h.ts + 1, command: trade });
    expect(eventsOf(a.events, 'OrderTriggered')).toHaveLength(2);
    for (const restored of [fromJson, fromBinary]) {
      expect(restored.apply({ ts: h.ts + 1, command: trade })).toEqual(a);
      expect(restored.snapshot()).toEqual(h.core.snapshot());
    }
  });
});
