/**
 * Throttling of repeated authentication failures, per client IP and per key id. Reaching
 * `maxFailures` inside `failureWindowSeconds` locks the subject out; each further lockout within
 * `levelMemorySeconds` doubles the lock (base, 2×base, 4×base, ... up to maxLockoutSeconds).
 * Counters live in rate-limiter-flexible limiters, so a shared store can back them.
 */
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { memoryLimiterFactory, type LimiterFactory } from '../limits/counter-store.js';

export interface LockoutPolicy {
  /** Failures inside the failure window that start a lockout. */
  maxFailures: number;
  failureWindowSeconds: number;
  /** Length of the first lockout. */
  baseLockoutSeconds: number;
  maxLockoutSeconds: number;
  /** How long past lockouts are remembered for the doubling. */
  levelMemorySeconds: number;
}

export const DEFAULT_IP_LOCKOUT: LockoutPolicy = {
  maxFailures: 20,
  failureWindowSeconds: 60,
  baseLockoutSeconds: 10,
  maxLockoutSeconds: 900,
  levelMemorySeconds: 86_400,
};

export const DEFAULT_KEY_LOCKOUT: LockoutPolicy = {
  maxFailures: 10,
  failureWindowSeconds: 60,
  baseLockoutSeconds: 10,
  maxLockoutSeconds: 900,
  levelMemorySeconds: 86_400,
};

/** `failures`: the subject's failures inside the current failure window (0 when locked out). */
export type LockoutState = { locked: false; failures: number } | { locked: true; retryAfterSeconds: number };

/** One throttled dimension (IP or key): a failure counter and a lockout-level counter. */
class Subject {
  readonly #failures: RateLimiterAbstract;
  readonly #levels: RateLimiterAbstract;
  readonly #policy: LockoutPolicy;

  constructor(name: string, policy: LockoutPolicy, factory: LimiterFactory) {
    this.#policy = policy;
    this.#failures = factory({ keyPrefix: `auth-fail-${name}`, points: policy.maxFailures, duration: policy.failureWindowSeconds });
    this.#levels = factory({ keyPrefix: `auth-lock-${name}`, points: Number.MAX_SAFE_INTEGER, duration: policy.levelMemorySeconds });
  }

  async state(id: string): Promise<LockoutState> {
    const res = await this.#failures.get(id);
    // A lock is written by block(), which sets consumed points above the limit.
    if (res && res.consumedPoints > this.#policy.maxFailures && res.msBeforeNext > 0) {
      return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
    }
    return { locked: false, failures: res && res.msBeforeNext > 0 ? Math.max(0, res.consumedPoints) : 0 };
  }

  /** Counts a failure; true when it started a lockout. */
  async fail(id: string): Promise<boolean> {
    const res: RateLimiterRes = await this.#failures.penalty(id, 1);
    if (res.consumedPoints < this.#policy.maxFailures) return false;
    const level = (await this.#levels.penalty(id, 1)).consumedPoints;
    const seconds = Math.min(this.#policy.baseLockoutSeconds * 2 ** Math.min(level - 1, 40), this.#policy.maxLockoutSeconds);
    await this.#failures.block(id, seconds);
    return true;
  }

  async reset(id: string): Promise<void> {
    await this.#failures.delete(id);
  }
}

export interface AuthLockoutOptions {
  factory?: LimiterFactory;
  ip?: LockoutPolicy;
  key?: LockoutPolicy;
  /** Told each time a lockout starts, and on which subject (metrics). */
  onLockout?: ((subject: 'ip' | 'key') => void) | undefined;
}

export class AuthLockout {
  readonly #ip: Subject;
  readonly #key: Subject;
  readonly #onLockout: ((subject: 'ip' | 'key') => void) | undefined;

  constructor(options: AuthLockoutOptions = {}) {
    this.#onLockout = options.onLockout;
    const factory = options.factory ?? memoryLimiterFactory;
    this.#ip = new Subject('ip', options.ip ?? DEFAULT_IP_LOCKOUT, factory);
    this.#key = new Subject('key', options.key ?? DEFAULT_KEY_LOCKOUT, factory);
  }

  /**
   * Locked if either the IP or the key id is locked; reports the longer wait. When not locked,
   * `keyFailures` tells whether a success has anything to clear (see recordSuccess).
   */
  async check(ip: string, keyId: string | undefined): Promise<{ locked: false; keyFailures: number } | { locked: true; retryAfterSeconds: number }> {
    const [ipState, keyState] = await Promise.all([this.#ip.state(ip), keyId === undefined ? undefined : this.#key.state(keyId)]);
    let retryAfterSeconds = 0;
    for (const s of [ipState, keyState]) if (s?.locked) retryAfterSeconds = Math.max(retryAfterSeconds, s.retryAfterSeconds);
    if (retryAfterSeconds > 0) return { locked: true, retryAfterSeconds };
    return { locked: false, keyFailures: keyState && !keyState.locked ? keyState.failures : 0 };
  }

  async recordFailure(ip: string, keyId: string | undefined): Promise<void> {
    const [ipLocked, keyLocked] = await Promise.all([this.#ip.fail(ip), keyId === undefined ? false : this.#key.fail(keyId)]);
    if (ipLocked) this.#onLockout?.('ip');
    if (keyLocked) this.#onLockout?.('key');
  }

  /**
   * A success clears the key's failure count (not its lockout level, nor the IP's count). Callers
   * skip it when check() found no failures: nearly every request, and in a shared store the clear
   * would be a write on each of them.
   */
  async recordSuccess(keyId: string): Promise<void> {
    await this.#key.reset(keyId);
  }
}
