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
  readonly candles: Record<CandleInterval, CandleRecord[]> = { '1m': [], '5m': [], '15m': [], '1h': [], '4h': [], '1d': [] };

  constructor(readonly recentCapacity: number, readonly candleRetention: number) {}

  /** Records a trade at `bucketTime` (the core's non-decreasing clock). */
  record(trade: TradeRecord, quoteAmount: Units, bucketTime: number): void {
    // The bigint last price (read by the price band and the stops) is rebuilt only when it moves.
    if (this.lastUnits !== trade.price) {
      this.lastUnits = trade.price;
      this.lastPrice = big(trade.price);
    }
    this.pushRecent(trade);
    for (const interval of CANDLE_INTERVALS) this.updateCandle(this.candles[interval], INTERVAL_MS[interval], trade, quoteAmount, bucketTime);
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

  private updateCandle(series: CandleRecord[], ms: number, t: TradeRecord, quoteAmount: Units, time: number): void {
    const start = time - (time % ms);
    const last = series[series.length - 1];
    if (last !== undefined && last.start === start) {
      if (t.price > last.high) last.high = t.price;
      if (t.price < last.low) last.low = t.price;
      last.close = t.price;
      last.volume = plus(last.volume, t.quantity);
      last.quoteVolume = plus(last.quoteVolume, quoteAmount);
      last.trades++;
      return;
    }
    series.push({ start, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.quantity, quoteVolume: quoteAmount, trades: 1 });
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
