/**
 * The published rate-limit policies and operation weights: plain data, so the API docs and the
 * OpenAPI description can reference the same numbers the limiter enforces.
 */
import type { Config } from '../config/schema.js';

/** What a policy's counter is partitioned by. */
export type PolicyScope = 'key' | 'ip' | 'account';

/**
 * How a policy counts:
 * - token-bucket: the budget holds up to `quota` units (the largest burst) and refills
 *   continuously at `quota` units per `windowSeconds`; used for request weights.
 * - rolling-window: at most `quota` units in any `windowSeconds`, counted in buckets of
 *   `rollingBucketMs`; used for order rates.
 */
export type PolicyKind = 'token-bucket' | 'rolling-window';

interface PolicyCommon {
  /** The policy name used in the RateLimit-Policy and RateLimit header fields. */
  name: string;
  scope: PolicyScope;
  /** Units (request weight, or orders) allowed per window; a token bucket's capacity. */
  quota: number;
  /** Window length in seconds; a token bucket refills from empty to full in this time. */
  windowSeconds: number;
  description: string;
}

/** A policy is a token bucket unless it says otherwise, so `kind` may be left out. */
export interface TokenBucketPolicy extends PolicyCommon {
  kind?: 'token-bucket';
  rollingBucketMs?: never;
}

export interface RollingWindowPolicy extends PolicyCommon {
  kind: 'rolling-window';
  /** Time is counted in buckets of this many ms (the window must be a whole number of buckets). */
  rollingBucketMs: number;
}

export type RateLimitPolicy = TokenBucketPolicy | RollingWindowPolicy;

/** Request-weight policies: every REST request and WebSocket request spends its operation's weight. */
export const REQUEST_POLICIES = [
  { name: 'key', kind: 'token-bucket', scope: 'key', quota: 100, windowSeconds: 1, description: 'Request weight per API key: bursts up to the quota, refilled at the quota per second (authenticated requests).' },
  { name: 'ip', kind: 'token-bucket', scope: 'ip', quota: 300, windowSeconds: 1, description: 'Request weight per client IP address: bursts up to the quota, refilled at the quota per second (all requests).' },
] as const satisfies readonly RateLimitPolicy[];

/** Order-rate policies per account, over every channel (REST, WebSocket, FIX) together. */
export const ORDER_POLICIES = [
  { name: 'orders-1s', kind: 'rolling-window', scope: 'account', quota: 10, windowSeconds: 1, rollingBucketMs: 100, description: 'New and amended orders per account in any rolling second (cancels are never order-rate limited).' },
  { name: 'orders-10s', kind: 'rolling-window', scope: 'account', quota: 50, windowSeconds: 10, rollingBucketMs: 1000, description: 'New and amended orders per account in any rolling 10 seconds.' },
] as const satisfies readonly RateLimitPolicy[];

export const RATE_LIMIT_POLICIES: readonly RateLimitPolicy[] = [...REQUEST_POLICIES, ...ORDER_POLICIES];

/**
 * Operations that also spend the account's order-rate budget. Cancels are left out on purpose:
 * a client that hit its limit must still be able to reduce its risk.
 */
export const ORDER_RATE_OPERATIONS: ReadonlySet<string> = new Set(['placeOrder', 'amendOrder']);

/** Weight of an operation not listed in OPERATION_WEIGHTS. */
export const DEFAULT_OPERATION_WEIGHT = 1;

/**
 * Request weight per operation id (the OpenAPI operationId; WebSocket and FIX requests use the id
 * of the equivalent REST operation). Costly reads weigh more.
 */
export const OPERATION_WEIGHTS: Readonly<Record<string, number>> = {
  getServerTime: 1,
  listInstruments: 1,
  listTickers: 1,
  getOrderBook: 5,
  listTrades: 5,
  getCandles: 5,
  getBalances: 2,
  getAccount: 1,
  getOrder: 1,
  listOpenOrders: 5,
  listOrders: 10,
  listFills: 10,
  placeOrder: 1,
  amendOrder: 1,
  cancelOrder: 1,
  cancelAllOrders: 5,
  listApiKeys: 2,
  createApiKey: 10,
  revokeApiKey: 2,
  wsLogin: 5,
  wsSubscribe: 1,
};

export function operationWeight(operationId: string, weights: Readonly<Record<string, number>> = OPERATION_WEIGHTS): number {
  return Object.hasOwn(weights, operationId) ? (weights[operationId] ?? DEFAULT_OPERATION_WEIGHT) : DEFAULT_OPERATION_WEIGHT;
}

// The published policies with the quotas a deployment configured.

const QUOTA_OF: Record<string, (l: Config['limits']) => number> = {
  key: (l) => l.keyWeightPerSecond,
  ip: (l) => l.ipWeightPerSecond,
  'orders-1s': (l) => l.ordersPerSecond,
  'orders-10s': (l) => l.ordersPer10Seconds,
};

function configure(policies: readonly RateLimitPolicy[], limits: Config['limits']): RateLimitPolicy[] {
  return policies.map((p) => ({ ...p, quota: QUOTA_OF[p.name]?.(limits) ?? p.quota }));
}

export function configuredRequestPolicies(limits: Config['limits']): RateLimitPolicy[] {
  return configure(REQUEST_POLICIES, limits);
}

export function configuredOrderPolicies(limits: Config['limits']): RateLimitPolicy[] {
  return configure(ORDER_POLICIES, limits);
}
