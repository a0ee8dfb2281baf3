/**
 * How one policy counts:
 * - TokenBucketMeter: a bucket of `quota` units per partition, refilled continuously at `quota`
 *   units per `windowSeconds` (see token-bucket.ts), kept in a TokenBucketStore. A full bucket
 *   allows a burst of the whole quota; after that, requests pass at the refill rate. Used for
 *   request weights.
 * - RollingWindowMeter: time is cut into buckets of `bucketMs`; a request fits if the window's
 *   buckets (the current one and those before it, `windowSeconds / bucketMs` in all) plus its
 *   units stay within the quota. An accepted unit stops counting between `window - bucketMs` and
 *   `window` after it was spent, so there is no burst of twice the quota across a boundary and a
 *   client pacing exactly at the quota is never refused. Built on rate-limiter-flexible limiters
 *   made by a LimiterFactory. Used for order rates.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { TokenBucketStore } from './bucket-store.js';
import type { LimiterFactory } from './limiter-store.js';
import type { RateLimitPolicy, RollingWindowPolicy, TokenBucketPolicy } from './policies.js';
import { checkShape, fullGrains, msUntilGrains, unitGrains, wholeUnits, type BucketShape, type BucketState } from './token-bucket.js';

export interface MeterReading {
  /** Units spent now (not counting a refused request); in a token bucket, capacity − whole tokens left. */
  consumed: number;
  /**
   * Refused: ms until the request would fit. Otherwise: ms until quota returns (token bucket:
   * until the bucket is full; rolling window: until the oldest spent unit returns); 0 if none is spent.
   */
  msBeforeNext: number;
}

export interface Consumption extends MeterReading {
  fits: boolean;
  /**
   * Refused, when it differs from msBeforeNext: ms until the quota returns as `peek` would report
   * it (a token bucket: until it is full), for the RateLimit field's `t`.
   */
  msBeforeReset?: number;
}

export interface Meter {
  /** Spends `units` if they fit; reports `fits: false` (spending nothing) otherwise. */
  consume(partition: string, units: number): Promise<Consumption>;
  /** Gives back units spent by a request another policy refused; reads the result. */
  refund(partition: string, units: number): Promise<MeterReading>;
  peek(partition: string): Promise<MeterReading>;
}

export class TokenBucketMeter implements Meter {
  readonly #store: TokenBucketStore;
  readonly #shape: BucketShape;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(policy: TokenBucketPolicy, store: TokenBucketStore, now: () => number = Date.now) {
    this.#shape = { capacity: policy.quota, periodMs: policy.windowSeconds * 1000 };
    checkShape(this.#shape, policy.name);
    this.#store = store;
    this.#prefix = `tb-${policy.name}:`;
    this.#now = now;
  }

  async consume(partition: string, units: number): Promise<Consumption> {
    this.#checkUnits(units);
    const now = this.#now();
    const { taken, state } = await this.#store.take(this.#prefix + partition, units, this.#shape, now);
    const full = this.#reading(state, now, fullGrains(this.#shape));
    if (taken) return { fits: true, ...full };
    // Refused: the request may retry once its units are back; the bucket is full later still.
    return { fits: false, ...this.#reading(state, now, unitGrains(units, this.#shape)), msBeforeReset: full.msBeforeNext };
  }

  async refund(partition: string, units: number): Promise<MeterReading> {
    this.#checkUnits(units);
    const now = this.#now();
    const state = await this.#store.giveBack(this.#prefix + partition, units, this.#shape, now);
    return this.#reading(state, now, fullGrains(this.#shape));
  }

  async peek(partition: string): Promise<MeterReading> {
    const now = this.#now();
    const state = await this.#store.read(this.#prefix + partition, this.#shape, now);
    return this.#reading(state, now, fullGrains(this.#shape));
  }

  #reading(state: BucketState, now: number, awaitedGrains: number): MeterReading {
    return {
      consumed: this.#shape.capacity - wholeUnits(state, this.#shape),
      // The store's time may be ahead of this process's clock (another process wrote last).
      msBeforeNext: Math.max(0, state.at + msUntilGrains(state, awaitedGrains, this.#shape) - now),
    };
  }

  /** A request heavier than the bucket could never pass; the limiters check weights up front. */
  #checkUnits(units: number): void {
    if (!Number.isSafeInteger(units) || units < 1 || units > this.#shape.capacity) {
      throw new RangeError(`units must be an integer from 1 to ${this.#shape.capacity}, got ${units}`);
    }
  }
}

export class RollingWindowMeter implements Meter {
  readonly #limiter: RateLimiterAbstract;
  readonly #quota: number;
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #now: () => number;

  constructor(policy: RollingWindowPolicy, factory: LimiterFactory, now: () => number = Date.now) {
    const windowMs = policy.windowSeconds * 1000;
    if (windowMs % policy.rollingBucketMs !== 0) throw new Error(`${policy.name}: window must be a whole number of buckets`);
    this.#quota = policy.quota;
    this.#bucketMs = policy.rollingBucketMs;
    this.#buckets = windowMs / policy.rollingBucketMs;
    this.#now = now;
    // Bucket counters only need to outlive the window; their own limit is never the one enforced.
    this.#limiter = factory({ keyPrefix: `rl-${policy.name}`, points: Number.MAX_SAFE_INTEGER, duration: Math.ceil((windowMs + policy.rollingBucketMs) / 1000) });
  }

  async consume(partition: string, units: number): Promise<Consumption> {
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

  async refund(partition: string, units: number): Promise<MeterReading> {
    await this.#limiter.reward(this.#key(partition, Math.floor(this.#now() / this.#bucketMs)), units);
    return this.peek(partition);
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

/** Where meters keep their counts, and their clock. */
export interface MeterStores {
  /** Makes the rate-limiter-flexible limiters of rolling windows. */
  factory: LimiterFactory;
  /** Holds the token buckets. */
  buckets: TokenBucketStore;
  now?: () => number;
}

export function meterFor(policy: RateLimitPolicy, stores: MeterStores): Meter {
  return policy.kind === 'rolling-window'
    ? new RollingWindowMeter(policy, stores.factory, stores.now)
    : new TokenBucketMeter(policy, stores.buckets, stores.now);
}
