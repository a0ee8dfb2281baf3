/**
 * Where token buckets live. rate-limiter-flexible has no token bucket, so buckets have a store of
 * their own: each operation is one atomic step on one bucket (in memory: one synchronous
 * read-modify-write; in SQLite: one transaction; in Redis, later: one script), computed with the
 * arithmetic of token-bucket.ts. Every process sharing a store then shares the budgets in it.
 * Callers pass `now`, so processes sharing a store need synchronised clocks; a clock that lags
 * the store's newest time refills nothing and can never overdraw a bucket.
 */
import type { LimitKind } from './limit-state.js';
import { MemoryLimitStore, type MemoryLimitStoreOptions } from './memory-limit-store.js';
import { StoredLimits } from './stored-limits.js';
import { fullAt, giveBack, refill, take, type BucketShape, type BucketState, type BucketTake } from './token-bucket.js';

export interface TokenBucketStore {
  /** Refills the bucket `key` up to `now`, then takes `units` if they all fit (else nothing). */
  take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake>;
  /** Refills the bucket up to `now`, then puts `units` back (never beyond its capacity). */
  giveBack(key: string, units: number, shape: BucketShape, now: number): Promise<BucketState>;
  /** The bucket refilled up to `now`, changing nothing. */
  read(key: string, shape: BucketShape, now: number): Promise<BucketState>;
}

/** Token-bucket arithmetic for the generic stores. A full bucket is the same as an absent one. */
export const TOKEN_BUCKETS: LimitKind<BucketState, BucketShape, BucketTake> = {
  isIdle: (state, shape) => fullAt(state, shape) <= state.at,
  idleAt: fullAt,
  spend: take,
  fitted: (result) => result.taken,
  giveBack,
  current: refill,
};

export type MemoryBucketStoreOptions = MemoryLimitStoreOptions;

/** A TokenBucketStore over the bucket states of a LimitStateStore (memory, SQLite). */
export class StoredTokenBuckets extends StoredLimits<BucketState, BucketShape, BucketTake> implements TokenBucketStore {
  take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake> {
    return this.spend(key, units, shape, now);
  }
}

/**
 * Buckets in this process's memory: the default for a single gateway process. A bucket is
 * forgotten once it has refilled, by a sweep that looks at a few buckets at each write (see
 * MemoryLimitStore), so memory stays bounded however many IP addresses pass by.
 */
export class MemoryTokenBucketStore extends StoredTokenBuckets {
  constructor(options: MemoryBucketStoreOptions = {}) {
    super(TOKEN_BUCKETS, new MemoryLimitStore(TOKEN_BUCKETS, options));
  }
}
