/**
 * The WebSocket client, typed from the AsyncAPI contract. Its parts:
 * - transport.ts: the socket, and requests (`{id, op, args}`) matched to their reply or error frame;
 * - session.ts: connecting, the signed login on every connection, reconnecting with jittered
 *   exponential backoff, and the liveness check that replaces a dead connection;
 * - subscriptions.ts: subscriptions restored on each connection, verified local order books, and
 *   private streams de-duplicated by sequence across resubscribes.
 * Order requests are never re-sent by the client: one cut off by a lost connection rejects with a
 * `ConnectionError` whose `maybeDelivered` tells whether the server may have acted on it.
 */
import type { AmendArgs, BatchItem, BookDepth, CancelAllArgs, OrderRefArgs, OrderRequest, RateLimitUsageList, SubscriptionArgs, SubscriptionResult, Welcome } from '../../../generated/asyncapi.js';
import { DEFAULT_BASE_URL } from '../rest/client.js';
import { RequestSigner, type ApiCredentials } from '../signing.js';
import type { LocalOrderBook } from './local-book.js';
import { WsEmitter, type ArgsOf, type Listener, type LoginResult, type RequestOp, type ResultOf, type WsEvents } from './messages.js';
import { Session, type ReconnectOptions } from './session.js';
import { DEFAULT_BOOK_DEPTH } from './subscriptions.js';
import { wsUrlFor, type WebSocketConstructor } from './transport.js';

export type { ArgsOf, LoginResult, PrivateChannel, RequestOp, ResultOf, StreamFrame, StreamFrameType, SubscribedEvent, WsEvents } from './messages.js';
export type { ReconnectOptions } from './session.js';
export { subscriptionKey } from './subscriptions.js';

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

export class WsClient {
  readonly url: string;
  readonly signer: RequestSigner | undefined;
  readonly #events = new WsEmitter();
  readonly #session: Session;

  constructor(options: WsClientOptions = {}) {
    this.url = options.url ?? wsUrlFor(options.baseUrl ?? DEFAULT_BASE_URL);
    this.signer = options.signer ?? (options.credentials ? new RequestSigner(options.credentials) : undefined);
    this.#session = new Session({
      url: this.url, signer: this.signer, cancelOnDisconnect: options.cancelOnDisconnect, loginWindowMs: options.loginWindowMs, reconnect: options.reconnect,
      requestTimeoutMs: options.requestTimeoutMs, livenessMs: options.livenessMs, WebSocket: options.WebSocket, random: options.random,
    }, this.#events);
  }

  get connected(): boolean {
    return this.#session.ready;
  }

  /** The latest connection's welcome (its limits). */
  get welcome(): Welcome | undefined {
    return this.#session.welcome;
  }

  /** The current session, once logged in. */
  get session(): LoginResult | undefined {
    return this.#session.login;
  }

  /** Rate-limit usage reported by the latest reply. */
  get rateLimit(): RateLimitUsageList | undefined {
    return this.#session.rateLimit;
  }

  /** Private stream events dropped as already applied. */
  get duplicatesDropped(): number {
    return this.#session.subscriptions.duplicatesDropped;
  }

  on<E extends keyof WsEvents>(event: E, listener: Listener<E>): () => void {
    return this.#events.on(event, listener);
  }

  /** Connects (and logs in, with credentials); resolves once the session is ready. */
  connect(): Promise<void> {
    return this.#session.connect();
  }

  /** Closes the connection for good: no reconnect; pending requests reject. */
  close(): Promise<void> {
    return this.#session.close();
  }

  // ---------------------------------------------------------------- requests

  /** Any request of the contract; resolves with the reply's `result`, rejects with ApiError or ConnectionError. */
  request<Op extends Exclude<RequestOp, 'login' | 'subscribe' | 'unsubscribe'>>(op: Op, args: ArgsOf<Op>): Promise<ResultOf<Op>> {
    return this.#session.request(op, args);
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

  /** Asks for a firm OTC quote, as REST's `POST /v1/rfq`. */
  requestQuote(rfq: ArgsOf<'requestQuote'>) {
    return this.request('requestQuote', rfq);
  }

  getQuote(quoteId: string) {
    return this.request('getQuote', { quoteId });
  }

  /** Takes a quote on one side; never re-sent by the client (pass a `clientOrderId` to find out after a lost connection). */
  acceptQuote(args: ArgsOf<'acceptQuote'>) {
    return this.request('acceptQuote', args);
  }

  declineQuote(quoteId: string) {
    return this.request('declineQuote', { quoteId });
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
    return this.#session.subscriptions.subscribe(args);
  }

  /** Ends a subscription (and stops restoring it). */
  unsubscribe(args: SubscriptionArgs): Promise<void> {
    return this.#session.subscriptions.unsubscribe(args);
  }

  /**
   * A local order book for `symbol` at `depth` levels per side, kept in sync by sequence and
   * checksum, resynced by itself, restored after reconnects. Resolves once the first snapshot is in.
   */
  book(symbol: string, depth: BookDepth = DEFAULT_BOOK_DEPTH): Promise<LocalOrderBook> {
    return this.#session.subscriptions.book(symbol, depth);
  }
}
