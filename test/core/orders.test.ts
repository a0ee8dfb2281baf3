import { describe, expect, it } from 'vitest';
import { eventsOf, market, T0 } from './harness.js';

describe('order input rules', () => {
  it('rejects an off-tick, over-precise, malformed, zero or negative price, never rounding it', () => {
    const h = market();
    const cases: [string, string][] = [
      ['100.005', 'PRICE_OFF_TICK'], ['100.0000001', 'PRICE_OFF_TICK'], ['abc', 'INVALID_PRICE'], ['-100', 'INVALID_PRICE'],
      ['0', 'INVALID_PRICE'], ['1e2', 'INVALID_PRICE'],
    ];
    for (const [price, code] of cases) expect(h.place('alice', { side: 'buy', price, quantity: '1' }), price).toMatchObject({ ok: false, code });
    h.placeOk('alice', { side: 'buy', price: '100.010', quantity: '1' }); // trailing zero is not extra precision
    expect(h.core.openOrders('alice')[0]!.price).toBe('100.01');
  });

  it('rejects an off-lot, over-precise, malformed, too small or too large quantity', () => {
    const h = market({}, { minQuantity: '0.001', maxQuantity: '10' });
    const cases: [string, string][] = [
      ['0.00015', 'QUANTITY_OFF_LOT'], ['0.000000001', 'QUANTITY_OFF_LOT'], ['x', 'INVALID_QUANTITY'], ['0', 'INVALID_QUANTITY'],
      ['-1', 'INVALID_QUANTITY'], ['0.0009', 'QUANTITY_TOO_SMALL'], ['10.0001', 'QUANTITY_TOO_LARGE'],
    ];
    for (const [quantity, code] of cases) expect(h.place('alice', { side: 'buy', price: '100', quantity }), quantity).toMatchObject({ ok: false, code });
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '10' });
  });

  it('rejects a notional below the minimum', () => {
    const h = market({}, { minNotional: '10' });
    expect(h.place('alice', { side: 'buy', price: '99.99', quantity: '0.1' })).toMatchObject({ ok: false, code: 'NOTIONAL_TOO_SMALL' });
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '0.1' });
  });

  it('rejects ill-formed orders with INVALID_ORDER and unknown references with their own codes', () => {
    const h = market();
    const bad = [
      { side: 'hold' as never, price: '100', quantity: '1' },
      { side: 'buy' as const, orderType: 'stop' as never, price: '100', quantity: '1' },
      { side: 'buy' as const, timeInForce: 'DAY' as never, price: '100', quantity: '1' },
      { side: 'buy' as const, orderType: 'market' as const, timeInForce: 'GTC' as const, quantity: '1' },
      { side: 'buy' as const, orderType: 'market' as const, timeInForce: 'IOC' as const, price: '100', quantity: '1' },
      { side: 'buy' as const, timeInForce: 'IOC' as const, postOnly: true, price: '100', quantity: '1' },
      { side: 'sell' as const, orderType: 'market' as const, timeInForce: 'IOC' as const, quoteQuantity: '100' },
      { side: 'buy' as const, price: '100', quantity: '1', stp: 'none' as never },
      { side: 'buy' as const, price: '100', quantity: '1', clientOrderId: 'has space' },
    ];
    for (const o of bad) expect(h.place('alice', o), JSON.stringify(o)).toMatchObject({ ok: false, code: 'INVALID_ORDER' });
    expect(h.place('alice', { side: 'buy', quantity: '1' })).toMatchObject({ ok: false, code: 'INVALID_PRICE' });
    expect(h.place('alice', { side: 'buy', price: '100' })).toMatchObject({ ok: false, code: 'INVALID_QUANTITY' });
    expect(h.place('nobody', { side: 'buy', price: '100', quantity: '1' })).toMatchObject({ ok: false, code: 'UNKNOWN_ACCOUNT' });
    expect(h.place('alice', { symbol: 'ETH-USD', side: 'buy', price: '100', quantity: '1' })).toMatchObject({ ok: false, code: 'UNKNOWN_SYMBOL' });
  });

  it('a rejected order consumes no order id and changes nothing', () => {
    const h = market();
    const before = JSON.stringify(h.core.snapshot().state);
    const r = h.place('alice', { side: 'buy', price: '100.001', quantity: '1', clientOrderId: 'c1' });
    expect(r.events).toEqual([
      expect.objectContaining({ type: 'OrderRejected', accountId: 'alice', symbol: 'BTC-USD', clientOrderId: 'c1', code: 'PRICE_OFF_TICK' }),
    ]);
    const after = JSON.parse(JSON.stringify(h.core.snapshot().state)) as { seq: number };
    expect({ ...after, seq: 0 }).toEqual({ ...(JSON.parse(before) as object), seq: 0 });
    expect(h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' })).toBe('1');
  });
});

describe('time in force', () => {
  it('GTC rests its remainder', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '0.4' });
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    expect(h.core.order('alice', { orderId: id })).toMatchObject({ status: 'partially_filled', filledQuantity: '0.4', remainingQuantity: '0.6' });
    expect(h.core.book('BTC-USD')!.bids).toEqual([{ price: '100', quantity: '0.6', orders: 1 }]);
  });

  it('IOC cancels what it cannot fill at once', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '0.4' });
    const r = h.place('alice', { side: 'buy', price: '100', quantity: '1', timeInForce: 'IOC' });
    expect(eventsOf(r.events, 'OrderCanceled')).toMatchObject([{ reason: 'ioc_remainder', order: { filledQuantity: '0.4', remainingQuantity: '0', status: 'canceled' } }]);
    expect(h.core.book('BTC-USD')!.bids).toEqual([]);
    expect(h.balance('alice', 'USD').hold).toBe('0');
  });

  it('FOK fills completely or is rejected with nothing done', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '0.4' });
    h.placeOk('carol', { side: 'sell', price: '101', quantity: '0.4' });
    expect(h.place('alice', { side: 'buy', price: '100.5', quantity: '0.5', timeInForce: 'FOK' })).toMatchObject({ ok: false, code: 'FOK_NOT_FILLABLE' });
    expect(h.core.book('BTC-USD')!.asks.map((l) => l.quantity)).toEqual(['0.4', '0.4']);
    const r = h.place('alice', { side: 'buy', price: '101', quantity: '0.5', timeInForce: 'FOK' });
    expect(eventsOf(r.events, 'TradePrinted').map((t) => [t.price, t.quantity])).toEqual([['100', '0.4'], ['101', '0.1']]);
    expect(eventsOf(r.events, 'OrderFilled').at(-1)!.order.status).toBe('filled');
  });

  it('GTD needs a future expireAt and expires on ExpireOrders, releasing its hold', () => {
    const h = market();
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1', timeInForce: 'GTD', expireAt: T0 })).toMatchObject({ ok: false, code: 'INVALID_EXPIRY' });
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1', timeInForce: 'GTD' })).toMatchObject({ ok: false, code: 'INVALID_EXPIRY' });
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1', expireAt: T0 + 10 })).toMatchObject({ ok: false, code: 'INVALID_EXPIRY' });
    const late = h.placeOk('alice', { side: 'buy', price: '99', quantity: '1', timeInForce: 'GTD', expireAt: T0 + 2000 });
    const early = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1', timeInForce: 'GTD', expireAt: T0 + 1000 });
    h.ts = T0 + 999;
    expect(h.ok({ type: 'ExpireOrders' })).toEqual([]);
    h.ts = T0 + 5000;
    const events = h.ok({ type: 'ExpireOrders' });
    expect(eventsOf(events, 'OrderCanceled').map((e) => [e.order.orderId, e.reason, e.order.status])).toEqual([
      [early, 'expired', 'expired'], [late, 'expired', 'expired'],
    ]);
    expect(h.balance('alice', 'USD').hold).toBe('0');
  });

  it('expireAt is checked against the core clock (the latest command time), the same clock expiry uses', () => {
    const h = market();
    h.ts = T0 + 1000;
    h.ok({ type: 'ExpireOrders' });
    // A command stamped earlier than one already seen: its own ts would allow T0 + 500, the clock does not.
    h.ts = T0;
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1', timeInForce: 'GTD', expireAt: T0 + 500 })).toMatchObject({ ok: false, code: 'INVALID_EXPIRY' });
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1', timeInForce: 'GTD', expireAt: T0 + 1000 })).toMatchObject({ ok: false, code: 'INVALID_EXPIRY' });
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1', timeInForce: 'GTD', expireAt: T0 + 1001 });
    expect(h.core.nextExpiry?.()).toBe(T0 + 1001);
    h.ts = T0 + 1001;
    h.ok({ type: 'ExpireOrders' });
    expect(h.core.order('alice', { orderId: id })).toMatchObject({ status: 'expired', cancelReason: 'expired' });
    expect(h.core.nextExpiry?.()).toBeUndefined();
  });

  it('an expired GTD order met while matching is expired, not filled', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1', timeInForce: 'GTD', expireAt: T0 + 1000 });
    h.placeOk('carol', { side: 'sell', price: '101', quantity: '1' });
    h.ts = T0 + 1000;
    const r = h.place('alice', { side: 'buy', price: '101', quantity: '1' });
    expect(eventsOf(r.events, 'OrderCanceled').map((e) => [e.order.accountId, e.reason])).toEqual([['bob', 'expired']]);
    expect(eventsOf(r.events, 'TradePrinted').map((t) => t.price)).toEqual(['101']);
  });
});

describe('post-only', () => {
  it('is rejected when it would take liquidity, and rests otherwise', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1', postOnly: true })).toMatchObject({ ok: false, code: 'POST_ONLY_WOULD_CROSS' });
    const id = h.placeOk('alice', { side: 'buy', price: '99.99', quantity: '1', postOnly: true });
    expect(h.core.order('alice', { orderId: id })).toMatchObject({ postOnly: true, status: 'new' });
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '100' })).toBe('POST_ONLY_WOULD_CROSS');
  });
});

describe('market orders', () => {
  it('a market buy by quantity holds against the worst price it would sweep to, and releases the rest', () => {
    const h = market({ defaultTakerBps: 10 });
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '110', quantity: '1' });
    const r = h.place('alice', { side: 'buy', orderType: 'market', timeInForce: 'IOC', quantity: '1.5' });
    // hold 1.5 × 110 = 165 + fee 0.165; paid 100 + 55 = 155 + 0.155 fee
    const balances = eventsOf(r.events, 'BalanceChanged').filter((b) => b.accountId === 'alice' && b.asset === 'USD');
    expect(balances[0]).toMatchObject({ hold: '165.165', reason: 'order_hold' });
    expect(h.balance('alice', 'USD')).toEqual({ total: '999844.845', available: '999844.845', hold: '0' });
    expect(eventsOf(r.events, 'OrderFilled').at(-1)!.order).toMatchObject({ status: 'filled', averagePrice: '103.333333', price: undefined });
  });

  it('a market buy by quote amount spends at most that amount, fees included', () => {
    const h = market({ defaultTakerBps: 10 });
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '200', quantity: '1' });
    const r = h.place('alice', { side: 'buy', orderType: 'market', timeInForce: 'IOC', quoteQuantity: '150' });
    // 1 @ 100 costs 100 + 0.1 fee; the 49.9 left buys 0.2492 @ 200 = 49.84 + 0.04984 fee = 49.88984
    // (one more lot would cost 49.86 + 0.04986 = 49.90986 > 49.9)
    const trades = eventsOf(r.events, 'TradePrinted').map((t) => [t.price, t.quantity]);
    expect(trades).toEqual([['100', '1'], ['200', '0.2492']]);
    const spent = 1_000_000 - Number(h.balance('alice', 'USD').total);
    expect(spent).toBeLessThanOrEqual(150);
    expect(h.balance('alice', 'USD')).toEqual({ total: '999850.01016', available: '999850.01016', hold: '0' });
    expect(eventsOf(r.events, 'OrderCanceled')).toMatchObject([{ reason: 'ioc_remainder', order: { quoteQuantity: '150' } }]);
  });

  it('a market sell takes the bids best first; a market order on an empty side is rejected', () => {
    const h = market();
    expect(h.place('alice', { side: 'sell', orderType: 'market', timeInForce: 'IOC', quantity: '1' })).toMatchObject({ ok: false, code: 'NO_LIQUIDITY' });
    h.placeOk('bob', { side: 'buy', price: '99', quantity: '1' });
    h.placeOk('carol', { side: 'buy', price: '100', quantity: '1' });
    const r = h.place('alice', { side: 'sell', orderType: 'market', timeInForce: 'IOC', quantity: '3' });
    expect(eventsOf(r.events, 'TradePrinted').map((t) => t.price)).toEqual(['100', '99']);
    expect(eventsOf(r.events, 'OrderCanceled')).toMatchObject([{ reason: 'market_no_liquidity', order: { filledQuantity: '2' } }]);
  });
});

describe('price band', () => {
  it('rejects a limit price too far from the last trade', () => {
    const h = market({}, { priceBandBps: 1000 });
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' }); // last = 100
    expect(h.place('alice', { side: 'buy', price: '110.01', quantity: '1' })).toMatchObject({ ok: false, code: 'PRICE_OUTSIDE_BAND' });
    expect(h.place('alice', { side: 'buy', price: '89.99', quantity: '1' })).toMatchObject({ ok: false, code: 'PRICE_OUTSIDE_BAND' });
    h.placeOk('alice', { side: 'buy', price: '90', quantity: '1' });
    h.placeOk('alice', { side: 'sell', price: '110', quantity: '1' });
  });

  it('uses the mid of best bid and ask before any trade, and no band with neither', () => {
    const h = market({}, { priceBandBps: 1000 });
    h.placeOk('alice', { side: 'buy', price: '1', quantity: '1' }); // no reference yet: anything goes
    h.placeOk('bob', { side: 'sell', price: '199', quantity: '0.01' }); // mid = 100
    expect(h.place('carol', { side: 'sell', price: '110.01', quantity: '1' })).toMatchObject({ ok: false, code: 'PRICE_OUTSIDE_BAND' });
    h.placeOk('carol', { side: 'sell', price: '110', quantity: '1' });
  });

  it('stops a market order at the band and cancels the rest with reason price_band', () => {
    const h = market({}, { priceBandBps: 500 });
    h.placeOk('bob', { side: 'sell', price: '105', quantity: '1' }); // no reference price yet
    h.placeOk('bob', { side: 'sell', price: '105.01', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    h.placeOk('carol', { side: 'buy', price: '100', quantity: '0.5' }); // last = 100, band [95, 105]
    const r = h.place('alice', { side: 'buy', orderType: 'market', timeInForce: 'IOC', quantity: '3' });
    expect(eventsOf(r.events, 'TradePrinted').map((t) => [t.price, t.quantity])).toEqual([['100', '0.5'], ['105', '1']]);
    expect(eventsOf(r.events, 'OrderCanceled')).toMatchObject([{ reason: 'price_band' }]);
  });
});

describe('client order ids, cancels and limits', () => {
  it('client order ids are unique per account among live orders only', () => {
    const h = market();
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1', clientOrderId: 'a-1' });
    expect(h.place('alice', { side: 'buy', price: '99', quantity: '1', clientOrderId: 'a-1' })).toMatchObject({ ok: false, code: 'DUPLICATE_CLIENT_ORDER_ID' });
    h.placeOk('bob', { side: 'buy', price: '99', quantity: '1', clientOrderId: 'a-1' }); // another account
    h.ok({ type: 'CancelOrder', accountId: 'alice', clientOrderId: 'a-1' });
    h.placeOk('alice', { side: 'buy', price: '98', quantity: '1', clientOrderId: 'a-1' }); // free again
  });

  it('cancels by order id or client order id, only the owner, only live orders', () => {
    const h = market();
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1', clientOrderId: 'x' });
    expect(h.rejected({ type: 'CancelOrder', accountId: 'bob', orderId: id })).toBe('ORDER_NOT_FOUND');
    expect(h.rejected({ type: 'CancelOrder', accountId: 'alice', orderId: '999' })).toBe('ORDER_NOT_FOUND');
    const events = h.ok({ type: 'CancelOrder', accountId: 'alice', orderId: id });
    expect(events.map((e) => e.type)).toEqual(['OrderCanceled', 'BalanceChanged', 'BookLevelChanged']);
    expect(eventsOf(events, 'OrderCanceled')[0]).toMatchObject({ reason: 'user', order: { status: 'canceled', clientOrderId: 'x' } });
    const r = h.run({ type: 'CancelOrder', accountId: 'alice', clientOrderId: 'x' });
    expect(r.events).toEqual([expect.objectContaining({ type: 'CommandRejected', code: 'ORDER_NOT_FOUND', clientOrderId: 'x', accountId: 'alice' })]);
    expect(h.core.order('alice', { orderId: id })).toMatchObject({ status: 'canceled' }); // still queryable by id
  });

  it('cancel-all cancels an account’s orders, optionally of one instrument', () => {
    const h = market();
    h.ok({ type: 'AddAsset', spec: { asset: 'ETH', decimals: 8 } });
    h.ok({ type: 'AddInstrument', spec: { symbol: 'ETH-USD', base: 'ETH', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '100', minNotional: '0', priceBandBps: 0, status: 'open' } });
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    h.placeOk('alice', { symbol: 'ETH-USD', side: 'buy', price: '10', quantity: '1' });
    h.placeOk('bob', { side: 'buy', price: '100', quantity: '1' });
    const events = h.ok({ type: 'CancelAll', accountId: 'alice', symbol: 'BTC-USD' });
    expect(eventsOf(events, 'OrderCanceled').map((e) => [e.order.symbol, e.reason])).toEqual([['BTC-USD', 'mass_cancel']]);
    h.ok({ type: 'CancelAll', accountId: 'alice' });
    expect(h.core.openOrders('alice')).toEqual([]);
    expect(h.core.openOrders('bob')).toHaveLength(1);
    expect(h.rejected({ type: 'CancelAll', accountId: 'alice', symbol: 'XRP-USD' })).toBe('UNKNOWN_SYMBOL');
  });

  it('limits the number of open orders per account', () => {
    const h = market();
    h.ok({ type: 'CreateAccount', accountId: 'dave', maxOpenOrders: 2 });
    h.ok({ type: 'Deposit', accountId: 'dave', asset: 'USD', amount: '1000' });
    h.placeOk('dave', { side: 'buy', price: '100', quantity: '1' });
    h.placeOk('dave', { side: 'buy', price: '99', quantity: '1' });
    expect(h.place('dave', { side: 'buy', price: '98', quantity: '1' })).toMatchObject({ ok: false, code: 'TOO_MANY_OPEN_ORDERS' });
    expect(h.core.account('dave')).toMatchObject({ maxOpenOrders: 2, openOrders: 2 });
    expect(h.rejected({ type: 'CreateAccount', accountId: 'dave' })).toBe('ACCOUNT_EXISTS');
    expect(h.rejected({ type: 'CreateAccount', accountId: 'eve', maxOpenOrders: 0 })).toBe('INVALID_COMMAND');
  });

  it('the kill switch cancels everything for the account and blocks new orders until lifted', () => {
    const h = market();
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    h.placeOk('alice', { side: 'sell', price: '101', quantity: '1' });
    const events = h.ok({ type: 'SetKillSwitch', accountId: 'alice', active: true });
    expect(events[0]!.type).toBe('AdminApplied');
    expect(eventsOf(events, 'OrderCanceled').map((e) => e.reason)).toEqual(['kill_switch', 'kill_switch']);
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1' })).toMatchObject({ ok: false, code: 'KILL_SWITCH_ACTIVE' });
    expect(h.core.account('alice')).toMatchObject({ killSwitch: true, openOrders: 0 });
    h.ok({ type: 'SetKillSwitch', accountId: 'alice', active: false });
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
  });
});
