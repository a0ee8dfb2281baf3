/**
 * The request-weight budgets of worker mode: token buckets in `<dataDir>/limits.db`, which the
 * core process and every REST gateway worker open, so a key's budget is spent once across all of
 * them (not once per process) and GET /v1/account reports the shared figures.
 */
import { join } from 'node:path';
import type { Config } from '../../../config/schema.js';
import { configuredRequestPolicies } from '../../../limits/configured.js';
import { RequestRateLimiter, SqliteTokenBucketStore } from '../../../limits/index.js';
import { openDatabase } from '../../../storage/sqlite.js';

export interface SharedRequestLimiter {
  limiter: RequestRateLimiter;
  close(): void;
}

export function openSharedRequestLimiter(config: Config): SharedRequestLimiter {
  // Budgets last a second or so: a commit needs no sync. openDatabase's busy_timeout makes a
  // process wait for another's write transaction instead of failing.
  const db = openDatabase(join(config.dataDir, 'limits.db'), { synchronous: 'NORMAL' });
  const limiter = new RequestRateLimiter({ policies: configuredRequestPolicies(config.limits), buckets: new SqliteTokenBucketStore(db) });
  return { limiter, close: () => db.close() };
}
