/**
 * Where rate-limiter-flexible counters live. Every such limiter (the authentication lockouts in
 * auth/) is made through a LimiterFactory, so moving from one process to a shared store is one
 * line: pass `(spec) => new RateLimiterRedis({ storeClient: redis, ...spec })` instead of the
 * memory default. Token buckets and rolling windows have stores of their own (bucket-store.ts,
 * window-store.ts).
 */
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimiterSpec {
  /** Namespaces the counters of one limiter inside a shared store. */
  keyPrefix: string;
  /** Units allowed per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

export type LimiterFactory = (spec: LimiterSpec) => RateLimiterAbstract;

/** Counters in this process's memory: the default for a single gateway process. */
export const memoryLimiterFactory: LimiterFactory = (spec) => new RateLimiterMemory({ ...spec });
