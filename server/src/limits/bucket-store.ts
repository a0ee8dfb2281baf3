/**
 * Where token buckets live. rate-limiter-flexible has no token bucket, so buckets have a store of
 * their own: each operation is one atomic step on one bucket (in memory: one synchronous
 * read-modify-write; in SQLite: one transaction; in Redis, later: one script), computed with the
 * arithmetic of token-bucket.ts. Every process sharing a store then shares the budgets in it.
 * Callers pass `now`, so processes sharing a store need synchronised clocks; a clock that lags
 * the store's newest time refills nothing and can never overdraw a bucket.
 */
import { fullAt, giveBack, refill, take, type BucketShape, type BucketState, type BucketTake } from './token-bucket.js';

export interface TokenBucketStore {
  /** Refills the bucket `key` up to `now`, then takes `units` if they all fit (else nothing). */
  take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake>;
  /** Refills the bucket up to `now`, then puts `units` back (never beyond its capacity). */
  giveBack(key: string, units: number, shape: BucketShape, now: number): Promise<BucketState>;
  /** The bucket refilled up to `now`, changing nothing. */
  read(key: string, shape: BucketShape, now: number): Promise<BucketState>;
}

export interface MemoryBucketStoreOptions {
  /** How often (ms, by the callers' clock) a call first forgets buckets that have refilled. */
  sweepEveryMs?: number;
}

/**
 * Buckets in this process's memory: the default for a single gateway process. A full bucket is
 * the same as an absent one, so a bucket is forgotten once it has refilled: a sweep at most every
 * `sweepEveryMs`, run by whichever call comes first, keeps memory bounded by the clients active in
 * the last period plus the sweep interval, however many IP addresses pass by.
 */
export class MemoryTokenBucketStore implements TokenBucketStore {
  readonly #buckets = new Map<string, { state: BucketState; fullAt: number }>();
  readonly #sweepEveryMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryBucketStoreOptions = {}) {
    this.#sweepEveryMs = options.sweepEveryMs ?? 60_000;
  }

  /** Buckets held (those not yet known to be full). */
  get size(): number {
    return this.#buckets.size;
  }

  async take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake> {
    this.#sweep(now);
    const result = take(this.#buckets.get(key)?.state, units, shape, now);
    if (result.taken) this.#keep(key, result.state, shape);
    return result;
  }

  async giveBack(key: string, units: number, shape: BucketShape, now: number): Promise<BucketState> {
    this.#sweep(now);
    const state = giveBack(this.#buckets.get(key)?.state, units, shape, now);
    this.#keep(key, state, shape);
    return state;
  }

  async read(key: string, shape: BucketShape, now: number): Promise<BucketState> {
    return refill(this.#buckets.get(key)?.state, shape, now);
  }

  #keep(key: string, state: BucketState, shape: BucketShape): void {
    const full = fullAt(state, shape);
    if (full <= state.at) this.#buckets.delete(key);
    else this.#buckets.set(key, { state, fullAt: full });
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    for (const [key, bucket] of this.#buckets) if (bucket.fullAt <= now) this.#buckets.delete(key);
  }
}
