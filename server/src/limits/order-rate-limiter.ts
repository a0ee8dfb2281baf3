/**
 * Order-rate limits per account, shared by every channel: REST, WebSocket and FIX all call
 * `consume(accountId)` for each new or amended order, so a client cannot exceed the rate by
 * spreading orders over channels.
 */
import { ORDER_POLICIES, type RateLimitPolicy } from './policies.js';
import { QuotaLimiter, type LimitStores, type RateLimitDecision } from './quota-limiter.js';
import type { RateLimitUsage } from './headers.js';

/** `windows` holds the rolling windows: pass one shared store to share them between processes. */
export interface OrderLimiterOptions extends LimitStores {
  policies?: readonly RateLimitPolicy[];
  /** Told the names of the policies that refused an order (metrics). */
  onRefused?: ((refusedBy: readonly string[]) => void) | undefined;
}

export class OrderRateLimiter {
  readonly #quota: QuotaLimiter;
  readonly #onRefused: ((refusedBy: readonly string[]) => void) | undefined;

  constructor(options: OrderLimiterOptions = {}) {
    this.#quota = new QuotaLimiter(options.policies ?? ORDER_POLICIES, options);
    this.#onRefused = options.onRefused;
  }

  /** Spends `orders` (default 1) from every order policy of the account, or refuses. */
  async consume(accountId: string, orders = 1): Promise<RateLimitDecision> {
    const decision = await this.#quota.consume({ account: accountId }, orders);
    if (!decision.allowed) this.#onRefused?.(decision.refusedBy);
    return decision;
  }

  usage(accountId: string): Promise<RateLimitUsage[]> {
    return this.#quota.peek({ account: accountId });
  }
}
