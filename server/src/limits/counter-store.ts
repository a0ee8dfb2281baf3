/**
 * Where rate-limiter-flexible counters live: in this process's memory, or in a SQLite table that
 * processes on one host share. Every such limiter (the authentication lockouts in auth/) is made
 * through a LimiterFactory, so moving to another shared store is one line: pass
 * `(spec) => new RateLimiterRedis({ storeClient: redis, ...spec })` instead. Token buckets and
 * rolling windows have stores of their own (limit-store.ts).
 */
import { RateLimiterMemory, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SqliteDatabase } from '../storage/sqlite.js';

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

/** The store's own deletion of expired rows (RateLimiterSQLite has it; its typings leave it out). */
interface ExpiredRowsClearer {
  clearExpired(nowMs: number): Promise<void>;
}

export interface SqliteLimiterTable {
  factory: LimiterFactory;
  /** Deletes the table's rows that expired before `nowMs`. */
  clearExpired(nowMs: number): Promise<void>;
}

/**
 * Limiters over one table of `db`. The store creates its table asynchronously, so one limiter
 * creates it here, and the factory's limiters are told it exists (they would refuse writes until then).
 */
export async function sqliteLimiterTable(db: SqliteDatabase, tableName: string): Promise<SqliteLimiterTable> {
  const store = { storeClient: db, storeType: 'better-sqlite3', tableName };
  const creator = await new Promise<RateLimiterSQLite>((resolve, reject) => {
    const limiter: RateLimiterSQLite = new RateLimiterSQLite({ ...store, points: 1, duration: 1 }, (err?: unknown) => (err ? reject(err) : resolve(limiter)));
  });
  const clearer = creator as unknown as ExpiredRowsClearer;
  return {
    factory: (spec) => new RateLimiterSQLite({ ...store, tableCreated: true, ...spec }),
    clearExpired: (nowMs) => clearer.clearExpired(nowMs),
  };
}
