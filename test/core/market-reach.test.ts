/**
 * A market buy by quantity trades to the depth it can actually reach: asks it may not take
 * (expired GTD orders, its own asks under STP) do not count towards the quantity that decides
 * its limit, hold and FOK fillability.
 */
import { describe, expect, it } from 'vitest';
import { eventsOf, market, T0 } from './harness.js';

/** b: 0.0003 @ 30000 GTD expiring at T0+100; a: 0.0003 @ 30001.50 GTC; the clock moves to T0+200. */
function withExpiredAsk(spec = {}) {
  const h = market({}, spec);
  h.ok({ type: 'CreateAccount', accountId: 'dave' });
  h.ok({ type: 'Deposit', accountId: 'dave', asset: 'USD', amount: '100000' });
  h.placeOk('bob', { side: 'sell', price: '30000', quantity: '0.0003', timeInForce: 'GTD', expireAt: T0 + 100 });
  h.placeOk('alice', { side: 'sell', price: '30001.5', quantity: '0.0003' });
  h.ts = T0 + 200;
  return h;
}

describe('market buy by quantity: the depth it can reach', () => {
  it('skips an expired GTD ask and fills at the next level (IOC)', () => {
    const h = withExpiredAsk();
    const r = h.place('dave', { side: 'buy', orderType: 'market', quantity: '0.0001', timeInForce: 'IOC' });
    expect(r.ok).toBe(true);
    expect(eventsOf(r.events, 'OrderCanceled').map((e) => [e.order.accountId, e.reason])).toEqual([['bob', 'expired']]);
    expect(eventsOf(r.events, 'TradePrinted').map((e) => [e.price, e.quantity])).toEqual([['30001.5', '0.0001']]);
    expect(eventsOf(r.events, 'OrderFilled').find((e) => e.order.accountId === 'dave')?.order.status).toBe('filled');
    expect(h.balance('dave', 'USD').hold).toBe('0');
  });

  it('FOK fills across an expired ask instead of being refused', () => {
    const h = withExpiredAsk();
    const r = h.place('dave', { side: 'buy', orderType: 'market', quantity: '0.0003', timeInForce: 'FOK' });
    expect(r).toMatchObject({ ok: true });
    expect(eventsOf(r.events, 'TradePrinted').map((e) => e.price)).toEqual(['30001.5']);
  });

  it('with the price band on, stops at the band for the band reason, not at the expired ask', () => {
    // Last trade 30000 sets the band's reference; a 10 bps band caps a buy at 30030.
    const h = market({}, { priceBandBps: 10 });
    h.placeOk('carol', { side: 'sell', price: '30000', quantity: '0.0001' });
    h.placeOk('alice', { side: 'buy', price: '30000', quantity: '0.0001' });
    h.placeOk('bob', { side: 'sell', price: '30000', quantity: '0.0003', timeInForce: 'GTD', expireAt: T0 + 100 });
    h.placeOk('alice', { side: 'sell', price: '30020', quantity: '0.0001' });
    h.placeOk('carol', { side: 'sell', price: '30030', quantity: '0.0001' });
    h.ts = T0 + 200;
    h.ok({ type: 'CreateAccount', accountId: 'dave' });
    h.ok({ type: 'Deposit', accountId: 'dave', asset: 'USD', amount: '100000' });
    // 0.0003 wanted: 0.0001 @ 30020 and 0.0001 @ 30030 are within the band; nothing is left beyond.
    const r = h.place('dave', { side: 'buy', orderType: 'market', quantity: '0.0003', timeInForce: 'IOC' });
    expect(eventsOf(r.events, 'TradePrinted').map((e) => e.price)).toEqual(['30020', '30030']);
    const done = eventsOf(r.events, 'OrderCanceled').find((e) => e.order.accountId === 'dave');
    expect(done?.reason).toBe('market_no_liquidity');
  });

  it('stops at the band with reason price_band when reachable asks lie beyond it', () => {
    const h = market({}, { priceBandBps: 10 });
    // With no bid there is no reference price, so this ask beyond the later band is accepted.
    h.placeOk('carol', { side: 'sell', price: '30040', quantity: '0.0001' });
    h.placeOk('carol', { side: 'sell', price: '30000', quantity: '0.0001' });
    h.placeOk('alice', { side: 'buy', price: '30000', quantity: '0.0001' }); // last trade 30000: cap 30030
    h.placeOk('bob', { side: 'sell', price: '30000', quantity: '0.0003', timeInForce: 'GTD', expireAt: T0 + 100 });
    h.placeOk('alice', { side: 'sell', price: '30020', quantity: '0.0001' });
    h.ts = T0 + 200;
    h.ok({ type: 'CreateAccount', accountId: 'dave' });
    h.ok({ type: 'Deposit', accountId: 'dave', asset: 'USD', amount: '100000' });
    const r = h.place('dave', { side: 'buy', orderType: 'market', quantity: '0.0003', timeInForce: 'IOC' });
    expect(eventsOf(r.events, 'TradePrinted').map((e) => e.price)).toEqual(['30020']);
    const done = eventsOf(r.events, 'OrderCanceled').filter((e) => e.order.side === 'buy');
    expect(done.map((e) => e.reason)).toEqual(['price_band']);
  });

  it('under cancel_oldest, cancels its own ask ahead and fills from the next level', () => {
    const h = market();
    h.placeOk('alice', { side: 'sell', price: '30000', quantity: '0.0003' });
    h.placeOk('bob', { side: 'sell', price: '30001.5', quantity: '0.0003' });
    const r = h.place('alice', { side: 'buy', orderType: 'market', quantity: '0.0001', timeInForce: 'IOC', stp: 'cancel_oldest' });
    expect(eventsOf(r.events, 'OrderCanceled').map((e) => [e.order.side, e.reason])).toEqual([['sell', 'stp']]);
    expect(eventsOf(r.events, 'TradePrinted').map((e) => [e.price, e.quantity])).toEqual([['30001.5', '0.0001']]);
    expect(h.balance('alice', 'USD').hold).toBe('0');
  });

  it('under decrement_and_cancel, its own ask reduces what it needs from the levels behind', () => {
    const h = market();
    h.placeOk('alice', { side: 'sell', price: '30000', quantity: '0.0001' });
    h.placeOk('bob', { side: 'sell', price: '30001.5', quantity: '0.0002' });
    h.placeOk('carol', { side: 'sell', price: '30100', quantity: '0.0002' });
    const r = h.place('alice', { side: 'buy', orderType: 'market', quantity: '0.0003', timeInForce: 'IOC', stp: 'decrement_and_cancel' });
    expect(eventsOf(r.events, 'TradePrinted').map((e) => [e.price, e.quantity])).toEqual([['30001.5', '0.0002']]);
    // It never held for carol's level: 0.0003 at 30001.5 is the most it could pay.
    const held = eventsOf(r.events, 'BalanceChanged').find((e) => e.accountId === 'alice' && e.reason === 'order_hold');
    expect(held?.hold).toBe('9.00045');
  });
});
