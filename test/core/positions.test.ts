import { describe, expect, it } from 'vitest';
import { eventsOf, market, type Harness } from './harness.js';

/** alice trades against bob (who always provides the other side). */
function trade(h: Harness, side: 'buy' | 'sell', price: string, quantity: string): void {
  h.placeOk('bob', { side: side === 'buy' ? 'sell' : 'buy', price, quantity });
  h.placeOk('alice', { side, price, quantity });
}

function position(h: Harness) {
  return h.core.positions('alice')!.find((p) => p.symbol === 'BTC-USD');
}

describe('positions', () => {
  it('opens and adds to a long at the quantity-weighted average price', () => {
    const h = market();
    trade(h, 'buy', '100', '1');
    trade(h, 'buy', '103', '2');
    expect(position(h)).toEqual({ symbol: 'BTC-USD', netQuantity: '3', averageEntryPrice: '102', realizedPnl: '0', lastPrice: '103', unrealizedPnl: '3' });
  });

  it('realizes PnL when reducing, at the average entry price', () => {
    const h = market();
    trade(h, 'buy', '100', '1');
    trade(h, 'buy', '103', '2');
    trade(h, 'sell', '110', '1.5'); // (110 - 102) × 1.5
    expect(position(h)).toEqual({ symbol: 'BTC-USD', netQuantity: '1.5', averageEntryPrice: '102', realizedPnl: '12', lastPrice: '110', unrealizedPnl: '12' });
  });

  it('truncates the shown average price to the quote scale, and a round trip realizes exactly sells minus buys', () => {
    const h = market({}, { minNotional: '0' });
    trade(h, 'buy', '100', '0.0003');
    trade(h, 'buy', '100.01', '0.0003');
    trade(h, 'buy', '100.01', '0.0003'); // cost 0.090006 for 0.0009: average 100.006666…
    expect(position(h)!.averageEntryPrice).toBe('100.006666');
    trade(h, 'sell', '101', '0.0004');
    trade(h, 'sell', '99.5', '0.0005');
    // sells 0.0404 + 0.04975 = 0.09015; buys 0.090006
    expect(position(h)).toEqual({ symbol: 'BTC-USD', netQuantity: '0', averageEntryPrice: '0', realizedPnl: '0.000144', lastPrice: '99.5', unrealizedPnl: '0' });
  });

  it('flips from long to short: closes at the fill price and opens the rest there', () => {
    const h = market();
    trade(h, 'buy', '100', '1');
    trade(h, 'sell', '90', '3');
    expect(position(h)).toEqual({ symbol: 'BTC-USD', netQuantity: '-2', averageEntryPrice: '90', realizedPnl: '-10', lastPrice: '90', unrealizedPnl: '0' });
    trade(h, 'buy', '80', '1'); // short gains 10
    expect(position(h)).toEqual({ symbol: 'BTC-USD', netQuantity: '-1', averageEntryPrice: '90', realizedPnl: '0', lastPrice: '80', unrealizedPnl: '10' });
  });

  it('updates both sides on every fill with PositionChanged', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    const r = h.place('alice', { side: 'buy', price: '100', quantity: '1' });
    expect(eventsOf(r.events, 'PositionChanged').map((p) => [p.accountId, p.netQuantity, p.averageEntryPrice])).toEqual([
      ['alice', '1', '100'], ['bob', '-1', '100'],
    ]);
  });

  it('marks the open quantity to the last trade price, whoever traded it', () => {
    const h = market();
    trade(h, 'buy', '100', '2');
    // carol and bob trade at 95: alice's long of 2 (cost 200) is now worth 190.
    h.placeOk('bob', { side: 'sell', price: '95', quantity: '1' });
    h.placeOk('carol', { side: 'buy', price: '95', quantity: '1' });
    expect(position(h)).toMatchObject({ netQuantity: '2', lastPrice: '95', unrealizedPnl: '-10' });
    // bob is short 3 (2 @ 100 to alice, 1 @ 95 to carol): proceeds 295, buying back at 95 costs 285.
    expect(h.core.positions('bob')!.find((p) => p.symbol === 'BTC-USD')).toMatchObject({ netQuantity: '-3', unrealizedPnl: '10' });
  });
});
