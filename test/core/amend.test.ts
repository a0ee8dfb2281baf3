import { describe, expect, it } from 'vitest';
import { eventsOf, market, type Harness } from './harness.js';

/** Who fills first at 100 when carol sells into alice's and bob's bids. */
function fillOrder(h: Harness): string[] {
  const r = h.place('carol', { side: 'sell', price: '100', quantity: '0.1', timeInForce: 'IOC' });
  return eventsOf(r.events, 'OrderFilled').filter((f) => f.liquidity === 'maker').map((f) => f.order.accountId);
}

describe('amend', () => {
  it('reducing quantity keeps time priority', () => {
    const h = market();
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '2' });
    h.placeOk('bob', { side: 'buy', price: '100', quantity: '2' });
    const events = h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '1' });
    expect(eventsOf(events, 'OrderAmended')).toMatchObject([{ priorityKept: true, order: { quantity: '1', remainingQuantity: '1' } }]);
    expect(eventsOf(events, 'BookLevelChanged')).toMatchObject([{ side: 'buy', price: '100', quantity: '3' }]);
    expect(eventsOf(events, 'BalanceChanged')).toMatchObject([{ hold: '100', reason: 'order_release' }]);
    expect(fillOrder(h)).toEqual(['alice']);
  });

  it('a price change loses time priority', () => {
    const h = market();
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    h.placeOk('bob', { side: 'buy', price: '100', quantity: '1' });
    h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '99' });
    const events = h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '100' });
    expect(eventsOf(events, 'OrderAmended')).toMatchObject([{ priorityKept: false, order: { price: '100' } }]);
    expect(fillOrder(h)).toEqual(['bob']);
  });

  it('a quantity increase loses time priority and holds more', () => {
    const h = market();
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    h.placeOk('bob', { side: 'buy', price: '100', quantity: '1' });
    const events = h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '1.5' });
    expect(eventsOf(events, 'OrderAmended')).toMatchObject([{ priorityKept: false }]);
    expect(h.balance('alice', 'USD').hold).toBe('150');
    expect(fillOrder(h)).toEqual(['bob']);
  });

  it('newQuantity is the new total including what has filled', () => {
    const h = market();
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '0.4' });
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '0.4' })).toBe('INVALID_QUANTITY');
    h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '0.5' });
    expect(h.core.order('alice', { orderId: id })).toMatchObject({ quantity: '0.5', filledQuantity: '0.4', remainingQuantity: '0.1' });
    expect(h.balance('alice', 'USD').hold).toBe('10');
  });

  it('an amend to a crossing price trades as a taker and rests the rest', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '0.5' });
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    const r = h.run({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '101' });
    expect(r.ok).toBe(true);
    expect(eventsOf(r.events, 'OrderFilled').map((f) => [f.order.accountId, f.liquidity, f.price])).toEqual([['bob', 'maker', '101'], ['alice', 'taker', '101']]);
    expect(h.core.book('BTC-USD')!.bids).toEqual([{ price: '101', quantity: '0.5', orders: 1 }]);
  });

  it('changes the client order id, keeping uniqueness among live orders', () => {
    const h = market();
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1', clientOrderId: 'old' });
    h.placeOk('alice', { side: 'buy', price: '99', quantity: '1', clientOrderId: 'taken' });
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newClientOrderId: 'taken' })).toBe('DUPLICATE_CLIENT_ORDER_ID');
    const events = h.ok({ type: 'AmendOrder', accountId: 'alice', clientOrderId: 'old', newClientOrderId: 'new' });
    expect(eventsOf(events, 'OrderAmended')).toMatchObject([{ priorityKept: true, order: { clientOrderId: 'new' } }]);
    h.ok({ type: 'CancelOrder', accountId: 'alice', clientOrderId: 'new' });
    expect(h.rejected({ type: 'CancelOrder', accountId: 'alice', clientOrderId: 'old' })).toBe('ORDER_NOT_FOUND');
  });

  it('rejects no-op, unaffordable, off-tick and unknown amends, leaving the order unchanged', () => {
    const h = market({}, {}, '150', '1');
    const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '100', newQuantity: '1' })).toBe('AMEND_NO_CHANGE');
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id })).toBe('AMEND_NO_CHANGE');
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '1.6' })).toBe('INSUFFICIENT_FUNDS');
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '100.001' })).toBe('PRICE_OFF_TICK');
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '1.00001' })).toBe('QUANTITY_OFF_LOT');
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: '42', newQuantity: '1' })).toBe('ORDER_NOT_FOUND');
    expect(h.core.order('alice', { orderId: id })).toMatchObject({ price: '100', quantity: '1', status: 'new' });
    expect(h.balance('alice', 'USD').hold).toBe('100');
  });

  it('checks the minimum notional only when the price or quantity changes', () => {
    const h = market({}, { minNotional: '5' });
    const id = h.placeOk('alice', { side: 'buy', price: '30000', quantity: '0.0003', clientOrderId: 'small' });
    // Decrement-and-cancel shrinks the resting bid to 0.0001 (3 USD, below the 5 USD minimum).
    h.placeOk('alice', { side: 'sell', price: '30000', quantity: '0.0002', stp: 'decrement_and_cancel' });
    expect(h.core.order('alice', { orderId: id })).toMatchObject({ quantity: '0.0001', status: 'new' });
    const r = h.run({ type: 'AmendOrder', accountId: 'alice', orderId: id, newClientOrderId: 'renamed' });
    expect(r.ok).toBe(true);
    expect(eventsOf(r.events, 'OrderAmended').map((e) => [e.order.clientOrderId, e.priorityKept])).toEqual([['renamed', true]]);
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '30001' })).toBe('NOTIONAL_TOO_SMALL');
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '0.0001', newClientOrderId: 'again', newPrice: '29999' })).toBe('NOTIONAL_TOO_SMALL');
  });
});
