/**
 * The checks every REST operation passes before its handler, the same in the core process and in
 * each REST gateway worker: private operations authenticate first, so the limits can charge the
 * key as well as the IP; then the operation's weight is spent. Refused requests spend from the IP budget.
 */
import type { ErrorRequestHandler } from 'express';
import type { RequestVerifier, Scope } from '../../auth/index.js';
import type { RequestRateLimiter } from '../../limits/index.js';
import { authenticate } from './middleware/auth.js';
import { rateLimit, rateLimitRefusals } from './middleware/rate-limit.js';
import type { BeforeHandler } from './routes.js';

export interface RestCheckDeps {
  verifier: RequestVerifier;
  requestLimiter: RequestRateLimiter;
  /** Demo mode: AUTH_INVALID problems show the server's canonical string. */
  explainSignatures?: boolean;
}

export interface RestChecks {
  /** For createRestApp's `before`. */
  before: BeforeHandler;
  /** For createRestApp's `onRefused`. */
  onRefused: ErrorRequestHandler;
}

export function restChecks({ verifier, requestLimiter, explainSignatures = false }: RestCheckDeps): RestChecks {
  const limiters = { requests: requestLimiter };
  return {
    before: (op) => [
      ...(op.private ? [authenticate(verifier, op.scope as Scope | undefined, { explainSignatures })] : []),
      rateLimit(limiters, op.operationId),
    ],
    onRefused: rateLimitRefusals(limiters),
  };
}
