import { describe, expect, it } from 'vitest';
import { market, T0, type Harness } from './harness.js';

const MIN = 60_000;
const HOUR = 3_600_000;

function tradeAt(h: Harness, ts: number, price: string, quantity: string): void {
  h.ts = ts;
  h.placeOk('alice', { side: 'sell', price, quantity });
  h.placeOk('bob', { side: 'buy', price, quantity });
}

// A day-aligned start after the setup's time makes the bucket arithmetic easy to read.
const START = T0 - (T0 % (24 * HOUR)) + 24 * HOUR;

describe('market data', () => {
  it('keeps recent trades newest first, bounded', () => {
    const h = market({ recentTradesCapacity: 3 });
    for (let i = 1; i <= 5; i++) tradeAt(h, START + i, String(100 + i), '1');
    expect(h.core.recentTrades('BTC-USD', 10)).toEqual([
      { tradeId: 5, price: '105', quantity: '1', takerSide: 'buy', ts: START + 5 },
      { tradeId: 4, price: '104', quantity: '1', takerSide: 'buy', ts: START + 4 },
      { tradeId: 3, price: '103', quantity: '1', takerSide: 'buy', ts: START + 3 },
    ]);
    expect(h.core.recentTrades('BTC-USD', 1).map((t) => t.tradeId)).toEqual([5]);
  });

  it('builds OHLCV candles per interval, aligned to the interval', () => {
    const h = market();
    tradeAt(h, START + 10_000, '100', '1');
    tradeAt(h, START + 20_000, '105', '2');
    tradeAt(h, START + 50_000, '98', '1');
    tradeAt(h, START + MIN + 1, '101', '0.5');
    expect(h.core.candles('BTC-USD', '1m', START, START + 10 * MIN)).toEqual([
      { start: START, open: '100', high: '105', low: '98', close: '98', volume: '4', quoteVolume: '408', trades: 3 },
      { start: START + MIN, open: '101', high: '101', low: '101', close: '101', volume: '0.5', quoteVolume: '50.5', trades: 1 },
    ]);
    expect(h.core.candles('BTC-USD', '5m', START, START + HOUR)).toEqual([
      { start: START, open: '100', high: '105', low: '98', close: '101', volume: '4.5', quoteVolume: '458.5', trades: 4 },
    ]);
    expect(h.core.candles('BTC-USD', '1d', START, START + 1)).toHaveLength(1);
    expect(h.core.candles('BTC-USD', '1m', START + MIN, START + 2 * MIN).map((c) => c.start)).toEqual([START + MIN]); // [start, end)
  });

  it('keeps a bounded number of candles per interval', () => {
    const h = market({ candleRetention: 1440 });
    for (let i = 0; i < 1500; i++) tradeAt(h, START + i * MIN, '100', '0.01');
    const all = h.core.candles('BTC-USD', '1m', 0, START + 2000 * MIN);
    expect(all).toHaveLength(1440);
    expect(all[0]!.start).toBe(START + 60 * MIN);
  });

  it('computes a rolling 24h ticker from minute buckets, with best bid and ask', () => {
    const h = market();
    tradeAt(h, START, '90', '1'); // falls out of the window below
    tradeAt(h, START + 2 * HOUR, '100', '1');
    tradeAt(h, START + 3 * HOUR, '120', '2');
    tradeAt(h, START + 20 * HOUR, '110', '1');
    h.placeOk('alice', { side: 'buy', price: '108', quantity: '1' });
    h.placeOk('bob', { side: 'sell', price: '112', quantity: '1' });
    const now = START + 24 * HOUR + 30 * MIN; // window starts at START + 30m + 1m
    expect(h.core.ticker('BTC-USD', now)).toEqual({
      symbol: 'BTC-USD', open: '100', high: '120', low: '100', last: '110', volume: '4', quoteVolume: '450',
      bestBid: '108', bestAsk: '112', tradeCount: 3, windowStart: START + 31 * MIN, windowEnd: now,
    });
  });

  it('gives a flat ticker at the last price when nothing traded in the window', () => {
    const h = market();
    expect(h.core.ticker('BTC-USD', START)).toMatchObject({ open: '0', last: '0', volume: '0', tradeCount: 0 });
    tradeAt(h, START, '100', '1');
    expect(h.core.ticker('BTC-USD', START + 48 * HOUR)).toMatchObject({ open: '100', high: '100', low: '100', last: '100', volume: '0', tradeCount: 0 });
    expect(h.core.ticker('NOPE', START)).toBeUndefined();
  });

  it('buckets by a clock that never goes back, even if a command’s time does', () => {
    const h = market();
    tradeAt(h, START + 5 * MIN, '100', '1');
    tradeAt(h, START + 2 * MIN, '101', '1'); // earlier envelope time
    expect(h.core.candles('BTC-USD', '1m', 0, START + HOUR).map((c) => [c.start, c.trades])).toEqual([[START + 5 * MIN, 2]]);
  });
});
