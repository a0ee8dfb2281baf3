/**
 * The binary snapshot layout: it restores a core identical to the one the JSON snapshot
 * restores (the property test in invariants.property.test.ts covers random histories), keeps
 * amounts beyond 64 bits exact, shares nothing with the live core, and refuses damaged bytes.
 */
import { describe, expect, it } from 'vitest';
import type { BinaryCoreSnapshot, Command } from '../../server/src/core/api.js';
import { restoreCore } from '../../server/src/core/index.js';
import { Harness, market, T0 } from './harness.js';

const SCRIPT: Command[] = [
  { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1' },
  { type: 'PlaceOrder', accountId: 'bob', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1', clientOrderId: 'b1' },
  { type: 'PlaceOrder', accountId: 'carol', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTD', price: '99', quantity: '1', expireAt: T0 + 50 },
  { type: 'PlaceOrder', accountId: 'carol', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1.5' },
  { type: 'AmendOrder', accountId: 'bob', clientOrderId: 'b1', newQuantity: '0.25' },
  { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'market', timeInForce: 'IOC', quoteQuantity: '500' },
  { type: 'PlaceOrder', accountId: 'bob', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '101', quantity: '0.5', postOnly: true },
  { type: 'ExpireOrders' },
  { type: 'CancelAll', accountId: 'bob' },
];

describe('binary core snapshot', () => {
  it('restores, from any point, a core whose events, queries and JSON snapshot match the original', () => {
    for (let cut = 0; cut <= SCRIPT.length; cut++) {
      const h = market();
      let binary: BinaryCoreSnapshot | undefined;
      const tail: string[] = [];
      SCRIPT.forEach((command, i) => {
        if (i === cut) binary = h.core.snapshotBinary!();
        h.ts = T0 + 10 * (i + 1);
        const r = h.run(command);
        if (i >= cut) tail.push(JSON.stringify(r));
      });
      binary ??= h.core.snapshotBinary!();
      const restored = restoreCore(binary);
      SCRIPT.slice(cut).forEach((command, j) => {
        expect(JSON.stringify(restored.apply({ ts: T0 + 10 * (cut + j + 1), command }))).toBe(tail[j]);
      });
      expect(restored.snapshot()).toEqual(h.core.snapshot());
      expect(restored.book('BTC-USD')).toEqual(h.core.book('BTC-USD'));
      for (const a of ['alice', 'bob', 'carol', 'fees']) expect(restored.openOrders(a)).toEqual(h.core.openOrders(a));
    }
  });

  it('keeps amounts beyond 64 bits exact', () => {
    const h = new Harness();
    h.ok({ type: 'AddAsset', spec: { asset: 'USD', decimals: 18 } });
    h.ok({ type: 'AddAsset', spec: { asset: 'WEI', decimals: 18 } });
    h.ok({ type: 'AddInstrument', spec: { symbol: 'WEI-USD', base: 'WEI', quote: 'USD', tickSize: '0.01', lotSize: '0.000001', minQuantity: '0.000001', maxQuantity: '1000000000', minNotional: '0', priceBandBps: 0, status: 'open' } });
    h.ok({ type: 'CreateAccount', accountId: 'whale' });
    h.ok({ type: 'Deposit', accountId: 'whale', asset: 'WEI', amount: '123456789.123456789012345678' });
    h.ok({ type: 'PlaceOrder', accountId: 'whale', symbol: 'WEI-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '1.23', quantity: '98765432.100001' });
    const restored = restoreCore(h.core.snapshotBinary!());
    expect(restored.balances('whale')).toEqual(h.core.balances('whale'));
    expect(restored.openOrders('whale')).toEqual(h.core.openOrders('whale'));
    expect(restored.openOrders('whale')[0]).toMatchObject({ remainingQuantity: '98765432.100001' });
    expect(restored.snapshot()).toEqual(h.core.snapshot());
  });

  it('shares nothing with the live core', () => {
    const h = market();
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    const binary = h.core.snapshotBinary!();
    const before = Buffer.from(binary.bytes);
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '1' });
    expect(Buffer.from(binary.bytes).equals(before)).toBe(true);
    expect(restoreCore(binary).openOrders('bob')).toEqual([]);
  });

  it('refuses truncated bytes and an unknown layout', () => {
    const h = market();
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    const { bytes, seq } = h.core.snapshotBinary!();
    for (const cut of [0, 3, 10, bytes.length - 1]) {
      expect(() => restoreCore({ version: 2, seq, bytes: bytes.subarray(0, cut) })).toThrow();
    }
    const other = Buffer.from(bytes);
    other.writeUInt32LE(99, 0);
    expect(() => restoreCore({ version: 2, seq, bytes: other })).toThrow(/layout 99/);
  });
});
