/**
 * A worker's side of the core: a HandlerMap whose every handler forwards the call to the core
 * process and returns (or throws) what the core's handler did, and the worker's readiness, which
 * is the core's as last reported by a ping.
 *
 * A call the core does not answer in time, or one pending when the channel closes, fails with a
 * 503 SERVICE_UNAVAILABLE problem (the contract documents 503 on every operation). The outcome of
 * such a call is unknown: an order may still have been accepted, so clients query by client order id.
 */
import { ApiError } from '../../../errors/api-error.js';
import { injectTraceContext } from '../../../observability/tracing.js';
import type { HandlerMap, HandlerRequest, OperationId } from '../operations.js';
import type { Readiness } from '../service-routes.js';
import type { Channel } from './channel.js';
import { PendingReplies } from './pending-replies.js';
import { deserializeError, FORWARDED_HEADERS, type CoreToWorker, type ForwardedHeaders, type WorkerToCore } from './protocol.js';

export interface CoreLinkOptions {
  /** How long a handler call may wait for the core (default 10 s). */
  callTimeoutMs?: number;
  /** How often to ask the core for its readiness (default 1 s). */
  pingEveryMs?: number;
  /** A readiness answer older than this counts as the core unreachable (default 3 pings). */
  readinessMaxAgeMs?: number;
  now?: () => number;
}

interface HandlerResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function coreUnavailable(detail: string): ApiError {
  return new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', detail, headers: { 'Retry-After': '1' } });
}

export class CoreLink {
  readonly #channel: Channel<CoreToWorker, WorkerToCore>;
  readonly #pending: PendingReplies<HandlerResult>;
  readonly #readinessMaxAgeMs: number;
  readonly #now: () => number;
  readonly #pinger: NodeJS.Timeout;
  readonly #stopListening: () => void;
  #nextPingId = 1;
  #lastPong: { at: number; readiness: Readiness } | undefined;
  #closed = false;

  constructor(channel: Channel<CoreToWorker, WorkerToCore>, options: CoreLinkOptions = {}) {
    this.#channel = channel;
    this.#pending = new PendingReplies(options.callTimeoutMs ?? 10_000, () =>
      coreUnavailable('The trading core did not answer in time. The request may still take effect: an order can be queried by its client order id.'));
    const pingEveryMs = options.pingEveryMs ?? 1000;
    this.#readinessMaxAgeMs = options.readinessMaxAgeMs ?? 3 * pingEveryMs;
    this.#now = options.now ?? Date.now;
    this.#stopListening = channel.onMessage((message) => this.#receive(message));
    channel.onClose(() => this.#failPending('The trading core is unreachable.'));
    this.#ping();
    this.#pinger = setInterval(() => this.#ping(), pingEveryMs);
    this.#pinger.unref();
  }

  /** Calls the core's handler for `operationId` with this request. */
  call(operationId: OperationId, req: HandlerRequest<OperationId>): Promise<HandlerResult> {
    if (this.#closed || !this.#channel.connected) return Promise.reject(coreUnavailable('The trading core is unreachable.'));
    const { id, reply } = this.#pending.open();
    try {
      this.#channel.send({
        type: 'rest-worker:call', id, operationId,
        path: req.path as Record<string, unknown>, query: req.query as Record<string, unknown>, body: req.body,
        principal: req.principal, requestId: req.requestId, ip: req.ip, headers: forwardedHeaders(req.headers),
        traceContext: injectTraceContext(),
      });
    } catch (err) {
      this.#pending.reject(id, err instanceof Error ? err : new Error(String(err)));
    }
    return reply;
  }

  /** Ready while the core answers pings and reports itself ready. */
  readiness(): Readiness {
    const pong = this.#lastPong;
    const fresh = pong !== undefined && this.#channel.connected && this.#now() - pong.at <= this.#readinessMaxAgeMs;
    if (!fresh) return { ready: false, checks: { core: { ok: false, detail: 'the trading core process is unreachable' } } };
    return { ready: pong.readiness.ready, checks: { core: { ok: true }, ...pong.readiness.checks } };
  }

  /** Stops pinging and fails whatever is still pending. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#pinger);
    this.#stopListening();
    this.#failPending('The gateway is shutting down.');
  }

  #ping(): void {
    this.#channel.send({ type: 'rest-worker:ping', id: this.#nextPingId++ });
  }

  #receive(message: CoreToWorker): void {
    if (message.type === 'rest-worker:pong') {
      this.#lastPong = { at: this.#now(), readiness: message.readiness };
    } else if (message.type === 'rest-worker:reply') {
      if (message.ok) this.#pending.resolve(message.id, { status: message.status, body: message.body, ...(message.headers && { headers: message.headers }) });
      else this.#pending.reject(message.id, deserializeError(message.error));
    }
  }

  #failPending(detail: string): void {
    this.#pending.rejectAll(() => coreUnavailable(detail));
  }
}

/** The headers of `headers` that a handler may read (FORWARDED_HEADERS). */
function forwardedHeaders(headers: HandlerRequest<OperationId>['headers']): ForwardedHeaders {
  const forwarded: ForwardedHeaders = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name];
    if (value !== undefined) forwarded[name] = value;
  }
  return forwarded;
}

/** A complete HandlerMap for these operations, each forwarding to the core through `link`. */
export function remoteHandlers(link: CoreLink, operationIds: readonly OperationId[]): HandlerMap {
  const entries = operationIds.map((operationId) => [operationId, (req: HandlerRequest<OperationId>) => link.call(operationId, req)]);
  return Object.fromEntries(entries) as unknown as HandlerMap;
}
