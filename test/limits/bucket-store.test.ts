/** Every token-bucket store keeps the same contract; idle buckets are forgotten once full. */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTokenBucketStore, SqliteTokenBucketStore, type TokenBucketStore } from '../../server/src/limits/index.js';
import { RedisTokenBucketStore } from '../../server/src/limits/redis-bucket-store.js';
import { connectRedis, type RedisClient } from '../../server/src/storage/redis.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

/** 4 units, refilled at 4 per second: one unit (1000 grains) every 250 ms. */
const shape = { capacity: 4, periodMs: 1000 };
const databases: Database.Database[] = [];
let redisServer: TestRedisServer;
let redis: RedisClient;
let redisStores = 0;
beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = await connectRedis(redisServer.url);
});
afterAll(async () => {
  databases.forEach((db) => db.close());
  redis.disconnect();
  await redisServer.stop();
});

function sqliteDb(): Database.Database {
  const db = new Database(':memory:');
  databases.push(db);
  return db;
}

const stores: [string, () => TokenBucketStore][] = [
  ['memory', () => new MemoryTokenBucketStore()],
  ['SQLite', () => new SqliteTokenBucketStore(sqliteDb())],
  ['Redis', () => new RedisTokenBucketStore(redis, { prefix: `t${++redisStores}:` })],
];

describe.each(stores)('%s token-bucket store', (_name, makeStore) => {
  it('starts full, takes what fits and nothing when it does not fit', async () => {
    const store = makeStore();
    expect(await store.read('k', shape, 1000)).toEqual({ grains: 4000, at: 1000 });
    expect(await store.take('k', 3, shape, 1000)).toEqual({ taken: true, state: { grains: 1000, at: 1000 } });
    expect(await store.take('k', 2, shape, 1100)).toEqual({ taken: false, state: { grains: 1400, at: 1100 } });
    expect(await store.take('k', 1, shape, 1100)).toEqual({ taken: true, state: { grains: 400, at: 1100 } });
    expect(await store.read('other', shape, 1100)).toEqual({ grains: 4000, at: 1100 });
  });

  it('gives back without overfilling', async () => {
    const store = makeStore();
    await store.take('k', 4, shape, 0);
    expect(await store.giveBack('k', 1, shape, 100)).toEqual({ grains: 1400, at: 100 });
    expect(await store.giveBack('k', 4, shape, 100)).toEqual({ grains: 4000, at: 100 });
    expect((await store.take('k', 4, shape, 100)).taken).toBe(true);
  });

  it('a caller whose clock lags the stored time refills nothing and cannot overdraw', async () => {
    const store = makeStore();
    await store.take('k', 4, shape, 5000);
    expect(await store.take('k', 1, shape, 4000)).toEqual({ taken: false, state: { grains: 0, at: 5000 } });
    expect((await store.take('k', 1, shape, 5250)).taken).toBe(true);
  });
});

describe('forgetting idle buckets', () => {
  it('the memory store forgets refilled buckets a few at each write, going on where the last write stopped', async () => {
    const store = new MemoryTokenBucketStore({ sweepBatch: 10 });
    // First in the Map, 20 buckets full only at 1900 ms: a sweep starting over at each write would never pass them.
    for (let key = 0; key < 20; key++) await store.take(`busy-${key}`, 4, shape, 900);
    for (let ip = 0; ip < 100; ip++) await store.take(`ip-${ip}`, 1, shape, 0); // full again at 250 ms
    expect(store.size).toBe(120);
    const sizes: number[] = [];
    for (let write = 0; write < 30; write++) {
      await store.giveBack('passer-by', 1, shape, 1000); // leaves a full bucket: keeps nothing
      sizes.push(store.size);
    }
    sizes.reduce((before, after) => {
      expect(before - after).toBeLessThanOrEqual(10); // no write looks at more than 10 buckets
      return after;
    }, 120);
    expect(sizes.at(-1)).toBe(20); // within two passes every refilled bucket is gone, and only those
    expect(await store.read('ip-7', shape, 1000)).toEqual({ grains: 4000, at: 1000 });
    expect(await store.read('busy-7', shape, 1000)).toEqual({ grains: 400, at: 1000 });
    expect(() => new MemoryTokenBucketStore({ sweepBatch: 1 })).toThrow(RangeError);
  });

  it('neither store keeps a bucket that a give-back filled', async () => {
    const memory = new MemoryTokenBucketStore();
    await memory.take('k', 2, shape, 0);
    await memory.giveBack('k', 2, shape, 0);
    expect(memory.size).toBe(0);
    const db = sqliteDb();
    const sqlite = new SqliteTokenBucketStore(db);
    await sqlite.take('k', 2, shape, 0);
    expect(db.prepare('SELECT count(*) AS n FROM token_buckets').get()).toEqual({ n: 1 });
    await sqlite.giveBack('k', 2, shape, 0);
    expect(db.prepare('SELECT count(*) AS n FROM token_buckets').get()).toEqual({ n: 0 });
  });

  it('the SQLite store deletes rows of refilled buckets at its next sweep', async () => {
    const db = sqliteDb();
    const store = new SqliteTokenBucketStore(db, { sweepEveryMs: 1000 });
    const rows = () => db.prepare<[], { key: string }>('SELECT key FROM token_buckets ORDER BY key').all().map((r) => r.key);
    await store.take('a', 1, shape, 0);
    await store.take('b', 4, shape, 500);
    await store.take('c', 1, shape, 900);
    expect(rows()).toEqual(['a', 'b', 'c']);
    await store.take('c', 1, shape, 1000); // sweeps: 'a' is full since 250 ms, 'b' not before 1500 ms
    expect(rows()).toEqual(['b', 'c']);
  });
});
