/**
 * Authentication lockouts behave the same over every counter store (memory, SQLite, Redis), and
 * two verifiers sharing a store share one failure allowance.
 */
import { describe, expect, it } from 'vitest';
import { AuthLockout } from '../../server/src/auth/index.js';
import { redisLimiterFactory } from '../../server/src/auth/redis-lockout.js';
import { memoryLimiterFactory, sqliteLimiterTable, type LimiterFactory } from '../../server/src/limits/index.js';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends();

/** Each entry gives a factory; the lockouts made from one factory share its counters. */
const stores: [string, () => Promise<LimiterFactory>][] = [
  ['memory', async () => {
    const shared = new Map<string, ReturnType<LimiterFactory>>();
    return (spec) => shared.get(spec.keyPrefix) ?? shared.set(spec.keyPrefix, memoryLimiterFactory(spec)).get(spec.keyPrefix)!;
  }],
  ['SQLite', async () => (await sqliteLimiterTable(backends.sqlite(), 'auth_lockout')).factory],
  ['Redis', async () => redisLimiterFactory(backends.redis(), backends.prefix('lockout'))],
];

const policy = { maxFailures: 3, failureWindowSeconds: 60, baseLockoutSeconds: 30, maxLockoutSeconds: 120, levelMemorySeconds: 600 };

describe.each(stores)('authentication lockout over the %s store', (_name, makeFactory) => {
  it('locks a key out after maxFailures, wherever the failures were counted, and not an unrelated key', async () => {
    const factory = await makeFactory();
    const [a, b] = [new AuthLockout({ factory, ip: policy, key: policy }), new AuthLockout({ factory, ip: policy, key: policy })];
    await a!.recordFailure('203.0.113.1', 'ak_x');
    await b!.recordFailure('203.0.113.2', 'ak_x');
    expect(await a!.check('203.0.113.3', 'ak_x')).toEqual({ locked: false, keyFailures: 2 });
    await a!.recordFailure('203.0.113.3', 'ak_x');
    expect(await b!.check('203.0.113.4', 'ak_x')).toEqual({ locked: true, retryAfterSeconds: 30 });
    expect(await b!.check('203.0.113.4', 'ak_y')).toEqual({ locked: false, keyFailures: 0 });
  });

  it('a success clears the key failures counted so far', async () => {
    const factory = await makeFactory();
    const lockout = new AuthLockout({ factory, ip: policy, key: policy });
    await lockout.recordFailure('203.0.113.1', 'ak_z');
    await lockout.recordFailure('203.0.113.1', 'ak_z');
    await lockout.recordSuccess('ak_z');
    expect(await lockout.check('203.0.113.9', 'ak_z')).toEqual({ locked: false, keyFailures: 0 });
  });
});
