/**
 * Express adapter for the shared rate limits: spends the operation's weight from the caller's
 * key and IP budgets (and, for order entry, one order from the account's order-rate budget), sets
 * the RateLimit-Policy and RateLimit header fields, and passes a 429 ApiError when refused.
 * Mount it after `authenticate` so the key and account are known.
 */
import type { RequestHandler } from 'express';
import type { Principal } from '../../../auth/index.js';
import { ORDER_RATE_OPERATIONS, mergeDecisions, rateLimitedError, type OrderRateLimiter, type RequestRateLimiter } from '../../../limits/index.js';

export interface RateLimiters {
  requests: RequestRateLimiter;
  orders?: OrderRateLimiter;
}

export function rateLimit(limiters: RateLimiters, operationId: string): RequestHandler {
  const spendsOrders = ORDER_RATE_OPERATIONS.has(operationId);
  return (req, res, next) => {
    const principal = res.locals.principal as Principal | undefined;
    const ip = req.ip ?? req.socket.remoteAddress ?? '';
    (async () => {
      let decision = await limiters.requests.consume(operationId, { ip, keyId: principal?.keyId });
      if (decision.allowed && spendsOrders && principal && limiters.orders) {
        decision = mergeDecisions(decision, await limiters.orders.consume(principal.accountId));
      }
      if (!decision.allowed) return next(rateLimitedError(decision));
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      next();
    })().catch(next);
  };
}
