/**
 * Limiters keep their counts in pluggable stores, so a shared store drops in. Here two limiter
 * sets (standing for two gateway processes) share their budgets: token buckets and rolling
 * windows through one SQLite database opened twice (SqliteTokenBucketStore,
 * SqliteRollingWindowStore), lockouts through one store-backed limiter type (rate-limiter-flexible's
 * RateLimiterSQLite, a RateLimiterStoreAbstract like RateLimiterRedis).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthLockout } from '../../server/src/auth/index.js';
import { OrderRateLimiter, RequestRateLimiter, SqliteRollingWindowStore, SqliteTokenBucketStore, type LimiterFactory } from '../../server/src/limits/index.js';

const dir = mkdtempSync(join(tmpdir(), 'limits-shared-'));
const db = new Database(join(dir, 'limits.db'));
// Token buckets and rolling windows: each "process" opens the database file itself.
const bucketDbs = [new Database(join(dir, 'buckets.db')), new Database(join(dir, 'buckets.db'))];
const windowDbs = [new Database(join(dir, 'windows.db')), new Database(join(dir, 'windows.db'))];
afterAll(() => { [db, ...bucketDbs, ...windowDbs].forEach((d) => d.close()); rmSync(dir, { recursive: true, force: true }); });

// The store creates its table asynchronously; let one limiter create it before the factory is used.
await new Promise<void>((resolve, reject) => {
  new RateLimiterSQLite({ storeClient: db, storeType: 'better-sqlite3', tableName: 'rate_limits', points: 1, duration: 1 }, (err?: unknown) => (err ? reject(err) : resolve()));
});

const prefixes: string[] = [];
const sharedFactory: LimiterFactory = (spec) => {
  prefixes.push(spec.keyPrefix);
  return new RateLimiterSQLite({ storeClient: db, storeType: 'better-sqlite3', tableName: 'rate_limits', tableCreated: true, ...spec });
};

describe('a shared limiter store', () => {
  it('makes two request limiters spend one token bucket per key, and see it refill', async () => {
    const clock = { now: 1_750_000_000_000 };
    // 5 units, one back every 12 s.
    const policies = [{ name: 'key', kind: 'token-bucket' as const, scope: 'key' as const, quota: 5, windowSeconds: 60, description: '' }];
    const [a, b] = bucketDbs.map((d) => new RequestRateLimiter({ buckets: new SqliteTokenBucketStore(d), now: () => clock.now, policies, weights: { op: 1 } }));
    const caller = { ip: '::1', keyId: 'shared' };
    for (let i = 0; i < 5; i++) expect((await (i % 2 ? a! : b!).consume('op', caller)).allowed).toBe(true);
    const refused = await a!.consume('op', caller);
    expect(refused).toMatchObject({ allowed: false, refusedBy: ['key'], retryAfterSeconds: 12 });
    expect(await b!.usage(caller)).toMatchObject([{ policy: 'key', remaining: 0, reset: 60 }]);
    clock.now += 12_000;
    expect((await b!.consume('op', caller)).allowed).toBe(true);
    expect((await a!.consume('op', caller)).allowed).toBe(false);
    // Another key has a bucket of its own.
    expect((await a!.consume('op', { ip: '::1', keyId: 'other' })).allowed).toBe(true);
  });

  it('makes two order limiters spend one rolling window per account, and see its units return', async () => {
    const clock = { now: 1_750_000_000_000 };
    // 3 orders per 10 s, counted in 1 s buckets.
    const policies = [{ name: 'orders-10s', kind: 'rolling-window' as const, scope: 'account' as const, quota: 3, windowSeconds: 10, rollingBucketMs: 1000, description: '' }];
    const [a, b] = windowDbs.map((d) => new OrderRateLimiter({ windows: new SqliteRollingWindowStore(d), now: () => clock.now, policies }));
    expect((await a!.consume('acc')).allowed).toBe(true);
    clock.now += 4000;
    expect((await b!.consume('acc')).allowed).toBe(true);
    expect((await a!.consume('acc')).allowed).toBe(true);
    // The first order returns when its bucket leaves the window: 6 s from now.
    expect(await b!.consume('acc')).toMatchObject({ allowed: false, refusedBy: ['orders-10s'], retryAfterSeconds: 6 });
    expect((await a!.usage('acc'))[0]).toMatchObject({ remaining: 0, reset: 6 });
    clock.now += 6000;
    expect((await a!.consume('acc')).allowed).toBe(true);
    expect((await b!.consume('acc')).allowed).toBe(false);
    // Another account has a window of its own.
    expect((await b!.consume('other')).allowed).toBe(true);
  });

  it('makes a lockout started through one instance hold in the other', async () => {
    const policy = { maxFailures: 2, failureWindowSeconds: 60, baseLockoutSeconds: 30, maxLockoutSeconds: 60, levelMemorySeconds: 600 };
    const a = new AuthLockout({ factory: sharedFactory, ip: policy, key: policy });
    const b = new AuthLockout({ factory: sharedFactory, ip: policy, key: policy });
    await a.recordFailure('203.0.113.5', 'ak_x');
    await b.recordFailure('203.0.113.5', 'ak_x');
    expect(await a.check('203.0.113.5', undefined)).toEqual({ locked: true, retryAfterSeconds: 30 });
    expect(await b.check('198.51.100.1', 'ak_x')).toEqual({ locked: true, retryAfterSeconds: 30 });
  });

  it('every rate-limiter-flexible limiter in the library was made through the factory', () => {
    expect(new Set(prefixes)).toEqual(new Set(['auth-fail-ip', 'auth-lock-ip', 'auth-fail-key', 'auth-lock-key']));
  });
});
