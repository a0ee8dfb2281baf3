/**
 * The limit state of worker mode, in `<dataDir>/limits.db`, which the core process and every
 * REST gateway worker open:
 * - request-weight budgets (token buckets), so a key's budget is spent once across all of them
 *   (not once per process) and GET /v1/account reports the shared figures;
 * - authentication lockout counters (rate-limiter-flexible's RateLimiterSQLite, a table of their
 *   own), so a client guessing signatures gets one failure allowance, not one per process.
 */
import { join } from 'node:path';
import { AuthLockout } from '../auth/lockout.js';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../storage/sqlite.js';
import { sqliteLimiterTable } from './counter-store.js';
import { configuredRequestPolicies } from './policies.js';
import { RequestRateLimiter } from './request-limiter.js';
import { SqliteTokenBucketStore } from './sqlite-limit-store.js';
import type { RefusalHooks } from '../observability/refusal-hooks.js';

export interface SharedLimits {
  requestLimiter: RequestRateLimiter;
  /** For this process's RequestVerifier. */
  lockout: AuthLockout;
  close(): void;
}

export interface SharedLimitsOptions {
  /**
   * Whether this process deletes expired lockout counters. One process sweeping is enough for the
   * shared table: the core process does (the default), its workers pass false.
   */
  sweepExpiredLockouts?: boolean;
  /** How often expired lockout counters are deleted (default 5 minutes). */
  sweepEveryMs?: number;
  /** Told about refused requests and started lockouts (metrics). */
  hooks?: Pick<RefusalHooks, 'onRequestRefused' | 'onLockout'>;
}

const LOCKOUT_TABLE = 'auth_lockout';

export async function openSharedLimits(config: Config, options: SharedLimitsOptions = {}): Promise<SharedLimits> {
  // Budgets and counters last seconds to a day and may be lost: a commit needs no sync.
  // openDatabase's busy_timeout makes a process wait for another's write transaction instead of failing.
  const db = openDatabase(join(config.dataDir, 'limits.db'), { synchronous: 'NORMAL' });
  try {
    const requestLimiter = new RequestRateLimiter({ policies: configuredRequestPolicies(config.limits), buckets: new SqliteTokenBucketStore(db), onRefused: options.hooks?.onRequestRefused });
    const lockoutTable = await sqliteLimiterTable(db, LOCKOUT_TABLE);
    const lockout = new AuthLockout({ factory: lockoutTable.factory, onLockout: options.hooks?.onLockout });
    // The store keeps a row per IP and key id that failed; expired rows would otherwise stay.
    // A failed sweep (another process holding the database too long) leaves only dead rows, for the next one.
    const sweeper = options.sweepExpiredLockouts === false
      ? undefined
      : setInterval(() => void lockoutTable.clearExpired(Date.now()).catch(() => {}), options.sweepEveryMs ?? 5 * 60_000);
    sweeper?.unref();
    return {
      requestLimiter,
      lockout,
      close: () => {
        clearInterval(sweeper);
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
