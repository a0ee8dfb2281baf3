/** The callbacks the limiters, the lockout and the verifier take, counting into the trading metrics. */
import type { AuthErrorCode } from '../auth/errors.js';
import { currentChannel } from './tracing.js';
import type { TradingMetrics } from './trading-metrics.js';

export interface RefusalHooks {
  onRequestRefused: (refusedBy: readonly string[]) => void;
  onOrderRefused: (refusedBy: readonly string[]) => void;
  /** A new order refused by an order-rate limit: one `rate_limited` order on the current channel. */
  onOrderRateLimited: () => void;
  onLockout: (subject: 'ip' | 'key') => void;
  onAuthFailure: (code: AuthErrorCode) => void;
}

export function refusalHooks(metrics: TradingMetrics): RefusalHooks {
  return {
    onRequestRefused: (refusedBy) => {
      for (const policy of refusedBy) metrics.rateLimitRefusals.inc({ limit: 'request', policy });
    },
    onOrderRefused: (refusedBy) => {
      for (const policy of refusedBy) metrics.rateLimitRefusals.inc({ limit: 'order', policy });
    },
    onOrderRateLimited: () => metrics.orders.inc({ channel: currentChannel(), outcome: 'rate_limited' }),
    onLockout: (subject) => metrics.authLockouts.inc({ subject }),
    onAuthFailure: (code) => metrics.authFailures.inc({ code }),
  };
}
