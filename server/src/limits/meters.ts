/**
 * How one policy counts, on top of rate-limiter-flexible limiters made by a LimiterFactory:
 * - FixedWindowMeter: one counter per partition that resets `windowSeconds` after its first use.
 *   Cheap; used for request weights.
 * - RollingWindowMeter: time is cut into buckets of `bucketMs`; a request fits if the window's
 *   buckets (the current one and those before it, `windowSeconds / bucketMs` in all) plus its
 *   units stay within the quota. An accepted unit stops counting between `window - bucketMs` and
 *   `window` after it was spent, so there is no burst of twice the quota across a boundary and a
 *   client pacing exactly at the quota is never refused. Used for order rates.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LimiterFactory } from './limiter-store.js';
import type { RateLimitPolicy } from './policies.js';

export interface MeterReading {
  /** Units spent in the window (not counting a refused request). */
  consumed: number;
  /** Refused: ms until the request would fit. Otherwise: ms until some quota returns (0 if none is spent). */
  msBeforeNext: number;
}

export interface Meter {
  /** Spends `units` if they fit; reports `fits: false` (spending nothing) otherwise. */
  consume(partition: string, units: number): Promise<MeterReading & { fits: boolean }>;
  /** Gives back units spent by a request another policy refused. */
  refund(partition: string, units: number): Promise<void>;
  peek(partition: string): Promise<MeterReading>;
}

export class FixedWindowMeter implements Meter {
  readonly #limiter: RateLimiterAbstract;

  constructor(policy: RateLimitPolicy, factory: LimiterFactory) {
    this.#limiter = factory({ keyPrefix: `rl-${policy.name}`, points: policy.quota, duration: policy.windowSeconds });
  }

  async consume(partition: string, units: number) {
    try {
      const res = await this.#limiter.consume(partition, units);
      return { fits: true, consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext };
    } catch (reason) {
      if (!(reason instanceof RateLimiterRes)) throw reason;
      // The limiter counted the refused units; take them back so a refusal costs nothing.
      await this.#limiter.reward(partition, units);
      return { fits: false, consumed: reason.consumedPoints - units, msBeforeNext: reason.msBeforeNext };
    }
  }

  async refund(partition: string, units: number): Promise<void> {
    await this.#limiter.reward(partition, units);
  }

  async peek(partition: string): Promise<MeterReading> {
    const res = await this.#limiter.get(partition);
    return res ? { consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext } : { consumed: 0, msBeforeNext: 0 };
  }
}

export class RollingWindowMeter implements Meter {
  readonly #limiter: RateLimiterAbstract;
  readonly #quota: number;
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #now: () => number;

  constructor(policy: RateLimitPolicy & { rollingBucketMs: number }, factory: LimiterFactory, now: () => number = Date.now) {
    const windowMs = policy.windowSeconds * 1000;
    if (windowMs % policy.rollingBucketMs !== 0) throw new Error(`${policy.name}: window must be a whole number of buckets`);
    this.#quota = policy.quota;
    this.#bucketMs = policy.rollingBucketMs;
    this.#buckets = windowMs / policy.rollingBucketMs;
    this.#now = now;
    // Bucket counters only need to outlive the window; their own limit is never the one enforced.
    this.#limiter = factory({ keyPrefix: `rl-${policy.name}`, points: Number.MAX_SAFE_INTEGER, duration: Math.ceil((windowMs + policy.rollingBucketMs) / 1000) });
  }

  async consume(partition: string, units: number) {
    const now = this.#now();
    const current = Math.floor(now / this.#bucketMs);
    const counts = await this.#counts(partition, current);
    const before = sum(counts);
    if (before + units > this.#quota) return { fits: false, consumed: before, msBeforeNext: this.#msUntilRoom(counts, current, now, units) };
    const after = (await this.#limiter.penalty(this.#key(partition, current), units)).consumedPoints;
    // Concurrent requests may have landed in this bucket since the read: re-check with its true count.
    const total = before - counts[0]! + after;
    if (total > this.#quota) {
      await this.#limiter.reward(this.#key(partition, current), units);
      counts[0] = after - units;
      return { fits: false, consumed: total - units, msBeforeNext: this.#msUntilRoom(counts, current, now, units) };
    }
    counts[0] = after;
    return { fits: true, consumed: total, msBeforeNext: this.#msUntilRoom(counts, current, now, 1 + this.#quota - total) };
  }

  async refund(partition: string, units: number): Promise<void> {
    await this.#limiter.reward(this.#key(partition, Math.floor(this.#now() / this.#bucketMs)), units);
  }

  async peek(partition: string): Promise<MeterReading> {
    const now = this.#now();
    const current = Math.floor(now / this.#bucketMs);
    const counts = await this.#counts(partition, current);
    const consumed = sum(counts);
    return { consumed, msBeforeNext: this.#msUntilRoom(counts, current, now, 1 + this.#quota - consumed) };
  }

  #key(partition: string, bucket: number): string {
    return `${partition}:${bucket}`;
  }

  /** Counts of the buckets in the window, newest (current) first. */
  async #counts(partition: string, current: number): Promise<number[]> {
    const results = await Promise.all(Array.from({ length: this.#buckets }, (_, i) => this.#limiter.get(this.#key(partition, current - i))));
    return results.map((r) => Math.max(0, r?.consumedPoints ?? 0));
  }

  /**
   * Ms until `units` fit: buckets leave the window oldest first, the bucket `current - i` leaving
   * when bucket `current - i + buckets` starts. 0 when nothing is spent.
   */
  #msUntilRoom(counts: readonly number[], current: number, now: number, units: number): number {
    let total = sum(counts);
    if (total === 0) return 0;
    for (let i = counts.length - 1; i >= 0; i--) {
      const count = counts[i]!;
      if (count === 0) continue;
      total -= count;
      if (total + units <= this.#quota) return (current - i + this.#buckets) * this.#bucketMs - now;
    }
    return (current + this.#buckets) * this.#bucketMs - now;
  }
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

export function meterFor(policy: RateLimitPolicy, factory: LimiterFactory): Meter {
  return policy.rollingBucketMs !== undefined
    ? new RollingWindowMeter({ ...policy, rollingBucketMs: policy.rollingBucketMs }, factory)
    : new FixedWindowMeter(policy, factory);
}
