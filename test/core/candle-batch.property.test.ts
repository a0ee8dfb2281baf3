/**
 * A taker's trades update the candles once, at the end of its match (`recordInBatch` then
 * `endBatch`), through the newest candles kept at hand while the minute lasts: the candles, the
 * last price and the recent trades must come out exactly as with one update per trade (a plain
 * model of the candles below, and `record`), for runs of trades within and across bucket
 * boundaries, amounts around 2^53, and the series read (handed out) between runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CANDLE_INTERVALS, INTERVAL_MS, MarketData, type CandleRecord, type TradeRecord } from '../../server/src/core/market-data.js';
import { plus, units, type Units } from '../../server/src/core/units.js';
import { near, TWO_53 } from './near-edges.js';

const amount = fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 12n }), near(TWO_53)).map(units);
const trade = fc.record({ price: amount, quantity: amount, quote: amount });
/** Runs of trades (one run = one taker's match, at one clock time), the clock's step before it, and whether the candles are read after it. */
const run = fc.record({
  trades: fc.array(trade, { minLength: 1, maxLength: 6 }),
  step: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 20_000_000 })),
  read: fc.boolean(),
});
const runs = fc.array(run, { minLength: 1, maxLength: 40 });

/** One candle update per trade, as the candles were kept before batching (retention 3: trimmed to 3 at 6). */
function modelCandles(series: CandleRecord[], ms: number, time: number, price: Units, quantity: Units, quote: Units): void {
  const start = time - (time % ms);
  const last = series[series.length - 1];
  if (last !== undefined && last.start === start) {
    if (price > last.high) last.high = price;
    if (price < last.low) last.low = price;
    last.close = price;
    last.volume = plus(last.volume, quantity);
    last.quoteVolume = plus(last.quoteVolume, quote);
    last.trades++;
    return;
  }
  series.push({ start, open: price, high: price, low: price, close: price, volume: quantity, quoteVolume: quote, trades: 1 });
  if (series.length >= 6) series.splice(0, series.length - 3);
}

function state(md: MarketData): unknown {
  const candles = Object.fromEntries(CANDLE_INTERVALS.map((i) => [i, md.candles[i].map((c) => ({ ...c }))]));
  return { last: md.lastPrice, recent: md.recentTrades(100), candles };
}

describe('candles updated once per match', () => {
  it('equal one update per trade', () => {
    fc.assert(fc.property(runs, (rs) => {
      const each = new MarketData(8, 3);
      const batched = new MarketData(8, 3);
      const model = Object.fromEntries(CANDLE_INTERVALS.map((i) => [i, [] as CandleRecord[]]));
      let time = 1_700_000_000_000;
      let id = 0;
      for (const r of rs) {
        time += r.step;
        for (const t of r.trades) {
          const rec: TradeRecord = { tradeId: ++id, price: t.price, quantity: t.quantity, takerSide: 'buy', ts: time };
          each.record(rec, t.quote, time);
          batched.recordInBatch(rec, t.quote, time);
          for (const i of CANDLE_INTERVALS) modelCandles(model[i]!, INTERVAL_MS[i], time, t.price, t.quantity, t.quote);
          // The last price is read between fills (stops, price band): it must not wait for the batch.
          expect(batched.lastPrice).toBe(each.lastPrice);
        }
        batched.endBatch();
        if (r.read) expect(state(batched)).toEqual(state(each));
      }
      expect(state(batched)).toEqual(state(each));
      for (const i of CANDLE_INTERVALS) expect(batched.candles[i]).toEqual(model[i]);
    }), { numRuns: 300 });
  });

  it('are brought up to date before they are read, even without endBatch', () => {
    const md = new MarketData(8, 3);
    md.recordInBatch({ tradeId: 1, price: 5, quantity: 2, takerSide: 'sell', ts: 60_000 }, 10, 60_000);
    md.recordInBatch({ tradeId: 2, price: 7, quantity: 1, takerSide: 'sell', ts: 60_000 }, 7, 60_000);
    expect(md.candles['1m']).toEqual([{ start: 60_000, open: 5, high: 7, low: 5, close: 7, volume: 3, quoteVolume: 17, trades: 2 }]);
  });
});
