/** web/depth.js and web/candles.js: the charts' data. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CandleSeries } from '../../web/candles.js';
import { cumulative, depthCurve } from '../../web/depth.js';

const candle = (start: number, close: string) => ({ start, open: '100', high: '110', low: '90', close, volume: '1', trades: 1 });

describe('the depth curve', () => {
  it('adds the quantities up from the best price outwards, exactly', () => {
    expect(depthCurve([['100', '0.1'], ['99', '0.2']], [['101', '0.3']])).toEqual({
      bids: [{ price: '100', total: '0.1' }, { price: '99', total: '0.3' }],
      asks: [{ price: '101', total: '0.3' }],
    });
    expect(depthCurve([], [])).toEqual({ bids: [], asks: [] });
  });

  it('is the running sum of the quantities, exact to the last decimal', () => {
    const nanos = (text: string) => {
      const [whole, fraction = ''] = text.split('.');
      return BigInt(whole! + fraction.padEnd(9, '0'));
    };
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 10 ** 9 - 1 }), { maxLength: 30 }), (quantities) => {
      const points = cumulative(quantities.map((q, i) => [String(1000 - i), `0.${String(q).padStart(9, '0')}`]));
      expect(points.map((p) => p.price)).toEqual(quantities.map((_, i) => String(1000 - i)));
      let sum = 0n;
      expect(points.map((p) => nanos(p.total))).toEqual(quantities.map((q) => (sum += BigInt(q))));
    }));
  });
});

describe('the candle series', () => {
  it('keeps one candle per start, the latest frame winning, oldest first', () => {
    const series = new CandleSeries(10);
    series.reset([candle(120_000, '101'), candle(60_000, '100')]);
    series.upsert(candle(120_000, '105'));
    series.upsert(candle(180_000, '99'));
    expect(series.list().map((c) => [c.start, c.close])).toEqual([[60_000, '100'], [120_000, '105'], [180_000, '99']]);
  });

  it('holds the newest `limit` candles, whatever order they arrive in', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { maxLength: 80 }), fc.integer({ min: 1, max: 30 }), (minutes, limit) => {
      const series = new CandleSeries(limit);
      for (const m of minutes) series.upsert(candle(m * 60_000, '100'));
      expect(series.list().map((c) => c.start)).toEqual([...minutes].sort((a, b) => a - b).slice(-limit).map((m) => m * 60_000));
    }));
  });
});
