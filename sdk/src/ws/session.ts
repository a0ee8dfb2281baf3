/**
 * The client's session over successive connections: opens the socket, logs in on every
 * connection (correcting the signing clock from the welcome when the server says it is off),
 * restores the subscriptions, reconnects with jittered exponential backoff, and replaces a
 * connection that has gone quiet (an application `ping`, then a drop). Order requests are never
 * re-sent: one cut off by a lost connection rejects with a `ConnectionError` whose
 * `maybeDelivered` tells whether the server may have acted on it.
 */
import type { RateLimitUsageList, ServerMessage, Welcome } from '../../../generated/asyncapi.js';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import type { ClockSample } from '../clock.js';
import { ApiError, ConnectionError } from '../errors.js';
import type { RequestSigner } from '../signing.js';
import type { ArgsOf, LoginResult, RequestOp, ResultOf, WsEmitter } from './messages.js';
import { Subscriptions, type SubscriptionSession } from './subscriptions.js';
import { defaultWebSocket, messageText, PendingRequests, type WebSocketConstructor, type WebSocketLike } from './transport.js';

export interface ReconnectOptions extends BackoffOptions {
  enabled: boolean;
  /** Consecutive failed attempts after which the client gives up. */
  maxAttempts: number;
}

export interface SessionOptions {
  url: string;
  signer: RequestSigner | undefined;
  cancelOnDisconnect?: boolean | undefined;
  loginWindowMs?: number | undefined;
  reconnect?: Partial<ReconnectOptions> | undefined;
  requestTimeoutMs?: number | undefined;
  livenessMs?: number | undefined;
  WebSocket?: WebSocketConstructor | undefined;
  random?: (() => number) | undefined;
}

const DEFAULT_RECONNECT: ReconnectOptions = { enabled: true, baseMs: 250, maxMs: 10_000, maxAttempts: Number.POSITIVE_INFINITY };

/** Close codes after which reconnecting cannot help (the key was revoked or expired). */
const FATAL_CLOSE_CODES = new Set([4001]);

type State = 'idle' | 'connecting' | 'ready' | 'closed';

export class Session implements SubscriptionSession {
  /** The latest connection's welcome (its limits). */
  welcome: Welcome | undefined;
  /** The current login, once logged in. */
  login: LoginResult | undefined;
  /** Rate-limit usage reported by the latest reply. */
  rateLimit: RateLimitUsageList | undefined;
  readonly subscriptions: Subscriptions;
  readonly requestTimeoutMs: number;

  readonly #options: SessionOptions;
  readonly #events: WsEmitter;
  readonly #reconnect: ReconnectOptions;
  readonly #random: () => number;
  readonly #requests = new PendingRequests();
  #Ctor: WebSocketConstructor | undefined;
  #state: State = 'idle';
  #socket: WebSocketLike | undefined;
  #readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #livenessTimer: ReturnType<typeof setInterval> | undefined;
  #lastFrameAt = 0;
  #everOpened = false;

  constructor(options: SessionOptions, events: WsEmitter) {
    this.#options = options;
    this.#events = events;
    this.#reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#random = options.random ?? Math.random;
    this.#Ctor = options.WebSocket;
    this.subscriptions = new Subscriptions(this, events);
  }

  get ready(): boolean {
    return this.#state === 'ready';
  }

  readySocket(): WebSocketLike | undefined {
    return this.#state === 'ready' ? this.#socket : undefined;
  }

  currentSocket(): WebSocketLike | undefined {
    return this.#socket;
  }

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

  /** Waits for the session to be ready (connecting first if needed), then sends the request. */
  async request<Op extends RequestOp>(op: Op, args: ArgsOf<Op>): Promise<ResultOf<Op>> {
    return this.send(await this.#whenReady(), op, args);
  }

  /** Sends one request on `socket`, if it is still the current connection, and waits for its answer. */
  send<Op extends RequestOp>(socket: WebSocketLike | undefined, op: Op, args: ArgsOf<Op>, timeoutMs = this.requestTimeoutMs): Promise<ResultOf<Op>> {
    if (!socket || socket !== this.#socket) return Promise.reject(new ConnectionError(`not connected: ${op} was not sent`, false));
    return this.#requests.send(socket, op, args, timeoutMs) as Promise<ResultOf<Op>>;
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
      const socket = new this.#Ctor(this.#options.url);
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
      this.login = this.#options.signer ? await this.#logIn(socket, sample) : undefined;
      await this.subscriptions.restore(socket);
      if (socket !== this.#socket || this.#state === 'closed') return;
      this.#state = 'ready';
      this.#reconnectAttempt = 0;
      this.#startLiveness(socket, welcome);
      const reconnected = this.#everOpened;
      this.#everOpened = true;
      this.#settleReady();
      this.#events.emit('open', { reconnected, welcome, session: this.login });
    } catch (err) {
      if (socket !== this.#socket) return;
      // A refused login will be refused again: stop. Anything else (an unanswered login, say): start over.
      if (err instanceof ApiError) this.#fail(err);
      else this.#abandon(socket, err instanceof Error ? err.message : String(err));
    }
  }

  async #logIn(socket: WebSocketLike, sample: ClockSample): Promise<LoginResult> {
    const signer = this.#options.signer!;
    const login = async () =>
      this.send(socket, 'login', {
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

  #onSocketClosed(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    clearInterval(this.#livenessTimer);
    this.#requests.rejectAll((op) => new ConnectionError(`connection closed (${code}${reason ? ` ${reason}` : ''}) before the ${op} answer`, true));
    this.subscriptions.disconnected();
    this.login = undefined;
    const fatal = FATAL_CLOSE_CODES.has(code);
    const willReconnect = this.#state !== 'closed' && this.#reconnect.enabled && !fatal && this.#reconnectAttempt < this.#reconnect.maxAttempts;
    this.#events.emit('close', { code, reason, willReconnect });
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
    this.#events.emit('error', error);
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
    if (error) this.subscriptions.failed(error);
  }

  /** Waits until the session is ready (connecting first if needed), at most the request timeout. */
  async #whenReady(): Promise<WebSocketLike | undefined> {
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
        reject(new ConnectionError(`not connected within ${this.requestTimeoutMs} ms`, false));
      }, this.requestTimeoutMs);
      this.#readyWaiters.push(waiter);
      if (this.#state === 'idle') this.#open();
    });
    return this.#socket;
  }

  #startLiveness(socket: WebSocketLike, welcome: Welcome): void {
    const interval = Math.min(this.#options.livenessMs ?? 15_000, Math.max(100, Math.floor(welcome.limits.idleTimeoutMs / 3)));
    clearInterval(this.#livenessTimer);
    this.#livenessTimer = setInterval(() => {
      if (this.#localNow() - this.#lastFrameAt < interval) return;
      this.send(socket, 'ping', undefined, interval).catch(() => {
        if (socket === this.#socket) this.#abandon(socket, 'no answer to ping');
      });
    }, interval);
    (this.#livenessTimer as { unref?: () => void }).unref?.();
  }

  #localNow(): number {
    return this.#options.signer?.clock.localNow() ?? Date.now();
  }

  #onMessage(socket: WebSocketLike, text: string, sentAt: number): void {
    if (socket !== this.#socket) return;
    this.#lastFrameAt = this.#localNow();
    let frame: ServerMessage;
    try {
      frame = JSON.parse(text) as ServerMessage;
    } catch {
      this.#events.emit('error', new Error(`unreadable frame: ${text.slice(0, 200)}`));
      return;
    }
    this.#events.emit('frame', frame);
    switch (frame.type) {
      case 'welcome':
        void this.#handshake(socket, frame, { sentAt, receivedAt: this.#lastFrameAt, serverTime: frame.serverTime });
        return;
      case 'reply':
        this.rateLimit = frame.rateLimit;
        this.#requests.resolve(frame.id, frame.result);
        return;
      case 'error': {
        const error = ApiError.fromErrorFrame(frame);
        if (frame.rateLimit) this.rateLimit = frame.rateLimit;
        if (frame.id === null || !this.#requests.reject(frame.id, error)) this.#events.emit('error', error);
        return;
      }
      case 'book.snapshot':
      case 'book.update':
        this.subscriptions.onBookFrame(socket, frame);
        return;
      default:
        this.subscriptions.onStreamFrame(frame);
    }
  }
}
