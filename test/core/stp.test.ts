import { describe, expect, it } from 'vitest';
import type { StpMode } from '../../server/src/core/api.js';
import { eventsOf, market } from './harness.js';

/** alice rests 1 @ 100 behind nothing, then sends a crossing buy... of her own sell. */
function selfCross(stp: StpMode | undefined, takerQty = '1', makerQty = '1') {
  const h = market();
  const maker = h.placeOk('alice', { side: 'sell', price: '100', quantity: makerQty });
  h.placeOk('bob', { side: 'sell', price: '101', quantity: '5' });
  const r = h.place('alice', { side: 'buy', price: '101', quantity: takerQty, stp });
  const taker = eventsOf(r.events, 'OrderAccepted')[0]!.order.orderId;
  const canceled = eventsOf(r.events, 'OrderCanceled').map((e) => [e.order.orderId === maker ? 'maker' : 'taker', e.reason]);
  const trades = eventsOf(r.events, 'TradePrinted').map((t) => [t.price, t.quantity]);
  return { h, r, maker, taker, canceled, trades };
}

describe('self-trade prevention', () => {
  it('never prints a trade between two orders of the same account', () => {
    for (const stp of ['cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'] as const) {
      const { r } = selfCross(stp);
      for (const t of eventsOf(r.events, 'TradePrinted')) expect(t.price, stp).not.toBe('100');
    }
  });

  it('defaults to cancel_newest: the incoming order is canceled, the resting one stays', () => {
    const { h, canceled, trades, taker } = selfCross(undefined);
    expect(canceled).toEqual([['taker', 'stp']]);
    expect(trades).toEqual([]);
    expect(h.core.order('alice', { orderId: taker })!.stp).toBe('cancel_newest');
    expect(h.core.book('BTC-USD')!.asks[0]).toEqual({ price: '100', quantity: '1', orders: 1 });
  });

  it('cancel_oldest cancels the resting order and keeps matching', () => {
    const { canceled, trades } = selfCross('cancel_oldest');
    expect(canceled).toEqual([['maker', 'stp']]);
    expect(trades).toEqual([['101', '1']]);
  });

  it('cancel_both cancels both orders', () => {
    const { h, canceled, trades } = selfCross('cancel_both');
    expect(canceled).toEqual([['maker', 'stp'], ['taker', 'stp']]);
    expect(trades).toEqual([]);
    expect(h.core.openOrders('alice')).toEqual([]);
  });

  it('decrement_and_cancel: a larger taker is reduced and continues; the smaller resting order is canceled', () => {
    const { r, canceled, trades } = selfCross('decrement_and_cancel', '1.5', '1');
    expect(canceled).toEqual([['maker', 'stp']]);
    expect(eventsOf(r.events, 'OrderAmended')).toMatchObject([{ priorityKept: true, order: { quantity: '0.5', remainingQuantity: '0.5' } }]);
    expect(trades).toEqual([['101', '0.5']]);
  });

  it('decrement_and_cancel: a larger resting order is reduced and keeps its place; the taker is canceled', () => {
    const { h, r, canceled, trades } = selfCross('decrement_and_cancel', '0.4', '1');
    expect(canceled).toEqual([['taker', 'stp']]);
    expect(eventsOf(r.events, 'OrderAmended')).toMatchObject([{ priorityKept: true, order: { quantity: '0.6' } }]);
    expect(trades).toEqual([]);
    expect(h.core.book('BTC-USD')!.asks[0]).toEqual({ price: '100', quantity: '0.6', orders: 1 });
    expect(h.balance('alice', 'BTC')).toMatchObject({ hold: '0.6' });
    expect(h.balance('alice', 'USD')).toMatchObject({ hold: '0' });
  });
});
