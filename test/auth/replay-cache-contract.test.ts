/**
 * Every replay cache keeps one contract: a (key id, signature) is admitted once while its entry
 * lives, also when the checks race, and again once it has expired. Run against the memory,
 * SQLite and Redis caches, on the real clock (Redis expires entries by its own).
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryReplayCache, SqliteReplayCache, type ReplayCache } from '../../server/src/auth/index.js';
import { RedisReplayCache } from '../../server/src/auth/redis-replay-cache.js';
import { connectRedis, type RedisClient } from '../../server/src/storage/redis.js';
import { eventually } from '../helpers/eventually.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let redisServer: TestRedisServer;
let redis: RedisClient;
let prefixes = 0;
const closers: (() => void)[] = [];
beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = await connectRedis(redisServer.url);
});
afterAll(async () => {
  closers.forEach((close) => close());
  redis.disconnect();
  await redisServer.stop();
});

const caches: [string, () => ReplayCache][] = [
  ['memory', () => new MemoryReplayCache()],
  ['SQLite', () => {
    const cache = new SqliteReplayCache(new Database(':memory:'));
    closers.push(() => cache.close());
    return cache;
  }],
  ['Redis', () => new RedisReplayCache(redis, { prefix: `replay${++prefixes}:` })],
];

describe.each(caches)('%s replay cache', (_name, makeCache) => {
  it('admits a signature once while it lives; other signatures and other keys are separate', async () => {
    const cache = makeCache();
    const now = Date.now();
    expect(await cache.remember('ak_a', 'sig1', now + 60_000, now)).toBe('fresh');
    expect(await cache.remember('ak_a', 'sig1', now + 60_000, now + 1)).toBe('replayed');
    expect(await cache.remember('ak_a', 'sig2', now + 60_000, now + 1)).toBe('fresh');
    expect(await cache.remember('ak_b', 'sig1', now + 60_000, now + 1)).toBe('fresh');
  });

  it('admits exactly one of many racing checks of one signature', async () => {
    const cache = makeCache();
    const now = Date.now();
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => cache.remember('ak_a', 'raced', now + 60_000, now)));
    expect(verdicts.filter((v) => v === 'fresh')).toHaveLength(1);
    expect(verdicts.filter((v) => v === 'replayed')).toHaveLength(19);
  });

  it('admits a signature again once its entry has expired', async () => {
    const cache = makeCache();
    const start = Date.now();
    expect(await cache.remember('ak_a', 'short', start + 50, start)).toBe('fresh');
    await eventually(async () => {
      const now = Date.now();
      expect(now).toBeGreaterThan(start + 50);
      expect(await cache.remember('ak_a', 'short', now + 50, now)).toBe('fresh');
    });
  });
});
