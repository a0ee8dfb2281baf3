/**
 * The compact records of book level changes answer what the public BookLevelChanged events say
 * (symbol, side, price text, total quantity), and other records refuse the question.
 */
import { describe, expect, it } from 'vitest';
import { formatFixed } from '../../server/src/core/fixed.js';
import { market } from './harness.js';

describe('compact book level records', () => {
  it('give the symbol, side, price and quantity of each BookLevelChanged event, 0 once a level is gone', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '2' });
    h.placeOk('carol', { side: 'buy', price: '99.5', quantity: '0.25' });
    const ts = h.ts + 1;
    const r = h.core.execute!({ ts, command: { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '101', quantity: '3' } });
    const views = r.events.views();
    const levels = views.flatMap((e, i) => (e.type === 'BookLevelChanged' ? [{ e, i }] : []));
    // The sell level at 101 empties, then the rest of the buy rests at 101.
    expect(levels.map(({ e }) => [e.side, e.price, e.quantity])).toEqual([['sell', '101', '0'], ['buy', '101', '1']]);
    for (const { e, i } of levels) {
      expect(r.events.levelSymbol(i)).toBe(e.symbol);
      expect(r.events.levelSide(i)).toBe(e.side);
      expect(r.events.levelPrice(i)).toBe(e.price);
      expect(formatFixed(r.events.levelQuantity(i), 8)).toBe(e.quantity);
    }
    const other = views.findIndex((e) => e.type !== 'BookLevelChanged');
    expect(() => r.events.levelPrice(other)).toThrow(RangeError);
    expect(() => r.events.levelQuantity(other)).toThrow(RangeError);
  });
});
