/**
 * One client connection: its session (once logged in), its subscriptions, and the outbound
 * policy for a slow reader. Market data is skipped while too much is waiting (the subscription
 * is marked stale and caught up later); private data and answers are never skipped: a connection
 * that cannot take them in time is closed with 4004.
 */
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { Principal } from '../../auth/index.js';
import type { CandleInterval } from '../../core/api.js';
import type { SessionOrders } from '../../order-entry/session-orders.js';
import { CloseCode, type WsConfig } from './config.js';
import type { WsMetrics } from './metrics.js';
import type { WriteBatch } from './write-batch.js';

export type PublicChannel = 'book' | 'trades' | 'ticker' | 'candles';
export type PrivateChannel = 'orders' | 'fills' | 'balances' | 'positions' | 'rfq';
/** RFQs for a dealer key to price (not an account stream). */
export type DealerChannel = 'dealer';
export type Channel = PublicChannel | PrivateChannel | DealerChannel;

const TEXT = { binary: false } as const;

export const PRIVATE_CHANNELS: ReadonlySet<Channel> = new Set<Channel>(['orders', 'fills', 'balances', 'positions', 'rfq']);

export interface Subscription {
  /** Identifies the subscription within its connection, e.g. `book:BTC-USD:10`. */
  readonly key: string;
  readonly connection: WsConnection;
  readonly channel: Channel;
  readonly symbol?: string;
  readonly depth?: number;
  readonly interval?: CandleInterval;
  /** Private channels: events up to this sequence are already in the snapshot. */
  readonly afterSeq: number;
  /** Market data was skipped for this subscription; the connection owes it a fresh state. */
  stale: boolean;
  /** A fresh state for this stale subscription is queued for delivery. */
  catchingUp?: boolean;
  /** `dealer` subscriptions: the provider name its quotes carry (withdrawn when it ends). */
  dealerProvider?: string;
}

export interface Session {
  principal: Principal;
  cancelOnDisconnect: boolean;
  /** The orders this session placed, canceled when it ends (only with cancelOnDisconnect). */
  orders?: SessionOrders;
}

export class WsConnection {
  session: Session | undefined;
  readonly subscriptions = new Map<string, Subscription>();
  /** Whether a pong (or any frame) arrived since the last ping. */
  alive = true;
  lastActivity: number;
  closed = false;
  /** Some subscription is stale; the gateway catches it up once the outbound buffer drains. */
  behind = false;
  /** Requests of this connection run one at a time, in arrival order. */
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #refusedWindowStart = 0;
  #refusedCount = 0;

  constructor(
    readonly ws: WebSocket,
    /** The upgraded TCP socket under `ws` (held back during a batch, see WriteBatch). */
    private readonly socket: Duplex,
    private readonly batch: WriteBatch,
    readonly id: string,
    readonly ip: string,
    private readonly config: WsConfig,
    private readonly metrics: WsMetrics,
    private readonly clock: () => number,
    /** Told when the connection first falls behind on market data (the gateway catches it up). */
    private readonly onBehind: (connection: WsConnection) => void = () => {},
  ) {
    this.lastActivity = clock();
  }

  get hasPrivateSubscription(): boolean {
    for (const sub of this.subscriptions.values()) if (PRIVATE_CHANNELS.has(sub.channel)) return true;
    return false;
  }

  /** Runs `task` after every request that arrived before it has been answered; false if too many are waiting. */
  enqueue(task: () => Promise<void>): boolean {
    if (this.#queued >= this.config.maxQueuedRequests) return false;
    this.#queued++;
    this.#queue = this.#queue.then(task).finally(() => this.#queued--);
    return true;
  }

  /** An answer (reply or error frame): never skipped. */
  sendAnswer(frame: object): void {
    this.sendPrivate(JSON.stringify(frame));
  }

  /** Private stream data and answers: delivered in full, or the connection is closed. */
  sendPrivate(data: string | Buffer): void {
    if (this.closed) return;
    if (this.ws.bufferedAmount + data.length > this.config.maxBufferedBytes) {
      this.metrics.slowConsumerCloses++;
      this.close(CloseCode.SlowConsumer, 'slow consumer: private stream overflow');
      return;
    }
    this.#send(data);
  }

  /** Market data: skipped (and the subscription marked stale) while the connection is behind. */
  sendPublic(subscription: Subscription, data: Buffer): boolean {
    if (this.closed) return false;
    if (subscription.stale || this.ws.bufferedAmount > this.config.conflateBytes) {
      if (!subscription.stale) this.metrics.conflations++;
      subscription.stale = true;
      this.#markBehind();
      return false;
    }
    this.#send(data);
    return true;
  }

  /** Whether the outbound buffer has drained enough to catch stale subscriptions up. */
  get drained(): boolean {
    return this.ws.bufferedAmount <= this.config.conflateBytes / 2;
  }

  /** Counts a request refused for rate limiting; true when the connection should be closed as a flood. */
  countRefusal(): boolean {
    const now = this.clock();
    if (now - this.#refusedWindowStart >= 1000) {
      this.#refusedWindowStart = now;
      this.#refusedCount = 0;
    }
    this.#refusedCount++;
    return this.#refusedCount > this.config.maxRefusedPerSecond;
  }

  /** Sends a close frame; if the peer does not complete the handshake within closeGraceMs, drops the socket. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), this.config.closeGraceMs).unref();
  }

  #markBehind(): void {
    if (this.behind) return;
    this.behind = true;
    this.onBehind(this);
  }

  #send(data: string | Buffer): void {
    this.metrics.framesOut++;
    this.batch.hold(this.socket);
    this.ws.send(data, TEXT);
  }
}
