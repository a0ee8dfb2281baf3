/**
 * Order-rate limits per account, shared by every channel: REST, WebSocket and FIX all call
 * `consume(accountId)` for each new or amended order, so a client cannot exceed the rate by
 * spreading orders over channels.
 */
import { memoryLimiterFactory, type LimiterFactory } from './limiter-store.js';
import { ORDER_POLICIES, type RateLimitPolicy } from './policies.js';
import { QuotaLimiter, type RateLimitDecision } from './quota-limiter.js';
import type { RateLimitUsage } from './headers.js';

export interface OrderLimiterOptions {
  factory?: LimiterFactory;
  policies?: readonly RateLimitPolicy[];
}

export class OrderRateLimiter {
  readonly #quota: QuotaLimiter;

  constructor(options: OrderLimiterOptions = {}) {
    this.#quota = new QuotaLimiter(options.policies ?? ORDER_POLICIES, options.factory ?? memoryLimiterFactory);
  }

  /** Spends `orders` (default 1) from every order policy of the account, or refuses. */
  consume(accountId: string, orders = 1): Promise<RateLimitDecision> {
    return this.#quota.consume({ account: accountId }, orders);
  }

  usage(accountId: string): Promise<RateLimitUsage[]> {
    return this.#quota.peek({ account: accountId });
  }
}
