/**
 * Express adapter for the request-weight limits: spends the operation's weight from the caller's
 * key and IP budgets, sets the RateLimit-Policy and RateLimit header fields, and passes a 429
 * ApiError when refused. Mount it after `authenticate` so the key is known. Order-rate budgets are
 * spent by order entry (order-entry/), the same for every channel.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Principal } from '../../../auth/index.js';
import { ApiError } from '../../../errors/api-error.js';
import { UNMATCHED_OPERATION } from '../request-context.js';
import { rateLimitedError, type RequestRateLimiter } from '../../../limits/index.js';

export interface RateLimiters {
  requests: RequestRateLimiter;
}

function limitsUnavailable(): ApiError {
  return new ApiError({
    status: 503,
    code: 'AUTH_UNAVAILABLE',
    detail: 'The rate-limit store cannot be reached; the request was refused rather than let through unlimited.',
    headers: { 'Retry-After': '1' },
  });
}

/** res.locals key: set once the request's own operation limiter has decided on it. */
const CHARGED = 'rateLimitCharged';

export function rateLimit(limiters: RateLimiters, operationId: string): RequestHandler {
  return (req, res, next) => {
    const principal = res.locals.principal as Principal | undefined;
    const ip = req.ip ?? req.socket.remoteAddress ?? '';
    (async () => {
      let decision;
      try {
        decision = await limiters.requests.consume(operationId, { ip, keyId: principal?.keyId });
      } catch {
        // A shared limit store (Redis) that cannot be reached refuses the request: fail closed.
        return next(limitsUnavailable());
      }
      // Admitted or refused, this request has been charged: rateLimitRefusals must not charge it again.
      res.locals[CHARGED] = true;
      if (!decision.allowed) return next(rateLimitedError(decision));
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      next();
    })().catch(next);
  };
}

/**
 * Requests refused before their operation's limiter ran (malformed JSON, a failed contract check,
 * a failed signature, an unknown route) still spend their weight from the client IP's budget, and
 * their responses carry the RateLimit fields like every other /v1 response. Without this, invalid
 * requests would be free, and a client could not see its budget on an error. Mount it as an error
 * handler just before the problem-details handler.
 */
export function rateLimitRefusals(limiters: RateLimiters): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent || res.locals[CHARGED] === true) return next(err);
    const operationId = String(res.locals.operationId ?? UNMATCHED_OPERATION);
    limiters.requests.consume(operationId, { ip: req.ip ?? req.socket.remoteAddress ?? '' }).then(
      (decision) => {
        if (!decision.allowed) return next(rateLimitedError(decision));
        for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
        next(err);
      },
      // A failing limiter store must not hide the original error.
      () => next(err),
    );
  };
}
