/**
 * The results `apply` builds by constructor (core/result-objects.ts) show the same keys, in the
 * same order, as the literals they replace: `details` is absent, not undefined, on a rejection
 * without any; and a result serialises and clones as a plain object with the same fields.
 */
import { describe, expect, it } from 'vitest';
import { market } from './harness.js';

describe('command results built by constructors', () => {
  it('have the literal results\' keys in their order', () => {
    const h = market();
    const place = (price: string, quantity: string) =>
      h.core.apply({ ts: ++h.ts, command: { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price, quantity } });

    const accepted = place('99', '2');
    expect(accepted.ok).toBe(true);
    expect(Object.keys(accepted)).toEqual(['ok', 'events']);

    const poor = place('99999', '100');
    expect(poor.ok).toBe(false);
    expect(!poor.ok && poor.code).toBe('INSUFFICIENT_FUNDS');
    expect(Object.keys(poor)).toEqual(['ok', 'code', 'message', 'details', 'events']);

    const unknown = h.core.apply({ ts: ++h.ts, command: { type: 'CancelOrder', accountId: 'alice', orderId: 'nope' } });
    expect(!unknown.ok && unknown.code).toBe('ORDER_NOT_FOUND');
    expect(Object.keys(unknown)).toEqual(['ok', 'code', 'message', 'events']);
    expect('details' in unknown).toBe(false);

    // What leaves the process (JSON, a worker's structured clone) is a plain object with the same fields.
    for (const result of [accepted, poor, unknown]) {
      expect(JSON.parse(JSON.stringify(result))).toEqual(structuredClone(result));
      expect(Object.getPrototypeOf(structuredClone(result))).toBe(Object.prototype);
    }
  });
});
