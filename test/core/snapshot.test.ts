import { describe, expect, it } from 'vitest';
import type { Command, CoreSnapshot } from '../../server/src/core/api.js';
import { restoreCore } from '../../server/src/core/index.js';
import { market, T0 } from './harness.js';

const SCRIPT: Command[] = [
  { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1' },
  { type: 'PlaceOrder', accountId: 'bob', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1', clientOrderId: 'b1' },
  { type: 'PlaceOrder', accountId: 'carol', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTD', price: '99', quantity: '1', expireAt: T0 + 50 },
  { type: 'PlaceOrder', accountId: 'carol', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1.5' },
  { type: 'AmendOrder', accountId: 'bob', clientOrderId: 'b1', newQuantity: '0.25' },
  { type: 'SetFeeSchedule', accountId: 'alice', makerBps: 1, takerBps: 4 },
  { type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'market', timeInForce: 'IOC', quoteQuantity: '500' },
  { type: 'ExpireOrders' },
  { type: 'Withdraw', accountId: 'carol', asset: 'USD', amount: '10' },
];

describe('snapshot and restore', () => {
  it('is plain JSON with amounts as integer strings', () => {
    const h = market();
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    const snap = h.core.snapshot();
    const text = JSON.stringify(snap);
    expect(JSON.parse(text)).toEqual(snap);
    expect(snap.version).toBe(1);
    expect(snap.seq).toBe(h.core.seq);
    expect(text).toContain('"100000000"'); // 100 USD at 6 decimals
  });

  it('restore + replay gives byte-identical events and identical queries, from any point', () => {
    for (let cut = 0; cut <= SCRIPT.length; cut++) {
      const h = market();
      let snap: CoreSnapshot | undefined;
      const tail: string[] = [];
      SCRIPT.forEach((command, i) => {
        if (i === cut) snap = JSON.parse(JSON.stringify(h.core.snapshot())) as CoreSnapshot;
        h.ts = T0 + 10 * (i + 1);
        const r = h.run(command);
        if (i >= cut) tail.push(JSON.stringify(r));
      });
      snap ??= JSON.parse(JSON.stringify(h.core.snapshot())) as CoreSnapshot;
      const restored = restoreCore(snap);
      SCRIPT.slice(cut).forEach((command, j) => {
        expect(JSON.stringify(restored.apply({ ts: T0 + 10 * (cut + j + 1), command }))).toBe(tail[j]);
      });
      for (const a of ['alice', 'bob', 'carol', 'fees']) {
        expect(restored.balances(a)).toEqual(h.core.balances(a));
        expect(restored.positions(a)).toEqual(h.core.positions(a));
        expect(restored.openOrders(a)).toEqual(h.core.openOrders(a));
        expect(restored.account(a)).toEqual(h.core.account(a));
      }
      expect(restored.book('BTC-USD')).toEqual(h.core.book('BTC-USD'));
      expect(restored.recentTrades('BTC-USD', 100)).toEqual(h.core.recentTrades('BTC-USD', 100));
      expect(restored.candles('BTC-USD', '1m', 0, T0 + 10_000)).toEqual(h.core.candles('BTC-USD', '1m', 0, T0 + 10_000));
      expect(restored.ticker('BTC-USD', T0 + 1000)).toEqual(h.core.ticker('BTC-USD', T0 + 1000));
      expect(restored.instruments()).toEqual(h.core.instruments());
      expect(restored.snapshot()).toEqual(h.core.snapshot());
    }
  });

  it('keeps queue order within a level', () => {
    const h = market();
    for (const a of ['carol', 'alice', 'bob']) h.placeOk(a, { side: 'sell', price: '100', quantity: '1' });
    const restored = restoreCore(h.core.snapshot());
    const r = restored.apply({ ts: T0 + 1, command: { type: 'PlaceOrder', accountId: 'bob', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'IOC', price: '100', quantity: '2', stp: 'cancel_oldest' } });
    const makers = r.events.flatMap((e) => (e.type === 'OrderFilled' && e.liquidity === 'maker' ? [e.order.accountId] : []));
    expect(makers).toEqual(['carol', 'alice']);
  });

  it('shares nothing with the live core', () => {
    const h = market();
    const snap = h.core.snapshot();
    const before = JSON.stringify(snap);
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    expect(JSON.stringify(snap)).toBe(before);
  });

  it('refuses an unknown snapshot version', () => {
    expect(() => restoreCore({ version: 2 as 1, seq: 0, state: {} })).toThrow(/version/);
  });

  it('refuses a book that does not match its orders', () => {
    const h = market();
    const bid = h.placeOk('alice', { side: 'buy', price: '99', quantity: '1' });
    const ask = h.placeOk('bob', { side: 'sell', price: '101', quantity: '1' });
    const other = h.placeOk('carol', { side: 'buy', price: '98', quantity: '1' });
    const broken = (edit: (book: { bids: [string, number[]][]; asks: [string, number[]][] }) => void): CoreSnapshot => {
      const snapshot = h.core.snapshot();
      const state = snapshot.state as { instruments: { symbol: string; bids: [string, number[]][]; asks: [string, number[]][] }[] };
      edit(state.instruments.find((i) => i.symbol === 'BTC-USD')!);
      return snapshot;
    };
    // An ask queued among the bids, an order queued twice, and one queued at another order's price.
    expect(() => restoreCore(broken((b) => b.bids[0]![1].push(Number(ask))))).toThrow(/does not belong/);
    expect(() => restoreCore(broken((b) => b.bids[1]![1].push(Number(bid))))).toThrow(/does not belong/);
    expect(() => restoreCore(broken((b) => b.bids[0]![1].push(Number(other))))).toThrow(/does not belong/);
    // Levels out of price order.
    expect(() => restoreCore(broken((b) => b.bids.reverse()))).toThrow(/does not improve/);
  });
});
