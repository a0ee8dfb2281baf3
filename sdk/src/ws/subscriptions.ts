/**
 * The client's subscriptions: kept across reconnects (restored on each new connection), local
 * order books verified by sequence and checksum and resubscribed by themselves on a mismatch,
 * and private streams de-duplicated by sequence across resubscribes.
 */
import type { BookDepth, BookSnapshot, BookUpdate, SubscriptionArgs, SubscriptionResult } from '../../../generated/asyncapi.js';
import { ApiError, ConnectionError } from '../errors.js';
import { LocalOrderBook } from './local-book.js';
import type { ArgsOf, PrivateChannel, RequestOp, ResultOf, StreamFrame, StreamFrameType, SubscribedEvent, WsEmitter } from './messages.js';
import type { WebSocketLike } from './transport.js';

const PRIVATE_CHANNEL_OF: Partial<Record<StreamFrameType, PrivateChannel>> = {
  'orders.snapshot': 'orders', 'orders.update': 'orders', 'orders.rejected': 'orders', fills: 'fills',
  'balances.snapshot': 'balances', 'balances.update': 'balances', 'positions.snapshot': 'positions', 'positions.update': 'positions',
};
const PRIVATE_CHANNELS: ReadonlySet<string> = new Set(['orders', 'fills', 'balances', 'positions']);

export const DEFAULT_BOOK_DEPTH: BookDepth = 10;

/** The subscription's identity, as the server keys it (defaults filled in). */
export function subscriptionKey(args: SubscriptionArgs): string {
  switch (args.channel) {
    case 'book': return `book:${args.symbol}:${args.depth ?? DEFAULT_BOOK_DEPTH}`;
    case 'candles': return `candles:${args.symbol}:${args.interval}`;
    case 'trades': case 'ticker': return `${args.channel}:${args.symbol}`;
    default: return args.channel;
  }
}

interface SubscriptionEntry {
  key: string;
  args: SubscriptionArgs;
  book?: LocalOrderBook;
  /** The socket the subscription is active on (undefined: not yet, or lost with its connection). */
  socket?: WebSocketLike | undefined;
  inFlight: boolean;
  resyncing: boolean;
  confirmed: { resolve: (result: SubscriptionResult) => void; reject: (error: Error) => void } | undefined;
}

/** What the subscriptions need of the session they run on. */
export interface SubscriptionSession {
  /** The socket, once the session is ready; undefined otherwise. */
  readySocket(): WebSocketLike | undefined;
  /** The socket of the current connection, ready or not. */
  currentSocket(): WebSocketLike | undefined;
  send<Op extends RequestOp>(socket: WebSocketLike, op: Op, args: ArgsOf<Op>): Promise<ResultOf<Op>>;
  connect(): Promise<void>;
  readonly requestTimeoutMs: number;
}

export class Subscriptions {
  /** Private stream events dropped as already applied. */
  duplicatesDropped = 0;
  readonly #entries = new Map<string, SubscriptionEntry>();
  readonly #privateSeq = new Map<PrivateChannel, number>();

  constructor(private readonly session: SubscriptionSession, private readonly events: WsEmitter) {}

  /**
   * Subscribes and keeps the subscription across reconnects. Resolves with the server's
   * subscription (private channels carry `seq`).
   */
  subscribe(args: SubscriptionArgs): Promise<SubscriptionResult> {
    return this.#register(args, undefined);
  }

  /** Ends a subscription (and stops restoring it). */
  async unsubscribe(args: SubscriptionArgs): Promise<void> {
    const entry = this.#entries.get(subscriptionKey(args));
    if (!entry) return;
    this.#entries.delete(entry.key);
    entry.book?.invalidate();
    const socket = entry.socket;
    entry.socket = undefined;
    if (socket && socket === this.session.currentSocket()) await this.session.send(socket, 'unsubscribe', entry.args);
  }

  /** A local order book kept in sync; resolves once the first snapshot is in. */
  async book(symbol: string, depth: BookDepth = DEFAULT_BOOK_DEPTH): Promise<LocalOrderBook> {
    const args: SubscriptionArgs = { channel: 'book', symbol, depth };
    const existing = this.#entries.get(subscriptionKey(args))?.book;
    if (existing) return existing;
    const book = new LocalOrderBook(symbol, depth);
    let stop: (() => void) | undefined;
    const firstSnapshot = new Promise<void>((resolve) => {
      stop = book.onChange(() => resolve());
    });
    const timeoutMs = this.session.requestTimeoutMs;
    try {
      await this.#register(args, book);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        firstSnapshot,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ConnectionError(`no ${symbol} book snapshot within ${timeoutMs} ms`, true)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      return book;
    } finally {
      stop?.();
    }
  }

  /** Subscribes on a new connection every subscription not active on it yet. */
  async restore(socket: WebSocketLike): Promise<void> {
    for (;;) {
      const todo = [...this.#entries.values()].filter((entry) => entry.socket !== socket && !entry.inFlight);
      if (todo.length === 0) return;
      await Promise.all(todo.map((entry) => this.#subscribeOn(socket, entry)));
      if (socket !== this.session.currentSocket()) throw new ConnectionError('connection lost while restoring subscriptions', false);
    }
  }

  /** The connection is gone: nothing is active any more, and every local book is out of date. */
  disconnected(): void {
    for (const entry of this.#entries.values()) {
      entry.socket = undefined;
      entry.book?.invalidate();
    }
  }

  /** The client gave up: subscriptions still waiting for their first confirmation will not get one. */
  failed(error: Error): void {
    for (const entry of this.#entries.values()) {
      entry.confirmed?.reject(error);
      entry.confirmed = undefined;
    }
  }

  /** A market-data or private stream frame: emitted, unless it repeats a private event already applied. */
  onStreamFrame(frame: StreamFrame): void {
    const channel = PRIVATE_CHANNEL_OF[frame.type];
    if (channel) {
      const seq = frame.type === 'fills' ? frame.fill.seq : (frame as { seq: number }).seq;
      const last = this.#privateSeq.get(channel);
      const isSnapshot = frame.type.endsWith('.snapshot');
      if (!isSnapshot && last !== undefined && seq <= last) {
        this.duplicatesDropped++;
        return;
      }
      this.#privateSeq.set(channel, seq);
    }
    this.events.emit(frame.type, frame as never);
  }

  /** A book frame: applied to its local book, which is resubscribed when it lost sync. */
  onBookFrame(socket: WebSocketLike, frame: BookSnapshot | BookUpdate): void {
    this.events.emit(frame.type, frame as never);
    const entry = this.#entries.get(`book:${frame.symbol}:${frame.depth}`);
    const book = entry?.book;
    if (!entry || !book) return;
    const outcome = book.apply(frame);
    if (outcome !== 'gap' && outcome !== 'checksum') return;
    this.events.emit('book.resync', { symbol: frame.symbol, depth: frame.depth, reason: outcome });
    void this.#resync(socket, entry);
  }

  /** Resubscribes a book that lost sync; its next snapshot restores it. */
  async #resync(socket: WebSocketLike, entry: SubscriptionEntry): Promise<void> {
    if (entry.resyncing || entry.socket !== socket) return;
    entry.resyncing = true;
    try {
      await this.session.send(socket, 'unsubscribe', entry.args).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.code === 'WS_NOT_SUBSCRIBED')) throw err;
      });
      entry.socket = undefined;
      if (this.#entries.get(entry.key) === entry) await this.#subscribeOn(socket, entry);
    } catch (err) {
      // A lost connection restores the subscription on reconnect; report anything else.
      if (!(err instanceof ConnectionError)) this.events.emit('error', err instanceof Error ? err : new Error(String(err)));
    } finally {
      entry.resyncing = false;
    }
  }

  #register(args: SubscriptionArgs, book: LocalOrderBook | undefined): Promise<SubscriptionResult> {
    const key = subscriptionKey(args);
    if (this.#entries.has(key)) return Promise.reject(new Error(`already subscribed to ${key}`));
    const timeoutMs = this.session.requestTimeoutMs;
    return new Promise<SubscriptionResult>((resolve, reject) => {
      // Not confirmed in time (no connection, say): the subscription is dropped, not kept for later.
      const timer = setTimeout(() => fail(new ConnectionError(`${key} not confirmed within ${timeoutMs} ms`, false)), timeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        entry.confirmed = undefined;
        reject(err);
      };
      const entry: SubscriptionEntry = {
        key, args, inFlight: false, resyncing: false, ...(book && { book }),
        confirmed: {
          resolve: (result) => {
            clearTimeout(timer);
            resolve(result);
          },
          reject: fail,
        },
      };
      this.#entries.set(key, entry);
      const ready = this.session.readySocket();
      if (ready) void this.#subscribeOn(ready, entry);
      else this.session.connect().catch(fail);
    });
  }

  async #subscribeOn(socket: WebSocketLike, entry: SubscriptionEntry): Promise<void> {
    entry.inFlight = true;
    entry.book?.invalidate();
    const restored = entry.confirmed === undefined;
    try {
      const result = await this.session.send(socket, 'subscribe', entry.args);
      if (this.#entries.get(entry.key) !== entry) return;
      entry.socket = socket;
      const event: SubscribedEvent = { subscription: entry.args, result, restored };
      if (PRIVATE_CHANNELS.has(result.channel) && result.seq !== undefined) {
        const channel = result.channel as PrivateChannel;
        const previous = this.#privateSeq.get(channel);
        if (previous !== undefined) event.previousSeq = previous;
        this.#privateSeq.set(channel, result.seq);
      }
      entry.confirmed?.resolve(result);
      entry.confirmed = undefined;
      this.events.emit('subscribed', event);
    } catch (err) {
      if (err instanceof ConnectionError) return; // restored on the next connection
      // The server refused it (e.g. an unknown symbol): it would refuse again, so stop keeping it.
      this.#entries.delete(entry.key);
      const error = err instanceof Error ? err : new Error(String(err));
      if (entry.confirmed) entry.confirmed.reject(error);
      else this.events.emit('error', error);
      entry.confirmed = undefined;
    } finally {
      entry.inFlight = false;
    }
  }
}
