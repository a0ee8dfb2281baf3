/**
 * Token buckets in a SQLite database, so gateway processes on one host share their budgets. Each
 * take or give-back is one immediate transaction (the write lock is taken up front, so two
 * processes cannot both read a level and then both spend it). Rows of buckets that have refilled
 * are deleted now and then: a full bucket is the same as an absent one.
 */
import type { SqliteDatabase } from '../storage/sqlite.js';
import type { TokenBucketStore } from './bucket-store.js';
import { fullAt, giveBack, refill, take, type BucketShape, type BucketState, type BucketTake } from './token-bucket.js';

export interface SqliteBucketStoreOptions {
  /** How often (ms, by the callers' clock) a write first deletes buckets that have refilled. */
  sweepEveryMs?: number;
}

interface Row {
  grains: number;
  at: number;
}

export class SqliteTokenBucketStore implements TokenBucketStore {
  readonly #take: (key: string, units: number, shape: BucketShape, now: number) => BucketTake;
  readonly #giveBack: (key: string, units: number, shape: BucketShape, now: number) => BucketState;
  readonly #select;
  readonly #sweepStatement;
  readonly #sweepEveryMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(db: SqliteDatabase, options: SqliteBucketStoreOptions = {}) {
    this.#sweepEveryMs = options.sweepEveryMs ?? 60_000;
    db.exec(`CREATE TABLE IF NOT EXISTS token_buckets (
      key TEXT PRIMARY KEY, grains INTEGER NOT NULL, at INTEGER NOT NULL, full_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS token_buckets_full_at ON token_buckets (full_at);`);
    this.#select = db.prepare<[string], Row>('SELECT grains, at FROM token_buckets WHERE key = ?');
    const upsert = db.prepare<[string, number, number, number]>(
      'INSERT INTO token_buckets (key, grains, at, full_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET grains = excluded.grains, at = excluded.at, full_at = excluded.full_at',
    );
    const remove = db.prepare<[string]>('DELETE FROM token_buckets WHERE key = ?');
    this.#sweepStatement = db.prepare<[number]>('DELETE FROM token_buckets WHERE full_at <= ?');

    const keep = (key: string, state: BucketState, shape: BucketShape) => {
      const full = fullAt(state, shape);
      if (full <= state.at) remove.run(key);
      else upsert.run(key, state.grains, state.at, full);
    };
    const takeTx = db.transaction((key: string, units: number, shape: BucketShape, now: number) => {
      const result = take(this.#stored(key), units, shape, now);
      if (result.taken) keep(key, result.state, shape);
      return result;
    });
    const giveBackTx = db.transaction((key: string, units: number, shape: BucketShape, now: number) => {
      const state = giveBack(this.#stored(key), units, shape, now);
      keep(key, state, shape);
      return state;
    });
    this.#take = (...args) => takeTx.immediate(...args);
    this.#giveBack = (...args) => giveBackTx.immediate(...args);
  }

  async take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake> {
    this.#sweep(now);
    return this.#take(key, units, shape, now);
  }

  async giveBack(key: string, units: number, shape: BucketShape, now: number): Promise<BucketState> {
    this.#sweep(now);
    return this.#giveBack(key, units, shape, now);
  }

  async read(key: string, shape: BucketShape, now: number): Promise<BucketState> {
    return refill(this.#stored(key), shape, now);
  }

  #stored(key: string): BucketState | undefined {
    const row = this.#select.get(key);
    return row && { grains: row.grains, at: row.at };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    this.#sweepStatement.run(now);
  }
}
