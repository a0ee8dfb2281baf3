// @ts-check
/**
 * The candle chart's series: the REST history (GET /v1/instruments/{symbol}/candles) merged with
 * the `candle` frames of the WebSocket `candles` channel, one candle per start time (a later frame
 * for the same minute replaces the earlier), oldest first, the newest `limit` kept.
 */

/** @typedef {{ start: number, open: string, high: string, low: string, close: string, volume: string, trades: number }} Candle */

export class CandleSeries {
  /** @param {number} limit */
  constructor(limit = 60) {
    this.limit = limit;
    /** @type {Map<number, Candle>} */ this.byStart = new Map();
  }

  /** @param {Candle[]} candles */
  reset(candles = []) {
    this.byStart.clear();
    for (const c of candles) this.upsert(c);
  }

  /** @param {Candle} candle */
  upsert(candle) {
    const { start, open, high, low, close, volume, trades } = candle;
    this.byStart.set(start, { start, open, high, low, close, volume, trades });
    if (this.byStart.size > this.limit) {
      const starts = [...this.byStart.keys()].sort((a, b) => a - b);
      for (const old of starts.slice(0, starts.length - this.limit)) this.byStart.delete(old);
    }
  }

  /** @returns {Candle[]} oldest first */
  list() {
    return [...this.byStart.values()].sort((a, b) => a.start - b.start);
  }
}
