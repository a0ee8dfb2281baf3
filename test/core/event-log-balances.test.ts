/**
 * The compact records of balance changes give each BalanceChanged event's reason without building
 * the event, and other records refuse the question.
 */
import { describe, expect, it } from 'vitest';
import { market } from './harness.js';

describe('compact balance change records', () => {
  it('give the reason of each BalanceChanged event: holds, trades and fees of a command that trades', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '2' });
    const ts = h.ts + 1;
    const r = h.core.execute!({ ts, command: { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '101', quantity: '3' } });
    const views = r.events.views();
    const balances = views.flatMap((e, i) => (e.type === 'BalanceChanged' ? [{ e, i }] : []));
    expect(new Set(balances.map(({ e }) => e.reason))).toEqual(new Set(['order_hold', 'trade']));
    for (const { e, i } of balances) expect(r.events.balanceReason(i)).toBe(e.reason);
    const other = views.findIndex((e) => e.type !== 'BalanceChanged');
    expect(() => r.events.balanceReason(other)).toThrow(RangeError);
  });
});
