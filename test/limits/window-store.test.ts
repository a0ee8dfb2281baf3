/** Every rolling-window store keeps the same contract; emptied windows are forgotten. */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRollingWindowStore, SqliteRollingWindowStore, type RollingWindowStore } from '../../server/src/limits/index.js';
import { RedisRollingWindowStore } from '../../server/src/limits/redis-window-store.js';
import { connectRedis, type RedisClient } from '../../server/src/storage/redis.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

/** 4 units per 1 s window of ten 100 ms buckets: a unit spent in bucket b counts until bucket b + 10 starts. */
const shape = { quota: 4, bucketMs: 100, buckets: 10 };
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

const stores: [string, () => RollingWindowStore][] = [
  ['memory', () => new MemoryRollingWindowStore()],
  ['SQLite', () => new SqliteRollingWindowStore(sqliteDb())],
  ['Redis', () => new RedisRollingWindowStore(redis, { prefix: `t${++redisStores}:` })],
];

describe.each(stores)('%s rolling-window store', (_name, makeStore) => {
  it('starts empty, spends what fits in the current bucket and nothing when it does not fit', async () => {
    const store = makeStore();
    expect(await store.read('k', shape, 1000)).toEqual([]);
    expect(await store.consume('k', 3, shape, 1050)).toEqual({ fits: true, state: [{ bucket: 10, units: 3 }] });
    expect(await store.consume('k', 2, shape, 1150)).toEqual({ fits: false, state: [{ bucket: 10, units: 3 }] });
    expect(await store.consume('k', 1, shape, 1199)).toEqual({ fits: true, state: [{ bucket: 10, units: 3 }, { bucket: 11, units: 1 }] });
    expect(await store.consume('k', 1, shape, 1199)).toEqual({ fits: false, state: [{ bucket: 10, units: 3 }, { bucket: 11, units: 1 }] });
    expect(await store.read('other', shape, 1199)).toEqual([]);
  });

  it('adds to the current bucket, and a bucket leaves when the bucket a window later starts', async () => {
    const store = makeStore();
    await store.consume('k', 1, shape, 1000);
    expect(await store.consume('k', 2, shape, 1099)).toEqual({ fits: true, state: [{ bucket: 10, units: 3 }] });
    await store.consume('k', 1, shape, 1500);
    expect(await store.read('k', shape, 1999)).toEqual([{ bucket: 10, units: 3 }, { bucket: 15, units: 1 }]);
    expect(await store.read('k', shape, 2000)).toEqual([{ bucket: 15, units: 1 }]);
    expect(await store.consume('k', 3, shape, 2000)).toEqual({ fits: true, state: [{ bucket: 15, units: 1 }, { bucket: 20, units: 3 }] });
    expect(await store.read('k', shape, 3000)).toEqual([]);
  });

  it('refunds the newest units first, never more than the window holds', async () => {
    const store = makeStore();
    await store.consume('k', 2, shape, 0);
    await store.consume('k', 2, shape, 500);
    expect(await store.refund('k', 3, shape, 500)).toEqual([{ bucket: 0, units: 1 }]);
    expect(await store.refund('k', 5, shape, 600)).toEqual([]);
    expect((await store.consume('k', 4, shape, 600)).fits).toBe(true);
    expect((await store.consume('k', 1, shape, 600)).fits).toBe(false);
  });

  it('a caller whose clock lags the newest spend frees nothing early and cannot overdraw', async () => {
    const store = makeStore();
    await store.consume('k', 4, shape, 5000);
    expect(await store.consume('k', 1, shape, 4000)).toEqual({ fits: false, state: [{ bucket: 50, units: 4 }] });
    expect(await store.read('k', shape, 4000)).toEqual([{ bucket: 50, units: 4 }]);
    expect((await store.consume('k', 1, shape, 5999)).fits).toBe(false);
    expect(await store.consume('k', 1, shape, 6000)).toEqual({ fits: true, state: [{ bucket: 60, units: 1 }] });
    // Spent by the lagging clock, the unit counts in the newest bucket, so it leaves no earlier.
    expect(await store.consume('k', 1, shape, 5500)).toEqual({ fits: true, state: [{ bucket: 60, units: 2 }] });
  });
});

describe('forgetting emptied windows', () => {
  it('the memory store forgets emptied windows a few at each write, going on where the last write stopped', async () => {
    const store = new MemoryRollingWindowStore({ sweepBatch: 10 });
    // First in the Map, 20 windows empty only at 1900 ms: a sweep starting over at each write would never pass them.
    for (let key = 0; key < 20; key++) await store.consume(`busy-${key}`, 4, shape, 900);
    for (let account = 0; account < 100; account++) await store.consume(`acc-${account}`, 1, shape, 0); // empty at 1000 ms
    expect(store.size).toBe(120);
    const sizes: number[] = [];
    for (let write = 0; write < 30; write++) {
      await store.refund('passer-by', 1, shape, 1000); // leaves an empty window: keeps nothing
      sizes.push(store.size);
    }
    sizes.reduce((before, after) => {
      expect(before - after).toBeLessThanOrEqual(10); // no write looks at more than 10 windows
      return after;
    }, 120);
    expect(sizes.at(-1)).toBe(20); // within two passes every emptied window is gone, and only those
    expect(await store.read('acc-7', shape, 1000)).toEqual([]);
    expect(await store.read('busy-7', shape, 1000)).toEqual([{ bucket: 9, units: 4 }]);
  });

  it('neither store keeps a window that a refund emptied', async () => {
    const memory = new MemoryRollingWindowStore();
    await memory.consume('k', 2, shape, 0);
    await memory.refund('k', 2, shape, 0);
    expect(memory.size).toBe(0);
    const db = sqliteDb();
    const sqlite = new SqliteRollingWindowStore(db);
    await sqlite.consume('k', 2, shape, 0);
    expect(db.prepare('SELECT count(*) AS n FROM rolling_windows').get()).toEqual({ n: 1 });
    await sqlite.refund('k', 2, shape, 0);
    expect(db.prepare('SELECT count(*) AS n FROM rolling_windows').get()).toEqual({ n: 0 });
  });

  it('the SQLite store deletes rows of emptied windows at its next sweep', async () => {
    const db = sqliteDb();
    const store = new SqliteRollingWindowStore(db, { sweepEveryMs: 1000 });
    const rows = () => db.prepare<[], { key: string }>('SELECT key FROM rolling_windows ORDER BY key').all().map((r) => r.key);
    await store.consume('a', 1, shape, 0);
    await store.consume('b', 4, shape, 500);
    await store.consume('c', 1, shape, 900);
    expect(rows()).toEqual(['a', 'b', 'c']);
    await store.consume('c', 1, shape, 1000); // sweeps: 'a' is empty from 1000 ms, 'b' not before 1500 ms
    expect(rows()).toEqual(['b', 'c']);
  });

  it('the SQLite store keeps its windows in a table of its own, beside the other limit tables of the database', async () => {
    const db = sqliteDb();
    db.exec('CREATE TABLE token_buckets (key TEXT PRIMARY KEY)');
    const store = new SqliteRollingWindowStore(db);
    await store.consume('k', 1, shape, 0);
    expect(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name)).toEqual(['rolling_windows', 'token_buckets']);
  });
});
