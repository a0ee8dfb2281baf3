/**
 * Request-weight limits: each request spends its operation's weight from the per-key and per-IP
 * policies. Used by REST per request and by WebSocket per message.
 */
import { OPERATION_WEIGHTS, REQUEST_POLICIES, operationWeight, type RateLimitPolicy } from './policies.js';
import { QuotaLimiter, type LimitStores, type RateLimitDecision } from './quota-limiter.js';
import type { RateLimitUsage } from './headers.js';

/** `buckets` holds the key and IP token buckets: pass one shared store to share them between processes. */
export interface RequestLimiterOptions extends LimitStores {
  policies?: readonly RateLimitPolicy[];
  weights?: Readonly<Record<string, number>>;
  /** Told the names of the policies that refused a request (metrics). */
  onRefused?: ((refusedBy: readonly string[]) => void) | undefined;
}

export interface RequestCaller {
  ip: string;
  /** Absent for unauthenticated requests, which are limited by IP only. */
  keyId?: string | undefined;
}

export class RequestRateLimiter {
  readonly #quota: QuotaLimiter;
  readonly #weights: Readonly<Record<string, number>>;
  readonly #onRefused: ((refusedBy: readonly string[]) => void) | undefined;

  constructor(options: RequestLimiterOptions = {}) {
    this.#quota = new QuotaLimiter(options.policies ?? REQUEST_POLICIES, options);
    this.#onRefused = options.onRefused;
    this.#weights = options.weights ?? OPERATION_WEIGHTS;
    for (const [operationId, weight] of Object.entries(this.#weights)) {
      if (!Number.isSafeInteger(weight) || weight < 1 || weight > this.#quota.smallestQuota) {
        throw new Error(`weight of ${operationId} must be an integer from 1 to ${this.#quota.smallestQuota}`);
      }
    }
  }

  weightOf(operationId: string): number {
    return operationWeight(operationId, this.#weights);
  }

  /** Spends the operation's weight for this caller, or refuses with Retry-After. */
  async consume(operationId: string, caller: RequestCaller): Promise<RateLimitDecision> {
    const decision = await this.#quota.consume(subjectOf(caller), this.weightOf(operationId));
    if (!decision.allowed) this.#onRefused?.(decision.refusedBy);
    return decision;
  }

  /** Current usage of the caller's budgets, spending nothing. */
  usage(caller: RequestCaller): Promise<RateLimitUsage[]> {
    return this.#quota.peek(subjectOf(caller));
  }
}

function subjectOf(caller: RequestCaller) {
  return { ip: caller.ip, ...(caller.keyId !== undefined ? { key: caller.keyId } : {}) };
}
