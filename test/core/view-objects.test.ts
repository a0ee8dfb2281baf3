/**
 * The views made by constructors (core/view-objects.ts) show the same keys, in the same order,
 * as the literals they replace: an optional field the order does not have stays absent, and a
 * view serialises as before.
 */
import { describe, expect, it } from 'vitest';
import { market } from './harness.js';

describe('views built by constructors', () => {
  it('have the literal views\' keys in their order, and no key an order does not have', () => {
    const h = market();
    const r = h.core.execute!({ ts: h.ts + 1, command: { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '99', quantity: '2' } });
    const views = r.events.views();
    const accepted = views.find((e) => e.type === 'OrderAccepted')!;
    expect(Object.keys(accepted)).toEqual(['type', 'seq', 'ts', 'order']);
    expect(Object.keys(accepted.type === 'OrderAccepted' && accepted.order)).toEqual([
      'orderId', 'clientOrderId', 'accountId', 'symbol', 'side', 'orderType', 'timeInForce', 'postOnly', 'stp', 'price',
      'quantity', 'quoteQuantity', 'filledQuantity', 'remainingQuantity', 'filledQuote', 'averagePrice', 'status', 'cancelReason',
      'expireAt', 'createdAt', 'updatedAt',
    ]);
    expect(Object.keys(views.find((e) => e.type === 'BalanceChanged')!)).toEqual(['type', 'seq', 'ts', 'accountId', 'asset', 'total', 'available', 'hold', 'reason']);
    expect(Object.keys(views.find((e) => e.type === 'BookLevelChanged')!)).toEqual(['type', 'seq', 'ts', 'symbol', 'bookSeq', 'side', 'price', 'quantity']);
    // What leaves the process (JSON, a worker's structured clone) is a plain object with the same fields.
    expect(JSON.parse(JSON.stringify(views))).toEqual(structuredClone(views));
  });

  it('of fills, trades, positions, amends, cancels and triggers have the literal views\' keys in their order', () => {
    const h = market();
    const place = (accountId: string, side: 'buy' | 'sell', price: string, quantity: string, extra: object = {}) =>
      h.core.execute!({ ts: ++h.ts, command: { type: 'PlaceOrder', accountId, symbol: 'BTC-USD', side, orderType: 'limit', timeInForce: 'GTC', price, quantity, ...extra } }).events.views();
    place('bob', 'sell', '100', '1');
    const stop = h.core.execute!({ ts: ++h.ts, command: { type: 'PlaceOrder', accountId: 'carol', symbol: 'BTC-USD', side: 'buy', orderType: 'stop_limit', timeInForce: 'GTC', price: '120', stopPrice: '100', quantity: '1' } }).events.views();
    const stopId = (stop.find((e) => e.type === 'OrderAccepted') as { order: { orderId: string } }).order.orderId;
    place('bob', 'sell', '110', '1');
    const traded = place('alice', 'buy', '100', '1');
    const keysOf = (events: readonly object[], type: string) => Object.keys(events.find((e) => (e as { type: string }).type === type)!);
    expect(keysOf(traded, 'OrderFilled')).toEqual(['type', 'seq', 'ts', 'order', 'tradeId', 'price', 'quantity', 'liquidity', 'fee', 'feeAsset']);
    expect(keysOf(traded, 'TradePrinted')).toEqual(['type', 'seq', 'ts', 'symbol', 'tradeId', 'price', 'quantity', 'takerSide', 'makerOrderId', 'takerOrderId']);
    expect(keysOf(traded, 'PositionChanged')).toEqual(['type', 'seq', 'ts', 'accountId', 'symbol', 'netQuantity', 'averageEntryPrice', 'realizedPnl']);
    expect(keysOf(traded, 'OrderTriggered')).toEqual(['type', 'seq', 'ts', 'order']);
    expect(traded.some((e) => e.type === 'OrderTriggered' && e.order.orderId === stopId)).toBe(true);
    const resting = place('alice', 'buy', '90', '2');
    const restingId = (resting.find((e) => e.type === 'OrderAccepted') as { order: { orderId: string } }).order.orderId;
    const amended = h.core.execute!({ ts: ++h.ts, command: { type: 'AmendOrder', accountId: 'alice', orderId: restingId, newQuantity: '1' } }).events.views();
    expect(keysOf(amended, 'OrderAmended')).toEqual(['type', 'seq', 'ts', 'order', 'priorityKept']);
    const canceled = h.core.execute!({ ts: ++h.ts, command: { type: 'CancelOrder', accountId: 'alice', orderId: restingId } }).events.views();
    expect(keysOf(canceled, 'OrderCanceled')).toEqual(['type', 'seq', 'ts', 'order', 'reason']);
    const all = [...traded, ...amended, ...canceled];
    expect(JSON.parse(JSON.stringify(all))).toEqual(structuredClone(all));
  });

  it('carry a stop order\'s stop fields after the price, as the literal did', () => {
    const h = market();
    const r = h.core.execute!({ ts: h.ts + 1, command: { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'stop_limit', timeInForce: 'GTC', price: '120', stopPrice: '110', quantity: '1' } });
    const accepted = r.events.views().find((e) => e.type === 'OrderAccepted');
    const keys = Object.keys(accepted?.type === 'OrderAccepted' ? accepted.order : {});
    expect(keys.slice(keys.indexOf('price'), keys.indexOf('price') + 4)).toEqual(['price', 'stopPrice', 'triggerState', 'quantity']);
    expect(keys).not.toContain('triggeredAt');
    expect(keys).not.toContain('quoteId');
  });
});
