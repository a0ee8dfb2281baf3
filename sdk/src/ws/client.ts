/**
 * The WebSocket client, typed from the AsyncAPI contract:
 * - requests (`{id, op, args}`) return promises settled by the reply or error frame with the same id;
 * - a signed login, repeated on every reconnect;
 * - automatic reconnect with jittered exponential backoff, restoring every subscription;
 * - local order books verified by sequence and checksum, resubscribed by themselves on a mismatch;
 * - private streams de-duplicated by sequence across resubscribes;
 * - a liveness check (an application `ping` when the connection has been quiet) that replaces a
 *   dead connection.
 * Order requests are never re-sent by the client: one cut off by a lost connection rejects with a
 * `ConnectionError` whose `maybeDelivered` tells whether the server may have acted on it.
 */
import type {
  AmendArgs, BatchItem, BookDepth, BookSnapshot, BookUpdate, CancelAllArgs, ClientMessage, LoginReply, OrderRefArgs, OrderRequest, RateLimitUsageList,
  RequestId, ServerMessage, SubscriptionArgs, SubscriptionResult, Welcome,
} from '../../../generated/asyncapi.js';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import type { ClockSample } from '../clock.js';
import { ApiError, ConnectionError } from '../errors.js';
import { DEFAULT_BASE_URL } from '../rest/client.js';
import { RequestSigner, type ApiCredentials } from '../signing.js';
import { LocalOrderBook } from './local-book.js';
import { defaultWebSocket, messageText, OPEN, wsUrlFor, type WebSocketConstructor, type WebSocketLike } from './transport.js';

export type RequestOp = ClientMessage['op'];
export type ArgsOf<Op extends RequestOp> = Extract<ClientMessage, { op: Op }>['args'];
export type ResultOf<Op extends RequestOp> = Extract<ServerMessage, { type: 'reply'; op: Op }>['result'];
export type LoginResult = LoginReply['result'];

/** Frames that are not answers to requests: market data, private streams, heartbeats. */
export type StreamFrame = Exclude<ServerMessage, { type: 'reply' | 'error' | 'welcome' }>;
export type StreamFrameType = StreamFrame['type'];
export type PrivateChannel = 'orders' | 'fills' | 'balances' | 'positions';

export interface SubscribedEvent {
  subscription: SubscriptionArgs;
  result: SubscriptionResult;
  /** True when the client restored the subscription on a new connection. */
  restored: boolean;
  /**
   * Private channels: the sequence of the last event this client had applied before the
   * subscription was restored. Events after it up to `result.seq` were not streamed (they
   * happened while disconnected); the snapshot channels cover them, `fills` needs REST to backfill.
   */
  previousSeq?: number;
}

export type WsEvents = { [T in StreamFrameType]: Extract<StreamFrame, { type: T }> } & {
  /** Connected, logged in (with credentials) and every subscription restored. */
  open: { reconnected: boolean; welcome: Welcome; session: LoginResult | undefined };
  close: { code: number; reason: string; willReconnect: boolean };
  /** Errors not tied to a caller's promise: an unreadable frame, a failed restore or resync. */
  error: Error;
  subscribed: SubscribedEvent;
  /** A local book lost sync and is being resubscribed. */
  'book.resync': { symbol: string; depth: number; reason: 'gap' | 'checksum' };
  /** Every frame received, before any other handling. */
  frame: ServerMessage;
};

export interface ReconnectOptions extends BackoffOptions {
  enabled: boolean;
  /** Consecutive failed attempts after which the client gives up. */
  maxAttempts: number;
}

export interface WsClientOptions {
  /** The WebSocket endpoint; default derived from `baseUrl` (ws://host/v1/ws). */
  url?: string;
  baseUrl?: string;
  credentials?: ApiCredentials;
  /** Share the REST client's signer so both use one calibrated clock and one timestamp sequence. */
  signer?: RequestSigner;
  /** Ask the server to cancel this connection's orders when it closes. */
  cancelOnDisconnect?: boolean;
  /** Narrows the login's timestamp window (ms). */
  loginWindowMs?: number;
  reconnect?: Partial<ReconnectOptions>;
  /** How long a request waits for the connection and then for its answer (ms). */
  requestTimeoutMs?: number;
  /** After this long without any frame, the client pings; no answer within as long again drops the connection (ms). */
  livenessMs?: number;
  /** A WebSocket implementation; default: `ws` in Node, the global WebSocket elsewhere. */
  WebSocket?: WebSocketConstructor;
  random?: () => number;
}

const DEFAULT_RECONNECT: ReconnectOptions = { enabled: true, baseMs: 250, maxMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY };

/** Close codes after which reconnecting cannot help (the key was revoked or expired). */
const FATAL_CLOSE_CODES = new Set([4001]);

const PRIVATE_CHANNEL_OF: Partial<Record<StreamFrameType, PrivateChannel>> = {
  'orders.snapshot': 'orders', 'orders.update': 'orders', 'orders.rejected': 'orders', fills: 'fills',
  'balances.snapshot': 'balances', 'balances.update': 'balances', 'positions.snapshot': 'positions', 'positions.update': 'positions',
};
const PRIVATE_CHANNELS: ReadonlySet<string> = new Set(['orders', 'fills', 'balances', 'positions']);

const DEFAULT_BOOK_DEPTH: BookDepth = 10;

/** The subscription's identity, as the server keys it (defaults filled in). */
export function subscriptionKey(args: SubscriptionArgs): string {
  switch (args.channel) {
    case 'book': return `book:${args.symbol}:${args.depth ?? DEFAULT_BOOK_DEPTH}`;
    case 'candles': return `candles:${args.symbol}:${args.interval}`;
    case 'trades': case 'ticker': return `${args.channel}:${args.symbol}`;
    default: return args.channel;
  }
}

interface Pending {
  op: RequestOp;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
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

type Listener<E extends keyof WsEvents> = (payload: WsEvents[E]) => void;
type State = 'idle' | 'connecting' | 'ready' | 'closed';

export class WsClient {
  readonly url: string;
  readonly signer: RequestSigner | undefined;
  /** The latest connection's welcome (its limits). */
  welcome: Welcome | undefined;
  /** The current session, once logged in. */
  session: LoginResult | undefined;
  /** Rate-limit usage reported by the latest reply. */
  rateLimit: RateLimitUsageList | undefined;
  /** Private stream events dropped as already applied. */
  duplicatesDropped = 0;

  readonly #options: WsClientOptions;
  readonly #reconnect: ReconnectOptions;
  readonly #requestTimeoutMs: number;
  readonly #random: () => number;
  #Ctor: WebSocketConstructor | undefined;
  #state: State = 'idle';
  #socket: WebSocketLike | undefined;
  #nextId = 1;
  readonly #pending = new Map<RequestId, Pending>();
  readonly #subscriptions = new Map<string, SubscriptionEntry>();
  readonly #listeners = new Map<keyof WsEvents, Set<(payload: never) => void>>();
  #readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #livenessTimer: ReturnType<typeof setInterval> | undefined;
  #lastFrameAt = 0;
  #everOpened = false;
  readonly #privateSeq = new Map<PrivateChannel, number>();

  constructor(options: WsClientOptions = {}) {
    this.#options = options;
    this.url = options.url ?? wsUrlFor(options.baseUrl ?? DEFAULT_BASE_URL);
    this.signer = options.signer ?? (options.credentials ? new RequestSigner(options.credentials) : undefined);
    this.#reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#random = options.random ?? Math.random;
    this.#Ctor = options.WebSocket;
  }

  get connected(): boolean {
    return this.#state === 'ready';
  }

  // ---------------------------------------------------------------- events

  on<E extends keyof WsEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  }

  #emit<E extends keyof WsEvents>(event: E, payload: WsEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<E>)(payload);
      } catch (err) {
        if (event === 'error') queueMicrotask(() => { throw err; });
        else this.#emit('error', err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connects (and logs in, with credentials); resolves once the session is ready. */
  connect(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(new ConnectionError('the client was closed', false));
    if (this.#state === 'ready') return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    if (this.#state === 'idle') this.#open();
    return ready;
  }

  /** Closes the connection for good: no reconnect; pending requests reject. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    this.#settleReady(new ConnectionError('the client was closed', false));
    const socket = this.#socket;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#abandon(socket, 'close timed out');
        resolve();
      }, 1_000);
      socket.onclose = (event) => {
        clearTimeout(timer);
        this.#onSocketClosed(socket, event.code, event.reason);
        resolve();
      };
      socket.close(1000, 'client closing');
    });
  }

  #open(): void {
    this.#state = 'connecting';
    void (async () => {
      try {
        this.#Ctor ??= await defaultWebSocket();
      } catch (err) {
        this.#fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (this.#state === 'closed') return;
      const sentAt = this.#localNow();
      const socket = new this.#Ctor(this.url);
      this.#socket = socket;
      socket.onmessage = (event) => this.#onMessage(socket, messageText(event.data), sentAt);
      socket.onclose = (event) => this.#onSocketClosed(socket, event.code, event.reason);
      // A failed connection also closes; the close handler decides what happens next.
      socket.onerror = () => undefined;
    })();
  }

  async #handshake(socket: WebSocketLike, welcome: Welcome, sample: ClockSample): Promise<void> {
    try {
      this.welcome = welcome;
      this.session = this.signer ? await this.#login(socket, sample) : undefined;
      await this.#restoreSubscriptions(socket);
      if (socket !== this.#socket || this.#state === 'closed') return;
      this.#state = 'ready';
      this.#reconnectAttempt = 0;
      this.#startLiveness(socket, welcome);
      const reconnected = this.#everOpened;
      this.#everOpened = true;
      this.#settleReady();
      this.#emit('open', { reconnected, welcome, session: this.session });
    } catch (err) {
      if (socket !== this.#socket) return;
      // A refused login will be refused again: stop. Anything else (an unanswered login, say): start over.
      if (err instanceof ApiError) this.#fail(err);
      else this.#abandon(socket, err instanceof Error ? err.message : String(err));
    }
  }

  async #login(socket: WebSocketLike, sample: ClockSample): Promise<LoginResult> {
    const signer = this.signer!;
    const login = async () =>
      this.#send(socket, 'login', {
        ...(await signer.wsLogin()),
        ...(this.#options.cancelOnDisconnect !== undefined && { cancelOnDisconnect: this.#options.cancelOnDisconnect }),
        ...(this.#options.loginWindowMs !== undefined && { window: this.#options.loginWindowMs }),
      });
    try {
      return await login();
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'AUTH_TIMESTAMP_OUT_OF_WINDOW') throw err;
      // The local clock is off: take the offset from the welcome's server time, then sign again.
      signer.clock.applySamples([sample]);
      return login();
    }
  }

  async #restoreSubscriptions(socket: WebSocketLike): Promise<void> {
    for (;;) {
      const todo = [...this.#subscriptions.values()].filter((entry) => entry.socket !== socket && !entry.inFlight);
      if (todo.length === 0) return;
      await Promise.all(todo.map((entry) => this.#subscribeOn(socket, entry)));
      if (socket !== this.#socket) throw new ConnectionError('connection lost while restoring subscriptions', false);
    }
  }

  #onSocketClosed(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    clearInterval(this.#livenessTimer);
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new ConnectionError(`connection closed (${code}${reason ? ` ${reason}` : ''}) before the ${pending.op} answer`, true));
      this.#pending.delete(id);
    }
    for (const entry of this.#subscriptions.values()) {
      entry.socket = undefined;
      entry.book?.invalidate();
    }
    this.session = undefined;
    const fatal = FATAL_CLOSE_CODES.has(code);
    const willReconnect = this.#state !== 'closed' && this.#reconnect.enabled && !fatal && this.#reconnectAttempt < this.#reconnect.maxAttempts;
    this.#emit('close', { code, reason, willReconnect });
    if (this.#state === 'closed') return;
    if (willReconnect) {
      this.#state = 'connecting';
      const delay = backoffDelay(this.#reconnectAttempt++, this.#reconnect, this.#random);
      this.#reconnectTimer = setTimeout(() => {
        if (this.#state !== 'closed') this.#open();
      }, delay);
    } else {
      this.#fail(new ConnectionError(`connection closed (${code}${reason ? ` ${reason}` : ''})`, false));
    }
  }

  /** Gives up on the client: settles waiters with `error` and closes. */
  #fail(error: Error): void {
    const socket = this.#socket;
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    this.#settleReady(error);
    this.#emit('error', error);
    if (socket) this.#abandon(socket, error.message);
  }

  /** Drops a socket without waiting for the close handshake (it may be dead). */
  #abandon(socket: WebSocketLike, reason: string): void {
    socket.onmessage = null;
    socket.onclose = null;
    const terminate = (socket as { terminate?: () => void }).terminate;
    try {
      if (terminate) terminate.call(socket);
      else socket.close(4000, reason.slice(0, 100));
    } catch {
      // Already closed.
    }
    this.#onSocketClosed(socket, 1006, reason);
  }

  #settleReady(error?: Error): void {
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
    if (!error) return;
    // Subscriptions still waiting for their first confirmation will not get one.
    for (const entry of this.#subscriptions.values()) {
      entry.confirmed?.reject(error);
      entry.confirmed = undefined;
    }
  }

  #startLiveness(socket: WebSocketLike, welcome: Welcome): void {
    const interval = Math.min(this.#options.livenessMs ?? 15_000, Math.max(100, Math.floor(welcome.limits.idleTimeoutMs / 3)));
    clearInterval(this.#livenessTimer);
    this.#livenessTimer = setInterval(() => {
      if (this.#localNow() - this.#lastFrameAt < interval) return;
      this.#send(socket, 'ping', undefined, interval).catch(() => {
        if (socket === this.#socket) this.#abandon(socket, 'no answer to ping');
      });
    }, interval);
    (this.#livenessTimer as { unref?: () => void }).unref?.();
  }

  #localNow(): number {
    return this.signer?.clock.localNow() ?? Date.now();
  }

  // ---------------------------------------------------------------- frames

  #onMessage(socket: WebSocketLike, text: string, sentAt: number): void {
    if (socket !== this.#socket) return;
    this.#lastFrameAt = this.#localNow();
    let frame: ServerMessage;
    try {
      frame = JSON.parse(text) as ServerMessage;
    } catch {
      this.#emit('error', new Error(`unreadable frame: ${text.slice(0, 200)}`));
      return;
    }
    this.#emit('frame', frame);
    switch (frame.type) {
      case 'welcome':
        void this.#handshake(socket, frame, { sentAt, receivedAt: this.#lastFrameAt, serverTime: frame.serverTime });
        return;
      case 'reply': {
        this.rateLimit = frame.rateLimit;
        const pending = this.#takePending(frame.id);
        pending?.resolve(frame.result);
        return;
      }
      case 'error': {
        const error = ApiError.fromErrorFrame(frame);
        if (frame.rateLimit) this.rateLimit = frame.rateLimit;
        const pending = frame.id === null ? undefined : this.#takePending(frame.id);
        if (pending) pending.reject(error);
        else this.#emit('error', error);
        return;
      }
      case 'book.snapshot':
      case 'book.update':
        this.#emit(frame.type, frame as never);
        this.#onBookFrame(socket, frame);
        return;
      default:
        this.#onStreamFrame(frame);
    }
  }

  #onStreamFrame(frame: StreamFrame): void {
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
    this.#emit(frame.type, frame as never);
  }

  #onBookFrame(socket: WebSocketLike, frame: BookSnapshot | BookUpdate): void {
    const entry = this.#subscriptions.get(`book:${frame.symbol}:${frame.depth}`);
    const book = entry?.book;
    if (!entry || !book) return;
    const outcome = book.apply(frame);
    if (outcome !== 'gap' && outcome !== 'checksum') return;
    this.#emit('book.resync', { symbol: frame.symbol, depth: frame.depth, reason: outcome });
    void this.#resync(socket, entry);
  }

  /** Resubscribes a book that lost sync; its next snapshot restores it. */
  async #resync(socket: WebSocketLike, entry: SubscriptionEntry): Promise<void> {
    if (entry.resyncing || entry.socket !== socket) return;
    entry.resyncing = true;
    try {
      await this.#send(socket, 'unsubscribe', entry.args).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.code === 'WS_NOT_SUBSCRIBED')) throw err;
      });
      entry.socket = undefined;
      if (this.#subscriptions.get(entry.key) === entry) await this.#subscribeOn(socket, entry);
    } catch (err) {
      // A lost connection restores the subscription on reconnect; report anything else.
      if (!(err instanceof ConnectionError)) this.#emit('error', err instanceof Error ? err : new Error(String(err)));
    } finally {
      entry.resyncing = false;
    }
  }

  #takePending(id: RequestId): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    return pending;
  }

  // ---------------------------------------------------------------- requests

  /** Sends one request on `socket` and waits for its answer. */
  #send<Op extends RequestOp>(socket: WebSocketLike | undefined, op: Op, args: ArgsOf<Op>, timeoutMs = this.#requestTimeoutMs): Promise<ResultOf<Op>> {
    return new Promise((resolve, reject) => {
      if (!socket || socket !== this.#socket || socket.readyState !== OPEN) return reject(new ConnectionError(`not connected: ${op} was not sent`, false));
      const id = this.#nextId++;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ConnectionError(`no answer to ${op} within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.#pending.set(id, { op, resolve: resolve as (result: unknown) => void, reject, timer });
      try {
        socket.send(JSON.stringify(args === undefined ? { id, op } : { id, op, args }));
      } catch (err) {
        this.#takePending(id);
        reject(new ConnectionError(`${op} could not be sent: ${err instanceof Error ? err.message : String(err)}`, false));
      }
    });
  }

  /** Waits until the session is ready (connecting first if needed), at most the request timeout. */
  async #ready(): Promise<WebSocketLike | undefined> {
    if (this.#state === 'ready') return this.#socket;
    if (this.#state === 'closed') throw new ConnectionError('the client was closed', false);
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#readyWaiters = this.#readyWaiters.filter((w) => w !== waiter);
        reject(new ConnectionError(`not connected within ${this.#requestTimeoutMs} ms`, false));
      }, this.#requestTimeoutMs);
      this.#readyWaiters.push(waiter);
      if (this.#state === 'idle') this.#open();
    });
    return this.#socket;
  }

  /** Any request of the contract; resolves with the reply's `result`, rejects with ApiError or ConnectionError. */
  async request<Op extends Exclude<RequestOp, 'login' | 'subscribe' | 'unsubscribe'>>(op: Op, args: ArgsOf<Op>): Promise<ResultOf<Op>> {
    return this.#send(await this.#ready(), op, args);
  }

  ping() {
    return this.request('ping', undefined);
  }

  placeOrder(order: OrderRequest) {
    return this.request('placeOrder', order);
  }

  amendOrder(args: AmendArgs) {
    return this.request('amendOrder', args);
  }

  cancelOrder(ref: OrderRefArgs) {
    return this.request('cancelOrder', ref);
  }

  cancelAll(args: CancelAllArgs = {}) {
    return this.request('cancelAll', args);
  }

  /** Up to `welcome.limits.maxBatchRequests` place, amend and cancel requests, applied in order, each with its own result. */
  batch(requests: readonly BatchItem[]) {
    if (requests.length === 0) return Promise.reject(new RangeError('a batch needs at least one request'));
    return this.request('batch', { requests: requests as [BatchItem, ...BatchItem[]] });
  }

  // ---------------------------------------------------------------- subscriptions

  /**
   * Subscribes and keeps the subscription across reconnects. Resolves with the server's
   * subscription (private channels carry `seq`); frames arrive as events of their `type`.
   */
  subscribe(args: SubscriptionArgs): Promise<SubscriptionResult> {
    return this.#register(args, undefined);
  }

  /** Ends a subscription (and stops restoring it). */
  async unsubscribe(args: SubscriptionArgs): Promise<void> {
    const entry = this.#subscriptions.get(subscriptionKey(args));
    if (!entry) return;
    this.#subscriptions.delete(entry.key);
    entry.book?.invalidate();
    const socket = entry.socket;
    entry.socket = undefined;
    if (socket && socket === this.#socket) await this.#send(socket, 'unsubscribe', entry.args);
  }

  /**
   * A local order book for `symbol` at `depth` levels per side, kept in sync by sequence and
   * checksum, resynced by itself, restored after reconnects. Resolves once the first snapshot is in.
   */
  async book(symbol: string, depth: BookDepth = DEFAULT_BOOK_DEPTH): Promise<LocalOrderBook> {
    const args: SubscriptionArgs = { channel: 'book', symbol, depth };
    const existing = this.#subscriptions.get(subscriptionKey(args))?.book;
    if (existing) return existing;
    const book = new LocalOrderBook(symbol, depth);
    let stop: (() => void) | undefined;
    const firstSnapshot = new Promise<void>((resolve) => {
      stop = book.onChange(() => resolve());
    });
    try {
      await this.#register(args, book);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        firstSnapshot,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ConnectionError(`no ${symbol} book snapshot within ${this.#requestTimeoutMs} ms`, true)), this.#requestTimeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      return book;
    } finally {
      stop?.();
    }
  }

  #register(args: SubscriptionArgs, book: LocalOrderBook | undefined): Promise<SubscriptionResult> {
    const key = subscriptionKey(args);
    if (this.#subscriptions.has(key)) return Promise.reject(new Error(`already subscribed to ${key}`));
    return new Promise<SubscriptionResult>((resolve, reject) => {
      // Not confirmed in time (no connection, say): the subscription is dropped, not kept for later.
      const timer = setTimeout(() => fail(new ConnectionError(`${key} not confirmed within ${this.#requestTimeoutMs} ms`, false)), this.#requestTimeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        if (this.#subscriptions.get(key) === entry) this.#subscriptions.delete(key);
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
      this.#subscriptions.set(key, entry);
      if (this.#state === 'ready') void this.#subscribeOn(this.#socket!, entry);
      else this.connect().catch(fail);
    });
  }

  async #subscribeOn(socket: WebSocketLike, entry: SubscriptionEntry): Promise<void> {
    entry.inFlight = true;
    entry.book?.invalidate();
    const restored = entry.confirmed === undefined;
    try {
      const result = await this.#send(socket, 'subscribe', entry.args);
      if (this.#subscriptions.get(entry.key) !== entry) return;
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
      this.#emit('subscribed', event);
    } catch (err) {
      if (err instanceof ConnectionError) return; // restored on the next connection
      // The server refused it (e.g. an unknown symbol): it would refuse again, so stop keeping it.
      this.#subscriptions.delete(entry.key);
      const error = err instanceof Error ? err : new Error(String(err));
      if (entry.confirmed) entry.confirmed.reject(error);
      else this.#emit('error', error);
      entry.confirmed = undefined;
    } finally {
      entry.inFlight = false;
    }
  }
}
