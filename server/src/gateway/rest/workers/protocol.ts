/**
 * The messages between the core process and its REST gateway workers, over the cluster IPC
 * channel (JSON). A worker does the per-request gateway work itself and sends the core only the
 * handler call; the core answers with the handler's result or a serialized error.
 *
 *   worker → core   hello (listening for messages), ready (listening for HTTP), ping, call,
 *                   metrics (answers collect-metrics), scrape
 *   core → worker   start (answers hello), pong, reply (answers call), drain,
 *                   collect-metrics, exposition (answers scrape)
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../../config/schema.js';
import { ApiError } from '../../../errors/api-error.js';
import { DurabilityError } from '../../../sequencer/api.js';
import type { OperationId, Principal } from '../operations.js';
import type { Readiness } from '../service-routes.js';

/** The worker's message listener is in place: the core may send `start` now. */
export interface HelloMessage {
  type: 'rest-worker:hello';
}

/** Everything a worker needs to serve: sent once, right after the fork, so no secret sits in its environment. */
export interface StartMessage {
  type: 'rest-worker:start';
  config: Config;
  /** The resolved key that opens API key secrets (the core may have generated it in demo mode). */
  secretsKey: string;
  /** Where to listen: the configured port, or the one the first worker got when that was 0. */
  port: number;
  /** The operations the core's handlers serve, so the worker need not read the contract a second time to list them. */
  operationIds: OperationId[];
}

export interface ReadyMessage {
  type: 'rest-worker:ready';
  port: number;
}

/** Stop accepting connections, finish in-flight requests, exit. */
export interface DrainMessage {
  type: 'rest-worker:drain';
  graceMs: number;
}

export interface PingMessage {
  type: 'rest-worker:ping';
  id: number;
}

export interface PongMessage {
  type: 'rest-worker:pong';
  id: number;
  readiness: Readiness;
}

/**
 * The request headers a handler may read. Only these cross to the core: the rest (signatures,
 * user agent, ...) served the worker's own checks, and serialising them on every call costs both sides.
 */
export const FORWARDED_HEADERS = ['idempotency-key', 'host'] as const;
export type ForwardedHeaders = Partial<Record<(typeof FORWARDED_HEADERS)[number], string | string[]>>;

/** One handler call: the HandlerRequest of routes.ts (headers limited to FORWARDED_HEADERS), plus the operation and a correlation id. */
export interface CallMessage {
  type: 'rest-worker:call';
  id: number;
  operationId: OperationId;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  principal: Principal | undefined;
  requestId: string;
  ip: string;
  headers: ForwardedHeaders;
  /** The worker's request span (W3C `traceparent`, `tracestate`), so the core's spans join its trace. */
  traceContext?: Record<string, string>;
}

export type SerializedError =
  | { kind: 'api'; status: number; code: string; detail: string; headers?: Record<string, string>; extra?: Record<string, unknown> }
  | { kind: 'durability'; message: string }
  | { kind: 'internal'; message: string };

export type ReplyMessage =
  | { type: 'rest-worker:reply'; id: number; ok: true; status: number; body: unknown; headers?: Record<string, string> }
  | { type: 'rest-worker:reply'; id: number; ok: false; error: SerializedError };

/** A worker's metrics registry, as prom-client's getMetricsAsJSON() gives it. */
export type RegistrySnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The core asks a worker for its registry, to sum it with the others. */
export interface CollectMetricsMessage {
  type: 'rest-worker:collect-metrics';
  id: number;
}

export type MetricsMessage =
  | { type: 'rest-worker:metrics'; id: number; ok: true; metrics: RegistrySnapshot }
  | { type: 'rest-worker:metrics'; id: number; ok: false; error: string };

/** A worker's /metrics asks the core for the view summed over every process. */
export interface ScrapeMessage {
  type: 'rest-worker:scrape';
  id: number;
}

export type ExpositionMessage =
  | { type: 'rest-worker:exposition'; id: number; ok: true; text: string }
  | { type: 'rest-worker:exposition'; id: number; ok: false; error: string };

export type CoreToWorker = StartMessage | DrainMessage | PongMessage | ReplyMessage | CollectMetricsMessage | ExpositionMessage;
export type WorkerToCore = HelloMessage | ReadyMessage | PingMessage | CallMessage | MetricsMessage | ScrapeMessage;

const TYPES = new Set([
  'rest-worker:hello', 'rest-worker:start', 'rest-worker:ready', 'rest-worker:drain', 'rest-worker:ping', 'rest-worker:pong',
  'rest-worker:call', 'rest-worker:reply', 'rest-worker:collect-metrics', 'rest-worker:metrics', 'rest-worker:scrape', 'rest-worker:exposition',
]);

/**
 * True for a message of this protocol. The IPC channel also carries node's own cluster messages,
 * and would carry prom-client's (`prom-client:*`) if its AggregatorRegistry were ever constructed;
 * the `rest-worker:` types keep them apart.
 */
export function isProtocolMessage(message: unknown): message is CoreToWorker | WorkerToCore {
  return typeof message === 'object' && message !== null && TYPES.has((message as { type?: unknown }).type as string);
}

/** What crosses the channel for a thrown error: enough to rebuild the same problem response. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof ApiError) {
    return {
      kind: 'api', status: err.status, code: err.code, detail: err.detail,
      ...(err.headers && { headers: err.headers }), ...(err.extra && { extra: err.extra }),
    };
  }
  if (err instanceof DurabilityError) return { kind: 'durability', message: err.message };
  return { kind: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** The error the worker throws in place of the core's, so problem.ts renders it as the core would have. */
export function deserializeError(error: SerializedError): Error {
  switch (error.kind) {
    case 'api':
      return new ApiError({
        status: error.status, code: error.code, detail: error.detail,
        ...(error.headers && { headers: error.headers }), ...(error.extra && { extra: error.extra }),
      });
    case 'durability':
      return new DurabilityError(error.message);
    case 'internal':
      return new Error(`core handler failed: ${error.message}`);
  }
}
