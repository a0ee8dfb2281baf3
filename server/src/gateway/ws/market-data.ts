/**
 * Public channels. Each batch of core events is turned into frames once per topic (a symbol and
 * its parameters) and the same bytes go to every subscriber of that topic:
 *   book:S:N     book.update from the depth-N view of S (one frame per batch)
 *   trades:S     one trades frame per batch
 *   ticker:S     the rolling ticker, at most every tickerIntervalMs
 *   candles:S:I  the current candle, at most every tickerIntervalMs
 */
import type { Logger } from 'pino';
import type { CandleFrame, SequencedTrade, TickerFrame } from '../../../../generated/asyncapi.js';
import type { CandleInterval, CoreEvent, CoreView } from '../../core/api.js';
import { INTERVAL_MS } from '../../core/market-data.js';
import { MirroredBooks } from './mirrored-books.js';
import type { Subscription } from './connection.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { WsMetrics } from './metrics.js';

interface Throttle { lastSent: number; timer?: NodeJS.Timeout }

export function encode(frame: object): Buffer {
  return Buffer.from(JSON.stringify(frame), 'utf8');
}

export class MarketDataHub {
  readonly #books: MirroredBooks;
  /** topic (a subscription key) → its subscriptions */
  readonly #topics = new Map<string, Set<Subscription>>();
  readonly #throttles = new Map<string, Throttle>();
  readonly #lastTradeTs = new Map<string, number>();
  /** Topics whose frames are being skipped while the gateway is behind, each owed a fresh state. */
  readonly #staleTopics = new Set<string>();
  #lastSeq: number;

  constructor(
    private readonly core: () => CoreView,
    private readonly clock: () => number,
    private readonly tickerIntervalMs: number,
    logger: Logger,
    /** Frames go out through the gateway's delivery queue, a bounded chunk per turn. */
    private readonly outbound: DeliveryQueue,
    /** Queued sends beyond which market data is conflated for every subscriber of a topic (the gateway is behind). */
    private readonly conflateSends: number,
    /** Counts a subscription's market data conflated (once per subscriber of a topic that falls behind). */
    private readonly metrics: Pick<WsMetrics, 'conflations'> = { conflations: 0 },
  ) {
    this.#lastSeq = core().seq;
    this.#books = new MirroredBooks((symbol) => this.core().book(symbol)!, logger, 'ws');
  }

  hasSymbol(symbol: string): boolean {
    return this.core().instruments().some((i) => i.symbol === symbol);
  }

  /** Registers a subscription and returns what it starts with (snapshot or latest state), if anything. */
  subscribe(sub: Subscription): Buffer | undefined {
    let subs = this.#topics.get(sub.key);
    if (!subs) this.#topics.set(sub.key, (subs = new Set()));
    subs.add(sub);
    return this.initialState(sub);
  }

  unsubscribe(sub: Subscription): void {
    const subs = this.#topics.get(sub.key);
    if (!subs?.delete(sub) || subs.size > 0) return;
    this.#topics.delete(sub.key);
    this.#staleTopics.delete(sub.key);
    const throttle = this.#throttles.get(sub.key);
    if (throttle?.timer) clearTimeout(throttle.timer);
    this.#throttles.delete(sub.key);
    if (sub.channel === 'book') this.#books.drop(sub.symbol!, sub.depth!);
  }

  /** The state a new or caught-up subscription starts from: a book snapshot, the latest ticker or candle. */
  initialState(sub: Subscription): Buffer | undefined {
    switch (sub.channel) {
      case 'book': return encode(this.#books.view(sub.symbol!, sub.depth!).snapshot());
      case 'ticker': return this.#tickerFrame(sub.symbol!);
      case 'candles': return this.#candleFrame(sub.symbol!, sub.interval!);
      default: return undefined;
    }
  }

  onEvents(events: readonly CoreEvent[]): void {
    const touched = new Set<string>();
    const rebuilt = new Set<string>();
    const trades = new Map<string, SequencedTrade[]>();
    for (const e of events) {
      if (e.type === 'BookLevelChanged') this.#books.applyLevel(e, touched, rebuilt);
      else if (e.type === 'TradePrinted') {
        let list = trades.get(e.symbol);
        if (!list) trades.set(e.symbol, (list = []));
        list.push({ tradeId: e.tradeId, price: e.price, quantity: e.quantity, takerSide: e.takerSide, ts: e.ts, seq: e.seq });
        this.#lastTradeTs.set(e.symbol, e.ts);
      }
    }
    if (events.length > 0) this.#lastSeq = events[events.length - 1]!.seq;

    for (const symbol of touched) {
      if (rebuilt.has(symbol)) continue;
      const mirror = this.#books.mirrorOf(symbol);
      for (const view of this.#books.viewsOf(symbol)) {
        const update = view.refresh(mirror);
        if (update) this.#publish(`book:${symbol}:${view.depth}`, encode(update));
      }
    }
    for (const symbol of rebuilt) {
      this.#books.resetViews(symbol);
      for (const view of this.#books.viewsOf(symbol)) {
        this.#publish(`book:${symbol}:${view.depth}`, encode(view.snapshot()));
      }
    }
    for (const [symbol, list] of trades) this.#publish(`trades:${symbol}`, encode({ type: 'trades', symbol, trades: list }));

    for (const symbol of new Set([...touched, ...trades.keys()])) this.#throttled(`ticker:${symbol}`, () => this.#tickerFrame(symbol));
    for (const symbol of trades.keys()) {
      for (const interval of Object.keys(INTERVAL_MS) as CandleInterval[]) this.#throttled(`candles:${symbol}:${interval}`, () => this.#candleFrame(symbol, interval));
    }
  }

  close(): void {
    for (const t of this.#throttles.values()) if (t.timer) clearTimeout(t.timer);
    this.#throttles.clear();
  }

  /**
   * Topics skipped while the gateway was behind get their fresh state once the queue has drained
   * to half the threshold: one encoding a topic, queued for every subscriber behind the frames
   * already queued, and the topic's later frames queue behind it.
   */
  catchUpTopics(): void {
    for (const topic of this.#staleTopics) {
      if (this.outbound.pendingPublicSends > this.conflateSends / 2) return;
      this.#staleTopics.delete(topic);
      const subs = this.#topics.get(topic);
      const first = subs?.values().next().value;
      if (!subs || !first) continue;
      const state = this.initialState(first);
      if (!state) continue;
      // A subscription its own connection left behind is caught up by the gateway with the connection.
      this.outbound.push([...subs], (sub) => {
        if (!sub.stale && sub.connection.subscriptions.get(sub.key) === sub) sub.connection.sendPublic(sub, state);
      });
    }
  }

  #publish(topic: string, data: Buffer): void {
    const subs = this.#topics.get(topic);
    if (!subs || this.#staleTopics.has(topic)) return;
    if (this.outbound.pendingPublicSends > this.conflateSends) {
      // The gateway as a whole is behind: skip the topic's frames for everyone until it is caught
      // up (catchUpTopics). One mark for the topic, not one per subscriber: with ten thousand
      // subscribers that loop held the event loop for about 10 ms.
      this.#staleTopics.add(topic);
      this.metrics.conflations += subs.size;
      return;
    }
    // The subscribers are fixed now: a subscription made later starts from its own snapshot.
    this.outbound.push([...subs], (sub) => {
      if (sub.connection.subscriptions.get(sub.key) === sub) sub.connection.sendPublic(sub, data);
    });
  }

  /** Publishes `frame()` on the topic now, or once tickerIntervalMs has passed since the last one. */
  #throttled(topic: string, frame: () => Buffer | undefined): void {
    if (!this.#topics.has(topic)) return;
    let throttle = this.#throttles.get(topic);
    if (!throttle) this.#throttles.set(topic, (throttle = { lastSent: 0 }));
    if (throttle.timer) return;
    const flush = () => {
      throttle.timer = undefined;
      throttle.lastSent = this.clock();
      const data = frame();
      if (data) this.#publish(topic, data);
    };
    const wait = throttle.lastSent + this.tickerIntervalMs - this.clock();
    if (wait <= 0) flush();
    else throttle.timer = setTimeout(flush, wait);
  }

  #tickerFrame(symbol: string): Buffer | undefined {
    const t = this.core().ticker(symbol, this.clock());
    if (!t) return undefined;
    const frame: TickerFrame = { type: 'ticker', symbol, seq: this.#lastSeq, open: t.open, high: t.high, low: t.low, last: t.last, volume: t.volume, quoteVolume: t.quoteVolume, tradeCount: t.tradeCount, windowStart: t.windowStart, windowEnd: t.windowEnd };
    if (t.bestBid !== undefined) frame.bestBid = t.bestBid;
    if (t.bestAsk !== undefined) frame.bestAsk = t.bestAsk;
    return encode(frame);
  }

  /** The candle that holds the symbol's last trade (or now); nothing before its first trade. */
  #candleFrame(symbol: string, interval: CandleInterval): Buffer | undefined {
    const width = INTERVAL_MS[interval];
    const at = this.#lastTradeTs.get(symbol) ?? this.clock();
    const start = at - (at % width);
    const candle = this.core().candles(symbol, interval, start, start + width).at(-1);
    if (!candle) return undefined;
    const frame: CandleFrame = { type: 'candle', symbol, interval, seq: this.#lastSeq, ...candle };
    return encode(frame);
  }
}
