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
    return this.spend(accountId, orders);
  }

  /**
   * `consume`, answered at once (no promise) when the windows are in this process, as they are
   * unless a shared store (Redis) is configured: order entry then decides within the same turn.
   */
  spend(accountId: string, orders = 1): RateLimitDecision | Promise<RateLimitDecision> {
    const subject = { account: accountId };
    const atOnce = this.#quota.consumeNow(subject, orders);
    if (atOnce) return this.#told(atOnce);
    return this.#quota.consume(subject, orders).then((decision) => this.#told(decision));
  }

  /**
   * `spend` for a caller that keeps nothing of an allowed decision (order entry): true when the
   * orders fitted and were spent at once, in place, allocating nothing (windows in this process's
   * memory); otherwise what `spend` answers (a refusal, or a decision of another store).
   */
  trySpend(accountId: string, orders = 1): true | RateLimitDecision | Promise<RateLimitDecision> {
    if (this.#quota.spendInPlace('account', accountId, orders)) return true;
    return this.spend(accountId, orders);
  }

  #told(decision: RateLimitDecision): RateLimitDecision {
    if (!decision.allowed) this.#onRefused?.(decision.refusedBy);
    return decision;
  }

  usage(accountId: string): Promise<RateLimitUsage[]> {
    return this.#quota.peek({ account: accountId });
  }
}
