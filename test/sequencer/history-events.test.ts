import { describe, expect, it } from 'vitest';
import type { Command, CoreEvent } from '../../server/src/core/api.js';
import { createCore } from '../../server/src/core/index.js';
import { HistoryStore, isLedgerMovement, PROJECTED_EVENT_TYPES } from '../../server/src/history/index.js';
import { openDatabase } from '../../server/src/storage/sqlite.js';
import { applyForHistory } from '../../server/src/sequencer/history-events.js';

const SYMBOL = 'BTC-USD';

function commands(): Command[] {
  const list: Command[] = [
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    {
      type: 'AddInstrument', spec: {
        symbol: SYMBOL, base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000',
        minNotional: '0', priceBandBps: 0, status: 'open',
      },
    },
  ];
  for (const accountId of ['a', 'b']) {
    list.push({ type: 'CreateAccount', accountId });
    list.push({ type: 'Deposit', accountId, asset: 'USD', amount: '100000' });
    list.push({ type: 'Deposit', accountId, asset: 'BTC', amount: '10' });
  }
  list.push(
    { type: 'PlaceOrder', accountId: 'a', symbol: SYMBOL, side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '100.00', quantity: '0.5', clientOrderId: 'ask' },
    { type: 'PlaceOrder', accountId: 'b', symbol: SYMBOL, side: 'buy', orderType: 'limit', timeInForce: 'IOC', price: '100.00', quantity: '0.2' },
    { type: 'PlaceOrder', accountId: 'b', symbol: SYMBOL, side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '99.00', quantity: '0.1', clientOrderId: 'bid' },
    { type: 'CancelOrder', accountId: 'b', clientOrderId: 'bid' },
    { type: 'CancelOrder', accountId: 'b', clientOrderId: 'no-such-order' },
  );
  return list;
}

describe('the replica applies a command for the history', () => {
  it('collects exactly the events the history keeps (ledger balance changes only), as apply builds them, and leaves the same state', () => {
    const replica = createCore();
    const reference = createCore();
    const collected: CoreEvent[] = [];
    const all: CoreEvent[] = [];
    let ts = 1_000;
    for (const command of commands()) {
      const envelope = { ts: ts++, command };
      applyForHistory(replica, envelope, collected);
      all.push(...reference.apply(envelope).events);
    }
    const kept = (event: CoreEvent) => PROJECTED_EVENT_TYPES.has(event.type) && (event.type !== 'BalanceChanged' || isLedgerMovement(event.reason));
    expect(collected).toEqual(all.filter(kept));
    // Holds and releases were there to leave out.
    const reasons = new Set(all.flatMap((event) => (event.type === 'BalanceChanged' ? [event.reason] : [])));
    expect(reasons).toEqual(new Set(['deposit', 'order_hold', 'order_release', 'trade']));
    // The flow traded, booked and rejected: the left-out kinds were there to leave out.
    const leftOut = new Set(all.filter((event) => !PROJECTED_EVENT_TYPES.has(event.type)).map((event) => event.type));
    expect(leftOut).toEqual(new Set(['TradePrinted', 'BookLevelChanged', 'PositionChanged', 'CommandRejected', 'AdminApplied']));
    expect(collected.map((event) => event.type)).toContain('OrderFilled');
    expect(replica.seq).toBe(reference.seq);
    // What the history then holds is the same as from every event.
    const fromCollected = new HistoryStore(openDatabase(':memory:'));
    const fromAll = new HistoryStore(openDatabase(':memory:'));
    fromCollected.project(collected, replica.seq);
    fromAll.project(all);
    for (const accountId of ['a', 'b']) {
      expect(fromCollected.listOrders(accountId)).toEqual(fromAll.listOrders(accountId));
      expect(fromCollected.listFills(accountId)).toEqual(fromAll.listFills(accountId));
      expect(fromCollected.listBalanceChanges(accountId)).toEqual(fromAll.listBalanceChanges(accountId));
      expect(fromCollected.listBalanceChanges(accountId).items.length).toBeGreaterThan(0);
    }
    expect(fromCollected.projectedSeq).toBe(fromAll.projectedSeq);
    expect(replica.snapshot()).toEqual(reference.snapshot());
    expect(Buffer.from(replica.snapshotBinary!().bytes).equals(Buffer.from(reference.snapshotBinary!().bytes))).toBe(true);
  });
});
