/**
 * Market data derived from trades, in bounded memory: the last trade, a ring of recent trades,
 * and OHLCV candles for each interval (only the newest `candleRetention` per interval are
 * kept). The rolling 24h ticker is aggregated from the one-minute candles, so retention must
 * be at least 1,440 for it to cover a full day.
 */
import type { CandleInterval, Side } from './api.js';
import { big, plus, type Units } from './units.js';

export const CANDLE_INTERVALS: readonly CandleInterval[] = ['1m', '5m', '15m', '1h', '4h', '1d'];
export const INTERVAL_MS: Readonly<Record<CandleInterval, number>> = {
  '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000,
};
export const DAY_MS = 86_400_000;

/**
 * Prices and amounts are `Units` (numbers while they are safe integers): every trade updates six
 * long-lived candles, and fresh bigints written into them cost the young-generation collector.
 */
export interface TradeRecord { tradeId: number; price: Units; quantity: Units; takerSide: Side; ts: number }

export interface CandleRecord {
  start: number; open: Units; high: Units; low: Units; close: Units;
  volume: Units; quoteVolume: Units; trades: number;
}

export class MarketData {
  lastPrice: bigint | null = null;
  /** lastPrice as the trade recorded it, to see without a bigint whether it moved. */
  private lastUnits: Units | null = null;
  /** Ring buffer of recent trades; `recentStart` is the oldest, `recentCount` how many are live. */
  recent: TradeRecord[] = [];
  recentStart = 0;
  recentCount = 0;
  /** Per interval, candles in ascending start order, at most 2 × retention before trimming. */
  private readonly series: Record<CandleInterval, CandleRecord[]> = { '1m': [], '5m': [], '15m': [], '1h': [], '4h': [], '1d': [] };
  /** The trades recorded since the candles were last brought up to date (see `recordInBatch`). */
  private readonly batch = new TradeBatch();
  /**
   * The newest candle of each interval (in CANDLE_INTERVALS order), valid for a time in
   * [currentFrom, currentUntil), the newest one-minute candle's bucket: every interval is a
   * multiple of the minute and buckets start at multiples of their length, so a time in that
   * minute falls in each newest candle's bucket, and a batch then updates them without looking
   * its buckets up. An empty range until the first batch, and after the series are handed out.
   */
  private readonly current: CandleRecord[] = [];
  private currentFrom = 0;
  private currentUntil = 0;

  constructor(readonly recentCapacity: number, readonly candleRetention: number) {}

  /** Per interval, candles in ascending start order (any batched trades applied first). */
  get candles(): Record<CandleInterval, CandleRecord[]> {
    this.endBatch();
    // The caller may change the series (a restore adds candles): look the newest ones up again.
    this.currentUntil = this.currentFrom;
    return this.series;
  }

  /** Records a trade at `bucketTime` (the core's non-decreasing clock). */
  record(trade: TradeRecord, quoteAmount: Units, bucketTime: number): void {
    this.recordInBatch(trade, quoteAmount, bucketTime);
    this.endBatch();
  }

  /**
   * Records a trade whose candle updates wait for `endBatch` (a taker's fills, one command): the
   * six candles are updated once with the batch's open, high, low, close and sums, which leaves
   * them exactly as one update per trade would (same bucket time, exact sums). The last price
   * and the recent trades are updated at once, since the stops and the price band read them.
   */
  recordInBatch(trade: TradeRecord, quoteAmount: Units, bucketTime: number): void {
    // The bigint last price (read by the price band and the stops) is rebuilt only when it moves.
    if (this.lastUnits !== trade.price) {
      this.lastUnits = trade.price;
      this.lastPrice = big(trade.price);
    }
    this.pushRecent(trade);
    const b = this.batch;
    if (b.trades !== 0 && b.time !== bucketTime) this.endBatch();
    b.add(trade.price, trade.quantity, quoteAmount, bucketTime);
  }

  /** Applies the batched trades to the candles of every interval. */
  endBatch(): void {
    const b = this.batch;
    if (b.trades === 0) return;
    const current = this.current;
    if (b.time >= this.currentFrom && b.time < this.currentUntil) {
      for (let k = 0; k < current.length; k++) addToCandle(current[k] as CandleRecord, b);
    } else {
      for (let k = 0; k < CANDLE_INTERVALS.length; k++) {
        const interval = CANDLE_INTERVALS[k] as CandleInterval;
        const series = this.series[interval];
        this.updateCandle(series, INTERVAL_MS[interval], b);
        current[k] = series[series.length - 1] as CandleRecord;
      }
      const minute = current[0] as CandleRecord;
      this.currentFrom = minute.start;
      this.currentUntil = minute.start + INTERVAL_MS['1m'];
    }
    b.trades = 0;
  }

  private pushRecent(trade: TradeRecord): void {
    const cap = this.recentCapacity;
    if (this.recentCount < cap) {
      this.recent[(this.recentStart + this.recentCount) % cap] = trade;
      this.recentCount++;
    } else {
      this.recent[this.recentStart] = trade;
      this.recentStart = (this.recentStart + 1) % cap;
    }
  }

  private updateCandle(series: CandleRecord[], ms: number, b: TradeBatch): void {
    const time = b.time;
    const start = time - (time % ms);
    const last = series[series.length - 1];
    if (last !== undefined && last.start === start) {
      addToCandle(last, b);
      return;
    }
    series.push({ start, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, quoteVolume: b.quoteVolume, trades: b.trades });
    // Trim in batches so the amortised cost per trade stays O(1).
    if (series.length >= 2 * this.candleRetention) series.splice(0, series.length - this.candleRetention);
  }

  /** Recent trades, newest first. */
  recentTrades(limit: number): TradeRecord[] {
    const out: TradeRecord[] = [];
    const n = Math.min(limit, this.recentCount);
    for (let i = 0; i < n; i++) {
      const idx = (this.recentStart + this.recentCount - 1 - i) % this.recentCapacity;
      out.push(this.recent[idx] as TradeRecord);
    }
    return out;
  }

  /** Recent trades, oldest first (the snapshot order). */
  recentOldestFirst(): TradeRecord[] {
    return this.recentTrades(this.recentCount).reverse();
  }

  /** Candles with start in [from, to), ascending, within the retention. */
  candlesBetween(interval: CandleInterval, from: number, to: number): CandleRecord[] {
    const series = this.candles[interval];
    const first = Math.max(0, series.length - this.candleRetention);
    const out: CandleRecord[] = [];
    for (let i = first; i < series.length; i++) {
      const c = series[i] as CandleRecord;
      if (c.start >= from && c.start < to) out.push(c);
    }
    return out;
  }
}

/** Adds a batch of trades to a candle of their bucket. */
function addToCandle(c: CandleRecord, b: TradeBatch): void {
  if (b.high > c.high) c.high = b.high;
  if (b.low < c.low) c.low = b.low;
  c.close = b.close;
  c.volume = plus(c.volume, b.volume);
  c.quoteVolume = plus(c.quoteVolume, b.quoteVolume);
  c.trades += b.trades;
}

/** Open, high, low, close and sums of the trades of one batch, all at one bucket time. */
class TradeBatch {
  trades = 0;
  time = 0;
  open: Units = 0;
  high: Units = 0;
  low: Units = 0;
  close: Units = 0;
  volume: Units = 0;
  quoteVolume: Units = 0;

  add(price: Units, quantity: Units, quoteAmount: Units, time: number): void {
    if (this.trades === 0) {
      this.time = time;
      this.open = this.high = this.low = price;
      this.volume = quantity;
      this.quoteVolume = quoteAmount;
    } else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
      this.volume = plus(this.volume, quantity);
      this.quoteVolume = plus(this.quoteVolume, quoteAmount);
    }
    this.close = price;
    this.trades++;
  }
}
