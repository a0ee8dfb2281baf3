/**
 * Throttling of repeated authentication failures, per client IP and per key id. Reaching
 * `maxFailures` inside `failureWindowSeconds` locks the subject out; each further lockout within
 * `levelMemorySeconds` doubles the lock (base, 2×base, 4×base, ... up to maxLockoutSeconds).
 * Counters live in rate-limiter-flexible limiters, so a shared store can back them.
 */
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { memoryLimiterFactory, type LimiterFactory } from '../limits/limiter-store.js';

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

export type LockoutState = { locked: false } | { locked: true; retryAfterSeconds: number };

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
    return { locked: false };
  }

  async fail(id: string): Promise<void> {
    const res: RateLimiterRes = await this.#failures.penalty(id, 1);
    if (res.consumedPoints < this.#policy.maxFailures) return;
    const level = (await this.#levels.penalty(id, 1)).consumedPoints;
    const seconds = Math.min(this.#policy.baseLockoutSeconds * 2 ** Math.min(level - 1, 40), this.#policy.maxLockoutSeconds);
    await this.#failures.block(id, seconds);
  }

  async reset(id: string): Promise<void> {
    // Nearly every success finds no failures: a read then costs far less than a delete, which in a
    // shared store is a write on every authenticated request.
    const res = await this.#failures.get(id);
    if (res && res.consumedPoints > 0) await this.#failures.delete(id);
  }
}

export interface AuthLockoutOptions {
  factory?: LimiterFactory;
  ip?: LockoutPolicy;
  key?: LockoutPolicy;
}

export class AuthLockout {
  readonly #ip: Subject;
  readonly #key: Subject;

  constructor(options: AuthLockoutOptions = {}) {
    const factory = options.factory ?? memoryLimiterFactory;
    this.#ip = new Subject('ip', options.ip ?? DEFAULT_IP_LOCKOUT, factory);
    this.#key = new Subject('key', options.key ?? DEFAULT_KEY_LOCKOUT, factory);
  }

  /** Locked if either the IP or the key id is locked; reports the longer wait. */
  async check(ip: string, keyId: string | undefined): Promise<LockoutState> {
    const states = await Promise.all([this.#ip.state(ip), keyId === undefined ? { locked: false as const } : this.#key.state(keyId)]);
    let retryAfterSeconds = 0;
    for (const s of states) if (s.locked) retryAfterSeconds = Math.max(retryAfterSeconds, s.retryAfterSeconds);
    return retryAfterSeconds > 0 ? { locked: true, retryAfterSeconds } : { locked: false };
  }

  async recordFailure(ip: string, keyId: string | undefined): Promise<void> {
    await Promise.all([this.#ip.fail(ip), keyId === undefined ? undefined : this.#key.fail(keyId)]);
  }

  /** A success clears the key's failure count (not its lockout level, nor the IP's count). */
  async recordSuccess(keyId: string): Promise<void> {
    await this.#key.reset(keyId);
  }
}
